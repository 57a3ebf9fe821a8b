"""Generated hostile requests against the ASGI app in process: never a 5xx, and every error is a fixed message.

Seed-fixed (derandomized) and bounded: SOURCED_FUZZ_EXAMPLES cases per route (100 by default; make fuzz raises
it). With SOURCED_FUZZ_REPORT set, the cases run and the 5xx seen per route are written there as JSON.
"""

from __future__ import annotations

import inspect
import json
import os
import re
from collections import Counter
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

import app.core.errors as core_errors
from app.web import api, openai_api
from app.web import documents as documents_api
from app.web.api import create_app

EXAMPLES = int(os.environ.get("SOURCED_FUZZ_EXAMPLES", "100"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same cases on every run
    database=None,
    suppress_health_check=list(HealthCheck),
)
CASES: Counter[str] = Counter()
FIVE_XX: Counter[str] = Counter()


def _fixed_patterns() -> list[re.Pattern[str]]:
    """Every fixed message a route may answer with ({} filled by a setting or a number)."""
    templates = [
        cls.message
        for _, cls in inspect.getmembers(core_errors, inspect.isclass)
        if issubclass(cls, core_errors.SourcedError)
    ]
    templates += [
        openai_api.NOT_JSON,
        openai_api.BAD_MESSAGES,
        openai_api.TOO_LARGE,
        openai_api.UNKNOWN_MODEL,
        openai_api.BAD_OPTIONS,
        api.EXPLAIN_FLAG,
    ]
    templates += [
        "Not found.",
        "The request was refused.",
        "The request is malformed.",
        "The feedback is too large.",
        "The request is too large: questions take at most {} characters and the history at most {}.",
        'The request body must be JSON: {"question": "...", "history": []}.',
        'The request body must be a JSON object: {"question": "...", "history": []}.',
        "The conversation is too long (at most {} characters). Start a new chat.",
        "The upload is malformed or has more than {} files.",
    ]
    shape = documents_api.POST_SHAPE.replace("{", "{{").replace("}", "}}")
    templates += [
        f"The request body must be {shape}.",
        f"Send {shape}.",
        f"No article in the request: send {shape}.",
    ]
    out = []
    for t in templates:
        if t == "{}":
            continue
        pattern = re.escape(t).replace(re.escape("{}"), r"[^\n]{1,80}")
        pattern = pattern.replace(re.escape("{{"), re.escape("{")).replace(re.escape("}}"), re.escape("}"))
        out.append(re.compile(pattern + r"\Z"))
    return out


FIXED = _fixed_patterns()


def fixed(message: Any) -> bool:
    return isinstance(message, str) and any(p.match(message) for p in FIXED)


@pytest.fixture(scope="module")
def client(seed_settings, deps, tmp_path_factory):
    over = {"rate_limit_per_minute": 0, "feedback_path": tmp_path_factory.mktemp("fuzz") / "feedback.sqlite3"}
    with TestClient(create_app(seed_settings.model_copy(update=over), deps)) as c:
        yield c
    report = os.environ.get("SOURCED_FUZZ_REPORT")
    if report:
        with open(report, "w", encoding="utf-8") as f:
            json.dump({"examples": EXAMPLES, "cases": dict(CASES), "5xx": dict(FIVE_XX)}, f, indent=1)


ADMIN = "fuzz-admin-token"


@pytest.fixture(scope="module")
def admin_client(seed_settings, tmp_path_factory):
    """An app with an admin token over a copy of the seed index (uploads and deletes change only the copy)."""
    import shutil

    base = tmp_path_factory.mktemp("fuzz-admin")
    shutil.copytree(seed_settings.index_dir, base / "index")
    over = {
        "index_dir": base / "index",
        "documents_dir": base / "documents",
        "feedback_path": base / "feedback.sqlite3",
        "admin_token": SecretStr(ADMIN),
        "rate_limit_per_minute": 0,
    }
    with TestClient(create_app(seed_settings.model_copy(update=over))) as c:
        yield c


# ---- generated values ----------------------------------------------------------------------------------
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**30, max_value=10**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "up",
            "down",
            "user",
            "assistant",
            "system",
            "\ud7ff" * 3,
            "\ud800",
            "a\udfffb",
            "💥" * 20,
        ]
    )
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=16,
)
questions = st.text(max_size=120) | st.sampled_from(
    ["What did Turkey deploy in September?", "Who led the opposition advance toward Aleppo?", "?", "a" * 3000]
)
turns = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "role": st.sampled_from(["user", "assistant", "system", "tool"]) | values,
            "content": values,
        },
    )
    | values,
    max_size=4,
)


