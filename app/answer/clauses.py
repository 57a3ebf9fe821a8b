"""The clause of a sentence around a short answer: a middle ground between the reader's span and the sentence.

When the span decision does not trust the reader's span enough to give it alone, the answer is still often in
the clause around it: "The Rhine ... flows 1,230 km, of which 86 km turn north" answers "How long is the section
that turns north?" better as "of which 86 km turn north" than as the whole 40-word sentence. Clauses end at
punctuation that separates them (a comma not inside a number, a semicolon, a colon, brackets, a dash).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Where a clause ends: ", " (not "10,000"), ";", ":", brackets, a spaced dash.
_BOUNDARY = re.compile(r",(?!\d)|;|:(?!\d)|\(|\)|\s[–—-]\s")


@dataclass(frozen=True)
class Clause:
    """A clause (character offsets into the same text as the span it was found around)."""

    start: int
    end: int
    text: str


def clause_around(text: str, start: int, end: int, lo: int, hi: int, max_share: float) -> Clause | None:
    """The clause of text[lo:hi] (a sentence) that holds text[start:end] (a span), when it is shorter than
    `max_share` of the sentence's words and longer than the span; else None (the sentence, or the span, is the
    better answer)."""
    if not (lo <= start < end <= hi):
        return None
    cuts = [m for m in _BOUNDARY.finditer(text, lo, hi)]
    left = max((m.end() for m in cuts if m.end() <= start), default=lo)
    right = min((m.start() for m in cuts if m.start() >= end), default=hi)
    while left < right and not text[left].isalnum() and text[left] not in "\"'“$£€":
        left += 1
    while right > left and text[right - 1] in " .,;:!?":
        right -= 1
    words, sentence_words = len(text[left:right].split()), len(text[lo:hi].split())
    if words <= len(text[start:end].split()) or words > max_share * sentence_words:
        return None
    return Clause(left, right, text[left:right])
