""" "Who said …?" answered by a statement whose speaker is only "he said": the sentence naming the speaker comes
with it (app/answer/shapes/said.speaker_before), within a passage and across the boundary of two retrieved
passages of one article, never across a gap."""

from __future__ import annotations

import pytest

from app.answer.reader.extractive import Scored
from app.answer.shapes.said import speaker_before
from app.core.types import Hit
from tests.factories import make_hit as _make_hit

ARTICLE = (
    "Yusuf Katipoglu, a party member, told reporters that 25,000 soldiers were in the province. "
    "Russia has suffered defeats in Libya. "
    "But Turkey is ready for all possibilities, he said. "
    "Rebels would launch a counter-offensive."
)


def passage(start: int, end: int, source: str = "a.txt") -> Hit:
    return make_hit(f"{source}:{start}", ARTICLE[start:end], source, start)


def make_hit(id_: str, text: str, source: str, start: int = 0) -> Hit:
    return _make_hit(text, id=id_, source=source, start=start)


def statement(hit: Hit) -> Scored:
    s = ARTICLE.index("But Turkey")
    e = ARTICLE.index("Rebels") - 1
    return Scored(hit, s, e, ARTICLE[s:e], 1.0, True, 2)


def test_the_speaker_in_the_same_passage() -> None:
    h = passage(0, len(ARTICLE))
    got = speaker_before("Who said Turkey is ready for all possibilities?", statement(h), [h])
    assert (
        got is not None
        and got.text.startswith("Yusuf Katipoglu")
        and ARTICLE[got.start : got.end] == got.text
    )


def test_across_two_retrieved_passages() -> None:
    cut = ARTICLE.index("Russia")
    first, second = passage(0, cut - 1), passage(cut, len(ARTICLE))
    got = speaker_before("Who said Turkey is ready?", statement(second), [second, first])
    assert got is not None and got.hit is first and got.text.startswith("Yusuf")


def test_never_across_a_gap() -> None:
    cut = ARTICLE.index("Russia")
    first = passage(0, cut - 20)  # the passage before ends well before the next begins: not retrieved
    second = passage(cut, len(ARTICLE))
    assert speaker_before("Who said Turkey is ready?", statement(second), [second, first]) is None


@pytest.mark.parametrize(
    "question",
    [
        "What did Yusuf Katipoglu say about Turkey?",  # the speaker is named: the said finder's question
        "Who is ready for all possibilities?",  # asks no one's words
        "When did he say Turkey is ready?",
    ],
)
def test_only_who_said_questions(question: str) -> None:
    h = passage(0, len(ARTICLE))
    assert speaker_before(question, statement(h), [h]) is None


def test_a_statement_naming_its_speaker_needs_nothing() -> None:
    text = "Turkey is ready, said Foreign Minister Hakan Fidan."
    h = make_hit("b:0", text, "b.txt")
    assert (
        speaker_before("Who said Turkey is ready?", Scored(h, 0, len(text), text, 1.0, True, 0), [h]) is None
    )
