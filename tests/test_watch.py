"""sourced watch: a polled folder kept in step with the index (new, changed, deleted files)."""

from __future__ import annotations

import os

import pytest

from app.core.settings import Settings
from app.ingest import watch
from app.store.chroma import Store
from app.store.embeddings import embedder_identity

BODY = "Harbour News Today In Brief\n\nThe {} harbour reopened on Friday after repairs, officials said.\n"


@pytest.mark.slow  # waits on purpose, a subprocess, or many requests: not in make test-fast
def test_watch_adds_updates_and_removes(tmp_path, embedder):
    folder = tmp_path / "watched"
    folder.mkdir()
    (folder / "a.txt").write_text(BODY.format("north"))
    settings = Settings(index_dir=tmp_path / "index")
    reports = []
    steps = iter(
        [
            lambda: (folder / "b.txt").write_text(BODY.format("south")),  # new
            lambda: None,  # held still for a round: ingested
            lambda: (folder / "a.txt").write_text(BODY.format("western")),  # changed
            lambda: None,
            lambda: os.utime(folder / "a.txt", ns=(1, 1)),  # touched, same content: the hash says unchanged
            lambda: None,
            lambda: (folder / "b.txt").unlink(),  # deleted
            lambda: None,
            lambda: None,  # nothing changed: no ingest
        ]
    )
    watch(folder, settings, embedder, 0.01, reports.append, rounds=10, sleep=lambda _: next(steps)())
    got = [(s.added, s.updated, s.removed, s.unchanged) for s in reports]
    assert got == [(1, 0, 0, 0), (1, 0, 0, 1), (0, 1, 0, 1), (0, 0, 0, 2), (0, 0, 1, 1)]
    docs = Store.open(settings, *embedder_identity(embedder)).documents_map()
    assert set(docs) == {"a.txt"}
