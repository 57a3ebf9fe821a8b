"""Incremental, idempotent ingest: unchanged, edited, deleted and bad files; one writer; model check."""

from __future__ import annotations

import pytest

from app.core.errors import IndexBusy, IndexMismatch
from app.core.settings import Settings
from app.ingest.pipeline import ingest, lock_for
from app.store.chroma import Store
from app.store.embeddings import embedder_identity


@pytest.fixture()
def settings(tmp_path):
    return Settings(index_dir=tmp_path / "index")


def _store(settings, embedder):
    return Store.open(settings, *embedder_identity(embedder))


@pytest.mark.slow  # indexes the seeds afresh, three times (seconds): not in make test-fast
def test_incremental_cycle(settings, docs_dir, embedder):
    first = ingest([docs_dir], settings, embedder)
    assert (first.added, first.updated, first.removed, first.unchanged) == (5, 0, 0, 0)
    assert first.chunks == _store(settings, embedder).count()

    again = ingest([docs_dir], settings, embedder)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 5)
    assert again.chunks == first.chunks

    target = docs_dir / "001_f4fb8e769c839d13.txt"
    target.write_text(
        target.read_text() + "\nA new closing paragraph about the convoy was added by the editors.\n"
    )
    (docs_dir / "000_8c23c10d68aa097d.txt").unlink()
    third = ingest([docs_dir], settings, embedder)
    assert (third.added, third.updated, third.removed, third.unchanged) == (0, 1, 1, 3)
    store = _store(settings, embedder)
    sources = {m["source"] for _, _, m in store.iter_passages()}
    assert "000_8c23c10d68aa097d.txt" not in sources
    assert store.count() == third.chunks
    # only the current version of the edited file has passages
    hashes = {m["doc_hash"] for _, _, m in store.iter_passages() if m["source"] == target.name}
    assert len(hashes) == 1


@pytest.mark.slow  # indexes the seeds afresh (seconds): not in make test-fast
def test_bad_files_are_skipped_with_reasons_and_do_not_stop_the_run(settings, docs_dir, embedder):
    (docs_dir / "empty.txt").write_bytes(b"")
    (docs_dir / "blob.txt").write_bytes(b"\x00\x00\x01binary")
    (docs_dir / "photo.png").write_bytes(b"\x89PNG")
    (docs_dir / "latin1.txt").write_bytes(
        "Caf\xe9 owners in Lyon said on Monday that prices rose sharply over the winter months.\n".encode(
            "cp1252"
        )
    )
    s = ingest([docs_dir], settings, embedder)
    reasons = {x["path"]: x["reason"] for x in s.skipped}
    assert set(reasons) == {"empty.txt", "blob.txt", "photo.png"}
    assert "empty" in reasons["empty.txt"] and "binary" in reasons["blob.txt"]
    assert s.added == 6 and any("not UTF-8" in w["reason"] for w in s.warnings)


@pytest.mark.slow  # indexes the seeds afresh, twice (seconds): not in make test-fast
def test_a_file_turning_bad_keeps_its_last_good_version(settings, docs_dir, embedder):
    ingest([docs_dir], settings, embedder)
    (docs_dir / "002_15724484db3c7ef9.txt").write_bytes(b"")
    s = ingest([docs_dir], settings, embedder)
    assert s.removed == 0 and s.skipped
    assert "002_15724484db3c7ef9.txt" in _store(settings, embedder).documents_map()


@pytest.mark.slow  # indexes two folders afresh (seconds): not in make test-fast
def test_other_folders_are_left_alone(settings, docs_dir, tmp_path, embedder):
    other = tmp_path / "other"
    other.mkdir()
    (other / "note.txt").write_text(
        "Local News Headline Of The Day\n\nThe harbour reopened on Friday after repairs.\n"
    )
    ingest([docs_dir], settings, embedder)
    s = ingest([other], settings, embedder)
    assert (s.added, s.removed) == (1, 0)
    assert len(_store(settings, embedder).documents_map()) == 6


def test_second_writer_is_refused(settings, docs_dir, embedder):
    lock = lock_for(settings)
    lock.acquire()
    try:
        with pytest.raises(IndexBusy):
            ingest([docs_dir], settings, embedder)
    finally:
        lock.release()


