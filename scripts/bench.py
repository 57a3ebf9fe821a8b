"""Benchmark: ingest throughput vs raw embedding and llama-index's default pipeline; query latency at scale."""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BBC = Path("/work/shared/corpora/bbc")
EVAL = Path("/work/shared/eval")
TOPICS = ["business", "entertainment", "politics", "sport", "tech"]


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def corpus(work: Path, quick: bool) -> list[Path]:
    """Roots to ingest: seeds, and a scratch copy of the BBC topic folders under one root (README.TXT left out).

    One root keeps sources unique (business/001.txt, sport/001.txt); --quick copies 20 files per topic.
    """
    bbc = work / "bbc"
    for t in TOPICS:
        (bbc / t).mkdir(parents=True, exist_ok=True)
        for p in sorted((BBC / t).iterdir())[: 20 if quick else None]:
            shutil.copy(p, bbc / t / p.name)
    return [ROOT / "seeds", bbc]


def files_of(paths: list[Path]) -> list[Path]:
    return sorted(p for d in paths for p in d.rglob("*") if p.is_file() and not p.name.startswith("."))


def bench_ingest(paths: list[Path], index: Path) -> dict[str, Any]:
    """Our ingest, then the raw embedding of exactly the passages it stored, same model, same process."""
    from app.core.settings import Settings
    from app.ingest.pipeline import ingest
    from app.store.chroma import Store
    from app.store.embeddings import DIMENSION, MODEL_NAME, OnnxMiniLMEmbedding

    settings = Settings(index_dir=index)
    emb = OnnxMiniLMEmbedding()
    t, c = time.perf_counter(), time.process_time()
    summary = ingest(paths, settings, emb)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    store = Store.open(settings, MODEL_NAME, DIMENSION)
    texts = [text for _, text, _ in store.iter_passages()]
    tokens = sum(emb.count_tokens(texts))
    t, c = time.perf_counter(), time.process_time()
    emb.embed(texts)
    raw, raw_cpu = time.perf_counter() - t, time.process_time() - c
    docs = summary.added
    log(f"ingest {docs} docs, {len(texts)} passages in {wall:.1f}s; raw embedding {raw:.1f}s")
    return {
        "docs": docs,
        "passages": len(texts),
        "tokens": tokens,
        "wall": wall,
        "raw_embed": raw,
        "cpu": cpu,
        "raw_embed_cpu": raw_cpu,
        "skipped": len(summary.skipped),
    }


def bench_llamaindex(paths: list[Path], work: Path) -> dict[str, Any]:
    """llama-index defaults: SimpleDirectoryReader, SentenceSplitter, VectorStoreIndex on a fresh Chroma."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.core.schema import MetadataMode
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from app.store.embeddings import OnnxMiniLMEmbedding

    emb = OnnxMiniLMEmbedding()
    client = chromadb.PersistentClient(
        path=str(work / "llamaindex"), settings=ChromaSettings(anonymized_telemetry=False)
    )
    col = client.get_or_create_collection("bench_default")
    t, c = time.perf_counter(), time.process_time()
    docs = SimpleDirectoryReader(input_files=[str(p) for p in files_of(paths)], errors="ignore").load_data()
    storage = StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=col))
    VectorStoreIndex.from_documents(docs, storage_context=storage, embed_model=emb)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    nodes = SentenceSplitter().get_nodes_from_documents(docs)
    texts = [n.get_content(metadata_mode=MetadataMode.EMBED) for n in nodes]
    embedded = sum(emb.count_tokens(texts))  # what the model saw: its 256-token window
    emb._tokenizer.no_truncation()
    whole = sum(len(e.ids) for e in emb._tokenizer.encode_batch(texts))
    log(f"llama-index default: {len(docs)} docs, {col.count()} chunks in {wall:.1f}s")
    return {
        "docs": len(docs),
        "passages": col.count(),
        "tokens": embedded,
        "tokens_in_chunks": whole,
        "wall": wall,
        "cpu": cpu,
    }


def eval_dev(index: Path, work: Path, name: str) -> dict[str, Any]:
    """Run the dev set through `sourced ask --json --batch` and the shared scorer."""
    answers = work / f"dev-{name}.jsonl"
    with open(answers, "w") as out:
        subprocess.run(
            [
                str(ROOT / ".venv/bin/sourced"),
                "ask",
                "--json",
                "--batch",
                str(EVAL / "dev.jsonl"),
                "--index-dir",
                str(index),
            ],
            stdout=out,
            check=True,
            cwd=ROOT,
        )
    proc = subprocess.run(
        [
            sys.executable,
            str(EVAL / "score.py"),
            str(EVAL / "dev.jsonl"),
            str(answers),
            "--seeds",
            str(ROOT / "seeds"),
            "--verbose",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    log(f"dev ({name}):\n{proc.stdout}{proc.stderr}")
    return {"name": name, "report": proc.stdout.strip()}


def questions() -> list[str]:
    """The dev questions plus BBC headlines turned into questions (a mix of found and not found)."""
    qs = [json.loads(line)["question"] for line in open(EVAL / "dev.jsonl") if line.strip()]
    for t in TOPICS:
        for p in sorted((BBC / t).iterdir())[5:13]:
            title = p.read_text(encoding="utf-8", errors="ignore").strip().splitlines()[0]
            qs.append(f"What happened: {title}?")
    return qs


def measure_queries(index: Path) -> dict[str, Any]:
    """Child process: open the index (startup, not timed), then per-question latencies and peak memory."""
    from app.answer.pipeline import answer, load_deps
    from app.core.settings import Settings

    t = time.perf_counter()
    deps = load_deps(Settings(index_dir=index, answer_mode="extractive"))
    startup = time.perf_counter() - t
    qs = questions()
    for q in qs[:3]:
        answer(q, [], deps)  # warm caches
    ret, ans = [], []
    for q in qs:
        t = time.perf_counter()
        deps.retriever.retrieve(q)
        ret.append(time.perf_counter() - t)
        t = time.perf_counter()
        answer(q, [], deps)
        ans.append(time.perf_counter() - t)
    return {
        "passages": deps.retriever.store.count(),
        "startup": startup,
        "questions": len(qs),
        "retrieve": pct(ret),
        "answer": pct(ans),
        "peak_rss_mb": peak_rss_mb(),
    }


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM; ru_maxrss would include the parent's high-water mark)."""
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(xs: list[float]) -> dict[str, float]:
    s = sorted(xs)
    return {
        "p50": 1000 * statistics.median(s),
        "p95": 1000 * s[min(len(s) - 1, int(round(0.95 * (len(s) - 1))))],
    }


def scale_to(index: Path, factor: int, have: int) -> float:
    """Copy the 1x passages and documents under new ids (vectors reused, nothing re-embedded) up to factor x."""
    from app.core.settings import Settings
    from app.store.chroma import Store
    from app.store.embeddings import DIMENSION, MODEL_NAME

    t = time.perf_counter()
    store = Store.open(Settings(index_dir=index), MODEL_NAME, DIMENSION)
    p = store.passages.get(
        where={"copy": {"$eq": 0}} if have > 1 else None, include=["embeddings", "documents", "metadatas"]
    )
    d = store.documents.get(
        where={"copy": {"$eq": 0}} if have > 1 else None, include=["embeddings", "documents", "metadatas"]
    )
    b = store.batch
    for k in range(have, factor):
        pm = [dict(m, source=f"x{k}/{m['source']}", copy=k) for m in p["metadatas"]]
        pid = [f"x{k}-{i}" for i in p["ids"]]
        for i in range(0, len(pid), b):
            store.passages.add(
                ids=pid[i : i + b],
                embeddings=p["embeddings"][i : i + b],
                documents=p["documents"][i : i + b],
                metadatas=pm[i : i + b],
            )
        dm = [dict(m, source=f"x{k}/{m['source']}", copy=k) for m in d["metadatas"]]
        did = [f"x{k}-{i}" for i in d["ids"]]
        for i in range(0, len(did), b):
            store.documents.add(
                ids=did[i : i + b],
                embeddings=d["embeddings"][i : i + b],
                documents=d["documents"][i : i + b],
                metadatas=dm[i : i + b],
            )
        log(f"  copy {k} done ({store.count()} passages)")
    gen = store.bump_generation()
    kt = time.perf_counter()
    store.build_keyword_index(gen).save(store.keyword_dir())
    log(
        f"scaled to {factor}x: {store.count()} passages in {time.perf_counter() - t:.0f}s "
        f"(keyword rebuild {time.perf_counter() - kt:.0f}s)"
    )
    return time.perf_counter() - kt


def mark_originals(index: Path) -> None:
    """Tag the 1x records copy=0 so scaling copies only them."""
    from app.core.settings import Settings
    from app.store.chroma import Store
    from app.store.embeddings import DIMENSION, MODEL_NAME

    store = Store.open(Settings(index_dir=index), MODEL_NAME, DIMENSION)
    for col in (store.passages, store.documents):
        got = col.get(include=["metadatas"])
        ids, metas = got["ids"], [dict(m, copy=0) for m in got["metadatas"]]
        for i in range(0, len(ids), store.batch):
            col.update(ids=ids[i : i + store.batch], metadatas=metas[i : i + store.batch])


def run_child(index: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--measure", str(index)], capture_output=True, text=True, check=True
    )
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


EXTRACTION_SECTION = "## Article extraction"


def _write_markdown(path: Path, text: str) -> None:
    """Write benchmarks.md, keeping the article-extraction section (scripts/bench_extract.py's figures)."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if EXTRACTION_SECTION in old and EXTRACTION_SECTION not in text:
        text = text.rstrip("\n") + "\n\n" + old[old.index(EXTRACTION_SECTION) :]
    path.write_text(text, encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="20 BBC files per topic, scales 1,2")
    ap.add_argument("--scales", default=None, help="corpus multiples for query latency (default 1,10,50)")
    ap.add_argument("--out", default=str(ROOT / "docs"), help="where benchmarks.json/.png go")
    ap.add_argument("--work", default=None, help="scratch directory (default: a temp dir, removed after)")
    ap.add_argument("--skip-llamaindex", action="store_true")
    ap.add_argument("--render", help="only redraw benchmarks.md/.png from a benchmarks.json")
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.measure:
        print(json.dumps(measure_queries(Path(a.measure))))
        return 0
    if a.render:
        res = json.loads(Path(a.render).read_text())
        Path(a.out).mkdir(parents=True, exist_ok=True)
        plot(res, Path(a.out) / "benchmarks.png")
        _write_markdown(Path(a.out) / "benchmarks.md", markdown(res))
        return 0
    default = "1,2" if a.quick else "1,10,50"
    scales = [int(x) for x in (default if a.scales is None else a.scales).split(",") if x]
    work = Path(a.work) if a.work else Path(tempfile.mkdtemp(prefix="sourced-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    res: dict[str, Any] = {"cpus": os.cpu_count(), "quick": a.quick, "date": time.strftime("%Y-%m-%d %H:%M")}
    try:
        paths = corpus(work, a.quick)
        seeds_index = work / "seeds-index"
        subprocess.run(
            [
                str(ROOT / ".venv/bin/sourced"),
                "ingest",
                str(ROOT / "seeds"),
                "--index-dir",
                str(seeds_index),
                "--quiet",
            ],
            check=True,
            cwd=ROOT,
        )
        res["dev"] = [eval_dev(seeds_index, work, "seeds only")]
        index = work / "index"
        res["ingest"] = bench_ingest(paths, index)
        if not a.skip_llamaindex:
            res["llamaindex"] = bench_llamaindex(paths, work)
        res["dev"].append(eval_dev(index, work, "seeds + BBC"))
        (out / "benchmarks.json").write_text(json.dumps(res, indent=1))
        res["queries"] = []
        have = 1
        for f in scales:
            if f > have:
                if have == 1:
                    mark_originals(index)
                res.setdefault("keyword_rebuild_s", {})[f] = scale_to(index, f, have)
                have = f
            q = run_child(index)
            q["scale"] = f
            res["queries"].append(q)
            log(f"{f}x: {json.dumps(q)}")
            (out / "benchmarks.json").write_text(json.dumps(res, indent=1))
    finally:
        if not a.work:
            shutil.rmtree(work, ignore_errors=True)
    plot(res, out / "benchmarks.png")
    _write_markdown(out / "benchmarks.md", markdown(res))
    print(json.dumps(res, indent=1))
    return 0


def markdown(res: dict[str, Any]) -> str:
    """docs/benchmarks.md from the results (regenerated by every `make bench`)."""
    ing, li = res["ingest"], res.get("llamaindex")
    lines = [
        "# Benchmarks",
        "",
        f"Measured by `make bench` (`scripts/bench.py`) on {res['date']}: {res['cpus']} CPU cores. Other jobs "
        "on the machine make absolute figures pessimistic; ratios compare pipelines measured in the same run. "
        "Embedding model everywhere: all-MiniLM-L6-v2 int8 ONNX (`app.store.embeddings.OnnxMiniLMEmbedding`), 256-token window.",
        "",
        "![ingest throughput and query latency](benchmarks.png)",
        "",
        "## Ingest: 2,225 BBC articles + 5 seeds",
        "",
        "| pipeline | wall s | docs/s | passages (chunks) | passages/s | embedded tokens | embedded tokens/s |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| raw embedding of Sourced's passages (the limit) | {ing['raw_embed']:.1f} | | {ing['passages']} | "
        f"{ing['passages'] / ing['raw_embed']:.1f} | {ing['tokens']} | {ing['tokens'] / ing['raw_embed']:.0f} |",
        f"| **Sourced ingest** | {ing['wall']:.1f} | {ing['docs'] / ing['wall']:.1f} | {ing['passages']} | "
        f"{ing['passages'] / ing['wall']:.1f} | {ing['tokens']} | {ing['tokens'] / ing['wall']:.0f} |",
    ]
    if li:
        lines.append(
            f"| llama-index default (SimpleDirectoryReader, SentenceSplitter, VectorStoreIndex on Chroma) | "
            f"{li['wall']:.1f} | {li['docs'] / li['wall']:.1f} | {li['passages']} | {li['passages'] / li['wall']:.1f} | "
            f"{li['tokens']} (of {li['tokens_in_chunks']} in its chunks) | {li['tokens'] / li['wall']:.0f} |"
        )
    lines += [
        "",
        f"- Ingest wall time / pure embedding time: **{ing['wall'] / ing['raw_embed']:.2f}x** (aim ≤ 1.3x).",
    ]
    if "cpu" in ing:
        lines.append(
            f"- CPU time (all threads of the process; steadier than wall time on a shared machine): ingest "
            f"{ing['cpu']:.0f} s vs pure embedding {ing['raw_embed_cpu']:.0f} s = "
            f"**{ing['cpu'] / ing['raw_embed_cpu']:.2f}x**; embedded tokens per CPU-second "
            f"{ing['tokens'] / ing['cpu']:.0f}"
            + (
                f" vs llama-index default {li['tokens'] / li['cpu']:.0f} = "
                f"**{(ing['tokens'] / ing['cpu']) / (li['tokens'] / li['cpu']):.2f}x**"
                if li and "cpu" in li
                else ""
            )
            + "."
        )
    if li:
        lines += [
            f"- Embedded tokens/s, Sourced vs llama-index default: **{(ing['tokens'] / ing['wall']) / (li['tokens'] / li['wall']):.2f}x** "
            "(aim ≥ 1.5x). The default splitter makes ~1,024-token chunks. MiniLM embeds only the first 256 tokens of each, "
            f"so it leaves {100 * (1 - li['tokens'] / max(li['tokens_in_chunks'], 1)):.0f}% of its text unembedded. "
            "Its documents/s and chunks/s figures are high partly for that reason. Compare embedded tokens/s.",
        ]
    lines += [
        "",
        "## Query latency (per question, start-up excluded)",
        "",
        "Corpus copies were made by copying the stored vectors, texts and records under new ids (no "
        "re-embedding); the keyword index was rebuilt from the store. Each scale runs in a fresh process "
        f"(dev questions plus BBC headlines as questions; {res['queries'][0]['questions'] if res.get('queries') else 0} "
        "questions). Peak RSS is that process's maximum.",
        "",
        "| scale | passages | retrieval p50 ms | retrieval p95 ms | extractive answer p50 ms | answer p95 ms | "
        "start-up s | peak RSS MB | keyword rebuild s |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    kr = res.get("keyword_rebuild_s", {})
    for q in res.get("queries", []):
        lines.append(
            f"| {q['scale']}x | {q['passages']} | {q['retrieve']['p50']:.0f} | {q['retrieve']['p95']:.0f} | "
            f"{q['answer']['p50']:.0f} | {q['answer']['p95']:.0f} | {q['startup']:.1f} | {q['peak_rss_mb']:.0f} | "
            f"{kr.get(q['scale'], kr.get(str(q['scale']), 0)):.0f} |"
        )
    lines += [
        "",
        "Aim: extractive answer p50 ≤ 150 ms at 1x on 2 cores; latency growing far slower than the corpus.",
        "",
        "## Dev set: seeds alone vs seeds hidden among the BBC articles",
        "",
        "`sourced ask --json --batch dev.jsonl --index-dir DIR`, scored by `score.py --verbose`.",
        "",
    ]
    for d in res.get("dev", []):
        lines += [f"### {d['name']}", "", "```", d["report"], "```", ""]
    if res.get("notes"):
        lines += ["## Notes", ""] + [f"- {n}" for n in res["notes"]] + [""]
    return "\n".join(lines) + "\n"


def plot(res: dict[str, Any], path: Path) -> None:
    """Left: embedded tokens/s of raw embedding, our ingest and llama-index; right: latency vs corpus size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    ing = res["ingest"]
    names, vals = (
        ["raw embedding", "sourced ingest"],
        [ing["tokens"] / ing["raw_embed"], ing["tokens"] / ing["wall"]],
    )
    if "llamaindex" in res:
        names.append("llama-index default")
        vals.append(res["llamaindex"]["tokens"] / res["llamaindex"]["wall"])
    a.bar(names, vals, color=["#888", "#2a7", "#c73"][: len(vals)])
    a.set_ylabel("embedded tokens / s")
    a.set_title("Ingest throughput (same model, same machine)")
    qs = res.get("queries") or []
    xs = [q["passages"] for q in qs]
    for key, style in (("retrieve", "o-"), ("answer", "s-")):
        b.plot(xs, [q[key]["p50"] for q in qs], style, label=f"{key} p50")
        b.plot(xs, [q[key]["p95"] for q in qs], style.replace("-", "--"), label=f"{key} p95")
    b.set_xscale("log")
    b.set_xlabel("passages in the index (log)")
    b.set_ylabel("ms per question")
    b.set_title("Query latency vs corpus size")
    b.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    raise SystemExit(main())
