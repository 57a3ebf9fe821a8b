"""Overview questions ("Summarize what the articles say about Iran's role"): several distinct facts about the
subject from across the articles, each cited, in date order where dated, without repeats."""

from __future__ import annotations

import re

from app.answer.extractive import Scored
from app.answer.kinds import OVERVIEW
from app.text.words import terms

# Words of an overview request that say what kind of answer is wanted, not what it is about.
REQUEST_WORDS = frozenset(
    terms(
        "summary summarise summarize overview articles article sources reports coverage "
        "archive say says said report tell known role everything about latest news"
    )
)
NEAR_DUPLICATE = 0.6  # term overlap (Jaccard) above which two sentences state the same fact
MAX_FACTS = 4
MAX_PER_ARTICLE = 2


def subject(question: str) -> str:
    """The question without its overview request: what the facts must be about."""
    rest = OVERVIEW.sub("", question, count=1)
    # "Summarize what the articles say about X": the subject follows the first "about"/"on"/"regarding".
    m = re.search(r"\b(about|regarding|concerning|on|of)\b", rest, flags=re.IGNORECASE)
    if m and len(rest[: m.start()].split()) <= 6:
        rest = rest[m.end() :]
    return rest.strip(" ?.!")


def subject_terms(question: str) -> set[str]:
    return {t for t in terms(subject(question)) if t not in REQUEST_WORDS}


def facts(question: str, scored: list[Scored]) -> list[Scored]:
    """Distinct sentences about the subject, best first per article, then ordered by date and position."""
    want = subject_terms(question)
    if not want:
        return []
    picked: list[Scored] = []
    seen: list[set[str]] = []
    per_article: dict[str, int] = {}
    for s in sorted(scored, key=lambda x: -x.score):
        have = set(terms(s.text))
        if len(want & have) < max(1, (len(want) + 1) // 2):
            continue
        if per_article.get(s.hit.source, 0) >= MAX_PER_ARTICLE:
            continue
        if any(len(have & o) / max(len(have | o), 1) > NEAR_DUPLICATE for o in seen):
            continue
        picked.append(s)
        seen.append(have)
        per_article[s.hit.source] = per_article.get(s.hit.source, 0) + 1
        if len(picked) >= MAX_FACTS:
            break
    return sorted(picked, key=lambda s: (s.hit.published or "9999", s.hit.source, s.start))
