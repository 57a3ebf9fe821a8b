"""Honest refusals: say what the archive covers and which articles came closest (titles, not citations)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from app.core.types import REFUSAL_LEAD, Hit
from app.store.chroma import DocRecord
from app.text.dates import human_date


def coverage_sentence(docs: Iterable[DocRecord]) -> str:
    """'They cover 5 articles from 5 June 2020 to 3 December 2024.' (saying how many carry no date)."""
    recs = list(docs)
    n = len(recs)
    noun = "article" if n == 1 else "articles"
    dated = sorted(r.published for r in recs if r.published)
    if not dated:
        return f"They cover {n} {noun}, none of them dated."
    first, last = human_date(dated[0]), human_date(dated[-1])
    if len(dated) == n:
        span = f"from {first} to {last}" if first != last else f"dated {first}"
        return f"They cover {n} {noun} {span}."
    if len(dated) == 1:
        return f"They cover {n} {noun}; only one has a date line ({first})."
    span = f"from {first} to {last}" if first != last else f"all {first}"
    return f"They cover {n} {noun}; the {len(dated)} with a date line run {span}."


def closest(hits: list[Hit], limit: int) -> list[str]:
    """Title (publisher, date) of the articles the retrieved passages came from, best first, one per article."""
    out: dict[str, str] = {}
    for h in hits:
        if h.source in out:
            continue
        meta = ", ".join(x for x in (h.publisher, human_date(h.published) if h.published else "undated") if x)
        title = re.sub(r"\[(\d+)\]", r"(\1)", h.title)  # a "[2]" in a headline is no citation marker
        out[h.source] = f"“{title}” ({meta})"
        if len(out) >= limit:
            break
    return list(out.values())


def honest_refusal(docs: Iterable[DocRecord], hits: list[Hit], limit: int, when: str = "") -> str:
    """The refusal text: what the articles cover and the closest coverage. The titles are no citations.
    when: the days a question asked about ("from 25 May 2020 to 31 May 2020"), said when nothing matched."""
    lead = f"{REFUSAL_LEAD} Nothing on this is dated {when}." if when else REFUSAL_LEAD
    text = f"{lead} {coverage_sentence(docs)}"
    near = closest(hits, limit)
    if near:
        text = f"{text[:-1]}; the closest coverage is: {'; '.join(near)}."
    return text
