"""A model's answer as claims: paragraphs and list items, sentences, and clauses joined by "and"/"but" when
they carry facts of their own; each with the passages its [k] markers named. And back to text."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from app.answer.grounding.citations import strip_markers
from app.answer.grounding.support import RULES, SupportRules
from app.text.sentences import split_sentences

_MARK = re.compile(r"\[(\d+)\]")
_BLOCK_SEP = re.compile(r"(\n[ \t]*\n\s*|\n)")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")
_LEAD_MARKS = re.compile(r"^(?:\s*\[\d+\])+")
_TAIL_MARKS = re.compile(r"(?:\s*\[\d+\])+\s*$")
_CLOSE = re.compile(r"[.!?…]+$")
# Words that join two clauses, and pronouns that open a clause with a subject of its own.
CONJUNCTIONS = ("and", "but")
SUBJECT_PRONOUNS = ("it", "its", "they", "their", "he", "his", "she", "her", "we", "this", "these", "those")
_CONJ = "|".join(CONJUNCTIONS)
_JOIN = re.compile(rf"\s*(?:,\s*(?:{_CONJ})\s+|;\s+|\s+(?:{_CONJ})\s+)")
_NEW_SUBJECT = re.compile(rf"^(?:[A-Z0-9\"“]|(?:{'|'.join(SUBJECT_PRONOUNS)})\b)")


@dataclass
class Claim:
    """One claim: its words (markers and closing punctuation removed) and the passages the model cited for it."""

    text: str
    cited: tuple[int, ...]  # prompt passage indexes (0-based)
    lead: str = ""  # what joins it to the clause before it in its sentence (", and ")


@dataclass
class Sentence:
    claims: list[Claim]
    close: str  # closing punctuation


@dataclass
class Block:
    """A paragraph or list item."""

    sep: str  # line break(s) before it
    prefix: str  # list bullet
    sentences: list[Sentence] = field(default_factory=list)


def _passages(marked: str, order: list[int]) -> tuple[int, ...]:
    """Prompt passage indexes named by the [k] markers of normalised text."""
    ks = [int(k) for k in _MARK.findall(marked)]
    return tuple(dict.fromkeys(order[k - 1] - 1 for k in ks if 1 <= k <= len(order)))


def _names_pair(left: str, joint: str, right: str) -> bool:
    """ "between Turkey and Russia": two names joined by a bare "and" are one thing, not two clauses (cut there,
    a removed right side would leave "The agreement between Turkey" behind)."""
    before = strip_markers(left).split()
    after = right.split()
    return (
        joint.strip() in CONJUNCTIONS
        and "[" not in left[-4:]  # a marker before the joint: the model meant two claims
        and bool(before and after)
        and before[-1][:1].isupper()
        and after[0][:1].isupper()
        and after[0].lower() not in SUBJECT_PRONOUNS
    )


def _separate(left: str, joint: str, right: str, rules: SupportRules) -> bool:
    """Whether "left and right" are two claims: the right side has a subject of its own, or both sides are
    long and a comma or semicolon joins them. A marker before the joint says the model meant separate claims
    and is enough with either; a fragment ("... [1] and Aleppo [2]") stays joined all the same."""
    if _names_pair(left, joint, right):
        return False
    shorter = min(len(strip_markers(left).split()), len(strip_markers(right).split()))
    subject = bool(_NEW_SUBJECT.match(right)) and shorter >= rules.subject_clause_min_words
    long = shorter >= rules.clause_min_words
    cited = bool(re.search(r"\]\s*$", left))
    return subject or long and (cited or "," in joint or ";" in joint)


def _cuts(body: str, rules: SupportRules) -> list[re.Match[str]]:
    """The "and"/"but"/";" joints of a sentence that separate claims (never inside a quotation)."""
    cuts, last = [], 0
    for m in _JOIN.finditer(body):
        before = body[: m.start()]
        if before.count('"') % 2 or before.count("“") > before.count("”"):
            continue
        if _separate(body[last : m.start()], m.group(0), body[m.end() :], rules):
            cuts.append(m)
            last = m.end()
    return cuts


def _sentence(raw: str, order: list[int], rules: SupportRules) -> Sentence:
    tail = _TAIL_MARKS.search(raw)
    body = raw[: tail.start()] if tail else raw
    close = _CLOSE.search(body)
    body = body[: close.start()] if close else body
    every = _passages(raw, order)
    pieces, leads, last = [], [""], 0
    for m in _cuts(body, rules):
        pieces.append(body[last : m.start()])
        leads.append(m.group(0))
        last = m.end()
    pieces.append(body[last:])
    if tail and pieces:
        pieces[-1] += tail.group(0)
    claims = [
        Claim(text=" ".join(strip_markers(p).split()), cited=_passages(p, order) or every, lead=lead)
        for p, lead in zip(pieces, leads, strict=True)
    ]
    return Sentence([c for c in claims if c.text], close.group(0) if close else "")


def split_claims(text: str, order: list[int], rules: SupportRules = RULES) -> list[Block]:
    """The answer as paragraphs of sentences of claims; order maps marker k to prompt passage order[k-1]."""
    parts = _BLOCK_SEP.split(text)
    blocks: list[Block] = []
    for i in range(0, len(parts), 2):
        line, sep = parts[i], parts[i - 1] if i else ""
        bullet = _BULLET.match(line)
        prefix = bullet.group(0) if bullet else ""
        block = Block(sep="\n\n" if sep.count("\n") >= 2 else sep[:1], prefix=prefix.lstrip())
        body = line[len(prefix) :]
        for s, e in split_sentences(body):
            raw = body[s:e]
            lead = _LEAD_MARKS.match(raw)
            if lead and block.sentences and block.sentences[-1].claims:
                prev = block.sentences[-1].claims[-1]
                prev.cited = tuple(dict.fromkeys(prev.cited + _passages(lead.group(0), order)))
                raw = raw[lead.end() :]
            sentence = _sentence(raw, order, rules)
            if sentence.claims:
                block.sentences.append(sentence)
        if block.sentences:
            blocks.append(block)
    return blocks


def _join(parts: list[tuple[Claim, str]]) -> str:
    """Kept clauses of one sentence; a sentence whose first clause went starts at the next, capitalised."""
    out = ""
    for claim, text in parts:
        if out:
            out += claim.lead + text
        else:
            out = text[:1].upper() + text[1:] if claim.lead else text
    return out


def render_blocks(blocks: list[Block], shown: Callable[[Claim], str | None]) -> str:
    """The answer again, each claim as `shown` words it (None: it goes); emptied sentences and blocks go too."""
    out: list[str] = []
    for b in blocks:
        sentences = []
        for s in b.sentences:
            parts = [(c, text) for c in s.claims if (text := shown(c)) is not None]
            if parts:
                sentences.append(_join(parts) + s.close)
        if sentences:
            out.append((b.sep if out else "") + b.prefix + " ".join(sentences))
    return "".join(out)
