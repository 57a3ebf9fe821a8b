"""Questions about now ("current", "latest", "still"): answer from the newest relevant dated article and say
when that was."""

from __future__ import annotations

from datetime import date

from app.answer.reader.extractive import Scored, select
from app.core.settings import Settings
from app.core.types import Answer
from app.text.dates import human_date


def prefer_newest(scored: list[Scored], settings: Settings) -> list[Scored] | None:
    """The sentences to answer from when a newer dated article answers nearly as well as the best one.

    None keeps the reader's own choice: nothing answerable, the best is already the newest, or the best comes
    from an undated article (how it compares in time can't be told)."""
    answerable = [s for s in scored if s.answerable]
    if not answerable or not answerable[0].hit.published:
        return None
    bar = answerable[0].score * settings.current_score_share
    newest = max(
        (s for s in answerable if s.hit.published and s.score >= bar), key=lambda s: s.hit.published or ""
    )
    if (newest.hit.published or "") <= (answerable[0].hit.published or ""):
        return None
    return select([s for s in scored if s.hit.source == newest.hit.source], settings) or None


def label_current(a: Answer, settings: Settings, today: date) -> Answer:
    """'As of 5 June 2020 (The New Arab): …' on an answer to a question about now, with a warning when that
    article is old or undated."""
    if a.refused or not a.citations:
        return a
    first = a.citations[0]
    if not first.published:
        a.warnings.append(
            "The article this answer comes from carries no date, so how current it is can't be told."
        )
        return a
    when = human_date(first.published)
    a.answer = f"As of {when}{f' ({first.publisher})' if first.publisher else ''}: {a.answer}"
    try:
        age = (today - date.fromisoformat(first.published)).days
    except ValueError:
        return a
    if age > settings.stale_after_days:
        a.warnings.append(
            f"The newest relevant article is from {when}, {age // 365} year{'s' if age >= 730 else ''} before "
            "today: things may have changed since."
        )
    return a
