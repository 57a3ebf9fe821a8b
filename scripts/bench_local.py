"""The local model next to the extractive engine, in the same run: the dev set on the seeds and the first
80 questions of the SQuAD 2.0 held-out set, scored with the shared scorer, with seconds per question.

Every question is asked once through the local engine's stream: its first item is the extractive answer
(the draft the chat page shows at once), so both engines are measured on the same retrieval, the same
machine load and the same moment. Times: the draft, the local model's first token, its checked answer.

    python scripts/bench_local.py [--limit 80] [--threads 1] [--work DIR]

Writes docs/bench_local.json and prints Markdown for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.answer.pipeline import load_deps, stream_answer  # noqa: E402
from app.core.errors import LOCAL_NO_ANSWER  # noqa: E402
from app.core.settings import Settings  # noqa: E402
from app.core.types import REFUSAL, Answer  # noqa: E402
from scripts.bench_reader import SHARED, SQUAD, build, squad_eval_docs  # noqa: E402

COLS = ["answer", "cite", "exact", "refuse", "false_refusal", "f1", "words"]


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(len(xs) * q))], 2) if xs else 0.0


def ask(q: dict, deps) -> tuple[Answer, Answer, dict[str, float]]:
    """(extractive draft, final answer, seconds to the draft / the first model token / the final)."""
    start = time.perf_counter()
    draft: Answer | None = None
    final: Answer | None = None
    t: dict[str, float] = {}
    for partial, a in stream_answer(q["question"], q.get("history", []), deps):
        now = time.perf_counter() - start
        if a is not None and a.draft:
            draft, t["draft"] = a, now
        elif a is None and partial and "first_token" not in t:
            t["first_token"] = now
        elif a is not None:
            final, t["total"] = a, now
    assert final is not None
    return draft or final, final, t


def score(questions: Path, answers: list[Answer], docs: Path, out: Path) -> dict[str, float]:
    out.write_text("".join(json.dumps(a.to_dict()) + "\n" for a in answers), encoding="utf-8")
    r = subprocess.run(
        [sys.executable, str(SHARED / "eval" / "score.py"), str(questions), str(out), "--seeds", str(docs)],
        capture_output=True,
        text=True,
        check=True,
    )
    return {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", r.stdout.splitlines()[-1])}


def run_set(name: str, questions: Path, limit: int, index: Path, docs: Path, settings: Settings, work: Path):
    rows = [json.loads(x) for x in questions.read_text(encoding="utf-8").splitlines() if x.strip()][:limit]
    subset = work / f"{questions.stem}-{len(rows)}.jsonl"
    subset.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    deps = load_deps(settings.model_copy(update={"index_dir": index}))
    assert deps.llm is not None and deps.llm.mode == "local", "the local model is not installed"
    drafts, finals, times = [], [], []
    for i, q in enumerate(rows, 1):
        d, f, t = ask(q, deps)
        drafts.append(d)
        finals.append(f)
        times.append(t)
        print(f"{name} {i}/{len(rows)} {f.mode} refused={f.refused} {t.get('total', 0):.1f}s", flush=True)
    local_used = sum(f.mode == "local" for f in finals)
    # the same run with the model's refusals standing (SOURCED_LOCAL_REFUSAL_STANDS=true)
    alone = [
        Answer(question=f.question, answer=REFUSAL, refused=True, mode="local")
        if LOCAL_NO_ANSWER in f.warnings
        else f
        for f in finals
    ]
    out = []
    for engine, answers in (("extractive", drafts), ("local", finals), ("local, refusals stand", alone)):
        figs = score(subset, answers, docs, work / f"{engine}-{questions.stem}.jsonl")
        key = "draft" if engine == "extractive" else "total"
        if engine == "local, refusals stand":
            out.append({"engine": engine, "set": f"{name} ({len(rows)})", **figs})
            print(json.dumps(out[-1]), flush=True)
            continue
        secs = [t[key] for t in times if key in t]
        figs.update(p50_s=pct(secs, 0.5), p95_s=pct(secs, 0.95))
        if engine == "local":
            first = [t["first_token"] for t in times if "first_token" in t]
            figs.update(
                first_p50_s=pct(first, 0.5), first_p95_s=pct(first, 0.95), local_share=local_used / len(rows)
            )
        out.append({"engine": engine, "set": f"{name} ({len(rows)})", **figs})
        print(json.dumps(out[-1]), flush=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=80, help="SQuAD questions (the first N of eval.jsonl)")
    ap.add_argument("--threads", type=int, default=None, help="llama.cpp threads (default: the setting)")
    ap.add_argument("--sets", default="dev,squad")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "sourced-bench-local")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "bench_local.json")
    args = ap.parse_args()
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    settings = Settings(answer_mode="local")
    if args.threads:
        settings = settings.model_copy(update={"local_threads": args.threads})
    squad_docs = squad_eval_docs(work)
    seeds = ROOT / "seeds"
    results = []
    if "dev" in args.sets:
        index = build(work / "seeds-index", [seeds])
        results += run_set("dev, seeds", SHARED / "eval" / "dev.jsonl", 10**6, index, seeds, settings, work)
    if "squad" in args.sets:
        index = build(work / "squad-index", [squad_docs])
        results += run_set("squad2 eval", SQUAD / "eval.jsonl", args.limit, index, squad_docs, settings, work)
    args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    cols = [*COLS, "p50_s", "p95_s", "first_p50_s", "first_p95_s", "local_share"]
    print("| engine | set | " + " | ".join(cols) + " |\n|---|---|" + "---:|" * len(cols))
    for r in results:
        print(
            f"| {r['engine']} | {r['set']} | "
            + " | ".join(f"{r[c]:g}" if c in r else "" for c in cols)
            + " |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
