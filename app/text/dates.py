"""Dates named in text: month and year mentions, full date lines, date expressions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

MONTHS = {
    m: i + 1
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ]
    )
}
_MON = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
DATE_EXPRESSION = re.compile(
    rf"\b(?:(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<m1>{_MON})(?:,?\s+(?P<y1>(?:19|20)\d\d))?"
    rf"|(?P<m2>{_MON})\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<y2>(?:19|20)\d\d))?\b"
    rf"|(?P<m3>{_MON})\s+(?P<y3>(?:19|20)\d\d))\b"
)
_ISO = re.compile(r"\b((?:19|20)\d\d)-(\d\d)-(\d\d)\b")


def _iso(y: str | None, m: str, d: str | None) -> str | None:
    if not y:
        return None
    try:
        return date(int(y), MONTHS[m.lower()], int(d) if d else 1).isoformat()
    except ValueError:
        return None


def parse_date(line: str) -> str | None:
    """ISO date when the line is essentially a full date ('05 June, 2020'), else None."""
    if m := _ISO.fullmatch(line.strip()):
        return m.group(0)
    m = DATE_EXPRESSION.search(line)
    if not m or len(line.strip()) - len(m.group(0)) > 12:
        return None
    if m.group("m1"):
        return _iso(m.group("y1"), m.group("m1"), m.group("d1"))
    if m.group("m2"):
        return _iso(m.group("y2"), m.group("m2"), m.group("d2"))
    return None


def find_dates(texts: Iterable[str]) -> list[str]:
    """Date expressions mentioned in the texts ('10 September', 'March 5 2020'), in order, unique."""
    seen: dict[str, None] = {}
    for t in texts:
        for m in DATE_EXPRESSION.finditer(t):
            seen.setdefault(m.group(0), None)
    return list(seen)


def months_in(text: str) -> set[int]:
    """Month numbers named in a text."""
    return {MONTHS[w.lower()] for w in re.findall(_MON, text)}


def years_in(text: str) -> set[str]:
    return set(re.findall(r"\b(?:19|20)\d\d\b", text))


MONTH_NAMES = [m.capitalize() for m in MONTHS]


def human_date(iso: str, grain: str = "day") -> str:
    """'2020-06-05' as '5 June 2020' (or 'June 2020', '2020', 'week of 1 June 2020' for coarser periods)."""
    try:
        d = date.fromisoformat(iso[:10])
    except ValueError:
        return iso
    if grain == "year":
        return str(d.year)
    if grain == "month":
        return f"{MONTH_NAMES[d.month - 1]} {d.year}"
    day = f"{d.day} {MONTH_NAMES[d.month - 1]} {d.year}"
    return f"week of {day}" if grain == "week" else day
