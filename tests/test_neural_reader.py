"""The MPNet reader's decision (app/answer/reader/neural.py) with a scripted reader: whole-phrase spans, lists,
the vetoes (table-driven), the bar, the shape of the answer, the follow-up question the reader reads."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.answer.question.analysis import analyse_question
from app.answer.reader.neural import (
    VETOES,
    Decision,
    Policy,
    Read,
    decide,
    extend_list,
    read,
    reader_question,
    shape_of,
    whole_phrase,
)
from app.core.types import Hit, Query
from tests.factories import make_hit

FERRY = (
    "A passenger ferry between Latakia and Famagusta resumed service on Tuesday after a pause of eleven years, "
    "the port authority said. The first crossing carried 212 passengers and took nine hours."
)


def hit(text: str = FERRY, start: int = 100, hid: str = "h1") -> Hit:
    return make_hit(text, id=hid, source="ferry.txt", title="Ferry", start=start, published="2024-06-04")


@dataclass(frozen=True)
class FakeSpan:
    start: int
    end: int
    text: str
    score: float
    prob: float


class ScriptedReader:
    """Answers every passage with the span of `words` in it (or none), at a fixed probability."""

    def __init__(self, words: str, prob: float) -> None:
        self.words, self.prob = words, prob
        self.asked: list[str] = []

    def read(self, question: str, passages: list[str]) -> list[FakeSpan | None]:
        self.asked.append(question)
        out: list[FakeSpan | None] = []
        for p in passages:
            i = p.find(self.words)
            out.append(None if i < 0 else FakeSpan(i, i + len(self.words), self.words, 1.0, self.prob))
        return out


@pytest.mark.parametrize(
    ("text", "span", "want"),
    [
        ("It costs 250 euros (£173) a month.", "250 euros (£173", "250 euros (£173)"),
        (
            "It costs 250 euros (£173 at today's rate, more later, or less. Then) a month.",
            "250 euros (£173",
            "250 euros",
        ),
        ("The Kafr Luzhin crossing opened.", "afr Luzhin", "Kafr Luzhin"),
        ('They said "no deal" today.', '"no deal', "no deal"),
        ("Up 12% on the year.", "12", "12%"),
        ("He met Hakan Fidan, the minister.", "Hakan Fidan,", "Hakan Fidan"),
    ],
)
def test_whole_phrase(text: str, span: str, want: str) -> None:
    i = text.index(span)
    a, b = whole_phrase(text, i, i + len(span))
    assert text[a:b] == want


@given(st.text(min_size=1, max_size=60), st.data())
def test_whole_phrase_stays_inside_the_text(text: str, data: st.DataObject) -> None:
    a = data.draw(st.integers(0, len(text) - 1))
    b = data.draw(st.integers(a + 1, len(text)))
    s, e = whole_phrase(text, a, b)
    assert 0 <= s <= e <= len(text)


def test_extend_list_takes_the_whole_list() -> None:
    text = "Rebels took Aleppo, Hama and Homs within a week."
    i = text.index("Aleppo")
    assert text[i : extend_list(text, i, i + 6)] == "Aleppo, Hama and Homs"
    one = "Rebels took Aleppo, then rested."
    j = one.index("Aleppo")
    assert extend_list(one, j, j + 6) == j + 6  # no "and": not a list


def _read(sentence: str, span: str, prob: float = 0.9, h: Hit | None = None) -> Read:
    h = h or hit(sentence)
    i = sentence.index(span)
    return Read(
        hit=h,
        start=h.start + i,
        end=h.start + i + len(span),
        text=span,
        score=1.0,
        prob=prob,
        sent_start=h.start,
        sent_end=h.start + len(sentence),
        sentence=sentence,
    )


@pytest.mark.parametrize(
    ("veto", "question", "sentence", "span", "fires"),
    [
        ("number", "How many soldiers died in 2019?", "In 2020, 16 soldiers died.", "16", True),
        ("number", "How many soldiers died in 2020?", "In 2020, 16 soldiers died.", "16", False),
        ("month", "What happened in March?", "In June the convoy crossed.", "the convoy crossed", True),
        ("month", "What happened in June?", "In June the convoy crossed.", "the convoy crossed", False),
        (
            "nationality",
            "What did the French army deploy?",
            "The Turkish army deployed 20 tanks.",
            "20 tanks",
            True,
        ),
        ("negation", "Which town was not captured?", "Rebels captured Saraqib.", "Saraqib", True),
        ("person", "Who leads the group?", "The group is based in Idlib.", "Idlib", False),
        ("person", "Who leads the group?", "The group is led from the north.", "the north", True),
        ("person", "Who leads the group?", "The group is led by Abu Mohammed.", "Abu Mohammed", False),
    ],
)
def test_vetoes(veto: str, question: str, sentence: str, span: str, fires: bool) -> None:
    r = _read(sentence, span)
    assert VETOES[veto](question, analyse_question(question), r) is fires


def test_decide_answers_at_the_bar_and_refuses_below() -> None:
    r = _read("The first crossing carried 212 passengers.", "212 passengers", prob=0.6)
    assert decide("q", [r], 0.6, 0.9, ()).answered
    d = decide("q", [r], 0.61, 0.9, ())
    assert not d.answered and d.reason == "below the bar"
    assert decide("q", [], 0.5, 0.9, ()).reason == "nothing read"


def test_a_veto_passes_to_the_next_read_or_refuses() -> None:
    bad = Read(**{**_read("In 2020, 16 soldiers died.", "16", 0.9).__dict__, "vetoes": ("number",)})
    good = _read("In 2019, 12 soldiers died.", "12", 0.7)
    d = decide("q", [bad, good], 0.5, 0.9, ("number",))
    assert d.answered and d.best is good
    d = decide("q", [bad], 0.5, 0.9, ("number",))
    assert not d.answered and d.reason == "vetoed"
    assert decide("q", [bad], 0.5, 0.9, ()).answered  # a veto that is off stops nothing


def test_shape_span_alone_only_when_sure_and_a_factoid() -> None:
    r = _read("The first crossing carried 212 passengers and took nine hours.", "212 passengers", 0.95)
    assert shape_of(r, True, 0.9, 12) == "span"
    assert shape_of(r, True, 0.96, 12) == "span and sentence"
    assert shape_of(r, False, 0.5, 12) == "span and sentence"  # a why-question: never the span alone
    whole = _read("212 passengers.", "212 passengers", 0.99)
    assert shape_of(whole, True, 0.5, 12) == "sentence"


def test_read_maps_spans_to_document_offsets_and_sentences() -> None:
    h = hit()
    reader = ScriptedReader("212 passengers", 0.8)
    asked, reads = read(Query("How many passengers?", "How many passengers?"), [h], [], reader, 4)
    assert asked == "How many passengers?"
    (r,) = reads
    assert h.text[r.start - h.start : r.end - h.start] == "212 passengers"
    assert r.sentence == "The first crossing carried 212 passengers and took nine hours."
    assert h.text[r.sent_start - h.start : r.sent_end - h.start] == r.sentence


def test_follow_up_pronoun_becomes_the_earlier_short_answer() -> None:
    q = Query("And who backs it?", "x", context="Which group led the offensive?", avoid="HTS [1]")
    assert reader_question(q) == "And who backs HTS?"
    q = Query(
        "Which party is he a member of?", "x", context="Who is Yusuf Katipoglu?", avoid="A long answer."
    )
    assert "Yusuf Katipoglu" in reader_question(q)


def test_policy_from_config_and_overrides() -> None:
    cfg = {"decision": {"bar": 0.42, "alone_bar": 0.8, "vetoes": ["number"], "kinds_first": False}}
    p = Policy.of(cfg, None, None, None)
    assert (p.bar, p.alone_bar, p.vetoes, p.kinds_first) == (0.42, 0.8, ("number",), False)
    p = Policy.of(cfg, 0.3, 0.9, [])
    assert (p.bar, p.alone_bar, p.vetoes) == (0.3, 0.9, ())
    assert Policy.of({}, None, None, None) == Policy()


def test_decision_keeps_every_read_for_explain() -> None:
    reads = [_read("A b c.", "b", 0.2), _read("D e f.", "e", 0.1)]
    d = decide("q", reads, 0.5, 0.9, ())
    assert isinstance(d, Decision) and d.reads == reads and d.bar == 0.5
