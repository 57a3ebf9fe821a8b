"""The CSS and JavaScript files in static/, read once at import: served as they are, never templated."""

from __future__ import annotations

from functools import cache
from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"


@cache
def static_text(name: str) -> str:
    """The text of one file in static/ (a fixed name from our own code, never from a request)."""
    return (STATIC / name).read_text(encoding="utf-8")
