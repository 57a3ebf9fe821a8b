"""Size the answer queue from a measurement: N simultaneous POST /api/ask against a real server on loopback.

For each concurrency it serves with a queue large enough to refuse nothing, fires N questions at once
(each one distinct, so no cache helps), and records throughput and latency; then it replays the old defaults
(concurrency 4 + queue 32) and the chosen ones to count "busy" replies. The rule it applies:

    queue_size = ceil(throughput * max_wait) - concurrency, and never less than 2 * burst

where max_wait is how long a reader will watch the typing dots (30 s) and burst the simultaneous questions
the queue must hold without turning any away (40).

    python scripts/queue_load.py [--burst 40] [--max-wait 30] [--json docs/queue.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUESTIONS = [
    "What did Turkey deploy in September?",
    "Why are Syrian regime forces advancing on Idlib?",
    "Who led the opposition advance toward Aleppo?",
    "Which border crossing did the Turkish convoy use?",
]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(settings: Any, deps: Any) -> tuple[str, Any]:
    import uvicorn

    from app.web.api import create_app

    port = _port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, deps), host="127.0.0.1", port=port, log_level="error")
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


async def burst(url: str, n: int, tag: str) -> tuple[float, list[tuple[int, float]]]:
    """n questions at once; (wall seconds, [(status, seconds)])."""
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=600, limits=httpx.Limits(max_connections=n)) as c:

        async def one(i: int) -> tuple[int, float]:
            t = time.perf_counter()
            q = f"{QUESTIONS[i % len(QUESTIONS)]} ({tag} {i})"  # distinct: the query-embedding cache can't help
            r = await c.post("/api/ask", json={"question": q})
            return r.status_code, time.perf_counter() - t

        t0 = time.perf_counter()
        got = await asyncio.gather(*(one(i) for i in range(n)))
        return time.perf_counter() - t0, list(got)


def run(settings: Any, deps: Any, concurrency: int, queue: int, n: int, tag: str) -> dict[str, Any]:
    s = settings.model_copy(
        update={"concurrency": concurrency, "queue_size": queue, "rate_limit_per_minute": 0}
    )
    url, server = serve(s, deps)
    try:
        asyncio.run(burst(url, 4, "warm"))
        wall, got = asyncio.run(burst(url, n, tag))
    finally:
        server.should_exit = True
    ok = sorted(t for code, t in got if code == 200)
    return {
        "concurrency": concurrency,
        "queue_size": queue,
        "requests": n,
        "ok": len(ok),
        "busy": sum(code == 503 for code, _ in got),
        "wall_s": round(wall, 2),
        "throughput_per_s": round(len(ok) / wall, 2),
        "p50_s": round(statistics.median(ok), 2) if ok else None,
        "p95_s": round(ok[max(0, math.ceil(0.95 * len(ok)) - 1)], 2) if ok else None,
        "max_s": round(ok[-1], 2) if ok else None,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--burst", type=int, default=40)
    p.add_argument("--max-wait", type=float, default=30.0)
    p.add_argument("--concurrency", type=int, nargs="*", default=[1, 2, 4])
    p.add_argument("--json", help="write the figures here")
    args = p.parse_args()

    from app.answer.pipeline import load_deps
    from app.core.settings import Settings
    from app.ingest import ingest
    from app.store.embeddings import build_embedder

    tmp = Path(tempfile.mkdtemp(prefix="sourced-queue-"))
    try:
        settings = Settings(index_dir=tmp / "index", answer_mode="extractive")
        ingest([ROOT / "seeds"], settings, build_embedder(settings))
        deps = load_deps(settings)
        rows = [run(settings, deps, c, 10 * args.burst, args.burst, f"c{c}") for c in args.concurrency]
        for r in rows:
            print(json.dumps(r), flush=True)
        best = max(rows, key=lambda r: r["throughput_per_s"])
        c = best["concurrency"]
        queue = max(2 * args.burst, math.ceil(best["throughput_per_s"] * args.max_wait) - c)
        old = run(settings, deps, 4, 32, args.burst, "old")
        new = run(settings, deps, c, queue, args.burst, "new")
        out = {
            "machine": f"{__import__('os').cpu_count()} cores",
            "sweep": rows,
            "chosen": {
                "concurrency": c,
                "queue_size": queue,
                "max_wait_s": args.max_wait,
                "burst": args.burst,
            },
            "old_defaults": old,
            "new_defaults": new,
        }
        print(json.dumps(out["chosen"]))
        print(json.dumps({"old": old, "new": new}))
        if args.json:
            Path(args.json).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
