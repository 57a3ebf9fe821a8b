"""The archive and feedback over HTTP: the admin token, uploads and posts, hostile names and bodies, limits,
reading and deleting, the same-process refresh, concurrent upload and ask, the proxy-aware rate limit."""

from __future__ import annotations

import asyncio
import shutil
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient
from test_archive import ARTICLE, HTML

from app.core.errors import AdminDisabled, IndexBusy, NotAdmin, NotManaged, RateLimited
from app.core.settings import Settings
from app.ingest import ingest, lock_for
from app.web.api import create_app
from tests.conftest import SEEDS

TOKEN = "test-admin-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
HARBOUR_Q = "When did the northern harbour at Port Elwin reopen?"
pytestmark = pytest.mark.slow  # an index of its own, uploads and answers over HTTP: not in make test-fast


@pytest.fixture(scope="module")
def base(tmp_path_factory, embedder):
    """A seed index of this module's own (the tests write to it), and its folders."""
    root = tmp_path_factory.mktemp("archive-api")
    seeds = root / "seeds"
    shutil.copytree(SEEDS, seeds)
    settings = Settings(
        index_dir=root / "index",
        documents_dir=root / "documents",
        answer_mode="extractive",
        admin_token=TOKEN,
        ingest_wait_seconds=0.5,
        rate_limit_per_minute=10_000,
    )
    ingest([seeds], settings, embedder)
    return settings


@pytest.fixture(scope="module")
def app(base):
    from app.answer.pipeline import load_deps

    return create_app(base, load_deps(base))


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app) as c:
        yield c


def upload(client, *files, headers=AUTH):
    return client.post("/api/documents", files=[("files", f) for f in files], headers=headers)


def assert_safe(r: httpx.Response) -> None:
    assert r.headers["content-type"].startswith("application/json")
    for leak in ("Traceback", "/tmp", ".py", "site-packages", "pytest-of"):
        assert leak not in r.text


# ---- the token ---------------------------------------------------------------------------------------
def test_without_a_configured_token_the_archive_is_off(base, app):
    off = create_app(base.model_copy(update={"admin_token": None}), app.state.service.deps)
    with TestClient(off) as c:
        for method, path in [
            ("POST", "/api/documents"),
            ("GET", "/api/documents"),
            ("GET", "/api/documents/001_f4fb8e769c839d13.txt"),
            ("DELETE", "/api/documents/001_f4fb8e769c839d13.txt"),
            ("GET", "/api/feedback"),
        ]:
            r = c.request(method, path, headers=AUTH)
            assert r.status_code == 403 and r.json() == {"error": AdminDisabled.message}, path
        assert c.get("/admin").status_code == 200  # the page itself is inert; it shows the 403 message


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Bearer {TOKEN[:-1]}"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
        {"X-Admin-Token": TOKEN},
    ],
)
def test_a_wrong_or_missing_token_is_401(client, headers):
    for method, path in [("POST", "/api/documents"), ("GET", "/api/documents"), ("GET", "/api/feedback")]:
        r = client.request(method, path, headers=headers)
        assert r.status_code == 401 and r.json() == {"error": NotAdmin.message}
        assert r.headers["www-authenticate"] == "Bearer"
        assert TOKEN not in r.text


def test_public_documents_opens_the_reads_only(base, app):
    pub = create_app(base.model_copy(update={"public_documents": True}), app.state.service.deps)
    with TestClient(pub) as c:
        assert c.get("/api/documents").status_code == 200
        assert c.get("/api/documents/001_f4fb8e769c839d13.txt").status_code == 200
        assert c.delete("/api/documents/001_f4fb8e769c839d13.txt").status_code == 401
        assert upload(c, ("a.txt", ARTICLE.encode()), headers={}).status_code == 401