def body(shape: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    """A JSON body of the shape, of any JSON value, or bytes that are not JSON at all."""
    as_json = (shape | values).map(lambda v: json.dumps(v, allow_nan=True).encode("utf-8"))
    return (
        as_json
        | st.binary(max_size=200)
        | st.sampled_from([b"", b"{", b"[]", b"null", b'{"question": "\\ud800"}'])
    )


ask_bodies = body(
    st.fixed_dictionaries(
        {}, optional={"question": questions | values, "history": turns | values, "explain": values}
    )
)
feedback_bodies = body(
    st.fixed_dictionaries(
        {"rating": st.sampled_from(["up", "down"]) | values},
        optional={
            "question": questions | values,
            "answer": st.text(max_size=60) | values,
            "comment": st.text(max_size=60) | values,
            "mode": st.sampled_from(["", "extractive", "llm", "local"]) | values,
            "citations": st.lists(
                st.dictionaries(st.text(max_size=8), values, max_size=4) | values, max_size=3
            )
            | values,
            "answer_id": st.text(max_size=40) | values,
        },
    )
)
chat_bodies = body(
    st.fixed_dictionaries(
        {"messages": turns | values},
        optional={
            "model": st.just("sourced") | values,
            "stream": st.booleans() | values,
            "stream_options": values,
        },
    )
)


# ---- checks ----------------------------------------------------------------------------------------------
def check(route: str, r: Any) -> None:
    CASES[route] += 1
    if r.status_code >= 500:
        FIVE_XX[route] += 1
    assert r.status_code < 500, (route, r.status_code, r.text[:500])
    if r.status_code >= 400:
        err = r.json()["error"]
        message = err["message"] if route.startswith("/v1") else err
        assert fixed(message), (route, r.status_code, message)


def check_stream(route: str, r: Any) -> None:
    """A streamed completion that started: every event is JSON, any error in it a fixed, non-5xx one."""
    check(route, r)
    if r.status_code != 200 or not r.headers["content-type"].startswith("text/event-stream"):
        return
    for line in r.text.splitlines():
        if line.startswith("data: ") and line != "data: [DONE]":
            event = json.loads(line[6:])
            if "error" in event:
                assert event["error"]["type"] != "server_error", event
                assert fixed(event["error"]["message"]), event


@FUZZ
@given(raw=ask_bodies)
def test_fuzz_ask(client, raw: bytes) -> None:
    check("/api/ask", client.post("/api/ask", content=raw, headers={"content-type": "application/json"}))


@FUZZ
@given(raw=feedback_bodies)
def test_fuzz_feedback(client, raw: bytes) -> None:
    r = client.post("/api/feedback", content=raw, headers={"content-type": "application/json"})
    check("/api/feedback", r)


@FUZZ
@given(raw=chat_bodies)
def test_fuzz_chat_completions(client, raw: bytes) -> None:
    r = client.post("/v1/chat/completions", content=raw, headers={"content-type": "application/json"})
    check_stream("/v1/chat/completions", r)


@FUZZ
@given(
    messages=turns | values,
    question=questions,
    extra=st.dictionaries(st.text(max_size=10), values, max_size=3),
)
def test_fuzz_chat_completions_streamed(client, messages: Any, question: str, extra: dict[str, Any]) -> None:
    """Streamed: well-formed enough to start a stream most of the time, so that its insides are exercised."""
    if isinstance(messages, list):
        messages = [*messages, {"role": "user", "content": question}]
    payload = {**extra, "model": "sourced", "messages": messages, "stream": True}
    r = client.post("/v1/chat/completions", content=json.dumps(payload, allow_nan=True).encode("utf-8"))
    check_stream("/v1/chat/completions (stream)", r)


@FUZZ
@given(
    q=questions | st.text(max_size=300),
    extra=st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=20), max_size=3),
)
def test_fuzz_timeline(client, q: str, extra: dict[str, str]) -> None:
    check("/api/timeline", client.get("/api/timeline", params={**extra, "q": q}))


