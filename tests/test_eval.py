"""sourced eval: the question set format (a malformed line is an error naming it, and nothing is written), the
scoring (exactly the shared scorer's figures: ../shared/eval/score.py is run on the same answers), the report."""

from __future__ import annotations

import importlib.util
import io
import json
import random
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from app.cli import main
from app.evaluate import QuestionSetError, load_questions, score, summary_line
from app.evaluate.score import by_kind, f1, files_in, norm, squad_norm
from tests.conftest import SEEDS, SHARED

SCORER = SHARED / "eval" / "score.py"
A = "Turkey deployed 20 vehicles on 10 September. The convoy used the Kafr Luzhin crossing.\n"
B = "The \u2018HTS\u2019 group led the offensive toward Aleppo. It took the city in four days.\n"

QUESTIONS = [
    {
        "id": "q1",
        "question": "How many vehicles?",
        "expect": [["20", "twenty"]],
        "sources": ["a.txt"],
        "kind": "number",
    },
    {
        "id": "q2",
        "question": "Which crossing?",
        "expect": [["Kafr Luzhin"]],
        "sources": ["a.txt"],
        "kind": "factoid",
    },
    {
        "id": "q3",
        "question": "Who led it?",
        "expect": [["HTS"], ["Aleppo"]],
        "sources": ["b.txt"],
        "kind": "who",
    },
    {"id": "q4", "question": "Who paid?", "answerable": False, "kind": "unanswerable"},
    {"id": "q5", "question": "What did they buy?", "answerable": False, "kind": "unanswerable"},
    {"id": "q6", "question": "When?", "expect": [["10 September"]], "sources": ["a.txt"], "kind": "date"},
    {
        "id": "q7",
        "question": "How long did it take?",
        "expect": [["four days", "4 days"]],
        "sources": ["b.txt"],
    },
    {"id": "q8", "question": "What group?", "expect": [["HTS"]], "sources": ["b.txt"], "kind": "who"},
]


def cite(cid: int, source: str, text: str, quote: str, shift: int = 0) -> dict:
    start = text.index(quote) + shift
    return {"id": cid, "source": source, "quote": quote, "start": start, "end": start + len(quote)}


REFUSED = {"answer": "The indexed articles don't say.", "refused": True, "citations": []}
ANSWERS = [
    {"answer": "20 [1]", "refused": False, "citations": [cite(1, "a.txt", A, "Turkey deployed 20 vehicles")]},
    {  # right answer, a quote whose offsets are off by one: not exact
        "answer": "The convoy used the Kafr Luzhin crossing [1].",
        "refused": False,
        "citations": [cite(1, "a.txt", A, "The convoy used the Kafr Luzhin crossing.", shift=1)],
    },
    {  # one group of two, cited to the right file with curly quotes normalised
        "answer": "The ‘HTS’ group [1,2]",
        "refused": False,
        "citations": [cite(1, "b.txt", B, "The \u2018HTS\u2019 group led the offensive")],
    },
    REFUSED,
    {"answer": "They bought tanks [1].", "refused": False, "citations": [cite(1, "a.txt", A, "Turkey")]},
    REFUSED,
    {"question": "How long did it take?", "error": "Please ask a question (at most 2000 characters)."},
    {"answer": "HTS [1]", "refused": False, "citations": [cite(1, "sub/b.txt", B, "It took the city")]},
]


