"""The cue words of the kinds of question, as named lists (data in cues.json), and matching against them.

cause_cues / strong_cause_cues: what a sentence giving a cause, purpose or means says ("because", "to prevent").
means_patterns: how a sentence states a means ("by shooting down", "using"), as plain as a strong cause cue.
speech_cues: what an attributed statement says ("said", "told", quotation marks).
said_question_nouns count only after a possessive ("What was X's assessment ...?", not "What did Turkey position").
reason_question_words / said_question_*: the words of a why- or what-did-X-say question that ask for the kind of
answer, not what it is about. light_verbs: verbs a question needs but an answer need not repeat. synonyms: news
words that stand for one another ("sent troops" / "deployed reinforcements"). definition_questions: "Who is X?"
and its like, with X as the group "s". person_role_questions: "Who is the minister ...?", answered by a name. title_run_stops / apposition_openers: where a title before a name ends and
an apposition after it starts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

from app.text.words import terms

CUES_FILE = Path(__file__).with_name("cues.json")  # the cue lists: the one place their file is named
_DATA = json.loads(CUES_FILE.read_text(encoding="utf-8"))


def _phrases(name: str) -> re.Pattern[str]:
    words = sorted(_DATA[name], key=len, reverse=True)
    alts = [re.escape(w) if not w[0].isalnum() else rf"\b{re.escape(w)}\b" for w in words]
    return re.compile("|".join(alts), re.IGNORECASE)


CAUSE = _phrases("cause_cues")
STRONG_CAUSE = _phrases("strong_cause_cues")
SPEECH = _phrases("speech_cues")
MEANS = re.compile("|".join(_DATA["means_patterns"]), re.IGNORECASE)
REASON_QUESTION_TERMS = frozenset(terms(" ".join(_DATA["reason_question_words"])))
SAID_QUESTION_VERBS = frozenset(w.lower() for w in _DATA["said_question_verbs"])
SAID_QUESTION_NOUNS = frozenset(w.lower() for w in _DATA["said_question_nouns"])
SAID_QUESTION_TERMS = frozenset(
    terms(
        " ".join(_DATA["said_question_verbs"] + _DATA["said_question_nouns"] + _DATA["said_question_words"])
    )
)
LIGHT_VERBS = frozenset(terms(" ".join(_DATA["light_verbs"])))
DEFINITION_QUESTIONS = tuple(re.compile(p) for p in _DATA["definition_questions"])
PERSON_ROLE_QUESTIONS = tuple(re.compile(p) for p in _DATA["person_role_questions"])
TITLE_RUN_STOPS = frozenset(_DATA["title_run_stops"])
APPOSITION_OPENERS = frozenset(_DATA["apposition_openers"])

_GROUP: dict[str, set[int]] = {}
for _i, _group in enumerate(_DATA["synonyms"]):
    for _t in terms(" ".join(_group)):
        _GROUP.setdefault(_t, set()).add(_i)


def same_term(a: str, b: str) -> bool:
    """Two stemmed terms name the same thing: equal, synonyms, or one a 4+ letter prefix of the other
    ("thrown"/"throw", "minist"/"ministri")."""
    if a == b:
        return True
    if _GROUP.get(a, set()) & _GROUP.get(b, set()):
        return True
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= 4 and long_.startswith(short) and not short[:1].isdigit()


def found(term: str, have: Iterable[str]) -> bool:
    """The term, or one that names the same thing, is among `have`; a hyphenated one ("turkish-russian") also
    when each of its parts is."""
    have = have if isinstance(have, (set, frozenset)) else set(have)
    if term in have or any(same_term(term, h) for h in have):
        return True
    parts = terms(term.replace("-", " ")) if "-" in term else []
    return len(parts) > 1 and all(found(p, have) for p in parts)
