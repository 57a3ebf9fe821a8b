"""POST /api/feedback (anyone who got an answer, within the rate limit) and GET /api/feedback (the admin)."""

from __future__ import annotations

import json

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.answer import Service
from app.core.errors import BadFeedback
from app.core.settings import Settings
from app.feedback import FeedbackLog, parse_feedback
from app.web.auth import require_admin
from app.web.clients import Network, client_key
from app.web.http import BadRequest, read_body
from app.web.schemas import FeedbackList, FeedbackRequest, FeedbackSaved, json_body, responses


def body_limit(settings: Settings) -> int:
    """Largest feedback body: its text limits, UTF-8 and JSON-escaped, plus citations."""
    text = (
        settings.max_question_chars + settings.max_feedback_answer_chars + settings.max_feedback_comment_chars
    )
    return 6 * text + 12_000 * settings.max_feedback_citations + 4096


def feedback_router(settings: Settings, service: Service, log: FeedbackLog, nets: list[Network]) -> APIRouter:
    router = APIRouter()

    @router.post(
        "/api/feedback",
        responses=responses(FeedbackSaved, 400, 401, 429, 503),
        openapi_extra=json_body(FeedbackRequest),
    )
    async def give(request: Request) -> JSONResponse:
        service.rate.check(
            client_key(
                request.client.host if request.client else None, request.headers.get("x-forwarded-for"), nets
            )
        )
        raw = await read_body(request, body_limit(settings), BadRequest("The feedback is too large."))
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise BadFeedback(settings.max_feedback_comment_chars) from None
        fb = parse_feedback(data, settings)
        return JSONResponse({"ok": True, "id": await anyio.to_thread.run_sync(log.add, fb)})

    @router.get("/api/feedback", responses=responses(FeedbackList, 400, 401, 403, 503))
    async def items(
        request: Request, offset: int = 0, limit: int = 100, rating: str | None = None
    ) -> JSONResponse:
        """Newest first (only "up" or "down" ratings with ?rating=), with the counts per day."""
        require_admin(request, settings)
        limit, offset = max(0, min(limit, 1000)), max(0, offset)
        only = rating if rating in ("up", "down") else None
        got = await anyio.to_thread.run_sync(
            lambda: (log.count(only), list(log.items(limit, offset, only)), log.days())
        )
        return JSONResponse({"total": got[0], "items": got[1], "days": got[2]})

    return router
