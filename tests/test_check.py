"""sourced check: an index verified against its documents folders and the feedback database."""

from __future__ import annotations

import shutil

import pytest

from app.cli import main
from tests.conftest import SEEDS


@pytest.fixture(scope="module")
def built(tmp_path_factory, embedder):
    """(index folder, docs folder): one index over a copy of the seeds, built once for the module."""
    from app.core.settings import Settings
    from app.ingest.pipeline import ingest

    base = tmp_path_factory.mktemp("check")
    docs = base / "docs"
    shutil.copytree(SEEDS, docs)
    ingest([docs], Settings(index_dir=base / "index", answer_mode="extractive"), embedder)
    return base / "index", docs


@pytest.fixture()
def index(built, tmp_path):
    """(settings, docs folder): a copy of the module's index, for a test to damage; the docs are shared (a test
    that changes them puts them back)."""
    from app.core.settings import Settings

    shutil.copytree(built[0], tmp_path / "index")
    return Settings(index_dir=tmp_path / "index", answer_mode="extractive"), built[1]


def check(settings, docs_dir, capsys) -> tuple[int, str]:
    code = main(["check", str(docs_dir), "--index-dir", str(settings.index_dir)])
    out = capsys.readouterr()
    return code, out.out + out.err


def store_of(settings, embedder):
    from app.store.chroma import Store
    from app.store.embeddings import embedder_identity

    return Store.open(settings, *embedder_identity(embedder))


def test_a_clean_index_checks_clean(index, capsys) -> None:
    code, out = check(*index, capsys)
    assert code == 0, out
    assert "problem" not in out


def test_a_document_whose_passages_are_gone(index, embedder, capsys) -> None:
    settings, docs = index
    store = store_of(settings, embedder)
    source = sorted(store.documents_map())[0]
    first = store.passages.get(where={"source": source})["ids"][0]
    store.passages.delete(ids=[first])
    code, out = check(settings, docs, capsys)
    assert code == 1
    assert f"{source}: 1 of its" in out and "passages are missing from the index" in out
    assert "repair: sourced ingest" in out and "--rebuild" in out


def test_an_orphan_passage(index, embedder, capsys) -> None:
    settings, docs = index
    store = store_of(settings, embedder)
    source = sorted(store.documents_map())[0]
    store.delete_document(source)  # the record goes, its passages stay
    code, out = check(settings, docs, capsys)
    assert code == 1
    assert "orphan passages: their document is gone or was replaced" in out
    assert f"{source}: not indexed" in out


def test_a_changed_file_and_a_vanished_one(index, capsys) -> None:
    settings, docs = index
    files = sorted(p for p in docs.iterdir() if p.is_file())
    before = [f.read_bytes() for f in files[:2]]
    try:
        files[0].chmod(0o644)
        files[0].write_bytes(before[0] + b"\nA new closing paragraph.\n")
        files[1].chmod(0o644)
        files[1].unlink()
        code, out = check(settings, docs, capsys)
    finally:
        for f, data in zip(files[:2], before, strict=True):
            f.write_bytes(data)
    assert code == 1
    assert f"{files[0].name}: changed since it was indexed" in out
    assert f"{files[1].name}: indexed, but the file is gone" in out


def test_a_stale_keyword_index(index, embedder, capsys) -> None:
    settings, docs = index
    store_of(settings, embedder).bump_generation()
    code, out = check(settings, docs, capsys)
    assert code == 1 and "the keyword index is of generation" in out
    assert f"rm -r {settings.index_dir / 'keyword'} && sourced ingest" in out


def test_a_damaged_feedback_database(index, capsys) -> None:
    settings, docs = index
    settings.feedback_file().write_bytes(b"this is not a database" * 100)
    code, out = check(settings, docs, capsys)
    assert code == 1 and "the feedback database" in out and "is damaged" in out


def test_a_missing_index(tmp_path, docs_dir, capsys) -> None:
    code = main(["check", str(docs_dir), "--index-dir", str(tmp_path / "none")])
    out = capsys.readouterr().out
    assert code == 1 and "No index found" in out and "repair: sourced ingest" in out
