"""Claim-by-claim attribution of a model's answer, for any model.

The answer is split into claims (sentences, and clauses joined by "and"/"but" that carry facts of their own).
Each claim is matched to the prompt passage that supports it (app/answer/grounding/support.py): the passage it cited
when that one supports it, else the best one. Its citation quotes the exact supporting sentence(s). Claims
nothing supports, claims that contradict their passage and claims whose quotation is not in any passage are
removed, and the warnings say how many."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from app.answer.grounding.claim_split import Claim, render_blocks, split_claims
from app.answer.grounding.quotes import find, quotations
from app.answer.grounding.support import (
    RULES,
    Facts,
    Judgement,
    Span,
    SpanFacts,
    SupportRules,
    claim_facts,
    common_words,
    covering,
    judge,
    span_facts,
    spans,
)
from app.core.protocols import Embedder
from app.core.types import UNSUPPORTED_MARK, Citation, Hit

# Warnings, filled with ("1 claim", "was") or ("2 claims", "were").
REMOVED = "{} of the model's answer matched no passage and {} removed."
KEPT = "{} of the model's answer matched no passage and {} marked (unsupported)."
CONTRADICTED = "{} of the model's answer contradicted the passages and {} removed."
QUOTE_MISSING = "{} of the model's answer quoted words that are not in the articles and {} removed."
QUOTE_FIXED = (
    "{} in the model's answer did not match the article word for word and {} replaced by its exact words."
)


def _count(n: int, thing: str) -> tuple[str, str]:
    """("1 claim", "was") or ("3 claims", "were")."""
    return (f"1 {thing}", "was") if n == 1 else (f"{n} {thing}s", "were")


@dataclass
class Trial:
    """One claim on its way through the check."""

    claim: Claim
    text: str  # its words with quotations put right
    facts: Facts | None  # None: nothing to check (no content words, numbers or names)
    spans: list[Span] = field(default_factory=list)
    judged: list[Judgement] = field(default_factory=list)
    fixed: int = 0  # quotations replaced by the passage's exact words
    missing: bool = False  # a quotation found in no passage


@dataclass(frozen=True)
class ClaimCheck:
    """One claim and what the check made of it (the claim part of an explain trace)."""

    text: str  # its words as the model wrote them (quotations put right)
    support: str  # "cited", "none" (unsupported), "contradicts", "quote" (misquoted), "plain" (no facts)
    kept: bool
    citations: tuple[int, ...] = ()  # its citation numbers in the checked answer
    closest: str = ""  # the span that fitted it best (the support when cited)
    coverage: float | None = None  # share of its content words in that span
    similarity: float | None = None  # cosine similarity with that span, when computed
    fixed: int = 0  # quotations replaced by the article's exact words


@dataclass(frozen=True)
class Checked:
    """The checked answer: text with [n] markers, one citation per supporting span, and what was removed."""

    text: str
    citations: list[Citation]
    warnings: list[str]
    supported: int  # claims kept with a citation
    claims: list[ClaimCheck] = field(default_factory=list)  # every claim, in order (explain)


class _Facts:
    """Span facts, computed once per span."""

    def __init__(self, passages: list[Hit], rules: SupportRules) -> None:
        self.passages, self.rules = passages, rules
        self.cache: dict[Span, SpanFacts] = {}

    def __call__(self, span: Span) -> SpanFacts:
        if span not in self.cache:
            self.cache[span] = span_facts(span, self.passages[span.passage], self.rules)
        return self.cache[span]


def _quotes(claim: Claim, passages: list[Hit], rules: SupportRules) -> tuple[str, Span | None, int, bool]:
    """The claim with its quotations put right, the sentences holding them, how many were fixed, and
    whether one is missing. All quotations of a claim must come from one passage."""
    qs = quotations(claim.text)
    if not qs:
        return claim.text, None, 0, False
    order = list(claim.cited) + [i for i in range(len(passages)) if i not in claim.cited]
    found = []
    for q in qs:
        f = find(q.text, passages, order, rules.quote_min_ratio)
        if f.status == "missing":
            return claim.text, None, 0, True
        order = [f.passage]
        found.append((q, f))
    text = claim.text
    for q, f in reversed(found):
        text = text[: q.start] + f.exact + text[q.end :]
    home = found[0][1].passage
    anchor = covering(home, passages[home], min(f.start for _, f in found), max(f.end for _, f in found))
    return text, anchor, sum(f.status == "corrected" for _, f in found), False


def _trial(
    claim: Claim,
    passages: list[Hit],
    every: list[Span],
    common: frozenset[str],
    facts_of: _Facts,
    rules: SupportRules,
) -> Trial:
    text, anchor, fixed, missing = _quotes(claim, passages, rules)
    facts = claim_facts(text, common, rules)
    if missing or not (facts.terms or facts.numbers or facts.names or anchor):
        return Trial(claim, text, None, fixed=fixed, missing=missing)
    candidates = [anchor] if anchor else every
    judged = [judge(facts, facts_of(s), None, rules) for s in candidates]
    return Trial(claim, text, facts, candidates, judged, fixed)


def _wanted(t: Trial, rules: SupportRules) -> list[int]:
    """The spans whose similarity decides: the lexically best of those whose facts hold."""
    pending = [i for i, j in enumerate(t.judged) if j.pending]
    pending.sort(key=lambda i: (-t.judged[i].coverage, len(t.spans[i].sentences)))
    return pending[: rules.similarity_candidates]


def _similarities(
    trials: list[Trial], passages: list[Hit], embedder: Embedder, facts_of: _Facts, rules: SupportRules
) -> None:
    """Judge again, with embeddings (one batch), the spans whose similarity matters."""
    need = [(t, i) for t in trials for i in _wanted(t, rules)]
    if not need:
        return
    claims = list(dict.fromkeys(t.text for t, _ in need))
    sents = list(dict.fromkeys((t.spans[i].passage, s, e) for t, i in need for s, e in t.spans[i].sentences))
    hit_of = [passages[p] for p, _, _ in sents]
    texts = claims + [h.text[s - h.start : e - h.start] for h, (_, s, e) in zip(hit_of, sents, strict=True)]
    vecs = np.asarray(embedder.embed(texts), dtype=np.float32)
    cvec = {c: vecs[k] for k, c in enumerate(claims)}
    svec = {key: vecs[len(claims) + k] for k, key in enumerate(sents)}
    for t, i in need:
        span = t.spans[i]
        sim = max(float(cvec[t.text] @ svec[(span.passage, s, e)]) for s, e in span.sentences)
        assert t.facts is not None
        t.judged[i] = judge(t.facts, facts_of(span), sim, rules)


def _best(pairs: list[tuple[Span, Judgement]]) -> Span:
    """The passage that fits best, and in it the fewest sentences that support the claim."""
    top = max(pairs, key=lambda p: (p[1].fit, -len(p[0].sentences)))[0].passage
    mine = [p for p in pairs if p[0].passage == top]
    return min(mine, key=lambda p: (len(p[0].sentences), not p[1].full, -p[1].fit[1]))[0]


def support_of(t: Trial) -> tuple[str, tuple[Span, ...]]:
    """("cited", spans) for a supported claim, else ("contradicts" | "none" | "quote" | "plain", ())."""
    if t.missing:
        return "quote", ()
    if t.facts is None:
        return "plain", ()
    pairs = [(s, j) for s, j in zip(t.spans, t.judged, strict=True) if j.verdict == "supports"]
    if not pairs:
        return ("contradicts" if any(j.verdict == "contradicts" for j in t.judged) else "none"), ()
    cited = [p for p in pairs if p[0].passage in t.claim.cited]
    if not cited:
        return "cited", (_best(pairs),)
    passages = dict.fromkeys(
        p[0].passage for p in sorted(cited, key=lambda p: t.claim.cited.index(p[0].passage))
    )
    return "cited", tuple(_best([p for p in cited if p[0].passage == i]) for i in passages)


class _Citations:
    """One citation per distinct supporting span, numbered in order of first use."""

    def __init__(self, passages: list[Hit]) -> None:
        self.passages = passages
        self.ids: dict[tuple[str, int, int], int] = {}
        self.list: list[Citation] = []

    def add(self, span: Span) -> int:
        h = self.passages[span.passage]
        key = (h.source, span.start, span.end)
        if key not in self.ids:
            self.ids[key] = len(self.list) + 1
            self.list.append(Citation.of(self.ids[key], h, span.start, span.end))
        return self.ids[key]


def _record(t: Trial, kind: str, kept: bool, ids: tuple[int, ...], found: tuple[Span, ...]) -> ClaimCheck:
    """What explain shows of one claim: its support, and the span that fitted it best."""
    pairs = list(zip(t.spans, t.judged, strict=True))
    if found:
        pairs = [p for p in pairs if p[0] in found] or pairs
    best = max(pairs, key=lambda p: p[1].fit, default=None)
    return ClaimCheck(
        text=t.text,
        support=kind,
        kept=kept,
        citations=ids,
        closest=best[0].text if best else "",
        coverage=best[1].coverage if best else None,
        similarity=best[1].similarity if best else None,
        fixed=t.fixed,
    )


def _warnings(counts: Counter[str], keep_unsupported: bool) -> list[str]:
    templates = [
        ("none", "claim", KEPT if keep_unsupported else REMOVED),
        ("contradicts", "claim", CONTRADICTED),
        ("quote", "claim", QUOTE_MISSING),
        ("fixed", "quotation", QUOTE_FIXED),
    ]
    return [t.format(*_count(counts[k], thing)) for k, thing, t in templates if counts[k]]


def check_claims(
    text: str,
    order: list[int],
    passages: list[Hit],
    embedder: Embedder,
    rules: SupportRules = RULES,
    keep_unsupported: bool = False,
) -> Checked:
    """Attribute each claim of normalised model text (markers [k] name passages[order[k-1]-1])."""
    blocks = split_claims(text, order, rules)
    every = [s for i, h in enumerate(passages) for s in spans(i, h, rules)]
    common, facts_of = common_words(passages), _Facts(passages, rules)
    trials = {
        id(c): _trial(c, passages, every, common, facts_of, rules)
        for b in blocks
        for s in b.sentences
        for c in s.claims
    }
    _similarities(list(trials.values()), passages, embedder, facts_of, rules)
    cites, counts = _Citations(passages), Counter[str]()
    records: list[ClaimCheck] = []

    def shown(c: Claim) -> str | None:
        """The claim as the checked answer words it, or None when it goes."""
        t = trials[id(c)]
        kind, found = support_of(t)
        counts[kind] += 1
        unsupported = kind == "none" and keep_unsupported
        if kind == "cited" or unsupported:
            counts["fixed"] += t.fixed
        if kind == "cited":
            ids = tuple(cites.add(f) for f in found)
            records.append(_record(t, kind, True, ids, found))
            return t.text + " " + "".join(f"[{i}]" for i in ids)
        records.append(_record(t, kind, unsupported or kind == "plain", (), ()))
        if unsupported:
            return f"{t.text} {UNSUPPORTED_MARK}"
        return t.text if kind == "plain" else None

    text = render_blocks(blocks, shown)
    return Checked(text, cites.list, _warnings(counts, keep_unsupported), counts["cited"], records)
