"""The offline answer engine: pick the sentences that answer the question, cite each, or refuse."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from app.answer.question.analysis import (
    QuestionInfo,
    analyse_question,
    answer_proximity,
    has_answer_type,
    nationality_clash,
    terms,
)
from app.answer.reader.weights import STRICT_TYPES, WEIGHTS, Weights
from app.core.protocols import Embedder
from app.core.settings import Settings
from app.core.types import Hit, Query
from app.store.keyword import KeywordIndex
from app.text.dates import MONTHS, months_in, years_in
from app.text.sentences import split_sentences


@dataclass(frozen=True)
class Scored:
    hit: Hit
    start: int  # absolute offsets of the sentence in the document
    end: int
    text: str
    score: float
    answerable: bool
    rank: int  # position of the sentence in its passage
    pinpoint: bool = False  # holds the asked-for kind of answer right next to a question term
    covers: frozenset[str] = frozenset()  # question terms the sentence itself contains
    sim: float = 0.0  # cosine similarity of sentence and question
    focused: bool = False  # holds one of the question's focus terms (or the sentence before does)
    coverage: float = 0.0  # IDF-weighted share of the question's terms in the sentence itself
    vetoed: bool = False  # fails a hard check (the asked month, a clashing nationality): never an answer


IDF = Callable[[str], float]


def _coverage(qterms: tuple[str, ...], have: set[str], idf: IDF) -> float:
    total = sum(idf(t) for t in qterms)
    return sum(idf(t) for t in qterms if t in have) / total if total else 0.0


MONTH_TERMS = frozenset(terms(" ".join(MONTHS)))
_BACK = re.compile(
    r"^[\"“]?(it|its|they|their|he|his|she|her|this|these|the (company|firm|group|club|team|party|government|bank))\b",
    re.IGNORECASE,
)


def _refers_back(sentence: str) -> bool:
    """A sentence whose subject points back ("It has already offered ...") to the article's subject."""
    return bool(_BACK.match(sentence))


def _published_month(hit: Hit) -> set[int]:
    """The month of the article's date line: "on Thursday" in a June article happened in June."""
    return {int(hit.published[5:7])} if hit.published and len(hit.published) >= 7 else set()


def _squash(text: str) -> str:
    return re.sub(r"[\s\-]|'s\b|’s\b", "", text.lower())


def _written_together(info: QuestionInfo, text: str) -> set[str]:
    """Terms of question names that the text spells differently ("TimeWarner" for "Time Warner")."""
    if not info.entities:
        return set()
    squashed = _squash(text)
    return {
        t
        for ent, name in zip(info.entities, info.entity_names, strict=True)
        if _squash(name) in squashed
        for t in ent
    }


def _entities_found(info: QuestionInfo, have: set[str]) -> bool:
    """Every named entity and number of the question appears (long names may differ in one word)."""
    for ent in info.entities:
        if sum(t not in have for t in ent) > (1 if len(ent) >= 3 else 0):
            return False
    return all(n.replace(",", "") in have for n in info.numbers)


