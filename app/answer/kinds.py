"""Kinds of question, by the shape of answer they want: a few words, a sentence or two, or an overview."""

from __future__ import annotations

import re
from enum import Enum


class Kind(Enum):
    FACTOID = "factoid"  # who/what/when/where/which/how many: the answer itself in a few words
    REASON = "reason"  # why / how (means) / for what purpose: the sentence that gives the cause or means
    SAID = "said"  # what did X say / according to X: the attributed statement
    YESNO = "yesno"  # is/did/does ...: yes or no only when a sentence states it
    OVERVIEW = "overview"  # summarise / what do the articles say about X: several distinct facts, cited


OVERVIEW = re.compile(
    r"^\s*(summari[sz]e|give (me )?(an )?overview|overview of|tell me (about|everything)|"
    r"what (do|does|did) (the )?(articles?|sources?|reports?|archive|coverage) (say|report|tell)|"
    r"what is (known|reported) about|what has been (said|reported) about)",
    re.IGNORECASE,
)
REASON = re.compile(
    r"^\s*(why|how come|for what (reason|purpose)|what (is|was|were|are) the (reasons?|causes?|purpose|motive)|"
    r"what (caused|led to|prompted|drove)|how (did|does|do|was|were|is|are|can|could|will|would) (?!many|much))",
    re.IGNORECASE,
)
SAID = re.compile(
    r"\b(say|said|says|stated?|told|claim(ed|s)?|warn(ed|s)?|describ(e|ed)|call(ed)?)\b\??\s*$|"
    r"^\s*what did .+ (say|tell|claim|warn|announce)\b",
    re.IGNORECASE,
)
YESNO = re.compile(
    r"^\s*(is|are|was|were|did|does|do|has|have|had|can|could|will|would|should)\b", re.IGNORECASE
)

# Kinds whose answer is a short span when the reader finds one inside the chosen sentence.
SHORT_KINDS = frozenset({Kind.FACTOID})


def question_kind(question: str) -> Kind:
    """The kind of answer a question wants."""
    if OVERVIEW.search(question):
        return Kind.OVERVIEW
    if REASON.search(question):
        return Kind.REASON
    if SAID.search(question):
        return Kind.SAID
    if YESNO.search(question):
        return Kind.YESNO
    return Kind.FACTOID


TWO_QUESTIONS = re.compile(r"\band (how|which|what|who|when|where|why)\b", re.IGNORECASE)
_AFTER_WH = re.compile(r"^\s*(?:which|what|who|whom)\s+((?:[\w'’-]+\s+){0,3})", re.IGNORECASE)
NOT_PLURAL_ENDINGS = ("ss", "us", "is", "ics", "ns'", "'s")


def asks_for_one(question: str, answer_type: str) -> bool:
    """Whether a few words can answer it all: not two questions in one ("how many ..., and how many ...?"),
    and not a list ("Which Iraqi groups ...?") unless it asks for a number or a date."""
    if TWO_QUESTIONS.search(question):
        return False
    if answer_type in {"number", "date"}:
        return True
    m = _AFTER_WH.match(question)
    words = m.group(1).split() if m else []
    return not any(
        w.islower() and len(w) > 3 and w.endswith("s") and not w.endswith(NOT_PLURAL_ENDINGS)
        for w in words[:3]
    )
