"""Write side: files -> documents -> passages -> embeddings -> store. Incremental, batched, one writer."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from llama_index.core.schema import BaseNode, TextNode

from app.core.busy import embedding
from app.core.errors import IndexBusy
from app.core.protocols import Embedder
from app.core.settings import Settings
from app.core.types import EventDate
from app.store.chroma import DocRecord, Store, event_meta, passage_id
from app.store.embeddings import embedder_identity
from app.text.documents import Document, SkipFile, folder_repetitions, is_supported, load_file, walk
from app.text.eventdates import DATING_VERSION, event_dates
from app.text.passages import Passage, chunk


@dataclass
class Summary:
    """What one ingest run did (the `--json` object)."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "chunks": self.chunks,
            "skipped": self.skipped,
            "warnings": self.warnings,
        }


def lock_for(settings: Settings) -> FileLock:
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    return FileLock(str(settings.index_dir / "ingest.lock"), timeout=0)


@contextlib.contextmanager
def writer(settings: Settings, wait: float = 0.0) -> Iterator[None]:
    """Hold the index's single-writer lock (one per index, across processes and threads); wait up to
    `wait` seconds for another writer to finish, else IndexBusy."""
    lock = lock_for(settings)
    try:
        lock.acquire(timeout=wait)
    except Timeout as exc:
        raise IndexBusy() from exc
    try:
        yield
    finally:
        lock.release()


def ingest(
    paths: list[Path],
    settings: Settings,
    embedder: Embedder,
    rebuild: bool = False,
    progress: Callable[[int], None] | None = None,
    wait: float = 0.0,
) -> Summary:
    """Bring the store in line with the files under paths; a single writer holds the lock throughout."""
    with writer(settings, wait):
        if rebuild:
            _drop(settings)
        return ingest_locked(paths, settings, embedder, progress)


def ingest_locked(
    paths: list[Path],
    settings: Settings,
    embedder: Embedder,
    progress: Callable[[int], None] | None = None,
) -> Summary:
    """What ingest does, for a caller that already holds the writer lock."""
    model, dim = embedder_identity(embedder)
    store = Store.open(settings, model, dim, create=True)
    return _run(paths, settings, embedder, store, progress)


def remove_locked(sources: list[str], settings: Settings, embedder: Embedder) -> int:
    """Take documents out of the store (the caller holds the writer lock); how many were there."""
    store = Store.open(settings, *embedder_identity(embedder))
    known = store.records(sources)
    if not known:
        return 0
    if store.dirty:
        store.sweep()
    store.bump_generation(dirty=True)  # as in _run: a death midway makes readers rebuild from the store
    for source in known:
        store.delete_document(source)  # the record goes first: readers drop passages without one
        store.delete_passages_of(source)
    store.build_keyword_index(store.bump_generation()).save(store.keyword_dir())
    return len(known)


def _drop(settings: Settings) -> None:
    from app.store.chroma import DOCUMENTS, PASSAGES, make_client

    client = make_client(settings)
    for name in (PASSAGES, DOCUMENTS):
        try:
            client.delete_collection(name)
        except Exception:  # absent already
            pass


def _run(
    paths: list[Path],
    settings: Settings,
    embedder: Embedder,
    store: Store,
    progress: Callable[[int], None] | None,
) -> Summary:
    summary = Summary()
    swept = store.sweep() if store.dirty else 0  # the last run died midway: drop what it left half-written
    existing = store.documents_map()
    roots = {str(p.resolve()) for p in paths}
    seen: set[str] = set()
    claimed: dict[str, str] = {}
    pending: list[tuple[Document, str, DocRecord | None]] = []
    redate: list[tuple[Document, DocRecord]] = []  # unchanged, but indexed before dates were resolved
    pending_passages = 0
    started = False

    def commit(batch: list[tuple[Document, str, DocRecord | None]]) -> int:
        # Move the generation on before the first write, so that if this run dies midway every reader
        # rebuilds its keyword index from the store (committed versions only) instead of keeping the old one.
        nonlocal started
        if batch and not started:
            store.bump_generation(dirty=True)
            started = True
        return _commit(batch, settings, embedder, store, summary)

    files = list(walk(paths))
    # Lines recurring across the files of a folder (menus, footers, pitches) are the site's, not an article's.
    repetitions = folder_repetitions([p for p, _ in files if is_supported(p)], settings)
    for path, root in files:
        if progress:
            progress(1)
        rel = path.relative_to(root).as_posix() if root.is_dir() and path != root else path.name
        if not is_supported(path):
            summary.skipped.append({"path": rel, "reason": f"unsupported file type ({path.suffix})"})
            continue
        rel = _unique_source(rel, str(root.resolve()), existing, claimed)
        try:
            doc = load_file(path, root, settings, repetitions.get(path.parent))
        except SkipFile as exc:
            summary.skipped.append({"path": rel, "reason": str(exc)})
            seen.add(rel)  # a file that turned bad keeps its last good version rather than vanishing
            continue
        doc.source = rel
        seen.add(doc.source)
        for w in doc.warnings:
            summary.warnings.append({"path": doc.source, "reason": w})
        old = existing.get(doc.source)
        if old and old.content_hash == doc.content_hash:
            summary.unchanged += 1
            summary.chunks += old.passages
            if old.dating != DATING_VERSION:
                redate.append((doc, old))
            continue
        pending.append((doc, str(root.resolve()), old))
        pending_passages += len(doc.spans)
        if pending_passages >= 4 * settings.embed_batch_size * 8:
            summary.chunks += commit(pending)
            pending, pending_passages = [], 0
    summary.chunks += commit(pending)
    if redate:
        if not started:
            store.bump_generation(dirty=True)
            started = True
        _redate(redate, settings, store)
    for source, rec in existing.items():
        if source not in seen and rec.root in roots:
            if not started:
                store.bump_generation(dirty=True)
                started = True
            store.delete_passages_of(source)
            store.delete_document(source)
            summary.removed += 1
    changed = summary.added or summary.updated or summary.removed or swept or redate
    if changed or store.keyword_index_missing():
        gen = store.bump_generation() if changed else store.generation
        store.build_keyword_index(gen).save(store.keyword_dir())
    return summary


