"""What every route shares: the one error shape, the BadRequest error, and reading a body within a limit."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from app.core.errors import SourcedError

METHOD_NOT_ALLOWED = "This method is not allowed here."


class BadRequest(SourcedError):
    message = "{}"
    status = 400


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The one shape of every API error: {"error": message}."""
    return JSONResponse({"error": message}, status_code=status, headers=headers)


async def read_body(request: Request, limit: int, too_large: SourcedError) -> bytes:
    """The request body, refused with too_large as soon as it passes limit bytes (declared or streamed)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    buf = bytearray()
    async for chunk in request.stream():
        buf += chunk
        if len(buf) > limit:
            raise too_large
    return bytes(buf)
