"""Several outlets in one answer: what each says, grouped under its name, and the figures they disagree on
(the same thing counted differently), each figure cited. Never blended into one number."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from app.answer.reader.extractive import Scored
from app.core.types import Answer, Citation, Disagreement, Figure
from app.text.words import STOPWORDS, terms

NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "dozen": 12,
    "twenty": 20,
    "hundred": 100,
    "thousand": 1000,
}
# What a figure counts happening to its noun: "36 soldiers killed" and "25,000 soldiers in Idlib" are
# different things, so their numbers never disagree.
EVENT_KINDS = {
    "kill": "dead",
    "die": "dead",
    "death": "dead",
    "dead": "dead",
    "wound": "hurt",
    "injur": "hurt",
    "displac": "displaced",
    "flee": "displaced",
    "fled": "displaced",
    "arrest": "detained",
    "detain": "detained",
    "captur": "captured",
}
_NUM = re.compile(
    rf"(?<![\w.,])(?P<n>\d{{1,3}}(?:,\d{{3}})+|\d+(?:\.\d+)?|{'|'.join(NUMBER_WORDS)})"
    r"(?P<scale> (?:thousand|million|billion))?(?P<after>(?: [\w'’-]+){1,3})",
    re.IGNORECASE,
)
_SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9}
_LABEL_WORDS = 6  # words of a headline used to name an article whose outlet is unknown


@dataclass(frozen=True)
class _Count:
    noun: str  # stem
    word: str  # as written
    value: float
    said: str  # the number as written
    kind: str  # what happened to the noun ("dead", …) or ""


def counts(sentence: str) -> list[_Count]:
    """Numbers in a sentence with the noun each counts ("25,000 Turkish soldiers" -> soldier: 25000)."""
    out = []
    kinds = {k for t in terms(sentence) for stem, k in EVENT_KINDS.items() if t.startswith(stem)}
    kind = min(kinds) if len(kinds) == 1 else "" if not kinds else "mixed"
    for m in _NUM.finditer(sentence):
        raw = m.group("n").lower().replace(",", "")
        value = float(NUMBER_WORDS.get(raw, 0) or raw) * _SCALE.get(
            (m.group("scale") or " ").strip().lower(), 1
        )
        for w in m.group("after").split():
            if w.lower() in STOPWORDS:
                break
            if w[:1].isupper():
                continue  # "Turkish", "Idlib": who or where, not what is counted
            t = terms(w)
            if t and not t[0][:1].isdigit():
                out.append(_Count(t[0], w.strip(".,;:'’"), value, m.group(0)[: m.end("n") - m.start()], kind))
                break  # the first common noun after the number is what it counts
    return out


def _label(c: Citation) -> str:
    if c.publisher:
        return c.publisher
    words = (c.title or c.source).split()
    return f"“{' '.join(words[:_LABEL_WORDS])}{'…' if len(words) > _LABEL_WORDS else ''}”"


def disagreements(question: str, citations: list[Citation]) -> list[Disagreement]:
    """Things the question asks about that cited sources from different outlets count differently."""
    asked = set(terms(question))
    seen: dict[tuple[str, str], dict[str, tuple[_Count, Citation]]] = {}
    for c in citations:
        for n in counts(c.quote):
            if n.noun in asked and n.kind != "mixed":
                seen.setdefault((n.noun, n.kind), {}).setdefault(_label(c), (n, c))
    out = []
    for by_outlet in seen.values():
        values = {n.value for n, _ in by_outlet.values()}
        if len(by_outlet) >= 2 and len(values) >= 2:
            first = next(iter(by_outlet.values()))[0]
            out.append(
                Disagreement(
                    subject=first.word,
                    figures=[
                        Figure(value=n.said, citation=c.id, publisher=o) for o, (n, c) in by_outlet.items()
                    ],
                )
            )
    return out


def rival_figures(question: str, scored: list[Scored], chosen: list[Scored]) -> list[Scored]:
    """An answerable sentence from another outlet that counts the asked-about thing differently: shown too,
    so two sources' figures are never silently reduced to one."""
    asked = set(terms(question))
    have = {(n.noun, n.kind): n.value for s in chosen for n in counts(s.text) if n.noun in asked}
    outlets = {s.hit.publisher or s.hit.source for s in chosen}
    for s in scored:
        if not s.answerable or (s.hit.publisher or s.hit.source) in outlets:
            continue
        for n in counts(s.text):
            if (n.noun, n.kind) in have and have[(n.noun, n.kind)] != n.value and n.kind != "mixed":
                return [*chosen, s]
    return chosen


def asked_outlet(question: str, outlets: set[str]) -> tuple[str, str] | None:
    """(outlet, phrase) when the question asks what one known outlet says: "according to The New Arab",
    "did Al Jazeera report". The reader then gets the question without it, and only that outlet's passages."""
    for name in sorted(outlets, key=len, reverse=True):
        pattern = (
            rf"\s*,?\s*\b(?:according to|as reported by|in|by|per|did|does|do) {re.escape(name)}(?:['’]s)?\b"
        )
        if m := re.search(pattern, question, re.IGNORECASE):
            return name, m.group(0)
    return None


def side_by_side(a: Answer) -> Answer:
    """An extractive answer drawing on several outlets, grouped by outlet: 'The New Arab: … [1] Al Jazeera: … [2]'."""
    if a.mode != "extractive" or len({c.publisher for c in a.citations if c.publisher}) < 2:
        return a  # one outlet, or articles whose outlets are unknown (they may be the same)
    by_id = {c.id: c for c in a.citations}
    groups: dict[str, list[str]] = {}
    for text, n in re.findall(r"\s*(.*?)\s*\[(\d+)\]", a.answer, flags=re.DOTALL):
        c = by_id.get(int(n))
        if c is None:
            return a  # not the shape this knows: leave it
        groups.setdefault(_label(c), []).append(f"{text} [{n}]".strip())
    return replace(a, answer="\n".join(f"{who}: {' '.join(parts)}" for who, parts in groups.items()))
