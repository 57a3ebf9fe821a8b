"""Table-driven tests of the extractive engine's parts: no index, no model (a fake embedder)."""

from __future__ import annotations

import numpy as np
import pytest

from app.answer.question.analysis import analyse_question
from app.answer.reader.extractive import (
    closeness,
    dated,
    novelty,
    own_coverage,
    score_sentences,
    select,
    time_factor,
    type_factor,
)
from app.answer.reader.weights import WEIGHTS, Weights
from app.core.settings import Settings
from app.core.types import Hit, Query
from app.store.keyword import KeywordIndex
from app.text.words import terms
from tests.factories import make_hit


def hit(text: str, published: str | None = None, title: str = "T", source: str = "a.txt") -> Hit:
    return make_hit(text, source=source, title=title, published=published)


class BagOfWordsEmbedder:
    """A fake embedder: hashed bag of stemmed terms, L2-normalised; similar wording gives similar vectors."""

    model_name = "fake-bow"

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for i, t in enumerate(texts):
            for term in terms(t):
                out[i, hash(term) % 64] += 1.0
        return out / np.clip(np.linalg.norm(out, axis=1, keepdims=True), 1e-9, None)

    def get_query_embedding(self, query: str) -> list[float]:
        return self.embed([query])[0].tolist()


def flat_idf(_: str) -> float:
    return 1.0


@pytest.mark.parametrize(
    ("question", "sentence", "passage", "expected"),
    [
        ("What happened in September?", "In September the convoy moved.", "", 1.0),
        ("What happened in September?", "The convoy moved.", "The convoy moved. It was September.", 0.6),
        ("What happened in September?", "The convoy moved.", "The convoy moved.", 0.3),
        ("What happened in 2020?", "The convoy moved.", "The convoy moved in 2019.", 0.5),
        ("What happened?", "The convoy moved.", "The convoy moved.", 1.0),
    ],
)
def test_time_factor(question, sentence, passage, expected):
    h = hit(passage or sentence)
    assert time_factor(analyse_question(question), sentence, h) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("sentence_terms", "avoid", "expected"),
    [
        ({"a", "b"}, set(), 1.0),
        ({"a", "b"}, {"a", "b"}, 1.0 - WEIGHTS.repeat_penalty),
        ({"a", "b", "c", "d"}, {"a"}, 1.0 - WEIGHTS.repeat_penalty / 4),
    ],
)
def test_novelty(sentence_terms, avoid, expected):
    assert novelty(sentence_terms, avoid) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("question", "sentence", "bonus", "pinpoint"),
    [
        ("How many soldiers died?", "Officials said 36 soldiers died in the attack.", 0.2, True),
        (
            "How many soldiers died?",
            "The soldiers died after a long and very hard winter, said 3 people.",
            0.0,
            False,
        ),
        ("Who led the advance?", "The advance was led by Hayat Tahrir al-Sham.", 0.2, True),
        ("How many soldiers died?", "No figure was given.", 0.0, False),
    ],
)
def test_closeness(question, sentence, bonus, pinpoint):
    info = analyse_question(question)
    typed = True
    got_bonus, got_pin = closeness(sentence, info, typed)
    assert got_pin is pinpoint
    assert got_bonus == pytest.approx(bonus, abs=0.061)


@pytest.mark.parametrize(
    ("question", "typed", "expected"),
    [
        ("How many soldiers died?", True, 1.0),
        ("How many soldiers died?", False, WEIGHTS.untyped_strict),
        ("When did it start?", False, WEIGHTS.untyped_strict),
        ("Who led the advance?", False, WEIGHTS.untyped),
    ],
)
def test_type_factor(question, typed, expected):
    assert type_factor(analyse_question(question), typed) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("question", "sentence", "before", "published", "expected"),
    [
        ("What happened in June?", "Troops moved on Thursday.", "", "2020-06-05", True),
        ("What happened in June?", "Troops moved on Thursday.", "In June, talks failed.", None, True),
        ("What happened in June?", "Troops moved on Thursday.", "", "2020-09-05", False),
        ("What happened in June?", "In June troops moved.", "", None, True),
        ("What happened?", "Troops moved.", "", None, True),
    ],
)
def test_dated(question, sentence, before, published, expected):
    h = hit(before + " " + sentence, published=published)
    assert dated(analyse_question(question), sentence, before, h) is expected


@pytest.mark.parametrize(
    ("qterms", "own", "local", "words", "expected"),
    [
        (("a", "b"), {"a", "b"}, {"a", "b"}, 10, 1.0),
        (("a", "b"), {"a"}, {"a", "b"}, 10, WEIGHTS.previous_sentence),
        (("a", "b"), {"a", "b"}, {"a", "b"}, 80, 0.5),
        (("a", "b"), set(), set(), 10, 0.0),
    ],
)
def test_own_coverage(qterms, own, local, words, expected):
    assert own_coverage(qterms, own, local, words, flat_idf) == pytest.approx(expected)


def test_weights_are_frozen_named_data():
    with pytest.raises(AttributeError):
        WEIGHTS.similarity = 1.0  # type: ignore[misc]
    assert Weights(similarity=0.1).similarity == 0.1


PASSAGES = [
    hit(
        "Turkey sent 20 military vehicles to Idlib in September. The convoy crossed at Kafr Lusin. "
        "Officials did not comment.",
        published="2020-09-10",
        title="Turkey deploys vehicles",
        source="turkey.txt",
    ),
    hit(
        "Football fans celebrated a late goal on Saturday. The club's manager praised the players.",
        title="Late goal",
        source="sport.txt",
    ),
]


@pytest.mark.parametrize(
    ("question", "answer_contains", "refused"),
    [
        ("How many military vehicles did Turkey send to Idlib?", "20 military vehicles", False),
        ("Where did the convoy cross?", "Kafr Lusin", False),
        ("How many tanks did France send to Mali?", None, True),
        ("What did Turkey send in March?", None, True),
    ],
)
def test_score_and_select_end_to_end(question, answer_contains, refused):
    keyword = KeywordIndex.build([h.id for h in PASSAGES], [h.text for h in PASSAGES], 1)
    settings = Settings(index_dir="unused")
    scored = score_sentences(Query(question, question), PASSAGES, BagOfWordsEmbedder(), keyword, settings)
    chosen = select(scored, settings)
    if refused:
        assert chosen == []
    else:
        assert chosen and answer_contains in " ".join(c.text for c in chosen)
        assert all(c.hit.source == "turkey.txt" for c in chosen)
