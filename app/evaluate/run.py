"""One evaluation run: a question set answered over a folder indexed into a temporary index (or the configured
index), timed, scored, and written as a report."""

from __future__ import annotations

import json
import math
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.answer import Deps, answer, load_deps
from app.core.errors import SourcedError
from app.core.settings import Settings
from app.evaluate.questions import Item, QuestionSetError, load_questions
from app.evaluate.score import FIGURES, Scores, SourceText, by_kind, files_in, score
from app.ingest import ingest
from app.store.embeddings import build_embedder

Progress = Callable[[int, int], None]


@dataclass
class EvalRun:
    """What a run asked, answered and scored."""

    questions: Path
    items: list[Item]
    answers: list[dict[str, Any]]  # each as `sourced ask --json` prints it, with the item's id and latency
    latencies: list[float]  # milliseconds per question
    scores: Scores
    kinds: dict[str, Scores]
    started: datetime
    docs: Path | None = None
    reader: str = ""
    mode: str = ""
    baseline: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    articles: int = 0  # documents in the index answered from

    def docs_label(self) -> str | None:
        """The folder as a reader of the report can find it: relative to here, or "a temporary folder"."""
        if self.docs is None:
            return None
        path = self.docs.resolve()
        if path.is_relative_to(Path.cwd()):
            return str(path.relative_to(Path.cwd())) or "."
        if path.is_relative_to(Path(tempfile.gettempdir()).resolve()):
            return "a temporary folder"
        return str(self.docs)

    def latency(self) -> dict[str, float]:
        return {"p50": percentile(self.latencies, 50), "p95": percentile(self.latencies, 95)}

    def figures(self) -> dict[str, Any]:
        """figures.json: the scorer's figures, n, by kind, latency, and what ran when."""
        return {
            **self.scores.figures(),
            "by_kind": {k: s.figures() for k, s in self.kinds.items()},
            "latency_ms": self.latency(),
            "date": self.started.isoformat(timespec="seconds"),
            "questions": self.questions.name,
            "docs": self.docs_label(),
            "articles": self.articles,
            "reader": self.reader,
            "mode": self.mode,
        }


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (0 for no values), rounded to 0.1 ms."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)], 1)


def load_baseline(path: Path) -> dict[str, Any]:
    """An earlier run's figures.json."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise QuestionSetError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise QuestionSetError(f"{path}: not the figures.json of an earlier run") from None
    if not isinstance(data, dict) or not any(isinstance(data.get(k), int | float) for k in FIGURES):
        raise QuestionSetError(f"{path}: not the figures.json of an earlier run")
    return data


def reader_of(deps: Deps) -> str:
    """Which reader answered: the MPNet reader, a learned answerability model, or the hand-set rules."""
    if deps.neural is not None:
        return "mpnet-decides"
    if deps.answerability is None:
        return "rules"
    return f"{deps.settings.reader} tier ({deps.answerability.name})"


def answer_all(
    items: list[Item], deps: Deps, progress: Progress | None = None
) -> tuple[list[dict[str, Any]], list[float]]:
    """Each item answered as `sourced ask --json --batch` would (an error becomes {"question", "error"})."""
    out: list[dict[str, Any]] = []
    times: list[float] = []
    for n, item in enumerate(items, 1):
        t = time.perf_counter()
        try:
            got = answer(item.question, item.history, deps).to_dict()
        except SourcedError as exc:
            got = {"question": item.question, "error": str(exc)}
        ms = (time.perf_counter() - t) * 1000
        times.append(ms)
        out.append({"id": item.id, **got, "latency_ms": round(ms, 1)})
        if progress is not None:
            progress(n, len(items))
    return out, times


def run_eval(
    questions: Path,
    settings: Settings,
    docs: Path | None = None,
    baseline: Path | None = None,
    progress: Progress | None = None,
) -> EvalRun:
    """Answer and score a question set; nothing is written (write_report does). A malformed question line,
    baseline or docs folder is a QuestionSetError before anything runs."""
    items = load_questions(questions)
    base = load_baseline(baseline) if baseline is not None else None
    if docs is not None and not docs.is_dir():
        raise QuestionSetError(f"{docs}: no such folder")
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="sourced-eval-") as tmp:
        if docs is not None:
            settings = settings.model_copy(update={"index_dir": Path(tmp) / "index"})
            summary = ingest([docs], settings, build_embedder(settings))
            if not summary.as_dict()["chunks"]:
                raise QuestionSetError(f"{docs}: no article could be indexed")
            text_of: SourceText = files_in(str(docs))
        deps = load_deps(settings)
        if docs is None:
            text_of = deps.retriever.store.document_text
        articles = len(deps.retriever.docs)
        answers, times = answer_all(items, deps, progress)
        scores = score(items, answers, text_of)
        kinds = by_kind(items, answers, text_of)
        mode = deps.llm.mode if deps.llm is not None else "extractive"
        run = EvalRun(
            questions, items, answers, times, scores, kinds, started, docs, reader_of(deps), mode, base
        )
    run.articles = articles
    return run
