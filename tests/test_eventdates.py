"""Dates in sentences resolved against the article's dateline: absolute, partial and relative."""

from __future__ import annotations

from datetime import date

import pytest

from app.text.eventdates import dates_in, event_dates, period

FRIDAY = date(2020, 6, 5)  # the dateline of seed 002, a Friday


@pytest.mark.parametrize(
    ("text", "dateline", "expected"),
    [
        # absolute: the year is written, no dateline needed
        ("The March 5 2020 agreement held.", None, [("2020-03-05", "2020-03-05", "day")]),
        ("It was signed on 5 March, 2020.", None, [("2020-03-05", "2020-03-05", "day")]),
        ("Cities captured in December 2019 fell.", None, [("2019-12-01", "2019-12-31", "month")]),
        ("In 2020, forces launched an offensive.", None, [("2020-01-01", "2020-12-31", "year")]),
        ("As of 2020, the lines held.", FRIDAY, [("2020-01-01", "2020-12-31", "year")]),
        # partial: the year that makes sense before the dateline
        ("On 10 September, troops moved.", date(2023, 9, 15), [("2023-09-10", "2023-09-10", "day")]),
        ("On 10 September, troops moved.", FRIDAY, [("2019-09-10", "2019-09-10", "day")]),
        ("Later, on September 1, a raid.", date(2023, 9, 15), [("2023-09-01", "2023-09-01", "day")]),
        ("It ended with the March ceasefire.", FRIDAY, [("2020-03-01", "2020-03-31", "month")]),
        ("Talks began in June.", FRIDAY, [("2020-06-01", "2020-06-30", "month")]),
        # relative: against the dateline
        ("On Wednesday, Russia launched strikes.", FRIDAY, [("2020-06-03", "2020-06-03", "day")]),
        ("On Friday, the army said.", FRIDAY, [("2020-06-05", "2020-06-05", "day")]),
        ("Monday's attack followed.", FRIDAY, [("2020-06-01", "2020-06-01", "day")]),
        ("Yesterday the talks failed.", FRIDAY, [("2020-06-04", "2020-06-04", "day")]),
        ("Prices rose last month.", FRIDAY, [("2020-05-01", "2020-05-31", "month")]),
        ("Prices rose earlier this month.", FRIDAY, [("2020-06-01", "2020-06-30", "month")]),
        ("The deal was struck two weeks ago.", FRIDAY, [("2020-05-18", "2020-05-24", "week")]),
        # nothing to place: no dateline for a relative date, or no date at all
        ("On Wednesday, Russia launched strikes.", None, []),
        ("On 10 September, troops moved.", None, []),
        (
            "Theresa May said 2,000 troops and 2020 troops may march.",
            None,
            [("2020-01-01", "2020-12-31", "year")],
        ),
        ("Costs rose 2019% to $2021.", None, []),
        ("He may march on.", FRIDAY, []),
    ],
)
def test_dates_in(text, dateline, expected):
    got = [(lo.isoformat(), hi.isoformat(), grain) for _, lo, hi, grain in dates_in(text, dateline)]
    assert got == expected


@pytest.mark.parametrize(
    ("day", "grain", "lo", "hi"),
    [
        (date(2020, 2, 10), "month", date(2020, 2, 1), date(2020, 2, 29)),
        (date(2020, 6, 3), "week", date(2020, 6, 1), date(2020, 6, 7)),
        (date(2020, 6, 3), "year", date(2020, 1, 1), date(2020, 12, 31)),
        (date(2020, 6, 3), "day", date(2020, 6, 3), date(2020, 6, 3)),
    ],
)
def test_period(day, grain, lo, hi):
    assert period(day, grain) == (lo, hi)


def test_event_dates_carry_the_sentence_offsets():
    text = "Header\n\nOn Wednesday, Russia struck. Nothing else happened. In 2019 a deal was made.\n"
    body = (8, len(text) - 1)
    evs = event_dates(text, [body], "2020-06-05")
    assert [(text[e.start : e.end], e.lo, e.phrase) for e in evs] == [
        ("On Wednesday, Russia struck.", "2020-06-03", "Wednesday"),
        ("In 2019 a deal was made.", "2019-01-01", "2019"),
    ]
