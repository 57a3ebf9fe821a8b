"""Claim-by-claim attribution of a model's answer, for any model.

The answer is split into claims (sentences, and clauses joined by "and"/"but" that carry facts of their own).
Each claim is matched to the prompt passage that supports it (app/answer/support.py): the passage it cited
when that one supports it, else the best one. Its citation quotes the exact supporting sentence(s). Claims
nothing supports, claims that contradict their passage and claims whose quotation is not in any passage are
removed, and the warnings say how many."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from app.answer.citations import strip_markers
from app.answer.quotes import find, quotations
from app.answer.support import (
    RULES,
    Facts,
    Judgement,
    Span,
    SpanFacts,
    SupportRules,
    claim_facts,
    common_words,
    covering,
    judge,
    span_facts,
    spans,
)
from app.core.protocols import Embedder
from app.core.types import UNSUPPORTED_MARK, Citation, Hit
from app.text.sentences import split_sentences

# Warnings, filled with ("1 claim", "was") or ("2 claims", "were").
REMOVED = "{} of the model's answer matched no passage and {} removed."
KEPT = "{} of the model's answer matched no passage and {} marked (unsupported)."
CONTRADICTED = "{} of the model's answer contradicted the passages and {} removed."
QUOTE_MISSING = "{} of the model's answer quoted words that are not in the articles and {} removed."
QUOTE_FIXED = (
    "{} in the model's answer did not match the article word for word and {} replaced by its exact words."
)

_MARK = re.compile(r"\[(\d+)\]")
_BLOCK_SEP = re.compile(r"(\n[ \t]*\n\s*|\n)")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")
_LEAD_MARKS = re.compile(r"^(?:\s*\[\d+\])+")
_TAIL_MARKS = re.compile(r"(?:\s*\[\d+\])+\s*$")
_CLOSE = re.compile(r"[.!?…]+$")
_JOIN = re.compile(r"\s*(?:,\s*(?:and|but)\s+|;\s+|\s+(?:and|but)\s+)")
_NEW_SUBJECT = re.compile(r"^(?:[A-Z0-9\"“]|(?:it|its|they|their|he|his|she|her|we|this|these|those)\b)")


def _count(n: int, thing: str) -> tuple[str, str]:
    """("1 claim", "was") or ("3 claims", "were")."""
    return (f"1 {thing}", "was") if n == 1 else (f"{n} {thing}s", "were")


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


def _separate(left: str, joint: str, right: str, rules: SupportRules) -> bool:
    """Whether "left and right" are two claims: the right side has a subject of its own, or both sides are
    long and a comma or semicolon joins them. A marker before the joint says the model meant separate claims
    and is enough with either; a fragment ("... [1] and Aleppo [2]") stays joined all the same."""
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


@dataclass
class Trial:
    """One claim on its way through the check."""

    claim: Claim
    text: str  # its words with quotations put right
    facts: Facts | None  # None: nothing to check (no content words, numbers or names)
    spans: list[Span] = field(default_factory=list)
    judged: list[Judgement] = field(default_factory=list)
    fixed: int = 0  # quotations replaced by the passage's exact words
    missing: bool = False  # a quotation found in no passage


@dataclass(frozen=True)
class Checked:
    """The checked answer: text with [n] markers, one citation per supporting span, and what was removed."""

    text: str
    citations: list[Citation]
    warnings: list[str]
    supported: int  # claims kept with a citation


class _Facts:
    """Span facts, computed once per span."""

    def __init__(self, passages: list[Hit], rules: SupportRules) -> None:
        self.passages, self.rules = passages, rules
        self.cache: dict[Span, SpanFacts] = {}

    def __call__(self, span: Span) -> SpanFacts:
        if span not in self.cache:
            self.cache[span] = span_facts(span, self.passages[span.passage], self.rules)
        return self.cache[span]


def _quotes(claim: Claim, passages: list[Hit], rules: SupportRules) -> tuple[str, Span | None, int, bool]:
    """The claim with its quotations put right, the sentences holding them, how many were fixed, and
    whether one is missing. All quotations of a claim must come from one passage."""
    qs = quotations(claim.text)
    if not qs:
        return claim.text, None, 0, False
    order = list(claim.cited) + [i for i in range(len(passages)) if i not in claim.cited]
    found = []
    for q in qs:
        f = find(q.text, passages, order, rules.quote_min_ratio)
        if f.status == "missing":
            return claim.text, None, 0, True
        order = [f.passage]
        found.append((q, f))
    text = claim.text
    for q, f in reversed(found):
        text = text[: q.start] + f.exact + text[q.end :]
    home = found[0][1].passage
    anchor = covering(home, passages[home], min(f.start for _, f in found), max(f.end for _, f in found))
    return text, anchor, sum(f.status == "corrected" for _, f in found), False


def _trial(
    claim: Claim,
    passages: list[Hit],
    every: list[Span],
    common: frozenset[str],
    facts_of: _Facts,
    rules: SupportRules,
) -> Trial:
    text, anchor, fixed, missing = _quotes(claim, passages, rules)
    facts = claim_facts(text, common, rules)
    if missing or not (facts.terms or facts.numbers or facts.names or anchor):
        return Trial(claim, text, None, fixed=fixed, missing=missing)
    candidates = [anchor] if anchor else every
    judged = [judge(facts, facts_of(s), None, rules) for s in candidates]
    return Trial(claim, text, facts, candidates, judged, fixed)


def _wanted(t: Trial, rules: SupportRules) -> list[int]:
    """The spans whose similarity decides: the lexically best of those whose facts hold."""
    pending = [i for i, j in enumerate(t.judged) if j.pending]
    pending.sort(key=lambda i: (-t.judged[i].coverage, len(t.spans[i].sentences)))
    return pending[: rules.similarity_candidates]


def _similarities(
    trials: list[Trial], passages: list[Hit], embedder: Embedder, facts_of: _Facts, rules: SupportRules
) -> None:
    """Judge again, with embeddings (one batch), the spans whose similarity matters."""
    need = [(t, i) for t in trials for i in _wanted(t, rules)]
    if not need:
        return
    claims = list(dict.fromkeys(t.text for t, _ in need))
    sents = list(dict.fromkeys((t.spans[i].passage, s, e) for t, i in need for s, e in t.spans[i].sentences))
    hit_of = [passages[p] for p, _, _ in sents]
    texts = claims + [h.text[s - h.start : e - h.start] for h, (_, s, e) in zip(hit_of, sents, strict=True)]
    vecs = np.asarray(embedder.embed(texts), dtype=np.float32)
    cvec = {c: vecs[k] for k, c in enumerate(claims)}
    svec = {key: vecs[len(claims) + k] for k, key in enumerate(sents)}
    for t, i in need:
        span = t.spans[i]
        sim = max(float(cvec[t.text] @ svec[(span.passage, s, e)]) for s, e in span.sentences)
        assert t.facts is not None
        t.judged[i] = judge(t.facts, facts_of(span), sim, rules)


def _best(pairs: list[tuple[Span, Judgement]]) -> Span:
    """The passage that fits best, and in it the fewest sentences that support the claim."""
    top = max(pairs, key=lambda p: (p[1].fit, -len(p[0].sentences)))[0].passage
    mine = [p for p in pairs if p[0].passage == top]
    return min(mine, key=lambda p: (len(p[0].sentences), not p[1].full, -p[1].fit[1]))[0]


def support_of(t: Trial) -> tuple[str, tuple[Span, ...]]:
    """("cited", spans) for a supported claim, else ("contradicts" | "none" | "quote" | "plain", ())."""
    if t.missing:
        return "quote", ()
    if t.facts is None:
        return "plain", ()
    pairs = [(s, j) for s, j in zip(t.spans, t.judged, strict=True) if j.verdict == "supports"]
    if not pairs:
        return ("contradicts" if any(j.verdict == "contradicts" for j in t.judged) else "none"), ()
    cited = [p for p in pairs if p[0].passage in t.claim.cited]
    if not cited:
        return "cited", (_best(pairs),)
    passages = dict.fromkeys(
        p[0].passage for p in sorted(cited, key=lambda p: t.claim.cited.index(p[0].passage))
    )
    return "cited", tuple(_best([p for p in cited if p[0].passage == i]) for i in passages)


class _Citations:
    """One citation per distinct supporting span, numbered in order of first use."""

    def __init__(self, passages: list[Hit]) -> None:
        self.passages = passages
        self.ids: dict[tuple[str, int, int], int] = {}
        self.list: list[Citation] = []

    def add(self, span: Span) -> int:
        h = self.passages[span.passage]
        key = (h.source, span.start, span.end)
        if key not in self.ids:
            self.ids[key] = len(self.list) + 1
            self.list.append(
                Citation(
                    id=self.ids[key],
                    source=h.source,
                    title=h.title,
                    published=h.published,
                    quote=span.text,
                    start=span.start,
                    end=span.end,
                    publisher=h.publisher,
                )
            )
        return self.ids[key]


def _warnings(counts: dict[str, int], keep_unsupported: bool) -> list[str]:
    templates = [
        ("none", "claim", KEPT if keep_unsupported else REMOVED),
        ("contradicts", "claim", CONTRADICTED),
        ("quote", "claim", QUOTE_MISSING),
        ("fixed", "quotation", QUOTE_FIXED),
    ]
    return [t.format(*_count(counts[k], thing)) for k, thing, t in templates if counts.get(k)]


def _join(parts: list[tuple[Claim, str]]) -> str:
    """Kept clauses of one sentence; a sentence whose first clause went starts at the next, capitalised."""
    out = ""
    for claim, text in parts:
        if out:
            out += claim.lead + text
        else:
            out = text[:1].upper() + text[1:] if claim.lead else text
    return out


def check_claims(
    text: str,
    order: list[int],
    passages: list[Hit],
    embedder: Embedder,
    rules: SupportRules = RULES,
    keep_unsupported: bool = False,
) -> Checked:
    """Attribute each claim of normalised model text (markers [k] name passages[order[k-1]-1])."""
    blocks = split_claims(text, order, rules)
    every = [s for i, h in enumerate(passages) for s in spans(i, h, rules)]
    common, facts_of = common_words(passages), _Facts(passages, rules)
    trials = {
        id(c): _trial(c, passages, every, common, facts_of, rules)
        for b in blocks
        for s in b.sentences
        for c in s.claims
    }
    _similarities(list(trials.values()), passages, embedder, facts_of, rules)
    cites, counts = _Citations(passages), dict[str, int]()
    out: list[str] = []
    for b in blocks:
        sentences = []
        for s in b.sentences:
            parts = []
            for c in s.claims:
                t = trials[id(c)]
                kind, found = support_of(t)
                counts[kind] = counts.get(kind, 0) + 1
                if kind == "cited" or kind == "none" and keep_unsupported:
                    counts["fixed"] = counts.get("fixed", 0) + t.fixed
                if kind == "cited":
                    parts.append((c, t.text + " " + "".join(f"[{cites.add(f)}]" for f in found)))
                elif kind == "plain" or kind == "none" and keep_unsupported:
                    parts.append((c, t.text + (f" {UNSUPPORTED_MARK}" if kind == "none" else "")))
            if parts:
                sentences.append(_join(parts) + s.close)
        if sentences:
            out.append((b.sep if out else "") + b.prefix + " ".join(sentences))
    return Checked("".join(out), cites.list, _warnings(counts, keep_unsupported), counts.get("cited", 0))
