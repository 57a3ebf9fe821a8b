"""An answer that only restates its question: "Who did the rebels say they had captured?" answered "The rebels said
they had captured near Aleppo [1]." Each of its words is in a passage, so the claim check lets it through, but it
names nobody. Found by hand on `make run` with the local model; measured on the stored local answers of our tuning
questions (SQuAD training articles: 1 of 27 answers, "The scientists for Public Health England in 2014 were [1].")
and of two report samples (0 of 39): it caught no answer that said something."""

from __future__ import annotations

from app.answer.question.kinds import Kind, question_kind
from app.text.words import STOPWORDS, terms

# Kinds of question that ask for a thing the answer must name. Yes/no, reason and overview questions are left out:
# "Did X win?" is rightly answered "X won".
NAMING_KINDS = frozenset({Kind.FACTOID, Kind.DEFINE, Kind.SAID})
# Reporting words an echo adds without saying anything ("The rebels *said* ...").
REPORTING = frozenset(terms("say said says saying report reported reports according told tell"))


def echoes(answer: str, *questions: str) -> bool:
    """Whether the answer (without its markers) to a wh-question adds no content word to the question's wordings
    (as asked, and as resolved against the conversation)."""
    if not any(question_kind(q) in NAMING_KINDS for q in questions):
        return False
    asked = {t for q in questions for t in terms(q)}
    return not set(terms(answer)) - asked - STOPWORDS - REPORTING
