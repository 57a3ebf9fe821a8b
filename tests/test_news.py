"""News-native answers over the seed index: honest refusals, questions about now, questions naming a time."""

from __future__ import annotations

from datetime import date

import pytest

from app.answer.pipeline import answer
from tests.test_answers import check_invariants


def test_current_question_is_labelled_with_its_date_and_warns_when_old(deps):
    d = check_invariants(answer("How many Turkish soldiers are currently in Idlib?", [], deps))
    assert d["answer"].startswith("As of 5 June 2020") and "25,000" in d["answer"]
    assert any("5 June 2020" in w and "may have changed" in w for w in d["warnings"])
    assert d["question"] == "How many Turkish soldiers are currently in Idlib?"


def test_plain_questions_get_no_date_label(deps):
    d = check_invariants(answer("How many Turkish soldiers were in Idlib province?", [], deps))
    assert not d["answer"].startswith("As of") and "25,000" in d["answer"]


def test_time_filtered_question_answers_from_that_time_only(deps):
    d = check_invariants(answer("What did Russia do in June 2020?", [], deps))
    assert not d["refused"] and "airstrikes" in d["answer"]
    assert all(c["source"].startswith("002") for c in d["citations"])
    d = check_invariants(answer("Which cities did the regime capture before March 2020?", [], deps))
    assert "Saraqeb" in d["answer"]


def test_label_current_unit(seed_settings):
    from app.answer.news.current import label_current
    from app.core.types import Answer, Citation

    cite = Citation(
        id=1, source="s", title="t", published="2024-12-03", quote="q", start=0, end=1, publisher="AJ"
    )
    a = label_current(
        Answer(question="q", answer="x [1]", refused=False, mode="extractive", citations=[cite]),
        seed_settings,
        date(2025, 1, 1),
    )
    assert a.answer == "As of 3 December 2024 (AJ): x [1]" and a.warnings == []
    cite.published = None
    a = label_current(
        Answer(question="q", answer="x [1]", refused=False, mode="extractive", citations=[cite]),
        seed_settings,
        date(2025, 1, 1),
    )
    assert a.answer == "x [1]" and "no date" in a.warnings[0]


def test_according_to_an_outlet_answers_from_that_outlet(deps):
    d = check_invariants(
        answer("What did Turkey position in Jabal Al-Zawiya, according to The New Arab?", [], deps)
    )
    assert "Atilgan" in d["answer"] and {c["publisher"] for c in d["citations"]} == {"The New Arab"}


@pytest.mark.parametrize(
    ("question", "outlet"),
    [
        ("What did Turkey deploy, according to The New Arab?", "The New Arab"),
        ("What did Al Jazeera report about Aleppo?", None),  # not an indexed outlet
        ("What did Pentapostagma's report say?", "Pentapostagma"),
        ("Did Pentapostagma report the convoy?", "Pentapostagma"),
    ],
)
def test_asked_outlet(question, outlet):
    from app.answer.news.outlets import asked_outlet

    got = asked_outlet(question, {"The New Arab", "Pentapostagma", "Asharq Al-Awsat"})
    assert (got[0] if got else None) == outlet
