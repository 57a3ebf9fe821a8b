"""Index faults: a damaged store is caught by the subprocess probe; failed ingests leave the old index serving."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEEDS, SHARED

pytestmark = pytest.mark.slow  # subprocesses and servers: not in make test-fast

BBC = SHARED / "corpora" / "bbc" / "business"
QUESTION = "Which border crossing did the Turkish convoy use to enter Syria?"
GOLD = "001_f4fb8e769c839d13.txt"


def _make_docs(d: Path, n_bbc: int = 16) -> Path:
    """Seeds at the top, a few BBC business articles in bbc/ (walk order: seeds first)."""
    shutil.copytree(SEEDS, d)
    for p in d.iterdir():
        p.chmod(0o644)
    (d / "bbc").mkdir()
    for p in sorted(BBC.iterdir())[:n_bbc]:
        shutil.copy(p, d / "bbc" / p.name)
    return d


def _edit_v2(d: Path) -> None:
    """Update a seed and ten BBC files, delete one, add two that sort last."""
    with open(d / GOLD, "a", encoding="utf-8") as f:
        f.write("\nA later paragraph was added to this report by the editors on the following day.\n")
    files = sorted((d / "bbc").iterdir())
    for p in files[:10]:
        p.write_text(p.read_text(encoding="utf-8") + "\nThe company declined to comment further.\n", "utf-8")
    files[-1].unlink()
    for i, p in enumerate(sorted(BBC.iterdir())[40:42]):
        shutil.copy(p, d / "bbc" / f"zz_new{i}.txt")


def _settings(index: Path):
    from app.core.settings import Settings

    return Settings(index_dir=index, answer_mode="extractive")


def _state(index: Path) -> tuple[int, int, int, bool]:
    """(passages, documents, sum of recorded passages, keyword index ids == store ids) of an index."""
    from app.store.chroma import Store
    from app.store.embeddings import DIMENSION, MODEL_NAME

    store = Store.open(_settings(index), MODEL_NAME, DIMENSION)
    docs = store.documents_map()
    ids = {pid for pid, _, _ in store.iter_passages()}
    kw = store.keyword_index()
    return store.count(), len(docs), sum(r.passages for r in docs.values()), set(kw.ids) == ids


def _assert_serves(index: Path) -> None:
    from app.answer.pipeline import answer, load_deps

    deps = load_deps(_settings(index))
    hits = deps.retriever.retrieve(QUESTION)
    assert GOLD in {h.source for h in hits}
    for h in hits:  # every hit belongs to a committed document version
        assert deps.retriever.docs[h.source].content_hash
    assert answer(QUESTION, [], deps).answer


def _v1(base: Path, embedder) -> tuple[Path, Path, tuple[int, int, int, bool]]:
    """(docs, index, state) of seeds + a few BBC articles (ingest records the docs folder, so one per test)."""
    from app.ingest.pipeline import ingest

    docs = _make_docs(base / "docs")
    index = base / "index"
    ingest([docs], _settings(index), embedder)
    return docs, index, _state(index)


@pytest.fixture(scope="module")
def clean_v2(tmp_path_factory, embedder) -> tuple[dict, tuple[int, int, int, bool]]:
    """Summary and state of a clean ingest of the edited docs into a fresh index."""
    from app.ingest.pipeline import ingest

    base = tmp_path_factory.mktemp("clean")
    docs = _make_docs(base / "docs")
    _edit_v2(docs)
    summary = ingest([docs], _settings(base / "index"), embedder).as_dict()
    return summary, _state(base / "index")


def _assert_converges(
    docs: Path, index: Path, clean: tuple[dict, tuple[int, int, int, bool]], embedder
) -> None:
    from app.ingest.pipeline import ingest

    summary = ingest([docs], _settings(index), embedder).as_dict()
    assert summary["chunks"] == clean[0]["chunks"]
    assert summary["skipped"] == clean[0]["skipped"]
    assert summary["added"] + summary["updated"] + summary["unchanged"] == clean[0]["added"]
    assert _state(index) == clean[1]
    again = ingest([docs], _settings(index), embedder).as_dict()
    assert (again["added"], again["updated"], again["removed"]) == (0, 0, 0)
    _assert_serves(index)
    from app.ingest.check import check_index

    assert check_index([docs], _settings(index), embedder, "sourced ingest") == []  # sourced check: clean


_KILLER = """
import os, signal, sys
from pathlib import Path
from app.store.chroma import Store
from app.store.embeddings import OnnxMiniLMEmbedding
from app.ingest.pipeline import ingest
from app.core.settings import Settings
n = {"calls": 0}
real = Store.put_documents
def put(self, items):
    n["calls"] += 1
    if n["calls"] == int(sys.argv[3]):
        real(self, items[:3])  # die inside the commit: some records written, the rest of the batch not
        os.kill(os.getpid(), signal.SIGKILL)
    real(self, items)
