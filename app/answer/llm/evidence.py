"""The compact evidence a model answers from: the reader's best sentences, not whole passages.

A 1.5B model on 2 cores reads about 30 tokens a second, so reading three passages (about 1,300 tokens) was
most of a local answer's 25-45 s. The extractive reader has already narrowed them to a few sentences; the
model gets those: best first, each with the sentence before it when it leans on it for its subject ("He
said ..."), duplicates dropped, numbered [1].. as citations, within a token budget.

Each piece of evidence is a Hit of its own (a slice of its passage, with the document offsets of that
slice), so the claim check and the citations work on it exactly as on a passage: a quote is always the
document's own text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from app.answer.question.analysis import resolve_pronoun
from app.core.types import Hit, Query
from app.text.sentences import split_sentences

# A sentence whose subject is in the sentence before it ("He said ...", "The company ...").
LEANS_BACK = re.compile(
    r"^[\"“‘']?(he|she|it|they|his|her|its|their|him|them|this|these|that|those|there|such|both|"
    r"the (company|firm|group|club|team|party|government|bank|minister|president|move|deal|report|"
    r"attack|army|offensive|agreement|man|woman|country|city|band|album|film|player|side|plan))\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Sentence:
    """One candidate sentence: its passage and its absolute document offsets."""

    hit: Hit
    start: int
    end: int


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def previous_sentence(hit: Hit, start: int) -> tuple[int, int] | None:
    """The document offsets of the sentence before the one starting at `start`, inside the same passage."""
    before = None
    for s, e in split_sentences(hit.text, 0, max(0, start - hit.start)):
        before = (hit.start + s, hit.start + e)
    return before


def sentence_at(hit: Hit, start: int, end: int) -> Sentence:
    """The whole sentences of the passage that hold document offsets start..end (a short answer's span is
    widened to its sentence)."""
    spans = [
        (hit.start + s, hit.start + e)
        for s, e in split_sentences(hit.text)
        if hit.start + s < end and start < hit.start + e
    ]
    if not spans:
        return Sentence(hit, max(start, hit.start), min(end, hit.end))
    return Sentence(hit, spans[0][0], spans[-1][1])


def with_subject(s: Sentence) -> Sentence:
    """The sentence, preceded by the one before it when it begins with a word that points back to it."""
    text = s.hit.text[s.start - s.hit.start : s.end - s.hit.start]
    if not LEANS_BACK.match(text):
        return s
    prev = previous_sentence(s.hit, s.start)
    return replace(s, start=prev[0]) if prev else s


def as_hit(s: Sentence) -> Hit:
    """The evidence as a passage of its own: the document's text between its offsets."""
    h = s.hit
    text = h.text[s.start - h.start : s.end - h.start]
    return replace(h, id=f"{h.id}@{s.start}", text=text, start=s.start, end=s.end)


def select(
    sentences: Sequence[Sentence],
    count: Callable[[str], int],
    budget: int,
    most: int = 6,
) -> list[Hit]:
    """The evidence, best first: each sentence with its subject, overlaps merged, duplicates dropped, at most
    `most` pieces and `budget` tokens (by `count`) of evidence text; the first piece is always kept."""
    out: list[Sentence] = []
    seen: set[str] = set()
    used = 0

    def text(x: Sentence) -> str:
        return x.hit.text[x.start - x.hit.start : x.end - x.hit.start]

    for s in sentences:
        s = with_subject(s)
        key = _norm(text(s))
        if not key or key in seen:
            continue
        # overlapping a piece already taken from the same passage (its subject, or itself): join the two
        at = next(
            (i for i, o in enumerate(out) if o.hit.id == s.hit.id and s.start <= o.end and o.start <= s.end),
            None,
        )
        if at is not None:
            o = out[at]
            joined = replace(o, start=min(o.start, s.start), end=max(o.end, s.end))
            extra = count(_norm(text(joined))) - count(_norm(text(o)))
            if extra and used + extra <= budget:
                out[at], used = joined, used + extra
                seen.add(key)
            continue
        cost = count(key) + 4
        if out and used + cost > budget:
            continue  # a shorter, lower-ranked sentence may still fit
        out.append(s)
        seen.add(key)
        used += cost
        if len(out) >= most:
            break
    return [as_hit(s) for s in out]


def format_evidence(evidence: Sequence[Hit]) -> str:
    """Numbered lines: [n] the sentence (outlet, date); the text neutralised so it can't close the block."""
    lines = []
    for n, h in enumerate(evidence, 1):
        text = " ".join(h.text.split()).replace("</evidence", "‹/evidence").replace("<evidence", "‹evidence")
        meta = ", ".join(x for x in (h.publisher, h.published) if x)
        lines.append(f"[{n}] {text}" + (f" ({meta})" if meta else ""))
    return "\n".join(lines)


def resolved_question(query: Query) -> str:
    """The question as the model should read it: a follow-up's pronoun replaced by the one name the question
    before it holds, or a model's standalone rewrite, or else the question with the one before it."""
    q = query.question
    if not query.context:
        return q if query.standalone in (q, "") or query.standalone.startswith(q) else query.standalone
    if query.standalone and query.standalone != q and not query.standalone.startswith(query.context):
        return query.standalone  # rewritten by a model (LLMEngine.condense)
    resolved = resolve_pronoun(q, query.context)
    if resolved != q:
        return resolved
    return f"{q} (This follows the question: {query.context})"
