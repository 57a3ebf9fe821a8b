"""The OpenAI-compatible endpoint: GET /v1/models and POST /v1/chat/completions (streamed or not), so any
OpenAI client (the `openai` SDK, Open WebUI, LibreChat) can use Sourced as a model named `sourced`.

The last user message is the question and earlier user/assistant turns the history; a client's system
messages are ignored, so no client can replace Sourced's prompt. Requests go through the same Service (gate,
rate limit) as /api/ask. The reply's content is the checked answer with its [n] markers and a numbered source
list; the structured citations ride in an extra top-level `citations` field, and `sourced` says whether the
answer was refused, which engine wrote it and what was removed."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from app.answer import Service
from app.core.errors import INTERNAL, SourcedError
from app.core.settings import Settings
from app.core.types import Answer
from app.web.auth import client_of
from app.web.schemas import SSE, SSE_EVENT, ChatCompletion, ChatRequest, ModelList, json_body, responses
from app.web.schemas import Model as ModelBody

log = logging.getLogger("sourced")
MODEL = "sourced"
PIECE_CHARS = 40  # characters of the checked answer per streamed chunk
KEEPALIVE_SECONDS = 5.0  # while the model writes, an SSE comment at most this often keeps proxies patient
SOURCES = "Sources:"
_OUR_SOURCES = re.compile(rf"\n\n{SOURCES}\n(?:\[\d+\][^\n]*(?:\n|$))+\s*$")
_ERROR_TYPES = {401: "authentication_error", 429: "rate_limit_error"}
_ERROR_CODES = {401: "invalid_api_key", 429: "rate_limit_exceeded"}

NOT_JSON = (
    'The request body must be JSON: {"model": "sourced", "messages": [{"role": "user", "content": "..."}]}.'
)
BAD_MESSAGES = 'messages must be a list of {"role", "content"} objects ending with a user message.'
TOO_LARGE = "The request is too large (at most {} bytes)."
STREAMED = 'The completion, or with "stream": true its server-sent events.'
BAD_OPTIONS = '"model" must be a string, "stream" true or false, "stream_options" an object.'
UNKNOWN_MODEL = "The model does not exist: this server offers one model, sourced."


class BadChat(SourcedError):
    message = "{}"
    status = 400


def _error_body(status: int, message: str) -> dict[str, Any]:
    kind = _ERROR_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": kind, "param": None, "code": _ERROR_CODES.get(status)}}


def openai_error(status: int, message: str) -> JSONResponse:
    """OpenAI's error shape, with one of Sourced's fixed messages."""
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(_error_body(status, message), status_code=status, headers=headers)


def is_openai_path(path: str) -> bool:
    return path == "/v1" or path.startswith("/v1/")


@dataclass(frozen=True)
class Chat:
    """A chat request as Sourced answers it."""

    question: str
    history: list[dict[str, str]]
    stream: bool
    include_usage: bool


def _text(content: Any) -> str | None:
    """A message's text: a string, or the text parts of a list of content parts (images are ignored)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        return "\n".join(p for p in parts if isinstance(p, str))
    return None


def _turns(messages: Any) -> list[dict[str, str]]:
    """User and assistant turns; system, developer and tool messages are dropped (our prompt is fixed)."""
    if not isinstance(messages, list) or not messages:
        raise BadChat(BAD_MESSAGES)
    turns = []
    for m in messages:
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            raise BadChat(BAD_MESSAGES)
        if not isinstance(m.get("content"), str | list | None):  # malformed whatever the role
            raise BadChat(BAD_MESSAGES)
        if m["role"] not in ("user", "assistant"):
            continue
        text = _text(m.get("content"))
        if text is None:
            raise BadChat(BAD_MESSAGES)
        if m["role"] == "assistant":
            text = _OUR_SOURCES.sub("", text)  # our own source list, sent back by the client
        turns.append({"role": m["role"], "content": text})
    return turns


def _fit(history: list[dict[str, str]], settings: Settings) -> list[dict[str, str]]:
    """The newest turns within the history limits (a client sends the whole conversation every time)."""
    kept: list[dict[str, str]] = []
    total = 0
    for m in reversed(history[-settings.max_history_turns :]):
        total += len(m["content"])
        if total > settings.max_history_chars:
            break
        kept.append(m)
    return kept[::-1]


def parse_chat(raw: bytes, settings: Settings) -> Chat:
    """The question, history and streaming options of a request, or a BadChat saying what is wrong."""
    if len(raw) > settings.api_max_body_bytes:
        raise BadChat(TOO_LARGE.format(settings.api_max_body_bytes))
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadChat(NOT_JSON) from None
    if not isinstance(data, dict):
        raise BadChat(NOT_JSON)
    turns = _turns(data.get("messages"))
    if not turns or turns[-1]["role"] != "user":
        raise BadChat(BAD_MESSAGES)
    options = data.get("stream_options")
    if (
        not isinstance(data.get("model"), str | None)
        or not isinstance(data.get("stream"), bool | None)  # 0 is not false
        or not isinstance(options, dict | None)
        or not isinstance((options or {}).get("include_usage"), bool | None)
    ):
        raise BadChat(BAD_OPTIONS)
    return Chat(
        question=turns[-1]["content"],
        history=_fit(turns[:-1], settings),
        stream=data.get("stream") is True,
        include_usage=isinstance(options, dict) and options.get("include_usage") is True,
    )


