"""Names a client gives to articles: hostile until checked. A name is one plain file name in the managed folder,
never a path: no separators, no dot-names, no control, format or private-use characters, nothing that Unicode
normalisation would turn into something else."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from app.text.documents import SUPPORTED

# Beyond letters, digits and marks, only these; everything else (slashes, colons, quotes, shell and
# wildcard characters, whitespace other than the space) is refused.
_PUNCT = set(" ._-()[],+'&@")
_WORD = ("L", "N", "M")  # Unicode categories: letters, numbers, combining marks


class BadName(ValueError):
    """A refused name; the message is the per-file reason shown to the client."""


def check_name(name: object, max_chars: int) -> str:
    """The name itself when it is a safe, supported file name in the managed folder; else BadName."""
    if not isinstance(name, str) or not name:
        raise BadName("no file name")
    if len(name) > max_chars or len(name.encode("utf-8")) > 255:
        raise BadName(f"the name is too long (at most {max_chars} characters)")
    if unicodedata.normalize("NFKC", name) != name:
        raise BadName("the name has characters that stand for others (use plain letters)")
    for ch in name:
        if ch not in _PUNCT and not unicodedata.category(ch).startswith(_WORD):
            raise BadName(f"the name has a character that is not allowed (U+{ord(ch):04X})")
    if name[0] in ". -" or name[-1] in ". ":
        raise BadName("the name may not start with a dot, space or dash, nor end with a dot or space")
    if Path(name).suffix.lower() not in SUPPORTED:
        raise BadName(f"unsupported file type; use one of {', '.join(sorted(SUPPORTED))}")
    return name


def check_source(source: object, max_chars: int) -> str:
    """A source named in a request (a key of the store, never opened as a path): sane text or BadName."""
    if not isinstance(source, str) or not source or len(source) > 4 * max_chars:
        raise BadName("no such article")
    if any(unicodedata.category(ch)[0] == "C" for ch in source):
        raise BadName("no such article")
    return source


def inside(folder: Path, name: str) -> Path:
    """folder/name, checked to stay directly inside the folder once resolved (no symlink leads out)."""
    base = folder.resolve()
    target = base / name
    if target.is_symlink() or target.resolve().parent != base:
        raise BadName("the name points outside the archive folder")
    return target
