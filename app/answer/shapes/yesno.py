"""Yes/no questions: "Yes."/"No." only when a sentence states it, else refuse.

A sentence states the answer when it (with the sentence before it) covers the question's terms as a why-question's
window must (windows.covers), where a term whose opposite the sentence uses ("rise" asked, "fell" written) counts
as stated (the answer is then "No.", signals.yes_or_no).
"""

from __future__ import annotations

from app.answer.question.analysis import analyse_question
from app.answer.question.cues import LIGHT_VERBS, found
from app.answer.reader.extractive import Scored
from app.answer.reader.signals import opposite_forms
from app.answer.shapes.windows import Table, allowed_missing, names_present
from app.text.words import terms

OPPOSITE: dict[str, frozenset[str]] = {}
for _a, _b in opposite_forms():
    for _x, _y in ((_a, _b), (_b, _a)):
        for _t in terms(" ".join(_x)):
            OPPOSITE[_t] = OPPOSITE.get(_t, frozenset()) | frozenset(terms(" ".join(_y)))


def states(question: str, sentence: Scored, tab: Table) -> bool:
    """Whether the sentence (with the one before it) states the answer to the yes/no question."""
    s = next((x for x in tab.sents if x.hit.id == sentence.hit.id and x.start == sentence.start), None)
    if s is None:
        return False
    prev = tab.prev(s)
    window = s.terms | (prev.terms if prev else frozenset())
    art = tab.article[s.hit.source]
    if not names_present(analyse_question(question), window | art):
        return False
    want = [t for t in dict.fromkeys(terms(question)) if t not in LIGHT_VERBS]
    missing = [
        t for t in want if not found(t, window) and not any(found(o, s.terms) for o in OPPOSITE.get(t, ()))
    ]
    return len(missing) <= allowed_missing(len(want)) and all(found(t, art) for t in missing)
