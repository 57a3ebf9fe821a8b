"""Look of the chat page: a system-font theme (nothing from a CDN), the CSS, and the embed-mode switch."""

from __future__ import annotations

import gradio as gr

SYSTEM: list[gr.themes.Font | str] = [gr.themes.Font("system-ui"), gr.themes.Font("-apple-system"), gr.themes.Font("Segoe UI"), "sans-serif"]
MONO: list[gr.themes.Font | str] = [gr.themes.Font("ui-monospace"), gr.themes.Font("Menlo"), "monospace"]

# Runs before Gradio renders: /?embed=1 switches to the compact view used by the widget's iframe.
HEAD = ("<script>if(new URLSearchParams(location.search).has('embed'))"
        "document.documentElement.classList.add('sx-embed')</script>"
        '<meta name="referrer" content="no-referrer">')


def theme() -> gr.themes.Base:
    """A calm blue theme on system fonts."""
    return gr.themes.Soft(primary_hue="blue", neutral_hue="slate", font=SYSTEM, font_mono=MONO,
                          radius_size="md")


CSS = """
.gradio-container { max-width: 820px !important; margin: 0 auto !important; padding: 12px 16px !important; }
footer { display: none !important; }
.gradio-container > .main { padding: 8px 0 !important; }
#sx-box button { background: var(--color-accent) !important; color: #fff !important; border-radius: 8px !important;
  padding: 6px 16px !important; font-weight: 600; }
#sx-header { align-items: center; border-bottom: 1px solid var(--border-color-primary); padding-bottom: 10px; }
.sx-brand { display: flex; align-items: center; gap: 10px; }
.sx-brand b { display: block; font-size: 1.15rem; }
.sx-brand small { display: block; color: var(--body-text-color-subdued); font-size: .85rem; }
.sx-logo { width: 34px; height: 34px; border-radius: 9px; background: var(--color-accent); color: #fff;
  display: grid; place-items: center; font-weight: 700; flex: none; }
#sx-new { flex: none !important; }
#sx-board { min-height: 0; }
.sx-chat { height: calc(100vh - 250px); min-height: 280px; overflow-y: auto; padding: 8px 2px;
  display: flex; flex-direction: column; gap: 10px; position: relative; scroll-behavior: smooth; }
.sx-empty { margin: auto; text-align: center; color: var(--body-text-color-subdued); max-width: 420px; }
.sx-empty-title { font-size: 1.35rem; font-weight: 650; color: var(--body-text-color); margin-bottom: 6px; }
.sx-msg { display: flex; flex-direction: column; }
.sx-user { align-items: flex-end; }
.sx-bot { align-items: flex-start; }
.sx-bubble { max-width: 88%; padding: 10px 14px; border-radius: 14px; line-height: 1.55; white-space: pre-wrap;
  overflow-wrap: anywhere; }
.sx-user .sx-bubble { background: var(--color-accent); color: #fff; border-bottom-right-radius: 4px; }
.sx-bot .sx-bubble { background: var(--background-fill-secondary); border: 1px solid var(--border-color-primary);
  border-bottom-left-radius: 4px; }
.sx-bot .sx-refused { color: var(--body-text-color-subdued); font-style: italic; }
.sx-bot .sx-error { background: #fff4e5; border-color: #f5c27a; color: #7a4b00; }
.sx-pending { color: var(--body-text-color-subdued); }
.sx-typing { animation: sxblink 1s infinite; font-weight: 700; letter-spacing: 2px; }
@keyframes sxblink { 50% { opacity: .3; } }
.sx-chip { display: inline-flex; align-items: center; justify-content: center; min-width: 1.45em; height: 1.45em;
  padding: 0 4px; margin: 0 1px; border-radius: 6px; border: none; cursor: pointer; font-size: .78em;
  font-weight: 700; vertical-align: .15em; background: var(--color-accent-soft); color: var(--color-accent); }
.sx-chip:hover, .sx-chip:focus-visible { background: var(--color-accent); color: #fff; outline: none; }
.sx-note { font-size: .8rem; color: #7a4b00; margin-top: 4px; }
.sx-sources { width: 88%; margin-top: 6px; display: flex; flex-direction: column; gap: 6px; }
.sx-label { font-size: .72rem; text-transform: uppercase; letter-spacing: .06em; font-weight: 700;
  color: var(--body-text-color-subdued); }
.sx-source { border: 1px solid var(--border-color-primary); border-radius: 10px; background: var(--background-fill-primary); }
.sx-source.sx-active { border-color: var(--color-accent); box-shadow: 0 0 0 2px var(--color-accent-soft); }
.sx-source summary { cursor: pointer; padding: 7px 10px; display: flex; flex-wrap: wrap; align-items: baseline;
  gap: 4px 8px; list-style: none; }
.sx-source summary::-webkit-details-marker { display: none; }
.sx-num { font-size: .75rem; font-weight: 700; color: var(--color-accent); background: var(--color-accent-soft);
  border-radius: 5px; padding: 0 6px; }
.sx-title { font-weight: 600; font-size: .92rem; flex: 1 1 200px; }
.sx-meta { font-size: .8rem; color: var(--body-text-color-subdued); }
.sx-passage { margin: 0 10px 6px; padding: 8px 12px; border-left: 3px solid var(--color-accent);
  background: var(--background-fill-secondary); white-space: pre-wrap; font-size: .9rem; line-height: 1.55;
  overflow-wrap: anywhere; border-radius: 0 8px 8px 0; }
.sx-passage mark { background: #fff1a8; color: inherit; padding: 1px 0; border-radius: 2px; }
.sx-file { font-size: .72rem; color: var(--body-text-color-subdued); margin: 0 10px 8px; overflow-wrap: anywhere; }
#sx-examples { gap: 6px !important; flex-wrap: wrap; }
#sx-examples button { flex: 1 1 200px !important; font-weight: 500; white-space: normal; text-align: left;
  justify-content: flex-start; }
#sx-box { border: 1px solid var(--border-color-primary); border-radius: 12px; background: var(--background-fill-primary);
  box-shadow: 0 2px 10px rgba(15, 23, 42, .06); padding: 4px 6px; }
#sx-box textarea { font-size: 1rem; }
@media (max-width: 600px) {
  .gradio-container { padding: 8px 10px !important; }
  .sx-chat { height: calc(100dvh - 200px); }
  #sx-header { padding-bottom: 6px; }
  .sx-bubble, .sx-sources { max-width: 100%; width: auto; }
  .sx-brand small { display: none; }
}
html.sx-embed .gradio-container { padding: 4px 10px !important; max-width: none !important; }
html.sx-embed .gradio-container > .main { padding: 0 !important; }
html.sx-embed .sx-brand { display: none !important; }
html.sx-embed #sx-header { border: none; padding: 0; justify-content: flex-end; }
html.sx-embed .sx-chat { height: calc(100vh - 104px); }
html.sx-embed #sx-examples button { flex-basis: 100% !important; }
"""
