"""One FastAPI app: POST /api/ask, GET /api/timeline?q=, the OpenAI-compatible /v1, the archive (/api/documents),
feedback (/api/feedback), the admin page (/admin), GET /healthz, GET /widget.js, and the Gradio chat mounted at /.
With api_keys set, /api/* and /v1/* need a bearer token."""

from __future__ import annotations

import json
import logging
import os
import re
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
from fastapi import FastAPI, Request  # noqa: E402
from fastapi.exceptions import RequestValidationError  # noqa: E402
from fastapi.middleware.cors import CORSMiddleware  # noqa: E402
from fastapi.responses import JSONResponse, Response  # noqa: E402
from starlette.exceptions import HTTPException  # noqa: E402

from app.answer import Deps, Service  # noqa: E402
from app.core.errors import INTERNAL, BadHistory, SourcedError, Unauthorized  # noqa: E402
from app.core.settings import Settings  # noqa: E402
from app.feedback import FeedbackLog  # noqa: E402
from app.ingest import Archive  # noqa: E402
from app.web.admin import admin_router  # noqa: E402
from app.web.auth import authorised, client_of, protected, require_key  # noqa: E402
from app.web.clients import networks  # noqa: E402
from app.web.documents import documents_router  # noqa: E402
from app.web.feedback import feedback_router  # noqa: E402
from app.web.http import METHOD_NOT_ALLOWED, BadRequest, error  # noqa: E402
from app.web.logs import install_redaction  # noqa: E402
from app.web.openai_api import build_router, is_openai_path, openai_error  # noqa: E402
from app.web.schemas import (  # noqa: E402
    AnswerBody,
    AskRequest,
    Health,
    TimelineBody,
    allowed_methods,
    json_body,
    responses,
)
from app.web.theme import CSS, HEAD, theme  # noqa: E402
from app.web.ui import build_ui  # noqa: E402
from app.web.widget import WIDGET_JS  # noqa: E402

log = logging.getLogger("sourced")
# Gradio routes this app has no use for: monitoring, uploads, file serving, MCP, run history.
BLOCKED = (
    "/monitoring",
    "/gradio_api/upload",
    "/gradio_api/file=",
    "/gradio_api/mcp",
    "/gradio_api/runs",
    "/gradio_api/monitoring",
    "/file=",
    "/upload",
    "/openapi.json",
    "/docs",
    "/redoc",
)


def fail(status: int, message: str, path: str = "") -> JSONResponse:
    """Every API error in one shape: {"error": message}, or OpenAI's shape under /v1."""
    if is_openai_path(path):
        return openai_error(status, message)
    return error(status, message, {"WWW-Authenticate": "Bearer"} if status == 401 else None)


EXPLAIN_FLAG = '"explain" must be true or false.'


def body_limit(settings: Settings) -> int:
    """Largest /api/ask body accepted: the named text limits, UTF-8 and JSON-escaped, plus room for structure."""
    return (
        6 * (settings.max_question_chars + settings.max_history_chars)
        + 64 * settings.max_history_turns
        + 4096
    )


def parse_ask(raw: bytes, settings: Settings) -> tuple[Any, Any]:
    """Question and history from a request body, or a BadRequest with a clear reason."""
    question, history, _ = parse_ask_full(raw, settings)
    return question, history


def parse_ask_full(raw: bytes, settings: Settings) -> tuple[Any, Any, bool]:
    """Question, history and whether an explanation is asked for ("explain": true)."""
    if len(raw) > body_limit(settings):
        raise BadRequest(
            f"The request is too large: questions take at most {settings.max_question_chars} characters "
            f"and the history at most {settings.max_history_chars}."
        )
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest('The request body must be JSON: {"question": "...", "history": []}.') from None
    if not isinstance(data, dict):
        raise BadRequest('The request body must be a JSON object: {"question": "...", "history": []}.')
    history = data.get("history")
    history = [] if history is None else history
    if not isinstance(history, list):  # {} or "" is a malformed history, not an empty one
        raise BadHistory()
    if not isinstance(data.get("explain"), bool | None):  # 0 is not false
        raise BadRequest(EXPLAIN_FLAG)
    if (
        isinstance(history, list)
        and sum(
            len(m.get("content") or "") if isinstance(m, dict) and isinstance(m.get("content"), str) else 0
            for m in history
        )
        > settings.max_history_chars
    ):
        raise BadRequest(
            f"The conversation is too long (at most {settings.max_history_chars} characters). "
            "Start a new chat."
        )
    return data.get("question"), history, data.get("explain") is True


