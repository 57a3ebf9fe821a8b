"""answer(question, history, deps): the one entry point the CLI, API and UI share. Knows nothing of Gradio."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from app.answer.news.current import prefer_newest
from app.answer.news.finish import finish
from app.answer.news.outlets import asked_outlet, rival_figures
from app.answer.news.timeline import asks_for_timeline, build_timeline, timeline_answer
from app.answer.question.analysis import NAME, analyse_question
from app.answer.question.kinds import (
    SHORT_KINDS,
    Kind,
    asks_for_a_person,
    asks_for_one,
    definition_subject,
    question_kind,
)
from app.answer.question.timeq import TimeWindow, narrow, strip_time, time_window
from app.answer.reader.answerability import MODELS, AnswerabilityModel
from app.answer.reader.choose import Choice, SpanReader, choose
from app.answer.reader.extractive import Scored, score_sentences, select
from app.answer.reader.neural import Decision, Policy, decide, read, shape_of
from app.answer.reader.signals import yes_or_no
from app.answer.retrieval import Ranks, Retriever
from app.answer.shapes.compose import (
    refusal,
    sentences_answer,
    short_answer,
    words_answer,
)
from app.answer.shapes.definitions import define
from app.answer.shapes.overview import facts, subject
from app.answer.shapes.said import said_sentences, speaker_before
from app.answer.shapes.why import reason_sentences
from app.answer.shapes.windows import table
from app.answer.shapes.yesno import states
from app.core.errors import (
    LOCAL_CONFIRMED,
    LOCAL_NO_ANSWER,
    LOCAL_VETOED,
    BadHistory,
    BadQuestion,
    IndexMissing,
)
from app.core.protocols import Embedder
from app.core.settings import Settings
from app.core.types import REFUSAL, Answer, Hit, Query
from app.store.chroma import Store
from app.store.embeddings import build_embedder, embedder_identity
from app.text.words import encodable, terms

if TYPE_CHECKING:  # the OpenAI client is imported only when a model is configured
    from app.answer.grounding.claims import Checked
    from app.answer.llm.engine import LLMEngine
    from app.answer.llm.verify import Opinion, Verifier

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
    neural: SpanReader | None = None  # the MPNet reader as decider (reader="mpnet-decides")
    policy: Policy | None = None  # its operating point
    verifier: Verifier | None = None  # the local model's yes/no second opinion (app/answer/llm/verify.py)


def load_deps(settings: Settings, llm: LLMEngine | None = None) -> Deps:
    """Open the index for reading; raises IndexMissing / IndexMismatch with a user-facing message."""
    embedder = build_embedder(settings)
    model, dim = embedder_identity(embedder)
    store = Store.open(settings, model, dim)
    if store.count() == 0:
        raise IndexMissing()
    time_window(
        "since last week", date.today()
    )  # dateparser loads its language data once, here, not mid-answer
    if llm is None:
        from app.answer.llm.pick import build_engine

        llm = build_engine(settings, embedder)
    answerability, reader = load_reader(settings)
    neural, policy = load_neural(settings)
    from app.answer.llm.pick import build_verifier

    return Deps(
        settings,
        Retriever(store, embedder, settings),
        embedder,
        llm,
        answerability,
        reader,
        neural,
        policy,
        build_verifier(settings, llm),
    )


NEURAL_DIR = MODELS / "reader-mpnet"


def load_neural(settings: Settings) -> tuple[SpanReader | None, Policy | None]:
    """The MPNet reader as the decider and its operating point (reader="mpnet-decides"); (None, None) otherwise
    or when its weights are missing (then the fast tier answers, with a warning in the log)."""
    if settings.reader != "mpnet-decides":
        return None, None
    if not (NEURAL_DIR / "reader.int8.onnx").exists():
        log.warning("the MPNet reader's weights are missing (make train-mpnet); answering with the fast tier")
        return None, None
    from app.answer.reader.span_reader import SpanReader as OnnxReader

    r = OnnxReader(NEURAL_DIR, threads=settings.reader_threads)
    return r, Policy.of(r.config, settings.reader_bar, settings.reader_alone_bar, settings.reader_vetoes)


# Each tier's answerability model; the file names the span reader whose reads it was fitted on (reader_dir).
TIER_FILES = {
    "fast": "answerability-fast.json",
    "minilm": "answerability.json",
    "mpnet": "answerability-mpnet.json",
}


def load_reader(settings: Settings) -> tuple[AnswerabilityModel | None, SpanReader | None]:
    """The learned parts the settings ask for, falling back to the fast tier when a tier's files are missing.
    A model fitted on a reader's signals needs that reader; the fast tier runs its span reader (when it has a
    span decision) only on the chosen sentence's passage, for a short answer."""
    if settings.reader == "rules":
        return None, None
    asked = settings.reader if settings.reader in TIER_FILES else "fast"
    for tier in dict.fromkeys((asked, "fast")):
        path = MODELS / TIER_FILES[tier]
        if not path.exists():
            continue
        model = AnswerabilityModel.load(path)
        weights = MODELS / model.reader_dir / "reader.int8.onnx"
        if not weights.exists():
            if model.uses_reader:
                continue  # its features need the reader's reads
            return model, None
        if model.span is None and not model.uses_reader:
            return model, None
        from app.answer.reader.span_reader import SpanReader as OnnxReader

        return model, OnnxReader(weights.parent, threads=settings.reader_threads)
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
            or m.get("role") not in ("user", "assistant")  # a tuple: an unhashable role is refused, not a 500
            or not isinstance(m.get("content"), str)
        ):
            raise BadHistory()
        clean.append({"role": m["role"], "content": encodable(m["content"])})
    question = encodable(question)
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


