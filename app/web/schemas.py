"""The HTTP API's OpenAPI description: the shape of every request body the routes read and of every response
they send, as pydantic models. The routes parse their bodies themselves (so a bad one gets its own fixed
message, not a validation dump); these models describe what they accept and return, and the schema built here is
what Schemathesis fuzzes a live server against (tests/test_schemathesis.py). It is not served (/openapi.json is
blocked: nothing advertises the API to strangers); `openapi_schema(app)` builds it."""

from __future__ import annotations

import re
from typing import Any, Literal

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

# Something besides whitespace, as Python's str.strip() sees it: its whitespace spelled out, since \s differs
# between regex dialects (ECMA's, which JSON Schema names, leaves out \x1c-\x1f and \x85 and adds \ufeff).
VISIBLE = "[^\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"

# ---- requests (described, parsed by the routes themselves) -------------------------------------------------


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str  # the history is trimmed to max_history_chars (oldest turns first), at most 20,000 sent


class AskRequest(BaseModel):
    """POST /api/ask. "explain": true needs the admin token or an API key (else 403)."""

    question: str = Field(min_length=1, max_length=1000, pattern=VISIBLE)
    history: list[Turn] | None = None
    explain: bool | None = False


class FeedbackCitation(BaseModel):
    id: int | None = None
    source: str | None = None
    title: str | None = None
    publisher: str | None = None
    published: str | None = None
    quote: str | None = None  # a citation is kept if its JSON is at most 10,000 characters
    start: int | None = None
    end: int | None = None


class FeedbackRequest(BaseModel):
    """POST /api/feedback."""

    rating: Literal["up", "down"]
    question: str = Field(min_length=1, max_length=1000, pattern=VISIBLE)
    answer: str | None = Field("", max_length=20_000)
    comment: str | None = Field("", max_length=2000)
    mode: Literal["", "extractive", "llm", "local"] | None = ""
    citations: list[FeedbackCitation] | None = Field(default_factory=list, max_length=50)
    answer_id: str | None = Field(None, pattern=r"^[0-9a-f]{32}$")


class ChatMessage(BaseModel):
    """A user or assistant turn (the last one the user's question, at most 1,000 characters); other roles
    (system, developer, tool) are ignored: no client replaces Sourced's prompt."""

    role: str
    content: str | list[Any] | None = None  # text, or content parts whose {"type": "text"} ones are read


class StreamOptions(BaseModel):
    include_usage: bool | None = False


class ChatRequest(BaseModel):
    """POST /v1/chat/completions: the last message must be the user's question."""

    model: str | None = "sourced"
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool | None = False
    stream_options: StreamOptions | None = None


class PostedArticle(BaseModel):
    """One article a CMS posts as JSON to POST /api/documents: "text" or "html", not both."""

    source: str = Field(min_length=1, max_length=120)
    text: str | None = None
    html: str | None = None
    title: str | None = Field(None, max_length=300)
    published: str | None = None
    publisher: str | None = Field(None, max_length=300)


class UploadForm(BaseModel):
    """Multipart upload to POST /api/documents: one or more files under any field name (here "files")."""

    files: list[bytes] = Field(json_schema_extra={"items": {"type": "string", "format": "binary"}})


# ---- responses (the models every response of the routes conforms to) ---------------------------------------


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(Strict):
    """Every /api error: one fixed message."""

    error: str


class Citation(Strict):
    id: int
    source: str
    title: str
    published: str | None
    quote: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    publisher: str | None = None


class Figure(Strict):
    value: str
    citation: int
    publisher: str | None = None


class Disagreement(Strict):
    subject: str
    figures: list[Figure]


class AnswerBody(Strict):
    question: str
    answer: str
    refused: bool
    mode: Literal["extractive", "llm", "local"]
    citations: list[Citation]
    warnings: list[str]
    disagreements: list[Disagreement]
    explain: dict[str, Any] | None = Field(
        None, description="Only with explain: true (admin token or API key)."
    )


