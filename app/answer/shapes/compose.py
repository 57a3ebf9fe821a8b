"""Turning chosen sentences (and short spans) into the answer object: text with [n] markers and citations
whose quote is the exact supporting sentence(s)."""

from __future__ import annotations

import re

from app.answer.reader.choose import Choice
from app.answer.reader.extractive import Scored
from app.core.types import REFUSAL, Answer, Citation, Query

_EDGE_PUNCT = " \t\n,;:.\"'“”‘’()[]"
_TRAILING_WORDS = re.compile(r"\s+(and|or|of|the|a|an|in|on|at|to|by|for|with)$", re.IGNORECASE)


def refusal(query: Query, warnings: list[str]) -> Answer:
    return Answer(question=query.question, answer=REFUSAL, refused=True, mode="extractive", warnings=warnings)


def clean_span(text: str) -> str:
    """A span as an answer: edge punctuation and dangling function words trimmed, whitespace collapsed."""
    out = " ".join(text.split()).strip(_EDGE_PUNCT)
    while (trimmed := _TRAILING_WORDS.sub("", out)) != out:
        out = trimmed.strip(_EDGE_PUNCT)
    return out


def short_answer(query: Query, choice: Choice, warnings: list[str]) -> Answer:
    """The answer in a few words (the choice's span), cited to the sentence it stands in."""
    if choice.span_start is None or choice.span_end is None:
        raise ValueError("short_answer needs a choice with a span")
    return words_answer(query, choice.sentence, choice.span_start, choice.span_end, warnings)


def words_answer(
    query: Query, sentence: Scored, start: int, end: int, warnings: list[str], with_sentence: bool = False
) -> Answer:
    """A few words of the sentence (absolute offsets start:end) as the answer, cited to the whole sentence;
    with_sentence: the words, then the sentence they stand in (when the reader is not sure enough of the words
    alone: never less right than the sentence)."""
    h = sentence.hit
    words = clean_span(h.text[start - h.start : end - h.start])
    c = Citation.of(1, h, sentence.start, sentence.end)
    text = f"{words} — {' '.join(c.quote.split())}" if with_sentence else words
    return Answer(
        question=query.question,
        answer=f"{text} [1]",
        refused=False,
        mode="extractive",
        citations=[c],
        warnings=warnings,
    )


def sentences_answer(query: Query, chosen: list[Scored], warnings: list[str], prefix: str = "") -> Answer:
    """Chosen sentences, adjacent ones of a passage cited together, each group followed by its [n]."""
    citations: list[Citation] = []
    parts: list[str] = []
    for group in groups(chosen):
        first, last = group[0], group[-1]
        c = Citation.of(len(citations) + 1, first.hit, first.start, last.end)
        citations.append(c)
        parts.append(f"{' '.join(c.quote.split())} [{c.id}]")
    return Answer(
        question=query.question,
        answer=prefix + " ".join(parts),
        refused=False,
        mode="extractive",
        citations=citations,
        warnings=warnings,
    )


def groups(chosen: list[Scored]) -> list[list[Scored]]:
    """Adjacent sentences of one passage become one citation."""
    out: list[list[Scored]] = []
    for s in chosen:
        if out:
            prev = out[-1][-1]
            same = prev.hit.id == s.hit.id
            gap = s.hit.text[prev.end - s.hit.start : s.start - s.hit.start] if same else "x"
            if same and s.start >= prev.end and not gap.strip():
                out[-1].append(s)
                continue
        out.append([s])
    return out