def answer(question: Any, history: Any, deps: Deps, trace: Trace | None = None) -> Answer:
    """Answer a question (with optional history) from the indexed articles, citing each claim; a trace, when
    given, records how (explain)."""
    final: Answer | None = None
    for _, done in stream_answer(question, history, deps, trace):
        final = done or final
    if final is None:  # an engine must always finish with an answer
        raise RuntimeError("answer engine produced no answer")
    if trace is not None:
        trace.answer = final
    return final


def stream_answer(
    question: Any, history: Any, deps: Deps, trace: Trace | None = None
) -> Iterator[tuple[str, Answer | None]]:
    """Yield (partial answer text, None) while an LLM writes, then ("", final answer)."""
    q, hist = validate(question, history, deps.settings)
    if trace is not None:
        trace.mode = deps.llm.mode if deps.llm is not None else "extractive"
        trace.query = Query(q, q)
    if needs_context(q, hist):
        if trace is not None:
            trace.stage = "needs context"
        yield (
            "",
            Answer(question=q, answer=REFUSAL, refused=True, mode="extractive", warnings=[NEEDS_CONTEXT]),
        )
        return
    query = condense(q, hist)
    if question_kind(q) is Kind.OVERVIEW and subject(q):
        query = replace(query, search=subject(q))  # retrieve on the subject, not on "summarize what..."
    window = time_window(query.standalone, deps.retriever.newest)
    if trace is not None:
        trace.query, trace.window = query, window
    # Only a time the question asks about ("in 2020", "since June") steers retrieval; a year that names a
    # thing ("the 2020 offensive") is left to the reader, like any other word.
    steer = window if window.adverbial else None
    if asks_for_timeline(query.standalone, window):
        if trace is not None:
            trace.stage = "timeline"
        tl = build_timeline(query.standalone, deps.retriever, deps.settings)
        hits = deps.retriever.retrieve(query.search_text, window=steer) if not tl.events else []
        a = timeline_answer(q, tl)  # its lines already name date and outlet: only a refusal is finished
        yield "", finish(a, hits, deps.retriever, deps.settings, window) if a.refused else a
        return
    if deps.llm is None:
        seen = trace if trace is not None or deps.verifier is None else Trace()
        hits, a = offline(query, window, steer, deps, seen)
        a = second_opinion(query, a, seen, deps) if seen is not None else a
        yield "", finish(a, hits, deps.retriever, deps.settings, window)
        return
    if deps.llm.mode == "local":
        yield from local_answer(query, hist, window, steer, deps, deps.llm, trace)
        return
    condensed = deps.llm.condense(query, hist)  # a no-op without history
    query = condensed.query
    hits = deps.retriever.retrieve(query.search_text, window=steer, ranks=_ranks(trace))
    given = evidence_of(query, hits, deps) if deps.settings.evidence_prompt and hits else hits
    if trace is not None:
        trace.query, trace.hits, trace.read, trace.stage = query, hits, given, "model"

    def fallback(w: str) -> Answer:
        if trace is not None:
            trace.fallback = w
        return extractive_answer(query, hits, deps, w, trace=trace)

    for partial, final in deps.llm.stream(
        query,
        given,
        hist,
        fallback=fallback,
        after_fault=condensed.faulted,
        on_check=_on_check(trace),
        evidence=given is not hits,
    ):
        yield partial, (finish(final, hits, deps.retriever, deps.settings, window) if final else None)


