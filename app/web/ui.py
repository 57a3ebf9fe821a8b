"""The Gradio chat page: streamed answers, clickable [n] citations, per-session history, an API named /chat."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import anyio
import gradio as gr

from app.answer import Service
from app.core.errors import INTERNAL, SourcedError
from app.core.types import Answer
from app.web.assets import static_text
from app.web.clients import Network, client_key
from app.web.render import article_html, article_label, chat_html, timeline_html, turn_html

log = logging.getLogger("sourced")
EXAMPLES = [
    "What did Turkey deploy in September?",
    "Why are Syrian regime forces advancing on Idlib?",
    "Who led the opposition advance toward Aleppo?",
]
MAX_SHOWN_TURNS = (
    50  # exchanges kept on screen per session (history sent to answering is trimmed by settings)
)

CHAT_JS = static_text("chat.js")  # runs in the chat board: citation chips open their source

Turn = dict[str, Any]  # {"q": question, "a": answer text or None for an error, "html": rendered exchange}


def history_of(turns: list[Turn]) -> list[dict[str, str]]:
    """The conversation so far, as answer() expects it (failed turns left out)."""
    out: list[dict[str, str]] = []
    for t in turns:
        if t.get("a") is not None:
            out += [{"role": "user", "content": t["q"]}, {"role": "assistant", "content": t["a"]}]
    return out


def build_ui(service: Service, nets: list[Network] | None = None) -> gr.Blocks:
    """The chat page; the same Blocks serves the full page and the compact embed (?embed=1)."""
    settings = service.settings

    def _client(request: gr.Request | None) -> str:
        peer = getattr(getattr(request, "client", None), "host", None)
        headers = getattr(request, "headers", None) or {}
        return client_key(peer, headers.get("x-forwarded-for"), nets or [])

    def text_of(source: str) -> str | None:
        return service.deps.retriever.store.document_text(source) if service.deps else None

    async def render(n: int, q: str, a: Answer | None, partial: str = "", error: str | None = None) -> str:
        aid = (
            uuid.uuid4().hex if a is not None else ""
        )  # names the answer in feedback (a changed mind replaces)
        return await anyio.to_thread.run_sync(lambda: turn_html(n, q, a, text_of, partial, error, aid))

    async def respond(question: str, turns: list[Turn], request: gr.Request) -> AsyncIterator[Any]:
        q = (question or "").strip()
        turns = list(turns or [])[-MAX_SHOWN_TURNS:]
        if not q:
            return
        shown = [t["html"] for t in turns]
        n = len(turns) + 1
        hide = gr.update(visible=False)
        yield chat_html(shown + [await render(n, q, None)], EXAMPLES), turns, "", hide
        try:
            draft: Answer | None = None  # the extractive answer shown while a local model writes
            async for partial, final in service.stream(q, history_of(turns), _client(request)):
                if final is None or final.draft:
                    draft = final or draft
                    yield chat_html(shown + [await render(n, q, draft, partial)], EXAMPLES), turns, "", hide
                    continue
                html = await render(n, q, final)
                turns = turns + [{"q": q, "a": final.answer, "html": html}]
                yield chat_html(shown + [html], EXAMPLES), turns, "", hide
        except SourcedError as exc:
            html = await render(n, q, None, error=str(exc))
            yield chat_html(shown + [html], EXAMPLES), turns + [{"q": q, "a": None, "html": html}], "", hide
        except Exception:  # noqa: BLE001 - users see a fixed text, the log gets the trace
            log.exception("chat failed")
            html = await render(n, q, None, error=INTERNAL)
            yield chat_html(shown + [html], EXAMPLES), turns + [{"q": q, "a": None, "html": html}], "", hide

    async def show_timeline(query: str, request: gr.Request) -> str:
        if not (query or "").strip():
            return timeline_html(None)
        try:
            return timeline_html(await service.timeline(query, _client(request)))
        except SourcedError as exc:
            return timeline_html(None, error=str(exc))
        except Exception:  # noqa: BLE001 - users see a fixed text, the log gets the trace
            log.exception("timeline failed")
            return timeline_html(None, error=INTERNAL)

    async def list_sources(query: str) -> Any:
        if service.deps is None:
            return gr.update(choices=[])
        arts = await service.articles(query or "")
        return gr.update(choices=[(article_label(a), a.source) for a in arts])

    async def read_source(source: str | None) -> list[Any]:
        view = await service.article(source) if source and service.deps is not None else None
        qs = view.questions if view else []
        buttons = [gr.update(value=q, visible=True) for q in qs]
        buttons += [gr.update(visible=False)] * (3 - len(buttons))
        return [article_html(view), *buttons]

    def new_chat() -> tuple[str, list[Turn], str, Any]:
        return chat_html([], EXAMPLES), [], "", gr.update(visible=True)

    async def chat(
        question: str, history: list[dict[str, str]] | None = None, request: gr.Request | None = None
    ) -> dict[str, Any]:
        """Answer a question (with an optional list of {role, content} messages); returns the answer object."""
        try:
            return (await service.ask(question, history or [], _client(request))).to_dict()
        except SourcedError as exc:
            raise gr.Error(str(exc)) from None

    with gr.Blocks(title="Sourced", analytics_enabled=False) as demo:
        with gr.Row(elem_id="sx-header", equal_height=True):
            gr.HTML(
                '<div class="sx-brand"><span class="sx-logo" aria-hidden="true">S</span>'
                "<span><b>Sourced</b><small>Answers quoted from the news archive</small></span></div>",
                padding=False,
                apply_default_css=False,
            )
            export = gr.Button(
                "Export chat", elem_id="sx-export", size="sm", variant="secondary", scale=0, min_width=96
            )
            new = gr.Button(
                "New chat", elem_id="sx-new", size="sm", variant="secondary", scale=0, min_width=96
            )
        board = gr.HTML(
            chat_html([], EXAMPLES),
            elem_id="sx-board",
            js_on_load=CHAT_JS,
            padding=False,
            apply_default_css=False,
        )
        with gr.Row(elem_id="sx-examples") as examples:
            ex_buttons = [gr.Button(e, size="sm", elem_classes=["sx-example"]) for e in EXAMPLES]
        box = gr.Textbox(
            show_label=False,
            placeholder="Ask about the articles…",
            lines=1,
            max_lines=4,
            max_length=settings.max_question_chars,
            autofocus=True,
            submit_btn="Ask",
            elem_id="sx-box",
            container=False,
        )
        with gr.Accordion("Timeline", open=False, elem_id="sx-tl"):
            tl_box = gr.Textbox(
                show_label=False,
                placeholder="A subject, e.g. Turkish deployments in Idlib",
                lines=1,
                max_length=settings.max_question_chars,
                submit_btn="Show timeline",
                container=False,
            )
            tl_out = gr.HTML(timeline_html(None), padding=False, apply_default_css=False)
        tl_box.submit(show_timeline, [tl_box], tl_out, api_visibility="private", show_progress="hidden")
        with gr.Accordion("Sources", open=False, elem_id="sx-src"):
            src_q = gr.Textbox(
                show_label=False, placeholder="Search titles and outlets", lines=1, container=False
            )
            src_pick = gr.Dropdown(choices=[], label="Indexed articles, newest first", interactive=True)
            src_view = gr.HTML(article_html(None), padding=False, apply_default_css=False)
            with gr.Row():
                sugg = [
                    gr.Button("", visible=False, size="sm", elem_classes=["sx-suggest"]) for _ in range(3)
                ]
        turns = gr.State([])
        outs = [board, turns, box, examples]
        box.submit(respond, [box, turns], outs, api_visibility="private", show_progress="hidden")
        for b, e in zip(ex_buttons, EXAMPLES, strict=True):
            b.click(lambda t=e: t, None, box, api_visibility="private", queue=False).then(
                respond, [box, turns], outs, api_visibility="private", show_progress="hidden"
            )
        new.click(new_chat, None, outs, api_visibility="private", queue=False)
        # Runs in the browser only: the conversation as Markdown, built from the answers' data (chat.js).
        export.click(
            None,
            None,
            None,
            js="() => { window.sxExportChat && window.sxExportChat(); }",
            api_visibility="private",
        )
        demo.load(list_sources, [src_q], src_pick, api_visibility="private")
        src_q.change(list_sources, [src_q], src_pick, api_visibility="private", show_progress="hidden")
        src_pick.change(read_source, [src_pick], [src_view, *sugg], api_visibility="private")
        for b in sugg:
            b.click(lambda t: t, b, box, api_visibility="private", queue=False).then(
                respond, [box, turns], outs, api_visibility="private", show_progress="hidden"
            )
        gr.api(chat, api_name="chat")
    demo.queue(
        default_concurrency_limit=settings.concurrency + settings.queue_size,
        max_size=2 * (settings.concurrency + settings.queue_size),
    )
    return demo
