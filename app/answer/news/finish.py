"""What every final answer passes through before it is returned: honest refusals that say what the archive
covers, and (for answers) the news-specific touches added by later hooks."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from app.answer.news.coverage import honest_refusal
from app.answer.news.current import label_current
from app.answer.news.outlets import disagreements, side_by_side
from app.answer.question.timeq import TimeWindow, window_words
from app.answer.retrieval import Retriever
from app.core.settings import Settings
from app.core.types import Answer, Hit


def finish(
    a: Answer,
    hits: list[Hit],
    retriever: Retriever,
    settings: Settings,
    window: TimeWindow | None = None,
    today: date | None = None,
) -> Answer:
    """A refusal names the archive's coverage and the closest articles; it keeps no citations and no [n].
    An answer drawing on several outlets is grouped by outlet, with the figures they disagree on; an answer
    to a question about now is labelled with its article's date."""
    if a.refused:
        when = window_words(window) if window is not None and window.adverbial else ""
        text = honest_refusal(retriever.docs.values(), hits, settings.refusal_closest_articles, when)
        return replace(a, answer=text, citations=[], disagreements=[])
    a = side_by_side(replace(a, disagreements=disagreements(a.question, a.citations)))
    if window is not None and window.present:
        a = label_current(a, settings, today or date.today())
    return a
