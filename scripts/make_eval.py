"""make eval: the shipped question sets answered and scored by `sourced eval`, each report written to
docs/eval/<set>/ (the previous run there is the baseline), and docs/eval/README.md listing the latest figures.

    python scripts/make_eval.py [dev] [news3] [squad2]      (default: all three)

dev:    ../shared/eval/dev.jsonl over seeds/
news3:  tests/questions_news3.jsonl over the BBC articles tests/questions_news3.files names (../shared/corpora/bbc,
        copied as CATEGORY_NNN.txt into a temporary folder)
squad2: ../shared/eval/squad2/eval.jsonl over ../shared/eval/squad2/docs (300 questions: the longest)
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.cli import main as sourced  # noqa: E402

SHARED = ROOT.parent / "shared"
BBC = SHARED / "corpora" / "bbc"
OUT = ROOT / "docs" / "eval"
SETS = {
    "dev": (SHARED / "eval" / "dev.jsonl", ROOT / "seeds"),
    "news3": (ROOT / "tests" / "questions_news3.jsonl", ROOT / "tests" / "questions_news3.files"),
    "squad2": (SHARED / "eval" / "squad2" / "eval.jsonl", SHARED / "eval" / "squad2" / "docs"),
}
COLUMNS = ("answer", "cite", "exact", "refuse", "false_refusal", "f1", "em")


def bbc_folder(files: Path, into: Path) -> Path:
    """The articles a .files list names, copied as CATEGORY_NNN.txt into one folder."""
    into.mkdir(parents=True, exist_ok=True)
    for line in files.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            shutil.copy(BBC / line.strip(), into / line.strip().replace("/", "_"))
    return into


def run(name: str, tmp: Path) -> int:
    questions, docs = SETS[name]
    if docs.suffix == ".files":
        docs = bbc_folder(docs, tmp / f"{name}-docs")
    out = OUT / name
    args = ["eval", str(questions), "--docs", str(docs), "--out", str(out), "--mode", "extractive"]
    if (out / "figures.json").exists():  # the run before this one is the baseline
        baseline = tmp / f"{name}-baseline.json"
        shutil.copy(out / "figures.json", baseline)
        args += ["--baseline", str(baseline)]
    print(f"== {name}: {questions.name} over {docs}", flush=True)
    return sourced(args)


def index() -> None:
    """docs/eval/README.md: the latest figures of every set run so far."""
    rows = []
    for name in SETS:
        f = OUT / name / "figures.json"
        if not f.exists():
            continue
        d = json.loads(f.read_text(encoding="utf-8"))
        figs = " | ".join(f"{d[k]:.2f}" for k in COLUMNS)
        lat = d.get("latency_ms", {})
        rows.append(
            f"| [{name}]({name}/report.md) | {d['date'][:10]} | {d['n']} | {figs} | {d['words']:.0f} | "
            f"{lat.get('p50', 0):.0f} / {lat.get('p95', 0):.0f} | {d.get('reader', '')} |"
        )
    text = "\n".join(
        [
            "# Evaluation figures",
            "",
            "Written by `make eval` (`scripts/make_eval.py`, which runs `sourced eval` on each shipped set; "
            "the format and the figures are explained in [../eval.md](../eval.md)). Each set's folder holds its "
            "report, chart, answers and figures; the run before is its baseline.",
            "",
            "| set | date | n | answer | cite | exact | refuse | false refusal | F1 | EM | words | ms p50 / p95 "
            "| reader |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
            *rows,
            "",
        ]
    )
    (OUT / "README.md").write_text(text, encoding="utf-8")


def main(argv: list[str]) -> int:
    names = argv or list(SETS)
    unknown = [n for n in names if n not in SETS]
    if unknown:
        print(f"unknown set(s): {', '.join(unknown)}; known: {', '.join(SETS)}", file=sys.stderr)
        return 2
    status = 0
    with tempfile.TemporaryDirectory(prefix="sourced-make-eval-") as tmp:
        for name in names:
            status = run(name, Path(tmp)) or status
    index()
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
