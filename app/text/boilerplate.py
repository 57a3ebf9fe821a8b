"""Which lines of scraped plain text are the article: paragraph classification in the manner of jusText.

Each non-empty line is a block. Its features are jusText's (length, stopword density in the text's language,
the context-free class and the class after jusText's context pass), link-like cues that survive in plain text
(separators, a trailing colon, digits, capitalised words, addresses), its position (relative place, before or
after the bulk of the prose) and repetition: within the file, and across the files of the same folder (menus,
footers and newsletter pitches recur on every page of a site, whatever their wording). Averages of the main
features over windows of 3, 7 and 21 lines carry the context (an article's lines sit together). A logistic
model over them (weights in app/text/boilerplate_weights.py, fitted by scripts/train_boilerplate.py on half of
a public benchmark) says which lines are content. No string naming a site is involved.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache

import numpy as np

from app.text.boilerplate_weights import BIAS, THRESHOLD, WEIGHTS

# jusText's languages that news archives mostly come in (its stoplists ship with the justext package).
LANGUAGES = (
    "English",
    "German",
    "French",
    "Spanish",
    "Italian",
    "Portuguese",
    "Dutch",
    "Polish",
    "Czech",
    "Swedish",
    "Danish",
    "Norwegian_Bokmal",
    "Russian",
    "Turkish",
    "Hungarian",
    "Finnish",
    "Romanian",
    "Greek",
    "Ukrainian",
    "Slovak",
    "Croatian",
    "Slovenian",
    "Catalan",
    "Indonesian",
    "Arabic",
)
# jusText's thresholds (characters, stopword density).
LENGTH_LOW, LENGTH_HIGH = 70, 200
STOPWORDS_LOW, STOPWORDS_HIGH = 0.30, 0.32

_WORD = re.compile(r"\w+")
_SEPARATORS = re.compile(r"[|·•»›>/]")
_SENTENCE_END = tuple('.!?:;"”’)»…')


@cache
def _stoplists() -> tuple[tuple[frozenset[str], ...], dict[str, tuple[int, ...]]]:
    import justext

    known = set(justext.get_stoplists())
    lists = tuple(frozenset(justext.get_stoplist(lang)) for lang in LANGUAGES if lang in known)
    index: dict[str, list[int]] = {}
    for i, words in enumerate(lists):
        for w in words:
            index.setdefault(w, []).append(i)
    return lists, {w: tuple(v) for w, v in index.items()}


def _languages(tokens: Iterable[list[str]], k: int = 3) -> list[frozenset[str]]:
    """The stoplists of the k languages whose stopwords the text uses most (a page may mix languages)."""
    lists, index = _stoplists()
    counts = [0] * len(lists)
    for toks in tokens:
        for w in toks:
            for i in index.get(w, ()):
                counts[i] += 1
    best = sorted(range(len(lists)), key=lambda i: -counts[i])[:k]
    return [lists[i] for i in best if counts[i]] or [lists[0]]


def line_key(line: str) -> str:
    """How a line is compared across files: case and spacing ignored."""
    return " ".join(line.lower().split())


class Repetition:
    """In how many files of one folder each line occurs (identical files counted once)."""

    def __init__(self, texts: Iterable[str] = ()) -> None:
        self.files = 0
        self.counts: Counter[str] = Counter()
        seen: set[int] = set()
        for text in texts:
            h = hash(text)
            if h in seen:
                continue
            seen.add(h)
            self.add(text)

    def add(self, text: str) -> None:
        self.files += 1
        self.counts.update({line_key(ln) for ln in text.splitlines() if ln.strip()})

    def count(self, line: str) -> int:
        return max(self.counts.get(line_key(line), 1), 1)

    def threshold(self) -> float:
        """A line in at least this many files is the site's furniture."""
        return max(3.0, 0.01 * self.files)

    def recurring(self, line: str) -> bool:
        return self.files >= 3 and self.count(line) >= self.threshold()


def _jt_class(chars: int, words: int, density: float, sentence: bool) -> str:
    """jusText's context-free class; a short line that is a sentence counts as near-good."""
    if not words:
        return "bad"
    if chars < LENGTH_LOW:
        return "neargood" if words >= 4 and sentence and density >= STOPWORDS_LOW else "short"
    if density >= STOPWORDS_HIGH:
        return "good" if chars > LENGTH_HIGH else "neargood"
    return "neargood" if density >= STOPWORDS_LOW else "bad"


def _neighbour(classes: Sequence[str], i: int, step: int, skip_neargood: bool) -> str:
    j = i + step
    while 0 <= j < len(classes):
        c = classes[j]
        if c in ("good", "bad") or (c == "neargood" and not skip_neargood):
            return c
        j += step
    return "bad"


