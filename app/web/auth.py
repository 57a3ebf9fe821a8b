"""The admin token: write and admin routes need `Authorization: Bearer <SOURCED_ADMIN_TOKEN>`; without a token
configured they are turned off (403), never open."""

from __future__ import annotations

import hmac

from fastapi import Request

from app.core.errors import AdminDisabled, Unauthorized
from app.core.settings import Settings


def require_admin(request: Request, settings: Settings) -> None:
    """Raise AdminDisabled or Unauthorized unless the request carries the admin token."""
    token = settings.admin_token.get_secret_value() if settings.admin_token else ""
    if not token:
        raise AdminDisabled()
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    # compare_digest takes as long whatever matches, so timing tells nothing about the token
    ok = hmac.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8"))
    if scheme.lower() != "bearer" or not ok:
        raise Unauthorized()
