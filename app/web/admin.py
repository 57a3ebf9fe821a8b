"""GET /admin: the archive page for editors (static HTML, CSS and JS from static/; it calls the API with the
admin token the editor types in, kept in the tab's sessionStorage only)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from app.web.assets import static_text

# The page runs only its own script and talks only to its own origin; nobody may frame it.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
FILES = {"admin.js": "application/javascript", "admin.css": "text/css"}


def admin_router() -> APIRouter:
    router = APIRouter()

    @router.get("/admin")
    async def page() -> Response:
        return Response(static_text("admin.html"), media_type="text/html; charset=utf-8", headers=HEADERS)

    for name, media in FILES.items():  # fixed names only: nothing from the request picks a file

        def serve(name: str = name, media: str = media) -> Response:
            return Response(static_text(name), media_type=f"{media}; charset=utf-8", headers=HEADERS)

        router.add_api_route(f"/admin/{name}", serve, methods=["GET"])
    return router
