"""Sentences with exact character offsets."""

from __future__ import annotations

import re

# Hand-written because it must keep exact offsets and run on every passage at query time:
# pysbd's char_span mode is ~50x slower here and syntok re-tokenises the whole text.
_ABBREV = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "st",
    "sr",
    "jr",
    "gen",
    "lt",
    "col",
    "sgt",
    "capt",
    "cpl",
    "maj",
    "rev",
    "gov",
    "sen",
    "rep",
    "no",
    "vs",
    "etc",
    "inc",
    "ltd",
    "co",
    "corp",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "u.s",
    "u.k",
    "u.n",
    "e.g",
    "i.e",
    "approx",
    "dept",
    "fig",
    "mt",
}
_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])|[.!?]+[\"'”’)\]]*$")
_WORD_BEFORE = re.compile(r"([\w.]+)$")


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans (absolute offsets, whitespace trimmed) of text[start:end]."""
    end = len(text) if end is None else end
    chunk = text[start:end]
    spans: list[tuple[int, int]] = []
    cur = 0
    for m in _BOUNDARY.finditer(chunk):
        stop = m.end()
        if m.group(0).startswith(".") and _is_abbreviation(chunk[cur : m.start()]):
            continue
        spans.append((cur, stop))
        cur = stop
    if chunk[cur:].strip():
        spans.append((cur, len(chunk)))
    out = []
    for s, e in spans:
        piece = chunk[s:e]
        lead = len(piece) - len(piece.lstrip())
        trail = len(piece) - len(piece.rstrip())
        if e - trail > s + lead:
            out.append((start + s + lead, start + e - trail))
    return out


def _is_abbreviation(before: str) -> bool:
    m = _WORD_BEFORE.search(before)
    if not m:
        return False
    word = m.group(1).lower()
    return word in _ABBREV or (len(word) == 1 and word.isalpha())
