"""Log redaction: Authorization values, bearer tokens and API keys never reach a log line."""

from __future__ import annotations

import logging
import re

from app.core.settings import Settings

_SECRET = re.compile(
    r"(?i)(authorization|api[-_]?key|x-api-key|token)(['\"]?\s*[:=]\s*['\"]?)(bearer\s+)?[^\s'\",}]+"
)
_BEARER = re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+")
_SK = re.compile(r"\bsk-[A-Za-z0-9_-]{6,}")


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Hide Authorization values, bearer tokens and API keys in a log line."""
    for s in secrets:
        if s:
            text = text.replace(s, "[redacted]")
    text = _SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", text)
    return _SK.sub("[redacted]", _BEARER.sub("Bearer [redacted]", text))


class RedactFilter(logging.Filter):
    """A logging filter that redacts every record's final message."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        clean = redact(msg, self.secrets)
        if clean != msg:
            record.msg, record.args = clean, None
        return True


def install_redaction(settings: Settings) -> RedactFilter:
    """Attach the redacting filter to the root handlers and the loggers that might see headers or keys."""
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
    tok = settings.chroma_token.get_secret_value() if settings.chroma_token else ""
    admin = settings.admin_token.get_secret_value() if settings.admin_token else ""
    f = RedactFilter((key, tok, admin, *(k.get_secret_value() for k in settings.api_keys)))
    for name in ("", "sourced", "uvicorn", "uvicorn.error", "uvicorn.access", "httpx", "openai", "gradio"):
        lg = logging.getLogger(name)
        lg.addFilter(f)
        for h in lg.handlers:
            h.addFilter(f)
    return f
