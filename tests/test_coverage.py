"""Honest refusals: what the archive covers and the closest articles, never as citations."""

from __future__ import annotations

import re

import pytest

from app.answer.grounding.citations import is_refusal
from app.answer.news.coverage import closest, coverage_sentence, honest_refusal
from app.core.types import Hit
from app.store.chroma import DocRecord
from app.text.dates import human_date
from tests.factories import make_hit


def rec(source: str, published: str | None) -> DocRecord:
    return DocRecord(source, "h", f"Title {source}", "Pub", published, [], 1)


def hit(source: str, title: str, published: str | None, publisher: str | None = "Pub") -> Hit:
    return make_hit(id=source, source=source, title=title, publisher=publisher, published=published)


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        (["2020-06-05", "2024-12-03"], "They cover 2 articles from 5 June 2020 to 3 December 2024."),
        (["2020-06-05"], "They cover 1 article dated 5 June 2020."),
        (["2020-06-05", None], "They cover 2 articles; only one has a date line (5 June 2020)."),
        (
            ["2024-12-03", None, "2020-06-05"],
            "They cover 3 articles; the 2 with a date line run from 5 June 2020 to 3 December 2024.",
        ),
        ([None, None], "They cover 2 articles, none of them dated."),
    ],
)
def test_coverage_sentence(dates, expected):
    assert coverage_sentence(rec(str(i), d) for i, d in enumerate(dates)) == expected


@pytest.mark.parametrize(
    ("iso", "grain", "expected"),
    [
        ("2020-06-05", "day", "5 June 2020"),
        ("2020-06-01", "month", "June 2020"),
        ("2020-01-01", "year", "2020"),
        ("2020-06-01", "week", "week of 1 June 2020"),
        ("garbage", "day", "garbage"),
    ],
)
def test_human_date(iso, grain, expected):
    assert human_date(iso, grain) == expected


def test_closest_is_one_per_article_best_first_and_limited():
    hits = [
        hit("a", "A", "2020-06-05"),
        hit("a", "A", "2020-06-05"),
        hit("b", "B", None, None),
        hit("c", "C", None),
    ]
    assert closest(hits, 2) == ["“A” (Pub, 5 June 2020)", "“B” (undated)"]


def test_refusal_names_coverage_without_markers():
    text = honest_refusal([rec("a", "2020-06-05")], [hit("a", "War [2] report", "2020-06-05")], 3)
    assert is_refusal(text)
    assert text.startswith("The indexed articles don't say. They cover 1 article dated 5 June 2020;")
    assert "the closest coverage is: “War (2) report”" in text
    assert not re.search(r"\[\d+\]", text)


def test_refused_answer_through_the_pipeline(deps):
    from app.answer.pipeline import answer

    a = answer("Who won the 2022 FIFA World Cup?", [], deps)
    assert a.refused and a.citations == [] and not re.search(r"\[\d+\]", a.answer)
    assert a.answer.startswith("The indexed articles don't say. They cover 5 articles")
    assert "the closest coverage is: “" in a.answer


def test_refusal_names_the_days_asked_about(deps):
    from app.answer.pipeline import answer

    a = answer("What did Turkey do in Idlib last week?", [], deps)  # the week before the newest article
    assert a.refused and a.answer.startswith(
        "The indexed articles don't say. Nothing on this is dated from 25 May 2020 to 31 May 2020. They cover"
    )
    a = answer("What happened before 2010?", [], deps)
    assert a.refused and "Nothing on this is dated before 1 January 2010." in a.answer
