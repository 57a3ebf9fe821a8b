"""Decode speed of the local model per thread count, on an idle machine and beside a busy process.

    python scripts/bench_threads.py [--model PATH] [--threads 1 2] [--prompt-tokens 600] [--gen-tokens 48]

For each thread count, a fresh worker process loads the model, evaluates a ~600-token prompt (time to first
token) and decodes --gen-tokens tokens (tokens/s, EOS ignored), --runs times with the KV cache reset between
runs. Each configuration runs twice: alone, and with `python -c "while True: pass"` pinned to the last core
(a stand-in for another user's job, or our own ingest embedding). Prints a table; --json writes the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def prompt_text() -> str:
    return "\n\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt")))


def worker(args: argparse.Namespace) -> None:
    """One configuration in this process: print one JSON line."""
    import llama_cpp

    args.threads = args.threads[0]
    t0 = time.monotonic()
    llm = llama_cpp.Llama(
        model_path=args.model,
        n_ctx=2048,
        n_threads=args.threads,
        n_threads_batch=args.batch_threads or args.threads,
        n_batch=256,
        verbose=False,
    )
    load_s = time.monotonic() - t0
    tokens = llm.tokenize(prompt_text().encode(), add_bos=False)[: args.prompt_tokens]
    ttfts, rates = [], []
    for _ in llm.generate(tokens[:16], temp=0.0, reset=True):  # warm-up: page in the weights
        break
    for _run in range(args.runs):
        llm.reset()
        start = time.monotonic()
        first = last = None
        n = 0
        for _ in llm.generate(tokens, temp=0.0, reset=True):
            now = time.monotonic()
            n += 1
            if first is None:
                first = now
            last = now
            if n >= args.gen_tokens or now - first > args.cap_seconds:
                break
        assert first is not None and last is not None
        ttfts.append(first - start)
        rates.append((n - 1) / (last - first) if n > 1 and last > first else 0.0)
    print(
        json.dumps(
            {
                "threads": args.threads,
                "batch_threads": args.batch_threads or args.threads,
                "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", ""),
                "load_s": round(load_s, 2),
                "prompt_tokens": len(tokens),
                "ttft_s": [round(x, 2) for x in ttfts],
                "decode_tps": [round(x, 1) for x in rates],
            }
        ),
        flush=True,
    )


def start_busy() -> subprocess.Popen[bytes]:
    core = max(os.sched_getaffinity(0))
    return subprocess.Popen(
        [sys.executable, "-c", "while True: pass"], preexec_fn=lambda: os.sched_setaffinity(0, {core})
    )


def run_config(
    args: argparse.Namespace, threads: int, batch_threads: int, busy: bool, omp_passive: bool
) -> dict[str, object]:
    env = dict(os.environ)
    if omp_passive:
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        "--model",
        args.model,
        "--threads",
        str(threads),
        "--batch-threads",
        str(batch_threads),
        "--prompt-tokens",
        str(args.prompt_tokens),
        "--gen-tokens",
        str(args.gen_tokens),
        "--runs",
        str(args.runs),
        "--cap-seconds",
        str(args.cap_seconds),
    ]
    hog = start_busy() if busy else None
    try:
        time.sleep(0.5 if busy else 0)
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True, timeout=900).stdout
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()
    row = json.loads(out.strip().splitlines()[-1])
    row["busy"] = busy
    row["loadavg_1m_after"] = os.getloadavg()[0]
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--batch-threads", type=int, default=0, help="worker: threads for prompt evaluation")
    ap.add_argument("--mixed", action="store_true", help="also try 1 decode thread with 2 prompt threads")
    ap.add_argument(
        "--omp-passive", action="store_true", help="also try 2 threads with OMP_WAIT_POLICY=PASSIVE"
    )
    ap.add_argument("--prompt-tokens", type=int, default=600)
    ap.add_argument("--gen-tokens", type=int, default=48)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--cap-seconds", type=float, default=30.0, help="stop decoding a run after this long")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args)
        return
    if not args.model:
        from app.answer.llm.modelfile import DEFAULT_CACHE_DIR, ensure_model

        args.model = str(ensure_model(Path(os.environ.get("SOURCED_LOCAL_MODEL_DIR") or DEFAULT_CACHE_DIR)))
    configs = [(t, t, False) for t in args.threads]
    if args.mixed:
        configs.append((1, 2, False))
    if args.omp_passive:
        configs.append((2, 2, True))
    rows = []
    print(f"{'threads':>7} {'prompt':>6} {'omp':>7} {'busy':>5} {'ttft s':>13} {'decode tok/s':>14}")
    for busy in (False, True):
        for threads, batch, passive in configs:
            r = run_config(args, threads, batch, busy, passive)
            rows.append(r)
            ttft, tps = r["ttft_s"], r["decode_tps"]
            assert isinstance(ttft, list) and isinstance(tps, list)
            print(
                f"{threads:>7} {batch:>6} {'passive' if passive else 'default':>7} {'yes' if busy else 'no':>5} "
                f"{statistics.median(ttft):>6.2f} ({max(ttft):.2f}) {statistics.median(tps):>7.1f} ({min(tps):.1f})"
                f"   load {r['loadavg_1m_after']:.1f}",
                flush=True,
            )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
