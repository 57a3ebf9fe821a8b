"""Evaluation: `sourced eval QUESTIONS.jsonl`: a question set (the JSONL format of docs/eval.md) answered over a
folder indexed into a temporary index (or the configured index), scored exactly as the shared scorer
(../shared/eval/score.py) does, with latency, by kind of question, against a baseline run, written as a report
(report.md, chart.png, answers.jsonl, figures.json).

It may import the entry points of `app.answer` and `app.ingest`, and `app.store`, `app.text` and `app.core`;
only the CLI imports it. Its entry points are exported here."""

from app.evaluate.questions import Item, QuestionSetError, load_questions
from app.evaluate.run import EvalRun, run_eval
from app.evaluate.score import Scores, score, summary_line

__all__ = [
    "EvalRun",
    "Item",
    "QuestionSetError",
    "Scores",
    "load_questions",
    "run_eval",
    "score",
    "summary_line",
]
