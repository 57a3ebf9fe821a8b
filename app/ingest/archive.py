"""The archive as the web layer sees it: list and read the indexed articles; add, replace and remove the ones
kept in the managed folder. Every write goes through ingest's single-writer lock, is checked like a file
given to `sourced ingest` before it touches the folder, and commits the way ingest does (a crash leaves the
previous version serving)."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.core.errors import DocumentNotFound, IndexMissing, NotManaged
from app.core.protocols import Embedder
from app.core.settings import Settings
from app.ingest.names import BadName, check_name, check_source, inside
from app.ingest.pipeline import ingest_locked, remove_locked, writer
from app.store.chroma import DocRecord, Store
from app.store.embeddings import build_embedder, embedder_identity
from app.text.dates import parse_date
from app.text.documents import META_KEYS, SUPPORTED, SkipFile, load_file, meta_path
from app.text.words import encodable


@dataclass
class Upload:
    """One article from a client: a file name, its bytes, and metadata given alongside (JSON posts)."""

    name: str
    data: bytes
    meta: dict[str, str] = field(default_factory=dict)
    problem: str | None = None  # already refused while the request was read


_TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
_HTML_SUFFIXES = {".html", ".htm"}


def posted(item: Any) -> Upload:
    """An Upload from a CMS's JSON: {"source", "text" | "html", "title"?, "published"?, "publisher"?}.
    A source without a suitable extension gets .txt or .html."""
    if not isinstance(item, dict):
        return Upload("", b"", problem="each article must be a JSON object")
    source, text, html = item.get("source"), item.get("text"), item.get("html")
    name = encodable(source) if isinstance(source, str) else ""
    if (text is None) == (html is None) or not isinstance(text if html is None else html, str):
        return Upload(name, b"", problem='give the article as either "text" or "html" (a string)')
    body, wanted = (text, _TEXT_SUFFIXES) if html is None else (html, _HTML_SUFFIXES)
    suffix = Path(name).suffix.lower()
    if suffix in SUPPORTED and suffix not in wanted:
        return Upload(name, b"", problem=f"the source ends in {suffix} but the body is not of that kind")
    if suffix not in wanted:
        name += ".txt" if html is None else ".html"
    extra = set(item) - {"source", "text", "html", *META_KEYS}
    meta = {k: item[k] for k in META_KEYS if item.get(k) not in (None, "")}
    problem = f"unknown field {encodable(sorted(extra)[0])!r}"[:80] if extra else None
    if encodable(str(body)) != body or any(isinstance(v, str) and encodable(v) != v for v in meta.values()):
        return Upload(name, b"", problem="the article is not valid Unicode text (it holds a lone surrogate)")
    return Upload(name, str(body).encode("utf-8"), meta, problem)  # type: ignore[arg-type]


@dataclass
class Report:
    """What an add did, per file: {"name", "source", "status"} accepted, {"name", "reason"} refused."""

    accepted: list[dict[str, str]] = field(default_factory=list)
    refused: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        counts = {s: sum(d["status"] == s for d in self.accepted) for s in ("added", "updated", "unchanged")}
        return {**counts, "documents": self.accepted, "refused": self.refused}


class Archive:
    """The indexed articles, and the managed folder (settings.documents_dir) the web layer writes to."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._embedder = embedder  # the answering side's when it has one; else built when first needed

    @property
    def folder(self) -> Path:
        return self.settings.documents_dir.resolve()

    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = build_embedder(self.settings)
        return self._embedder

    def _store(self) -> Store:
        return Store.open(self.settings, *embedder_identity(self.embedder()))

    # ---- reading ---------------------------------------------------------------------------------
    def catalogue(self) -> list[dict[str, Any]]:
        """Every indexed article (any folder), by source."""
        try:
            docs = self._store().documents_map()
        except IndexMissing:
            return []
        return [self._summary(r) for r in sorted(docs.values(), key=lambda r: r.source)]

    def get(self, source: str) -> dict[str, Any]:
        """One article: its text (what citation offsets index into) and its passages."""
        rec, store = self._record(source)
        text = store.document_text(rec.source) or ""
        passages = [
            {"id": pid, "start": int(m["start"]), "end": int(m["end"]), "text": t}
            for pid, t, m in store.passages_of(rec)
        ]
        return {**self._summary(rec), "text": text, "passages": passages}

    def _record(self, source: str) -> tuple[DocRecord, Store]:
        try:
            check_source(source, self.settings.max_name_chars)
            store = self._store()
        except (BadName, IndexMissing):
            raise DocumentNotFound() from None
        rec = store.records([source]).get(source)
        if rec is None:
            raise DocumentNotFound()
        return rec, store

    def _summary(self, rec: DocRecord) -> dict[str, Any]:
        return {
            "source": rec.source,
            "title": rec.title,
            "publisher": rec.publisher,
            "published": rec.published,
            "passages": rec.passages,
            "hash": rec.content_hash,
            "added": rec.added or None,
            "managed": rec.root == str(self.folder),
            "file": (rec.path or rec.source) if rec.root == str(self.folder) else None,
        }

    # ---- writing ---------------------------------------------------------------------------------
    def add(self, uploads: list[Upload]) -> Report:
        """Check each upload as ingest would, then swap the good ones into the folder and index them."""
        report = Report()
        staged: list[tuple[str, Path, dict[str, str]]] = []
        self.folder.mkdir(parents=True, exist_ok=True)
        self._sweep_temporaries()
        try:
            seen: set[str] = set()
            for up in uploads:
                reason = self._refusal(up, seen)
                if reason is None:
                    tmp, reason = self._stage(up)
                    if tmp is not None:
                        staged.append((up.name, tmp, up.meta))
                if reason is not None:
                    report.refused.append({"name": str(up.name)[:200], "reason": reason})
            if staged:
                self._commit(staged, report)
        finally:
            for _, tmp, _ in staged:
                tmp.unlink(missing_ok=True)
        return report

    def _sweep_temporaries(self, older_than: float = 3600.0) -> None:
        """Drop temporary files left by a server that died mid-upload (hidden, so no ingest ever read them)."""
        cutoff = time.time() - older_than
        for tmp in [*self.folder.glob(".upload-*"), *self.folder.glob(".meta-*")]:
            with contextlib.suppress(OSError):
                if not tmp.is_symlink() and tmp.stat().st_mtime < cutoff:
                    tmp.unlink()

    def _refusal(self, up: Upload, seen: set[str]) -> str | None:
        if up.problem:
            return up.problem
        try:
            name = check_name(up.name, self.settings.max_name_chars)
            inside(self.folder, name)
        except BadName as exc:
            return str(exc)
        if name in seen:
            return "the same name twice in one upload"
        seen.add(name)
        if not up.data:
            return "empty file"
        if len(up.data) > self.settings.max_file_bytes:
            return f"too large ({len(up.data)} bytes; limit {self.settings.max_file_bytes})"
        return check_meta(up.meta, self.settings.max_meta_chars)

    def _stage(self, up: Upload) -> tuple[Path | None, str | None]:
        """Write the bytes to a hidden temporary file in the folder and read it as ingest would."""
        fd, raw = tempfile.mkstemp(prefix=".upload-", suffix=Path(up.name).suffix.lower(), dir=self.folder)
        tmp = Path(raw)
        with os.fdopen(fd, "wb") as f:
            f.write(up.data)
            f.flush()
            os.fsync(f.fileno())
        try:
            load_file(tmp, self.folder, self.settings)
        except SkipFile as exc:
            tmp.unlink(missing_ok=True)
            return None, str(exc)
        return tmp, None

    def _commit(self, staged: list[tuple[str, Path, dict[str, str]]], report: Report) -> None:
        """Under the writer lock: the files move in (sidecar first), then one incremental ingest of them."""
        with writer(self.settings, self.settings.ingest_wait_seconds):
            before = self._managed(self._store_or_none(), [n for n, _, _ in staged])
            targets = []
            for name, tmp, meta in staged:
                target = inside(self.folder, name)  # again: the folder may have changed meanwhile
                _write_meta(target, meta)
                os.replace(tmp, target)
                targets.append(target)
            _sync_dir(self.folder)
            ingest_locked(targets, self.settings, self.embedder())
            after = self._managed(self._store_or_none(), [n for n, _, _ in staged])
        for name, _, _ in staged:
            rec, old = after.get(name), before.get(name)
            if rec is None:
                report.refused.append({"name": name, "reason": "not indexed"})
                continue
            status = (
                "added" if old is None else "unchanged" if old.content_hash == rec.content_hash else "updated"
            )
            report.accepted.append({"name": name, "source": rec.source, "status": status})

    def _store_or_none(self) -> Store | None:
        try:
            return self._store()
        except IndexMissing:
            return None

    def _managed(self, store: Store | None, names: list[str]) -> dict[str, DocRecord]:
        """The records of files of the managed folder, by file name (a source may carry the folder's name)."""
        if store is None:
            return {}
        prefix = f"{self.folder.name}/"
        recs = store.records([*names, *(prefix + n for n in names)])
        return {r.path: r for r in recs.values() if r.root == str(self.folder) and r.path in names}

    def remove(self, source: str) -> None:
        """Delete an uploaded article: its file first (so no later ingest brings it back), then its records."""
        with writer(self.settings, self.settings.ingest_wait_seconds):
            rec, _ = self._record(source)
            if rec.root != str(self.folder):
                raise NotManaged()
            try:
                target = inside(self.folder, check_name(rec.path or rec.source, self.settings.max_name_chars))
            except BadName:
                raise NotManaged() from None
            target.unlink(missing_ok=True)
            meta_path(target).unlink(missing_ok=True)
            _sync_dir(self.folder)
            remove_locked([rec.source], self.settings, self.embedder())


def check_meta(meta: dict[str, str], max_chars: int) -> str | None:
    """The reason given metadata is refused, else None."""
    for key, value in meta.items():
        if key not in META_KEYS or not isinstance(value, str):
            return f"unknown or malformed metadata field {key!r}"[:120]
        if len(value) > max_chars or any(ord(c) < 32 for c in value):
            return f"{key}: at most {max_chars} characters on one line"
    if (p := meta.get("published")) and not parse_date(p):
        return "published: not a date (use YYYY-MM-DD)"
    return None


def _write_meta(target: Path, meta: dict[str, str]) -> None:
    """Replace the article's metadata sidecar atomically, or remove a stale one."""
    side = meta_path(target)
    if not meta:
        side.unlink(missing_ok=True)
        return
    fd, tmp = tempfile.mkstemp(prefix=".meta-", dir=target.parent)  # a new file: no planted link is followed
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(meta, f, ensure_ascii=False)
    os.replace(tmp, side)


def _sync_dir(folder: Path) -> None:
    """Make the renames durable before the index says they happened."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
