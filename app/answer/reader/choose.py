"""Which sentence answers, and whether any does: candidates from the sentence scorer and the span reader,
ranked by the learned answerability model.

The same function builds the candidates at run time and for training (scripts/train_answerability.py), so
what the model learned from is exactly what it sees.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from app.answer.question.analysis import analyse_question, resolve_pronoun
from app.answer.question.kinds import SHORT_KINDS, asks_for_one, question_kind
from app.answer.reader.answerability import AnswerabilityModel, Candidate, span_features
from app.answer.reader.extractive import Scored
from app.answer.reader.spans import far_from_focus, heuristic_span, name_end
from app.answer.reader.weights import WEIGHTS, Weights
from app.core.types import Hit, Query
from app.text.words import terms


class SpanLike(Protocol):
    """A short answer inside a passage (character offsets into the passage text)."""

    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def prob(self) -> float: ...


class SpanReader(Protocol):
    """Reads (question, passage) pairs and returns the best answer span in each, or None."""

    def read(self, question: str, passages: list[str]) -> Sequence[SpanLike | None]: ...


@dataclass(frozen=True, kw_only=True)
class Choice:
    """A candidate sentence with its probability of holding the answer and, when the reader found one in
    it, the short answer's absolute document offsets."""

    sentence: Scored
    prob: float
    span_start: int | None = None
    span_end: int | None = None
    span_text: str | None = None


def passages_to_read(scored: list[Scored], hits: list[Hit], limit: int) -> list[Hit]:
    """The passages of the best-scored sentences first, then retrieval order; at most `limit`."""
    out: list[Hit] = []
    for h in [s.hit for s in scored] + hits:
        if len(out) >= limit:
            break
        if all(h.id != o.id for o in out):
            out.append(h)
    return out


def candidates(
    query: Query, hits: list[Hit], scored: list[Scored], reader: SpanReader | None, read_limit: int
) -> tuple[list[Candidate], dict[str, SpanLike]]:
    """One Candidate per scored sentence, with the reader's view of its passage; spans by passage id."""
    info = analyse_question(query.question)
    spans: dict[str, SpanLike] = {}
    if reader is not None and scored:
        to_read = passages_to_read(scored, hits, read_limit)
        asked = resolve_pronoun(query.question, query.context)
        for h, sp in zip(to_read, reader.read(asked, [h.text for h in to_read]), strict=True):
            if sp is not None:
                spans[h.id] = sp
    best_reader = max(spans.values(), key=lambda sp: sp.score, default=None)
    rank_of = {h.id: i for i, h in enumerate(hits)}
    top = scored[0].score if scored else 0.0
    out = []
    for s in scored:
        sp = spans.get(s.hit.id)
        inside = sp is not None and _span_in(s, sp)
        out.append(
            Candidate(
                question=query.question,
                info=info,
                text=s.text,
                sim=s.sim,
                score=s.score,
                top_score=top,
                coverage=s.coverage,
                rule_answerable=s.answerable,
                pinpoint=s.pinpoint,
                focused=s.focused,
                rank=s.rank,
                passage_dense=s.hit.dense,
                passage_rank=rank_of.get(s.hit.id, len(hits)),
                reader_score=sp.score if sp is not None else 0.0,
                reader_prob=sp.prob if sp is not None else 0.0,
                reader_in_sentence=inside,
                reader_best_here=inside and sp is best_reader,
            )
        )
    return out, spans


def _span_in(s: Scored, sp: SpanLike) -> bool:
    """The span (passage offsets) lies inside the sentence (document offsets)."""
    start = s.hit.start + sp.start
    return s.start <= start and start + len(sp.text) <= s.end