upload_bodies = body(
    st.fixed_dictionaries(
        {},
        optional={
            "source": st.sampled_from(["a.txt", "b.html", "c.pdf", "../x.txt", "", "d"])
            | st.text(max_size=30)
            | values,
            "text": st.text(max_size=300) | values,
            "html": st.text(max_size=300) | values,
            "title": values,
            "published": st.sampled_from(["2024-01-02", "yesterday", ""]) | values,
            "publisher": values,
        },
    )
    | st.lists(st.dictionaries(st.text(max_size=8), values, max_size=4), max_size=3)
)
# Dot segments are left out: the client normalises them away, out of /api/documents/ (into the chat page's routes).
names = (
    st.text(max_size=60)
    | st.sampled_from(["001_f4fb8e769c839d13.txt", "..%2fetc%2fpasswd", "%00", "a/b/c.txt"])
).filter(lambda n: not {".", ".."} & set(n.split("/")))
tokens = st.sampled_from([None, ADMIN, "wrong", ""])


def auth(token: str | None) -> dict[str, str]:
    return {} if token is None else {"authorization": f"Bearer {token}"}


@FUZZ
@given(
    raw=upload_bodies,
    token=tokens,
    ctype=st.sampled_from(["application/json", "multipart/form-data; boundary=x", "text/plain", ""]),
)
def test_fuzz_upload(admin_client, raw: bytes, token: str | None, ctype: str) -> None:
    headers = {**auth(token), "content-type": ctype}
    check("/api/documents (POST)", admin_client.post("/api/documents", content=raw, headers=headers))


@FUZZ
@given(name=names, token=tokens, method=st.sampled_from(["GET", "DELETE"]))
def test_fuzz_documents(admin_client, name: str, token: str | None, method: str) -> None:
    r = admin_client.request(method, f"/api/documents/{quote(name, safe='/')}", headers=auth(token))
    check(f"/api/documents/{{name}} ({method})", r)


@FUZZ
@given(
    token=tokens,
    params=st.dictionaries(st.sampled_from(["offset", "limit", "x"]), st.text(max_size=12), max_size=3),
)
def test_fuzz_catalogue_and_models(admin_client, token: str | None, params: dict[str, str]) -> None:
    check("/api/documents (GET)", admin_client.get("/api/documents", params=params, headers=auth(token)))
    check("/v1/models", admin_client.get("/v1/models", params=params))
    r = admin_client.get(f"/v1/models/{quote(params.get('x', 'sourced'), safe='')}")
    check("/v1/models/{name}", r)


@pytest.mark.parametrize(
    ("route", "raw"),
    [
        ("/api/ask", b'{"question": "\\ud800"}'),  # a lone surrogate reached the tokenizer: 500
        ("/api/ask", b'{"question": "0", "history": [{"role": []}]}'),  # an unhashable role: 500
        ("/api/feedback", b'{"rating": "up", "question": "q", "mode": []}'),  # an unhashable mode: 500
        ("/api/feedback", b'{"rating": "up", "question": "\\ud800", "citations": [{"quote": "\\udfff"}]}'),
        ("/v1/chat/completions", b'{"messages": [{"role": "user", "content": "\\udfff?"}]}'),
    ],
)
def test_what_fuzzing_found(client, route: str, raw: bytes) -> None:
    check(route, client.post(route, content=raw, headers={"content-type": "application/json"}))


@pytest.mark.parametrize(
    "raw",
    [b'{"source": "a.txt", "text": "\\ud800 x"}', b'[{"source": "\\udfff.txt", "html": "<p>\\ud800</p>"}]'],
)
def test_uploads_with_lone_surrogates(admin_client, raw: bytes) -> None:
    headers = {**auth(ADMIN), "content-type": "application/json"}
    check("/api/documents (POST)", admin_client.post("/api/documents", content=raw, headers=headers))
