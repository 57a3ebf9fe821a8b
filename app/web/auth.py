"""Who is asking and may they: the client key used for rate limits, the optional bearer-token check on the
APIs (SOURCED_API_KEYS), and the admin token that write and admin routes need (SOURCED_ADMIN_TOKEN; without
one configured those routes are turned off, 403, never open)."""

from __future__ import annotations

import hmac

from fastapi import Request

from app.core.errors import AdminDisabled, ExplainNotAllowed, NotAdmin
from app.core.settings import Settings
from app.web.clients import client_key

# Routes the bearer token guards when api_keys is set; the chat page, the widget and /healthz stay open.
PROTECTED = ("/api/", "/v1/")


def client_of(request: Request) -> str:
    """The rate-limit key: the peer, or behind a trusted proxy the address it forwarded for."""
    peer = request.client.host if request.client else None
    nets = getattr(request.app.state, "trusted_networks", [])
    return client_key(peer, request.headers.get("x-forwarded-for"), nets)


def protected(path: str) -> bool:
    return path in ("/api", "/v1") or path.startswith(PROTECTED)


def _bearer(header: str | None) -> bytes:
    scheme, _, token = (header or "").partition(" ")
    return token.strip().encode("utf-8") if scheme.lower() == "bearer" else b""


def authorised(header: str | None, settings: Settings) -> bool:
    """Whether an Authorization header carries one of the configured API keys or the admin token (every key
    compared, in constant time). True when no API keys are configured."""
    if not settings.api_keys:
        return True
    given = _bearer(header)
    keys = [k.get_secret_value() for k in settings.api_keys]
    if settings.admin_token:
        keys.append(settings.admin_token.get_secret_value())
    matches = [hmac.compare_digest(given, k.encode("utf-8")) for k in keys]
    return bool(given) and any(matches)


def require_key(request: Request, settings: Settings) -> None:
    """Raise ExplainNotAllowed unless the request carries the admin token or one of the API keys (whether or
    not the APIs are locked: what is open to anonymous readers never includes this)."""
    given = _bearer(request.headers.get("authorization"))
    keys = [k.get_secret_value() for k in settings.api_keys]
    if settings.admin_token:
        keys.append(settings.admin_token.get_secret_value())
    matches = [hmac.compare_digest(given, k.encode("utf-8")) for k in keys if k]
    if not (given and any(matches)):
        raise ExplainNotAllowed()


def require_admin(request: Request, settings: Settings) -> None:
    """Raise AdminDisabled or NotAdmin unless the request carries the admin token."""
    token = settings.admin_token.get_secret_value() if settings.admin_token else ""
    if not token:
        raise AdminDisabled()
    # compare_digest takes as long whatever matches, so timing tells nothing about the token
    if not hmac.compare_digest(_bearer(request.headers.get("authorization")), token.encode("utf-8")):
        raise NotAdmin()
