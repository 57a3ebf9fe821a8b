"""The report of a run, written into one folder: report.md, chart.png (matplotlib: the figures by kind, and the
change against the baseline run), answers.jsonl and figures.json."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from app.evaluate.run import EvalRun
from app.evaluate.score import FIGURES, Judged, Scores, summary_line

NAMES = {
    "answer": "answer",
    "cite": "cite",
    "exact": "exact",
    "refuse": "refuse",
    "false_refusal": "false refusal",
    "f1": "F1",
    "em": "EM",
    "words": "words (median)",
}
LOWER_IS_BETTER = {"false_refusal"}
MAX_MISSES = 60


def write_report(run: EvalRun, out: Path) -> list[Path]:
    """Write the four files (the chart only when matplotlib is installed); their paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    answers = out / "answers.jsonl"
    _write(answers, "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in run.answers))
    figures = out / "figures.json"
    _write(figures, json.dumps(run.figures(), indent=2, ensure_ascii=False) + "\n")
    written += [answers, figures]
    chart = out / "chart.png"
    if draw_chart(run, chart):
        written.append(chart)
    else:
        run.notes.append("chart.png was not drawn: matplotlib is not installed (pip install matplotlib).")
    report = out / "report.md"
    _write(report, markdown(run, chart.exists()))
    return [report, *written]


def _write(path: Path, text: str) -> None:
    """Whole or not at all: a run stopped halfway leaves the previous file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _pct(x: float) -> str:
    return f"{x:.2f}"


def _change(now: float, before: Any, key: str) -> str:
    if not isinstance(before, int | float):
        return ""
    d = now - before
    if abs(d) < 0.005 and key != "words":
        return "±0.00"
    better = (d < 0) if key in LOWER_IS_BETTER else (d > 0)
    mark = "" if key == "words" else (" ▲" if better else " ▼")
    return f"{d:+.2f}{mark}" if key != "words" else f"{d:+.0f}"


def markdown(run: EvalRun, chart: bool) -> str:
    s, base = run.scores, run.baseline or {}
    lat = run.latency()
    lines = [
        f"# Evaluation: {run.questions.name}",
        "",
        f"Run {run.started.strftime('%Y-%m-%d %H:%M')} UTC · {s.n} questions "
        f"({sum(j.item.answerable for j in s.judged)} answerable) · "
        f"{_articles(run)} · "
        f"reader: {run.reader} · engine: {run.mode}",
        "",
        f"`{summary_line(s)}` (as `score.py` prints it)",
        "",
    ]
    head = "| figure | value |" + (" baseline | change |" if base else "")
    lines += [head, "|---|---:|" + ("---:|---:|" if base else "")]
    for k in (*FIGURES, "words"):
        v = getattr(s, k)
        cell = f"{v:.0f}" if k == "words" else _pct(v)
        row = f"| {NAMES[k]} | {cell} |"
        if base:
            b = base.get(k)
            shown = "" if not isinstance(b, int | float) else (f"{b:.0f}" if k == "words" else _pct(b))
            row += f" {shown} | {_change(v, b, k)} |"
        lines.append(row)
    blat = base.get("latency_ms") if isinstance(base.get("latency_ms"), dict) else {}
    lines += [
        "",
        f"Latency per question: p50 {lat['p50']:.0f} ms, p95 {lat['p95']:.0f} ms"
        + (
            f" (baseline: p50 {blat['p50']:.0f} ms, p95 {blat['p95']:.0f} ms)"
            if isinstance(blat, dict) and isinstance(blat.get("p50"), int | float)
            else ""
        )
        + ".",
        "",
    ]
    if base:
        lines += [
            f"Baseline: the run of {base.get('date', 'an unknown date')} ({base.get('reader', '')}).",
            "",
        ]
    if run.kinds:
        lines += ["## By kind of question", ""]
        lines += [
            "| kind | n | answer | cite | refuse | false refusal | F1 | EM | words |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for k, ks in run.kinds.items():
            lines.append(
                f"| {k} | {ks.n} | {_ks(ks, 'answer')} | {_ks(ks, 'cite')} | {_ks(ks, 'refuse')} | "
                f"{_ks(ks, 'false_refusal')} | {_ks(ks, 'f1')} | {_ks(ks, 'em')} | {ks.words:.0f} |"
            )
        lines += [
            "",
            "A figure over no items is shown as – (the scorer counts it as 1.00).",
            "",
        ]
    if chart:
        lines += ["![figures by kind, and the change against the baseline](chart.png)", ""]
    misses = [(j, a) for j, a in zip(s.judged, run.answers, strict=True) if _missed(j)]
    lines += ["## Misses", ""]
    if not misses:
        lines.append("None.")
    for j, a in misses[:MAX_MISSES]:
        lines.append(f"- {_miss(j, a)}")
    if len(misses) > MAX_MISSES:
        lines.append(f"- … and {len(misses) - MAX_MISSES} more (answers.jsonl has every answer).")
    lines += ["", *(f"Note: {n}" for n in run.notes)]
    lines += [
        "",
        "answer: the answer holds every expected group · cite: a citation from a gold source quotes an expected "
        "alternative · exact: quote == source text[start:end] · refuse: unanswerable items refused with no "
        "citations · false refusal: answerable items refused · F1/EM: SQuAD token F1 and exact match of the "
        "answer against its best alternative · words: median words of the answers given. Format and "
        "commands: docs/eval.md.",
        "",
    ]
    return "\n".join(lines)


def _articles(run: EvalRun) -> str:
    label = run.docs_label()
    if label is None:
        return f"{run.articles} articles of the configured index"
    where = "a temporary copy" if label == "a temporary folder" else f"`{label}`"
    return f"{run.articles} articles from {where}, indexed for this run"


def _ks(ks: Scores, k: str) -> str:
    """A kind's figure, or – when it is over no items (the scorer's 1.0 for an empty share)."""
    answerable = sum(j.item.answerable for j in ks.judged)
    empty = (answerable == 0) if k != "refuse" else (answerable == ks.n)
    return "–" if empty else _pct(getattr(ks, k))


def _missed(j: Judged) -> bool:
    return (j.refused_ok is False) or (j.answer_ok is False) or (j.cite_ok is False)


def _miss(j: Judged, a: dict[str, Any]) -> str:
    text = " ".join((a.get("answer") or a.get("error") or "").split())
    text = text if len(text) <= 160 else text[:159] + "…"
    kind = f" ({j.item.kind})" if j.item.kind else ""
    if j.refused_ok is False:
        what = "should refuse"
    elif j.refused:
        what = "refused"
    else:
        what = f"answer {'ok' if j.answer_ok else 'MISS'}, cite {'ok' if j.cite_ok else 'MISS'}"
    return f"`{j.item.id}`{kind} {what}: {j.item.question} → “{text}”"


def draw_chart(run: EvalRun, path: Path) -> bool:
    """Per-kind bars of answer, cite, refuse and F1; beside them the change of each figure against the
    baseline (or the figures themselves when there is none). False when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    groups = dict(run.kinds) or {"all": run.scores}
    shown = ("answer", "cite", "refuse", "f1")
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2), gridspec_kw={"width_ratios": [3, 2]})
    width = 0.8 / len(shown)
    names = list(groups)
    for i, k in enumerate(shown):
        vals = [_value(groups[g], k) for g in names]
        xs = [x + (i - (len(shown) - 1) / 2) * width for x in range(len(names))]
        bars = left.bar(xs, [v if v is not None else 0 for v in vals], width, label=NAMES[k])
        if len(names) <= 4:
            left.bar_label(bars, labels=["–" if v is None else f"{v:.2f}" for v in vals], fontsize=7)
    left.set_xticks(range(len(names)), [f"{g}\n(n={groups[g].n})" for g in names], fontsize=8)
    left.set_xlim(-0.7, max(len(names), 2) - 0.3)
    left.set_ylim(0, 1.1)
    left.set_title(f"{run.questions.name}: figures by kind of question" if run.kinds else "figures")
    left.legend(fontsize=8, ncols=4, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    keys = list(FIGURES)
    base = run.baseline or {}
    if base:
        deltas = [getattr(run.scores, k) - float(base.get(k, getattr(run.scores, k))) for k in keys]
        good = [(d <= 0) if k in LOWER_IS_BETTER else (d >= 0) for k, d in zip(keys, deltas, strict=True)]
        right.barh([NAMES[k] for k in keys], deltas, color=["#15803d" if g else "#b91c1c" for g in good])
        right.axvline(0, color="#333", lw=0.8)
        lim = max(0.05, *(abs(d) for d in deltas)) * 1.2
        right.set_xlim(-lim, lim)
        right.set_title(f"change against the baseline ({str(base.get('date', ''))[:10]})")
    else:
        right.barh([NAMES[k] for k in keys], [getattr(run.scores, k) for k in keys], color="#2563eb")
        right.set_xlim(0, 1.05)
        right.set_title("all questions (no baseline given)")
    right.invert_yaxis()
    fig.suptitle(
        f"Sourced · {run.started.strftime('%Y-%m-%d')} · reader {run.reader}", fontsize=9, x=0.99, ha="right"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def _value(s: Scores, k: str) -> float | None:
    answerable = sum(j.item.answerable for j in s.judged)
    if (k == "refuse" and answerable == s.n) or (k != "refuse" and answerable == 0):
        return None
    return float(getattr(s, k))