# ---- the life of an article ------------------------------------------------------------------------
def test_upload_ask_read_delete_refuse(client, base):
    r = upload(client, ("harbour.txt", ARTICLE.encode(), "text/plain"))
    assert r.status_code == 200, r.text
    assert r.json()["added"] == 1 and r.json()["documents"][0]["source"] == "harbour.txt"

    a = client.post("/api/ask", json={"question": HARBOUR_Q}).json()  # seen at once: no 5 s refresh wait
    assert not a["refused"] and a["citations"][0]["source"] == "harbour.txt"
    listed = {d["source"]: d for d in client.get("/api/documents", headers=AUTH).json()["documents"]}
    assert set(listed) >= {"harbour.txt", "001_f4fb8e769c839d13.txt"}
    assert listed["harbour.txt"]["managed"] and not listed["001_f4fb8e769c839d13.txt"]["managed"]
    assert {"title", "publisher", "published", "passages", "hash", "added"} <= set(listed["harbour.txt"])

    doc = client.get("/api/documents/harbour.txt", headers=AUTH).json()
    c = a["citations"][0]
    assert doc["text"][c["start"] : c["end"]] == c["quote"]
    assert all(doc["text"][p["start"] : p["end"]] == p["text"] for p in doc["passages"])

    d = client.delete("/api/documents/harbour.txt", headers=AUTH)
    assert d.status_code == 200 and d.json() == {"removed": "harbour.txt"}
    assert not (base.documents_dir / "harbour.txt").exists()
    assert client.post("/api/ask", json={"question": HARBOUR_Q}).json()["refused"]
    assert client.get("/api/documents/harbour.txt", headers=AUTH).status_code == 404


def test_json_post_from_a_cms(client):
    body = {"source": "kell-bridge", "html": HTML, "title": "Kell bridge opens", "published": "2024-05-06"}
    r = client.post("/api/documents", json=body, headers=AUTH)
    assert r.status_code == 200 and r.json()["documents"][0]["source"] == "kell-bridge.html"
    doc = client.get("/api/documents/kell-bridge.html", headers=AUTH).json()
    assert (doc["title"], doc["published"]) == ("Kell bridge opens", "2024-05-06")
    assert "<p>" not in doc["text"] and "forty kilometres" in doc["text"]
    many = [
        {"source": "a", "text": ARTICLE},
        {"source": "b.pdf", "text": ARTICLE},
        {"text": "x", "html": "y"},
    ]
    r = client.post("/api/documents", json=many, headers=AUTH)
    assert r.status_code == 200 and r.json()["added"] == 1 and len(r.json()["refused"]) == 2
    for s in ("kell-bridge.html", "a.txt"):
        client.delete(f"/api/documents/{s}", headers=AUTH)


# ---- hostile input ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    [
        "../../escape.txt",
        "/etc/cron.d/x.txt",
        "..\\..\\win.txt",
        "nul\x00.txt",
        ".htaccess.txt",
        "rtl\u202egnp.txt",
        "new\nline.txt",
        "%2e%2e%2fx.txt",
        "",
    ],
)
def test_hostile_file_names_are_refused_with_a_reason(client, base, name):
    before = sorted(p.name for p in base.index_dir.parent.rglob("*"))
    r = upload(client, (name, ARTICLE.encode(), "text/plain"))
    assert r.status_code == 400, r.text
    assert_safe(r)
    refused = r.json().get("refused") or [{"reason": r.json()["error"]}]  # no name: not even a file part
    assert refused[0]["reason"]
    after = sorted(p.name for p in base.index_dir.parent.rglob("*"))
    assert [
        x for x in after if x not in before and not x.startswith(("chroma", "keyword", "data_level"))
    ] == []


@pytest.mark.parametrize(
    "source",
    ["../../etc/passwd", "/etc/passwd", "x\x00y", "%00", "..", "a" * 2000, "seeds/../../../etc/passwd"],
)
def test_hostile_sources_are_not_found(client, source):
    for method in ("GET", "DELETE"):
        r = client.request(method, f"/api/documents/{quote(source, safe='/%.')}", headers=AUTH)
        assert r.status_code in (404, 400), (source, r.status_code)
        assert_safe(r)
        assert "root:" not in r.text


