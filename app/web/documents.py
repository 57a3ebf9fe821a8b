"""The archive over HTTP: POST, GET and DELETE /api/documents. Writes need the admin token; reads too unless
SOURCED_PUBLIC_DOCUMENTS is set. Every file name and body a client sends is checked by app.ingest."""

from __future__ import annotations

import json
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from app.answer import Service
from app.core.errors import BadUpload, UploadTooLarge
from app.core.settings import Settings
from app.ingest import Archive, Upload, posted
from app.web.auth import require_admin
from app.web.http import BadRequest, read_body
from app.web.schemas import (
    UPLOAD_BODY,
    Catalogue,
    DocumentBody,
    Removed,
    UploadError,
    UploadReport,
    responses,
)

POST_SHAPE = 'multipart files, or JSON {"source": "name.txt", "text" | "html": "...", "title"?, "published"?, "publisher"?}'


async def parse_uploads(request: Request, settings: Settings) -> list[Upload]:
    """The articles in an upload request (multipart files or CMS JSON), within the size and count limits."""
    too_large = UploadTooLarge(settings.max_upload_bytes, settings.max_upload_files)
    body = await read_body(request, settings.max_upload_bytes, too_large)
    ctype = request.headers.get("content-type", "").lower()
    if ctype.startswith("multipart/form-data"):
        uploads = await _multipart(request, body, settings)
    elif ctype.startswith("application/json"):
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise BadRequest(f"The request body must be {POST_SHAPE}.") from None
        uploads = [posted(x) for x in (data if isinstance(data, list) else [data])]
    else:
        raise BadRequest(f"Send {POST_SHAPE}.")
    if not uploads:
        raise BadRequest(f"No article in the request: send {POST_SHAPE}.")
    if len(uploads) > settings.max_upload_files:
        raise too_large
    return uploads


async def _multipart(request: Request, body: bytes, settings: Settings) -> list[Upload]:
    async def replay() -> dict[str, Any]:  # the body, already read within the limit, parsed from memory
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(request.scope, replay).form(
            max_files=settings.max_upload_files, max_fields=10, max_part_size=64 * 1024
        )
    except HTTPException:
        raise BadRequest(
            f"The upload is malformed or has more than {settings.max_upload_files} files."
        ) from None
    try:
        files = [v for _, v in form.multi_items() if isinstance(v, UploadFile)]
        return [Upload(f.filename or "", await f.read()) for f in files]
    finally:
        await form.close()


def documents_router(settings: Settings, service: Service, archive: Archive) -> APIRouter:
    """The four archive routes, bound to one archive and the answering service (refreshed after writes)."""
    router = APIRouter()

    def reader(request: Request) -> None:
        if not settings.public_documents:
            require_admin(request, settings)

    @router.post(
        "/api/documents",
        responses=responses(
            UploadReport, 401, 403, 409, 503, more={400: {"model": UploadError}, 413: {"model": UploadError}}
        ),
        openapi_extra=UPLOAD_BODY,
    )
    async def upload(request: Request) -> JSONResponse:
        require_admin(request, settings)
        uploads = await parse_uploads(request, settings)
        report = await anyio.to_thread.run_sync(archive.add, uploads)
        if report.accepted:
            await anyio.to_thread.run_sync(service.reload)
            return JSONResponse(report.as_dict())
        return JSONResponse({"error": BadUpload.message, **report.as_dict()}, status_code=BadUpload.status)

    @router.get("/api/documents", responses=responses(Catalogue, 400, 401, 403, 503))
    async def catalogue(request: Request, offset: int = 0, limit: int = 10_000) -> JSONResponse:
        reader(request)
        docs = await anyio.to_thread.run_sync(archive.catalogue)
        page = docs[max(0, offset) : max(0, offset) + max(0, min(limit, 10_000))]
        return JSONResponse({"total": len(docs), "documents": page})

    @router.get("/api/documents/{source:path}", responses=responses(DocumentBody, 401, 403, 404, 503))
    async def document(request: Request, source: str) -> JSONResponse:
        reader(request)
        return JSONResponse(await anyio.to_thread.run_sync(archive.get, source))

    @router.delete("/api/documents/{source:path}", responses=responses(Removed, 401, 403, 404, 409, 503))
    async def remove(request: Request, source: str) -> JSONResponse:
        require_admin(request, settings)
        await anyio.to_thread.run_sync(archive.remove, source)
        await anyio.to_thread.run_sync(service.reload)
        return JSONResponse({"removed": source})

    return router
