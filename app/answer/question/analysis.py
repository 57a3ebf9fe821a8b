"""Question analysis: key terms, named entities, expected answer type, time constraints."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.answer.question.cues import DEFINITION_QUESTIONS
from app.text.dates import months_in, years_in
from app.text.words import DEMONYM_WORDS, normalise, stem, terms

_Q_WORDS = {
    "what",
    "which",
    "who",
    "whom",
    "whose",
    "when",
    "where",
    "why",
    "how",
    "did",
    "does",
    "do",
    "is",
    "are",
    "was",
    "were",
    "according",
    "in",
    "on",
    "the",
    "a",
    "an",
    "tell",
    "name",
    "list",
    "give",
}
_TOKEN = r"(?:\b(?:al|el|ad|as|ash|an|bin|ibn|abu)-)?\b[A-Z][\w'’\-]*"
NAME = re.compile(rf"{_TOKEN}(?:\s+(?:(?:of|for|al|el|de|bin|ibn|the)\s+)?{_TOKEN})*")
_NUM = re.compile(r"\b\d[\d,.]*\b")


@dataclass(frozen=True)
class QuestionInfo:
    terms: tuple[str, ...]  # canonical content terms
    entities: tuple[tuple[str, ...], ...]  # each named entity as its canonical terms; all must be found
    numbers: tuple[str, ...]  # numbers and years in the question; must be found
    months: frozenset[int]
    answer_type: str  # number | date | entity | place | any
    focus: tuple[str, ...] = ()  # the asked-about noun and verb ("which GROUP LED ...")
    entity_names: tuple[str, ...] = ()  # the entities as written, parallel to entities


def analyse_question(q: str) -> QuestionInfo:
    low = q.lower()
    if re.search(
        r"\bhow (many|much|long|far|big|large|old)\b|\bwhat (number|percentage|share|proportion)\b|\bpopulation\b|\bhow old\b",
        low,
    ):
        atype = "number"
    elif re.search(r"^\s*when\b|\bwhat (date|day|year|month|time)\b|\bwhich (date|day|year|month)\b", low):
        atype = "date"
    elif re.search(
        r"^\s*where\b|\bwhich (town|city|village|country|province|region|area|border|crossing)\b", low
    ):
        atype = "place"
    elif re.search(r"^\s*(who|whom|whose|which)\b|\bwhat is the name\b|\bname of\b", low):
        atype = "entity"
    else:
        atype = "any"
    ents = []
    names = []
    for m in NAME.finditer(q):
        words = [w for w in m.group(0).split() if w.lower() not in _Q_WORDS]
        if not words:
            continue
        if m.start() == 0 and len(words) == 1 and words[0].lower() in _Q_WORDS:
            continue
        ts = tuple(terms(" ".join(words)))
        if ts and not months_in(" ".join(words)):
            ents.append(ts)
            names.append(" ".join(words))
    nums = tuple(n.strip(".,") for n in _NUM.findall(q))
    return QuestionInfo(
        terms=tuple(t for t in dict.fromkeys(terms(q)) if t not in {"happen", "occur"}),
        entities=tuple(ents),
        numbers=nums,
        months=frozenset(months_in(q)),
        answer_type=atype,
        focus=_focus(q, ents),
        entity_names=tuple(names),
    )


def has_answer_type(sentence: str, info: QuestionInfo) -> bool:
    """Whether a sentence contains the kind of thing the question asks for."""
    atype = info.answer_type
    if atype == "number":
        return bool(
            re.search(
                r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|hundreds?|thousands?|millions?)\b",
                sentence,
                re.I,
            )
        )
    if atype == "date":
        return bool(
            months_in(sentence)
            or years_in(sentence)
            or re.search(
                r"\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|today)\b", sentence
            )
        )
    if atype in {"entity", "place"}:
        qterms = set(info.terms)
        for m in NAME.finditer(sentence):
            if m.start() == 0:
                continue
            if set(terms(m.group(0))) - qterms:
                return True
        return False
    return True


_TOK = re.compile(r"\d[\d,.]*\d|\d|[\w][\w'’\-]*")


# Verbs a question needs but an answer rarely repeats ("what happened", "where does she work").
GENERIC = {"happen", "occur", "work", "becom", "mean", "take", "make", "get", "go", "tell", "know", "think"}
_AUX = {
    "did",
    "does",
    "do",
    "was",
    "were",
    "is",
    "are",
    "has",
    "have",
    "had",
    "many",
    "much",
    "will",
    "would",
    "can",
}
_WH = re.compile(r"\b(what|which|who|whom|whose|when|where|why|how)\b", re.IGNORECASE)


def _focus(q: str, ents: list[tuple[str, ...]]) -> tuple[str, ...]:
    """The first two content terms after the question word that are not names: what the answer attaches to."""
    m = _WH.search(q)
    rest = q[m.end() :] if m else q
    named = {t for e in ents for t in e}
    out = []
    for w in rest.split():
        if w.lower() in _AUX:
            continue
        for t in terms(w):
            if t not in named and t not in GENERIC and not months_in(w):
                out.append(t)
        if len(out) >= 2:
            break
    return tuple(out[:2])


def answer_proximity(sentence: str, info: QuestionInfo, focus_only: bool = False) -> int | None:
    """Token distance between a question term and a candidate answer token (new name, number, date)."""
    qset = set(info.focus if focus_only else info.terms)
    q_pos, a_pos = [], []
    for i, m in enumerate(_TOK.finditer(sentence)):
        tok = m.group(0)
        t = terms(tok)
        if t and t[0] in qset:
            q_pos.append(i)
            continue
        if info.answer_type == "number" and tok[0].isdigit():
            a_pos.append(i)
        elif info.answer_type == "date" and (months_in(tok) or years_in(tok)):
            a_pos.append(i)
        elif (
            info.answer_type in {"entity", "place", "any"}
            and i > 0
            and tok[0].isupper()
            and normalise(tok) not in DEMONYM_WORDS
        ):
            a_pos.append(i)
    if not q_pos or not a_pos:
        return None
    return min(abs(a - q) for a in a_pos for q in q_pos)


def nationality_clash(question: str, sentence: str) -> bool:
    """The question's "Russian soldiers" meets only "Turkish soldiers" in the sentence."""

    def pairs(text: str) -> list[tuple[str, str]]:
        toks = [normalise(t) for t in _TOK.findall(text)]
        return [(a, stem(b)) for a, b in zip(toks, toks[1:], strict=False) if a in DEMONYM_WORDS]

    asked = pairs(question)
    if not asked:
        return False
    seen = pairs(sentence)
    for adj, noun in asked:
        others = {a for a, n in seen if n == noun}
        if others and adj not in others:
            return True
    return False


