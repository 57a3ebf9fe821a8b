"""Sentences of the retrieved passages with their neighbours, and whether a window of them covers a question's
terms: what the why/how, what-did-X-say and who-is finders (why.py, said.py, definitions.py) share.

A window covers the question when every content term is there (a synonym or inflection counts, cues.same_term)
except light verbs and, for longer questions, one or two terms that the article itself uses elsewhere. A term
the article never uses ("uphold" asked, "thrown out" written) is a changed question, not a paraphrase.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from app.answer.question.analysis import QuestionInfo, nationality_clash
from app.answer.question.cues import LIGHT_VERBS, found
from app.answer.reader.extractive import Scored, dated
from app.core.types import Hit
from app.text.dates import months_in
from app.text.sentences import split_sentences
from app.text.words import terms

IDF = Callable[[str], float]


@dataclass(frozen=True)
class Sent:
    """One sentence of a retrieved passage."""

    hit: Hit
    start: int  # absolute document offsets
    end: int
    text: str
    rank: int  # position in its passage
    order: int  # retrieval rank of its passage
    terms: frozenset[str]

    def scored(self, score: float) -> Scored:
        return Scored(self.hit, self.start, self.end, self.text, score, True, self.rank)


@dataclass(frozen=True)
class Table:
    sents: list[Sent]
    by_pos: dict[tuple[str, int], Sent]
    article: dict[str, frozenset[str]]  # terms of each article's retrieved passages and title
    months: dict[str, frozenset[int]]  # months named in each article's retrieved passages

    def prev(self, s: Sent) -> Sent | None:
        return self.by_pos.get((s.hit.id, s.rank - 1))

    def next(self, s: Sent) -> Sent | None:
        return self.by_pos.get((s.hit.id, s.rank + 1))


def table(hits: list[Hit]) -> Table:
    sents: list[Sent] = []
    article: dict[str, set[str]] = {}
    months: dict[str, set[int]] = {}
    seen: set[str] = set()
    for order, h in enumerate(hits):
        if h.id in seen:
            continue
        seen.add(h.id)
        art = article.setdefault(h.source, set(terms(h.title)))
        months.setdefault(h.source, set()).update(months_in(h.text))
        for rank, (s, e) in enumerate(split_sentences(h.text)):
            text = h.text[s:e]
            ts = frozenset(terms(text))
            art |= ts
            sents.append(Sent(h, h.start + s, h.start + e, text, rank, order, ts))
    return Table(
        sents,
        {(s.hit.id, s.rank): s for s in sents},
        {k: frozenset(v) for k, v in article.items()},
        {k: frozenset(v) for k, v in months.items()},
    )


def allowed_missing(n_terms: int) -> int:
    return 0 if n_terms < 3 else 1 if n_terms < 6 else 2


def covers(qterms: Iterable[str], have: frozenset[str], article: frozenset[str]) -> bool:
    """Every question term is in `have`, but for light verbs and (long questions) one or two terms the
    article uses elsewhere."""
    want = [t for t in qterms if t not in LIGHT_VERBS]
    missing = [t for t in want if not found(t, have)]
    return len(missing) <= allowed_missing(len(want)) and all(found(t, article) for t in missing)


def coverage(qterms: Iterable[str], have: frozenset[str], idf: IDF) -> float:
    """IDF-weighted share of the question terms found in `have`."""
    want = [t for t in qterms if t not in LIGHT_VERBS]
    total = sum(idf(t) for t in want)
    return sum(idf(t) for t in want if found(t, have)) / total if total else 0.0


def names_present(info: QuestionInfo, have: frozenset[str]) -> bool:
    """Every name and number the question holds is there (a long name may lack one word)."""
    for ent in info.entities:
        if len(ent) == 2 and found(ent[-1], have):
            continue  # "Mr Brown" for "Gordon Brown"
        if sum(not found(t, have) for t in ent) > (1 if len(ent) >= 3 else 0):
            return False
    return all(n.replace(",", "") in have for n in info.numbers)


def vetoed(question: str, info: QuestionInfo, s: Sent, article_months: frozenset[int] | None = None) -> bool:
    """The hard checks of the sentence scorer: the asked month, a clashing nationality. With article_months
    the month may be anywhere in the article's retrieved passages (a why-question's month dates the event,
    which the article may tell paragraphs before its cause)."""
    before = s.hit.text[: s.start - s.hit.start]
    if article_months is not None and info.months and info.months & article_months:
        return nationality_clash(question, s.text)
    return nationality_clash(question, s.text) or not dated(info, s.text, before, s.hit)
