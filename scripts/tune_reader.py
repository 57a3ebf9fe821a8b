"""Choose the MPNet reader's operating point on held-out tuning data, and measure every veto.

    python scripts/tune_reader.py [--model models/reader-mpnet] [--write] [--plot docs/reader.png]

Tuning data (never a set we report as held-out): the SQuAD 2.0 questions of the three training articles the
reader was validated on (black-death, pharmacy, private-school: the weights never saw them) and our older
news sets (tests/questions_reader*.jsonl, tests/questions_extra*.jsonl). Reported sets (dev.jsonl, the SQuAD
eval split, tests/questions_news3.jsonl, tests/questions_paraphrase.jsonl) are never read here.

Each question is asked once with the bar at 0 (the reader's every read kept in the trace); the bar, the
span-alone bar and the vetoes are then swept offline. Writes the choice into the model's config.json
("decision") with --write, the figures to stdout and --json, and the refuse/false-refusal curve per reader.
"""

from __future__ import annotations

import argparse
import json
import pickle
import re
import shutil
import sys
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.answer.pipeline import NEURAL_DIR, Trace, answer, load_deps  # noqa: E402
from app.answer.question.kinds import SHORT_KINDS, question_kind  # noqa: E402
from app.answer.reader.neural import VETOES, Policy, Read, shape_of  # noqa: E402
from app.answer.reader.span_reader import SpanReader  # noqa: E402
from app.core.settings import Settings  # noqa: E402
from app.ingest import ingest  # noqa: E402
from app.store.embeddings import OnnxMiniLMEmbedding  # noqa: E402

SHARED = ROOT.parent / "shared"
SQUAD = SHARED / "eval" / "squad2"
BBC = SHARED / "corpora" / "bbc"
VAL_ARTICLES = ("black-death", "pharmacy", "private-school")
NEWS_SETS = ("questions_reader.jsonl", "questions_extra.jsonl", "questions_extra2.jsonl")


def norm(s: str) -> str:
    """As ../shared/eval/score.py normalises before matching."""
    s = unicodedata.normalize("NFKC", s).lower().replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"\s+", " ", s)


def correct(text: str, expect: list[list[str]]) -> bool:
    t = norm(re.sub(r"\[\d+\]", "", text))
    return all(any(norm(alt) in t for alt in group) for group in expect)