def test_a_seed_cannot_be_deleted_through_the_api(client):
    r = client.delete("/api/documents/001_f4fb8e769c839d13.txt", headers=AUTH)
    assert r.status_code == 409 and r.json() == {"error": NotManaged.message}


@pytest.mark.parametrize(
    ("content", "ctype"),
    [
        (b"{not json", "application/json"),
        (b"[1, 2]", "application/json"),
        (b'{"source": "x.txt"}', "application/json"),
        (b"plain words", "text/plain"),
        (b"--b\r\ngarbage", "multipart/form-data; boundary=b"),
        (b"", "multipart/form-data; boundary=b"),
    ],
)
def test_bad_bodies_get_a_clear_400(client, content, ctype):
    r = client.post("/api/documents", content=content, headers={**AUTH, "content-type": ctype})
    assert r.status_code == 400, r.text
    assert_safe(r)


def test_oversized_uploads(base, app):
    small = base.model_copy(
        update={"max_upload_bytes": 20_000, "max_upload_files": 2, "max_file_bytes": 5_000}
    )
    with TestClient(create_app(small, app.state.service.deps)) as c:
        r = upload(c, ("big.txt", b"word " * 10_000))
        assert r.status_code == 413 and "20000 bytes" in r.json()["error"]
        r = c.post(
            "/api/documents",
            content=b"x" * 100,
            headers={**AUTH, "content-type": "application/json", "content-length": "999999999"},
        )
        assert r.status_code == 413
        r = upload(c, *[(f"{i}.txt", ARTICLE.encode()) for i in range(3)])
        assert r.status_code in (400, 413)
        r = upload(c, ("mid.txt", b"word " * 1_500))
        assert r.status_code == 400 and "too large" in r.json()["refused"][0]["reason"]


def test_an_upload_during_another_ingest_waits_then_says_busy(client, base):
    lock = lock_for(base)
    lock.acquire()
    try:
        r = upload(client, ("late.txt", ARTICLE.encode()))
    finally:
        lock.release()
    assert r.status_code == 409 and r.json() == {"error": IndexBusy.message}
    assert not (base.documents_dir / "late.txt").exists()


def test_concurrent_upload_and_ask(app, base):
    questions = ["What did Turkey deploy in September?", "Who led the opposition advance toward Aleppo?"]

    async def run():
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t", timeout=120
        ) as c:
            asks = [c.post("/api/ask", json={"question": questions[i % 2]}) for i in range(12)]
            up = c.post("/api/documents", files=[("files", ("conc.txt", ARTICLE.encode()))], headers=AUTH)
            return await asyncio.gather(up, *asks)

    up, *asks = asyncio.run(run())
    assert up.status_code == 200 and up.json()["added"] == 1
    assert all(r.status_code == 200 and r.json()["citations"] for r in asks)
    with TestClient(app) as c:
        assert c.post("/api/ask", json={"question": HARBOUR_Q}).json()["citations"][0]["source"] == "conc.txt"
        assert c.delete("/api/documents/conc.txt", headers=AUTH).status_code == 200


