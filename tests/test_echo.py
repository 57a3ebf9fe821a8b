"""An answer that only restates a wh-question is no answer (app/answer/question/echo.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.answer.question.echo import echoes

CASES = [
    # (answer, question wordings, echoes?)
    (
        "The rebels said they had captured near Aleppo.",
        ["Who did the rebels say they had captured near Aleppo?"],
        True,
    ),
    (
        "The scientists for Public Health England in 2014 were.",
        ["Who was one of the scientists for Public Health England in 2014?"],
        True,
    ),
    ("The crisis started in that year.", ["In which year did the crisis start?"], True),
    ("Hayat Tahrir al-Sham led the assault.", ["Who led the assault?"], False),
    ("The crisis started in 1973.", ["In which year did the crisis start?"], False),
    ("Tel Rifaat", ["Which town did the rebels capture?"], False),
    # yes/no and why-questions are answered in their own words
    ("The rebels captured Aleppo.", ["Did the rebels capture Aleppo?"], False),
    ("Because the rebels advanced.", ["Why did the rebels advance?"], False),
    # a follow-up: the resolved wording counts too, in both directions
    ("The assault on Aleppo was led.", ["Who led it?", "Who led the assault on Aleppo?"], True),
    ("HTS led it.", ["Who led it?", "Who led the assault on Aleppo?"], False),
]


@pytest.mark.parametrize(("answer", "questions", "expected"), CASES)
def test_echo_table(answer: str, questions: list[str], expected: bool):
    assert echoes(answer, *questions) is expected


@given(st.text(max_size=200), st.text(max_size=200))
def test_never_raises_and_a_new_number_is_never_an_echo(question: str, answer: str):
    echoes(answer, question)
    assert not echoes(answer + " 48213", "Who " + question)
