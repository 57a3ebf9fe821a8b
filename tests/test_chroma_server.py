"""Server mode: a real `chroma run` on loopback, shared by ingest and two app processes' worth of readers."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, SEEDS

pytestmark = pytest.mark.slow  # subprocesses and servers: not in make test-fast

CHROMA = ROOT / ".venv" / "bin" / "chroma"
QUESTION = "Which border crossing did the Turkish convoy use to enter Syria?"
GOLD = "001_f4fb8e769c839d13.txt"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def chroma_server(tmp_path):
    """(port) of a `chroma run` process on 127.0.0.1, stopped afterwards."""
    if not CHROMA.exists() and shutil.which("chroma") is None:
        pytest.skip("the chroma CLI is not installed in the venv")
    exe = str(CHROMA) if CHROMA.exists() else str(shutil.which("chroma"))
    port = _free_port()
    log = open(tmp_path / "chroma.log", "wb")
    proc = subprocess.Popen(
        [exe, "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    "chroma run did not start: " + (tmp_path / "chroma.log").read_text(errors="replace")
                )
            time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_ingest_and_answer_against_chroma_server(chroma_server, tmp_path, embedder, docs_dir) -> None:
    from app.answer.pipeline import answer, load_deps
    from app.core.errors import IndexMissing
    from app.core.settings import Settings
    from app.ingest.pipeline import ingest
    from app.store.probe import check_index

    port = chroma_server

    def settings(name: str) -> Settings:
        return Settings(
            chroma_host="127.0.0.1",
            chroma_port=port,
            index_dir=tmp_path / name,
            answer_mode="extractive",
            chroma_token="not-checked-by-chroma-run",
        )

    with pytest.raises(IndexMissing):
        load_deps(settings("reader-a"))
    assert check_index(settings("reader-a")) is not None
    summary = ingest([docs_dir], settings("writer"), embedder).as_dict()
    assert summary["added"] == len(list(SEEDS.iterdir()))
    assert not (tmp_path / "writer" / "chroma").exists()  # vectors and documents live on the server
    assert check_index(settings("reader-a")) is None

    a = load_deps(
        settings("reader-a")
    )  # another app process: no local keyword index, rebuilt from the server
    assert a.retriever.keyword.generation == a.retriever.store.generation
    assert len(a.retriever.keyword.ids) == a.retriever.store.count() == summary["chunks"]
    res = answer(QUESTION, [], a)
    assert not res.refused and GOLD in {c.source for c in res.citations}
    text = (SEEDS / GOLD).read_text(encoding="utf-8")
    for c in res.citations:
        if c.source == GOLD:
            assert text[c.start : c.end] == c.quote

    # An update through the server is seen by a reader that was already running.
    p = docs_dir / GOLD
    p.chmod(0o644)
    p.write_text(
        p.read_text(encoding="utf-8") + "\nThe convoy later returned through the Bab al-Hawa crossing.\n",
        encoding="utf-8",
    )
    again = ingest([docs_dir], settings("writer"), embedder).as_dict()
    assert again["updated"] == 1
    a.retriever.refresh_seconds = 0.0
    hits = a.retriever.retrieve("Bab al-Hawa crossing convoy returned")
    assert hits and hits[0].source == GOLD and "Bab al-Hawa" in hits[0].text
    assert len(a.retriever.keyword.ids) == a.retriever.store.count() == again["chunks"]
    assert isinstance(Path(a.settings.index_dir), Path)
