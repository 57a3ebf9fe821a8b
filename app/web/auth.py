"""Who is asking: the client key used for rate limits, and the optional bearer-token check on the APIs."""

from __future__ import annotations

import hmac

from fastapi import Request

from app.core.settings import Settings

# Routes the bearer token guards when api_keys is set; the chat page, the widget and /healthz stay open.
PROTECTED = ("/api/", "/v1/")


def client_of(request: Request) -> str:
    """The client's address, the key of its rate limit."""
    return request.client.host if request.client else "unknown"


def protected(path: str) -> bool:
    return path in ("/api", "/v1") or path.startswith(PROTECTED)


def authorised(header: str | None, settings: Settings) -> bool:
    """Whether an Authorization header carries one of the configured keys (every key compared, in constant time)."""
    if not settings.api_keys:
        return True
    scheme, _, token = (header or "").partition(" ")
    given = token.strip().encode() if scheme.lower() == "bearer" else b""
    matches = [hmac.compare_digest(given, k.get_secret_value().encode()) for k in settings.api_keys]
    return bool(given) and any(matches)
