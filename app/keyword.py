"""BM25 keyword index (bm25s), persisted beside the vector store and tagged with the store generation."""

from __future__ import annotations

import json
import logging
import math
import os
import re
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
from nltk.stem.snowball import EnglishStemmer

_WORD = re.compile(r"\d[\d,]*\d|[\w][\w'’.\-]*")
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her here
    hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of
    off on once only or other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up very was we were what
    when where which while who whom why will with would you your yours yourself yourselves said says say also
    according many much one two""".split()
)
# Country names and their adjectives share little spelling; news uses both.
_DEMONYMS = {
    "turkish": "turkey", "türkiye": "turkey", "turkiye": "turkey", "syrian": "syria", "russian": "russia",
    "iranian": "iran", "iraqi": "iraq", "israeli": "israel", "american": "us", "america": "us", "u.s": "us",
    "usa": "us", "british": "uk", "britain": "uk", "english": "england", "french": "franc", "german": "germani",
    "chinese": "china", "japanese": "japan", "kurdish": "kurd", "kurds": "kurd", "lebanese": "lebanon",
    "ukrainian": "ukrain", "egyptian": "egypt", "saudi": "saudi", "european": "europ", "indian": "india",
    "spanish": "spain", "italian": "itali", "dutch": "netherland", "welsh": "wale", "scottish": "scotland",
    "irish": "ireland", "australian": "australia",
}
DEMONYM_WORDS = frozenset(_DEMONYMS)
_stemmer = EnglishStemmer()
logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index build at DEBUG otherwise


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return _stemmer.stem(word)


def normalise(word: str) -> str:
    w = word.lower().replace("’", "'").rstrip(".")
    if w[:1].isdigit():
        return w.replace(",", "")
    if w.endswith("'s"):
        w = w[:-2]
    return w.strip("'-").replace("'", "")


def terms(text: str) -> list[str]:
    """Stemmed content terms of a text (stopwords dropped), as used by BM25 and answer scoring."""
    out = []
    for m in _WORD.finditer(text):
        w = normalise(m.group(0))
        if w and w not in STOPWORDS:
            out.append(_DEMONYMS.get(w) or stem(w))
    return out


class KeywordIndex:
    """BM25 over passage texts; ids map row numbers back to passage ids; df gives IDF for answer scoring."""

    def __init__(self, ids: list[str], model: bm25s.BM25 | None, df: dict[str, int], generation: int) -> None:
        self.ids = ids
        self.model = model
        self.df = df
        self.generation = generation

    @classmethod
    def build(cls, ids: list[str], texts: list[str], generation: int) -> KeywordIndex:
        tokens = [terms(t) or ["_empty_"] for t in texts]
        df: dict[str, int] = {}
        for toks in tokens:
            for t in set(toks):
                df[t] = df.get(t, 0) + 1
        model = None
        if ids:
            model = bm25s.BM25()
            model.index(tokens, show_progress=False)
        return cls(ids, model, df, generation)

    def idf(self, term: str) -> float:
        n = max(len(self.ids), 1)
        return math.log(1 + (n - self.df.get(term, 0) + 0.5) / (self.df.get(term, 0) + 0.5))

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        if self.model is None:
            return []
        vocab = self.model.vocab_dict
        q = [t for t in terms(query) if t in vocab]
        if not q:
            return []
        k = min(k, len(self.ids))
        docs, scores = self.model.retrieve([q], k=k, show_progress=False, n_threads=1)
        return [(self.ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]

    def save(self, directory: Path) -> None:
        """Write to a temporary sibling, then swap it in, so readers never load a half-written index."""
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".keyword-", dir=directory.parent))
        if self.model is not None:
            self.model.save(str(tmp / "bm25"), show_progress=False)
        with open(tmp / "meta.json", "w", encoding="utf-8") as f:
            json.dump({"generation": self.generation, "ids": self.ids, "df": self.df}, f)
        old = directory.with_name(directory.name + ".old")
        if directory.exists():
            os.replace(directory, old)
        os.replace(tmp, directory)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path) -> KeywordIndex | None:
        """The saved index, or None when missing or unreadable (the caller rebuilds it from the store)."""
        try:
            with open(directory / "meta.json", encoding="utf-8") as f:
                meta = json.load(f)
            model = bm25s.BM25.load(str(directory / "bm25"), mmap=False) if meta["ids"] else None
        except (OSError, ValueError, KeyError):
            return None
        if model is not None:
            model.scores["data"] = np.asarray(model.scores["data"])
        return cls(meta["ids"], model, meta["df"], int(meta["generation"]))