def offline(
    query: Query, window: TimeWindow, steer: TimeWindow | None, deps: Deps, trace: Trace | None = None
) -> tuple[list[Hit], Answer]:
    """The passages and the extractive answer (not yet finished)."""
    # A time filter drops passages, so more are fetched first (then cut back to the usual number).
    k = deps.settings.fused_top_k * (deps.settings.time_filter_fetch if steer else 1)
    hits = deps.retriever.retrieve(query.search_text, k=k, window=steer, ranks=_ranks(trace))
    reader_query, kept = timed(query, hits, window, deps.settings.fused_top_k)
    if trace is not None:
        trace.hits, trace.timed = hits, (kept if kept is not hits else None)
    a = extractive_answer(*from_outlet(reader_query, kept, deps), deps, window=window, trace=trace)
    return hits, replace(a, question=query.question)


def _ranks(trace: Trace | None) -> dict[str, Ranks] | None:
    return trace.ranks if trace is not None else None


def _on_check(trace: Trace | None) -> Callable[[Checked], None] | None:
    """Where the claim check of a model's answer is recorded (explain)."""
    if trace is None:
        return None

    def record(checked: Checked) -> None:
        trace.checked = checked

    return record


def local_answer(
    query: Query,
    hist: list[dict[str, str]],
    window: TimeWindow,
    steer: TimeWindow | None,
    deps: Deps,
    llm: LLMEngine,
    trace: Trace | None = None,
) -> Iterator[tuple[str, Answer | None]]:
    """The extractive answer at once (a draft), then the local model's words as they come, then its checked
    answer; on any fault or timeout the extractive answer stands, with a note saying so. Where the reader was
    unsure, the model's yes/no check on its sentence comes first (second_opinion)."""
    seen = trace if trace is not None else Trace()
    hits, extractive = offline(query, window, steer, deps, seen)
    settings = deps.settings
    draft = finish(extractive, hits, deps.retriever, settings, window)
    if not hits:
        yield "", draft
        return
    yield "", replace(draft, draft=True)
    extractive = second_opinion(query, extractive, seen, deps)
    evidence = settings.evidence_prompt and not settings.local_condense
    condensed = llm.condense(query, hist)  # a follow-up made standalone by the model (off by default)
    if condensed.query is not query:
        query = condensed.query
        hits = deps.retriever.retrieve(query.search_text, window=steer) or hits
    if evidence:
        shown = evidence_from(extractive, seen, hits, deps)
    else:
        shown = prefix_order(hits, previous_passages(hist, deps), settings.local_passages)
    seen.query, seen.read, seen.stage = query, shown, "model"

    def fallback(warning: str) -> Answer:
        seen.fallback = warning
        return replace(extractive, warnings=[*extractive.warnings, warning])

    for partial, final in llm.stream(
        query,
        shown,
        hist,
        fallback=fallback,
        after_fault=condensed.faulted,
        on_check=_on_check(seen),
        evidence=evidence,
    ):
        if (
            final is not None
            and final.refused
            and not extractive.refused
            and not settings.local_refusal_stands
        ):
            final = fallback(LOCAL_NO_ANSWER)
        yield partial, (finish(final, hits, deps.retriever, settings, window) if final else None)


def evidence_of(query: Query, hits: list[Hit], deps: Deps) -> list[Hit]:
    """The compact evidence for a model from these passages: the extractive reader reads them first."""
    seen = Trace(query=query)
    a = extractive_answer(query, hits, deps, trace=seen)
    return evidence_from(a, seen, hits, deps)


