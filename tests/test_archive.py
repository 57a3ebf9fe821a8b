"""The archive (app.ingest's entry point for the web layer): add, replace, read and remove articles in the managed
folder; hostile names and contents refused with a reason and never written; one writer; crash safety."""

from __future__ import annotations

import os
import threading
import time

import pytest
from test_documents import _tiny_pdf

from app.core.errors import DocumentNotFound, IndexBusy, NotManaged
from app.core.settings import Settings
from app.ingest import Archive, Upload, ingest, lock_for
from app.ingest.names import BadName, check_name
from app.store.chroma import Store
from app.store.embeddings import embedder_identity
from app.text.sniff import sniff

ARTICLE = (
    "Harbour Reopens After Winter Storm Repairs\n\n"
    "14 March 2024\n\n"
    "The northern harbour at Port Elwin reopened on Thursday after six weeks of repairs, the port authority said. "
    "Fishing boats returned to the quay within hours of the announcement.\n"
)
HTML = (
    "<!doctype html><html><head><title>Bridge Opens To Traffic In Kell Valley</title></head><body>"
    "<p>The new bridge over the Kell river opened to traffic on Monday, ending a detour of forty kilometres "
    "for villagers, the regional council said.</p></body></html>"
)


@pytest.fixture()
def settings(tmp_path):
    return Settings(
        index_dir=tmp_path / "index", documents_dir=tmp_path / "documents", ingest_wait_seconds=0.5
    )


@pytest.fixture()
def archive(settings, embedder):
    return Archive(settings, embedder)


def _store(settings, embedder):
    return Store.open(settings, *embedder_identity(embedder))


def test_add_replace_read_and_remove(archive, settings, embedder):
    r = archive.add([Upload("harbour.txt", ARTICLE.encode()), Upload("bridge.html", HTML.encode())])
    assert r.refused == [] and [d["status"] for d in r.accepted] == ["added", "added"]
    assert sorted(p.name for p in settings.documents_dir.iterdir()) == ["bridge.html", "harbour.txt"]
    listed = {d["source"]: d for d in archive.catalogue()}
    assert listed["harbour.txt"]["managed"] and listed["harbour.txt"]["passages"] >= 1
    assert listed["harbour.txt"]["added"] and listed["harbour.txt"]["published"] == "2024-03-14"

    doc = archive.get("bridge.html")
    assert doc["text"].startswith("Bridge Opens To Traffic")  # the extracted text, not the markup
    for p in doc["passages"]:
        assert doc["text"][p["start"] : p["end"]] == p["text"]

    again = archive.add([Upload("harbour.txt", ARTICLE.encode())])
    assert again.accepted[0]["status"] == "unchanged"
    edited = ARTICLE + "Officials said a second quay would open in May after further work.\n"
    upd = archive.add([Upload("harbour.txt", edited.encode())])
    assert upd.accepted[0]["status"] == "updated"
    assert archive.get("harbour.txt")["added"] == listed["harbour.txt"]["added"]  # first added, kept
    assert "second quay" in archive.get("harbour.txt")["text"]

    archive.remove("harbour.txt")
    assert not (settings.documents_dir / "harbour.txt").exists()
    with pytest.raises(DocumentNotFound):
        archive.get("harbour.txt")
    assert {m["source"] for _, _, m in _store(settings, embedder).iter_passages()} == {"bridge.html"}
    with pytest.raises(DocumentNotFound):
        archive.remove("harbour.txt")


def test_posted_metadata_wins_and_is_part_of_the_version(archive):
    meta = {"title": "Port Elwin harbour reopens", "publisher": "Courier", "published": "2024-03-15"}
    r = archive.add([Upload("h.txt", ARTICLE.encode(), meta)])
    assert r.accepted[0]["status"] == "added"
    d = archive.get("h.txt")
    assert (d["title"], d["publisher"], d["published"]) == (
        "Port Elwin harbour reopens",
        "Courier",
        "2024-03-15",
    )
    r = archive.add([Upload("h.txt", ARTICLE.encode(), {**meta, "title": "Harbour open again"})])
    assert r.accepted[0]["status"] == "updated" and archive.get("h.txt")["title"] == "Harbour open again"
    bad = archive.add([Upload("i.txt", ARTICLE.encode(), {"published": "someday"})])
    assert "date" in bad.refused[0]["reason"]


@pytest.mark.parametrize(
    "name",
    [
        "../escape.txt",
        "/etc/passwd.txt",
        "sub/dir.txt",
        "a\\b.txt",
        ".hidden.txt",
        "..",
        "nul\x00.txt",
        "tab\t.txt",
        "rtl\u202etxt.txt",
        "zero\u200bwidth.txt",
        "full\uff0fwidth.txt",
        "-rf.txt",
        "trailing.txt.",
        "x" * 200 + ".txt",
        "script.sh",
        "",
        "pipe|.txt",
        "C:evil.txt",
    ],
)
def test_hostile_names_are_refused_and_nothing_is_written(archive, settings, tmp_path, name):
    r = archive.add([Upload(name, ARTICLE.encode())])
    assert r.accepted == [] and r.refused and r.refused[0]["reason"]
    written = [p for p in tmp_path.rglob("*") if p.is_file() and "index" not in p.parts]
    assert written == []


