"""The neural reader decides: it reads the best passages in one batched call; its calibrated probability says
whether they answer the question and its span says where. Hand rules only veto a sentence that lacks or
contradicts a fact the question names; which vetoes are on is measured (scripts/tune_reader.py,
docs/reader.md): a veto that kills more true answers than it catches traps is off.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from app.answer.question.analysis import (
    NAME,
    QuestionInfo,
    analyse_question,
    nationality_clash,
    resolve_pronoun,
)
from app.answer.question.kinds import asks_for_a_person
from app.answer.reader.choose import SpanLike, SpanReader, passages_to_read
from app.answer.reader.extractive import Scored, dated
from app.answer.reader.signals import antonym_clash, negation_mismatch, numbers_missing
from app.answer.reader.spans import name_end
from app.core.types import Hit, Query
from app.text.sentences import split_sentences
from app.text.words import terms


@dataclass(frozen=True, kw_only=True)
class Read:
    """One passage as the reader saw it: its best span, the sentence holding it, the vetoes that fire there."""

    hit: Hit
    start: int  # absolute document offsets of the span (whole phrase)
    end: int
    text: str
    score: float  # span score minus no-answer score
    prob: float  # calibrated probability that the passage answers the question
    sent_start: int  # absolute offsets of the sentence holding the span: the citation's quote
    sent_end: int
    sentence: str
    vetoes: tuple[str, ...] = ()  # every veto that fires on this sentence (on or off)

    def scored(self, rank: int = 0) -> Scored:
        """The sentence as the composers take it."""
        return Scored(self.hit, self.sent_start, self.sent_end, self.sentence, self.prob, True, rank)


@dataclass(frozen=True, kw_only=True)
class Decision:
    """What the reader decided and why (the reader's part of an explain trace)."""

    question: str  # as the reader read it (follow-up resolved)
    reads: list[Read]  # every passage's best span, most probable first
    bar: float  # the probability at or above which the reader answers
    alone_bar: float  # the probability at or above which a span may be the whole answer
    vetoes_on: tuple[str, ...]
    best: Read | None = None  # the most probable read that no active veto stopped
    answered: bool = False
    reason: str = ""  # "answered", "nothing read", "below the bar", "vetoed"
    notes: list[str] = field(default_factory=list)


# A veto: (question as asked, its analysis, the read) -> fires
Veto = Callable[[str, QuestionInfo, Read], bool]


def _before(r: Read, chars: int = 200) -> str:
    lo = r.sent_start - r.hit.start
    return r.hit.text[max(0, lo - chars) : lo]


def _number(question: str, info: QuestionInfo, r: Read) -> bool:
    """A number the question names (a year, a count) is in neither the sentence nor just before it."""
    return numbers_missing(question, _before(r) + " " + r.sentence) > 0


def _month(question: str, info: QuestionInfo, r: Read) -> bool:
    """The asked month is not in the sentence, just before it, or the article's date line."""
    return not dated(info, r.sentence, r.hit.text[: r.sent_start - r.hit.start], r.hit)


def _nationality(question: str, info: QuestionInfo, r: Read) -> bool:
    return nationality_clash(question, r.sentence)


def _negation(question: str, info: QuestionInfo, r: Read) -> bool:
    return negation_mismatch(question, r.sentence)


def _antonym(question: str, info: QuestionInfo, r: Read) -> bool:
    return antonym_clash(question, r.sentence)


_WHO = re.compile(r"\s*(and\s+)?who\b", re.IGNORECASE)


def _person(question: str, info: QuestionInfo, r: Read) -> bool:
    """'Who ...?' and the span names no one (a capitalised word the question lacks)."""
    if not (_WHO.match(question) or asks_for_a_person(question)):
        return False
    asked = set(terms(question))
    return not any(set(terms(m.group(0))) - asked for m in NAME.finditer(" " + r.text))


#: every veto the reader knows, by name; which are on is data (Settings.reader_vetoes, measured)
VETOES: dict[str, Veto] = {
    "number": _number,
    "month": _month,
    "nationality": _nationality,
    "negation": _negation,
    "antonym": _antonym,
    "person": _person,
}

_PRONOUN = re.compile(r"\b(it|they|them|he|him|she|her|this|that)\b", re.IGNORECASE)


def reader_question(query: Query) -> str:
    """The question the reader reads: a follow-up's pronoun resolved to the earlier question's one name, or
    else to the earlier answer when that was a few words ("And who backs it?" after "HTS [1]")."""
    asked = resolve_pronoun(query.question, query.context)
    if asked != query.question or not query.context:
        return asked
    last = re.sub(r"\[\d+\]", "", query.avoid).strip().rstrip(".")
    m = _PRONOUN.search(asked)
    if m and last and len(last.split()) <= 6:
        return asked[: m.start()] + last + asked[m.end() :]
    return asked


_OPEN_CLOSE = {"(": ")", "[": "]", "“": "”", '"': '"'}
_EDGE = " \t\n,;:.\"'“”‘’()[]"


def whole_phrase(text: str, start: int, end: int) -> tuple[int, int]:
    """The span widened to whole words and balanced brackets or quotes, or cut before an unclosed one
    ("250 euros (£173" -> "250 euros"); offsets relative to text."""
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "-'’") and text[start].isalnum():
        start -= 1
    while end < len(text) and text[end - 1].isalnum() and (text[end].isalnum() or text[end] in "%"):
        end += 1
    end = name_end(text, start, end)  # nor a name cut at its particle
    span = text[start:end]
    for o, c in _OPEN_CLOSE.items():
        opened = span.count(o) - (span.count(c) if o != c else 0) if o != c else span.count(o) % 2
        if opened > 0:
            close = text.find(c, end)
            if 0 <= close - end <= 40 and "." not in text[end:close]:
                end = close + 1
            else:
                end = start + span.rfind(o)
            span = text[start:end]
    while start < end and text[start] in _EDGE:
        start += 1
    while end > start and text[end - 1] in _EDGE and not _closes(text[start:end]):
        end -= 1
    return start, end


