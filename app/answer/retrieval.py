"""Read side: hybrid retrieval (dense Chroma + BM25, reciprocal-rank fusion) over the current store."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from app.answer.question.timeq import TimeWindow, periods
from app.core.protocols import Embedder
from app.core.settings import Settings
from app.core.types import Hit
from app.store.chroma import DocRecord, Store, events_of, window_where
from app.store.keyword import KeywordIndex


@dataclass
class Ranks:
    """Where one passage came from (explain): its 1-based rank in each list (None: not in it), the fused
    score, and whether the time filter demoted it."""

    dense: int | None = None
    keyword: int | None = None
    timed: int | None = None  # the dense search among passages dated in the question's window
    fused: float = 0.0
    outside_window: bool = False  # dated only outside the window: its fused score was cut
    dropped: str = ""  # "superseded" (a replaced version), "deleted", or "" (kept)


class Retriever:
    """Hybrid retriever; reloads its view of the store when an ingest has moved the generation on."""

    refresh_seconds = 5.0

    def __init__(self, store: Store, embedder: Embedder, settings: Settings) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self._lock = threading.Lock()
        self._checked = 0.0
        self._embed_cached = lru_cache(maxsize=256)(self._embed)
        self._load()

    def _load(self) -> None:
        self.docs: dict[str, DocRecord] = self.store.documents_map()
        self.keyword: KeywordIndex = self.store.keyword_index()
        self._checked = time.monotonic()

    def refresh(self, force: bool = False, reopen: bool = True) -> None:
        """Pick up a finished ingest (checked at most every few seconds, or now when forced: after a write
        made by this process, whose author should see it at once). reopen=False when that write went through
        this process's own client (the archive's), which already shares it: a reopen builds a new Chroma
        system, and the old one's memory (1.5 MB a time) was never given back, 37% RSS growth in a soak."""
        if not force and time.monotonic() - self._checked < self.refresh_seconds:
            return
        with self._lock:
            self._checked = time.monotonic()
            if self.store.generation != self.keyword.generation:
                if reopen:
                    self.store = self.store.reopen()
                self._load()

    @property
    def newest(self) -> date | None:
        """The newest dateline in the archive: what "last week" or "this year" in a question is relative to."""
        dated = [r.published for r in self.docs.values() if r.published]
        try:
            return date.fromisoformat(max(dated)) if dated else None
        except ValueError:
            return None

    def embed_query(self, text: str) -> list[float]:
        """The question's vector; cached, as retrieval and answer scoring both need it."""
        return list(self._embed_cached(text))

    def _embed(self, text: str) -> tuple[float, ...]:
        return tuple(self.embedder.get_query_embedding(text))

    def retrieve(
        self,
        query: str,
        k: int | None = None,
        embedding: list[float] | None = None,
        window: TimeWindow | None = None,
        ranks: dict[str, Ranks] | None = None,
    ) -> list[Hit]:
        """Fused top passages for a query; passages of superseded document versions are never returned.

        A question naming a time adds a third ranked list, the dense search among passages dated in the
        window (a Chroma `where` on the stored day ordinals), and demotes passages dated only outside it.
        `ranks`, when given, is filled with each fused passage's ranks (explain; the result is the same)."""
        self.refresh()
        k = k or self.settings.fused_top_k
        emb = embedding if embedding is not None else self.embed_query(query)
        dense = self.store.dense(emb, self.settings.dense_top_k)
        sparse = self.keyword.search(query, self.settings.keyword_top_k)
        fused: dict[str, float] = {}
        for rank, (pid, *_rest) in enumerate(dense):
            fused[pid] = fused.get(pid, 0.0) + 1.0 / (self.settings.rrf_k + rank + 1)
        for rank, (pid, _) in enumerate(sparse):
            fused[pid] = fused.get(pid, 0.0) + 1.0 / (self.settings.rrf_k + rank + 1)
        timed = self._in_window(emb, window) if window is not None and window.bounded else []
        for rank, (pid, *_rest) in enumerate(timed):
            boost = self.settings.time_window_boost
            fused[pid] = fused.get(pid, 0.0) + boost / (self.settings.rrf_k + rank + 1)
        known = {pid: (text, meta, sim) for pid, text, meta, sim in dense + timed}
        missing = [pid for pid in fused if pid not in known]
        for pid, (text, meta) in self.store.get_passages(missing).items():
            known[pid] = (text, meta, 0.0)
        if timed and window is not None:
            for pid, (_, meta, _) in known.items():
                if pid in fused and _outside(meta, window):
                    fused[pid] *= self.settings.time_mismatch_penalty
        if ranks is not None:
            _record(ranks, fused, dense, sparse, timed, known, window if timed else None)
        hits = []
        for pid in sorted(fused, key=lambda p: -fused[p]):
            if pid not in known:
                if ranks is not None:
                    ranks[pid].dropped = "deleted"
                continue  # deleted since the keyword index was built
            text, meta, sim = known[pid]
            rec = self.docs.get(meta.get("source", ""))
            if rec is None or rec.content_hash != meta.get("doc_hash"):
                if ranks is not None:
                    ranks[pid].dropped = "superseded"
                continue  # half-written or superseded version
            hits.append(
                Hit(
                    id=pid,
                    text=text,
                    source=rec.source,
                    title=rec.title,
                    publisher=rec.publisher,
                    published=rec.published,
                    start=int(meta["start"]),
                    end=int(meta["end"]),
                    score=fused[pid],
                    dense=sim,
                    events=events_of(meta),
                )
            )
            if len(hits) >= k:
                break
        return hits

    def _in_window(
        self, emb: list[float], window: TimeWindow
    ) -> list[tuple[str, str, dict[str, Any], float]]:
        lo = window.lo.toordinal() if window.lo else None
        hi = window.hi.toordinal() if window.hi else None
        return self.store.dense(emb, self.settings.dense_top_k, where=window_where(lo, hi))


def _record(
    ranks: dict[str, Ranks],
    fused: dict[str, float],
    dense: list[Any],
    sparse: list[Any],
    timed: list[Any],
    known: dict[str, Any],
    window: TimeWindow | None,
) -> None:
    """Each fused passage's place in the dense, keyword and time-window lists (1-based) and fused score."""
    for pid, score in fused.items():
        ranks[pid] = Ranks(fused=score)
    for field_name, ranked in (("dense", dense), ("keyword", sparse), ("timed", timed)):
        for rank, (pid, *_rest) in enumerate(ranked, 1):
            if getattr(ranks[pid], field_name) is None:
                setattr(ranks[pid], field_name, rank)
    if window is not None:
        for pid, r in ranks.items():
            r.outside_window = pid in known and _outside(known[pid][1], window)


def _outside(meta: dict[str, Any], window: TimeWindow) -> bool:
    """A passage with dates (its own or its dateline) none of which falls in the window."""
    dated = periods(events_of(meta), meta.get("published") or None)
    return bool(dated) and not any(window.contains(lo, hi) for lo, hi in dated)
