"""Shared builders for test values (one place that knows every field of a Hit)."""

from __future__ import annotations

from app.core.types import Hit


def make_hit(
    text: str = "x",
    *,
    source: str = "a.txt",
    start: int = 0,
    id: str | None = None,  # noqa: A002 - the field's name
    title: str = "T",
    publisher: str | None = None,
    published: str | None = None,
    score: float = 1.0,
    dense: float = 0.5,
) -> Hit:
    """A retrieved passage at [start, start + len(text)) of source; its id is source:start unless given."""
    return Hit(
        id=id if id is not None else f"{source}:{start}",
        text=text,
        source=source,
        title=title,
        publisher=publisher,
        published=published,
        start=start,
        end=start + len(text),
        score=score,
        dense=dense,
    )
