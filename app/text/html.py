"""HTML pages to article text.

`extract_page`: the article's main text by trafilatura (comments left out), its title, author and site name by
trafilatura's metadata, and its publication date by htmldate; paragraphs and headings each become a paragraph of
the stored text (a blank line between them), the text citation offsets index. `html_to_text`: every visible
block (scripts, styles, hidden elements, navigation, footers and forms dropped), the fallback when trafilatura
finds no main text, and what the repetition across a folder's pages is counted on."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

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


_TAG = re.compile(r"<[A-Za-z][^>]*>")
_ATTRIBUTE = re.compile(r"""[\s/]+[^\s=>/"']+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]*))?""")


def most_attributes(html: str, limit: int) -> int:
    """How many attributes the page's fullest tag holds, counted exactly only where it might pass the limit
    (a tag of fewer than 2 x limit characters cannot). Linear in the page's length."""
    most = 0
    for m in _TAG.finditer(html):
        if m.end() - m.start() >= 2 * limit:
            most = max(most, sum(1 for _ in _ATTRIBUTE.finditer(m.group(), 1)))
    return most


def _close_comment(html: str) -> str:
    """A comment left open hides the rest of the page (as in a browser): html.parser would show it as text."""
    i = html.rfind("<!--")
    return html[:i] if i >= 0 and html.find("-->", i + 4) < 0 else html


def html_to_text(html: str, with_title: bool = True) -> str:
    """Visible text of an HTML page; the <title> becomes the first line (with_title)."""
    p = _Extractor()
    p.feed(_close_comment(html))
    p.close()
    body = "".join(p.parts)
    lines = [re.sub(r"[ \t\r\f\v]+", " ", ln).strip() for ln in body.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    title = " ".join("".join(p.title).split())
    if with_title and title and not text.startswith(title):
        text = f"{title}\n\n{text}"
    return text + "\n"


@dataclass
class Page:
    """What an HTML page holds: the article as paragraphs, and its metadata (None where the page has none)."""

    paragraphs: list[str]
    title: str | None = None
    author: str | None = None
    sitename: str | None = None
    date: str | None = None  # ISO publication date (htmldate)
    method: str = "trafilatura"
    warnings: list[str] = field(default_factory=list)


# trafilatura's settings, measured on its public evaluation pages (docs/benchmarks.md): favor_precision and
# favor_recall both scored lower than the defaults; comments are readers', never the article.
EXTRACT_OPTIONS: dict[str, Any] = {"include_comments": False, "favor_precision": False, "favor_recall": False}
DATE_OPTIONS: dict[str, Any] = {"original_date": True, "extensive_search": True}


def _clean(value: object) -> str | None:
    text = " ".join(str(value).split()) if value else ""
    return text or None


def _paragraphs(text: str) -> list[str]:
    return [p for p in (" ".join(line.split()) for line in text.splitlines()) if p]


def _split_glued(paragraphs: list[str], blocks: list[str]) -> list[str]:
    """Each paragraph that is several consecutive visible blocks of the page run together, split back into them.

    trafilatura's rescue for short extractions (its baseline) takes an <article>'s whole text as one paragraph:
    the paragraphs and the headings between them become one line, a heading glued into the prose around it."""
    whole = set(blocks)
    out: list[str] = []
    for para in paragraphs:
        run = None if para in whole else _run_of_blocks(para, blocks)
        out.extend(run or [para])
    return out


def _run_of_blocks(para: str, blocks: list[str]) -> list[str] | None:
    """The run of at least two consecutive blocks (none empty) whose text, a space between each, is the
    paragraph; None when there is none."""
    for i, first in enumerate(blocks):
        if not para.startswith(first):
            continue
        pos, j = len(first), i + 1
        while pos < len(para) and j < len(blocks) and para.startswith(" " + blocks[j], pos):
            pos += 1 + len(blocks[j])
            j += 1
            if pos == len(para):
                return blocks[i:j]
    return None


def _drop_hidden(tree: Any) -> None:
    """Remove hidden elements (the hidden attribute, aria-hidden, display:none and the like), keeping the text
    that follows each."""
    hidden = tree.xpath("//*[@hidden or @aria-hidden='true' or @style]")
    for el in hidden:
        if el.get("style") is not None and el.get("hidden") is None and el.get("aria-hidden") != "true":
            if not _HIDDEN_STYLE.search(el.get("style") or ""):
                continue
        parent = el.getparent()
        if parent is None:
            continue
        tail = el.tail or ""
        prev = el.getprevious()
        if tail:
            if prev is not None:
                prev.tail = (prev.tail or "") + tail
            else:
                parent.text = (parent.text or "") + tail
        parent.remove(el)


def extract_page(html: str) -> Page:
    """The page's article and metadata; no paragraphs when neither trafilatura nor the fallback finds text."""
    import trafilatura
    from trafilatura.metadata import extract_metadata
    from trafilatura.utils import load_html

    tree = load_html(html)
    if tree is None:
        return Page([], method="none")
    _drop_hidden(tree)  # text a reader never sees is never the article (nor an instruction to a model)
    meta = extract_metadata(tree, date_config=DATE_OPTIONS)  # before extraction, which prunes the tree
    doc = trafilatura.bare_extraction(tree, **EXTRACT_OPTIONS)
    paragraphs = _paragraphs(getattr(doc, "text", None) or "") if doc is not None else []
    if paragraphs:
        paragraphs = _split_glued(paragraphs, _paragraphs(html_to_text(html, with_title=False)))
    method = "trafilatura"
    if not paragraphs:
        paragraphs, method = _paragraphs(html_to_text(html, with_title=False)), "fallback"
    return Page(
        paragraphs,
        title=_clean(meta.title),
        author=_clean(meta.author),
        sitename=_clean(meta.sitename),
        date=_clean(meta.date),
        method=method if paragraphs else "none",
    )