def _unique_source(rel: str, root: str, existing: dict[str, DocRecord], claimed: dict[str, str]) -> str:
    """The path relative to its folder, prefixed by the folder's name when another folder holds the same path."""
    owner = claimed.get(rel)
    if (
        owner is None
        and rel in existing
        and existing[rel].root != root
        and Path(existing[rel].root, rel).exists()
    ):
        owner = existing[rel].root
    if owner is not None and owner != root:
        rel = f"{Path(root).name}/{rel}"
    claimed.setdefault(rel, root)
    return rel


def passage_dates(doc: Document, passages: list[Passage]) -> list[list[EventDate]]:
    """Each passage's share of the document's event dates (by the offsets of their sentences)."""
    events = event_dates(doc.text, doc.spans, doc.published)
    return [[e for e in events if p.start <= e.start and e.end <= p.end] for p in passages]


def _redate(items: list[tuple[Document, DocRecord]], settings: Settings, store: Store) -> None:
    """Give an unchanged document's passages their event dates in place, then mark its record re-dated.

    The texts and vectors stay; only metadata fields are added, so a crash midway leaves a valid index that
    the next run finishes (the record's dating version is written last)."""
    for doc, _ in items:
        passages = chunk(doc, settings)
        ids, metas = [], []
        for p, evs in zip(passages, passage_dates(doc, passages), strict=True):
            meta = event_meta(evs, doc.published)
            if meta:
                ids.append(passage_id(doc.source, doc.content_hash, p.index))
                metas.append(meta)
        store.set_passage_dates(ids, metas)
    store.put_documents(
        [
            (
                replace(
                    old,
                    title=doc.title,
                    publisher=doc.publisher,
                    published=doc.published,
                    dates=doc.dates,
                    dating=DATING_VERSION,
                    chars=len(doc.text),
                ),
                doc.text,
            )
            for doc, old in items
        ]
    )


def _commit(
    batch: list[tuple[Document, str, DocRecord | None]],
    settings: Settings,
    embedder: Embedder,
    store: Store,
    summary: Summary,
) -> int:
    """Embed and write a batch; each document's record is written last, as its commit point."""
    if not batch:
        return 0
    nodes_by_doc: list[list[BaseNode]] = []
    texts: list[str] = []
    for doc, _, _ in batch:
        passages = chunk(doc, settings)
        nodes: list[BaseNode] = [
            TextNode(
                id_=passage_id(doc.source, doc.content_hash, p.index),
                text=p.text,
                start_char_idx=p.start,
                end_char_idx=p.end,
                metadata={
                    "source": doc.source,
                    "title": doc.title,
                    "publisher": doc.publisher or "",
                    "published": doc.published or "",
                    "doc_hash": doc.content_hash,
                    "start": p.start,
                    "end": p.end,
                    **event_meta(evs, doc.published),
                },
            )
            for p, evs in zip(passages, passage_dates(doc, passages), strict=True)
        ]
        nodes_by_doc.append(nodes)
        texts.extend(n.get_content() for n in nodes)
    with embedding():  # a local model in this process waits (app/core/busy.py)
        vectors = embedder.embed(texts)  # sorted by length before batching; (0, dim) when empty
    # One write per kind for the whole batch (per-call overhead dominated when written per document):
    # all new passages first, then all document records (the commit point), then the superseded passages.
    it = iter(vectors)
    nodes_all: list[BaseNode] = []
    records: list[tuple[DocRecord, str]] = []
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for (doc, root, old), doc_nodes in zip(batch, nodes_by_doc, strict=True):
        for n in doc_nodes:
            n.embedding = list(next(it))
        nodes_all.extend(doc_nodes)
        records.append(
            (
                DocRecord(
                    doc.source,
                    doc.content_hash,
                    doc.title,
                    doc.publisher,
                    doc.published,
                    doc.dates,
                    len(doc_nodes),
                    root,
                    doc.path or doc.source,
                    (old.added if old else "") or now,
                    DATING_VERSION,
                    len(doc.text),
                ),
                doc.text,
            )
        )
        if old is not None:
            summary.updated += 1
        else:
            summary.added += 1
    store.add_passages(nodes_all)
    store.put_documents(records)
    store.delete_superseded({rec.source: rec.content_hash for rec, _ in records})
    return len(nodes_all)


def progress_bar(total_hint: int | None = None) -> tuple[Callable[[int], None] | None, Callable[[], None]]:
    """A tqdm bar on an interactive terminal, nothing otherwise."""
    if not sys.stderr.isatty():
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(total=total_hint, unit="file", desc="ingest", file=sys.stderr)
    return bar.update, bar.close