def _closes(span: str) -> bool:
    """The span ends with a bracket that closes one it opened ("250 euros (£173)")."""
    c = span[-1]
    o = next((k for k, v in _OPEN_CLOSE.items() if v == c and k != c), None)
    return o is not None and span.count(o) >= span.count(c)


_LIST_TAIL = re.compile(r"^((?:,\s*|\s+and\s+|,\s*and\s+)[A-Z0-9][\w'’\-]*(?:\s+[A-Z0-9][\w'’\-]*)*)+")


def extend_list(text: str, start: int, end: int) -> int:
    """For a question asking for several things, the end of the span widened over the names that follow it
    in a list ("Aleppo" -> "Aleppo, Hama and Homs")."""
    m = _LIST_TAIL.match(text[end:])
    return end + m.end() if m and " and " in m.group(0) else end


def _sentence_of(hit: Hit, start: int, end: int) -> tuple[int, int]:
    """Absolute offsets of the sentence(s) of the passage that hold [start, end)."""
    spans = [(hit.start + a, hit.start + b) for a, b in split_sentences(hit.text)] or [(hit.start, hit.end)]
    lo = next((a for a, b in spans if a <= start < b), spans[0][0])
    hi = next((b for a, b in spans if a < end <= b), spans[-1][1])
    return lo, max(hi, lo)


def read(
    query: Query,
    hits: list[Hit],
    scored: list[Scored],
    reader: SpanReader,
    limit: int,
    several: bool = False,
) -> tuple[str, list[Read]]:
    """The reader's best span in each of the best `limit` passages (one batched call), most probable first."""
    asked = reader_question(query)
    to_read = passages_to_read(scored, hits, limit)
    if not to_read:
        return asked, []
    spans: Sequence[SpanLike | None] = reader.read(asked, [h.text for h in to_read])
    info = analyse_question(query.question)
    out: list[Read] = []
    for h, sp in zip(to_read, spans, strict=True):
        if sp is None or not sp.text.strip():
            continue
        a, b = whole_phrase(h.text, sp.start, sp.end)
        if several:
            b = extend_list(h.text, a, b)
        if b <= a:
            continue
        s0, s1 = _sentence_of(h, h.start + a, h.start + b)
        r = Read(
            hit=h,
            start=h.start + a,
            end=h.start + b,
            text=h.text[a:b],
            score=sp.score,
            prob=sp.prob,
            sent_start=s0,
            sent_end=s1,
            sentence=h.text[s0 - h.start : s1 - h.start],
        )
        fired = tuple(name for name, veto in VETOES.items() if veto(query.question, info, r))
        out.append(replace(r, vetoes=fired))
    out.sort(key=lambda r: -r.prob)
    return asked, out


def decide(asked: str, reads: list[Read], bar: float, alone_bar: float, vetoes_on: Sequence[str]) -> Decision:
    """Answer from the most probable read that no active veto stops, when its probability reaches the bar."""
    on = tuple(v for v in vetoes_on if v in VETOES)
    base = Decision(question=asked, reads=reads, bar=bar, alone_bar=alone_bar, vetoes_on=on)
    if not reads:
        return replace(base, reason="nothing read")
    free = [r for r in reads if not set(r.vetoes) & set(on)]
    best = free[0] if free else None
    if best is not None and best.prob >= bar:
        return replace(base, best=best, answered=True, reason="answered")
    if reads[0].prob >= bar:  # the reader would have answered, and a veto stopped it
        return replace(base, best=best, reason="vetoed")
    return replace(base, best=best, reason="below the bar")


def shape_of(best: Read, short_kind: bool, alone_bar: float, max_words: int) -> str:
    """How the answer shows the read: "span" alone only for a factoid the reader is sure of, else "span and
    sentence", or the "sentence" when the span is most of it or too long to be a short answer."""
    if len(best.text) >= 0.8 * len(best.sentence) or len(best.text.split()) > max_words:
        return "sentence"
    if short_kind and best.prob >= alone_bar:
        return "span"
    return "span and sentence"


@dataclass(frozen=True)
class Policy:
    """The reader's operating point: chosen on held-out data (scripts/tune_reader.py), kept in the model's
    config.json beside the weights, overridable by settings."""

    bar: float = 0.5
    alone_bar: float = 0.8
    vetoes: tuple[str, ...] = ("number", "month", "nationality")
    kinds_first: bool = True  # the why / said / who-is finders answer before the reader (when they find)

    @classmethod
    def of(
        cls, config: dict[str, object], bar: float | None, alone: float | None, vetoes: list[str] | None
    ) -> Policy:
        got = config.get("decision")
        d: dict[str, object] = got if isinstance(got, dict) else {}
        base = cls()
        return cls(
            bar=bar if bar is not None else float(d.get("bar", base.bar)),  # type: ignore[arg-type]
            alone_bar=alone if alone is not None else float(d.get("alone_bar", base.alone_bar)),  # type: ignore[arg-type]
            vetoes=tuple(vetoes if vetoes is not None else d.get("vetoes", base.vetoes)),  # type: ignore[arg-type]
            kinds_first=bool(d.get("kinds_first", base.kinds_first)),
        )
