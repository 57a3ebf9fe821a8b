"""Signals for the learned answerability model: the words that differ between a question and a sentence.

Unanswerable questions often reuse a sentence's own words with one thing changed: a negation, an antonym
("largest" asked, "smallest" written), or a number. These functions say so; the model learns how much each
counts (see app/answer/reader/answerability.py and scripts/train_answerability.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

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
# WordNet's direct antonyms with their inflections (scripts/build_antonyms.py writes it; see its docstring).
ANTONYMS_FILE = Path(__file__).with_name("antonyms.json")  # the one place its file is named
_WORDNET = json.loads(ANTONYMS_FILE.read_text(encoding="utf-8"))


def opposite_forms() -> Iterator[tuple[frozenset[str], frozenset[str]]]:
    """Every pair of opposites as (forms of one word, forms of the other): the hand list, then WordNet's."""
    for a, b in ANTONYM_PAIRS:
        yield frozenset({a}), frozenset({b})
    for pair in _WORDNET["pairs"]:
        yield frozenset(pair["a_forms"]), frozenset(pair["b_forms"])


_OPPOSITE: dict[str, frozenset[str]] = {}
_SAME: dict[str, frozenset[str]] = {}  # a word's other forms ("rose": "rise", "rises", "rising", ...)
for _fa, _fb in opposite_forms():
    for _x, _y in ((_fa, _fb), (_fb, _fa)):
        for _w in _x:
            _OPPOSITE[_w] = _OPPOSITE.get(_w, frozenset()) | _y
            _SAME[_w] = _SAME.get(_w, frozenset()) | _x

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
    """The question uses a word whose opposite the sentence uses, and the sentence lacks the word itself in any
    of its forms ("rises" asked, "rose and fell" written: no clash)."""
    q, s = words(question), words(sentence)
    return any(not (_SAME[w] & s) and _OPPOSITE[w] & s for w in q if w in _OPPOSITE)


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
