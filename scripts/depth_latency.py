"""Depth as a measured choice (issue 19): the read time of an MPNet reader with 6 and with 12 layers, exported
and quantised exactly as shipped (ONNX opset 17, dynamic int8 per-channel), on the run-time read pattern: one
onnxruntime call over `--passages` windows of `--tokens` tokens, `--threads` threads. The weights need not be
trained for this (time does not depend on their values), so the 12-layer model is timed without a 100-min run.

    .venv-train/bin/python scripts/depth_latency.py --base DIR [--shipped models/reader-mpnet/reader.int8.onnx]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))


def build(base: Path, layers: int, out: Path) -> Path:
    """The reader architecture of scripts/train_reader.py with `layers` of 12 kept, as int8 ONNX."""
    import train_reader as T  # the training script's own model and export: the same graph as shipped
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = T.Reader(base, "mpnet", layers if layers < 12 else 0)
    fp32 = out / f"mpnet{layers}.fp32.onnx"
    int8 = out / f"mpnet{layers}.int8.onnx"
    T.export_onnx(model, fp32)
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
    fp32.unlink()
    return int8


def time_reads(path: Path, passages: int, tokens: int, threads: int, runs: int) -> dict[str, float]:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(13)
    ids = rng.integers(1000, 30000, size=(passages, tokens), dtype=np.int64)
    ids[:, 0] = 0
    feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
    feeds = {k: v for k, v in feeds.items() if k in {i.name for i in sess.get_inputs()}}
    sess.run(None, feeds)  # warm
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        sess.run(None, feeds)
        times.append(1000 * (time.perf_counter() - t))
    times.sort()
    return {
        "p50_ms": round(times[len(times) // 2], 1),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
        "file_mb": round(path.stat().st_size / 1e6, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", type=Path, required=True, help="the all-mpnet-base-v2 folder")
    ap.add_argument("--shipped", type=Path, default=ROOT / "models" / "reader-mpnet" / "reader.int8.onnx")
    ap.add_argument("--passages", type=int, default=4, help="windows per read (settings.reader_passages)")
    ap.add_argument("--tokens", type=int, default=192, help="tokens per window (the reader's max)")
    ap.add_argument("--threads", type=int, default=1, help="settings.reader_threads")
    ap.add_argument("--runs", type=int, default=40)
    args = ap.parse_args()
    out: dict[str, object] = {"passages": args.passages, "tokens": args.tokens, "threads": args.threads}
    with tempfile.TemporaryDirectory() as tmp:
        for layers in (6, 12):
            path = build(args.base, layers, Path(tmp))
            out[f"mpnet-{layers} (untrained, same graph)"] = time_reads(
                path, args.passages, args.tokens, args.threads, args.runs
            )
    if args.shipped.exists():
        out["mpnet-6 trained (models/reader-mpnet)"] = time_reads(
            args.shipped, args.passages, args.tokens, args.threads, args.runs
        )
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
