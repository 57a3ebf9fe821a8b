"""Why/how questions: the sentence that gives the cause, purpose or means of the event the question names.

The event is the question without its why-words (cues.REASON_QUESTION_TERMS). A sentence answers when it and
the sentence before it cover the event (windows.covers) and it states a cause ("because", "to prevent",
"after ..."), or when it covers the event and the next sentence states the cause. No window covering the
event: refuse, since a why-question about an event the articles don't report has no answer there.
"""

from __future__ import annotations

from app.answer.question.analysis import analyse_question
from app.answer.question.cues import CAUSE, MEANS, REASON_QUESTION_TERMS, STRONG_CAUSE
from app.answer.question.kinds import ATTRIBUTION
from app.answer.reader.extractive import Scored
from app.answer.shapes.windows import IDF, Sent, Table, coverage, covers, names_present, vetoed
from app.text.dates import MONTHS as MONTH_NAMES
from app.text.words import terms

MONTHS = frozenset(terms(" ".join(MONTH_NAMES)))

STRONG_CUE = 0.3
WEAK_CUE = 0.1
EXTRA_CUE = 0.1
MAX_EXTRA_CUES = 2
NEXT_CUE = 0.15
ORDER_COST = 0.01
CUE_FIRST = 1.0  # a window plainly stating a cause (a strong cue) beats any without one
OWN_SHARE = 0.5  # a cause sentence covering less of the event than this brings the sentence before it


def event_terms(question: str) -> list[str]:
    """The question's terms without its why-words and its attribution ("according to a Turkish source")."""
    return [t for t in dict.fromkeys(terms(ATTRIBUTION.sub("", question))) if t not in REASON_QUESTION_TERMS]


def cue_score(text: str, means: bool = False) -> float:
    """How plainly the sentence states a cause (with `means`, for a how-question, also a means: "by shooting
    down"): a strong cue, more for each further one ("the real purpose ... is to prevent"), a weak one ("as",
    "by") less."""
    strong = {m.group(0).lower() for m in STRONG_CAUSE.finditer(text)}
    if means:
        strong |= {m.group(0).lower() for m in MEANS.finditer(text)}
    if strong:
        return STRONG_CUE + EXTRA_CUE * min(len(strong) - 1, MAX_EXTRA_CUES)
    return WEAK_CUE if CAUSE.search(text) else 0.0


def reason_sentences(question: str, tab: Table, idf: IDF, context: str = "") -> list[Scored] | None:
    """The one or two sentences that answer a why/how question; empty: the articles don't say; None: the
    question names no event ("Why?"). A follow-up's event is the earlier question's (`context`)."""
    info = analyse_question(question)
    event = event_terms(question)
    if context:  # the earlier question's event, without its numbers and months (the new question's own)
        event += [
            t for t in event_terms(context) if t not in event and not t[:1].isdigit() and t not in MONTHS
        ]
    if not event:
        return None
    means = question.lower().lstrip().startswith("how")
    best: tuple[float, list[Sent]] | None = None
    for s in tab.sents:
        if vetoed(question, info, s, tab.months[s.hit.source]):
            continue
        prev, nxt = tab.prev(s), tab.next(s)
        art = tab.article[s.hit.source]
        window = s.terms | (prev.terms if prev else frozenset())
        if not names_present(info, window | art) or not covers(event, window, art):
            continue
        own = coverage(event, s.terms, idf)
        cue = cue_score(s.text, means)
        base = coverage(event, window, idf) + 0.5 * own - ORDER_COST * s.order
        if cue:
            picked = [prev, s] if prev is not None and own < OWN_SHARE else [s]
            lift = CUE_FIRST if cue >= STRONG_CUE else 0.0  # a weak cue ("as", "by") only adds a little
            cand = (lift + base + cue, [p for p in picked if p is not None])
        elif nxt is not None and cue_score(nxt.text, means) >= STRONG_CUE:
            cand = (CUE_FIRST / 2 + base + NEXT_CUE, [s, nxt])
        else:
            cand = (base, [s])
        if best is None or cand[0] > best[0]:
            best = cand
    if best is None:
        return []
    return [x.scored(best[0]) for x in best[1]]
