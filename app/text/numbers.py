"""Numbers named in text, as comparable values: "twenty" and "20", "25,000" and "25000", "2.5 million"."""

from __future__ import annotations

import re
from dataclasses import dataclass

UNITS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen".split()
    )
}
TENS = {w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)}
SCALES = {
    "hundred": 100,
    "thousand": 1_000,
    "million": 1_000_000,
    "billion": 1_000_000_000,
    "bn": 1_000_000_000,
}
_TOKEN = re.compile(r"\d[\d,]*(?:\.\d+)?(?:st|nd|rd|th)?|[A-Za-z]+")
_DIGITS = re.compile(r"(\d[\d,]*(?:\.\d+)?)(?:st|nd|rd|th)?")


@dataclass(frozen=True)
class Mention:
    """One number in a text: its value in canonical form and where it was written."""

    value: str  # "20", "25000", "2.5"
    start: int
    end: int
    text: str


def _canonical(x: float) -> str:
    return str(int(x)) if x == int(x) else f"{x:g}"


def _digits(token: str) -> float | None:
    m = _DIGITS.fullmatch(token)
    if not m:
        return None
    raw = m.group(1).replace(",", "")
    try:
        return float(raw)
    except ValueError:
        return None


def _adjacent(text: str, a: re.Match[str], b: re.Match[str]) -> bool:
    """Nothing, a space or a hyphen between two tokens: parts of one number."""
    return text[a.end() : b.start()] in ("", " ", "-")


def numbers(text: str) -> list[Mention]:
    """Every number in the text, digits or words, with a following scale word folded in ("2.5 million")."""
    out: list[Mention] = []
    toks = list(_TOKEN.finditer(text))
    i = 0
    while i < len(toks):
        m = toks[i]
        word = m.group(0).lower()
        value = _digits(m.group(0))
        j = i + 1
        if value is None and (word in UNITS or word in TENS):
            value = float(UNITS.get(word, TENS.get(word, 0)))
            # "twenty-five", "twenty five"
            if (
                word in TENS
                and j < len(toks)
                and toks[j].group(0).lower() in UNITS
                and _adjacent(text, m, toks[j])
            ):
                value += UNITS[toks[j].group(0).lower()]
                j += 1
        if value is None:
            i += 1
            continue
        while j < len(toks) and toks[j].group(0).lower() in SCALES and _adjacent(text, toks[j - 1], toks[j]):
            value *= SCALES[toks[j].group(0).lower()]
            j += 1
        end = toks[j - 1].end()
        out.append(Mention(_canonical(value), m.start(), end, text[m.start() : end]))
        i = j
    return out


def values(text: str) -> set[str]:
    """The canonical values of every number in the text."""
    return {m.value for m in numbers(text)}
