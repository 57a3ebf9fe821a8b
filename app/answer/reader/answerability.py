"""The learned answerability model: P(this sentence holds the answer) from fast signals (and the reader's).

A logistic regression trained by scripts/train_answerability.py on SQuAD 2.0 questions over 17 Wikipedia
articles (half of them unanswerable traps) and our own news questions; its coefficients, the feature
standardisation and the refusal threshold (chosen on held-out articles) live in a small JSON file under
models/. Running it is a dot product: no scikit-learn at run time.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.answer.question.analysis import QuestionInfo
from app.answer.reader.signals import antonym_clash, negation_mismatch, new_capitalised, numbers_missing
from app.text.words import terms

MODELS = Path(__file__).resolve().parents[3] / "models"
ANSWER_TYPES = ("number", "date", "entity", "place", "any")

# The features, in the order the model file's coefficients follow.
FEATURES = (
    "sim",
    "score",
    "score_ratio",
    "coverage",
    "rule_answerable",
    "pinpoint",
    "focused",
    "lead_sentence",
    "antonym_clash",
    "negation_mismatch",
    "numbers_missing",
    "new_capitalised",
    "passage_dense",
    "passage_rank",
    "log_words",
    *(f"type_{t}" for t in ANSWER_TYPES),
    "reader_score",
    "reader_prob",
    "reader_in_sentence",
    "reader_best_here",
)


@dataclass(frozen=True, kw_only=True)
class Candidate:
    """What the model sees of one candidate sentence."""

    question: str
    info: QuestionInfo
    text: str
    sim: float
    score: float
    top_score: float
    coverage: float
    rule_answerable: bool
    pinpoint: bool
    focused: bool
    rank: int
    passage_dense: float
    passage_rank: int
    reader_score: float = 0.0
    reader_prob: float = 0.0
    reader_in_sentence: bool = False
    reader_best_here: bool = False


def feature_vector(c: Candidate) -> list[float]:
    """The features of one candidate, in FEATURES order."""
    return [
        c.sim,
        c.score,
        c.score / c.top_score if c.top_score > 0 else 0.0,
        c.coverage,
        float(c.rule_answerable),
        float(c.pinpoint),
        float(c.focused),
        float(c.rank == 0),
        float(antonym_clash(c.question, c.text)),
        float(negation_mismatch(c.question, c.text)),
        float(numbers_missing(c.question, c.text)),
        float(new_capitalised(c.question, c.text)),
        c.passage_dense,
        float(c.passage_rank),
        math.log1p(len(c.text.split())),
        *(float(c.info.answer_type == t) for t in ANSWER_TYPES),
        c.reader_score,
        c.reader_prob,
        float(c.reader_in_sentence),
        float(c.reader_best_here),
    ]


# The features of the span decision: is the reader's span (inside the chosen sentence) the answer itself?
SPAN_FEATURES = (
    "reader_score",
    "reader_prob",
    "log_span_words",
    "span_has_digit",
    "span_capitalised",
    "span_question_terms",
    "span_repeats_question",
    "span_sentence_share",
    "sim",
    "coverage",
    "pinpoint",
    *(f"type_{t}" for t in ANSWER_TYPES),
)


def span_features(
    question: str,
    info: QuestionInfo,
    span: str,
    sentence: str,
    score: float,
    prob: float,
    sim: float,
    coverage: float,
    pinpoint: bool,
) -> list[float]:
    """What the span decision sees, in SPAN_FEATURES order: the reader's confidence, the span's shape, how much
    of it only repeats the question's own terms (an answer is what the question lacks), and how well the
    sentence matches."""
    span_words = span.split()
    span_terms, asked = terms(span), set(terms(question))
    repeated = sum(t in asked for t in span_terms)
    return [
        score,
        prob,
        math.log1p(len(span_words)),
        float(any(ch.isdigit() for ch in span)),
        float(span.strip()[:1].isupper()),
        repeated / max(len(span_terms), 1),
        float(repeated > 0),
        len(span_words) / max(len(sentence.split()), 1),  # near 1: the reader found no crisp answer
        sim,
        coverage,
        float(pinpoint),
        *(float(info.answer_type == t) for t in ANSWER_TYPES),
    ]


@dataclass(frozen=True, kw_only=True)
class SpanModel:
    """A logistic regression: the probability that the reader's span holds the answer; `bar` (chosen on
    held-out articles) decides between the span and the whole sentence."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    bar: float

    @classmethod
    def from_dict(cls, data: dict) -> SpanModel:
        if tuple(data["features"]) != SPAN_FEATURES:
            raise ValueError("the span model was trained on other features; retrain it with make train")
        return cls(
            mean=np.asarray(data["mean"], dtype=np.float64),
            scale=np.asarray(data["scale"], dtype=np.float64),
            coef=np.asarray(data["coef"], dtype=np.float64),
            intercept=float(data["intercept"]),
            bar=float(data["bar"]),
        )

    def probability(self, features: list[float]) -> float:
        z = (
            float((np.asarray(features, dtype=np.float64) - self.mean) / self.scale @ self.coef)
            + self.intercept
        )
        return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def _folder_name(name: object) -> str:
    """A folder directly under models/, never a path elsewhere."""
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9][\w.-]*", name) or ".." in name:
        raise ValueError(f"not a model folder name: {name!r}")
    return name


@dataclass(frozen=True, kw_only=True)
class AnswerabilityModel:
    """Standardise, dot, sigmoid: the probability that each candidate sentence holds the answer."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float  # the model alone: a sentence at or above this holds the answer
    veto: float  # the rules' pick is refused below this
    rescue: float  # when the rules refuse, the model's best is given at or above this
    name: str = ""
    uses_reader: bool = False  # trained with the span reader's signals (else they are zero)
    span: SpanModel | None = None  # when to give the reader's span rather than the sentence
    reader_dir: str = "reader"  # the span reader (a folder of models/) whose reads this model was fitted on

    @classmethod
    def load(cls, path: Path) -> AnswerabilityModel:
        data = json.loads(path.read_text(encoding="utf-8"))
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"{path.name} was trained on other features; retrain it with make train")
        return cls(
            features=tuple(data["features"]),
            mean=np.asarray(data["mean"], dtype=np.float64),
            scale=np.asarray(data["scale"], dtype=np.float64),
            coef=np.asarray(data["coef"], dtype=np.float64),
            intercept=float(data["intercept"]),
            threshold=float(data["threshold"]),
            veto=float(data["veto"]),
            rescue=float(data["rescue"]),
            name=path.stem,
            uses_reader=bool(data.get("reader", False)),
            span=SpanModel.from_dict(data["span"]) if data.get("span") else None,
            reader_dir=_folder_name(data.get("reader_dir", "reader")),
        )

    def probabilities(self, candidates: Sequence[Candidate]) -> np.ndarray:
        if not candidates:
            return np.zeros(0)
        x = np.asarray([feature_vector(c) for c in candidates], dtype=np.float64)
        z = (x - self.mean) / self.scale @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))