def evidence_from(extractive: Answer, seen: Trace, hits: list[Hit], deps: Deps) -> list[Hit]:
    """The reader's sentences, best first: those its answer cites, its ranked choices, then every scored
    sentence; with their subjects, deduplicated, within settings.evidence_tokens (app/answer/llm/evidence.py)."""
    from app.answer.llm.evidence import Sentence, select, sentence_at

    read = seen.read or hits
    ordered: list[Sentence] = []
    for c in extractive.citations:
        h = next((h for h in read if h.source == c.source and h.start <= c.start < h.end), None)
        if h is not None:
            ordered.append(sentence_at(h, c.start, c.end))
    if seen.choices and seen.query is not None:
        # "Who said …?" and the best sentence says only "he said": the sentence naming the speaker before it,
        # also when the draft cites neither (refused by the yes/no check), so the model can name the speaker
        speaker = speaker_before(seen.query.question, seen.choices[0].sentence, read)
        if speaker is not None:
            ordered.append(Sentence(speaker.hit, speaker.start, speaker.end))
    ordered += [Sentence(ch.sentence.hit, ch.sentence.start, ch.sentence.end) for ch in seen.choices]
    ordered += [Sentence(x.hit, x.start, x.end) for x in seen.sentences if not x.vetoed]
    if not ordered:  # nothing scored (an empty reader): the passages' first sentences
        ordered = [sentence_at(h, h.start, h.start + 1) for h in read]
    s = deps.settings
    assert deps.llm is not None
    return select(ordered, deps.llm.counter.count, s.evidence_tokens, s.evidence_sentences)


def second_opinion(query: Query, a: Answer, seen: Trace, deps: Deps) -> Answer:
    """Where the reader answered but was unsure (its chosen sentence's probability in the verifier's band),
    the local model says yes or no to "does this sentence answer this question?": no refuses, with a note;
    yes keeps the answer, with a note; a fault, timeout or garbage reply leaves the answer as it was."""
    v = deps.verifier
    if v is None or a.refused or not seen.choices or seen.stage != "answerability":
        return a
    best = seen.choices[0]
    if not v.unsure(best.prob):
        return a
    from app.answer.llm.evidence import Sentence, resolved_question, with_subject

    s = with_subject(Sentence(best.sentence.hit, best.sentence.start, best.sentence.end))
    text = s.hit.text[s.start - s.hit.start : s.end - s.hit.start]
    opinion = v.check(resolved_question(query), text)
    seen.opinion = opinion
    if opinion.verdict is False:
        return refusal(query, [*a.warnings, LOCAL_VETOED])
    if opinion.verdict is True:
        return replace(a, warnings=[*a.warnings, LOCAL_CONFIRMED])
    return a


def previous_passages(hist: list[dict[str, str]], deps: Deps) -> list[Hit]:
    """The passages the last question was answered from (retrieval is deterministic: asked again, they come
    back in the same order)."""
    users = [i for i, m in enumerate(hist) if m["role"] == "user"]
    if not users:
        return []
    last = users[-1]
    prev = condense(hist[last]["content"], hist[:last])
    return deps.retriever.retrieve(prev.search_text)


def prefix_order(hits: list[Hit], previous: list[Hit], limit: int) -> list[Hit]:
    """The passages for the local model, those the last prompt opened with first and in the same order while
    they are still retrieved: the follow-up's prompt then starts like the last one, and llama.cpp reuses
    that prefix's state instead of reading it again (app/answer/llm/local.py keeps it in RAM)."""
    ids = {h.id for h in hits}
    kept: list[Hit] = []
    for h in previous[:limit]:
        if h.id not in ids:
            break
        kept.append(next(x for x in hits if x.id == h.id))
    seen = {h.id for h in kept}
    return (kept + [h for h in hits if h.id not in seen])[:limit]


def timed(query: Query, hits: list[Hit], window: TimeWindow, limit: int) -> tuple[Query, list[Hit]]:
    """The question as the reader sees it, without its time phrase, and only the passages dated in the window
    it names ("in 2020", "since June 2020"): a passage that can't be placed in that time doesn't answer."""
    if not window.adverbial and not window.present:
        return query, hits
    reader = replace(
        query, question=strip_time(query.question, window), standalone=strip_time(query.standalone, window)
    )
    if window.adverbial and window.bounded:
        hits = [part for h in hits for part in narrow(h, window)][:limit]
    return reader, hits


def from_outlet(query: Query, hits: list[Hit], deps: Deps) -> tuple[Query, list[Hit]]:
    """ "… according to The New Arab": that outlet's passages, and the question without the attribution (the
    outlet is rarely named in its own sentences)."""
    outlets = {r.publisher for r in deps.retriever.docs.values() if r.publisher}
    got = asked_outlet(query.question, outlets)
    if got is None:
        return query, hits
    name, phrase = got
    own = [h for h in hits if h.publisher == name]
    if not own:
        return query, hits
    return replace(
        query, question=query.question.replace(phrase, ""), standalone=query.standalone.replace(phrase, "")
    ), own


