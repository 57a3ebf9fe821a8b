"""Citation markers in model output: tolerant parsing, renumbering, verification and safe markdown."""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUM = r"\d{1,3}"
_SEP = r"\s*(?:,|;|-|–|&|and)\s*(?:(?:passages?|sources?)\s*)?"
_LIST = rf"{_NUM}(?:{_SEP}{_NUM})*"
_LABEL = r"(?:(?:passages?|sources?|p\.?)\s*)?"
_MARKER = re.compile(
    rf"(?P<sp>[ \t]*)(?:\[\[\s*{_LABEL}(?P<a>{_LIST})\s*\]\]"
    rf"|【\s*{_LABEL}(?P<b>{_LIST})\s*】"
    rf"|\[\^?\s*{_LABEL}(?P<c>{_LIST})\s*\]"
    rf"|\(\s*{_LABEL}(?P<d>{_LIST})\s*\))",
    re.IGNORECASE,
)
_RANGE = re.compile(rf"({_NUM})\s*[-–]\s*({_NUM})")
_OUT = re.compile(r"\[(\d+)\]")
_TAIL = re.compile(r"(\[\[[^\]\n]{0,30}\]?|(\[|【|\()[^\]】)\n]{0,30})$")
_SPACE_BEFORE_PUNCT = re.compile(r"[ \t]+([.,;:!?])")

_THINK = re.compile(r"<think>.*?(</think>|$)", re.DOTALL | re.IGNORECASE)
_IMAGE = re.compile(r"!\[[^\]]*\]\s*(\([^)]*\)?|\[[^\]]*\])")
_LINK = re.compile(r"\[([^\]]*)\]\(\s*[^)]*\)")
_REFDEF = re.compile(r"^[ \t]*\[[^\]]+\]:[ \t]*\S+.*$", re.MULTILINE)
_HTML = re.compile(
    r"<\s*/?\s*(img|a|iframe|script|style|link|meta|object|embed|source|video|audio|svg|picture|form)\b[^>]*>?",
    re.IGNORECASE,
)
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto|data|javascript):[^>\s]*)>", re.IGNORECASE)
_URL = re.compile(r"(?<![`\w])((?:https?://|www\.)[^\s<>()\[\]`]+)", re.IGNORECASE)


@dataclass(frozen=True)
class Marked:
    """Model text with markers normalised to [k], k = 1.. in order of first citation."""

    text: str
    order: list[int]  # passage numbers (1-based, as in the prompt) in first-cited order


def _numbers(group: str) -> list[int]:
    """The passage numbers one marker names, ranges expanded (at most 20)."""
    out: list[int] = []
    for a, b in _RANGE.findall(group):
        lo, hi = int(a), int(b)
        if lo <= hi <= lo + 20:
            out.extend(range(lo, hi + 1))
    group = _RANGE.sub(" ", group)
    out.extend(int(n) for n in re.findall(r"\d+", group))
    return out


def normalise(text: str, passages: int) -> Marked:
    """Rewrite every marker to [k]s renumbered by first citation; drop markers naming no passage."""
    order: list[int] = []

    def repl(m: re.Match[str]) -> str:
        paren = m.group("d") is not None
        nums = _numbers(next(g for g in m.group("a", "b", "c", "d") if g is not None))
        valid = [n for n in nums if 1 <= n <= passages]
        if paren and len(valid) != len(nums):
            return m.group(0)  # "(12)" naming no passage is probably not a marker at all
        out = []
        for n in dict.fromkeys(valid):
            if n not in order:
                order.append(n)
            out.append(f"[{order.index(n) + 1}]")
        return m.group("sp") + "".join(out) if out else ""

    text = _MARKER.sub(repl, text)
    text = re.sub(r"(\[\d+\])(?:\1)+", r"\1", text)
    return Marked(text, order)


def sanitise(text: str) -> str:
    """Remove what could leak data or smuggle content: images, links, raw HTML, hidden reasoning."""
    text = _THINK.sub("", text)
    text = _IMAGE.sub("", text)
    text = _LINK.sub(lambda m: f"[{m.group(1)}]" if m.group(1).strip().isdigit() else m.group(1), text)
    text = _REFDEF.sub("", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _HTML.sub("", text)
    return _URL.sub(r"`\1`", text)


def render(raw: str, passages: int, partial: bool = False) -> Marked:
    """Safe, normalised text from raw model output; a partial stream holds back an unfinished marker."""
    if partial:
        raw = _TAIL.sub("", raw)
        raw = re.sub(r"(!\[[^\]\n]*\]?\(?[^)\n]*|\[[^\]\n]*\]\([^)\n]*|!)$", "", raw)  # unfinished link/image
    return normalise(sanitise(raw).strip(), passages)


def cited(text: str) -> list[int]:
    """Numbers of the [k] markers in normalised text, in order."""
    return [int(n) for n in _OUT.findall(text)]


def strip_markers(text: str) -> str:
    """Text without [k] markers (for history sent back to the model)."""
    return _SPACE_BEFORE_PUNCT.sub(r"\1", re.sub(r"[ \t]*\[\d+\]", "", text))


_REFUSAL = re.compile(
    r"^\W*(the (indexed )?(articles|passages|sources) (don'?t|do not|does not|doesn'?t) (say|contain|mention)"
    r"|i (can'?t|cannot|could not|couldn'?t) find|not found|no answer)",
    re.IGNORECASE,
)


def is_refusal(text: str) -> bool:
    """Whether the model said the passages don't contain the answer."""
    return bool(_REFUSAL.search(text.replace("’", "'")))