def content(a: Answer) -> str:
    """The answer with its [n] markers, then a short numbered source list."""
    if not a.citations:
        return a.answer
    lines = []
    for c in a.citations:
        where = ", ".join(x for x in (c.publisher, c.published) if x)
        lines.append(f"[{c.id}] {c.title or c.source}{f' — {where}' if where else ''}")
    return f"{a.answer}\n\n{SOURCES}\n" + "\n".join(lines)


def extras(a: Answer) -> dict[str, Any]:
    """The structured citations and Sourced's own fields, added to the top level of a response."""
    citations = [
        {
            k: getattr(c, k)
            for k in ("id", "source", "title", "publisher", "published", "quote", "start", "end")
        }
        for c in a.citations
    ]
    return {"citations": citations, "sourced": {"refused": a.refused, "mode": a.mode, "warnings": a.warnings}}


_USAGE = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}  # not counted


def completion(a: Answer, cid: str, created: int) -> dict[str, Any]:
    message = {"role": "assistant", "content": content(a)}
    return {
        "id": cid,
        "object": "chat.completion",
        "created": created,
        "model": MODEL,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}],
        "usage": _USAGE,
        **extras(a),
    }


def chunk(cid: str, created: int, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
    return {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": created,
        "model": MODEL,
        "choices": [choice],
    }


def _sse(data: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def pieces(text: str, size: int = PIECE_CHARS) -> list[str]:
    """The text in pieces of about `size` characters, cut after spaces."""
    out, cur = [], ""
    for word in re.findall(r"\S+\s*|\s+", text):
        cur += word
        if len(cur) >= size:
            out.append(cur)
            cur = ""
    return out + [cur] if cur else out


async def events(
    first: tuple[str, Answer | None],
    rest: AsyncGenerator[tuple[str, Answer | None], None],
    chat: Chat,
    cid: str,
    created: int,
) -> AsyncIterator[bytes]:
    """SSE: the role at once, keep-alive comments while the model writes, then the checked answer.

    OpenAI clients can only append, so the model's unchecked text is never sent: a removed claim cannot be
    taken back once shown. The final chunk carries the citations."""
    yield _sse(chunk(cid, created, {"role": "assistant", "content": ""}))
    item, pinged = first, time.monotonic()
    try:
        while item[1] is None or item[1].draft:  # only the checked final answer is sent
            if time.monotonic() - pinged >= KEEPALIVE_SECONDS:
                yield b": checking\n\n"
                pinged = time.monotonic()
            item = await anext(rest)
        a = item[1]
        for piece in pieces(content(a)):
            yield _sse(chunk(cid, created, {"content": piece}))
        yield _sse({**chunk(cid, created, {}, "stop"), **extras(a)})
        if chat.include_usage:
            yield _sse({**chunk(cid, created, {}), "choices": [], "usage": _USAGE})
    except SourcedError as exc:
        yield _sse(_error_body(exc.status, str(exc)))
    except Exception:  # noqa: BLE001 - the stream has started: end it with the fixed message
        log.exception("streamed chat completion failed")
        yield _sse(_error_body(500, INTERNAL))
    finally:
        with anyio.CancelScope(shield=True):  # a client that hangs up must still release the answer slot
            await rest.aclose()
    yield b"data: [DONE]\n\n"


def _model() -> dict[str, Any]:
    return {"id": MODEL, "object": "model", "created": 0, "owned_by": "sourced"}


def build_router(service: Service) -> APIRouter:
    """The /v1 routes, answering through the service."""
    router = APIRouter(prefix="/v1", tags=["openai"])
    settings = service.settings

    @router.get("/models", responses=responses(ModelList, 401, openai=True))
    async def models() -> JSONResponse:
        return JSONResponse({"object": "list", "data": [_model()]})

    @router.get("/models/{name}", responses=responses(ModelBody, 401, 404, openai=True))
    async def model(name: str) -> JSONResponse:
        return JSONResponse(_model()) if name == MODEL else openai_error(404, UNKNOWN_MODEL)

    @router.post(
        "/chat/completions",
        responses=responses(
            ChatCompletion,
            400,
            401,
            429,
            503,
            openai=True,
        )
        | {
            200: {
                "model": ChatCompletion,
                "content": {SSE: {"schema": SSE_EVENT}},
                "description": STREAMED,
            }
        },
        openapi_extra=json_body(ChatRequest),
    )
    async def chat_completions(request: Request) -> Response:
        cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        try:
            chat = parse_chat(await request.body(), settings)
            if not chat.stream:
                a = await service.ask(chat.question, chat.history, client_of(request))
                return JSONResponse(completion(a, cid, created))
            rest = service.stream(chat.question, chat.history, client_of(request))
            first = await anext(rest)  # a refusal to answer (busy, rate limit, bad question) is a plain error
        except SourcedError as exc:
            return openai_error(exc.status, str(exc))
        return StreamingResponse(
            events(first, rest, chat, cid, created),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @router.api_route(
        "/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False
    )
    async def elsewhere(rest: str) -> JSONResponse:
        """Anything else under /v1 (the chat page mounted at / would answer it otherwise)."""
        return openai_error(404, "Not found.")

    return router
