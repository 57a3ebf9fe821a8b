"""Quotations in a model's answer must be the article's words: found verbatim (up to whitespace, quote style and
case), else replaced by the nearest exact words of a passage, else reported missing."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

from app.core.types import Hit

QUOTED = re.compile(r"“([^“”]+)”|\"([^\"]+)\"|«([^«»]+)»|‘([^‘’]+)’")
_STYLE = str.maketrans(
    {"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'", "‚": "'", "`": "'"}
)
_EDGE = "\"'“”‘’«»,.;:!?()[] "
# A misquotation may have this many words more or fewer than the passage's words (at least SIZE_SLACK).
SIZE_SLACK, SIZE_SLACK_SHARE = 2, 0.25

Status = Literal["verbatim", "corrected", "missing"]


@dataclass(frozen=True)
class Quoted:
    """One quotation in a claim: where its inner text sits in the claim."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Found:
    """Where a quotation's words are in a passage (absolute document offsets) and how well they matched."""

    status: Status
    passage: int = -1
    start: int = 0
    end: int = 0
    exact: str = ""  # the passage's words, whitespace collapsed, to put in the answer


def quotations(claim: str) -> list[Quoted]:
    """The quoted passages of a claim (their inner text, without the marks)."""
    out = []
    for m in QUOTED.finditer(claim):
        i = next(g for g in range(1, 5) if m.group(g) is not None)
        if m.group(i).strip():
            out.append(Quoted(m.start(i), m.end(i), m.group(i)))
    return out


def _normal(text: str) -> tuple[str, list[int]]:
    """Text with whitespace collapsed, quote marks unified and lower case; and each character's source offset."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if ch.isspace():
            if out and out[-1] == " ":
                continue
            ch = " "
        low = ch.translate(_STYLE).lower()
        out.append(low if len(low) == 1 else ch)
        where.append(i)
    return "".join(out), where


def _verbatim(quote: str, hit: Hit) -> tuple[int, int] | None:
    q = _normal(quote.strip())[0]
    text, where = _normal(hit.text)
    at = text.find(q) if q else -1
    if at < 0:
        return None
    return where[at], where[at + len(q) - 1] + 1


def _windows(text: str, size: int) -> Iterable[tuple[int, int]]:
    """Runs of about `size` words of a (normalised) text, trimmed of punctuation at the edges."""
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    slack = max(SIZE_SLACK, round(size * SIZE_SLACK_SHARE))
    for n in range(max(1, size - slack), size + slack + 1):
        for i in range(len(words) - n + 1):
            s, e = words[i][0], words[i + n - 1][1]
            piece = text[s:e]
            lead = len(piece) - len(piece.lstrip(_EDGE))
            trail = len(piece) - len(piece.rstrip(_EDGE))
            if e - trail > s + lead:
                yield s + lead, e - trail


def _nearest(quote: str, hit: Hit, floor: float) -> tuple[float, int, int]:
    """The passage's words most like the quotation (offsets in hit.text), if any are at least `floor` alike."""
    q = _normal(quote.strip(_EDGE))[0]
    text, where = _normal(hit.text)
    m = SequenceMatcher(None, autojunk=False)
    m.set_seq2(q)  # the matcher indexes the second sequence once
    best = (0.0, 0, 0)
    for s, e in _windows(text, len(q.split())):
        m.set_seq1(text[s:e])
        bar = max(floor, best[0])
        if m.real_quick_ratio() >= bar and m.quick_ratio() >= bar and (ratio := m.ratio()) > best[0]:
            best = (ratio, where[s], where[e - 1] + 1)
    return best


def find(quote: str, passages: list[Hit], order: list[int], min_ratio: float) -> Found:
    """Look for a quotation in the passages (indexes in `order`, the preferred first)."""
    for i in order:
        hit = passages[i]
        if (at := _verbatim(quote, hit)) is not None:
            return _found("verbatim", i, hit, *at)
    best = max(((*_nearest(quote, passages[i], min_ratio), i) for i in order), default=(0.0, 0, 0, -1))
    ratio, s, e, i = best
    if i < 0 or ratio < min_ratio:
        return Found("missing")
    return _found("corrected", i, passages[i], s, e)


def _found(status: Status, i: int, hit: Hit, s: int, e: int) -> Found:
    exact = " ".join(hit.text[s:e].split())
    return Found(status, i, hit.start + s, hit.start + e, exact)