def _method_refused(request: Request, table: list[tuple[re.Pattern[str], frozenset[str]]]) -> Response | None:
    """405 with an Allow header for a method an API path does not take (else the chat page mounted at /
    would answer it with its own 404); None when the method is allowed or the path is not the API's. A CORS
    preflight is left to the CORS middleware."""
    if request.method == "OPTIONS" and "access-control-request-method" in request.headers:
        return None
    path = request.url.path
    allowed = [m for pattern, m in table if pattern.fullmatch(path)]
    if not allowed and (path == "/api" or path.startswith("/api/")):
        return error(404, "Not found.")  # the API's shape, not the chat page's
    if not allowed or any(request.method in m for m in allowed):
        return None
    response = fail(405, METHOD_NOT_ALLOWED, path)
    response.headers["Allow"] = ", ".join(sorted(set().union(*allowed)))
    return response


def create_app(settings: Settings, deps: Deps | None = None) -> FastAPI:
    """The whole server; deps are loaded here once unless given (tests)."""
    service = Service(settings, deps)
    nets = networks(settings.trusted_proxies)
    archive = Archive(settings, service.deps.embedder if service.deps else None)
    app = FastAPI(title="Sourced", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.service = service
    app.state.trusted_networks = nets  # read by auth.client_of
    # Always configured, so Gradio adds no CORS of its own; empty by default: no foreign origin is granted.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST"],
        allow_headers=["content-type", "authorization"],
        allow_credentials=False,
    )

    methods: list[tuple[re.Pattern[str], frozenset[str]]] = []  # each API path's methods, filled below

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Response:
        path = request.url.path
        if any(path.startswith(b) for b in BLOCKED):
            return error(404, "Not found.")
        # CORS preflights carry no credentials; the request that follows them does.
        if request.method != "OPTIONS" and protected(path):
            if not authorised(request.headers.get("authorization"), settings):
                return fail(401, Unauthorized.message, path)
        if refused := _method_refused(request, methods):
            return refused
        try:
            return await call_next(request)
        except Exception:  # noqa: BLE001 - never show a trace
            log.exception("request failed: %s %s", request.method, path)
            return fail(500, INTERNAL, path)

    @app.exception_handler(SourcedError)
    async def on_sourced(request: Request, exc: SourcedError) -> JSONResponse:
        return fail(exc.status, str(exc), request.url.path)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, __: RequestValidationError) -> JSONResponse:
        return fail(400, "The request is malformed.", request.url.path)

    @app.exception_handler(HTTPException)
    async def on_http(request: Request, exc: HTTPException) -> JSONResponse:
        message = "Not found." if exc.status_code == 404 else "The request was refused."
        return fail(exc.status_code, message, request.url.path)

    @app.get("/healthz", responses={200: {"model": Health}, 503: {"model": Health}})
    async def healthz() -> JSONResponse:
        # The index loaded and, in server mode, the Chroma server answering (StoreUnavailable's message when not).
        problem = await service.health()
        if problem is not None or service.deps is None:
            return JSONResponse({"status": "unavailable", "error": problem or INTERNAL}, status_code=503)
        engine = service.deps.llm.mode if service.deps.llm else "extractive"
        return JSONResponse({"status": "ok", "engine": engine})

    @app.post(
        "/api/ask",
        responses=responses(AnswerBody, 400, 401, 403, 429, 503),
        openapi_extra=json_body(AskRequest),
    )
    async def ask(request: Request) -> JSONResponse:
        question, history, explain = parse_ask_full(await request.body(), settings)
        if explain:  # the admin token or an API key: never for anonymous readers
            require_key(request, settings)
            result, why = await service.explained(question, history, client_of(request))
            return JSONResponse({**result.to_dict(), "explain": why})
        result = await service.ask(question, history, client_of(request))
        return JSONResponse(result.to_dict())

    app.include_router(build_router(service))

    @app.get("/api/timeline", responses=responses(TimelineBody, 400, 401, 429, 503))
    async def timeline(request: Request, q: str = "") -> JSONResponse:
        result = await service.timeline(q, client_of(request))
        return JSONResponse(result.to_dict())

    @app.get("/widget.js")
    async def widget() -> Response:
        return Response(
            WIDGET_JS,
            media_type="application/javascript; charset=utf-8",
            headers={"Cache-Control": "public, max-age=300"},
        )

    app.include_router(documents_router(settings, service, archive))
    app.include_router(feedback_router(settings, service, FeedbackLog.for_settings(settings), nets))
    app.include_router(admin_router())
    methods.extend(allowed_methods(app))
    blocks = build_ui(service, nets)
    return gr.mount_gradio_app(
        app,
        blocks,
        path="/",
        show_error=False,
        enable_monitoring=False,
        footer_links=[],
        run_history=False,
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
        max_file_size=1,
        theme=theme(),
        css=CSS,
        head=HEAD,
    )


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    """Run the server with uvicorn until interrupted."""
    import uvicorn

    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
        proxy_headers=False,
        server_header=False,
    )
    install_redaction(settings)  # after uvicorn has set up its loggers
    if app.state.service.error:
        log.warning("serving without an index: %s", app.state.service.error)
    uvicorn.Server(config).run()
