"""Prompt-prefix reuse across follow-ups with the local model: seconds to the first token of a follow-up after
its first question, with the passages in prefix order (app/answer/pipeline.py: prefix_order) and in plain
retrieval order, each pair from a cold prompt cache.

    python scripts/bench_followup.py [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.answer import pipeline  # noqa: E402
from app.core.settings import Settings  # noqa: E402
from app.ingest import ingest  # noqa: E402
from app.store.embeddings import OnnxMiniLMEmbedding  # noqa: E402

# (first question, follow-up): kinds of conversation, not the dev set's strings
PAIRS = [
    ("What did Turkey deploy in Idlib in September?", "Where were they headed?"),
    ("How many Turkish soldiers are in Idlib province?", "Who said so?"),
    ("Which Iraqi groups crossed into Syria to support the Syrian army?", "Where did they cross?"),
    ("What is the aim of the rebel operation near Aleppo?", "When did it start?"),
]


def first_token(question: str, history: list[dict[str, str]], deps: pipeline.Deps) -> tuple[float, str]:
    start = time.perf_counter()
    ttft, final = None, None
    for partial, a in pipeline.stream_answer(question, history, deps):
        if a is None and partial and ttft is None:
            ttft = time.perf_counter() - start
        if a is not None and not a.draft:
            final = a
    assert final is not None
    return (ttft if ttft is not None else float("nan")), final.answer


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "sourced-bench-local")
    args = ap.parse_args()
    index = args.work / "seeds-index"
    if not index.exists():
        ingest([ROOT / "seeds"], Settings(index_dir=index), OnnxMiniLMEmbedding())
    deps = pipeline.load_deps(Settings(index_dir=index, answer_mode="local"))
    assert deps.llm is not None and deps.llm.mode == "local"
    llama = deps.llm.backend.load()  # type: ignore[attr-defined]
    ordered = pipeline.prefix_order
    rows = []
    for order in ("prefix", "plain"):
        pipeline.prefix_order = ordered if order == "prefix" else (lambda hits, prev, limit: hits[:limit])
        for q1, q2 in PAIRS:
            import llama_cpp

            llama.set_cache(llama_cpp.LlamaRAMCache(capacity_bytes=512 << 20))  # cold for each pair
            llama.reset()
            t1, a1 = first_token(q1, [], deps)
            hist = [{"role": "user", "content": q1}, {"role": "assistant", "content": a1}]
            t2, _ = first_token(q2, hist, deps)
            rows.append(
                {
                    "order": order,
                    "first": q1,
                    "follow_up": q2,
                    "ttft_first_s": round(t1, 1),
                    "ttft_follow_s": round(t2, 1),
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    for order in ("prefix", "plain"):
        xs = sorted(r["ttft_follow_s"] for r in rows if r["order"] == order)
        print(f"{order}: follow-up first token, median {xs[len(xs) // 2]} s over {len(xs)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
