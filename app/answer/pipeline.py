"""answer(question, history, deps): the one entry point the CLI, API and UI share. Knows nothing of Gradio."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from app.answer.answerability import MODELS, AnswerabilityModel
from app.answer.choose import SpanReader, choose
from app.answer.compose import refusal, sentences_answer, short_answer
from app.answer.extractive import Scored, score_sentences, select
from app.answer.kinds import SHORT_KINDS, Kind, asks_for_one, question_kind
from app.answer.overview import facts, subject
from app.answer.question import analyse_question
from app.answer.retrieval import Retriever
from app.answer.signals import yes_or_no
from app.core.errors import BadHistory, BadQuestion, IndexMissing
from app.core.protocols import Embedder
from app.core.settings import Settings
from app.core.types import REFUSAL, Answer, Hit, Query
from app.store.chroma import Store
from app.store.embeddings import build_embedder, embedder_identity

if TYPE_CHECKING:  # the OpenAI client is imported only when a model is configured
    from app.answer.llm import LLMEngine

log = logging.getLogger("sourced")
NEEDS_CONTEXT = "This looks like a follow-up question: ask it in the same chat, or name who or what you mean."

_DEPENDENT = re.compile(
    r"\b(they|them|their|theirs|it|its|he|him|his|she|her|hers|there|that|those|these|this|the same|such|"
    r"the (group|convoy|army|attack|agreement|deal|company|team|man|woman|minister|leader|report|offensive))\b",
    re.IGNORECASE,
)


@dataclass
class Deps:
    """What answering needs; built once per process (or per test)."""

    settings: Settings
    retriever: Retriever
    embedder: Embedder
    llm: LLMEngine | None = None  # writes the answers when a model is configured
    answerability: AnswerabilityModel | None = None  # None: the hand-set rules decide (reader="rules")
    reader: SpanReader | None = None  # finds the short answer inside a passage


def load_deps(settings: Settings, llm: LLMEngine | None = None) -> Deps:
    """Open the index for reading; raises IndexMissing / IndexMismatch with a user-facing message."""
    embedder = build_embedder(settings)
    model, dim = embedder_identity(embedder)
    store = Store.open(settings, model, dim)
    if store.count() == 0:
        raise IndexMissing()
    if llm is None and settings.use_llm():
        from app.answer.llm import LLMEngine

        llm = LLMEngine(settings, embedder)
    answerability, reader = load_reader(settings)
    return Deps(settings, Retriever(store, embedder, settings), embedder, llm, answerability, reader)


def load_reader(settings: Settings) -> tuple[AnswerabilityModel | None, SpanReader | None]:
    """The learned parts the settings ask for; without the span reader's weights, the fast tier."""
    full, fast = MODELS / "answerability.json", MODELS / "answerability-fast.json"
    if settings.reader == "minilm" and full.exists() and (MODELS / "reader" / "reader.int8.onnx").exists():
        from app.answer.reader import SpanReader as MiniLMReader

        return AnswerabilityModel.load(full), MiniLMReader(threads=settings.reader_threads)
    if settings.reader != "rules" and fast.exists():
        return AnswerabilityModel.load(fast), None
    if settings.reader != "rules":
        log.warning("the learned reader's files are missing (make train); answering with the hand-set rules")
    return None, None


def validate(question: Any, history: Any, settings: Settings) -> tuple[str, list[dict[str, str]]]:
    """Check the shape and size of a request; raise a user-facing error otherwise."""
    if not isinstance(question, str) or not question.strip() or len(question) > settings.max_question_chars:
        raise BadQuestion(settings.max_question_chars)
    history = history or []
    if not isinstance(history, list):
        raise BadHistory()
    clean = []
    for m in history:
        if (
            not isinstance(m, dict)
            or m.get("role") not in {"user", "assistant"}
            or not isinstance(m.get("content"), str)
        ):
            raise BadHistory()
        clean.append({"role": m["role"], "content": m["content"]})
    if sum(len(m["content"]) for m in clean) > settings.max_history_chars:
        clean = _trim_history(clean, settings.max_history_chars)
    return question.strip(), clean[-settings.max_history_turns :]


def _trim_history(history: list[dict[str, str]], limit: int) -> list[dict[str, str]]:
    """Drop the oldest turns until the history fits."""
    out: list[dict[str, str]] = []
    total = 0
    for m in reversed(history):
        total += len(m["content"])
        if total > limit:
            break
        out.append(m)
    return list(reversed(out))


def _dependent(question: str) -> bool:
    info = analyse_question(question)
    return bool(_DEPENDENT.search(question)) or (len(info.terms) <= 2 and not info.entities)


