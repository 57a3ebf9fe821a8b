"""Who-is / what-is questions ("Who is Hakan Fidan?", "What does SDF stand for?"): the title, apposition or
definition the articles attach to the name, in a few words ("Turkish Foreign Minister").

Found around a mention of the name: a title before it ("Turkish Foreign Minister Hakan Fidan"), an apposition
after it ("Yusuf Katipoglu, a member of ...,"), a copula ("X is a ..."), or, for an abbreviation, the words it
stands for ("Syrian Democratic Forces (SDF)").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.answer.question.cues import APPOSITION_OPENERS, SPEECH, TITLE_RUN_STOPS, found
from app.answer.shapes.windows import Sent, Table
from app.text.words import terms

MAX_TITLE_WORDS = 6
MAX_APPOSITION_WORDS = 14
_TOKEN = re.compile(r"\d[\d,.]*\d\w*|[^\s,;:()“”\"]+")
_RELATIVE = re.compile(
    r"(?:which|who)\s+(?:is|was|are|were)\s+(?:(?:believed|said|thought|known)\s+to\s+be\s+)?"
)
_DELIM = re.compile(r"(?<!\d)[,.]|[,.](?!\d)|[;:()“”\"]|\s[-–—]\s")


@dataclass(frozen=True)
class Definition:
    sentence: Sent
    start: int  # absolute document offsets of the answer words
    end: int

    @property
    def text(self) -> str:
        h = self.sentence.hit
        return h.text[self.start - h.start : self.end - h.start]


def _mentions(subject: str, text: str) -> list[re.Match[str]]:
    return list(re.finditer(re.escape(subject), text, flags=re.IGNORECASE))


def _title_before(text: str, at: int) -> int | None:
    """Start of the title run just before `at` ("Turkish Foreign Minister |Hakan Fidan")."""
    start = None
    toks = list(_TOKEN.finditer(text[:at]))
    n = 0
    for m in reversed(toks):
        if text[m.end() : (start if start is not None else at)].strip():
            break  # punctuation between: the run has ended
        w = m.group(0)
        low = w.lower().strip("'’")
        if low in TITLE_RUN_STOPS or SPEECH.fullmatch(low) or n >= MAX_TITLE_WORDS:
            break
        if "-" not in w and (low.endswith("ed") or low.endswith("ing")) and not w[:1].isupper():
            break  # a verb, not a title
        start = m.start()
        n += 1
    return start


def _apposition_after(text: str, end: int) -> tuple[int, int] | None:
    """(start, end) of ", a member of the party," after the name (a bracketed abbreviation skipped)."""
    rest = text[end:]
    skip = re.match(r"\s*\([^)]{1,15}\)", rest)
    off = end + (skip.end() if skip else 0)
    rest = text[off:]
    m = re.match(r"\s*,\s*", rest)
    cop = re.match(r"\s+(?:is|was|are|were)\s+(?=(?:a|an|the|one)\b)", rest)
    if not m and not cop:
        return None
    a = off + (m or cop).end()  # type: ignore[union-attr]
    if rel := _RELATIVE.match(text, a):
        a = rel.end()  # ", which is believed to be a key target": the description, not its clause
    stop = _DELIM.search(text, a)
    b = stop.start() if stop else len(text)
    words = text[a:b].split()
    if not words or len(words) > MAX_APPOSITION_WORDS:
        return None
    first = words[0].lower()
    if SPEECH.fullmatch(first) or not any(w[:1].islower() for w in words):
        return None  # "X, said ...", "Paris, France"
    if m and not (first in APPOSITION_OPENERS or words[0][:1].islower() or len(words) <= 8):
        return None
    return a, b


def _abbreviation(subject: str, text: str) -> tuple[int, int] | None:
    """The words before "(SDF)" whose initials spell it: every word's ("Festival of the Arts (FOTA)"), or the
    capitalised words' ("Syrian Democratic Forces (SDF)")."""
    m = re.search(rf"\(\s*{re.escape(subject)}\s*\)", text)
    if not m or not subject.isupper():
        return None
    want = subject.upper()
    toks = list(_TOKEN.finditer(text[: m.start()]))
    for n in range(len(want), len(want) + 4):
        run = toks[-n:]
        if len(run) < n or not run[0].group(0)[:1].isupper():
            continue
        if "".join(t.group(0)[0] for t in run).upper() == want:
            return run[0].start(), run[-1].end()
        caps = [t for t in run if t.group(0)[:1].isupper()]
        if "".join(t.group(0)[0] for t in caps).upper() == want:
            return run[0].start(), run[-1].end()
    return None


def define(subject: str, tab: Table) -> Definition | None:
    """The first definition of the subject found in retrieval order, the most specific kind first."""
    found_any: list[tuple[int, Definition]] = []
    for s in tab.sents:
        if (ab := _abbreviation(subject, s.text)) is not None:
            found_any.append((0, Definition(s, s.start + ab[0], s.start + ab[1])))
        for m in _mentions(subject, s.text):
            pre = _title_before(s.text, m.start())
            post = _apposition_after(s.text, m.end())
            if post is not None:
                a = pre if pre is not None else post[0]
                found_any.append((1, Definition(s, s.start + a, s.start + post[1])))
            elif pre is not None:
                end = pre + len(s.text[pre : m.start()].rstrip())
                if s.text[pre:end].endswith(("'s", "’s")):
                    end = m.end()  # "Al Jazeera's": the employer says who, with the name it qualifies
                found_any.append((2, Definition(s, s.start + pre, s.start + end)))
    if not found_any:
        return None
    found_any.sort(key=lambda x: (x[1].sentence.order, x[0], x[1].sentence.start))
    return found_any[0][1]


def mentioned(subject: str, tab: Table) -> bool:
    """Some retrieved article names the subject (most of its words, in one sentence)."""
    want = terms(subject)
    return (
        any(sum(found(t, s.terms) for t in want) >= max(1, len(want) - 1) for s in tab.sents)
        if want
        else False
    )