class TimelineEvent(Strict):
    date: str
    grain: Literal["day", "week", "month", "year"]
    label: str
    citation: Citation


class TimelineBody(Strict):
    query: str
    events: list[TimelineEvent]
    undated: int = Field(ge=0)
    warnings: list[str]


class DocumentSummary(Strict):
    source: str
    title: str
    publisher: str | None
    published: str | None
    passages: int = Field(ge=0)
    hash: str
    added: str | None
    managed: bool
    file: str | None


class Catalogue(Strict):
    total: int = Field(ge=0)
    documents: list[DocumentSummary]


class Passage(Strict):
    id: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str


class DocumentBody(Strict):
    """One article: its text (what citation offsets index into) and its passages."""

    source: str
    title: str
    publisher: str | None
    published: str | None
    passages: list[Passage]
    hash: str
    added: str | None
    managed: bool
    file: str | None
    text: str


class Accepted(Strict):
    name: str
    source: str
    status: Literal["added", "updated", "unchanged"]


class Refused(Strict):
    name: str
    reason: str


class UploadReport(Strict):
    added: int = Field(ge=0)
    updated: int = Field(ge=0)
    unchanged: int = Field(ge=0)
    documents: list[Accepted]
    refused: list[Refused]


class UploadError(Strict):
    """A refused upload: the fixed message, with the reason for each file when the request itself was sound."""

    error: str
    added: int | None = None
    updated: int | None = None
    unchanged: int | None = None
    documents: list[Accepted] | None = None
    refused: list[Refused] | None = None


class Removed(Strict):
    removed: str


class FeedbackSaved(Strict):
    ok: Literal[True]
    id: int


class FeedbackItem(Strict):
    id: int
    created: str
    rating: Literal["up", "down"]
    comment: str
    question: str
    answer: str
    citations: list[dict[str, Any]]
    mode: str


class FeedbackDay(Strict):
    day: str
    up: int
    down: int


class FeedbackList(Strict):
    total: int = Field(ge=0)
    items: list[FeedbackItem]
    days: list[FeedbackDay]


class Model(Strict):
    id: Literal["sourced"]
    object: Literal["model"]
    created: int
    owned_by: str


class ModelList(Strict):
    object: Literal["list"]
    data: list[Model]


class OpenAIErrorDetail(Strict):
    message: str
    type: str
    param: None
    code: str | None


class OpenAIError(Strict):
    """Every /v1 error, in OpenAI's shape."""

    error: OpenAIErrorDetail


class ChatReply(Strict):
    role: Literal["assistant"]
    content: str


class ChatChoice(Strict):
    index: int
    message: ChatReply
    finish_reason: Literal["stop"]
    logprobs: None


class Usage(Strict):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCitation(Strict):
    id: int
    source: str
    title: str
    publisher: str | None
    published: str | None
    quote: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class SourcedExtras(Strict):
    refused: bool
    mode: Literal["extractive", "llm", "local"]
    warnings: list[str]


class ChatCompletion(Strict):
    id: str = Field(pattern=r"^chatcmpl-[0-9a-f]{32}$")
    object: Literal["chat.completion"]
    created: int
    model: Literal["sourced"]
    choices: list[ChatChoice] = Field(min_length=1, max_length=1)
    usage: Usage
    citations: list[ChatCitation]
    sourced: SourcedExtras


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    engine: str | None = None
    error: str | None = None


REQUEST_MODELS: list[type[BaseModel]] = [AskRequest, FeedbackRequest, ChatRequest, PostedArticle, UploadForm]
SSE = "text/event-stream"
# One server-sent event of a streamed completion: its data a JSON chunk (the role, pieces of the checked answer,
# the last with the citations), an error in OpenAI's shape, or [DONE]; ": checking" comments keep proxies patient.
SSE_EVENT: dict[str, Any] = {
    "type": "object",
    "properties": {"event": {"type": "string"}, "data": {"type": "string"}, "id": {"type": "string"}},
    "required": ["data"],
}


