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


class ChromaServer:
    """A `chroma run` on 127.0.0.1 that a test can stop and start again on the same port and data dir."""

    def __init__(self, tmp_path: Path) -> None:
        if not CHROMA.exists() and shutil.which("chroma") is None:
            pytest.skip("the chroma CLI is not installed in the venv")
        self.exe = str(CHROMA) if CHROMA.exists() else str(shutil.which("chroma"))
        self.tmp_path = tmp_path
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = open(tmp_path / "chroma.log", "ab")

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.exe, "run", "--path", str(self.tmp_path / "server"), "--host", "127.0.0.1"]
            + ["--port", str(self.port)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                url = f"http://127.0.0.1:{self.port}/api/v2/heartbeat"
                if httpx.get(url, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    "chroma run did not start: " + (self.tmp_path / "chroma.log").read_text(errors="replace")
                )
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


@pytest.fixture()
def chroma(tmp_path):
    """A ChromaServer, started, and stopped afterwards."""
    srv = ChromaServer(tmp_path)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()
        srv.log.close()


@pytest.fixture()
def chroma_server(chroma):
    """(port) of a `chroma run` process on 127.0.0.1, stopped afterwards."""
    return chroma.port


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
    # a new paragraph inside the article's body (after its footer it would be chrome: the "POPULAR" list)
    body = p.read_text(encoding="utf-8")
    last = body.index("By deploying additional reinforcements")
    new = "The convoy later returned through the Bab al-Hawa crossing, the monitoring group said.\n\n"
    p.write_text(body[:last] + new + body[last:], encoding="utf-8")
    again = ingest([docs_dir], settings("writer"), embedder).as_dict()
    assert again["updated"] == 1
    a.retriever.refresh_seconds = 0.0
    hits = a.retriever.retrieve("Bab al-Hawa crossing convoy returned")
    assert any(h.source == GOLD and "Bab al-Hawa" in h.text for h in hits[:3])
    assert len(a.retriever.keyword.ids) == a.retriever.store.count() == again["chunks"]
    assert isinstance(Path(a.settings.index_dir), Path)


def _server_settings(port: int, index_dir: Path):
    from app.core.settings import Settings

    return Settings(chroma_host="127.0.0.1", chroma_port=port, index_dir=index_dir, answer_mode="extractive")


def test_readers_get_a_fixed_503_while_the_server_is_down_and_recover(chroma, tmp_path, embedder, docs_dir):
    from fastapi.testclient import TestClient

    from app.core.errors import StoreUnavailable
    from app.ingest.pipeline import ingest
    from app.web.api import create_app

    ingest([docs_dir], _server_settings(chroma.port, tmp_path / "writer"), embedder)
    reader = _server_settings(chroma.port, tmp_path / "reader").model_copy(
        update={"rate_limit_per_minute": 0}
    )
    with TestClient(create_app(reader)) as c:
        assert c.get("/healthz").status_code == 200
        r = c.post("/api/ask", json={"question": QUESTION})
        assert r.status_code == 200 and GOLD in {x["source"] for x in r.json()["citations"]}
        c.app.state.service.deps.retriever.refresh_seconds = 0.0  # every ask looks at the store's generation

        chroma.stop()
        for _ in range(2):
            r = c.post("/api/ask", json={"question": QUESTION})
            assert r.status_code == 503 and r.json() == {"error": StoreUnavailable.message}
        h = c.get("/healthz")
        assert h.status_code == 503 and h.json() == {
            "status": "unavailable",
            "error": StoreUnavailable.message,
        }
        r = c.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": QUESTION}]})
        assert r.status_code == 503 and r.json()["error"]["message"] == StoreUnavailable.message
        r = c.get("/api/timeline", params={"q": "Idlib"})
        assert r.status_code == 503 and r.json() == {"error": StoreUnavailable.message}

        chroma.start()  # the same port and data dir
        back = time.monotonic()
        while True:
            h = c.get("/healthz")
            r = c.post("/api/ask", json={"question": QUESTION})
            if h.status_code == 200 and r.status_code == 200:
                break
            assert time.monotonic() - back < 10, (h.text, r.text)
            time.sleep(0.2)
        assert GOLD in {x["source"] for x in r.json()["citations"]}


def test_a_reader_started_while_the_server_is_down_says_so_and_recovers(chroma, tmp_path, embedder, docs_dir):
    from fastapi.testclient import TestClient

    from app.core.errors import StoreUnavailable
    from app.ingest.pipeline import ingest
    from app.web.api import create_app

    ingest([docs_dir], _server_settings(chroma.port, tmp_path / "writer"), embedder)
    chroma.stop()
    with TestClient(create_app(_server_settings(chroma.port, tmp_path / "reader"))) as c:
        h = c.get("/healthz")
        assert h.status_code == 503 and h.json()["error"] == StoreUnavailable.message
        r = c.post("/api/ask", json={"question": QUESTION})
        assert r.status_code == 503 and r.json() == {"error": StoreUnavailable.message}
        chroma.start()
        back = time.monotonic()
        while c.get("/healthz").status_code != 200:
            assert time.monotonic() - back < 10
            time.sleep(0.2)
        assert c.post("/api/ask", json={"question": QUESTION}).status_code == 200


def test_an_ingest_interrupted_by_the_server_going_down_converges(
    chroma, tmp_path, embedder, docs_dir, monkeypatch
):
    from app.core.errors import StoreUnavailable
    from app.ingest.pipeline import ingest
    from app.store.chroma import Store

    settings = _server_settings(chroma.port, tmp_path / "writer")
    calls = {"n": 0}
    real = Store.add_passages

    def add_then_die(self, nodes):  # the server goes away after the first batch of passages is written
        real(self, nodes)
        calls["n"] += 1
        if calls["n"] == 1:
            chroma.stop()

    settings = settings.model_copy(update={"write_batch_size": 8})
    with monkeypatch.context() as m:
        m.setattr(Store, "add_passages", add_then_die)
        with pytest.raises(StoreUnavailable):
            ingest([docs_dir], settings, embedder)
    assert calls["n"] == 1
    chroma.start()
    again = ingest([docs_dir], settings, embedder).as_dict()
    assert again["added"] == len(list(SEEDS.iterdir()))

    from app.core.settings import Settings
    from app.store.embeddings import embedder_identity

    clean = ingest([docs_dir], Settings(index_dir=tmp_path / "clean"), embedder).as_dict()
    store = Store.open(settings, *embedder_identity(embedder))
    assert again["chunks"] == clean["chunks"] == store.count()
    assert len(store.documents_map()) == clean["added"]
    assert store.sweep() == 0  # nothing half-written left behind
    from app.ingest.check import check_index

    assert check_index([docs_dir], settings, embedder, "sourced ingest") == []
