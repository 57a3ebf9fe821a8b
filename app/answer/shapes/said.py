"""What-did-X-say questions: the statement attributed to the speaker the question names, on its topic.

The question splits at its speech word ("What did Citigroup analyst Kyle Cooper SAY about the market?") into the
speaker (before) and the topic (after). A sentence answers when it carries a speech cue (said, told, quotation
marks), names the speaker (the surname, or most of the speaker's words: "the Turkish foreign minister"), itself
or in the sentence before it, and covers enough of the topic. The speaker never quoted on it: refuse.
"""

from __future__ import annotations

import re

from app.answer.question.analysis import NAME, analyse_question
from app.answer.question.cues import SAID_QUESTION_TERMS, SPEECH, found
from app.answer.question.kinds import split_said
from app.answer.reader.extractive import Scored
from app.answer.shapes.windows import IDF, Sent, Table, coverage, names_present, vetoed
from app.core.types import Hit
from app.text.sentences import split_sentences
from app.text.words import terms

SPEAKER_SHARE = 0.6  # share of the speaker's words a sentence must name (when it lacks the surname)
TOPIC_SHARE = 0.4  # IDF-weighted share of the topic the statement must cover
ORDER_COST = 0.01


def surnames(speaker: str) -> set[str]:
    """The last word of each name in the speaker ("Kyle Cooper" -> cooper): enough to attribute a quote."""
    out = set()
    for m in NAME.finditer(speaker):
        words = m.group(0).split()
        if len(words) >= 2:
            out |= set(terms(words[-1]))
    return out


def names_speaker(speaker_terms: list[str], last: set[str], have: frozenset[str]) -> bool:
    if last & have:
        return True
    if not speaker_terms:
        return False
    return sum(found(t, have) for t in speaker_terms) / len(speaker_terms) >= SPEAKER_SHARE


def said_sentences(question: str, tab: Table, idf: IDF) -> list[Scored] | None:
    """The attributed statement (one or two sentences); [] to refuse; None when the question has no speaker."""
    parts = split_said(question)
    if parts is None:
        return None
    speaker, topic = parts
    sp_terms = [t for t in dict.fromkeys(terms(speaker)) if t not in SAID_QUESTION_TERMS]
    if not sp_terms:
        return None
    last = surnames(speaker)
    top = [t for t in dict.fromkeys(terms(topic)) if t not in SAID_QUESTION_TERMS and t not in sp_terms]
    info = analyse_question(question)
    topic_info = analyse_question(topic)  # the speaker's own name is matched above, more loosely
    best: tuple[float, list[Sent]] | None = None
    for s in tab.sents:
        if not SPEECH.search(s.text) or vetoed(question, info, s):
            continue
        prev, nxt = tab.prev(s), tab.next(s)
        # the sentence before names the speaker only for a sentence that names no one itself
        own_name = any(len(m.group(0).split()) >= 2 for m in NAME.finditer(s.text.lstrip("“\"'‘ ")))
        around = s.terms | (prev.terms if prev and not own_name else frozenset())
        if not names_speaker(sp_terms, last, around):
            continue
        if not names_present(topic_info, around | tab.article[s.hit.source]):
            continue
        cov = coverage(top, s.terms, idf) if top else 1.0
        if cov < TOPIC_SHARE:
            continue
        own = 0.2 if names_speaker(sp_terms, last, s.terms) else 0.0
        score = cov + own - ORDER_COST * s.order
        picked = [s]
        if nxt is not None and _continues(nxt.text):
            picked.append(nxt)
        if best is None or score > best[0]:
            best = (score, picked)
    if best is None:
        return []
    return [x.scored(best[0]) for x in best[1]]


def _continues(text: str) -> bool:
    """The next sentence goes on with the same statement: a quotation without a new speaker's name."""
    return text.lstrip()[:1] in '“"'


# "…", he said. / she told reporters / they added: a statement whose speaker is only a pronoun.
PRONOUN_SPEAKER = re.compile(
    r"\b(?:he|she|they)\s+(?:said|says|told|added|warned|explained|insisted|stressed|noted|argued)\b"
    r"|\b(?:said|says|added)\s+(?:he|she)\b",
    re.IGNORECASE,
)
WHO_ASKED = re.compile(r"^\W*who\b", re.IGNORECASE)
SPEAKER_LOOKBACK = 3  # sentences searched back for the statement's named speaker
MAX_GAP = 3  # characters between two sentences that follow each other (the whitespace of a paragraph break)


def _names_a_person(text: str) -> bool:
    return any(len(m.group(0).split()) >= 2 for m in NAME.finditer(text))


def speaker_before(question: str, best: Scored, hits: list[Hit]) -> Scored | None:
    """For a "Who said …?" question answered by a statement whose speaker is only "he" or "she": the nearest
    sentence before it in its article that names someone with a speech cue (the attribution the quote
    continues), so the answer names the speaker. Searched across a passage boundary when the passage before
    was retrieved too; the walk stops at a gap. None when the question asks no one or the sentence names the
    speaker itself."""
    if not WHO_ASKED.search(question) or not SPEECH.search(question):
        return None
    if not PRONOUN_SPEAKER.search(best.text) or _names_a_person(PRONOUN_SPEAKER.split(best.text)[-1]):
        return None
    before: dict[int, tuple[Hit, int, int, int]] = {}
    for h in hits:
        if h.source == best.hit.source:
            for r, (s, e) in enumerate(split_sentences(h.text)):
                if h.start + e <= best.start:
                    before[h.start + s] = (h, h.start + s, h.start + e, r)
    at = best.start
    for h, start, end, rank in sorted(before.values(), key=lambda x: -x[1])[:SPEAKER_LOOKBACK]:
        if at - end > MAX_GAP:
            return None
        text = h.text[start - h.start : end - h.start]
        if SPEECH.search(text) and _names_a_person(text):
            return Scored(h, start, end, text, best.score, True, rank)
        at = start
    return None
