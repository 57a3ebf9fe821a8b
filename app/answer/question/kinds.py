"""Kinds of question, by the shape of answer they want: a few words, a sentence or two, or an overview."""

from __future__ import annotations

import re
from enum import Enum

from app.answer.question.cues import (
    DEFINITION_QUESTIONS,
    PERSON_ROLE_QUESTIONS,
    SAID_QUESTION_NOUNS,
    SAID_QUESTION_VERBS,
)


class Kind(Enum):
    FACTOID = "factoid"  # who/what/when/where/which/how many: the answer itself in a few words
    REASON = "reason"  # why / how (means) / for what purpose: the sentence that gives the cause or means
    SAID = "said"  # what did X say / according to X: the attributed statement
    DEFINE = "define"  # who is X / what is X / what does X stand for: a title, apposition or definition
    YESNO = "yesno"  # is/did/does ...: yes or no only when a sentence states it
    OVERVIEW = "overview"  # summarise / what do the articles say about X: several distinct facts, cited


OVERVIEW = re.compile(
    r"^\s*(summari[sz]e|give (me )?(an )?overview|overview of|tell me (about|everything)|"
    r"what (do|does|did) (the )?(articles?|sources?|reports?|archive|coverage) (say|report|tell)|"
    r"what is (known|reported) about|what has been (said|reported) about)",
    re.IGNORECASE,
)
REASON = re.compile(
    r"^\s*(why|how come|for what (reason|purpose)|what (is|was|were|are) the ([\w-]+ )?(reasons?|causes?|purpose|motive)|"
    r"what (caused|led to|prompted|drove|set off|triggered|sparked)|"
    r"what (\w+ ){1,8}(trying|try|tried|hoping|hope|hoped|aiming|aim|aimed|seeking|seek|sought|wanting|want|wanted|wants) "
    r"to (achieve|accomplish|gain|do)\b|how (did|does|do|was|were|is|are|can|could|will|would) (?!many|much)|"
    # purpose: "What do they want a corridor for?", "What is the tunnel used for?" (not "What party did he vote for?")
    r"what (do|does|did|is|are|was|were) (\S+ ){1,8}(want|wants|wanted|need|needs|needed|use|used|seek|seeks|"
    r"sought|request|requested)( \S+){0,4} for\s*\?\s*$)",
    re.IGNORECASE,
)
SAID = re.compile(
    r"\b(say|said|says|stated?|told|claim(ed|s)?|warn(ed|s)?|describ(e|ed)|call(ed)?)\b\??\s*$",
    re.IGNORECASE,
)
_SAID_LEAD = re.compile(
    r"^\s*(?:what|how)\s+(?:did|does|do|has|have|had|was|were|is|are|will|would)\s+", re.I
)
ATTRIBUTION = re.compile(r",?\s*\b(?:according to|as (?:reported|told) (?:by|to))\b[^,?]*", re.IGNORECASE)
_WORD = re.compile(r"[\w'’&.-]+")
YESNO = re.compile(
    r"^\s*(is|are|was|were|did|does|do|has|have|had|can|could|will|would|should)\b", re.IGNORECASE
)

# Kinds whose answer is a short span when the reader finds one inside the chosen sentence.
SHORT_KINDS = frozenset({Kind.FACTOID})


def question_kind(question: str) -> Kind:
    """The kind of answer a question wants."""
    if OVERVIEW.search(question):
        return Kind.OVERVIEW
    if definition_subject(question) is not None:
        return Kind.DEFINE
    reason = REASON.search(question)
    if reason and not reason.group(0).lower().lstrip().startswith("how"):
        return Kind.REASON  # "why ...", "what prompted ...": even when it names its source ("... reported")
    if split_said(question) is not None or (SAID.search(question) and not reason):
        return Kind.SAID
    if reason:
        return Kind.REASON
    if YESNO.search(question):
        return Kind.YESNO
    return Kind.FACTOID


_CONNECTORS = frozenset({"of", "the", "for", "and", "al", "el", "de", "&", "bin", "ibn", "in", "on"})


def definition_subject(question: str) -> str | None:
    """X of "Who is X?", "What is X?", "What kind of group is X?", "How is X described?", "What does X stand
    for?" (cues.definition_questions) when X is a name (capitalised words, at most one common noun after
    them: "the Jabal Al-Zawiya area"); None for other questions ("What was X's assessment of ...?")."""
    for p in DEFINITION_QUESTIONS:
        m = p.match(question)
        if not m:
            continue
        subject = m.group("s").strip(" ?.'’")
        words = subject.split()
        lower = [
            w for w in words if not w[:1].isupper() and not w[:1].isdigit() and w.lower() not in _CONNECTORS
        ]
        if words and len(lower) <= 1 and (not lower or lower[0] == words[-1]) and "'s" not in subject:
            return subject
    return None


def asks_for_a_person(question: str) -> bool:
    """ "Who is the defense minister ...?": the answer is someone's name."""
    return any(p.match(question) for p in PERSON_ROLE_QUESTIONS)


def split_said(question: str) -> tuple[str, str] | None:
    """(speaker, topic) of "What did X say about Y?" / "How did X respond to Y?" (cues.said_question_verbs),
    or None when the question is not so shaped."""
    m = _SAID_LEAD.match(question)
    if not m:
        return None
    rest = ATTRIBUTION.sub("", question[m.end() :])
    for w in _WORD.finditer(rest):
        word = w.group(0).lower().rstrip(".")
        possessed = rest[: w.start()].rstrip().endswith(("'s", "’s", "s'"))
        if w.start() > 0 and (word in SAID_QUESTION_VERBS or (word in SAID_QUESTION_NOUNS and possessed)):
            return rest[: w.start()].strip(), rest[w.end() :].strip(" ?.")
    return None


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
    if m is None:
        return True
    words = question[m.start(1) :].split()
    for i, w in enumerate(words[:3]):
        if w.islower() and len(w) > 3 and w.endswith("s") and not w.endswith(NOT_PLURAL_ENDINGS):
            return _verb_after_noun(words, i)  # "Which highway links Aleppo ...?" asks for one highway
    return True


# Words that follow a verb's -s form, not a plural noun ("links the", "borders Syria").
_OBJECT_OPENERS = frozenset({"the", "a", "an", "to", "in", "on", "with", "into", "from", "its", "their"})


def _verb_after_noun(words: list[str], i: int) -> bool:
    """words[i] ends in -s after a singular noun and before a name or an object: a verb ("Which highway LINKS
    Aleppo?"), not a plural noun ("Which Iraqi GROUPS crossed", "What anti-aircraft MISSILES did")."""
    prev, nxt = (words[i - 1] if i else ""), (words[i + 1] if i + 1 < len(words) else "")
    singular_noun_before = prev.isalpha() and prev.islower() and not prev.endswith("s")
    object_after = nxt[:1].isupper() or nxt.lower() in _OBJECT_OPENERS
    return singular_noun_before and object_after
