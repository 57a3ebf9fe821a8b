"""`sourced check`: does an index still match its documents folders?

Read only: nothing is written, no lock is taken (an ingest running meanwhile may show as a problem). Each problem
names the command that repairs it; the caller adds the feedback database's check (app.feedback).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from app.core.errors import SourcedError
from app.core.protocols import Embedder
from app.core.settings import Settings
from app.ingest.pipeline import _unique_source
from app.store.chroma import DocRecord, Store, passage_id
from app.store.embeddings import embedder_identity
from app.store.keyword import KeywordIndex
from app.text.documents import SkipFile, folder_repetitions, is_supported, load_file, walk


@dataclass(frozen=True)
class Problem:
    """What is wrong, and the command that repairs it."""

    what: str
    repair: str


def check_index(paths: list[Path], settings: Settings, embedder: Embedder, ingest: str) -> list[Problem]:
    """Every problem of the index against the documents under paths. `ingest` is the ingest command line that
    indexes these folders (repairs are it, or it with --rebuild)."""
    rebuild = f"{ingest} --rebuild"
    try:
        store = Store.open(settings, *embedder_identity(embedder))
    except SourcedError as exc:
        repair = rebuild if "--rebuild" in str(exc) else ingest
        return [Problem(f"the index cannot be opened: {exc}", repair)]
    problems: list[Problem] = []
    if store.dirty:
        problems.append(
            Problem("an ingest stopped midway; its half-written passages are still there", ingest)
        )

    records = store.documents_map()
    # source -> Counter of the content hashes its stored passages belong to; and every passage id.
    held: dict[str, Counter[str]] = {}
    ids: set[str] = set()
    for pid, _, meta in store.passage_metas():
        ids.add(pid)
        m = meta or {}
        held.setdefault(str(m.get("source", "")), Counter())[str(m.get("doc_hash", ""))] += 1

    problems += _documents(paths, settings, records, ids, ingest, rebuild)
    orphans = sum(
        n
        for source, hashes in held.items()
        for h, n in hashes.items()
        if (rec := records.get(source)) is None or rec.content_hash != h
    )
    if orphans:
        problems.append(
            Problem(f"{orphans} orphan passages: their document is gone or was replaced", rebuild)
        )
    problems += _keyword(store, ids, ingest)
    return problems


def _documents(
    paths: list[Path],
    settings: Settings,
    records: dict[str, DocRecord],
    ids: set[str],
    ingest: str,
    rebuild: str,
) -> list[Problem]:
    """Each supported file indexed at its current content with all its passages; no record of a vanished file."""
    problems: list[Problem] = []
    roots = {str(p.resolve()) for p in paths}
    files = list(walk(paths))
    repetitions = folder_repetitions([p for p, _ in files if is_supported(p)], settings)
    claimed: dict[str, str] = {}
    seen: set[str] = set()
    for path, root in files:
        if not is_supported(path):
            continue
        rel = path.relative_to(root).as_posix() if root.is_dir() and path != root else path.name
        rel = _unique_source(rel, str(root.resolve()), records, claimed)
        seen.add(rel)
        try:
            doc = load_file(path, root, settings, repetitions.get(path.parent))
        except SkipFile:
            continue  # ingest refuses it too (and keeps its last good version)
        rec = records.get(rel)
        if rec is None:
            problems.append(Problem(f"{rel}: not indexed", ingest))
            continue
        if rec.content_hash != doc.content_hash:
            problems.append(Problem(f"{rel}: changed since it was indexed", ingest))
            continue
        missing = sum(passage_id(rel, rec.content_hash, i) not in ids for i in range(rec.passages))
        if missing:
            problems.append(
                Problem(
                    f"{rel}: {missing} of its {rec.passages} passages are missing from the index", rebuild
                )
            )
    for source, rec in sorted(records.items()):
        if source not in seen and rec.root in roots:
            problems.append(Problem(f"{source}: indexed, but the file is gone", ingest))
    return problems


def _keyword(store: Store, ids: set[str], ingest: str) -> list[Problem]:
    """The keyword index saved beside the store: present, of the store's generation, over its passages."""
    directory = store.keyword_dir()
    redo = f"rm -r {directory} && {ingest}"
    kw = KeywordIndex.load(directory)
    if kw is None:
        return [Problem("the keyword index is missing or unreadable", redo)]
    gen = store.generation
    if kw.generation != gen:
        return [Problem(f"the keyword index is of generation {kw.generation}, the store of {gen}", redo)]
    if set(kw.ids) != ids:
        return [Problem("the keyword index does not hold the same passages as the store", redo)]
    return []
