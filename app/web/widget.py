"""GET /widget.js: one script tag adds a launcher button that opens the chat (/?embed=1) in an iframe."""

from __future__ import annotations

from app.web.assets import static_text

# Options, as data-* attributes on the script tag:
#   data-position="right|left" (default right), data-title="..." (panel title, default "Ask the archive"),
#   data-open="true" (open on load), data-label="..." (launcher text, default "Ask").
WIDGET_JS = static_text("widget.js")
