"""The fixed, user-facing messages. Nothing internal (paths, traces, upstream bodies) reaches a user."""

from __future__ import annotations


class SourcedError(Exception):
    """An error whose message is safe to show to a user as is."""

    message = "Something went wrong. Please try again."
    status = 500

    def __init__(self, *args: object) -> None:
        super().__init__(self.message.format(*args) if args else self.message)


class IndexMissing(SourcedError):
    message = "No index found. Build it first with: sourced ingest"
    status = 503


class IndexMismatch(SourcedError):
    message = "The index was built with embedding model {} but this configuration uses {}. Rebuild it: sourced ingest --rebuild"
    status = 503


class IndexBusy(SourcedError):
    message = "Another ingest is running on this index; wait for it to finish."
    status = 409


class IndexCorrupt(SourcedError):
    message = "The index is damaged and cannot be read. Rebuild it: sourced ingest --rebuild"
    status = 503


class StoreUnavailable(SourcedError):
    """The Chroma server (CHROMA_HOST) cannot be reached; readers and /healthz recover when it is back."""

    message = "The archive is temporarily unavailable; please try again shortly."
    status = 503


class BadQuestion(SourcedError):
    message = "Please ask a question (at most {} characters)."
    status = 400


class BadHistory(SourcedError):
    message = "The conversation history is malformed: it must be a list of messages with a role and content."
    status = 400


class Busy(SourcedError):
    message = "Sourced is busy answering other questions. Please try again in a moment."
    status = 503


class Unauthorized(SourcedError):
    message = "A valid API key is required: send it as the header 'Authorization: Bearer <key>'."
    status = 401


class RateLimited(SourcedError):
    message = "You are asking too quickly. Please wait a minute and try again."
    status = 429


class AdminDisabled(SourcedError):
    message = "Managing the archive is turned off on this server (no SOURCED_ADMIN_TOKEN is set)."
    status = 403


class NotAdmin(SourcedError):
    message = "This needs the admin token, sent as: Authorization: Bearer <token>."
    status = 401


class ExplainNotAllowed(SourcedError):
    message = (
        "Explaining an answer needs the admin token or an API key, sent as: Authorization: Bearer <token>."
    )
    status = 403


class DocumentNotFound(SourcedError):
    message = "No article of that name is in the archive."
    status = 404


class NotManaged(SourcedError):
    message = (
        "This article comes from a folder on the server, not from uploads: "
        "remove it there and run sourced ingest."
    )
    status = 409


class UploadTooLarge(SourcedError):
    message = "The upload is too large: at most {} bytes per request and {} files."
    status = 413


class BadUpload(SourcedError):
    message = "No article was accepted; see the reason given for each file."
    status = 400


class BadFeedback(SourcedError):
    message = 'Feedback needs a "rating" of "up" or "down" and the question it is about (comment at most {} characters).'
    status = 400


LLM_FALLBACK = (
    "The language model could not be reached; this answer was written extractively from the articles."
)
LOCAL_FALLBACK = "The local model did not finish an answer in time; this answer was written extractively from the articles."
LOCAL_NO_ANSWER = (
    "The local model found no answer in these passages; this answer was written extractively from them."
)
LOCAL_CONFIRMED = "A local model was asked whether the cited sentence answers the question, and said it does."
LOCAL_VETOED = (
    "The best sentence found was uncertain, and a local model judged that it does not answer the question."
)
LOCAL_WORKER_DIED = (
    "The local model stopped unexpectedly (it is being restarted); this answer was written extractively."
)
INTERNAL = SourcedError.message