# ---- feedback --------------------------------------------------------------------------------------
def test_feedback_is_kept_without_addresses_and_listed_for_the_admin(client, base):
    a = client.post("/api/ask", json={"question": "What did Turkey deploy in September?"}).json()
    fb = {
        "rating": "down",
        "comment": '=HYPERLINK("http://evil")',
        "question": a["question"],
        "answer": a["answer"],
        "citations": a["citations"],
        "mode": a["mode"],
    }
    r = client.post("/api/feedback", json=fb, headers={"x-forwarded-for": "203.0.113.9"})
    assert r.status_code == 200 and r.json()["ok"]
    aid = "0123456789abcdef0123456789abcdef"
    assert client.post("/api/feedback", json={**fb, "rating": "up", "answer_id": aid}).status_code == 200
    assert client.post("/api/feedback", json={**fb, "rating": "down", "answer_id": aid}).status_code == 200
    got = client.get("/api/feedback", headers=AUTH).json()
    assert got["total"] == 2 and got["items"][0]["rating"] == "down"  # the changed mind replaced the first
    down = client.get("/api/feedback?rating=down", headers=AUTH).json()
    assert down["total"] == 2 and {i["rating"] for i in down["items"]} == {"down"}
    assert sum(d["down"] for d in got["days"]) == 2 and sum(d["up"] for d in got["days"]) == 0
    item = got["items"][1]
    assert item["citations"][0]["quote"] == a["citations"][0]["quote"] and item["mode"] == "extractive"
    raw = base.feedback_file().read_bytes() + b"".join(
        p.read_bytes() for p in base.index_dir.glob("feedback.sqlite3*")
    )
    assert b"203.0.113.9" not in raw and b"testclient" not in raw


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"rating": "meh", "question": "q"},
        {"rating": "up"},
        {"rating": "up", "question": ""},
        {"rating": "up", "question": "q", "comment": "x" * 2001},
        {"rating": "up", "question": "q", "citations": "nope"},
        {"rating": "up", "question": "q", "answer_id": "../../x"},
        {"rating": "up", "question": "q", "mode": "<script>"},
        [1],
    ],
)
def test_bad_feedback_is_a_clear_400(client, body):
    r = client.post("/api/feedback", json=body)
    assert r.status_code == 400 and "rating" in r.json()["error"]
    assert_safe(r)


# ---- the rate limit behind a proxy -----------------------------------------------------------------
def test_forwarded_for_is_believed_only_from_trusted_proxies(base, app):
    settings = base.model_copy(update={"rate_limit_per_minute": 2, "trusted_proxies": ["10.0.0.0/8"]})
    q = {"question": "What did Turkey deploy in September?"}

    async def codes(peer: str, forwarded: list[str]) -> list[int]:
        transport = httpx.ASGITransport(app=create_app(settings, app.state.service.deps), client=(peer, 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=60) as c:
            return [
                (await c.post("/api/ask", json=q, headers={"x-forwarded-for": f})).status_code
                for f in forwarded
            ]

    # behind the proxy, each reader has their own limit
    assert asyncio.run(codes("10.0.0.5", ["198.51.100.1", "198.51.100.2", "198.51.100.3"])) == [200] * 3
    assert asyncio.run(codes("10.0.0.5", ["198.51.100.1"] * 3))[-1] == 429
    # a client that is not a proxy cannot dodge the limit by writing the header
    got = asyncio.run(codes("198.51.100.7", ["1.1.1.1", "2.2.2.2", "3.3.3.3"]))
    assert got == [200, 200, 429]


def test_admin_page_is_served_locked_down(client):
    r = client.get("/admin")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"
    assert client.get("/admin/admin.js").status_code == 200
    assert client.get("/admin/../app/web/api.py").status_code == 404
    assert client.get("/admin/%2e%2e/api.py").status_code == 404


def test_rate_limited_message_is_fixed():
    assert RateLimited.message.startswith("You are asking too quickly")


@pytest.mark.slow  # the index probe runs in a subprocess
def test_a_fresh_server_without_an_index_starts_from_an_upload(tmp_path):
    settings = Settings(
        index_dir=tmp_path / "index",
        documents_dir=tmp_path / "documents",
        answer_mode="extractive",
        admin_token=TOKEN,
    )
    with TestClient(create_app(settings)) as c:
        assert c.get("/healthz").status_code == 503
        assert c.get("/api/documents", headers=AUTH).json() == {"total": 0, "documents": []}
        assert upload(c, ("harbour.txt", ARTICLE.encode())).status_code == 200
        assert c.get("/healthz").json()["status"] == "ok"
        a = c.post("/api/ask", json={"question": HARBOUR_Q}).json()
        assert a["citations"][0]["source"] == "harbour.txt"