def needs_context(question: str, history: list[dict[str, str]]) -> bool:
    """A follow-up ("Where were they headed?") asked with no conversation to lean on."""
    if any(m["role"] == "user" for m in history):
        return False
    info = analyse_question(question)
    return bool(_DEPENDENT.search(question)) and len(info.terms) <= 1 and not info.entities


def condense(question: str, history: list[dict[str, str]]) -> Query:
    """Resolve a follow-up against the conversation: pronouns and elliptical questions lean on the last turn."""
    users = [m["content"] for m in history if m["role"] == "user"]
    if not users:
        return Query(question, question)
    if not _dependent(question):
        return Query(question, question)
    answers = [m["content"] for m in history if m["role"] == "assistant"]
    prev = users[-1]
    last = answers[-1] if answers else ""
    last = re.sub(r"\[\d+\]", "", last)[:600]
    return Query(
        question,
        standalone=f"{prev} {question}",
        context=prev,
        avoid=last,
        search=f"{prev} {last} {question}",
    )


def answer(question: Any, history: Any, deps: Deps) -> Answer:
    """Answer a question (with optional history) from the indexed articles, citing each claim."""
    final: Answer | None = None
    for _, done in stream_answer(question, history, deps):
        final = done or final
    if final is None:  # an engine must always finish with an answer
        raise RuntimeError("answer engine produced no answer")
    return final


def stream_answer(question: Any, history: Any, deps: Deps) -> Iterator[tuple[str, Answer | None]]:
    """Yield (partial answer text, None) while an LLM writes, then ("", final answer)."""
    q, hist = validate(question, history, deps.settings)
    if needs_context(q, hist):
        yield (
            "",
            Answer(question=q, answer=REFUSAL, refused=True, mode="extractive", warnings=[NEEDS_CONTEXT]),
        )
        return
    query = condense(q, hist)
    if question_kind(q) is Kind.OVERVIEW and subject(q):
        query = replace(query, search=subject(q))  # retrieve on the subject, not on "summarize what..."
    if deps.llm is None:
        yield "", extractive_answer(query, deps.retriever.retrieve(query.search_text), deps)
        return
    condensed = deps.llm.condense(query, hist)  # a no-op without history
    query = condensed.query
    hits = deps.retriever.retrieve(query.search_text)
    yield from deps.llm.stream(
        query,
        hits,
        hist,
        fallback=lambda w: extractive_answer(query, hits, deps, w),
        after_fault=condensed.faulted,
    )


def extractive_answer(query: Query, hits: list[Hit], deps: Deps, warning: str | None = None) -> Answer:
    """The offline engine's answer: a short span, a sentence or two, or an overview, each cited; or a refusal."""
    warnings = [warning] if warning else []
    settings = deps.settings
    qvec = deps.retriever.embed_query(query.standalone)  # cached when retrieval used the same text
    scored = score_sentences(query, hits, deps.embedder, deps.retriever.keyword, settings, qvec)
    if deps.answerability is None:
        chosen = select(scored, settings)
        return sentences_answer(query, chosen, warnings) if chosen else refusal(query, warnings)
    kind = question_kind(query.question)
    if kind is Kind.OVERVIEW:
        picked = facts(query.question, scored)
        return sentences_answer(query, picked, warnings) if picked else refusal(query, warnings)
    picked = select(scored, settings)
    rules_pick = next((s for s in scored if s.answerable), None) if picked else None
    choices = choose(
        query, hits, scored, deps.answerability, deps.reader, settings.reader_passages, rules_pick
    )
    if not choices:
        return refusal(query, warnings)
    best = choices[0]
    span_words = len((best.span_text or "").split())
    one = asks_for_one(query.question, analyse_question(query.question).answer_type)
    if kind in SHORT_KINDS and one and best.span_text and 0 < span_words <= settings.short_answer_max_words:
        return short_answer(query, best, warnings)
    if kind is Kind.YESNO:
        return sentences_answer(
            query, [best.sentence], warnings, prefix=yes_or_no(query.question, best.sentence.text)
        )
    return sentences_answer(
        query, _one_or_two(best.sentence, picked + [c.sentence for c in choices[1:]]), warnings
    )


def _one_or_two(best: Scored, others: list[Scored]) -> list[Scored]:
    """The best sentence, and the next one of its passage when the rules or the model also chose it (a news
    lead is often completed by the sentence after it: "... deployed reinforcements." "20 vehicles ...")."""
    nxt = [s for s in others if s.hit.id == best.hit.id and s.rank == best.rank + 1]
    return [best, *nxt[:1]]