@pytest.mark.slow  # indexes the seeds afresh (seconds): not in make test-fast
def test_embedding_model_mismatch_is_refused(settings, docs_dir, embedder):
    ingest([docs_dir], settings, embedder)
    with pytest.raises(IndexMismatch, match="sourced ingest --rebuild"):
        Store.open(settings, "some-other-model", 768)


def test_same_relative_path_in_two_folders_keeps_both(settings, tmp_path, embedder):
    body = "Harbour News Today In Brief\n\nThe {} harbour reopened on Friday after repairs, officials said.\n"
    for name in ("north", "south"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "001.txt").write_text(body.format(name))
    s = ingest([tmp_path / "north", tmp_path / "south"], settings, embedder)
    assert s.added == 2
    docs = _store(settings, embedder).documents_map()
    assert set(docs) == {"001.txt", "south/001.txt"}
    again = ingest([tmp_path / "south"], settings, embedder)
    assert (again.added, again.unchanged, again.removed) == (0, 1, 0)


@pytest.mark.slow  # a second process
def test_a_running_reader_sees_another_process_ingest(settings, tmp_path, embedder):
    import subprocess
    import sys

    from app.answer.pipeline import load_deps
    from tests.conftest import ROOT, SEEDS

    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "000.txt").write_bytes((SEEDS / "000_8c23c10d68aa097d.txt").read_bytes())
    (second / "001.txt").write_bytes((SEEDS / "001_f4fb8e769c839d13.txt").read_bytes())
    ingest([first], settings, embedder)
    deps = load_deps(settings)
    deps.retriever.refresh_seconds = 0
    q = "Which border crossing did the Turkish convoy use?"
    assert all(h.source == "000.txt" for h in deps.retriever.retrieve(q))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "ingest",
            str(second),
            "--index-dir",
            str(settings.index_dir),
            "--quiet",
        ],
        cwd=ROOT,
        check=True,
        timeout=240,
    )
    emb = deps.retriever.embed_query(q)
    hits = deps.retriever.retrieve(q, embedding=emb)
    assert hits[0].source == "001.txt" and hits[0].dense > 0  # found by the vector search, not only by BM25


@pytest.mark.slow  # indexes the seeds afresh, then redates (seconds): not in make test-fast
def test_passages_carry_event_dates_and_old_indexes_are_redated(settings, docs_dir, embedder, monkeypatch):
    import app.ingest.pipeline as pipeline
    from app.store.chroma import events_of

    # An index built before dates were resolved: no date fields, records at dating version 0.
    monkeypatch.setattr(pipeline, "event_meta", lambda evs, published: {})
    monkeypatch.setattr(pipeline, "DATING_VERSION", 0)
    ingest([docs_dir], settings, embedder)
    store = _store(settings, embedder)
    assert not any(events_of(m) for _, _, m in store.iter_passages())
    gen = store.generation
    monkeypatch.undo()
    # ... still answers, time questions included: passages without dates are undated, not an error
    from app.answer.pipeline import answer, load_deps

    old = load_deps(settings.model_copy(update={"answer_mode": "extractive"}))
    assert not answer("What did Russia do in June 2020?", [], old).refused  # placed by its date line
    assert answer("Give me a timeline of Turkish deployments", [], old).answer

    again = ingest([docs_dir], settings, embedder)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 5)
    store = _store(settings, embedder)
    assert store.generation > gen and not store.dirty  # running readers reload
    assert {r.dating for r in store.documents_map().values()} == {pipeline.DATING_VERSION}
    dated = [m for _, _, m in store.iter_passages() if events_of(m)]
    text = (docs_dir / "002_15724484db3c7ef9.txt").read_text()
    wednesday = [e for m in dated for e in events_of(m) if e.phrase == "Wednesday"]
    assert wednesday and wednesday[0].lo == "2020-06-03"
    assert text[wednesday[0].start : wednesday[0].end].startswith("On Wednesday, Russia launched")
    assert {m.get("published_ord") for m in dated if m["source"].startswith("002")} == {737581}

    third = ingest([docs_dir], settings, embedder)  # nothing left to do
    assert _store(settings, embedder).generation == store.generation and third.unchanged == 5
