"""The shipped reader model (models/reader/): spans on clear examples, no-answer on unrelated passages, the
files' recorded hashes, and a runtime free of torch. Fast: one int8 MiniLM session, a few passages."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.answer.reader import Span, SpanReader

ROOT = Path(__file__).resolve().parent.parent
MODEL_DIR = ROOT / "models" / "reader"
CONFIG = json.loads((MODEL_DIR / "config.json").read_text())
TRAIN_FILE = ROOT.parent / "shared" / "eval" / "squad2" / "train.jsonl"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def reader() -> SpanReader:
    return SpanReader(threads=1)


# Written for this test (news-style, not from SQuAD): question, passage, expected span (None = no answer).
CASES = [
    (
        "Who was appointed chief executive of Norvale Energy?",
        "Norvale Energy said on Tuesday that it had appointed Maria Okafor as chief executive, replacing Tom Reddy, "
        "who retired in March. The company's shares rose 3% after the announcement.",
        "Maria Okafor",
    ),
    (
        "How many people were injured when the bridge collapsed?",
        "A road bridge over the river Tavy collapsed on Sunday evening. Police said 14 people were injured, two of "
        "them seriously, and that divers were searching the water for a missing car.",
        "14",
    ),
    (
        "When will the new stadium in Leeds open?",
        "The city council confirmed that the new stadium in Leeds will open in August 2027, a year later than "
        "planned. Construction costs have risen by a third since the project was approved.",
        "August 2027",
    ),
    (
        "In which city was the climate summit held?",
        "Leaders from twenty nations gathered in Nairobi for a two-day climate summit. They agreed to double "
        "funding for drought early-warning systems across East Africa by 2030.",
        "Nairobi",
    ),
    (
        "Who won the world chess championship?",
        "The bakery on Main Street has introduced a new sourdough recipe. Customers said the bread was softer "
        "than before, and the owner plans to open a second shop next spring.",
        None,
    ),
    (
        "What is the interest rate set by the central bank?",
        "Heavy snow closed several mountain passes on Monday. Forecasters expect the cold weather to last until "
        "the weekend, with temperatures falling to minus 15 degrees at night.",
        None,
    ),
]


def test_spans_and_no_answer(reader: SpanReader) -> None:
    """Most answerable cases get their exact span, and every passage that holds no answer scores below every
    one that does (the shipped model is small: span F1 0.30 on held-out SQuAD articles, see DATA_CARD.md)."""
    right, answerable, unanswerable = 0, [], []
    for question, passage, expected in CASES:
        (span,) = reader.read(question, [passage])
        assert isinstance(span, Span)
        assert span.text == passage[span.start : span.end]
        assert 0.0 <= span.prob <= 1.0
        if expected is None:
            unanswerable.append(span.score)
        else:
            answerable.append(span.score)
            right += span.text.strip(" .,") == expected
    assert right >= 3, right
    assert max(unanswerable) < min(answerable), (unanswerable, answerable)


@pytest.mark.xfail(
    reason="padded batches shift the int8 model's scores a little; a span can differ", strict=False
)
def test_batch_matches_single_reads(reader: SpanReader) -> None:
    """One batched call (padded, reordered by length) gives the same spans as reading one passage at a time."""
    question = "Who was appointed chief executive of Norvale Energy?"
    passages = [c[1] for c in CASES] + [""]
    batched = reader.read(question, passages)
    assert batched[-1] is None  # nothing to read in an empty passage
    for passage, got in zip(passages[:-1], batched[:-1], strict=True):
        (alone,) = reader.read(question, [passage])
        assert got is not None and alone is not None
        assert (got.start, got.end, got.text) == (alone.start, alone.end, alone.text)
        assert abs(got.score - alone.score) < 0.05
    assert reader.read(question, []) == []


def test_long_passage_and_question_are_truncated(reader: SpanReader) -> None:
    passage = "Maria Okafor became chief executive of Norvale Energy in May. " + "Filler words here. " * 200
    (span,) = reader.read(
        "Who became chief executive of Norvale Energy? " * 10, [passage], max_answer_tokens=5
    )
    assert span is not None and span.end <= len(passage)
    assert span.text == passage[span.start : span.end]


def test_config_records_model_hash_and_settings() -> None:
    assert sha256(MODEL_DIR / CONFIG["model_file"]) == CONFIG["sha256"]
    assert CONFIG["max_length"] >= 128 and "score" in CONFIG["thresholds"]
    assert (MODEL_DIR / "DATA_CARD.md").exists()


@pytest.mark.skipif(not TRAIN_FILE.exists(), reason="shared/eval/squad2 is not beside the repo")
def test_config_records_training_data_hash() -> None:
    assert sha256(TRAIN_FILE) == CONFIG["training_data"]["sha256"]
    docs = TRAIN_FILE.parent / "docs"
    for name, digest in CONFIG["training_data"]["docs_sha256"].items():
        assert sha256(docs / f"{name}.txt") == digest, name


@pytest.mark.slow  # waits on purpose, a subprocess, or many requests: not in make test-fast
def test_runtime_imports_no_torch() -> None:
    code = (
        "import sys; from app.answer.reader import SpanReader; "
        "SpanReader().read('Who?', ['Maria Okafor was appointed.']); "
        "bad = [m for m in ('torch', 'transformers') if m in sys.modules]; assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
