"""Table-driven tests of the learned reader's parts: signals, question kinds, spans, overview, the model file.

No index and no model: passages are built by hand, the embedder is not needed.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.answer.question.analysis import analyse_question, resolve_pronoun
from app.answer.question.kinds import asks_for_one
from app.answer.reader.answerability import (
    FEATURES,
    MODELS,
    SPAN_FEATURES,
    AnswerabilityModel,
    Candidate,
    SpanModel,
    feature_vector,
    span_features,
)
from app.answer.reader.choose import Choice, choose, crisp
from app.answer.reader.extractive import Scored
from app.answer.reader.signals import (
    ANTONYMS_FILE,
    antonym_clash,
    negation_mismatch,
    new_capitalised,
    numbers_missing,
)
from app.answer.reader.spans import far_from_focus
from app.answer.shapes.compose import clean_span, sentences_answer, short_answer
from app.answer.shapes.overview import facts, subject
from app.core.types import Hit, Query
from tests.factories import make_hit


@pytest.mark.parametrize(
    ("question", "sentence", "clash"),
    [
        ("What city has one of the smallest ports?", "Duisburg has the largest river port.", True),
        ("What city has one of the largest ports?", "Duisburg has the largest river port.", False),
        ("What name is used for larger streams?", "The name is used for smaller streams.", True),
        ("Which is the first bridge?", "It was the first and last bridge.", False),
        ("When did prices rise?", "Prices fell in 1974.", True),
        # WordNet's opposites (app/answer/reader/antonyms.json), in any inflection
        ("Did the army meet heavy resistance?", "The army met light resistance.", True),
        ("What captures the informal notion?", "It captures the formal notion.", True),
        (
            "What makes the bounds dependent on the model?",
            "This makes the bounds independent of the model.",
            True,
        ),
        ("Was the theory correct?", "The theory was incorrect.", True),
        ("Which team won the final?", "Chelsea lost the final.", True),
        # the asked word is there in another form: no clash, whatever else the sentence says
        ("When did prices rise?", "Prices rose and then fell.", False),
        ("Did the team win?", "The team won after it had lost twice.", False),
        ("Which city is larger?", "Bonn is large; Cologne is small.", False),
    ],
)
def test_antonym_clash(question, sentence, clash):
    assert antonym_clash(question, sentence) is clash


@pytest.mark.parametrize(
    ("question", "sentence", "mismatch"),
    [
        ("What did the group not accept?", "The group accepted the deal.", True),
        ("What did the group accept?", "The group accepted the deal.", False),
        ("What wasn't built?", "The bridge wasn't built.", False),
        ("Who refused?", "He didn't refuse.", True),
    ],
)
def test_negation_mismatch(question, sentence, mismatch):
    assert negation_mismatch(question, sentence) is mismatch


@pytest.mark.parametrize(
    ("question", "sentence", "numbers", "names"),
    [
        ("What happened in 1973?", "Prices rose in 1973.", 0, 0),
        ("What happened in 1974?", "Prices rose in 1973.", 1, 0),
        ("Where did Smith go?", "Jones went to Paris.", 0, 1),
        ("Where did Jones go?", "Jones went to Paris.", 0, 0),
    ],
)
def test_numbers_and_names_missing(question, sentence, numbers, names):
    assert numbers_missing(question, sentence) == numbers
    assert new_capitalised(question, sentence) == names


@pytest.mark.parametrize(
    ("span", "clean"),
    [
        ("an economist,", "an economist"),
        ("  20 Turkish\nmilitary vehicles. ", "20 Turkish military vehicles"),
        ('"macrocilia"', "macrocilia"),
        ("the Rhine and", "the Rhine"),
        ("(HTS)", "HTS"),
    ],
)
def test_clean_span(span, clean):
    assert clean_span(span) == clean


def _hit(text: str, source: str = "a.txt", start: int = 100, published: str | None = None) -> Hit:
    return make_hit(text, source=source, start=start, publisher="P", published=published)


def _scored(hit: Hit, sentence: str, score: float = 1.0, rank: int = 0) -> Scored:
    s = hit.text.index(sentence)
    return Scored(hit, hit.start + s, hit.start + s + len(sentence), sentence, score, True, rank)


def test_short_answer_cites_the_whole_sentence_with_exact_offsets():
    text = "Piketty is a French economist. He wrote a book."
    h = _hit(text, start=40)
    doc = " " * 40 + text
    s = _scored(h, "Piketty is a French economist.")
    span_start = h.start + text.index("a French economist")
    choice = Choice(
        sentence=s, prob=0.9, span_start=span_start, span_end=span_start + 18, span_text="a French economist."
    )
    a = short_answer(Query("What is Piketty's job?", "What is Piketty's job?"), choice, [])
    assert a.answer == "a French economist [1]"
    c = a.citations[0]
    assert c.quote == "Piketty is a French economist." == doc[c.start : c.end]


def test_adjacent_sentences_share_one_citation():
    text = "First fact here. Second fact here. Third one."
    h = _hit(text)
    a = sentences_answer(
        Query("q", "q"), [_scored(h, "First fact here."), _scored(h, "Second fact here.", rank=1)], []
    )
    assert a.answer == "First fact here. Second fact here. [1]" and len(a.citations) == 1


def test_overview_facts_are_distinct_dated_and_about_the_subject():
    h1 = _hit("Iran backed the regime forces in Idlib. Iran sent advisers.", "a.txt", published="2024-12-03")
    h2 = _hit(
        "Iran backed the regime forces in Idlib again. The weather was cold.", "b.txt", published="2020-06-05"
    )
    h3 = _hit("Iran and Turkey held talks in Astana.", "c.txt", published="2022-01-01")
    scored = [
        _scored(h1, "Iran backed the regime forces in Idlib.", 0.9),
        _scored(h2, "Iran backed the regime forces in Idlib again.", 0.8),
        _scored(h1, "Iran sent advisers.", 0.7, rank=1),
        _scored(h2, "The weather was cold.", 0.6, rank=1),
        _scored(h3, "Iran and Turkey held talks in Astana.", 0.5),
    ]
    q = "Summarize what the articles say about Iran's role"
    assert subject(q) == "Iran's role"
    picked = facts(q, scored)
    texts = [p.text for p in picked]
    assert "The weather was cold." not in texts
    assert "Iran backed the regime forces in Idlib again." not in texts  # a near-duplicate
    assert [p.hit.published for p in picked] == sorted(p.hit.published or "9999" for p in picked)


@pytest.mark.parametrize("name", ["answerability-fast.json", "answerability.json"])
def test_shipped_answerability_models_load_and_rank(name):
    path = MODELS / name
    if not path.exists():
        pytest.skip(f"{name} not trained yet")
    model = AnswerabilityModel.load(path)
    data = json.loads(path.read_text())
    assert data["trained_on"]["file"].endswith("squad2/train.jsonl") and 0 < model.threshold < 1
    info = analyse_question("Who led the advance?")
    base = dict(
        question="Who led the advance?", info=info, top_score=1.0, rank=0, passage_dense=0.6, passage_rank=0
    )
    good = Candidate(
        text="The advance was led by HTS.",
        sim=0.8,
        score=1.0,
        coverage=1.0,
        rule_answerable=True,
        pinpoint=True,
        focused=True,
        reader_score=5.0,
        reader_prob=0.9,
        reader_in_sentence=True,
        reader_best_here=True,
        **base,
    )
    bad = Candidate(
        text="The weather was cold.",
        sim=0.1,
        score=0.1,
        coverage=0.0,
        rule_answerable=False,
        pinpoint=False,
        focused=False,
        **base,
    )
    p_good, p_bad = model.probabilities([good, bad])
    assert p_good > p_bad
    assert len(feature_vector(good)) == len(FEATURES) == len(model.coef)
    assert np.all(np.isfinite(model.probabilities([good])))


@pytest.mark.parametrize(
    ("question", "sentence", "span"),
    [
        (
            "How many soldiers died in the offensive?",
            "In February, 36 Turkish soldiers died in an air strike.",
            "36",
        ),
        (
            "When was the ceasefire signed?",
            "The ceasefire was signed on 5 March 2020 in Moscow.",
            "5 March 2020",
        ),
        (
            "Which group led the offensive?",
            "The offensive was led by Hayat Tahrir al-Sham, a rebel group.",
            None,
        ),
        ("Where did the convoy cross?", "The convoy crossed at Kafr Luzhin after dawn.", None),
        (
            "How many were displaced?",
            "Hundreds were killed and nearly a million displaced in 2019.",
            "nearly a million",
        ),
        ("What is the economy like?", "The economy grew by 3% in 2019.", None),
        ("How many people live in Paris?", "Paris is large.", None),
    ],
)
def test_heuristic_span(question, sentence, span):
    from app.answer.reader.spans import heuristic_span

    found = heuristic_span(sentence, analyse_question(question))
    assert (sentence[found[0] : found[1]] if found else None) == span


SENTENCE = "one two three four five six seven eight nine ten"


@pytest.mark.parametrize(
    ("question", "span", "words", "digit", "capital", "repeats"),
    [
        ("How many soldiers died?", "36", 1, 1.0, 0.0, 0.0),
        ("Who led the group?", "Abu Mohammed al-Jolani", 3, 0.0, 1.0, 0.0),
        ("What does FOTA stand for?", "Formula One Teams Association", 4, 0.0, 1.0, 0.0),
        ("Which group led the offensive?", "the offensive", 2, 0.0, 0.0, 1.0),
        ("When was the ceasefire signed?", "5 March 2020,", 3, 1.0, 0.0, 0.0),
        # stems and demonyms: "deployed" repeats "deploy", "Turkish" repeats "Turkey"
        (
            "What did Turkey deploy in September?",
            "the Turkish army deployed reinforcements",
            5,
            0.0,
            0.0,
            0.5,
        ),
    ],
)
def test_span_features(question, span, words, digit, capital, repeats):
    x = dict(
        zip(
            SPAN_FEATURES,
            span_features(question, analyse_question(question), span, SENTENCE, 2.0, 0.7, 0.5, 0.8, True),
            strict=True,
        )
    )
    assert x["log_span_words"] == pytest.approx(np.log1p(words))
    assert (x["span_has_digit"], x["span_capitalised"]) == (digit, capital)
    assert x["span_question_terms"] == pytest.approx(repeats)
    assert x["span_repeats_question"] == float(repeats > 0)
    assert x["span_sentence_share"] == pytest.approx(words / len(SENTENCE.split()))
    assert (x["reader_score"], x["reader_prob"], x["sim"], x["coverage"], x["pinpoint"]) == (
        2.0,
        0.7,
        0.5,
        0.8,
        1.0,
    )


class _OneSpan:
    """A stand-in span reader: the same words in every passage it is given."""

    def __init__(self, words: str) -> None:
        self.words, self.calls = words, 0

    def read(self, question, passages):
        self.calls += 1
        out = []
        for p in passages:
            i = p.find(self.words)
            out.append(None if i < 0 else _Span(i, i + len(self.words), self.words, 1.0, 0.6))
        return out


class _Span:
    def __init__(self, start, end, text, score, prob):
        self.start, self.end, self.text, self.score, self.prob = start, end, text, score, prob


def _model(span_intercept: float | None) -> AnswerabilityModel:
    n = len(FEATURES)
    span = None
    if span_intercept is not None:
        k = len(SPAN_FEATURES)
        span = SpanModel(
            mean=np.zeros(k), scale=np.ones(k), coef=np.zeros(k), intercept=span_intercept, bar=0.5
        )
    return AnswerabilityModel(
        features=FEATURES,
        mean=np.zeros(n),
        scale=np.ones(n),
        coef=np.zeros(n),
        intercept=0.0,
        threshold=0.5,
        veto=0.1,
        rescue=0.9,
        span=span,
    )


@pytest.mark.parametrize(
    ("question", "span_intercept", "expected"),
    [
        ("Who led the group?", 3.0, "Abu Mohammed al-Jolani"),  # the span model trusts the span
        ("Who led the group?", -3.0, None),  # it does not: the sentence answers
        ("Why does the group fight?", 3.0, None),  # a why-question never gets a few words
        ("Who led the group?", None, "Abu Mohammed al-Jolani"),  # no span model: the reader's span
    ],
)
def test_choose_gives_the_span_when_the_span_model_says_so(question, span_intercept, expected):
    text = "The group is led by Abu Mohammed al-Jolani. It holds Idlib."
    h = _hit(text, start=10)
    s = _scored(h, "The group is led by Abu Mohammed al-Jolani.")
    reader = _OneSpan("Abu Mohammed al-Jolani")
    (best,) = choose(Query(question, question), [h], [s], _model(span_intercept), reader, 4, s)
    assert best.sentence is s and best.span_text == expected
    if expected:
        assert (" " * 10 + text)[best.span_start : best.span_end] == expected
    assert reader.calls == (0 if "Why" in question else 1)  # the fast tier reads the chosen passage only


@pytest.mark.parametrize(
    ("pinpoint", "next_score", "next_covers", "continues"),
    [
        (False, 0.5, frozenset(), True),  # a lead that is no pinpoint answer, then its details
        (False, 0.1, frozenset(), False),  # the next sentence is off the subject
        (True, 0.5, frozenset(), False),  # a pinpoint answer stands alone...
        (True, 0.5, frozenset({"milaya"}), True),  # ...unless the next adds a term of the question
    ],
)
def test_continued_sentence_gets_no_span(pinpoint, next_score, next_covers, continues):
    from dataclasses import replace

    from app.answer.reader.choose import continued

    h = _hit("Turkey deployed reinforcements. Twenty vehicles crossed near Milaya.")
    lead = replace(_scored(h, "Turkey deployed reinforcements."), pinpoint=pinpoint)
    nxt = replace(
        _scored(h, "Twenty vehicles crossed near Milaya.", score=next_score, rank=1), covers=next_covers
    )
    assert continued(lead, [lead, nxt]) is continues
    assert not continued(nxt, [lead, nxt])


@pytest.mark.parametrize(
    "question, context, resolved",
    [
        (
            "Which party is he a member of?",
            "Who is Yusuf Katipoglu?",
            "Which party is Yusuf Katipoglu a member of?",
        ),
        ("What is his job?", "Who is Thomas Piketty?", "What is Thomas Piketty's job?"),
        ("Where is her office?", "Who is Angela Merkel?", "Where is Angela Merkel's office?"),
        ("When did he speak?", "Where did Yusuf Katipoglu speak?", "When did Yusuf Katipoglu speak?"),
        # the earlier question asked for someone: the pronoun is its answer
        ("Who backs them?", "Which group led the offensive on Aleppo?", "Who backs them?"),
        ("What did he say?", "Which minister met Erdogan?", "What did he say?"),
        # two names, or none: no guess
        ("What did he say?", "Did Erdogan meet Putin?", "What did he say?"),
        ("What did they say?", "what happened next?", "What did they say?"),
        ("How many soldiers are there?", "Who is Yusuf Katipoglu?", "How many soldiers are there?"),
    ],
)
def test_resolve_pronoun(question, context, resolved):
    assert resolve_pronoun(question, context) == resolved


def test_the_wordnet_opposites_file_names_its_source_and_holds_inflections():
    data = json.loads(ANTONYMS_FILE.read_text())
    assert "WordNet 3.0" in data["source"] and data["built_by"] == "scripts/build_antonyms.py"
    pairs = {(p["a"], p["b"]): p for p in data["pairs"]}
    assert len(pairs) > 1000
    assert {"rose", "risen", "rises", "rising"} <= set(pairs[("fall", "rise")]["b_forms"])
    assert {"larger", "largest"} <= set(pairs[("large", "small")]["a_forms"])
    # light verbs and function words are left out: their opposites are no contradiction
    assert not any({p["a"], p["b"]} & {"come", "go", "give", "take", "in", "out"} for p in data["pairs"])


@pytest.mark.parametrize(
    "question, answer_type, one",
    [
        ("Which highway links Aleppo and Latakia?", "entity", True),
        ("What country borders Syria to the north?", "place", True),
        ("Which group leads the offensive?", "entity", True),
        ("Which Iraqi groups crossed into Syria?", "entity", False),
        ("What anti-aircraft missiles did Turkey position?", "any", False),
        ("Which military vehicles entered the area?", "entity", False),
        ("How many operations were executed, and how many by the opposition?", "number", False),
        ("How many soldiers died?", "number", True),
    ],
)
def test_asks_for_one(question, answer_type, one):
    assert asks_for_one(question, answer_type) is one


_PATROL = (
    "The agreement said that the two countries could jointly patrol the M4 highway but protesters, believed to be "
    "linked to HTS, have blocked the road and stalled the patrols."
)


@pytest.mark.parametrize(
    "question, sentence, span, far",
    [
        ("Which highway links Aleppo and Latakia?", _PATROL, "HTS", True),
        ("Which highway links Aleppo and Latakia?", _PATROL, "M4", False),
        # the noun after the answer, within a few words
        (
            "Which group led the offensive?",
            "It was led by Hayat Tahrir al-Sham (HTS), an al-Qaeda-affiliated group controlling parts of Syria.",
            "Hayat Tahrir al-Sham",
            False,
        ),
        # the sentence never names the noun, or the question has none: no constraint
        ("Which town did they seek?", _PATROL, "HTS", False),
        ("Who blocked the road?", _PATROL, "protesters", False),
    ],
)
def test_far_from_focus(question, sentence, span, far):
    i = sentence.index(span)
    assert far_from_focus(question, sentence, i, i + len(span), 0, len(sentence)) is far


@pytest.mark.parametrize(
    "span, question, is_crisp",
    [
        ("Hayat Tahrir al-Sham", "Which group led the rebel offensive toward Aleppo?", True),
        ("36", "How many Turkish soldiers died?", True),
        # a lead's long span, or one that repeats the question, is not the whole answer
        (
            "10 September, the Turkish army deployed reinforcements",
            "What did Turkey deploy in September?",
            False,
        ),
        ("the Turkish army", "What did the Turkish army deploy?", False),
        ("reinforcements", "What did Turkey deploy?", False),
        ("Geneva Center for Security Policy", "Where does Jean-Marc Rickli work?", False),
    ],
)
def test_crisp(span, question, is_crisp):
    assert crisp(span, question) is is_crisp
