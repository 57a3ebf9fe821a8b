"""Timelines: the dated events about a subject across articles, oldest first, each line one sentence cited to
its exact offsets, with its date and publisher. Sentences whose time can't be placed are counted, not placed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from app.answer.question.timeq import TimeWindow, strip_time, time_window
from app.answer.retrieval import Retriever
from app.core.errors import BadQuestion
from app.core.settings import Settings
from app.core.types import Answer, Citation, EventDate, Hit, Timeline, TimelineEvent
from app.text.dates import human_date
from app.text.sentences import split_sentences
from app.text.words import encodable, terms

# How a question asks for a timeline; "what happened" asks for one only when it names a time span.
_ASKS = re.compile(
    r"\b(?:time ?line|chronolog(?:y|ical)|sequence of events|in (?:date|chronological) order|how did .+ unfold)\b",
    re.IGNORECASE,
)
_WHAT_HAPPENED = re.compile(
    r"^\s*what (?:has )?happened\b|^\s*what (?:were|are) the (?:main )?events\b", re.I
)
# Words of a timeline request that say nothing of its subject.
REQUEST_WORDS = (
    r"give me",
    r"show me",
    r"make",
    r"build",
    r"(?:a|the) time ?line of",
    r"(?:a|the) chronology of",
    r"time ?line",
    r"chronology",
    r"what (?:has )?happened",
    r"what (?:were|are) the (?:main )?events",
    r"in chronological order",
    r"sequence of events",
    r"please",
    r"events",
)
_REQUEST = re.compile(rf"\b(?:{'|'.join(REQUEST_WORDS)})\b", re.IGNORECASE)
_GRAIN_ORDER = {"day": 0, "week": 1, "month": 2, "year": 3}


def asks_for_timeline(question: str, window: TimeWindow) -> bool:
    """'Give me a timeline of X', or 'What happened between June 2020 and December 2024 in Idlib?'."""
    return bool(_ASKS.search(question)) or bool(_WHAT_HAPPENED.search(question) and window.adverbial)


def subject_of(question: str, window: TimeWindow) -> str:
    """What the timeline is about: the question without its request words and time phrase."""
    text = _REQUEST.sub(" ", strip_time(question, window))
    text = re.sub(r"^\W*(?:of|about|on|for|in)\b|\b(?:of|about|on|for|in|the|a)\W*$", " ", text.strip(" ?.!"))
    text = re.sub(r"^\W*(?:(?:of|about|on|for|in)\s+)?(?:the|a|an)\s+", "", text.strip(" ?.!,"), flags=re.I)
    return re.sub(r"\s+", " ", text).strip(" ?.!,")


@dataclass(frozen=True)
class _Line:
    event: EventDate
    hit: Hit
    relevance: float


def build_timeline(question: str, retriever: Retriever, settings: Settings) -> Timeline:
    """The dated events about the question's subject, in the window it names, oldest first."""
    window = time_window(question, retriever.newest)
    subject = subject_of(question, window)
    hits = retriever.retrieve(
        subject or question, k=settings.timeline_top_k, window=window if window.bounded else None
    )
    want = set(terms(subject))
    lines: dict[tuple[str, int], _Line] = {}
    undated: set[tuple[str, int]] = set()
    for hit in hits:
        named: dict[int, list[EventDate]] = {}
        for e in sorted(hit.events, key=_specific):
            named.setdefault(e.start, []).append(e)
        for a, b in split_sentences(hit.text):
            start = hit.start + a
            sentence = hit.text[a:b]
            rel = _relevance(want, sentence, hit)
            if rel < settings.timeline_min_coverage or len(sentence.split()) > settings.timeline_max_words:
                continue
            # "2020" is not placed on a timeline from June 2020: it may have been before.
            placed = [
                e
                for e in named.get(start, [])
                if not window.bounded or window.holds(date.fromisoformat(e.lo), date.fromisoformat(e.hi))
            ]
            if not placed:
                if want and start not in named:
                    undated.add((hit.source, start))
                continue
            key = (hit.source, start)
            if key not in lines or lines[key].relevance < rel:
                lines[key] = _Line(placed[0], hit, rel)
    best = sorted(lines.values(), key=lambda x: -x.relevance)[: settings.timeline_max_events]
    best.sort(key=lambda x: (x.event.lo, _GRAIN_ORDER[x.event.grain], x.hit.source, x.event.start))
    events = [_event(i, x) for i, x in enumerate(best, 1)]
    return Timeline(query=question, events=events, undated=len(undated))


def _specific(e: EventDate) -> tuple[int, str]:
    """Finer dates first, so a sentence naming "March 5" and "2020" is placed on the day."""
    return (-_GRAIN_ORDER[e.grain], e.lo)


def _relevance(want: set[str], sentence: str, hit: Hit) -> float:
    """Share of the subject's terms in the sentence (a term only elsewhere in its passage counts half).

    Plain shares, not IDF-weighted: a subject is a few words ("Turkish deployments") and a sentence naming
    one of them ("the Turkish army set up four new positions") belongs on its timeline."""
    if not want:
        return 1.0
    own = set(terms(sentence))
    if len(want) > 1 and not own & want:
        return 0.0  # a line names part of the subject itself; a one-word subject may be its passage's
    around = set(terms(hit.text)) | set(terms(hit.title))
    return sum(1.0 if t in own else 0.5 if t in around else 0.0 for t in want) / len(want)


def _event(n: int, x: _Line) -> TimelineEvent:
    e, h = x.event, x.hit
    return TimelineEvent(
        date=e.lo,
        grain=e.grain,
        label=human_date(e.lo, e.grain),
        citation=Citation.of(n, h, e.start, e.end),
    )


def timeline_answer(question: str, timeline: Timeline) -> Answer:
    """A timeline as a chat answer: one line per event, '3 June 2020 (Publisher): sentence [n]'."""
    if not timeline.events:
        return Answer(question=question, answer="", refused=True, mode="extractive")
    lines = []
    for ev in timeline.events:
        c = ev.citation
        who = f" ({c.publisher})" if c.publisher else ""
        lines.append(f"{ev.label}{who}: {' '.join(c.quote.split())} [{c.id}]")
    warnings = list(timeline.warnings)
    if timeline.undated:
        warnings.append(
            f"{timeline.undated} more sentence{'s' if timeline.undated != 1 else ''} on this subject name no date "
            "that can be placed, so they are not on the timeline."
        )
    return Answer(
        question=question,
        answer="\n".join(lines),
        refused=False,
        mode="extractive",
        citations=[ev.citation for ev in timeline.events],
        warnings=warnings,
    )


def timeline(question: object, retriever: Retriever, settings: Settings) -> Timeline:
    """The checked entry point (CLI, API, chat page): a question or subject of accepted size, or BadQuestion."""
    if not isinstance(question, str) or not question.strip() or len(question) > settings.max_question_chars:
        raise BadQuestion(settings.max_question_chars)
    q = encodable(question.strip())
    return build_timeline(
        q if _ASKS.search(q) or _WHAT_HAPPENED.search(q) else f"timeline of {q}", retriever, settings
    )
