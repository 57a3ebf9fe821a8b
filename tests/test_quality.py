"""Answer quality on the dev set and our own held-out sets, scored with the shared scorer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.answer.pipeline import answer
from tests.conftest import ROOT, SEEDS, SHARED

pytestmark = pytest.mark.slow  # subprocesses and servers: not in make test-fast

SETS = [
    (SHARED / "eval" / "dev.jsonl", 0.9),
    (ROOT / "tests" / "questions_extra.jsonl", 0.85),
    (ROOT / "tests" / "questions_extra2.jsonl", 0.85),
    # time-filtered, current/latest, timeline and several-outlet questions (ours)
    (ROOT / "tests" / "questions_dated.jsonl", 0.9),
]


@pytest.mark.parametrize(("questions", "floor"), SETS, ids=lambda x: getattr(x, "name", str(x)))
def test_question_set_meets_its_floor(deps, tmp_path, questions: Path, floor: float):
    scorer = SHARED / "eval" / "score.py"
    if not questions.exists() or not scorer.exists():
        pytest.skip(f"{questions} or the shared scorer is not present")
    out = tmp_path / "answers.jsonl"
    with open(out, "w", encoding="utf-8") as f:
        for line in questions.read_text(encoding="utf-8").splitlines():
            q = json.loads(line)
            f.write(json.dumps(answer(q["question"], q.get("history", []), deps).to_dict()) + "\n")
    r = subprocess.run(
        [
            sys.executable,
            str(scorer),
            str(questions),
            str(out),
            "--seeds",
            str(SEEDS),
            "--verbose",
            "--min-answer",
            str(floor),
            "--min-cite",
            str(floor),
            "--min-refuse",
            "1.0",
            "--min-exact",
            "1.0",
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout
