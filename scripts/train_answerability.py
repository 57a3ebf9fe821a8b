"""Train the learned answerability model (models/answerability-*.json) on SQuAD 2.0 training articles.

For every question of ../shared/eval/squad2/train.jsonl (17 articles; the 6 report articles of eval.jsonl are
never read) the real pipeline retrieves passages from an index of those articles, scores sentences and,
with --reader, runs the span reader; each candidate sentence is labelled 1 when it holds a gold answer of an
answerable question, else 0. A logistic regression (scikit-learn) is fitted; the refusal threshold is chosen
by leave-articles-out cross-validation to maximise balanced accuracy (answered correctly on answerable
questions + refused on unanswerable ones). Writes the coefficients, the standardisation, the threshold and
the cross-validated figures as JSON.

    python scripts/train_answerability.py --out models/answerability-fast.json
    python scripts/train_answerability.py --reader --out models/answerability.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.answer.answerability import FEATURES, feature_vector  # noqa: E402
from app.answer.choose import candidates  # noqa: E402
from app.answer.extractive import score_sentences  # noqa: E402
from app.answer.pipeline import load_deps  # noqa: E402
from app.core.settings import Settings  # noqa: E402
from app.core.types import Query  # noqa: E402
from app.ingest import ingest  # noqa: E402
from app.store.embeddings import build_embedder  # noqa: E402

SQUAD = ROOT.parent / "shared" / "eval" / "squad2"
REPORT_ARTICLES = {
    "1973-oil-crisis",
    "ctenophora",
    "economic-inequality",
    "rhine",
    "university-of-chicago",
    "warsaw",
}
SEED = 13


def norm(s: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", s.lower()).split())


def train_docs(tmp: Path) -> Path:
    docs = tmp / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    for f in sorted((SQUAD / "docs").glob("*.txt")):
        if f.stem not in REPORT_ARTICLES:
            shutil.copy(f, docs / f.name)
    return docs


def questions() -> list[dict]:
    rows = [json.loads(line) for line in open(SQUAD / "train.jsonl", encoding="utf-8") if line.strip()]
    assert not any(Path(s).stem in REPORT_ARTICLES for r in rows for s in r.get("sources", []))
    return rows


def collect(rows: list[dict], index: Path, use_reader: bool, cache: Path) -> list[dict]:
    """Per question: candidate features, labels and the article, from the real pipeline."""
    settings = Settings(index_dir=index)
    deps = load_deps(settings)
    reader = None
    if use_reader:
        from app.answer.reader import SpanReader

        reader = SpanReader(threads=settings.reader_threads)
    scored_cache: dict[str, list] = pickle.loads(cache.read_bytes()) if cache.exists() else {}
    out = []
    t = time.time()
    for n, r in enumerate(rows):
        q = Query(r["question"], r["question"])
        if r["id"] in scored_cache:
            hits, scored = scored_cache[r["id"]]
        else:
            hits = deps.retriever.retrieve(q.search_text)
            qvec = deps.retriever.embed_query(q.standalone)
            scored = score_sentences(q, hits, deps.embedder, deps.retriever.keyword, settings, qvec)
            scored_cache[r["id"]] = (hits, scored)
        cands, _ = candidates(q, hits, scored, reader, settings.reader_passages)
        golds = [norm(a) for g in r.get("expect", []) for a in g]
        labels = [int(any(g and g in norm(s.text) for g in golds)) for s in scored]
        out.append(
            {
                "article": r["article"],
                "answerable": r.get("answerable", True) is not False,
                "x": [feature_vector(c) for c in cands],
                "y": labels,
            }
        )
        if n % 500 == 0:
            print(f"  {n}/{len(rows)} questions, {time.time() - t:.0f}s", flush=True)
    cache.write_bytes(pickle.dumps(scored_cache))
    return out


def decide(items: list[dict], probs: list[np.ndarray], threshold: float) -> dict[str, float]:
    """Question-level figures at a threshold: answered right, refused traps, false refusals."""
    ok_ans = n_ans = ref = n_un = false_ref = 0
    for it, p in zip(items, probs, strict=True):
        best = int(np.argmax(p)) if len(p) else -1
        answers = best >= 0 and p[best] >= threshold
        if it["answerable"]:
            n_ans += 1
            false_ref += not answers
            ok_ans += answers and it["y"][best] == 1
        else:
            n_un += 1
            ref += not answers
    return {
        "answer": ok_ans / max(n_ans, 1),
        "refuse": ref / max(n_un, 1),
        "false_refusal": false_ref / max(n_ans, 1),
        "balanced": ((n_ans - false_ref) / max(n_ans, 1) + ref / max(n_un, 1)) / 2,
    }


def fit(items: list[dict]):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    x = np.asarray([v for it in items for v in it["x"]], dtype=np.float64)
    y = np.asarray([v for it in items for v in it["y"]])
    scaler = StandardScaler().fit(x)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    model = LogisticRegression(C=0.5, max_iter=2000, class_weight="balanced", random_state=SEED)
    model.fit((x - scaler.mean_) / scale, y)
    return scaler.mean_, scale, model.coef_[0], float(model.intercept_[0])


def predict(items: list[dict], mean, scale, coef, intercept) -> list[np.ndarray]:
    out = []
    for it in items:
        x = np.asarray(it["x"], dtype=np.float64).reshape(-1, len(FEATURES))
        out.append(1 / (1 + np.exp(-(((x - mean) / scale) @ coef + intercept))))
    return out


def cross_validate(items: list[dict], folds: int = 5) -> tuple[float, dict[str, float]]:
    """Leave-articles-out: thresholds chosen on out-of-fold probabilities."""
    articles = sorted({it["article"] for it in items})
    probs: list[np.ndarray | None] = [None] * len(items)
    for k in range(folds):
        held = set(articles[k::folds])
        train = [it for it in items if it["article"] not in held]
        params = fit(train)
        idx = [i for i, it in enumerate(items) if it["article"] in held]
        for i, p in zip(idx, predict([items[i] for i in idx], *params), strict=True):
            probs[i] = p
    full = [p if p is not None else np.zeros(0) for p in probs]
    grid = np.linspace(0.05, 0.95, 91)
    best = max(grid, key=lambda t: decide(items, full, float(t))["balanced"])
    return float(best), decide(items, full, float(best))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reader", action="store_true", help="include the span reader's features")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "sourced-train-answerability")
    args = ap.parse_args()
    rows = questions()
    args.work.mkdir(parents=True, exist_ok=True)
    index = args.work / "index"
    docs = train_docs(args.work)
    ingest([docs], Settings(index_dir=index), build_embedder(Settings(index_dir=index)))
    items = collect(rows, index, args.reader, args.work / "scored.pkl")
    threshold, figures = cross_validate(items)
    mean, scale, coef, intercept = fit(items)
    data_hash = hashlib.sha256((SQUAD / "train.jsonl").read_bytes()).hexdigest()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "features": list(FEATURES),
                "mean": [round(float(v), 6) for v in mean],
                "scale": [round(float(v), 6) for v in scale],
                "coef": [round(float(v), 6) for v in coef],
                "intercept": round(intercept, 6),
                "threshold": round(threshold, 4),
                "reader": bool(args.reader),
                "trained_on": {
                    "file": "../shared/eval/squad2/train.jsonl",
                    "sha256": data_hash,
                    "questions": len(rows),
                },
                "cross_validated": {k: round(v, 4) for k, v in figures.items()},
            },
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"threshold {threshold:.2f}; leave-articles-out: {figures}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