@pytest.fixture()
def case(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(A, encoding="utf-8")
    (docs / "b.txt").write_text(B, encoding="utf-8")
    q = tmp_path / "questions.jsonl"
    a = tmp_path / "answers.jsonl"
    return docs, q, a


def write(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def scorer_module():
    if not SCORER.exists():
        pytest.skip(f"the shared scorer is not at {SCORER}")
    spec = importlib.util.spec_from_file_location("shared_score", SCORER)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def scorer_line(mod, questions: Path, answers: Path, docs: Path) -> str:
    """What score.py prints for the files (its main, in this process)."""
    out = io.StringIO()
    argv = sys.argv
    sys.argv = ["score.py", str(questions), str(answers), "--seeds", str(docs)]
    try:
        with redirect_stdout(out):
            assert mod.main() == 0
    finally:
        sys.argv = argv
    return out.getvalue().strip()


def test_the_scorer_s_text_functions_are_the_same():
    mod = scorer_module()
    texts = [
        "The ‘HTS’ group",
        "Hayat Tahrir al-Sham (HTS)",
        "  20\u00a0vehicles, an army ",
        "Ｆｕｌｌwidth ２０",
        "a the an",
        "",
        "25,000 soldiers; the 36 dead.",
    ]
    for x in texts:
        assert norm(x) == mod.norm(x) and squad_norm(x) == mod.squad_norm(x)
        for y in texts:
            assert f1(x, y) == mod.f1(x, y)


def test_scores_are_exactly_the_shared_scorer_s(case):
    """The whole set, and 40 random subsets of it (every figure agrees at the scorer's printed precision on
    each: a different formula would show on one of them)."""
    mod = scorer_module()
    docs, q, a = case
    rng = random.Random(21)
    subsets = [list(range(len(QUESTIONS)))] + [
        sorted(rng.sample(range(len(QUESTIONS)), rng.randint(1, len(QUESTIONS)))) for _ in range(40)
    ]
    for idx in subsets:
        write(q, [QUESTIONS[i] for i in idx])
        write(a, [ANSWERS[i] for i in idx])
        ours = score(load_questions(q), [ANSWERS[i] for i in idx], files_in(str(docs)))
        assert summary_line(ours) == scorer_line(mod, q, a, docs), idx
    write(q, QUESTIONS)
    whole = score(load_questions(q), ANSWERS, files_in(str(docs)))
    assert (whole.answer, whole.cite, whole.refuse, whole.false_refusal) == (3 / 6, 3 / 6, 1 / 2, 1 / 6)
    assert whole.exact == 4 / 5 and whole.words == 2
    kinds = by_kind(load_questions(q), ANSWERS, files_in(str(docs)))
    assert set(kinds) == {"number", "factoid", "who", "unanswerable", "date", "other"}
    assert kinds["who"].n == 2 and kinds["who"].answer == 0.5 and kinds["who"].cite == 0.5


def score_py(questions: Path, answers: Path, docs: Path) -> str:
    """The summary line ../shared/eval/score.py prints, run as a program."""
    return subprocess.run(
        [sys.executable, str(SCORER), str(questions), str(answers), "--seeds", str(docs)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@pytest.mark.slow  # a subprocess
def test_scores_match_score_py_run_as_a_program(case):
    if not SCORER.exists():
        pytest.skip(f"the shared scorer is not at {SCORER}")
    docs, q, a = case
    write(q, QUESTIONS)
    write(a, ANSWERS)
    got = score_py(q, a, docs)
    assert got == summary_line(score(load_questions(q), ANSWERS, files_in(str(docs))))


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("{not json", "not JSON"),
        ('["a list"]', "not a JSON object"),
        ('{"id": "x", "expect": [["a"]], "sources": []}', 'no "question"'),
        ('{"question": "Who?", "sources": ["a.txt"]}', '"expect" must be a list of groups'),
        (
            '{"question": "Who?", "expect": ["flat"], "sources": ["a.txt"]}',
            '"expect" must be a list of groups',
        ),
        ('{"question": "Who?", "expect": [["HTS"]]}', '"sources" must be a list'),
        ('{"question": "Who?", "answerable": "no"}', '"answerable" must be true or false'),
        ('{"question": "Who?", "answerable": false, "history": [{"role": "x"}]}', '"history"'),
    ],
)
def test_a_malformed_line_is_named_and_nothing_is_written(tmp_path, capsys, line, says):
    q = tmp_path / "set.jsonl"
    good = json.dumps(QUESTIONS[0])
    q.write_text(f"{good}\n\n{line}\n{good}\n", encoding="utf-8")
    with pytest.raises(QuestionSetError) as err:
        load_questions(q)
    assert str(err.value).startswith(f"{q}: line 3: ") and says in str(err.value)
    out = tmp_path / "report"
    assert main(["eval", str(q), "--out", str(out), "--docs", str(tmp_path)]) == 2
    stderr = capsys.readouterr().err
    assert "line 3: " in stderr and says in stderr and "Traceback" not in stderr
    assert not out.exists()


def test_an_empty_or_missing_set_is_an_error(tmp_path):
    (tmp_path / "empty.jsonl").write_text("\n\n", encoding="utf-8")
    with pytest.raises(QuestionSetError, match="no questions"):
        load_questions(tmp_path / "empty.jsonl")
    with pytest.raises(QuestionSetError, match="no such file"):
        load_questions(tmp_path / "missing.jsonl")


@pytest.mark.slow  # builds an index of its own
def test_sourced_eval_writes_the_report_and_agrees_with_the_scorer(tmp_path, capsys):
    dev = SHARED / "eval" / "dev.jsonl"
    if not dev.exists() or not SCORER.exists():
        pytest.skip("the shared dev set and scorer are not at ../shared/eval")
    rows = [json.loads(x) for x in dev.read_text(encoding="utf-8").splitlines() if x.strip()]
    small = [r for r in rows if r.get("answerable", True)][:3] + [
        r for r in rows if not r.get("answerable", True)
    ][:1]
    for r, k in zip(small, ("number", "number", "factoid", "unanswerable"), strict=True):
        r["kind"] = k
    q = tmp_path / "small.jsonl"
    write(q, small)
    out = tmp_path / "report"
    assert main(["eval", str(q), "--docs", str(SEEDS), "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out.splitlines()[0]
    assert {p.name for p in out.iterdir()} == {"report.md", "chart.png", "answers.jsonl", "figures.json"}
    assert (out / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    figs = json.loads((out / "figures.json").read_text(encoding="utf-8"))
    keys = {
        "answer",
        "cite",
        "exact",
        "refuse",
        "false_refusal",
        "f1",
        "em",
        "words",
        "n",
        "by_kind",
        "latency_ms",
    }
    assert (
        keys <= set(figs) and figs["n"] == 4 and set(figs["by_kind"]) == {"number", "factoid", "unanswerable"}
    )
    assert 0 < figs["latency_ms"]["p50"] <= figs["latency_ms"]["p95"]
    answers = out / "answers.jsonl"
    assert len(answers.read_text(encoding="utf-8").splitlines()) == 4
    got = score_py(q, answers, SEEDS)
    assert printed.startswith(got)
    report = (out / "report.md").read_text(encoding="utf-8")
    assert figs["date"][:10] in report and "## By kind of question" in report and "chart.png" in report
    # again, against the first run as the baseline
    again = tmp_path / "again"
    assert (
        main(
            [
                "eval",
                str(q),
                "--docs",
                str(SEEDS),
                "--out",
                str(again),
                "--baseline",
                str(out / "figures.json"),
                "--quiet",
            ]
        )
        == 0
    )
    assert "| baseline | change |" in (again / "report.md").read_text(encoding="utf-8")


def test_the_documented_example_is_a_valid_set(tmp_path):
    """docs/eval.md's example lines parse, with their kinds and the follow-up's history."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "eval.md").read_text(encoding="utf-8")
    block = text.split("```json\n", 1)[1].split("```", 1)[0]
    (tmp_path / "example.jsonl").write_text(block, encoding="utf-8")
    items = load_questions(tmp_path / "example.jsonl")
    assert len(items) == 4 and not items[2].answerable and items[3].history and items[3].kind == "followup"
