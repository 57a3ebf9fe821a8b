"""Refuse against false refusal as each tier's answerability bars move (docs/reader.png).

Reads the candidates scripts/train_answerability.py saved (items-*.pkl in its work folder) and each tier's
model file. Per tier, the two bars of the run-time policy (veto, rescue) move together along the line through
the chosen pair (rescue - veto kept), so the chosen operating point is one dot on its curve. Tuning data only:
the SQuAD 2.0 training articles out of fold (each article scored by a model fitted without it) and our own news
tuning sets (the seed sets and the BBC tuning set, scored by the model fitted on all the SQuAD articles).

The items come from runs with --tune-news (so the news half holds the BBC tuning set); WORK is
/tmp/sourced-train-answerability/code-<hash>:

    python scripts/plot_tiers.py --tier fast=WORK/items-fast-1-reader-all-tune.pkl=models/answerability-fast.json \\
        --tier mpnet=WORK/items-reader-1-reader-mpnet-black-death,pharmacy,private-school-tune.pkl=models/answerability-mpnet.json \\
        --out docs/reader.png
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.train_answerability import fit, out_of_fold, policy, predict  # noqa: E402

BARS = np.linspace(0.0, 1.0, 51)


def sweep(
    items: list[dict], probs: list[np.ndarray], veto: float, rescue: float
) -> list[tuple[float, float]]:
    """(false refusal, refuse) along the line of bars through (veto, rescue)."""
    gap = rescue - veto
    points = []
    for b in BARS:
        figs = policy(items, probs, float(b), float(min(b + gap, 1.01)))
        points.append((figs["false_refusal"], figs["refuse"]))
    return points


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tier", action="append", required=True, metavar="NAME=ITEMS.pkl=MODEL.json")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4.5), sharey=True)
    for spec in args.tier:
        name, items_file, model_file = spec.split("=")
        data = pickle.loads(Path(items_file).read_bytes())
        model = json.loads(Path(model_file).read_text(encoding="utf-8"))
        veto, rescue = model["veto"], model["rescue"]
        squad = data["squad"]
        sets = [("SQuAD 2.0 training articles, out of fold", squad, out_of_fold(squad))]
        sets.append(("news tuning sets (seeds + BBC)", data["news"], predict(data["news"], *fit(squad))))
        for ax, (title, items, probs) in zip(axes, sets, strict=True):
            pts = sweep(items, probs, veto, rescue)
            line = ax.plot([p[0] for p in pts], [p[1] for p in pts], label=f"{name} ({len(items)} q)")[0]
            chosen = policy(items, probs, veto, rescue)
            ax.plot([chosen["false_refusal"]], [chosen["refuse"]], "o", color=line.get_color())
            ax.set_title(title, fontsize=10)
            print(f"{name:8s} {title[:24]:24s} chosen veto {veto} rescue {rescue}: {json.dumps(chosen)}")
    for ax in axes:
        ax.set_xlabel("false refusal (answerable questions refused)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_ylabel("refuse (unanswerable questions refused)")
    fig.suptitle("Each tier's answerability bars moved together; dots: the shipped choice", fontsize=11)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