def jt_context(classes: Sequence[str]) -> list[str]:
    """jusText's context pass: short and near-good blocks take the class of the good or bad blocks around."""
    first = list(classes)
    for i, c in enumerate(classes):
        if c != "short":
            continue
        prev, nxt = _neighbour(classes, i, -1, True), _neighbour(classes, i, 1, True)
        if prev == "good" and nxt == "good":
            first[i] = "good"
        elif prev == "bad" and nxt == "bad":
            first[i] = "bad"
        elif (prev == "bad" and _neighbour(classes, i, -1, False) == "neargood") or (
            nxt == "bad" and _neighbour(classes, i, 1, False) == "neargood"
        ):
            first[i] = "good"
        else:
            first[i] = "bad"
    out = list(first)
    for i, c in enumerate(first):
        if c == "neargood":
            bad = _neighbour(first, i, -1, True) == "bad" and _neighbour(first, i, 1, True) == "bad"
            out[i] = "bad" if bad else "good"
    return out


_WINDOWED = [0, 2, 3, 14, 17, 18, 5]  # columns averaged over windows: length, density, sentence, classes, df
FEATURES = 19 + 3 * len(_WINDOWED) + 3


def features(lines: Sequence[str], repetition: Repetition | None = None) -> np.ndarray:
    """One row of features per line (the lines are non-empty and stripped)."""
    n = len(lines)
    if not n:
        return np.zeros((0, FEATURES))
    tokens = [_WORD.findall(ln.lower()) for ln in lines]
    stoplists = _languages(tokens)
    keys = [line_key(ln) for ln in lines]
    in_doc = Counter(keys)
    files = repetition.files if repetition else 1
    log_files = math.log(max(files, 2))
    raw = []
    for ln, toks in zip(lines, tokens, strict=True):
        words = len(toks)
        density = max(sum(w in s for w in toks) for s in stoplists) / words if words else 0.0
        raw.append((len(ln), words, density, ln.endswith(_SENTENCE_END)))
    classes = [_jt_class(*r) for r in raw]
    context = jt_context(classes)
    rows = []
    for i, ln in enumerate(lines):
        chars, words, density, sentence = raw[i]
        df = repetition.count(ln) if repetition else 1
        split = ln.split()
        rows.append(
            [
                math.log1p(chars),
                math.log1p(words),
                density,
                float(sentence),
                float(ln[:1].islower()),
                math.log(df) / log_files,
                float(repetition is not None and repetition.recurring(ln)),
                float(in_doc[keys[i]] > 1),
                sum(c.isdigit() for c in ln) / max(chars, 1),
                sum(w[:1].isupper() for w in split) / max(len(split), 1),
                min(len(_SEPARATORS.findall(ln)), 5) / 5,
                float("©" in ln or "@" in ln or "http" in ln),
                float(ln.endswith(":")),
                i / max(n - 1, 1),
                float(classes[i] == "good"),
                float(classes[i] == "neargood"),
                float(classes[i] == "short"),
                float(context[i] == "good"),
                float(words >= 14 and density >= 0.25),
            ]
        )
    x = np.array(rows, dtype=float)
    parts = [x]
    cum = np.vstack([np.zeros((1, len(_WINDOWED))), np.cumsum(x[:, _WINDOWED], axis=0)])
    idx = np.arange(n)
    for w in (1, 3, 10):
        lo, hi = np.clip(idx - w, 0, n), np.clip(idx + w + 1, 0, n)
        parts.append((cum[hi] - cum[lo]) / (hi - lo)[:, None])
    # Where the line sits relative to the prose jusText keeps: before all of it, after all of it, or how deep in.
    mass = np.array([r[0] if c == "good" else 0.0 for r, c in zip(raw, context, strict=True)])
    share = np.cumsum(mass) / (mass.sum() or 1.0)
    before = share - mass / (mass.sum() or 1.0)
    parts.append(np.stack([before <= 0.0, share >= 1.0, np.minimum(before, 1 - share)], axis=1).astype(float))
    return np.hstack(parts)


def probabilities(lines: Sequence[str], repetition: Repetition | None = None) -> np.ndarray:
    """The model's probability that each line is article content."""
    x = features(lines, repetition)
    if not len(x):
        return np.zeros(0)
    z = x @ np.asarray(WEIGHTS) + BIAS
    return 1.0 / (1.0 + np.exp(-z))


def content_lines(lines: Sequence[str], repetition: Repetition | None = None) -> list[bool]:
    """For each line (non-empty, stripped): is it part of the article?"""
    return [bool(p > THRESHOLD) for p in probabilities(lines, repetition)]
