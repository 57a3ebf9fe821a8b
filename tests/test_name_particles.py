"""A span is not cut inside a name at its particle (app/answer/reader/spans.py: name_end)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.answer.reader.neural import whole_phrase
from app.answer.reader.spans import name_end


@pytest.mark.parametrize(
    ("text", "span", "want"),
    [
        ("the Operation Fath al-Mobin command centre", "Operation Fath", "Operation Fath al-Mobin"),
        ("painted by Leonardo da Vinci in 1503", "Leonardo", "Leonardo da Vinci"),
        ("Count Ludwig von Nassau-Saarbrücken ruled", "Count Ludwig", "Count Ludwig von Nassau-Saarbrücken"),
        ("Pedro Menéndez de Avilés founded it", "Pedro Menéndez", "Pedro Menéndez de Avilés"),
        ("in Paris de facto rule", "Paris", "Paris"),  # a lower-case word after the particle: no name
        ("a white van Driver", "white van", "white van"),  # the span ends in no capitalised word
        ("Damascus. De Gaulle came", "Damascus", "Damascus"),  # never across a sentence end
        ("Bashar al-Assad", "Bashar al-Assad", "Bashar al-Assad"),  # already whole
    ],
)
def test_name_end(text: str, span: str, want: str) -> None:
    start = text.index(span)
    assert text[start : name_end(text, start, start + len(span))] == want


def test_whole_phrase_keeps_the_name_whole() -> None:
    text = "Rebels set up the Operation Fath al-Mobin command centre."
    start = text.index("Operation")
    a, b = whole_phrase(text, start, start + len("Operation Fa"))
    assert text[a:b] == "Operation Fath al-Mobin"


@given(st.text(alphabet="abAB -.al", max_size=40), st.data())
def test_name_end_only_widens_within_the_text(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    got = name_end(text, start, end)
    assert end <= got <= len(text)
    assert "." not in text[end:got]


def test_a_hyphenated_word_also_gives_its_parts() -> None:
    from app.text.words import terms

    got = terms("Istanbul-based leader Hadi al-Bahri")
    assert {"istanbul", "base", "bahri"} <= set(got) and "istanbul-bas" in got
    assert "al" not in got  # a two-letter part (the al- of a name) is no term of its own