Store.put_documents = put
ingest([Path(sys.argv[1])], Settings(index_dir=Path(sys.argv[2])), OnnxMiniLMEmbedding())
"""


def test_corrupt_store_is_detected_by_probe(tmp_path, embedder) -> None:
    from app.core.errors import IndexCorrupt, IndexMissing
    from app.ingest.pipeline import ingest
    from app.store.chroma import PASSAGES, make_client
    from app.store.embeddings import DIMENSION, MODEL_NAME
    from app.store.probe import check_index

    index = tmp_path / "index"
    settings = _settings(index)
    # A low sync threshold makes Chroma persist the HNSW segment now, as it does past 1,000 vectors.
    make_client(settings).get_or_create_collection(
        PASSAGES,
        metadata={"embed_model": MODEL_NAME, "embed_dim": DIMENSION, "generation": 0},
        configuration={"hnsw": {"space": "cosine", "sync_threshold": 10, "batch_size": 10}},
        embedding_function=None,
    )
    ingest([SEEDS], settings, embedder)
    assert check_index(settings) is None
    assert check_index(_settings(tmp_path / "nowhere")) == IndexMissing.message
    assert "sourced ingest --rebuild" in IndexCorrupt.message

    def damaged(name: str, how) -> Path:
        d = tmp_path / name
        shutil.copytree(index, d)
        how(d / "chroma")
        return d

    def truncate_sqlite(c: Path) -> None:
        db = c / "chroma.sqlite3"
        db.write_bytes(db.read_bytes()[: db.stat().st_size // 2])

    def zero_hnsw(c: Path) -> None:
        for f in c.glob("*/*.bin"):
            f.write_bytes(b"\0" * f.stat().st_size)

    def truncate_hnsw(c: Path) -> None:  # this one segfaults chromadb: only a subprocess survives it
        for f in c.glob("*/*.bin"):
            f.write_bytes(f.read_bytes()[:7])

    for name, how in (("sqlite", truncate_sqlite), ("zeroed", zero_hnsw), ("truncated", truncate_hnsw)):
        assert check_index(_settings(damaged(name, how)), timeout=10) == IndexCorrupt.message, name


def test_ingest_killed_midway_leaves_old_index_and_rerun_converges(tmp_path, clean_v2, embedder) -> None:
    docs, index, before = _v1(tmp_path, embedder)
    _edit_v2(docs)
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()  # after the kill, read as a freshly started app process does
    env = dict(os.environ, PYTHONPATH=str(ROOT), ANONYMIZED_TELEMETRY="False")
    proc = subprocess.run(
        [sys.executable, "-c", _KILLER, str(docs), str(index), "1"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == -9, proc.stderr.decode()[-2000:]
    from app.store.probe import check_index

    assert check_index(_settings(index)) is None
    _assert_serves(index)
    assert _state(index)[1] == before[1]  # new and removed files not committed yet
    _assert_converges(docs, index, clean_v2, embedder)


def test_full_disk_leaves_old_index_and_rerun_converges(tmp_path, clean_v2, embedder, monkeypatch) -> None:
    from app.ingest.pipeline import ingest
    from app.store.chroma import Store

    docs, index, before = _v1(tmp_path, embedder)
    _edit_v2(docs)
    real = Store.add_passages
    calls = {"n": 0}

    def add(self, nodes):
        calls["n"] += 1
        real(self, nodes[: len(nodes) // 2])  # the disk fills up halfway through the batch
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Store, "add_passages", add)
    with pytest.raises(OSError):
        ingest([docs], _settings(index), embedder)
    monkeypatch.undo()
    _assert_serves(index)
    assert _state(index)[1] == before[1]
    _assert_converges(docs, index, clean_v2, embedder)


def test_full_disk_on_keyword_save_still_serves(tmp_path, embedder, monkeypatch) -> None:
    from app.ingest.pipeline import ingest
    from app.store.keyword import KeywordIndex

    docs, index, _ = _v1(tmp_path, embedder)
    _edit_v2(docs)

    def full(self, directory):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(KeywordIndex, "save", full)
    with pytest.raises(OSError):
        ingest([docs], _settings(index), embedder)
    meta = json.loads((index / "keyword" / "meta.json").read_text())
    _assert_serves(index)  # the stale keyword index is rebuilt in memory from the store
    monkeypatch.undo()
    assert _state(index)[3]
    assert meta["generation"] >= 0
