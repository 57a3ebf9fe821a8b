"""Time windows named by questions."""

from __future__ import annotations

from datetime import date

import pytest

from app.answer.question.timeq import time_window

NOW = date(2024, 12, 3)  # the newest article's date


@pytest.mark.parametrize(
    ("question", "lo", "hi", "present"),
    [
        ("What happened in 2020?", date(2020, 1, 1), date(2020, 12, 31), False),
        ("What did Turkey do in June 2020?", date(2020, 6, 1), date(2020, 6, 30), False),
        ("What happened on 5 March 2020 in Idlib?", date(2020, 3, 5), date(2020, 3, 5), False),
        ("What has happened in Idlib since June 2020?", date(2020, 6, 1), None, False),
        ("What happened after 2019?", date(2020, 1, 1), None, False),
        ("What happened before March 2020?", None, date(2020, 2, 29), False),
        ("Who captured Saraqeb before 2021?", None, date(2020, 12, 31), False),
        (
            "What happened between June 2020 and December 2024 in Idlib?",
            date(2020, 6, 1),
            date(2024, 12, 31),
            False,
        ),
        ("What happened last week?", date(2024, 11, 25), date(2024, 12, 1), False),
        ("What happened in the last 30 days?", date(2024, 11, 3), NOW, False),
        ("What happened this year in Syria?", date(2024, 1, 1), date(2024, 12, 31), False),
        # no window: a month without a year, or no time at all
        ("What did Turkey deploy in September?", None, None, False),
        ("Which group led the offensive?", None, None, False),
        # present tense
        ("What is the latest on the opposition advance?", None, None, True),
        ("Who currently controls Idlib?", None, None, True),
        ("Is the ceasefire still holding in 2020?", date(2020, 1, 1), date(2020, 12, 31), True),
    ],
)
def test_time_window(question, lo, hi, present):
    w = time_window(question, NOW)
    assert (w.lo, w.hi, w.present) == (lo, hi, present)


def test_relative_words_need_a_now():
    assert not time_window("What happened last week?", None).bounded


def test_contains():
    w = time_window("What happened since June 2020?", NOW)
    assert w.contains(date(2020, 6, 3), date(2020, 6, 3)) and w.contains(date(2020, 1, 1), date(2020, 12, 31))
    assert not w.contains(date(2019, 12, 1), date(2019, 12, 31))


@pytest.mark.parametrize(
    ("question", "reader"),
    [
        ("What did Russia do in June 2020?", "What did Russia do?"),
        ("What happened before March 2020 in Idlib?", "What happened in Idlib?"),
        ("How many soldiers are currently in Idlib?", "How many soldiers are in Idlib?"),
        ("How many Turkish soldiers died in the 2020 Idlib offensive?", None),  # a year naming a thing
    ],
)
def test_strip_time(question, reader):
    from app.answer.question.timeq import strip_time

    w = time_window(question, NOW)
    assert strip_time(question, w) == (reader or question)


def test_narrow_keeps_the_sentences_dated_in_the_window():
    from app.answer.question.timeq import narrow
    from app.core.types import EventDate, Hit

    text = "On Wednesday, Russia struck. Nothing was said. In 2019 a deal was made. It held."
    doc_start = 100
    wed = EventDate(start=100, end=128, lo="2020-06-03", hi="2020-06-03", grain="day", phrase="Wednesday")
    y19 = EventDate(start=147, end=171, lo="2019-01-01", hi="2019-12-31", grain="year", phrase="2019")
    hit = Hit(
        id="p",
        text=text,
        source="s",
        title="t",
        publisher=None,
        published="2020-06-05",
        start=doc_start,
        end=doc_start + len(text),
        score=1.0,
        dense=0.5,
        events=(wed, y19),
    )
    parts = narrow(hit, time_window("What happened in June 2020?", NOW))
    # the Wednesday sentence and the undated one after it (dated by the dateline), then "It held."
    assert [p.text for p in parts] == ["On Wednesday, Russia struck. Nothing was said.", "It held."]
    assert all(text[p.start - doc_start : p.end - doc_start] == p.text for p in parts)
    assert [p.text for p in narrow(hit, time_window("What happened in 2019?", NOW))] == [
        "In 2019 a deal was made."
    ]