def json_body(model: type[BaseModel], *, required: bool = True, extra: dict[str, Any] | None = None) -> dict:
    """openapi_extra describing a JSON request body of `model` (the route reads the raw body itself)."""
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}
    return {"requestBody": {"required": required, "content": {**content, **(extra or {})}}}


def responses(
    ok: type[BaseModel] | None, *errors: int, openai: bool = False, more: dict[int | str, Any] | None = None
) -> dict:
    """The `responses` of a route: its 200 model and each error status with the error shape of its prefix."""
    err = OpenAIError if openai else ErrorBody
    out: dict[int | str, Any] = {status: {"model": err} for status in errors}
    if ok is not None:
        out[200] = {"model": ok}
    out.update(more or {})
    return out


UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "anyOf": [
                        {"$ref": "#/components/schemas/PostedArticle"},
                        {"type": "array", "items": {"$ref": "#/components/schemas/PostedArticle"}},
                    ]
                }
            },
            "multipart/form-data": {"schema": {"$ref": "#/components/schemas/UploadForm"}},
        },
    }
}

BEARER = {"bearer": {"type": "http", "scheme": "bearer"}}


def openapi_schema(app: FastAPI) -> dict[str, Any]:
    """The API's OpenAPI document (the JSON routes only: not the chat page, the admin page or the widget)."""
    doc = get_openapi(title="Sourced", version="1", routes=app.routes)
    doc["paths"] = {
        k: v for k, v in doc.get("paths", {}).items() if k.startswith(("/api/", "/v1/", "/healthz"))
    }
    _, defs = models_json_schema(
        [(m, "validation") for m in REQUEST_MODELS], ref_template="#/components/schemas/{model}"
    )
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(defs.get("$defs", {}))
    # FastAPI adds a 422 to routes with parameters; this app answers 400 instead ("The request is malformed.").
    for ops in doc.get("paths", {}).values():
        for op in ops.values():
            resp = op.get("responses", {})
            if "422" in resp:
                del resp["422"]
                resp.setdefault("400", {"description": "Bad request", **_err_content(op)})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    doc["components"]["securitySchemes"] = BEARER
    for param in doc["paths"]["/api/timeline"]["get"]["parameters"]:
        if param["name"] == "q":  # the subject: required, like a question
            param["required"] = True
            param["schema"] = {"type": "string", "minLength": 1, "maxLength": 1000, "pattern": VISIBLE}
    for path, ops in doc["paths"].items():  # the admin token: the archive and the feedback listing
        for method, op in ops.items():
            if path.startswith("/api/documents") or (path == "/api/feedback" and method == "get"):
                op["security"] = [{"bearer": []}]
    doc["servers"] = [{"url": "/"}]
    return doc


def allowed_methods(app: FastAPI) -> list[tuple[re.Pattern[str], frozenset[str]]]:
    """Each API path of the OpenAPI document as a pattern (a parameter may hold slashes: {source:path}) and
    the methods it takes."""
    out = []
    for path, ops in openapi_schema(app)["paths"].items():
        parts = re.split(r"\{[^}]+\}", path)
        pattern = re.compile(".+".join(re.escape(p) for p in parts))
        out.append((pattern, frozenset(m.upper() for m in ops)))
    return out


def _err_content(op: dict[str, Any]) -> dict[str, Any]:
    name = "OpenAIError" if any(t == "openai" for t in op.get("tags", [])) else "ErrorBody"
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}}


def main() -> None:
    """Print the OpenAPI document (make openapi writes it to docs/openapi.json)."""
    import json
    import sys
    import tempfile
    from pathlib import Path

    from app.core.settings import Settings
    from app.web.api import create_app

    with tempfile.TemporaryDirectory() as tmp:  # no index needed: only the routes are read
        over = {"index_dir": Path(tmp) / "index", "feedback_path": Path(tmp) / "f.sqlite3"}
        app = create_app(Settings(**over))  # type: ignore[arg-type]
        json.dump(openapi_schema(app), sys.stdout, indent=1, ensure_ascii=False, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