def slug(article: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", article.lower()).strip("-")


def squad_val(work: Path) -> tuple[list[dict], Path]:
    docs = work / "squad-val-docs"
    docs.mkdir(parents=True, exist_ok=True)
    for a in VAL_ARTICLES:
        shutil.copy(SQUAD / "docs" / f"{a}.txt", docs / f"{a}.txt")
    rows = [json.loads(x) for x in open(SQUAD / "train.jsonl", encoding="utf-8")]
    return [r for r in rows if slug(r["article"]) in VAL_ARTICLES], docs


def bbc_docs(files: Path, work: Path) -> Path:
    out = work / f"docs-{files.stem}"
    out.mkdir(parents=True, exist_ok=True)
    for line in files.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            shutil.copy(BBC / line.strip(), out / line.strip().replace("/", "_"))
    return out


def tuning_sets(work: Path) -> list[tuple[str, list[dict], Path]]:
    sq, sq_docs = squad_val(work)
    seeds = [
        json.loads(x)
        for name in NEWS_SETS
        for x in (ROOT / "tests" / name).read_text(encoding="utf-8").splitlines()
        if x.strip()
    ]
    bbc = [
        json.loads(x) for x in (ROOT / "tests" / "questions_reader_bbc.jsonl").read_text().splitlines() if x
    ]
    return [
        ("squad-val", sq, sq_docs),
        ("news-seeds", seeds, ROOT / "seeds"),
        ("news-bbc", bbc, bbc_docs(ROOT / "tests" / "questions_reader_bbc.files", work)),
    ]


@dataclass
class Row:
    set: str
    answerable: bool
    expect: list[list[str]]
    short: bool
    stage: str
    fixed_text: (
        str | None
    )  # the answer when the reader did not decide (a finder, yes/no, ...); None if refused
    reads: list[Read]


def collect(work: Path, model: Path) -> list[Row]:
    rows: list[Row] = []
    for name, qs, docs in tuning_sets(work):
        index = work / f"index-{name}"
        if not index.exists():
            ingest([docs], Settings(index_dir=index), OnnxMiniLMEmbedding())
        settings = Settings(index_dir=index, answer_mode="extractive", reader="mpnet-decides", reader_bar=0.0)
        deps = load_deps(settings)
        if model.resolve() != NEURAL_DIR.resolve():
            deps.neural = SpanReader(model, threads=settings.reader_threads)
        deps.policy = Policy(bar=0.0, alone_bar=1.01, vetoes=())
        for q in qs:
            tr = Trace()
            a = answer(q["question"], q.get("history", []), deps, tr)
            neural = tr.stage == "reader" and tr.decision is not None
            rows.append(
                Row(
                    set=name,
                    answerable=q.get("answerable", True),
                    expect=q.get("expect", []),
                    short=question_kind(q["question"]) in SHORT_KINDS,
                    stage=tr.stage,
                    fixed_text=None if neural or a.refused else a.answer,
                    reads=tr.decision.reads if neural and tr.decision else [],
                )
            )
        print(f"{name}: {len(qs)} questions", file=sys.stderr)
    return rows


def simulate(r: Row, bar: float, alone: float, vetoes: tuple[str, ...]) -> str | None:
    """The answer text the policy would give (None = refused)."""
    if not r.reads:
        return r.fixed_text
    free = [x for x in r.reads if not set(x.vetoes) & set(vetoes)]
    if not free or free[0].prob < bar:
        return None
    best = free[0]
    shape = shape_of(best, r.short, alone, 12)
    return best.text if shape == "span" else f"{best.text} — {best.sentence}"


def figures(rows: list[Row], bar: float, alone: float, vetoes: tuple[str, ...]) -> dict[str, float]:
    ans = [r for r in rows if r.answerable]
    una = [r for r in rows if not r.answerable]
    texts = [simulate(r, bar, alone, vetoes) for r in ans]
    right = sum(1 for r, t in zip(ans, texts, strict=True) if t is not None and correct(t, r.expect))
    refused = sum(1 for r in una if simulate(r, bar, alone, vetoes) is None)
    fr = sum(1 for t in texts if t is None)
    return {
        "answer": right / max(1, len(ans)),
        "refuse": refused / max(1, len(una)),
        "false_refusal": fr / max(1, len(ans)),
        "accuracy": (right + refused) / max(1, len(rows)),
    }


def objective(rows: list[Row], bar: float, alone: float, vetoes: tuple[str, ...]) -> float:
    """Mean over the tuning sets of (right answers + right refusals) / questions: each set weighs the same."""
    sets = sorted({r.set for r in rows})
    return sum(figures([r for r in rows if r.set == s], bar, alone, vetoes)["accuracy"] for s in sets) / len(
        sets
    )


BARS = [round(0.02 * i, 2) for i in range(1, 50)]


def choose_bar(rows: list[Row], vetoes: tuple[str, ...]) -> float:
    return max(BARS, key=lambda b: (objective(rows, b, 1.01, vetoes), -abs(b - 0.5)))


def measure_vetoes(rows: list[Row], bar: float) -> dict[str, dict[str, int]]:
    """Each veto alone against none: traps it turns into refusals, true answers it kills (at this bar)."""
    out = {}
    for v in VETOES:
        caught = killed = 0
        for r in rows:
            if not r.reads:
                continue
            before = simulate(r, bar, 1.01, ())
            after = simulate(r, bar, 1.01, (v,))
            if r.answerable:
                killed += int(
                    before is not None
                    and correct(before, r.expect)
                    and not (after and correct(after, r.expect))
                )
            else:
                caught += int(before is not None and after is None)
        out[v] = {"caught": caught, "killed": killed}
    return out


def choose_alone(rows: list[Row], bar: float, vetoes: tuple[str, ...]) -> float:
    """The lowest span-alone bar at which span-alone answers are right as often as span-and-sentence ones,
    less at most 1 in 50 (a short answer is never less right than its sentence)."""
    cands = []
    for a in [round(0.05 * i, 2) for i in range(4, 21)]:
        lost = sum(
            1
            for r in rows
            if r.answerable
            and (t := simulate(r, bar, 1.01, vetoes)) is not None
            and correct(t, r.expect)
            and not correct(simulate(r, bar, a, vetoes) or "", r.expect)
        )
        alone = sum(
            1 for r in rows if r.reads and r.short and (t := simulate(r, bar, a, vetoes)) and " — " not in t
        )
        if alone == 0 or lost / alone <= 0.02:
            cands.append(a)
    return min(cands) if cands else 1.0


def curve(rows: list[Row], vetoes: tuple[str, ...]) -> list[tuple[float, float, float]]:
    out = []
    for b in [round(0.01 * i, 2) for i in range(0, 100)]:
        f = figures(rows, b, 1.01, vetoes)
        out.append((b, f["false_refusal"], f["refuse"]))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=NEURAL_DIR)
    ap.add_argument("--compare", type=Path, nargs="*", default=[], help="other reader dirs: curves only")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "sourced-tune")
    ap.add_argument(
        "--reuse", action="store_true", help="reuse the last run's answers (same model, same code)"
    )
    ap.add_argument("--write", action="store_true", help="write the decision into the model's config.json")
    ap.add_argument("--plot", type=Path)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    cache = args.work / f"rows-{args.model.resolve().name}.pkl"
    if args.reuse and cache.exists():
        rows = pickle.loads(cache.read_bytes())
    else:
        rows = collect(args.work, args.model)
        cache.write_bytes(pickle.dumps(rows))
    bar0 = choose_bar(rows, ())
    vet = measure_vetoes(rows, bar0)
    kept = tuple(v for v, m in vet.items() if m["caught"] > m["killed"])
    bar = choose_bar(rows, kept)
    alone = choose_alone(rows, bar, kept)
    per_set = {
        s: figures([r for r in rows if r.set == s], bar, alone, kept) for s in sorted({r.set for r in rows})
    }
    report = {
        "bar": bar,
        "alone_bar": alone,
        "vetoes": list(kept),
        "veto_measurement": vet,
        "bar_without_vetoes": bar0,
        "tuning_figures": per_set,
        "n": {s: sum(1 for r in rows if r.set == s) for s in per_set},
    }
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    if args.write:
        cfg_file = args.model / "config.json"
        cfg = json.loads(cfg_file.read_text())
        cfg["decision"] = {
            "bar": bar,
            "alone_bar": alone,
            "vetoes": list(kept),
            "kinds_first": True,
            "chosen_by": "scripts/tune_reader.py on SQuAD 2.0 validation articles and the older news sets",
            "veto_measurement": vet,
            "tuning_figures": per_set,
        }
        cfg_file.write_text(json.dumps(cfg, indent=2) + "\n")
    if args.plot:
        plot(args, rows, kept)
    return 0


def plot(args: argparse.Namespace, rows: list[Row], kept: tuple[str, ...]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.5))
    names = {"reader-mpnet": "MPNet, 6 layers (1.1 epochs)", "reader": "MiniLM-L6 (shipped)"}
    curves = [(args.model.resolve().name, rows)]
    for other in args.compare:
        cache = args.work / f"rows-{other.resolve().name}.pkl"
        rs = pickle.loads(cache.read_bytes()) if args.reuse and cache.exists() else collect(args.work, other)
        curves.append((other.name, rs))
    for name, rs in curves:
        c = curve(rs, kept)
        ax.plot([x[1] for x in c], [x[2] for x in c], label=names.get(name, name))
    ax.set_xlabel("false refusal (answerable questions refused)")
    ax.set_ylabel("refuse (unanswerable questions refused)")
    ax.set_title("The reader deciding: its bar swept 0 to 1 (tuning sets)")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.plot, dpi=110)


if __name__ == "__main__":
    raise SystemExit(main())
