"""Fit the plain-text line classifier (app/text/boilerplate.py) and write app/text/boilerplate_weights.py.

Data: ../shared/eval/extraction (trafilatura's public evaluation pages as scraped plain text, txt/, with the
snippets each page's main text must and must not contain). Only the tuning half is used: the pages at even
positions in the sorted list of file names; the other half stays held out (scripts/bench_extract.py reports
both). A line holding a snippet of the main text is content, one holding a snippet that must not be there is
not; other lines are unlabelled. The repetition counts come from the whole folder, as a batch ingest of it would
count them (they use no label).

    .venv/bin/python scripts/train_boilerplate.py [--data ../shared/eval/extraction]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.text.boilerplate import FEATURES, Repetition, features  # noqa: E402

OUT = ROOT / "app" / "text" / "boilerplate_weights.py"


def norm(s: str) -> str:
    return " ".join(s.split())


def page_lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


def labels(lines: list[str], entry: dict) -> list[int | None]:
    got: list[int | None] = [None] * len(lines)
    normed = [norm(ln) for ln in lines]
    for s in entry.get("with", []):
        for i, ln in enumerate(normed):
            if norm(s) in ln:
                got[i] = 1
    for s in entry.get("without", []):
        for i, ln in enumerate(normed):
            if norm(s) in ln and got[i] is None:
                got[i] = 0
    return got


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "eval" / "extraction")
    ap.add_argument("--c", type=float, default=0.3, help="inverse regularisation strength")
    a = ap.parse_args()
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    entries = {
        e["file"]: e for e in json.loads((a.data / "evaldata.json").read_text(encoding="utf-8")).values()
    }
    names = sorted(p.name for p in (a.data / "pages").iterdir())
    texts = {n: (a.data / "txt" / f"{n}.txt").read_text(encoding="utf-8") for n in names}
    repetition = Repetition(texts.values())
    xs, ys = [], []
    for name in names[0::2]:
        lines = page_lines(texts[name])
        x = features(lines, repetition)
        for i, y in enumerate(labels(lines, entries[name])):
            if y is not None:
                xs.append(x[i])
                ys.append(y)
    x, y = np.array(xs), np.array(ys)
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=a.c, max_iter=5000).fit(scaler.transform(x), y)
    scale = np.where(scaler.scale_ == 0, 1.0, scaler.scale_)
    weights = model.coef_[0] / scale
    bias = float(model.intercept_[0] - np.sum(model.coef_[0] * scaler.mean_ / scale))
    assert len(weights) == FEATURES
    body = ",\n".join(f"    {w!r}" for w in (round(float(v), 6) for v in weights))
    OUT.write_text(
        '"""Weights of the plain-text line classifier (app/text/boilerplate.py): written by\n'
        f'scripts/train_boilerplate.py from {len(y)} labelled lines of the tuning half (C={a.c})."""\n\n'
        f"BIAS = {round(bias, 6)!r}\nTHRESHOLD = 0.5\nWEIGHTS = [\n{body},\n]\n",
        encoding="utf-8",
    )
    print(f"{len(y)} lines ({y.mean():.2f} content), {FEATURES} features -> {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
