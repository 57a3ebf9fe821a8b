"""Signals for the learned answerability model: the words that differ between a question and a sentence.

Unanswerable questions often reuse a sentence's own words with one thing changed: a negation, an antonym
("largest" asked, "smallest" written), or a number. These functions say so; the model learns how much each
counts (see app/answer/answerability.py and scripts/train_answerability.py).
"""

from __future__ import annotations

import re

from app.text.words import normalise

NEGATIONS = frozenset({"not", "no", "never", "none", "nor", "without", "n't", "cannot", "neither", "nobody"})

# Pairs of words whose swap turns a true statement into a false one; each side may be a single word.
ANTONYM_PAIRS: tuple[tuple[str, str], ...] = (
    ("largest", "smallest"),
    ("larger", "smaller"),
    ("large", "small"),
    ("biggest", "smallest"),
    ("bigger", "smaller"),
    ("big", "small"),
    ("most", "least"),
    ("more", "less"),
    ("more", "fewer"),
    ("highest", "lowest"),
    ("higher", "lower"),
    ("high", "low"),
    ("longest", "shortest"),
    ("longer", "shorter"),
    ("first", "last"),
    ("earliest", "latest"),
    ("earlier", "later"),
    ("before", "after"),
    ("north", "south"),
    ("east", "west"),
    ("northern", "southern"),
    ("eastern", "western"),
    ("upper", "lower"),
    ("increase", "decrease"),
    ("increased", "decreased"),
    ("rise", "fall"),
    ("rose", "fell"),
    ("rise", "fell"),
    ("rises", "falls"),
    ("rising", "falling"),
    ("gain", "loss"),
    ("win", "lose"),
    ("won", "lost"),
    ("best", "worst"),
    ("better", "worse"),
    ("old", "new"),
    ("oldest", "newest"),
    ("older", "newer"),
    ("major", "minor"),
    ("maximum", "minimum"),
    ("inside", "outside"),
    ("internal", "external"),
    ("public", "private"),
    ("rich", "poor"),
    ("richest", "poorest"),
    ("strong", "weak"),
    ("strongest", "weakest"),
    ("positive", "negative"),
    ("accept", "reject"),
    ("accepted", "rejected"),
    ("allow", "forbid"),
    ("allowed", "banned"),
    ("support", "oppose"),
    ("supported", "opposed"),
    ("start", "end"),
    ("began", "ended"),
    ("open", "closed"),
    ("opened", "closed"),
    ("wider", "narrower"),
    ("widest", "narrowest"),
    ("deep", "shallow"),
    ("deepest", "shallowest"),
    ("fast", "slow"),
    ("fastest", "slowest"),
    ("male", "female"),
)
_OPPOSITE: dict[str, frozenset[str]] = {}
for _a, _b in ANTONYM_PAIRS:
    _OPPOSITE[_a] = _OPPOSITE.get(_a, frozenset()) | {_b}
    _OPPOSITE[_b] = _OPPOSITE.get(_b, frozenset()) | {_a}

_WORD = re.compile(r"[A-Za-z]+(?:'t)?|\d[\d,.]*\d|\d")


def words(text: str) -> set[str]:
    """Lower-cased surface words (no stemming: "larger" and "large" differ here on purpose)."""
    out = set()
    for w in _WORD.findall(text):
        w = w.lower()
        out.add("n't" if w.endswith("n't") else normalise(w))
    return out


def negation_mismatch(question: str, sentence: str) -> bool:
    """One of the two is negated and the other is not."""
    return bool(words(question) & NEGATIONS) != bool(words(sentence) & NEGATIONS)


def antonym_clash(question: str, sentence: str) -> bool:
    """The question uses a word whose opposite the sentence uses, and the sentence lacks the word itself."""
    q, s = words(question), words(sentence)
    return any(w not in s and _OPPOSITE[w] & s for w in q if w in _OPPOSITE)


def numbers_missing(question: str, sentence: str) -> int:
    """Numbers the question names that the sentence does not."""
    qn = {w for w in words(question) if w[:1].isdigit()}
    return len(qn - words(sentence))


def new_capitalised(question: str, sentence: str) -> int:
    """Capitalised question words (not the first) the sentence does not contain: a name in a different role."""
    s = sentence.lower()
    toks = question.split()
    return sum(1 for t in toks[1:] if t[:1].isupper() and t.strip("?,.'\"").lower() not in s)


def yes_or_no(question: str, sentence: str) -> str:
    """The answer to a yes/no question that the sentence states: "No." when it negates or reverses what the
    question asks ("Did prices fall?" / "Prices rose"), else "Yes." (the sentence follows, cited)."""
    return "No. " if negation_mismatch(question, sentence) or antonym_clash(question, sentence) else "Yes. "
