"""The sources panel: every indexed article (newest first), and an opened article's cleaned text with a few
questions it answers, drawn from it deterministically."""

from __future__ import annotations

import re

from app.answer.retrieval import Retriever
from app.core.types import Article, ArticleView
from app.store.chroma import DocRecord
from app.text.dates import MONTHS, human_date
from app.text.documents import analyse

SUGGESTIONS = 3
# "Yusuf Katipoglu, a member of …", "Jean-Marc Rickli, head of …": a person introduced by an appositive.
_NAME = r"(?:[A-Z][a-z]+(?:-[A-Z][a-z]+)?|al-[A-Z][a-z]+)"
_PERSON = re.compile(
    rf"\b({_NAME}(?: {_NAME}){{1,2}}), "
    r"(?:a|an|the|head|chief|spokes(?:man|woman|person)|director|leader|member|minister)\b"
)
_DAY = re.compile(
    rf"\b(\d{{1,2}} (?:{'|'.join(m.capitalize() for m in MONTHS)})|(?:{'|'.join(m.capitalize() for m in MONTHS)}) \d{{1,2}})\b"
)
_PLACE = re.compile(r"\b(?:in|near|toward|towards) ([A-Z][a-z]+(?: (?!The\b)[A-Z][a-z]+)?)\b")
_NOT_PLACES = {m.capitalize() for m in MONTHS} | {
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "The",
    "A",
    "An",
}


def _article(r: DocRecord) -> Article:
    return Article(
        source=r.source,
        title=r.title,
        publisher=r.publisher,
        published=r.published,
        chars=r.chars,
        passages=r.passages,
        date_label=human_date(r.published) if r.published else "undated",
    )


def list_articles(retriever: Retriever, query: str = "") -> list[Article]:
    """Indexed articles whose title, outlet or file name holds the query, newest first (undated last)."""
    retriever.refresh()
    q = query.strip().lower()
    recs = [
        r
        for r in retriever.docs.values()
        if not q or q in f"{r.title} {r.publisher or ''} {r.source}".lower()
    ]
    dated = sorted((r for r in recs if r.published), key=lambda r: (r.published or "", r.title), reverse=True)
    undated = sorted((r for r in recs if not r.published), key=lambda r: r.title)
    return [_article(r) for r in dated + undated]


def open_article(source: str, retriever: Retriever) -> ArticleView | None:
    """An article's body text and suggested questions; None when no such article is indexed."""
    rec = retriever.docs.get(source)
    text = retriever.store.document_text(source) if rec else None
    if rec is None or text is None:
        return None
    body = "\n\n".join(text[s:e] for s, e in analyse(source, text).spans)
    return ArticleView(article=_article(rec), text=body, questions=suggested_questions(body, rec))


def suggested_questions(body: str, rec: DocRecord) -> list[str]:
    """Up to three questions the article answers, in a fixed order: about a person it introduces, a day it
    names, and what happened in a place it names, according to its outlet."""
    out = []
    if m := _PERSON.search(body):
        out.append(f"Who is {m.group(1)}?")
    if m := _DAY.search(body):
        out.append(f"What happened on {m.group(1)}?")
    places = [p for p in _PLACE.findall(body + "\n" + rec.title) if p.split()[0] not in _NOT_PLACES]
    if places:
        by = f", according to {rec.publisher}" if rec.publisher else ""
        out.append(f"What happened in {places[0]}{by}?")
    return out[:SUGGESTIONS]
