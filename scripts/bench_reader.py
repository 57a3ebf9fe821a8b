"""Reader tiers side by side: the fast tier (the default), the MPNet reader as a signal and as the decider, the
MiniLM span reader and the hand-set rules.

For each tier: the dev set on the seeds (and, with --bbc, on the seeds hidden among the BBC articles), the
SQuAD 2.0 held-out set (6 articles never trained on), our own reader set, with the shared scorer's figures
and answer latency (p50/p95). Writes docs/reader.json and prints a Markdown table.

    python scripts/bench_reader.py [--bbc] [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.answer.pipeline import answer, load_deps  # noqa: E402
from app.core.settings import Settings  # noqa: E402
from app.ingest import ingest  # noqa: E402
from app.store.embeddings import OnnxMiniLMEmbedding  # noqa: E402
from scripts.eval_kinds import bbc_folder  # noqa: E402

SHARED = ROOT.parent / "shared"
SQUAD = SHARED / "eval" / "squad2"
EVAL_ARTICLES = [
    "1973-oil-crisis",
    "ctenophora",
    "economic-inequality",
    "rhine",
    "university-of-chicago",
    "warsaw",
]
TIERS = ("mpnet", "mpnet-decides", "fast", "minilm", "rules")


def build(index: Path, folders: list[Path]) -> Path:
    if not index.exists():
        ingest(folders, Settings(index_dir=index), OnnxMiniLMEmbedding())
    return index


def squad_eval_docs(work: Path) -> Path:
    """The 6 SQuAD eval articles, copied once into work/squad-docs."""
    docs = work / "squad-docs"
    if not docs.exists():
        docs.mkdir()
        for a in EVAL_ARTICLES:
            shutil.copy(SQUAD / "docs" / f"{a}.txt", docs)
    return docs


def run(questions: Path, index: Path, docs: Path, tier: str, out: Path) -> dict[str, float]:
    deps = load_deps(Settings(index_dir=index, answer_mode="extractive", reader=tier))
    rows = [json.loads(line) for line in questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    answer(rows[0]["question"], [], deps)  # warm caches
    times = []
    with open(out, "w", encoding="utf-8") as f:
        for q in rows:
            t = time.perf_counter()
            a = answer(q["question"], q.get("history", []), deps)
            times.append(time.perf_counter() - t)
            f.write(json.dumps(a.to_dict()) + "\n")
    r = subprocess.run(
        [sys.executable, str(SHARED / "eval" / "score.py"), str(questions), str(out), "--seeds", str(docs)],
        capture_output=True,
        text=True,
        check=True,
    )
    figs = {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", r.stdout.splitlines()[-1])}
    times.sort()
    figs["p50_ms"] = round(1000 * times[len(times) // 2], 1)
    figs["p95_ms"] = round(1000 * times[int(len(times) * 0.95)], 1)
    if any("fact" in q for q in rows):
        figs.update(consistency(rows, out))
    return figs


def consistency(rows: list[dict], answers: Path) -> dict[str, float]:
    """Paraphrase sets: the share of facts answered right in every wording, and the share given the same
    answer (the same words, or the same refusal) in every wording."""
    from scripts.tune_reader import correct, norm

    got = [json.loads(x) for x in answers.read_text(encoding="utf-8").splitlines() if x.strip()]
    facts: dict[str, list[tuple[bool, str]]] = {}
    for q, a in zip(rows, got, strict=True):
        text = "" if a["refused"] else norm(re.sub(r"\[\d+\]", "", a["answer"])).strip(" .")
        facts.setdefault(q["fact"], []).append((not a["refused"] and correct(a["answer"], q["expect"]), text))
    n = len(facts) or 1
    return {
        "facts_all_right": round(sum(all(r for r, _ in v) for v in facts.values()) / n, 3),
        "facts_same_answer": round(
            sum(len({t for _, t in v}) == 1 or all(r for r, _ in v) for v in facts.values()) / n, 3
        ),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bbc", action="store_true", help="also the dev set on seeds + 2,225 BBC articles")
    ap.add_argument("--tiers", default=",".join(TIERS))
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "sourced-bench-reader")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "reader.json")
    ap.add_argument("--sets", default="", help="comma-separated substrings of set names to run (default all)")
    args = ap.parse_args()
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    squad_docs = squad_eval_docs(work)
    seeds = ROOT / "seeds"
    sets = [
        ("dev, seeds", SHARED / "eval" / "dev.jsonl", build(work / "seeds-index", [seeds]), seeds),
        ("squad2 eval (300)", SQUAD / "eval.jsonl", build(work / "squad-index", [squad_docs]), squad_docs),
        ("news3 held out (ours)", ROOT / "tests" / "questions_news3.jsonl", None, None),
        ("paraphrase (seeds)", ROOT / "tests" / "questions_paraphrase.jsonl", work / "seeds-index", seeds),
    ]
    news3 = ROOT / "tests" / "questions_news3.files"
    if (SHARED / "corpora" / "bbc").exists():  # 12 BBC articles never used before, questions written first
        n3 = bbc_folder(news3)
        sets[2] = (sets[2][0], sets[2][1], build(work / "news3-index", [n3]), n3)
    else:
        sets.pop(2)
    held_out = ROOT / "tests" / "questions_reader_bbc.files"
    if (
        SHARED / "corpora" / "bbc"
    ).exists():  # the reader set's held-out half: 8 BBC articles, never tuned to
        bbc_docs = bbc_folder(held_out)
        sets.append(
            (
                "reader set (BBC; a tuning set now)",
                held_out.with_suffix(".jsonl"),
                build(work / "held-out-index", [bbc_docs]),
                bbc_docs,
            )
        )
    if args.bbc:
        bbc = build(work / "bbc-index", [seeds, SHARED / "corpora" / "bbc"])
        sets.insert(1, ("dev, seeds + BBC", SHARED / "eval" / "dev.jsonl", bbc, seeds))
    results = []
    for tier in args.tiers.split(","):
        for name, qs, index, docs in sets:
            if not qs.exists() or (args.sets and not any(k in name for k in args.sets.split(","))):
                continue
            figs = run(qs, index, docs, tier, work / f"{tier}-{qs.stem}.jsonl")
            results.append({"tier": tier, "set": name, **figs})
            print(json.dumps(results[-1]), flush=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    cols = ["answer", "cite", "exact", "refuse", "false_refusal", "f1", "words", "p50_ms", "p95_ms"]
    cols += ["facts_all_right", "facts_same_answer"]
    print("| tier | set | " + " | ".join(cols) + " |\n|---|---|" + "---:|" * len(cols))
    for r in results:
        print(f"| {r['tier']} | {r['set']} | " + " | ".join(f"{r.get(c, 0):g}" for c in cols) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