def extractive_answer(
    query: Query,
    hits: list[Hit],
    deps: Deps,
    warning: str | None = None,
    window: TimeWindow | None = None,
    trace: Trace | None = None,
) -> Answer:
    """The offline engine's answer: a short span, a sentence or two, an overview, or both outlets' differing
    figures, each cited; or a refusal."""
    trace = trace if trace is not None else Trace()
    warnings = [warning] if warning else []
    settings = deps.settings
    qvec = deps.retriever.embed_query(query.standalone)  # cached when retrieval used the same text
    scored = score_sentences(query, hits, deps.embedder, deps.retriever.keyword, settings, qvec)
    trace.read, trace.sentences = hits, scored
    picked = select(scored, settings)
    current = window is not None and window.present
    if picked and current:
        picked = prefer_newest(scored, settings) or picked
    kind = question_kind(query.question)
    trace.kind = kind.value
    if deps.answerability is None or current:
        # the hand-set rules; also for "current/latest" questions, where the newest article's sentence wins
        trace.stage = "rules (present-tense question)" if current else "rules"
        chosen = rival_figures(query.question, scored, picked) if picked else picked
        return sentences_answer(query, chosen, warnings) if chosen else refusal(query, warnings)
    if kind is Kind.OVERVIEW:
        trace.stage = "overview"
        found = facts(query.question, scored, hits)
        return sentences_answer(query, found, warnings) if found else refusal(query, warnings)
    neural = deps.neural is not None and deps.policy is not None and kind is not Kind.YESNO
    if neural and deps.policy is not None and not deps.policy.kinds_first:
        return neural_answer(query, hits, scored, deps, warnings, kind, trace)
    by_kind = _by_kind(kind, query, hits, deps, warnings)
    if by_kind is not None:
        trace.stage = f"{kind.value} finder"
        return by_kind
    if neural:
        return neural_answer(query, hits, scored, deps, warnings, kind, trace)
    trace.stage = "answerability"
    rules_pick = next((s for s in scored if s.answerable), None) if picked else None
    choices = choose(
        query, hits, scored, deps.answerability, deps.reader, settings.reader_passages, rules_pick
    )
    trace.choices = choices
    if not choices:
        return refusal(query, warnings)
    best = choices[0]
    speaker = speaker_before(query.question, best.sentence, hits)
    if speaker is not None:  # "Who said …?" and the quote says only "he said": add the sentence naming him
        trace.shape = "speaker and statement"
        return sentences_answer(query, [speaker, best.sentence], warnings)
    if asks_for_a_person(query.question) and not _names_someone(best.sentence.text, query.question):
        trace.veto = "person"
        return refusal(query, warnings)  # "Who is the minister who ...?" and the sentence names no one
    rivals = rival_figures(query.question, scored, [best.sentence])
    if len(rivals) > 1:  # two outlets count the asked-about thing differently: show both, never one
        return sentences_answer(query, rivals, warnings)
    span_words = len((best.span_text or "").split())
    one = asks_for_one(query.question, analyse_question(query.question).answer_type)
    if kind in SHORT_KINDS and one and best.span_text and 0 < span_words <= settings.short_answer_max_words:
        return short_answer(query, best, warnings)
    if kind is Kind.YESNO:
        if not states(query.question, best.sentence, table(hits)):
            trace.veto = "yes/no"
            return refusal(query, warnings)  # yes or no only when a sentence states it
        return sentences_answer(
            query, [best.sentence], warnings, prefix=yes_or_no(query.question, best.sentence.text)
        )
    others = picked + [c.sentence for c in choices[1:]]
    return sentences_answer(query, _one_or_two(best.sentence, others), warnings)


