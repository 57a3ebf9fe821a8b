"""Inert HTML for the chat page: every text from documents, questions and answers is escaped."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from html import escape

from app.core.types import UNSUPPORTED_MARK, Answer, Article, ArticleView, Citation, Timeline

_MARK = re.compile(r"\[(\d+)\]")
_UNSUPPORTED = f'<span class="sx-unsupported">{UNSUPPORTED_MARK}</span>'

CONTEXT_CHARS = 360  # most characters shown on each side of a quote inside a long paragraph

TextOf = Callable[[str], "str | None"]


def esc(text: object) -> str:
    """Escape anything for HTML text or a quoted attribute."""
    return escape("" if text is None else str(text), quote=True)


def paragraph(text: str | None, c: Citation) -> tuple[str, str, str]:
    """The paragraph around a citation, split as (before, quote, after); the quote alone when the text is unknown."""
    if not text or text[c.start : c.end] != c.quote:
        return "", c.quote, ""
    lo = text.rfind("\n", 0, c.start) + 1
    hi = text.find("\n", c.end)
    hi = len(text) if hi < 0 else hi
    before, after = text[lo : c.start], text[c.end : hi]
    if len(before) > CONTEXT_CHARS:
        before = "…" + before[-CONTEXT_CHARS:].split(" ", 1)[-1]
    if len(after) > CONTEXT_CHARS:
        after = after[:CONTEXT_CHARS].rsplit(" ", 1)[0] + "…"
    return before, c.quote, after


def meta_line(c: Citation) -> str:
    """Publisher · date, escaped."""
    return " · ".join(esc(x) for x in (c.publisher, c.published) if x)


def answer_html(text: str, cites: dict[int, str]) -> str:
    """Escaped answer text whose [n] markers become buttons revealing source n (cites: n -> element id)."""
    out, pos = [], 0
    for m in _MARK.finditer(text):
        out.append(_plain(text[pos : m.start()]))
        n = int(m.group(1))
        if n in cites:
            out.append(
                f'<button type="button" class="sx-chip" data-cite="{cites[n]}" '
                f'aria-label="Show source {n}">{n}</button>'
            )
        else:
            out.append(esc(m.group(0)))
        pos = m.end()
    out.append(_plain(text[pos:]))
    return "".join(out)


def _plain(text: str) -> str:
    """Escaped text, with the mark of an unsupported claim set apart."""
    return esc(text).replace(UNSUPPORTED_MARK, _UNSUPPORTED)


def notes_html(warnings: list[str]) -> str:
    """What the checks changed or removed, as a visible notice under the answer."""
    if not warnings:
        return ""
    items = "".join(f'<div class="sx-note">{esc(w)}</div>' for w in warnings)
    return f'<div class="sx-notes" role="note" aria-label="About this answer">{items}</div>'


LOCAL_WRITING = "A local model is writing an answer from these passages; it replaces this one once checked."
LOCAL_WROTE = "Written by a local model on this server; each claim was checked against the passage it cites."


def engine_html(a: Answer, partial: str = "") -> str:
    """Who wrote the answer, when a model did; under a draft, the local model's words as they arrive."""
    if a.draft:
        words = esc(partial) if partial else '<span class="sx-typing" aria-hidden="true">…</span>'
        return (
            f'<div class="sx-local" role="status"><div class="sx-local-note">{esc(LOCAL_WRITING)}</div>'
            f'<div class="sx-local-text">{words}</div></div>'
        )
    if a.mode == "local":
        return f'<div class="sx-local"><div class="sx-local-note">{esc(LOCAL_WROTE)}</div></div>'
    return ""


def sources_html(turn: int, a: Answer, text_of: TextOf) -> str:
    """One collapsible card per citation: title and publisher visible, the highlighted passage on click."""
    cards = []
    for c in a.citations:
        before, quote, after = paragraph(text_of(c.source), c)
        meta = meta_line(c)
        cards.append(
            f'<details class="sx-source" id="sx-{turn}-{c.id}"><summary><span class="sx-num">{c.id}</span>'
            f'<span class="sx-title">{esc(c.title or c.source)}</span>'
            f"{f'<span class=sx-meta>{meta}</span>' if meta else ''}</summary>"
            f'<blockquote class="sx-passage">{esc(before)}<mark>{esc(quote)}</mark>{esc(after)}</blockquote>'
            f'<div class="sx-file">{esc(c.source)}</div></details>'
        )
    return (
        f'<div class="sx-sources"><div class="sx-label">Sources</div>{"".join(cards)}</div>' if cards else ""
    )


def answer_data(a: Answer, answer_id: str) -> str:
    """The answer as JSON for the page's own script (feedback, copy, export), escaped for an attribute."""
    data = {"answer_id": answer_id, **a.to_dict()}
    data.pop("warnings", None)
    return esc(json.dumps(data, ensure_ascii=False))


def actions_html() -> str:
    """Rate, comment on and copy one answer (chat.js does the work; nothing here carries text of a document).
    Words rather than thumb emoji: newsroom desktops often lack an emoji font."""
    return (
        '<div class="sx-actions" role="group" aria-label="This answer">'
        '<button type="button" class="sx-act" data-act="up" aria-pressed="false"'
        ">Helpful</button>"
        '<button type="button" class="sx-act" data-act="down" aria-pressed="false"'
        ">Not helpful</button>"
        '<button type="button" class="sx-act sx-copy" data-act="copy">Copy answer</button>'
        '<span class="sx-act-status" role="status"></span></div>'
    )