def choose(
    query: Query,
    hits: list[Hit],
    scored: list[Scored],
    model: AnswerabilityModel,
    reader: SpanReader | None,
    read_limit: int,
    rules_pick: Scored | None,
) -> list[Choice]:
    """The answering sentence first, then other likely ones (empty: refuse).

    The hand-set rules' pick stands unless the model finds it unlikely (below `veto`); when the rules refuse,
    the model's best stands if it is likely enough (`rescue`). Both bars are chosen on held-out articles.
    """
    # a model trained without the reader's signals reads only the chosen sentence's passage (for its span)
    cands, spans = candidates(query, hits, scored, reader if model.uses_reader else None, read_limit)
    probs = model.probabilities(cands)
    ranked = sorted((i for i, s in enumerate(scored) if not s.vetoed), key=lambda i: -probs[i])
    if rules_pick is not None:
        i = next((i for i, s in enumerate(scored) if s is rules_pick), None)
        if i is None or probs[i] < model.veto:
            return []
        ranked = [i] + [j for j in ranked if j != i and probs[j] >= model.threshold]
    elif not ranked or probs[ranked[0]] < model.rescue:
        return []
    else:
        ranked = [j for j in ranked if probs[j] >= model.threshold or j == ranked[0]]
    i = ranked[0]  # only the answering sentence may give its answer in a few words
    sp = _span(query, scored[i], scored, cands[i], spans, model, reader)
    return [_choice(scored[i], cands[i], float(probs[i]), sp)] + [
        _choice(scored[j], cands[j], float(probs[j]), None) for j in ranked[1:]
    ]


def wants_span(question: str, c: Candidate) -> bool:
    """A question a few words can answer (who/what/when/where/how many, asking for one thing)."""
    return question_kind(question) in SHORT_KINDS and asks_for_one(question, c.info.answer_type)


def continued(s: Scored, scored: list[Scored], w: Weights = WEIGHTS) -> bool:
    """The rules would continue the sentence with the next one of its passage (a lead that is not a pinpoint
    answer, followed by its details): the answer is two sentences, and a span of the first is not all of it."""
    return any(
        t.hit.id == s.hit.id
        and t.rank == s.rank + 1
        and (not s.pinpoint or t.covers - s.covers)
        and t.score >= s.score * w.continuation_bar
        for t in scored
    )


def _span(
    query: Query,
    s: Scored,
    scored: list[Scored],
    c: Candidate,
    spans: dict[str, SpanLike],
    model: AnswerabilityModel,
    reader: SpanReader | None,
) -> SpanLike | None:
    """The reader's span inside the chosen sentence when the span model finds it likely to be the answer."""
    if reader is None or not wants_span(query.question, c):
        return None
    sp = spans.get(s.hit.id)
    asked = resolve_pronoun(query.question, query.context)
    if sp is None and not model.uses_reader:  # the fast tier reads the chosen passage only
        (sp,) = reader.read(asked, [s.hit.text])
    if sp is None or not _span_in(s, sp):
        return None
    lead = continued(s, scored)
    if lead and not crisp(sp.text, asked):
        return (
            None  # a lead and its details: a span of the first is not all of the answer, unless a crisp name
        )
    if far_from_focus(
        query.question, s.hit.text, sp.start, sp.end, s.start - s.hit.start, s.end - s.hit.start
    ):
        return None  # "Which highway ...?": a span far from the sentence's "highway" answers something else
    if model.span is not None:
        x = span_features(asked, c.info, sp.text, s.text, sp.score, sp.prob, c.sim, c.coverage, c.pinpoint)
        if model.span.probability(x) < model.span.bar:
            return None
    return sp


def crisp(span: str, question: str) -> bool:
    """A name or a number of a few words that repeats nothing of the question ("Hayat Tahrir al-Sham", "36"):
    an answer whole even where the sentence goes on in the next one."""
    words = span.split()
    named = bool(words) and (words[0][:1].isupper() or words[0][:1].isdigit())
    return named and len(words) <= WEIGHTS.crisp_span_words and not set(terms(span)) & set(terms(question))


def _choice(s: Scored, c: Candidate, prob: float, sp: SpanLike | None) -> Choice:
    """The sentence with its short answer: the reader's span when given, else the phrase of the asked-for kind
    (a number, a date) closest to the question's words."""
    if sp is not None:  # a name is not cut at its particle ("Fath" | "al-Mobin")
        start, end = s.hit.start + sp.start, min(s.end, s.hit.start + name_end(s.hit.text, sp.start, sp.end))
    elif s.pinpoint and (found := heuristic_span(s.text, c.info)) is not None:
        start, end = s.start + found[0], s.start + found[1]
    else:
        return Choice(sentence=s, prob=prob)
    text = s.hit.text[start - s.hit.start : end - s.hit.start]
    return Choice(sentence=s, prob=prob, span_start=start, span_end=end, span_text=text)
