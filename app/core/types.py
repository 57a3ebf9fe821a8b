"""The types every layer shares: a retrieved passage (Hit), the answer object (Answer, Citation), a resolved Query."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal


@dataclass(kw_only=True)
class Citation:
    """One cited passage: quote == document_text[start:end]."""

    id: int
    source: str
    title: str
    published: str | None
    quote: str
    start: int
    end: int
    publisher: str | None = None


@dataclass(kw_only=True)
class Answer:
    question: str
    answer: str
    refused: bool
    mode: Literal["extractive", "llm", "local"]
    citations: list[Citation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, kw_only=True)
class Hit:
    """A retrieved passage with what citations need."""

    id: str
    text: str
    source: str
    title: str
    publisher: str | None
    published: str | None
    start: int
    end: int
    score: float
    dense: float  # cosine similarity to the query (0 when only BM25 found it)


@dataclass(frozen=True)
class Query:
    """A question made ready for retrieval: the standalone text plus what the conversation adds."""

    question: str  # as asked
    standalone: str  # resolved against history, used for retrieval
    context: str = ""  # earlier question(s) the follow-up leans on
    avoid: str = ""  # the previous answer: a follow-up wants something new
    search: str = ""  # text sent to retrieval (defaults to standalone)

    @property
    def search_text(self) -> str:
        return self.search or self.standalone


REFUSAL = "The articles don't say. I couldn't find this in the indexed articles, so I won't guess."
# Marks a claim of a model's answer that no passage supports, kept when keep_unsupported_claims is set.
UNSUPPORTED_MARK = "(unsupported)"
