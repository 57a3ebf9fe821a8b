"""The time a question names: a window of days to filter or boost retrieval by, and whether it asks about now.

"in 2020", "in September 2023", "since June 2020", "before March 2020", "between June 2020 and December 2024",
"last week" / "this year" (relative to the newest article: the archive's "now"). A month without a year ("in
September") gives no window: the extractive reader already matches months by name, and guessing the year
would hide the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta

from app.core.types import EventDate, Hit
from app.text.dates import human_date
from app.text.eventdates import dates_in
from app.text.sentences import split_sentences

# Words that ask for the state of things now: answered from the newest relevant article, labelled with its date.
PRESENT_WORDS = (
    "current",
    "currently",
    "now",
    "latest",
    "most recent",
    "newest",
    "today",
    "at present",
    "presently",
    "these days",
    "still",
    "as of now",
)
_PRESENT = re.compile(rf"\b(?:{'|'.join(PRESENT_WORDS)})\b", re.IGNORECASE)
# How a date phrase bounds the window: the words just before it.
OPEN_AFTER = ("since", "after", "from", "starting")
OPEN_BEFORE = ("before", "until", "till", "prior to", "by")
WITHIN = ("in", "on", "during", "throughout")
_BETWEEN = re.compile(r"\bbetween\s+(?P<a>.+?)\s+and\s+(?P<b>.+?)(?=[?.!,]|\s+(?:in|about|on|for)\b|$)", re.I)
_LEAD = re.compile(
    rf"\b(?P<lead>{'|'.join(OPEN_AFTER + OPEN_BEFORE + WITHIN)})\s+(?:the\s+year\s+)?$", re.IGNORECASE
)
_RECENT = re.compile(
    r"\b(?:in|over|during) the (?:last|past) (?P<n>\d+|a|one|two|three|few) (?P<unit>day|week|month|year)s?\b",
    re.I,
)
_NUMBERS = {"a": 1, "one": 1, "two": 2, "three": 3, "few": 3}
_UNIT_DAYS = {"day": 1, "week": 7, "month": 31, "year": 366}


@dataclass(frozen=True)
class TimeWindow:
    """Days the question asks about (either end open), as written; present: it asks about now."""

    lo: date | None = None
    hi: date | None = None
    phrase: str = ""
    present: bool = False
    adverbial: str = ""  # "in June 2020", "since 2019": the words that set when, as a phrase of the question

    @property
    def bounded(self) -> bool:
        return self.lo is not None or self.hi is not None

    def holds(self, lo: date, hi: date) -> bool:
        """Whether the whole period lo..hi lies in the window."""
        return (self.lo is None or lo >= self.lo) and (self.hi is None or hi <= self.hi)

    def contains(self, lo: date, hi: date) -> bool:
        """Whether the period lo..hi overlaps the window."""
        return (self.lo is None or hi >= self.lo) and (self.hi is None or lo <= self.hi)


def _placed(text: str, now: date | None) -> list[tuple[str, date, date, int]]:
    """Date phrases in the text that carry a year or are relative to now (not bare months), with positions."""
    out = []
    for phrase, lo, hi, _ in dates_in(text, now):
        pos = text.find(phrase)
        bare_month = not re.search(r"\d{4}", phrase) and not re.search(
            r"\b(?:last|this|ago|yesterday|today|week)\b", phrase, re.I
        )
        if not bare_month:
            out.append((phrase, lo, hi, pos))
    return out


def time_window(question: str, now: date | None) -> TimeWindow:
    """The window of days a question names; now is the newest article's date (None: relative words ignored)."""
    present = bool(_PRESENT.search(question))
    if m := _BETWEEN.search(question):
        a, b = _placed(m.group("a"), now), _placed(m.group("b"), now)
        if a and b:
            return TimeWindow(a[0][1], b[-1][2], m.group(0), present, m.group(0))
    if (m := _RECENT.search(question)) and now is not None:
        n = _NUMBERS.get(m.group("n").lower()) or int(m.group("n"))
        lo = now - timedelta(days=n * _UNIT_DAYS[m.group("unit").lower()])
        return TimeWindow(lo, now, m.group(0), present, m.group(0))
    placed = _placed(question, now)
    if not placed:
        return TimeWindow(present=present)
    phrase, lo, hi, pos = placed[0]
    lead = _LEAD.search(question[:pos])
    word = lead.group("lead").lower() if lead else ""
    said = f"{lead.group(0)}{phrase}" if lead else phrase
    relative = not re.search(r"\d{4}", phrase)  # "last week", "this year": a time phrase on its own
    adverbial = said if lead or relative else ""
    if word in OPEN_AFTER:  # "after March 2020" starts in April; "since March 2020" in March
        return TimeWindow(hi + timedelta(days=1) if word == "after" else lo, None, said, present, adverbial)
    if word in OPEN_BEFORE:
        return TimeWindow(None, lo - timedelta(days=1) if word != "by" else hi, said, present, adverbial)
    return TimeWindow(lo, hi, said, present, adverbial)


def window_words(window: TimeWindow) -> str:
    """'from 25 May 2020 to 31 May 2020', 'since 1 June 2020', 'before 1 March 2020': the days searched."""
    lo = human_date(window.lo.isoformat()) if window.lo else ""
    hi = human_date(window.hi.isoformat()) if window.hi else ""
    if lo and hi:
        return f"from {lo} to {hi}" if lo != hi else f"on {lo}"
    if lo:
        return f"since {lo}"
    if hi and window.hi is not None:
        return f"before {human_date((window.hi + timedelta(days=1)).isoformat())}"
    return ""


def strip_time(text: str, window: TimeWindow) -> str:
    """The question without its time phrase and present-tense words: retrieval and the time filter deal with
    when, so the reader is not asked to find "2020" or "latest" in the answering sentence."""
    if window.adverbial:
        text = text.replace(window.adverbial, " ")
    if window.present:
        text = _PRESENT.sub(" ", text)
    return re.sub(r"\s+([?.!,])", r"\1", re.sub(r"\s{2,}", " ", text)).strip()


def periods(events: tuple[EventDate, ...], published: str | None) -> list[tuple[date, date]]:
    """The periods a passage is dated by: the dates its sentences name and its article's dateline."""
    out = [(date.fromisoformat(e.lo), date.fromisoformat(e.hi)) for e in events]
    if published:
        try:
            d = date.fromisoformat(published)
            out.append((d, d))
        except ValueError:
            pass
    return out


def narrow(hit: Hit, window: TimeWindow) -> list[Hit]:
    """The runs of a passage's sentences that are dated in the window: by a date they name, else (naming
    none) by the article's dateline. Offsets stay those of the document, so citations stay exact."""
    named: dict[int, list[tuple[date, date]]] = {}
    for e in hit.events:
        named.setdefault(e.start, []).append((date.fromisoformat(e.lo), date.fromisoformat(e.hi)))
    dateline = periods((), hit.published)
    runs: list[list[tuple[int, int]]] = []
    last_in = False
    for a, b in split_sentences(hit.text):
        dated = named.get(hit.start + a) or dateline
        # held, not merely overlapping: "in 2020" doesn't say it was in June 2020
        inside = any(window.holds(lo, hi) for lo, hi in dated)
        if inside:
            if not last_in:
                runs.append([])
            runs[-1].append((a, b))
        last_in = inside
    return [
        replace(
            hit,
            id=f"{hit.id}@{run[0][0]}",
            text=hit.text[run[0][0] : run[-1][1]],
            start=hit.start + run[0][0],
            end=hit.start + run[-1][1],
        )
        for run in runs
    ]
