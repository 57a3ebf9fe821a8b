"""Short answers without the span reader: the phrase of the asked-for kind (a number, a date, a name)
that sits closest to the question's own words in the chosen sentence.

The fast tier's fallback; the MiniLM span reader (app/answer/reader/span_reader.py) replaces it when installed.
"""

from __future__ import annotations

import re

from app.answer.question.analysis import QuestionInfo
from app.text.dates import DATE_EXPRESSION
from app.text.words import terms

NUMBER = re.compile(
    r"(?:[$€£]\s?)?\b\d[\d,.]*(?:\s?(?:%|per cent|percent|million|billion|thousand|trillion|km|kilometres|"
    r"kilometers|miles|metres|meters|tonnes|tons))?\b",
    re.IGNORECASE,
)
# Numbers in words, tried only when no digits are there ("hundreds" is vaguer than "1.5 million").
NUMBER_WORDS = re.compile(
    r"\b(?:(?:nearly |almost |about |some |over )?a (?:million|billion|thousand|hundred)|"
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|thousand|dozens?|hundreds|thousands|millions)(?:[\s-](?:of\s)?(?:one|two|three|four|five|six|"
    r"seven|eight|nine|hundred|thousands?|millions?))*\b",
    re.IGNORECASE,
)
YEAR = re.compile(r"\b(?:1[5-9]|20)\d\d\b")
PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    "number": (NUMBER, NUMBER_WORDS),
    "date": (DATE_EXPRESSION, YEAR),
}
# Names are left to the span reader: the nearest capitalised phrase is too often the wrong one in news prose.


def heuristic_span(sentence: str, info: QuestionInfo) -> tuple[int, int] | None:
    """(start, end) in the sentence of the answer phrase, or None when the question wants no such kind."""
    patterns = PATTERNS.get(info.answer_type)
    if not patterns:
        return None
    qterms = set(info.terms)
    anchors = [
        (m.start(), m.end()) for m in re.finditer(r"[\w'’-]+", sentence) if set(terms(m.group(0))) & qterms
    ]
    best: tuple[int, int, int] | None = None
    for pattern in patterns:
        for m in pattern.finditer(sentence):
            if info.answer_type == "number" and YEAR.fullmatch(m.group(0)):
                continue  # "how many" is not answered by a year
            found = set(terms(m.group(0)))
            if not found or found <= qterms:
                continue  # the question's own words are not its answer
            # characters between the phrase and the nearest question word, on either side
            dist = min((max(0, a0 - m.end(), m.start() - a1) for a0, a1 in anchors), default=len(sentence))
            if best is None or dist < best[0]:
                best = (dist, m.start(), m.end())
        if best is not None:
            break  # the first pattern that finds anything wins (a full date before a bare year)
    return (best[1], best[2]) if best else None


# "Which/What NOUN ...?": the noun the answer names an instance of.
_WHICH_NOUN = re.compile(r"^\s*(?:which|what)\s+([a-z][\w-]*)\b", re.IGNORECASE)
_WORD_TOKEN = re.compile(r"\d[\d,.]*\d|\d|\w[\w'’\-]*")
FOCUS_WINDOW = 6  # tokens: "the M4 highway", "Hayat Tahrir al-Sham (HTS), an al-Qaeda-affiliated group"


def far_from_focus(question: str, text: str, start: int, end: int, lo: int, hi: int) -> bool:
    """A "Which highway ...?" question's span text[start:end] lies more than FOCUS_WINDOW tokens from every
    "highway" of its sentence text[lo:hi]: the answer names an instance of the noun, and sits by it when the
    sentence names the noun at all. False when the question has no such noun or the sentence lacks it."""
    m = _WHICH_NOUN.match(question)
    noun = terms(m.group(1)) if m else []
    if not noun:
        return False
    toks = [(t.start(), t.end(), terms(t.group(0))) for t in _WORD_TOKEN.finditer(text, lo, hi)]
    at = [i for i, (_, _, ts) in enumerate(toks) if noun[0] in ts]
    inside = [i for i, (s, e, _) in enumerate(toks) if s < end and e > start]
    if not at or not inside:
        return False
    return min(abs(i - j) for i in at for j in inside) > FOCUS_WINDOW


# Particles inside personal and place names ("Fath al-Mobin", "Leonardo da Vinci", "Ludwig von Nassau"). A span
# reader's word pieces often stop before one. On the SQuAD training articles 14 gold answers hold such a name and
# no gold answer ending in a capitalised word is followed by one (scripts/name_particles.py).
NAME_PARTICLES = (
    "al", "el", "ul", "bin", "ibn", "ben", "bint", "abu", "de", "da", "del", "della", "di", "du", "dos", "das",
    "van", "von", "der", "den", "le", "la",
)  # fmt: skip
_PARTICLE = "|".join(NAME_PARTICLES)
_NAME_TAIL = re.compile(rf"[ -](?:(?:{_PARTICLE})[ -])+[A-Z][\w'’]*(?:-[A-Z][\w'’]*)*")
_LAST_WORD = re.compile(r"[A-Z][\w'’]*$")


def name_end(text: str, start: int, end: int) -> int:
    """The end of text[start:end] widened over a name particle and the capitalised part after it when the span
    ends in a capitalised word ("Operation Fath" -> "Operation Fath al-Mobin"); else end unchanged."""
    if not _LAST_WORD.search(text, start, end):
        return end
    m = _NAME_TAIL.match(text, end)
    return m.end() if m else end
