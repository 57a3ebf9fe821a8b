"""Look of the chat page: a system-font theme (nothing from a CDN), the CSS, and the embed-mode switch."""

from __future__ import annotations

import gradio as gr

from app.web.assets import static_text

SYSTEM: list[gr.themes.Font | str] = [
    gr.themes.Font("system-ui"),
    gr.themes.Font("-apple-system"),
    gr.themes.Font("Segoe UI"),
    "sans-serif",
]
MONO: list[gr.themes.Font | str] = [gr.themes.Font("ui-monospace"), gr.themes.Font("Menlo"), "monospace"]

# Runs before Gradio renders: /?embed=1 switches to the compact view used by the widget's iframe.
HEAD = (
    "<script>if(new URLSearchParams(location.search).has('embed'))"
    "document.documentElement.classList.add('sx-embed')</script>"
    '<meta name="referrer" content="no-referrer">'
)


def theme() -> gr.themes.Base:
    """A calm blue theme on system fonts."""
    return gr.themes.Soft(
        primary_hue="blue", neutral_hue="slate", font=SYSTEM, font_mono=MONO, radius_size="md"
    )


CSS = static_text("chat.css")