def turn_html(
    turn: int,
    question: str,
    a: Answer | None,
    text_of: TextOf,
    partial: str = "",
    error: str | None = None,
    answer_id: str = "",
) -> str:
    """One exchange: the question, then the (partial or final) answer with its sources, or an error notice.
    A final answer carries its data and the actions (rate, comment, copy) when it has an answer_id."""
    q = f'<div class="sx-msg sx-user"><div class="sx-bubble">{esc(question)}</div></div>'
    if error is not None:
        body = f'<div class="sx-bubble sx-error" role="alert">{esc(error)}</div>'
    elif a is None:
        inner = (
            esc(partial)
            if partial
            else '<span class="sx-typing" aria-label="Searching the articles">…</span>'
        )
        body = f'<div class="sx-bubble sx-pending">{inner}</div>'
    else:
        ids = {c.id: f"sx-{turn}-{c.id}" for c in a.citations}
        cls = "sx-bubble sx-refused" if a.refused else "sx-bubble"
        notes = disagreements_html(a, ids) + notes_html(a.warnings) + engine_html(a, partial)
        body = f'<div class="{cls}">{answer_html(a.answer, ids)}</div>{notes}{sources_html(turn, a, text_of)}'
        if a.draft:  # the local model's answer is still to come: no rating, no copying yet
            return f'{q}<div class="sx-msg sx-bot sx-draft" data-turn="{turn}">{body}</div>'
        if answer_id:
            body += actions_html()
            return (
                f'{q}<div class="sx-msg sx-bot" data-turn="{turn}" data-answer="{answer_data(a, answer_id)}">'
                f"{body}</div>"
            )
    return f'{q}<div class="sx-msg sx-bot" data-turn="{turn}">{body}</div>'


def disagreements_html(a: Answer, cites: dict[int, str]) -> str:
    """'Sources differ on people: 205 [1] (Coast Herald) · 217 [2] (Iberia Daily)', each figure's chip live."""
    out = []
    for d in a.disagreements:
        figs = " · ".join(
            f"{answer_html(f'{f.value} [{f.citation}]', cites)}{f' ({esc(f.publisher)})' if f.publisher else ''}"
            for f in d.figures
        )
        out.append(f'<div class="sx-disagree" role="note">Sources differ on {esc(d.subject)}: {figs}</div>')
    return "".join(out)


def article_label(a: Article) -> str:
    """'5 June 2020 · The New Arab · Headline (3,502 characters)' for the sources list (plain text)."""
    size = f"{a.chars:,} characters" if a.chars else f"{a.passages} passages"
    return f"{' · '.join(x for x in (a.date_label, a.publisher, a.title) if x)} ({size})"


def article_html(v: ArticleView | None) -> str:
    """An opened article: headline, outlet and date, then its cleaned text, paragraph by paragraph."""
    if v is None:
        return '<div class="sx-tl-empty">Pick an article to read it.</div>'
    a = v.article
    meta = " · ".join(esc(x) for x in (a.publisher, a.date_label, a.source) if x)
    paras = "".join(f"<p>{esc(p)}</p>" for p in v.text.split("\n\n") if p.strip())
    return f'<article class="sx-article"><h3>{esc(a.title)}</h3><div class="sx-meta">{meta}</div>{paras}</article>'


def empty_html(examples: list[str]) -> str:
    """The welcome shown before the first question."""
    return (
        '<div class="sx-empty"><div class="sx-empty-title">Ask the news archive</div>'
        "<p>Every answer quotes the articles it comes from. Click a number to see the exact passage.</p></div>"
    )


def chat_html(parts: list[str], examples: list[str]) -> str:
    """The whole conversation."""
    return f'<div class="sx-chat">{"".join(parts) if parts else empty_html(examples)}</div>'


def timeline_html(t: Timeline | None, error: str | None = None) -> str:
    """A timeline as an ordered list: date, publisher, the cited sentence, and where it is."""
    if error is not None:
        return f'<div class="sx-bubble sx-error" role="alert">{esc(error)}</div>'
    if t is None:
        return '<div class="sx-tl-empty">Name a subject ("Turkish deployments in Idlib") to see its dated events.</div>'
    if not t.events:
        return '<div class="sx-tl-empty">No dated events on this subject in the indexed articles.</div>'
    items = []
    for ev in t.events:
        c = ev.citation
        items.append(
            f'<li><time datetime="{esc(ev.date)}">{esc(ev.label)}</time>'
            f"{f'<span class=sx-meta>{esc(c.publisher)}</span>' if c.publisher else ''}"
            f"<q>{esc(' '.join(c.quote.split()))}</q>"
            f'<div class="sx-file">{esc(c.title or c.source)} · {esc(c.source)} · chars {c.start}–{c.end}</div></li>'
        )
    note = (
        f'<div class="sx-note">{t.undated} more sentences on this subject name no date that can be placed.</div>'
        if t.undated
        else ""
    )
    return f'<ol class="sx-timeline">{"".join(items)}</ol>{note}'
