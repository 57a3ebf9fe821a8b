"""Overview questions ("Summarize what the articles say about Iran's role"): several distinct facts about the
subject from across the articles, each cited, in date order where dated, without repeats."""

from __future__ import annotations

import re

from app.answer.question.analysis import analyse_question
from app.answer.question.cues import found
from app.answer.question.kinds import OVERVIEW
from app.answer.reader.extractive import Scored
from app.answer.shapes.windows import names_present, table
from app.core.types import Hit
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
MAX_PER_ARTICLE = 3
SIMILARITY = 0.3  # weight of the sentence's similarity to the question (when it was embedded)
LENGTH = 0.2  # a sentence long enough to state a fact ...
LONG_ENOUGH = 20  # ... has this many words
LEAD = 0.15  # an article's first sentence states its main fact
LEAD_OFFSET = 8  # ... and starts right after its headline
ORDER_COST = 0.01  # per retrieval rank of the passage


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


_HEAD_END = re.compile(
    r"\s(?:in|of|on|between|about|for|from|with|against|over|during|since|after|before|into|across|by|and)\s",
    re.IGNORECASE,
)


def head_term(question: str) -> str | None:
    """The subject's head noun ("Israeli AIRSTRIKES in Syria", "NORMALIZATION between Ankara and Damascus"):
    a fact must name it, in so many words (a synonym would let "bombing" stand for "airstrikes"); None when it is a request word ("Iran's role in ...") or there is no subject."""
    subj = subject(question)
    m = _HEAD_END.search(subj)
    head = terms(subj[: m.start()] if m else subj)
    return head[-1] if head and head[-1] not in REQUEST_WORDS else None


def facts(question: str, scored: list[Scored], hits: list[Hit] | None = None) -> list[Scored]:
    """Distinct sentences about the subject from the retrieved passages, the most informative first (those
    naming the subject, long enough to state something, an article's lead), at most MAX_PER_ARTICLE from one
    article, then ordered by date and position. Every name of the subject must be in the sentence."""
    want = subject_terms(question)
    if not want:
        return []
    names = analyse_question(subject(question))
    head = head_term(question)
    sims = {(s.hit.source, s.start): s.sim for s in scored}
    pool = table(hits).sents if hits else []
    cands: list[tuple[float, Scored]] = []
    for x in pool:
        have = x.terms
        if sum(found(t, have) for t in want) < max(1, (len(want) + 1) // 2):
            continue
        if not names_present(names, have) or (head is not None and head not in have):
            continue
        score = (
            sum(found(t, have) for t in want) / len(want)
            + SIMILARITY * sims.get((x.hit.source, x.start), 0.0)
            + LENGTH * min(len(x.text.split()), LONG_ENOUGH) / LONG_ENOUGH
            + (LEAD if x.rank == 0 and x.hit.start <= len(x.hit.title) + LEAD_OFFSET else 0.0)
            - ORDER_COST * x.order
        )
        cands.append((score, x.scored(score)))
    if not pool:
        cands = [
            (s.score, s) for s in scored if sum(found(t, set(terms(s.text))) for t in want) * 2 >= len(want)
        ]
    picked: list[Scored] = []
    seen: list[set[str]] = []
    per_article: dict[str, int] = {}
    # one article may give three facts; several share the room, two each
    cap = MAX_PER_ARTICLE if len({s.hit.source for _, s in cands}) == 1 else MAX_PER_ARTICLE - 1
    for _, s in sorted(cands, key=lambda c: -c[0]):
        words = set(terms(s.text))
        if per_article.get(s.hit.source, 0) >= cap:
            continue
        if any(len(words & o) / max(len(words | o), 1) > NEAR_DUPLICATE for o in seen):
            continue
        picked.append(s)
        seen.append(words)
        per_article[s.hit.source] = per_article.get(s.hit.source, 0) + 1
        if len(picked) >= MAX_FACTS:
            break
    return sorted(picked, key=lambda s: (s.hit.published or "9999", s.hit.source, s.start))