def score_sentences(
    query: Query,
    hits: list[Hit],
    embedder: Embedder,
    keyword: KeywordIndex,
    settings: Settings,
    query_vec: list[float] | None = None,
    w: Weights = WEIGHTS,
) -> list[Scored]:
    """Every sentence of the retrieved passages, scored against the question (best first).

    query_vec is the embedding of query.standalone when the caller already has it.
    """
    info = analyse_question(query.question)
    ctx_info = analyse_question(query.context) if query.context else None
    qterms = info.terms + tuple(t for t in (ctx_info.terms if ctx_info else ()) if t not in info.terms)
    weight = {t: (1.0 if t in info.terms else w.context_terms) for t in qterms}

    def idf(t: str) -> float:
        return keyword.idf(t) * weight.get(t, 1.0)

    avoid = set(terms(query.avoid))
    feats: list[_Features] = []
    for hit in hits:
        prev: set[str] = set()
        ctx = set(terms(hit.text)) | set(terms(hit.title))
        for r, (s, e) in enumerate(split_sentences(hit.text)):
            f = _features(
                hit, hit.start + s, hit.start + e, r, prev, ctx, info, qterms, idf, avoid, query, settings, w
            )
            feats.append(f)
            prev = f.terms
    if not feats:
        return []
    # A question made only of names, numbers and dates ("Who is Sinem Koseoglu?", "What happened on 26
    # August?") is answered by a sentence holding all of them, however little else it shares.
    named = {t for ent in info.entities for t in ent} | {n.replace(",", "") for n in info.numbers}
    names_only = bool(info.terms) and all(t in named or t in MONTH_TERMS for t in info.terms)
    # Embedding every sentence dominates latency; only the lexically promising ones (and the sentence after
    # each, which may continue it) are embedded. The passage's own similarity stands in until then.
    ranked = sorted(
        range(len(feats)), key=lambda i: -feats[i].final(feats[i].hit.dense or w.stand_in_similarity, w)
    )
    keep = set(ranked[: settings.sentence_candidates])
    keep |= {i + 1 for i in ranked[:3] if i + 1 < len(feats) and feats[i + 1].hit is feats[i].hit}
    idx = sorted(keep)
    texts = [feats[i].text for i in idx]
    if query_vec is None:
        vecs = embedder.embed(texts + [query.standalone])
        sims = vecs[:-1] @ vecs[-1]
    else:
        sims = embedder.embed(texts) @ np.asarray(query_vec)
    out = []
    for i, sim in zip(idx, sims, strict=True):
        f = feats[i]
        # Similarity vouches for a sentence that paraphrases; a sentence holding (nearly) every question
        # term needs no vouching ("Who is Sinem Koseoglu?"), and one missing the asked-about verb needs more.
        answerable = f.answerable_lex and (
            (names_only and f.coverage >= w.full_coverage)
            or (
                float(sim) >= settings.refuse_min_similarity
                and (f.focused or float(sim) >= w.paraphrase_similarity)
            )
        )
        out.append(
            Scored(
                f.hit,
                f.start,
                f.end,
                f.text,
                f.final(float(sim), w),
                answerable,
                f.rank,
                f.pinpoint,
                frozenset(f.terms & set(qterms)),
                float(sim),
                f.focused,
                f.coverage,
                f.vetoed,
            )
        )
    out.sort(key=lambda x: -x.score)
    return out


@dataclass(frozen=True)
class _Features:
    """Everything about a sentence except its embedding similarity."""

    hit: Hit
    start: int
    end: int
    rank: int
    text: str
    terms: set[str]
    lexical: float
    factor: float
    answerable_lex: bool
    pinpoint: bool
    focused: bool
    coverage: float
    vetoed: bool

    def final(self, sim: float, w: Weights = WEIGHTS) -> float:
        return (w.similarity * sim + self.lexical) * self.factor


def own_coverage(
    qterms: tuple[str, ...], st: set[str], local: set[str], words: int, idf: IDF, w: Weights = WEIGHTS
) -> float:
    """Question-term coverage by the sentence, or by it and the sentence before ("The assault was led by X"
    leans on the sentence before it for what "the assault" was); long sentences are scaled down."""
    lex = max(_coverage(qterms, st, idf), w.previous_sentence * _coverage(qterms, local, idf))
    return lex * w.long_sentence_words / words if words > w.long_sentence_words else lex


def time_factor(info: QuestionInfo, text: str, hit: Hit, w: Weights = WEIGHTS) -> float:
    """How well the sentence matches the month and year the question names (1.0 when it names none)."""
    when = 1.0
    if info.months and not info.months & months_in(text):
        when = w.month_in_passage if info.months & months_in(hit.text) else w.month_missing
    yrs = {n for n in info.numbers if len(n) == 4}
    if yrs and not yrs & years_in(hit.text + " " + hit.title):
        when *= w.year_missing
    return when


def novelty(st: set[str], avoid: set[str], w: Weights = WEIGHTS) -> float:
    """A follow-up wants something new: the share of words already in the previous answer costs."""
    return 1.0 - w.repeat_penalty * len(st & avoid) / max(len(st), 1) if avoid else 1.0


def closeness(text: str, info: QuestionInfo, typed: bool, w: Weights = WEIGHTS) -> tuple[float, bool]:
    """(bonus, pinpoint): the asked-for kind of answer sits right by a question term, or by the focus term."""
    near = answer_proximity(text, info) if typed else None
    if near is None:
        return 0.0, False
    close = w.near_bonus if near <= w.near_tokens else w.nearish_bonus if near <= w.nearish_tokens else 0.0
    pinpoint = near <= w.near_tokens and info.answer_type != "any"
    if pinpoint:
        focused = answer_proximity(text, info, focus_only=True)
        close += w.focus_bonus if focused is not None and focused <= w.near_tokens else 0.0
    return close, pinpoint


