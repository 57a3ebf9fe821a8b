"""The types every layer shares: a retrieved passage (Hit), the answer object (Answer, Citation), a resolved Query,
the dates an article's sentences name (EventDate) and timelines built from them."""

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

    @classmethod
    def of(cls, cid: int, hit: Hit, start: int, end: int) -> Citation:
        """Citation number cid of document offsets [start, end) inside the passage `hit` (quote sliced from it)."""
        return cls(
            id=cid,
            source=hit.source,
            title=hit.title,
            published=hit.published,
            quote=hit.text[start - hit.start : end - hit.start],
            start=start,
            end=end,
            publisher=hit.publisher,
        )


@dataclass(kw_only=True)
class Figure:
    """One source's number for a thing (its citation says where)."""

    value: str
    citation: int
    publisher: str | None = None


@dataclass(kw_only=True)
class Disagreement:
    """Sources giving different figures for the same thing ("soldiers": 25,000 vs 20,000), each cited."""

    subject: str
    figures: list[Figure]


@dataclass(kw_only=True)
class Answer:
    question: str
    answer: str
    refused: bool
    mode: Literal["extractive", "llm", "local"]
    citations: list[Citation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    disagreements: list[Disagreement] = field(default_factory=list)
    # True on the extractive answer a stream shows first while a local model writes the final one; never
    # part of what an API returns (only final answers are).
    draft: bool = field(default=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("draft")
        return d


Grain = Literal["day", "week", "month", "year"]


@dataclass(frozen=True, kw_only=True)
class EventDate:
    """A date a sentence names, resolved against the article's dateline: the sentence's offsets in the
    document, the period meant (lo..hi, ISO dates, inclusive) and the words as written."""

    start: int
    end: int
    lo: str
    hi: str
    grain: Grain
    phrase: str


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
    events: tuple[EventDate, ...] = ()  # dates its sentences name, resolved at ingest (none in old indexes)


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


@dataclass(frozen=True, kw_only=True)
class Article:
    """One indexed article as the sources panel lists it."""

    source: str
    title: str
    publisher: str | None
    published: str | None
    chars: int  # 0 when the index predates recording it
    passages: int
    date_label: str = "undated"  # "5 June 2020"


@dataclass(frozen=True, kw_only=True)
class ArticleView:
    """An opened article: its cleaned text (the body, site chrome removed) and questions it can answer."""

    article: Article
    text: str
    questions: list[str]


REFUSAL_LEAD = "The indexed articles don't say."
REFUSAL = f"{REFUSAL_LEAD} I couldn't find this in them, so I won't guess."
# Marks a claim of a model's answer that no passage supports, kept when keep_unsupported_claims is set.
UNSUPPORTED_MARK = "(unsupported)"


@dataclass(kw_only=True)
class TimelineEvent:
    """One dated line of a timeline; `citation` is its sentence (quote == document_text[start:end])."""

    date: str  # ISO start of the period
    grain: Grain
    label: str  # "3 June 2020", "March 2020", "2020"
    citation: Citation


@dataclass(kw_only=True)
class Timeline:
    """Dated events about a subject across articles, in chronological order."""

    query: str
    events: list[TimelineEvent] = field(default_factory=list)
    undated: int = 0  # relevant sentences that name no placeable date
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
