"""Dates named in an article's sentences, resolved against its dateline.

Absolute dates that carry a year ("March 5 2020", "December 2019", "in 2019") are read directly. Partial and
relative ones ("10 September", "in March", "on Wednesday", "yesterday", "last month") need the dateline and are
resolved by dateparser with RELATIVE_BASE = the dateline and a preference for the past: a news report mostly
tells what has happened. Without a dateline they are left unplaced rather than guessed.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta
from functools import lru_cache

from dateparser.date import DateDataParser

from app.core.types import EventDate, Grain
from app.text.dates import MONTHS
from app.text.sentences import split_sentences

# Bump when date resolution or the metadata read from documents changes: ingest then re-dates unchanged
# documents in place (their record's metadata and their passages' date fields; no re-embedding).
DATING_VERSION = 2

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Words before a bare month name that make it a date ("in March"), not a verb or a name ("May said").
MONTH_LEAD_WORDS = frozenset(
    "in since until till by from before after during early late mid last this next of between and to the".split()
)
RELATIVE_PHRASES = (
    "yesterday",
    "today",
    "tonight",
    "last night",
    r"(?:earlier |later )?(?:this|last) (?:week|weekend|month|year)",
    r"(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|\d{1,2}) (?:days?|weeks?|months?|years?) ago",
)
_MON = "|".join(m.capitalize() for m in MONTHS)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:19[5-9]\d|20\d\d)"
_CANDIDATE = re.compile(
    rf"\b(?:(?P<d1>{_DAY})\s+(?:of\s+)?(?P<m1>{_MON})(?:,?\s+(?P<y1>{_YEAR}))?"
    rf"|(?P<m2>{_MON})\s+(?P<d2>{_DAY})(?!\d)(?:,?\s+(?P<y2>{_YEAR}))?"
    rf"|(?P<m3>{_MON})(?:,?\s+(?P<y3>{_YEAR}))?"
    rf"|(?P<wd>{'|'.join(w.capitalize() for w in WEEKDAYS)})(?:['’]s)?"
    rf"|(?P<rel>{'|'.join(RELATIVE_PHRASES)})"
    rf"|(?<![$£€\d,.])(?P<y4>{_YEAR})(?![%\d]|[,.]\d))\b",
    re.IGNORECASE,
)


def period(d: date, grain: Grain) -> tuple[date, date]:
    """First and last day of the period a date of this grain stands for."""
    if grain == "year":
        return date(d.year, 1, 1), date(d.year, 12, 31)
    if grain == "month":
        return d.replace(day=1), d.replace(day=calendar.monthrange(d.year, d.month)[1])
    if grain == "week":
        monday = d - timedelta(days=d.weekday())
        return monday, monday + timedelta(days=6)
    return d, d


def _ymd(year: str, month: str, day: str) -> date:
    """date from '2020', 'March', '5th'."""
    return date(int(year), MONTHS[month.lower()], int(re.match(r"\d+", day).group()))  # type: ignore[union-attr]


def _absolute(m: re.Match[str]) -> tuple[date, Grain] | None:
    """A date spelled out with its year; None when it lacks one."""
    try:
        if m.group("y1"):
            return _ymd(m.group("y1"), m.group("m1"), m.group("d1")), "day"
        if m.group("y2"):
            return _ymd(m.group("y2"), m.group("m2"), m.group("d2")), "day"
        if m.group("y3"):
            return date(int(m.group("y3")), MONTHS[m.group("m3").lower()], 1), "month"
        if m.group("y4"):
            return date(int(m.group("y4")), 1, 1), "year"
    except ValueError:  # "31 February 2020"
        return None
    return None


@lru_cache(maxsize=4096)
def resolve_relative(phrase: str, dateline: date) -> tuple[date, Grain] | None:
    """A partial or relative date expression resolved against the dateline (cached: phrases repeat)."""
    words = re.sub(r"^(?:earlier|later) ", "", phrase.lower().replace("’", "'").removesuffix("'s"))
    got = _parser_for(dateline).get_date_data(words)
    if got.date_obj is None:
        return None
    d = got.date_obj.date()
    if words in WEEKDAYS and (dateline - d).days == 7:
        d = dateline  # "on Friday" in Friday's paper is that day, not a week before
    grain: Grain = got.period if got.period in ("day", "week", "month", "year") else "day"  # type: ignore[assignment]
    return d, grain


@lru_cache(maxsize=64)
def _parser_for(dateline: date) -> DateDataParser:
    """dateparser takes RELATIVE_BASE from its settings, so one parser per dateline (articles share them)."""
    base = datetime(dateline.year, dateline.month, dateline.day, 12)
    return DateDataParser(
        languages=["en"],
        settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "past", "RETURN_TIME_AS_PERIOD": True},
    )


def _is_bare_month(m: re.Match[str]) -> bool:
    return bool(m.group("m3")) and not m.group("y3")


def _lead_word(text: str, pos: int) -> str:
    words = text[max(0, pos - 20) : pos].split()
    return words[-1].lower().strip("-") if words else ""


def dates_in(text: str, dateline: date | None) -> list[tuple[str, date, date, Grain]]:
    """(phrase, first day, last day, grain) of each date the text names that can be placed."""
    out = []
    for m in _CANDIDATE.finditer(text):
        phrase = m.group(0)
        if _is_bare_month(m) and (_lead_word(text, m.start()) not in MONTH_LEAD_WORDS or phrase[0].islower()):
            continue
        if (m.group("wd") or m.group("m3") or m.group("m1") or m.group("m2")) and phrase[0].islower():
            continue  # "march", "may" as words, not dates
        got = _absolute(m)
        if got is None and dateline is not None:
            got = resolve_relative(phrase, dateline)
        if got is None:
            continue
        lo, hi = period(*got)
        out.append((phrase, lo, hi, got[1]))
    return out


def event_dates(text: str, spans: list[tuple[int, int]], published: str | None) -> list[EventDate]:
    """The dates each sentence of the article body names, with the sentence's offsets in the document."""
    dateline = _date(published)
    out: list[EventDate] = []
    for s, e in spans:
        for a, b in split_sentences(text, s, e):
            for phrase, lo, hi, grain in dates_in(text[a:b], dateline):
                out.append(
                    EventDate(
                        start=a, end=b, lo=lo.isoformat(), hi=hi.isoformat(), grain=grain, phrase=phrase
                    )
                )
    return out


def _date(iso: str | None) -> date | None:
    try:
        return date.fromisoformat(iso) if iso else None
    except ValueError:
        return None