@dataclass
class Trace:
    """How an answer came about, filled in as the pipeline goes (explain; it never changes the answer)."""

    kind: str = ""
    stage: str = ""  # which part decided: "reader", "why finder", "rules", "overview", "timeline", ...
    decision: Decision | None = None  # the neural reader's reads, bar and verdict
    shape: str = ""  # "span", "span and sentence", "sentence", "rival figures"
    # What the pipeline saw on the way, for app/answer/explain.py (recorded, never read back by the pipeline)
    query: Query | None = None  # the question with a follow-up resolved
    window: TimeWindow | None = None  # the time it names
    mode: str = ""  # "extractive", "llm", "local"
    ranks: dict[str, Ranks] = field(default_factory=dict)  # each fused passage's ranks and score, by id
    hits: list[Hit] = field(default_factory=list)  # the passages retrieved, in fused order
    timed: list[Hit] | None = None  # what the time filter kept of them (None: no filter)
    read: list[Hit] = field(default_factory=list)  # the passages the reader was given
    sentences: list[Scored] = field(default_factory=list)  # every candidate sentence, best scored first
    choices: list[Choice] = field(default_factory=list)  # the answerability model's picks (fast tier)
    veto: str = ""  # a check outside the neural reader that refused: "person", "yes/no"
    checked: Checked | None = None  # the claim check of a model's answer
    fallback: str = ""  # why a model's answer was replaced by the extractive one
    opinion: Opinion | None = None  # the local model's yes/no check of an unsure reader's sentence
    answer: Answer | None = None  # the final answer


def neural_answer(
    query: Query,
    hits: list[Hit],
    scored: list[Scored],
    deps: Deps,
    warnings: list[str],
    kind: Kind,
    trace: Trace,
) -> Answer:
    """The MPNet reader decides whether the passages answer and where; the span alone only when it is sure,
    else the span with its sentence, or the sentence (a short answer is never less right than its sentence)."""
    assert deps.neural is not None and deps.policy is not None
    settings, policy = deps.settings, deps.policy
    several = not asks_for_one(query.question, analyse_question(query.question).answer_type)
    asked, reads = read(query, hits, scored, deps.neural, settings.reader_passages, several)
    d = decide(asked, reads, policy.bar, policy.alone_bar, policy.vetoes)
    trace.stage, trace.decision = "reader", d
    if not d.answered or d.best is None:
        return refusal(query, warnings)
    best = d.best
    s = best.scored()
    rivals = rival_figures(query.question, scored, [s])
    if len(rivals) > 1:  # two outlets count the asked-about thing differently: show both, never one
        trace.shape = "rival figures"
        return sentences_answer(query, rivals, warnings)
    trace.shape = shape_of(best, kind in SHORT_KINDS, policy.alone_bar, settings.short_answer_max_words)
    if trace.shape == "sentence":
        return sentences_answer(query, [s], warnings)
    if trace.shape == "span":
        return words_answer(query, s, best.start, best.end, warnings)
    return words_answer(query, s, best.start, best.end, warnings, with_sentence=True)


def _by_kind(kind: Kind, query: Query, hits: list[Hit], deps: Deps, warnings: list[str]) -> Answer | None:
    """The answer of a why/how, what-did-X-say or who-is question from its own finder (why.py, said.py,
    definitions.py); None leaves the question to the general reader."""
    if kind not in {Kind.REASON, Kind.SAID, Kind.DEFINE}:
        return None
    q = query.question
    tab = table(hits)
    idf = deps.retriever.keyword.idf
    if kind is Kind.DEFINE:
        subject = definition_subject(q)
        found = define(subject, tab) if subject else None
        if found is None:
            return None
        return words_answer(query, found.sentence.scored(1.0), found.start, found.end, warnings)
    if kind is Kind.SAID:
        said = said_sentences(q, tab, idf)
        if said is None:
            return None
        return sentences_answer(query, said, warnings) if said else refusal(query, warnings)
    why = reason_sentences(q, tab, idf, query.context)
    if why is None:
        return None
    return sentences_answer(query, why, warnings) if why else refusal(query, warnings)


def _names_someone(sentence: str, question: str) -> bool:
    """The sentence holds a name of two or more words (not at its start) that the question doesn't."""
    asked = set(terms(question))
    return any(
        m.start() > 0 and len(m.group(0).split()) >= 2 and set(terms(m.group(0))) - asked
        for m in NAME.finditer(sentence)
    )


def _one_or_two(best: Scored, others: list[Scored]) -> list[Scored]:
    """The best sentence, and the next one of its passage when the rules or the model also chose it (a news
    lead is often completed by the sentence after it: "... deployed reinforcements." "20 vehicles ...")."""
    nxt = [s for s in others if s.hit.id == best.hit.id and s.rank == best.rank + 1]
    return [best, *nxt[:1]]
