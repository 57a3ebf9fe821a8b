"""Answer quality on the dev set, SQuAD 2.0's held-out articles and our own sets, scored with the shared scorer.

Floors sit a little under the measured figures (README's quality table), so a regression fails the suite.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.answer.pipeline import answer, load_deps
from app.core.settings import Settings
from app.ingest import ingest
from tests.conftest import ROOT, SEEDS, SHARED

pytestmark = pytest.mark.slow  # builds indexes and runs hundreds of questions: not in make test-fast

SQUAD = SHARED / "eval" / "squad2"
SQUAD_EVAL_ARTICLES = [
    "1973-oil-crisis",
    "ctenophora",
    "economic-inequality",
    "rhine",
    "university-of-chicago",
    "warsaw",
]

# (question file, floors): answer/cite/refuse/f1 are minimums, false_refusal a maximum.
SEED_SETS = [
    (SHARED / "eval" / "dev.jsonl", {"answer": 0.95, "cite": 0.95, "refuse": 1.0, "false_refusal": 0.05}),
    (ROOT / "tests" / "questions_extra.jsonl", {"answer": 0.8, "cite": 0.8, "refuse": 1.0}),
    (ROOT / "tests" / "questions_extra2.jsonl", {"answer": 0.8, "cite": 0.8, "refuse": 1.0}),
    # why/how, who-is, what-said, yes/no and overview questions (measured 0.91, 0.91, 1.00, false refusal 0.06)
    (
        ROOT / "tests" / "questions_reader.jsonl",
        {"answer": 0.85, "cite": 0.85, "refuse": 0.85, "false_refusal": 0.1},
    ),
    # time-filtered, current/latest, timeline and several-outlet questions (ours)
    (ROOT / "tests" / "questions_dated.jsonl", {"answer": 0.9, "cite": 0.9, "refuse": 1.0}),
]
SQUAD_FLOORS = {"answer": 0.6, "cite": 0.6, "refuse": 0.45, "false_refusal": 0.28, "f1": 0.19}


def score(questions: Path, answers: Path, docs: Path) -> dict[str, float]:
    r = subprocess.run(
        [
            sys.executable,
            str(SHARED / "eval" / "score.py"),
            str(questions),
            str(answers),
            "--seeds",
            str(docs),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", r.stdout.splitlines()[-1])}


def run_set(questions: Path, deps, out: Path) -> None:
    with open(out, "w", encoding="utf-8") as f:
        for line in questions.read_text(encoding="utf-8").splitlines():
            q = json.loads(line)
            f.write(json.dumps(answer(q["question"], q.get("history", []), deps).to_dict()) + "\n")


def check(figures: dict[str, float], floors: dict[str, float]) -> None:
    assert figures["exact"] == 1.0, figures
    for k, v in floors.items():
        assert figures[k] <= v if k == "false_refusal" else figures[k] >= v, (k, figures)


@pytest.mark.parametrize(("questions", "floors"), SEED_SETS, ids=lambda x: getattr(x, "name", ""))
def test_seed_question_set_meets_its_floors(deps, tmp_path, questions: Path, floors: dict[str, float]):
    if not questions.exists() or not (SHARED / "eval" / "score.py").exists():
        pytest.skip(f"{questions} or the shared scorer is not present")
    out = tmp_path / "answers.jsonl"
    run_set(questions, deps, out)
    check(score(questions, out, SEEDS), floors)


# The same kinds over 8 BBC articles, written before the kinds were built and never tuned to (measured 0.76,
# 0.83, refuse 0.85, false refusal 0.10).
BBC_READER_FLOORS = {"answer": 0.65, "cite": 0.75, "refuse": 0.75, "false_refusal": 0.15}
# 90 questions over 12 BBC articles nobody here had used, written before the MPNet reader was trained and
# never tuned on (measured with the fast tier: 0.50, cite 0.47, refuse 0.58, false refusal 0.39, F1 0.15).
NEWS3_FLOORS = {"answer": 0.45, "cite": 0.42, "refuse": 0.5, "false_refusal": 0.45, "f1": 0.1}
# 22 facts of the seeds asked four ways each (measured 0.51, cite 0.61, false refusal 0.33, F1 0.31).
PARAPHRASE_FLOORS = {"answer": 0.45, "cite": 0.55, "false_refusal": 0.4, "f1": 0.25}


def test_paraphrase_set_meets_its_floors(deps, tmp_path):
    questions = ROOT / "tests" / "questions_paraphrase.jsonl"
    if not (SHARED / "eval" / "score.py").exists():
        pytest.skip("the shared scorer is not present")
    out = tmp_path / "answers.jsonl"
    run_set(questions, deps, out)
    check(score(questions, out, SEEDS), PARAPHRASE_FLOORS)


@pytest.mark.parametrize(
    ("name", "floors"),
    [("questions_reader_bbc", BBC_READER_FLOORS), ("questions_news3", NEWS3_FLOORS)],
)
def test_bbc_held_out_set_meets_its_floors(tmp_path, name: str, floors: dict[str, float]):
    files = ROOT / "tests" / f"{name}.files"
    bbc = SHARED / "corpora" / "bbc"
    if not bbc.exists():
        pytest.skip("../shared/corpora/bbc is not present")
    docs = tmp_path / "docs"
    docs.mkdir()
    for line in files.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            shutil.copy(bbc / line.strip(), docs / line.strip().replace("/", "_"))
    settings = Settings(index_dir=tmp_path / "index", answer_mode="extractive")
    from app.store.embeddings import OnnxMiniLMEmbedding

    ingest([docs], settings, OnnxMiniLMEmbedding())
    questions = ROOT / "tests" / f"{name}.jsonl"
    out = tmp_path / "answers.jsonl"
    run_set(questions, load_deps(settings), out)
    check(score(questions, out, docs), floors)


def test_squad2_held_out_articles_meet_their_floors(tmp_path):
    if not (SQUAD / "eval.jsonl").exists():
        pytest.skip("../shared/eval/squad2 is not present")
    docs = tmp_path / "docs"
    docs.mkdir()
    for a in SQUAD_EVAL_ARTICLES:
        shutil.copy(SQUAD / "docs" / f"{a}.txt", docs)
    settings = Settings(index_dir=tmp_path / "index", answer_mode="extractive")
    from app.store.embeddings import OnnxMiniLMEmbedding

    ingest([docs], settings, OnnxMiniLMEmbedding())
    out = tmp_path / "answers.jsonl"
    run_set(SQUAD / "eval.jsonl", load_deps(settings), out)
    check(score(SQUAD / "eval.jsonl", out, docs), SQUAD_FLOORS)
