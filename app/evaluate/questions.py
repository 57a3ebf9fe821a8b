"""A question set: one JSON object a line (docs/eval.md). Every line is checked before anything runs; a
malformed one is an error naming its line."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.core.errors import SourcedError

EXPECT_EXAMPLE = '"expect": [["20", "twenty"], ["vehicle"]], "sources": ["article.txt"]'


class QuestionSetError(SourcedError):
    message = "{}"
    status = 400


@dataclass(frozen=True)
class Item:
    """One question of the set, as the scorer reads it."""

    line: int
    id: str
    question: str
    answerable: bool
    expect: list[list[str]] = field(default_factory=list)  # every group must be matched, by any alternative
    sources: list[str] = field(default_factory=list)  # files that hold the answer
    history: list[dict[str, str]] = field(default_factory=list)
    kind: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)  # the line as written (the scorer's view of it)


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(x, str) for x in value)


def parse_item(line: str, n: int, where: str) -> Item:
    """One line, or QuestionSetError("FILE: line N: what is wrong")."""

    def bad(what: str) -> QuestionSetError:
        return QuestionSetError(f"{where}: line {n}: {what}")

    try:
        d = json.loads(line)
    except json.JSONDecodeError as e:
        raise bad(f"not JSON ({e.msg} at column {e.colno})") from None
    if not isinstance(d, dict):
        raise bad("not a JSON object")
    q = d.get("question")
    if not isinstance(q, str) or not q.strip():
        raise bad('no "question" (a non-empty string)')
    answerable = d.get("answerable", True)
    if not isinstance(answerable, bool):
        raise bad('"answerable" must be true or false')
    expect, sources = d.get("expect"), d.get("sources")
    if answerable:
        if not (isinstance(expect, list) and expect and all(_strings(g) and g for g in expect)):
            raise bad(
                f'"expect" must be a list of groups of alternatives, e.g. {EXPECT_EXAMPLE} '
                '(or "answerable": false)'
            )
        if not _strings(sources):
            raise bad(f'"sources" must be a list of file names, e.g. {EXPECT_EXAMPLE}')
    history = d.get("history") or []
    if not isinstance(history, list) or not all(
        isinstance(m, dict) and m.get("role") in ("user", "assistant") and isinstance(m.get("content"), str)
        for m in history
    ):
        raise bad('"history" must be a list of {"role": "user"|"assistant", "content": "..."}')
    kind = d.get("kind")
    if kind is not None and (not isinstance(kind, str) or not kind.strip()):
        raise bad('"kind" must be a non-empty string')
    ident = d.get("id", f"line{n}")
    if not isinstance(ident, str | int):
        raise bad('"id" must be a string')
    return Item(
        line=n,
        id=str(ident),
        question=q,
        answerable=answerable,
        expect=expect if answerable else [],  # type: ignore[arg-type]
        sources=sources if answerable else [],  # type: ignore[arg-type]
        history=history,
        kind=kind,
        raw=d,
    )


def load_questions(path: Path) -> list[Item]:
    """Every question of a JSONL file (blank lines skipped); QuestionSetError on the first malformed line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise QuestionSetError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise QuestionSetError(f"{path}: not UTF-8 text") from None
    except OSError as e:
        raise QuestionSetError(f"{path}: {e.strerror or 'cannot be read'}") from None
    lines = text.split("\n")  # as a file iterates: a U+2028 inside a JSON string is not a line break
    items = [parse_item(line, n, str(path)) for n, line in enumerate(lines, 1) if line.strip()]
    if not items:
        raise QuestionSetError(f"{path}: no questions (one JSON object a line)")
    return items
