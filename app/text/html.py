"""HTML to plain text: scripts, styles and hidden elements dropped; blocks become lines."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_DROP = {
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "iframe",
    "object",
    "embed",
    "head",
    "nav",
    "footer",
    "form",
    "button",
    "select",
}
_BLOCK = {
    "p",
    "div",
    "br",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "section",
    "article",
    "header",
    "blockquote",
    "pre",
    "ul",
    "ol",
    "table",
    "figcaption",
    "title",
    "dd",
    "dt",
}
_VOID = {"br", "img", "hr", "meta", "link", "input", "area", "base", "col", "source", "track", "wbr"}
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0", re.IGNORECASE)


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self._skip: list[str] = []  # stack of tags whose content is dropped
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "title":
            self._in_title = True
        hidden = "hidden" in a or a.get("aria-hidden") == "true" or _HIDDEN_STYLE.search(a.get("style") or "")
        if tag in _VOID:
            if tag == "br":
                self.parts.append("\n")
            return
        if self._skip or (tag in _DROP and tag != "head") or hidden:
            self._skip.append(tag)
            return
        if tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if self._skip:
            if self._skip[-1] == tag:
                self._skip.pop()
            return
        if tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)
            return
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML page; the <title> (or first heading) becomes the first line."""
    p = _Extractor()
    p.feed(html)
    p.close()
    body = "".join(p.parts)
    lines = [re.sub(r"[ \t\r\f\v]+", " ", ln).strip() for ln in body.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    title = " ".join("".join(p.title).split())
    if title and not text.startswith(title):
        text = f"{title}\n\n{text}"
    return text + "\n"
