"""Split a document's article body into passages of a few sentences, keeping exact offsets."""

from __future__ import annotations

from dataclasses import dataclass

from app.core.settings import Settings
from app.text.documents import Document
from app.text.sentences import split_sentences


@dataclass(frozen=True)
class Passage:
    """A run of sentences: document.text[start:end] == text."""

    source: str
    index: int
    start: int
    end: int
    text: str


def _paragraph_sentences(doc: Document) -> list[list[tuple[int, int]]]:
    """Sentences grouped by paragraph, where adjacent body lines separated only by whitespace are one block."""
    blocks: list[list[tuple[int, int]]] = []
    prev_end = None
    for s, e in doc.spans:
        sents = split_sentences(doc.text, s, e)
        if not sents:
            continue
        contiguous = prev_end is not None and not doc.text[prev_end:s].strip()
        blocks.append(sents)
        blocks[-1] = [(-1, -1)] + sents if contiguous else sents  # marker: may merge with previous block
        prev_end = e
    return blocks


def chunk(doc: Document, settings: Settings) -> list[Passage]:
    """Passages: whole paragraphs merged up to the size limits, long paragraphs split at sentences."""
    passages: list[Passage] = []
    cur: list[tuple[int, int]] = []

    def flush() -> None:
        if cur:
            s, e = cur[0][0], cur[-1][1]
            passages.append(Passage(doc.source, len(passages), s, e, doc.text[s:e]))
            cur.clear()

    for block in _paragraph_sentences(doc):
        mergeable = block[0] == (-1, -1)
        sents = block[1:] if mergeable else block
        if not mergeable:
            flush()
        for s, e in sents:
            too_long = cur and (
                e - cur[0][0] > settings.chunk_max_chars or len(cur) >= settings.chunk_max_sentences
            )
            if too_long:
                flush()
            cur.append((s, e))
    flush()
    return passages
