"""The feedback log: one SQLite file (stdlib sqlite3, WAL so readers never block the writer)."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.core.errors import BadFeedback
from app.core.settings import Settings

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    answer_id TEXT UNIQUE,
    created TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT NOT NULL DEFAULT '',
    question TEXT NOT NULL,
    answer TEXT NOT NULL DEFAULT '',
    citations TEXT NOT NULL DEFAULT '[]',
    mode TEXT NOT NULL DEFAULT ''
)
"""
COLUMNS = ("id", "created", "rating", "comment", "question", "answer", "citations", "mode")
_ANSWER_ID = re.compile(r"[0-9a-f]{32}")
_CITATION_KEYS = ("id", "source", "title", "publisher", "published", "quote", "start", "end")
_CITATION_TYPES: dict[str, Any] = {k: str | None for k in _CITATION_KEYS} | {
    k: int | None for k in ("id", "start", "end")
}
_MODES = {"extractive", "llm", "local", ""}
_FORMULA = ("=", "+", "-", "@", "\t", "\r")  # a cell starting so runs as a formula in a spreadsheet


@dataclass
class Feedback:
    """One rating of one answer. answer_id (from the chat page) lets a changed mind replace the first rating."""

    rating: str
    question: str
    answer: str = ""
    comment: str = ""
    mode: str = ""
    citations: list[dict[str, Any]] = field(default_factory=list)
    answer_id: str | None = None


def parse_feedback(data: Any, settings: Settings) -> Feedback:
    """A Feedback from a request body, or BadFeedback: shapes and sizes checked, citations trimmed to known keys."""
    bad = BadFeedback(settings.max_feedback_comment_chars)
    if not isinstance(data, dict) or data.get("rating") not in ("up", "down"):
        raise bad
    # absent or null takes the default; any other value must be of the field's type ({} is not a mode)
    q, a, c = data.get("question"), _given(data, "answer", ""), _given(data, "comment", "")
    mode, aid, cites = _given(data, "mode", ""), data.get("answer_id"), _given(data, "citations", [])
    if not isinstance(q, str) or not q.strip() or len(q) > settings.max_question_chars:
        raise bad
    if not isinstance(a, str) or len(a) > settings.max_feedback_answer_chars:
        raise bad
    if not isinstance(c, str) or len(c) > settings.max_feedback_comment_chars:
        raise bad
    if not isinstance(mode, str) or mode not in _MODES:  # an unhashable mode is refused, not a 500
        raise bad
    if aid is not None and not (isinstance(aid, str) and _ANSWER_ID.fullmatch(aid)):
        raise bad
    if not isinstance(cites, list) or len(cites) > settings.max_feedback_citations:
        raise bad
    cited = [_citation(x, bad) for x in cites]
    return Feedback(data["rating"], _utf8(q.strip()), _utf8(a), _utf8(c.strip()), mode, cited, aid)


def _given(data: dict[str, Any], key: str, default: Any) -> Any:
    value = data.get(key)
    return default if value is None else value


def _utf8(text: str) -> str:
    """text as SQLite can store it: a lone surrogate (a JSON body may carry "\\ud800") becomes "?"."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _citation(item: Any, bad: BadFeedback) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise bad
    if any(
        k in item and (isinstance(item[k], bool) or not isinstance(item[k], _CITATION_TYPES[k]))
        for k in _CITATION_KEYS
    ):
        raise bad  # {"start": {}} is not a citation
    out = {k: item[k] for k in _CITATION_KEYS if k in item}
    out = {k: _utf8(v) if isinstance(v, str) else v for k, v in out.items()}
    if len(json.dumps(out)) > 10_000:
        raise bad
    return out


class FeedbackLog:
    """Feedback kept in SQLite; a connection per call, so any thread may use it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def for_settings(cls, settings: Settings) -> FeedbackLog:
        return cls(settings.feedback_file())

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=10)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute(_SCHEMA)
        return con

    def integrity(self) -> list[str]:
        """What SQLite's PRAGMA integrity_check finds wrong with the file ([] when sound or not created yet)."""
        if not self.path.exists():
            return []
        try:
            con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10)
            try:
                rows = con.execute("PRAGMA integrity_check").fetchall()
            finally:
                con.close()
        except sqlite3.DatabaseError as exc:
            return [str(exc)]
        return [str(r[0]) for r in rows if r and r[0] != "ok"]

    def add(self, fb: Feedback) -> int:
        """Store one rating (replacing an earlier one of the same answer_id); its id."""
        row = {**asdict(fb), "citations": json.dumps(fb.citations, ensure_ascii=False)}
        row["created"] = datetime.now(UTC).isoformat(timespec="seconds")
        with closing(self._connect()) as con, con:
            cur = con.execute(
                "INSERT INTO feedback (answer_id, created, rating, comment, question, answer, citations, mode) "
                "VALUES (:answer_id, :created, :rating, :comment, :question, :answer, :citations, :mode) "
                "ON CONFLICT(answer_id) DO UPDATE SET created=excluded.created, rating=excluded.rating, "
                "comment=excluded.comment RETURNING id",
                row,
            )
            return int(cur.fetchone()[0])

    def count(self, rating: str | None = None) -> int:
        """How many items (of one rating, "up" or "down", when given)."""
        if not self.path.exists():
            return 0
        with closing(self._connect()) as con:
            if rating is None:
                return int(con.execute("SELECT count(*) FROM feedback").fetchone()[0])
            return int(con.execute("SELECT count(*) FROM feedback WHERE rating = ?", (rating,)).fetchone()[0])

    def items(
        self, limit: int | None = None, offset: int = 0, rating: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Newest first; only one rating ("up" or "down") when given."""
        if not self.path.exists():
            return
        where = "WHERE rating = ?" if rating is not None else ""
        args: tuple[Any, ...] = (rating,) if rating is not None else ()
        with closing(self._connect()) as con:
            cur = con.execute(
                f"SELECT {', '.join(COLUMNS)} FROM feedback {where} ORDER BY id DESC LIMIT ? OFFSET ?",
                (*args, -1 if limit is None else limit, offset),
            )
            for row in cur:
                item = dict(zip(COLUMNS, row, strict=True))
                item["citations"] = json.loads(item["citations"])
                yield item

    def days(self, limit: int = 30) -> list[dict[str, Any]]:
        """Ratings per day (UTC), newest day first: [{"day": "2024-10-01", "up": 3, "down": 1}]."""
        if not self.path.exists():
            return []
        with closing(self._connect()) as con:
            rows = con.execute(
                "SELECT substr(created, 1, 10) AS day, sum(rating = 'up'), sum(rating = 'down') FROM feedback "
                "GROUP BY day ORDER BY day DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [{"day": d, "up": int(u), "down": int(n)} for d, u, n in rows]

    def export(self, fmt: str, out: io.TextIOBase | Any) -> int:
        """Write every item as JSON lines or CSV (citations as a JSON cell); how many were written."""
        n = 0
        if fmt == "csv":
            w = csv.writer(out)
            w.writerow(COLUMNS)
            for item in self.items():
                w.writerow([_cell(item[c]) for c in COLUMNS])
                n += 1
            return n
        for item in self.items():
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
            n += 1
        return n


def _cell(value: Any) -> str:
    """A CSV cell that a spreadsheet shows as text: comments are written by the public."""
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, list) else str(value)
    return "'" + text if text.startswith(_FORMULA) else text
