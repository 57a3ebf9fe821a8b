"""BM25 keyword index (bm25s), persisted beside the vector store and tagged with the store generation."""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import tempfile
from pathlib import Path

import bm25s
import numpy as np

from app.text.words import terms

logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index build at DEBUG otherwise


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