def test_good_names_pass():
    for name in ("Harbour news (2024).txt", "café-über_1.md", "新闻.html", "report.PDF"):
        assert check_name(name, 120) == name
    with pytest.raises(BadName):
        check_name("e\u0301.txt", 120)  # decomposed: NFKC would change it


def test_symlinks_in_the_folder_are_never_followed(archive, settings, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    settings.documents_dir.mkdir()
    os.symlink(outside, settings.documents_dir / "link.txt")
    r = archive.add([Upload("link.txt", ARTICLE.encode())])
    assert r.refused and "outside" in r.refused[0]["reason"]
    assert outside.read_text() == "keep me"


@pytest.mark.parametrize(
    ("name", "data", "why"),
    [
        ("photo.txt", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "PNG"),
        ("fake.pdf", ARTICLE.encode(), "not a PDF"),
        (
            "real.txt",
            _tiny_pdf(["Ship arrivals at the port rose by a third in April, officials said."]),
            "PDF",
        ),
        ("page.md", HTML.encode(), "HTML"),
        ("doc.txt", b"PK\x03\x04" + b"x" * 50, "ZIP"),
        ("empty.txt", b"", "empty"),
        ("menu.txt", b"Home\nMenu\nSearch\n", "no article text"),
    ],
)
def test_content_is_sniffed_not_trusted(archive, settings, name, data, why):
    r = archive.add([Upload(name, data)])
    assert r.accepted == [] and why in r.refused[0]["reason"]
    assert not settings.documents_dir.exists() or not any(settings.documents_dir.iterdir())


def test_a_real_pdf_and_oversized_files(archive, settings):
    pdf = _tiny_pdf(
        ["Port traffic rose sharply this spring", "", "Ship arrivals at the port rose by a third."]
    )
    big = b"word " * (settings.max_file_bytes // 5 + 1)
    r = archive.add([Upload("report.pdf", pdf), Upload("big.txt", big)])
    assert [d["name"] for d in r.accepted] == ["report.pdf"]
    assert "too large" in r.refused[0]["reason"] and sniff(pdf) == "pdf"


@pytest.mark.slow  # indexes a second folder (seconds): not in make test-fast
def test_only_managed_articles_can_be_removed(archive, settings, docs_dir, embedder):
    ingest([docs_dir], settings, embedder)
    with pytest.raises(NotManaged):
        archive.remove("001_f4fb8e769c839d13.txt")
    with pytest.raises(DocumentNotFound):
        archive.remove("../../etc/passwd")
    # an upload named like a seed gets a distinct source, and removing it leaves the seed alone
    r = archive.add([Upload("001_f4fb8e769c839d13.txt", ARTICLE.encode())])
    source = r.accepted[0]["source"]
    assert source == "documents/001_f4fb8e769c839d13.txt"
    archive.remove(source)
    assert "001_f4fb8e769c839d13.txt" in {d["source"] for d in archive.catalogue()}


@pytest.mark.slow  # waits on purpose: not in make test-fast
def test_a_write_waits_for_another_writer_then_says_busy(archive, settings):
    lock = lock_for(settings)
    lock.acquire()
    try:
        t = time.monotonic()
        with pytest.raises(IndexBusy):
            archive.add([Upload("h.txt", ARTICLE.encode())])
        assert time.monotonic() - t >= 0.4
    finally:
        lock.release()
    held = threading.Event()

    def other_writer() -> None:  # another writer finishes while the upload waits: the upload goes through
        with lock_for(settings):
            held.set()
            time.sleep(0.2)

    t = threading.Thread(target=other_writer)
    t.start()
    held.wait(5)
    assert archive.add([Upload("h.txt", ARTICLE.encode())]).accepted
    t.join()


def test_a_crash_mid_upload_leaves_the_previous_version_serving(archive, settings, embedder, monkeypatch):
    archive.add([Upload("h.txt", ARTICLE.encode())])
    before = archive.get("h.txt")

    def boom(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Store, "put_documents", boom)
    edited = ARTICLE + "A late paragraph that never makes it into the index, officials said.\n"
    with pytest.raises(OSError):
        archive.add([Upload("h.txt", edited.encode())])
    monkeypatch.undo()
    after = archive.get("h.txt")
    assert after["hash"] == before["hash"] and after["text"] == before["text"]
    assert not [p for p in settings.documents_dir.iterdir() if p.name.startswith(".upload-")]
    # the file on disk is the new version: the next ingest of the folder converges on it
    s = ingest([settings.documents_dir], settings, embedder)
    assert s.updated == 1 and "late paragraph" in archive.get("h.txt")["text"]


def test_temporaries_left_by_a_dead_upload_are_swept(archive, settings):
    settings.documents_dir.mkdir()
    old, fresh = settings.documents_dir / ".upload-dead.txt", settings.documents_dir / ".upload-live.txt"
    old.write_text("x")
    fresh.write_text("y")
    os.utime(old, (1, 1))
    archive.add([Upload("h.txt", ARTICLE.encode())])
    assert not old.exists() and fresh.exists()  # a recent one may be another upload at work