# A follow-up's pronoun and what stands in its place: a possessive takes "'s".
_PRONOUN = re.compile(r"\b(he|she|him|her|his|they|them|their|it|its)\b", re.IGNORECASE)
_POSSESSIVE = frozenset({"his", "their", "its"})


def resolve_pronoun(question: str, context: str) -> str:
    """The follow-up with its first pronoun replaced by the one name the earlier question holds ("Which party is
    he a member of?" after "Who is Yusuf Katipoglu?" → "Which party is Yusuf Katipoglu a member of?"), so the
    span reader reads one question, not two run together. Unchanged when the earlier question names no one thing
    or several (which would be a guess), and when the earlier question asked for someone ("Which group led the
    offensive on Aleppo?"): the pronoun then stands for the answer, not for the name asked about."""
    info = analyse_question(context) if context else None
    names = set(info.entity_names) if info else set()
    m = _PRONOUN.search(question)
    if info is None or len(names) != 1 or m is None:
        return question
    if info.answer_type == "entity" and not any(p.search(context) for p in DEFINITION_QUESTIONS):
        return question
    (name,) = names
    word = m.group(1).lower()
    # "her" is ambiguous (object or possessive); before a noun-like next word treat it as possessive
    nxt = re.match(r"\s+([a-z]+)\b", question[m.end() :])
    possessive = word in _POSSESSIVE or (word == "her" and nxt is not None)
    return question[: m.start()] + (f"{name}'s" if possessive else name) + question[m.end() :]
