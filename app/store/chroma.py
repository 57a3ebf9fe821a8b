"""The Chroma store: passages (vectors), documents (texts and metadata), and the keyword index beside them.

Ingest (write side) and answering (read side) meet only here.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import inspect
import json
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import chromadb
import httpx
from chromadb.config import Settings as ChromaSettings
from llama_index.core.schema import BaseNode
from llama_index.vector_stores.chroma import ChromaVectorStore

from app.core.errors import IndexMismatch, IndexMissing, StoreUnavailable
from app.core.settings import Settings
from app.core.types import EventDate
from app.store.keyword import KeywordIndex

PASSAGES = "sourced_passages"
DOCUMENTS = "sourced_documents"


@dataclass(frozen=True)
class DocRecord:
    """What the store knows of one ingested document."""

    source: str
    content_hash: str
    title: str
    publisher: str | None
    published: str | None
    dates: list[str]
    passages: int
    root: str = ""
    path: str = ""  # the file's path inside root (source may be prefixed by root's name)
    added: str = ""  # when the document was first indexed (UTC, ISO 8601)
    dating: int = 0  # version of the date resolver its passages' event dates came from (0: none, older index)
    chars: int = 0  # length of its text (0 in indexes built before it was recorded)


def doc_id(source: str) -> str:
    return hashlib.sha1(source.encode("utf-8")).hexdigest()


def passage_id(source: str, content_hash: str, index: int) -> str:
    return f"{doc_id(source)[:16]}-{content_hash[:16]}-{index}"


# ---- a Chroma server that cannot be reached ---------------------------------------------------------
# chromadb's HTTP client lets httpx's transport errors through (connection refused or reset, timeouts), and
# turns a failed connection while it checks the tenant into a ValueError with this text.
_NO_SERVER = "Could not connect to a Chroma server"


def unreachable(exc: BaseException) -> bool:
    """True when exc says the Chroma server could not be reached (not that a request was wrong)."""
    if isinstance(exc, (httpx.TransportError, ConnectionError)):
        return True
    return isinstance(exc, ValueError) and _NO_SERVER in str(exc)


# The embedded store reports a full disk as whatever failed first inside it (chromadb's InternalError "Error in
# compaction: Failed to apply logs to the metadata segment", SQLite's "database or disk is full"): an error from
# it while its filesystem has less than this free is the full disk, raised as OSError(ENOSPC) like any other
# write (sourced ingest then says so and exits 1; tests/test_disk_full.py on a real tmpfs).
DISK_FULL_BYTES = 32 * 1024 * 1024


def _disk_full(args: tuple[Any, ...], exc: BaseException) -> OSError | None:
    settings = getattr(args[0], "settings", None) if args else None
    if isinstance(exc, OSError) or not isinstance(settings, Settings) or settings.chroma_host:
        return None
    try:
        free = shutil.disk_usage(settings.index_dir).free
    except OSError:
        return None
    if free >= DISK_FULL_BYTES:
        return None
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(settings.index_dir))


def _guard(fn: Callable[..., Any]) -> Callable[..., Any]:
    """fn with an unreachable server's errors raised as StoreUnavailable, and the embedded store's errors on a
    full disk as OSError(ENOSPC) (generators too)."""

    def translated(args: tuple[Any, ...], exc: Exception) -> Exception | None:
        if unreachable(exc):
            return StoreUnavailable()
        return _disk_full(args, exc)

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen(*args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from fn(*args, **kwargs)
            except Exception as exc:
                if (mapped := translated(args, exc)) is not None:
                    raise mapped from exc
                raise

        return gen

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            if (mapped := translated(args, exc)) is not None:
                raise mapped from exc
            raise

    return call


def make_client(settings: Settings) -> Any:
    """Embedded persistent client, or a Chroma server when CHROMA_HOST is set. Telemetry off."""
    cs = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_host:
        headers = {}
        if (
            settings.chroma_token
        ):  # a proxy in front of `chroma run` checks one of these; Chroma Cloud the second
            token = settings.chroma_token.get_secret_value()
            headers["Authorization"] = f"Bearer {token}"
            headers["X-Chroma-Token"] = token
        return chromadb.HttpClient(
            host=settings.chroma_host,
            port=settings.chroma_port,
            ssl=settings.chroma_ssl,
            headers=headers,
            settings=cs,
        )
    return chromadb.PersistentClient(path=str(settings.index_dir / "chroma"), settings=cs)


class Store:
    """Passages and documents in Chroma; opened for reading (must exist) or writing (created if missing)."""

    def __init__(self, settings: Settings, client: Any, passages: Any, documents: Any) -> None:
        self.settings = settings
        self.client = client
        self.passages = passages
        self.documents = documents
        self.vector_store = ChromaVectorStore(chroma_collection=passages)
        self.batch = min(settings.write_batch_size, int(client.get_max_batch_size()))

    @classmethod
    def open(cls, settings: Settings, model: str, dim: int, create: bool = False) -> Store:
        """Open the store; refuse one built with another embedding model."""
        if not settings.chroma_host and not create and not (settings.index_dir / "chroma").exists():
            raise IndexMissing()
        client = _guard(make_client)(settings)
        meta = {"embed_model": model, "embed_dim": dim, "generation": 0}
        if create:
            passages = client.get_or_create_collection(
                PASSAGES, metadata=meta, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
            )
            documents = client.get_or_create_collection(DOCUMENTS, embedding_function=None)
        else:
            try:
                passages = client.get_collection(PASSAGES, embedding_function=None)
                documents = client.get_collection(DOCUMENTS, embedding_function=None)
            except Exception as exc:  # chromadb raises NotFoundError/ValueError across versions
                if unreachable(exc):
                    raise StoreUnavailable() from exc
                raise IndexMissing() from exc
        got = passages.metadata or {}
        if got.get("embed_model") != model or int(got.get("embed_dim", -1)) != dim:
            raise IndexMismatch(f"{got.get('embed_model')} ({got.get('embed_dim')})", f"{model} ({dim})")
        return cls(settings, client, passages, documents)

    def ping(self) -> None:
        """Raise StoreUnavailable unless the Chroma server answers (nothing to ask of the embedded store)."""
        if self.settings.chroma_host:
            self.client.heartbeat()

    def reopen(self) -> Store:
        """A fresh view after another process wrote: the embedded client caches vector segments per process."""
        if self.settings.chroma_host:
            return self
        from chromadb.api.shared_system_client import SharedSystemClient

        meta = self.passages.metadata or {}
        SharedSystemClient.clear_system_cache()  # clients already handed out keep working on their own system
        return Store.open(self.settings, str(meta.get("embed_model")), int(meta.get("embed_dim", 0)))

    # ---- documents -------------------------------------------------------------------------------
    def documents_map(self) -> dict[str, DocRecord]:
        """Every ingested document's record, keyed by source."""
        out: dict[str, DocRecord] = {}
        for _, _, meta in self._scan(self.documents, include_docs=False):
            rec = _record(meta)
            out[rec.source] = rec
        return out

    def records(self, sources: list[str]) -> dict[str, DocRecord]:
        """The records of the given sources that exist, keyed by source."""
        if not sources:
            return {}
        got = self.documents.get(ids=[doc_id(s) for s in sources], include=["metadatas"])
        recs = (_record(m) for m in got.get("metadatas") or [] if m is not None)
        return {r.source: r for r in recs}

    def passages_of(self, rec: DocRecord) -> list[tuple[str, str, dict[str, Any]]]:
        """(id, text, metadata) of the current version's passages of a document, in text order."""
        got = self.passages.get(where={"source": rec.source}, include=["documents", "metadatas"])
        rows = zip(got["ids"], got.get("documents") or [], got.get("metadatas") or [], strict=False)
        mine = [(i, t, m) for i, t, m in rows if m is not None and m.get("doc_hash") == rec.content_hash]
        return sorted(mine, key=lambda r: int(r[2].get("start", 0)))

    def document_text(self, source: str) -> str | None:
        got = self.documents.get(ids=[doc_id(source)], include=["documents"])
        docs = got.get("documents") or []
        return docs[0] if docs else None

    def put_document(self, rec: DocRecord, text: str) -> None:
        """Record a document; this is the commit point that makes its new passages visible to readers."""
        self.documents.upsert(
            ids=[doc_id(rec.source)], documents=[text], metadatas=[_meta(rec)], embeddings=[[0.0]]
        )

    def put_documents(self, items: list[tuple[DocRecord, str]]) -> None:
        """Record several documents in one write per store batch (the commit point of an ingest batch)."""
        for i in range(0, len(items), self.batch):
            part = items[i : i + self.batch]
            self.documents.upsert(
                ids=[doc_id(r.source) for r, _ in part],
                documents=[t for _, t in part],
                metadatas=[_meta(r) for r, _ in part],
                embeddings=[[0.0]] * len(part),
            )

    def delete_document(self, source: str) -> None:
        self.documents.delete(ids=[doc_id(source)])

    # ---- passages --------------------------------------------------------------------------------
    def add_passages(self, nodes: list[BaseNode]) -> None:
        for i in range(0, len(nodes), self.batch):
            self.vector_store.add(nodes[i : i + self.batch])

    def delete_passages_of(self, source: str, keep_hash: str | None = None) -> None:
        """Remove a document's passages, except those of the version keep_hash."""
        got = self.passages.get(where={"source": source}, include=["metadatas"])
        ids = [
            i
            for i, m in zip(got["ids"], got["metadatas"] or [], strict=False)
            if m.get("doc_hash") != keep_hash
        ]
        for i in range(0, len(ids), self.batch):
            self.passages.delete(ids=ids[i : i + self.batch])

    def delete_superseded(self, keep: dict[str, str]) -> None:
        """Remove the passages of the given sources whose version is not the one kept (source -> hash)."""
        sources = list(keep)
        for i in range(0, len(sources), 500):
            got = self.passages.get(where={"source": {"$in": sources[i : i + 500]}}, include=["metadatas"])
            ids = [
                pid
                for pid, m in zip(got["ids"], got["metadatas"] or [], strict=False)
                if m is not None and m.get("doc_hash") != keep.get(m.get("source", ""))
            ]
            for j in range(0, len(ids), self.batch):
                self.passages.delete(ids=ids[j : j + self.batch])

    def set_passage_dates(self, ids: list[str], metas: list[dict[str, Any]]) -> None:
        """Add event-date fields to existing passages (merged into their metadata; texts and vectors kept)."""
        for i in range(0, len(ids), self.batch):
            self.passages.update(ids=ids[i : i + self.batch], metadatas=metas[i : i + self.batch])

    def count(self) -> int:
        return int(self.passages.count())

    def dense(
        self, embedding: list[float], k: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, str, dict[str, Any], float]]:
        """(id, text, metadata, cosine similarity) of the nearest passages (matching `where` when given)."""
        n = self.count()
        if n == 0:
            return []
        res = self.passages.query(
            query_embeddings=[embedding],
            n_results=min(k, n),
            include=["documents", "metadatas", "distances"],
            **({"where": where} if where else {}),
        )
        # A reader that outlived another process's write can get ids whose records are gone (metadata None).
        return [
            (i, t, m, 1.0 - float(d))
            for i, t, m, d in zip(
                res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0], strict=True
            )
            if m is not None and t is not None
        ]

    def get_passages(self, ids: list[str]) -> dict[str, tuple[str, dict[str, Any]]]:
        if not ids:
            return {}
        res = self.passages.get(ids=ids, include=["documents", "metadatas"])
        got = zip(res["ids"], res["documents"], res["metadatas"], strict=True)
        return {i: (t, m) for i, t, m in got if m is not None and t is not None}

    def passage_metas(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(id, "", metadata) of every passage, texts not fetched."""
        yield from self._scan(self.passages, include_docs=False)

    def iter_passages(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        yield from self._scan(self.passages, include_docs=True)

    def _scan(self, col: Any, include_docs: bool) -> Iterator[tuple[str, str, dict[str, Any]]]:
        include = ["metadatas", "documents"] if include_docs else ["metadatas"]
        offset = 0
        while True:
            res = col.get(limit=self.batch, offset=offset, include=include)
            if not res["ids"]:
                return
            docs = res.get("documents") or [""] * len(res["ids"])
            yield from zip(res["ids"], docs, res["metadatas"], strict=True)
            offset += len(res["ids"])

    # ---- generation and keyword index ------------------------------------------------------------
    @property
    def generation(self) -> int:
        fresh = self.client.get_collection(PASSAGES, embedding_function=None)
        return int((fresh.metadata or {}).get("generation", 0))

    @property
    def dirty(self) -> bool:
        """True while an ingest is writing, and after one died: its leftovers need a sweep."""
        fresh = self.client.get_collection(PASSAGES, embedding_function=None)
        return bool((fresh.metadata or {}).get("dirty", 0))

    def sweep(self) -> int:
        """Delete passages no document record points at (left by an ingest that died); only under the lock."""
        docs = self.documents_map()
        ids = [
            pid
            for pid, _, m in self._scan(self.passages, include_docs=False)
            if m is None
            or (r := docs.get(m.get("source", ""))) is None
            or r.content_hash != m.get("doc_hash")
        ]
        for i in range(0, len(ids), self.batch):
            self.passages.delete(ids=ids[i : i + self.batch])
        return len(ids)

    def bump_generation(self, dirty: bool = False) -> int:
        meta = dict(self.passages.metadata or {})
        meta["generation"] = self.generation + 1
        meta["dirty"] = int(dirty)
        meta.pop("hnsw:space", None)
        self.passages.modify(metadata=meta)
        return int(meta["generation"])

    def keyword_dir(self) -> Path:
        return self.settings.index_dir / "keyword"

    def build_keyword_index(self, generation: int) -> KeywordIndex:
        """Rebuild BM25 from the passages in the store (the store is the source of truth)."""
        ids, texts = [], []
        for pid, text, _ in self.iter_passages():
            ids.append(pid)
            texts.append(text)
        return KeywordIndex.build(ids, texts, generation)

    def keyword_index_missing(self) -> bool:
        return not (self.keyword_dir() / "meta.json").exists()

    def keyword_index(self) -> KeywordIndex:
        """The persisted keyword index if it matches the store's generation, else rebuilt (and saved)."""
        gen = self.generation
        kw = KeywordIndex.load(self.keyword_dir())
        if kw is None or kw.generation != gen:
            kw = self.build_keyword_index(gen)
            try:
                kw.save(self.keyword_dir())
            except OSError:
                pass  # a read-only replica still answers from the in-memory index
        return kw


def _guard_store() -> None:
    """Every store operation that talks to Chroma raises StoreUnavailable when the server is unreachable:
    the one error readers, /healthz and the CLI turn into the fixed message; the next call reconnects."""
    for name, attr in list(vars(Store).items()):
        if name.startswith("__"):
            continue
        if isinstance(attr, property) and attr.fget is not None:
            setattr(Store, name, property(_guard(attr.fget), attr.fset))
        elif isinstance(attr, classmethod):
            setattr(Store, name, classmethod(_guard(attr.__func__)))
        elif inspect.isfunction(attr):
            setattr(Store, name, _guard(attr))


_guard_store()


def _meta(rec: DocRecord) -> dict[str, Any]:
    return {
        "source": rec.source,
        "content_hash": rec.content_hash,
        "title": rec.title,
        "publisher": rec.publisher or "",
        "published": rec.published or "",
        "dates": json.dumps(rec.dates),
        "passages": rec.passages,
        "root": rec.root,
        "path": rec.path,
        "added": rec.added,
        "dating": rec.dating,
        "chars": rec.chars,
    }


def _record(meta: dict[str, Any]) -> DocRecord:
    return DocRecord(
        source=meta["source"],
        content_hash=meta["content_hash"],
        title=meta.get("title") or meta["source"],
        publisher=meta.get("publisher") or None,
        published=meta.get("published") or None,
        dates=json.loads(meta.get("dates") or "[]"),
        passages=int(meta.get("passages", 0)),
        root=meta.get("root") or "",
        path=meta.get("path") or "",
        added=meta.get("added") or "",
        dating=int(meta.get("dating", 0)),
        chars=int(meta.get("chars", 0)),
    )


# ---- event dates in passage metadata ---------------------------------------------------------------
# Each passage carries its sentences' dates as JSON, plus whole-number day ordinals (date.toordinal) of the
# earliest and latest day named and of the dateline, so that Chroma `where` filters can select by time.
# Undated passages simply lack the fields, as do passages of indexes built before dates were resolved.
EVENTS, EVENT_MIN, EVENT_MAX, PUBLISHED_ORD = "events", "event_min", "event_max", "published_ord"


def ordinal(iso: str) -> int:
    return date.fromisoformat(iso[:10]).toordinal()


def event_meta(events: Iterable[EventDate], published: str | None) -> dict[str, Any]:
    """Metadata fields for a passage's event dates and its article's dateline (none when undated)."""
    evs = list(events)
    meta: dict[str, Any] = {}
    if evs:
        meta[EVENTS] = json.dumps([[e.start, e.end, e.lo, e.hi, e.grain, e.phrase] for e in evs])
        meta[EVENT_MIN] = min(ordinal(e.lo) for e in evs)
        meta[EVENT_MAX] = max(ordinal(e.hi) for e in evs)
    if published:
        try:
            meta[PUBLISHED_ORD] = ordinal(published)
        except ValueError:
            pass
    return meta


def events_of(meta: dict[str, Any]) -> tuple[EventDate, ...]:
    """The event dates stored with a passage; () when it has none or the index predates them."""
    try:
        rows = json.loads(meta.get(EVENTS) or "[]")
        return tuple(
            EventDate(start=int(a), end=int(b), lo=lo, hi=hi, grain=g, phrase=ph)
            for a, b, lo, hi, g, ph in rows
        )
    except (ValueError, TypeError):
        return ()


def window_where(lo: int | None, hi: int | None) -> dict[str, Any] | None:
    """A Chroma filter for passages whose named dates, or dateline, overlap the day ordinals lo..hi."""
    if lo is None and hi is None:
        return None

    def overlap(first: str, last: str) -> dict[str, Any]:
        parts = []
        if lo is not None:
            parts.append({last: {"$gte": lo}})
        if hi is not None:
            parts.append({first: {"$lte": hi}})
        return parts[0] if len(parts) == 1 else {"$and": parts}

    return {"$or": [overlap(EVENT_MIN, EVENT_MAX), overlap(PUBLISHED_ORD, PUBLISHED_ORD)]}