def type_factor(info: QuestionInfo, typed: bool, w: Weights = WEIGHTS) -> float:
    """A sentence without the asked-for kind of answer is worth less (much less for numbers and dates)."""
    if typed:
        return 1.0
    return w.untyped_strict if info.answer_type in STRICT_TYPES else w.untyped


def dated(info: QuestionInfo, text: str, before: str, hit: Hit, w: Weights = WEIGHTS) -> bool:
    """The month the question names is in the sentence, just before it, or the article's date line."""
    if not info.months:
        return True
    return bool(
        info.months & (months_in(text + " " + before[-w.date_lookback_chars :]) | _published_month(hit))
    )


def _features(
    hit: Hit,
    s: int,
    e: int,
    r: int,
    prev: set[str],
    ctx_base: set[str],
    info: QuestionInfo,
    qterms: tuple[str, ...],
    idf: IDF,
    avoid: set[str],
    query: Query,
    settings: Settings,
    w: Weights = WEIGHTS,
) -> _Features:
    text = hit.text[s - hit.start : e - hit.start]
    st = set(terms(text)) | _written_together(info, text)
    title = set(terms(hit.title)) | _written_together(info, hit.title)
    ctx = st | ctx_base
    local = st | prev
    lex = own_coverage(qterms, st, local, len(text.split()), idf, w)
    lex_ctx = _coverage(qterms, ctx, idf)
    typed = has_answer_type(text, info)
    close, pinpoint = closeness(text, info, typed, w)
    strict = info.answer_type in STRICT_TYPES
    # Hard vetoes, whatever any model says: the asked month is not where the sentence could be dated, or
    # the question's nationality meets another one ("Russian soldiers" vs "Turkish soldiers").
    vetoed = not dated(info, text, hit.text[: s - hit.start], hit, w) or nationality_clash(
        query.question, text
    )
    answerable = (
        not vetoed
        and _entities_found(info, (local | title if _refers_back(text) else local) if strict else ctx | title)
        and (typed or not strict)
        and max(lex, w.passage_share * lex_ctx) >= settings.refuse_min_coverage * w.sentence_share
        and lex_ctx >= settings.refuse_min_coverage
    )
    return _Features(
        hit=hit,
        start=s,
        end=e,
        rank=r,
        text=text,
        terms=st,
        lexical=w.own_coverage * lex + w.context_coverage * lex_ctx + close,
        factor=time_factor(info, text, hit, w) * novelty(st, avoid, w) * type_factor(info, typed, w),
        answerable_lex=answerable,
        pinpoint=pinpoint,
        focused=not info.focus or bool(set(info.focus) & local),
        coverage=_coverage(qterms, st, idf),
        vetoed=vetoed,
    )


def select(scored: list[Scored], settings: Settings, w: Weights = WEIGHTS) -> list[Scored]:
    """The best answerable sentence, plus close runners-up and the sentence that continues it."""
    best = next((s for s in scored if s.answerable), None)
    if best is None or best.score < scored[0].score * w.best_vs_top:
        return []
    chosen = [best]
    # The next sentence joins when the lead is not a pinpoint answer, or when it adds a question term the
    # lead lacks ("a tunnel bombing near Milaya ..." then "11 soldiers were killed").
    following = [
        s
        for s in scored
        if s.hit.id == best.hit.id
        and s.rank == best.rank + 1
        and (not best.pinpoint or s.covers - best.covers)
    ]
    for s in scored:
        if len(chosen) >= settings.answer_max_sentences:
            break
        if s is best or any(c.start == s.start and c.hit.source == s.hit.source for c in chosen):
            continue
        # A news lead is usually followed by its details: keep the next sentence unless it is off-topic.
        # Runners-up must stand on their own; another article's must be nearly as good as the best.
        bar = w.same_source_bar if s.hit.source == best.hit.source else w.other_source_bar
        if (s.answerable and s.score >= best.score * bar) or (
            s in following and s.score >= best.score * w.continuation_bar
        ):
            chosen.append(s)
    # Read in document order within a source, sources in order of their best sentence.
    order = {c.hit.source: i for i, c in reversed(list(enumerate(chosen)))}
    chosen.sort(key=lambda c: (order[c.hit.source], c.start))
    return chosen
