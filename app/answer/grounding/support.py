"""Does a passage's sentence support a claim? Its numbers, dates and names must appear there, and its words be
covered or its meaning close. Lexical and embedding checks only: no entailment (NLI) model is available offline,
so a claim that reverses its sentence with the same words ("withdrew" for "deployed") is not caught."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from app.core.types import Hit
from app.text.dates import MONTHS
from app.text.numbers import Mention, numbers
from app.text.sentences import split_sentences
from app.text.words import STOPWORDS, terms


@dataclass(frozen=True, kw_only=True)
class SupportRules:
    """The thresholds of the claim check, chosen on the table of claim/passage pairs in tests/test_claims.py."""

    # Names, numbers and negation must match in any case; then a span holding all the claim's content terms
    # supports it, and one holding at least min_coverage of them supports it at min_similarity.
    full_coverage: float = 1.0
    min_coverage: float = 0.25
    min_similarity: float = 0.565  # cosine similarity of claim and span
    contradiction_coverage: float = 0.5  # an on-topic span giving another number for the thing contradicts
    number_context: int = 2  # content terms after (else before) a number that say what it counts
    window_sentences: int = 2  # a claim may rest on this many adjacent sentences of one passage
    clause_min_words: int = 4  # both sides of ", and"/", but" need this many words to be separate claims, ...
    subject_clause_min_words: int = 3  # ... or this many when the right side has a subject of its own
    quote_min_ratio: float = 0.8  # similarity (difflib ratio) of a misquotation to the passage's exact words
    similarity_candidates: int = 4  # spans per claim whose similarity is computed (the lexically best)


RULES = SupportRules()

# Words that reverse a statement: a claim and its support are both negated or neither is.
NEGATIONS = frozenset({"not", "no", "never", "none", "neither", "nor", "cannot", "without"})
# Number words that are usually pronouns ("one of them", "no one"), not facts to find.
VAGUE_NUMBERS = frozenset({"one", "zero"})
# Lower-case particles that begin names ("al-Bara", "bin-Salman").
NAME_PARTICLES = ("al", "el", "ad", "as", "ash", "an", "bin", "ibn", "abu")
_NAME = re.compile(rf"(?<![\w'’-])(?:(?:{'|'.join(NAME_PARTICLES)})-)?[A-Z][\w'’\-]*")
_WORD = re.compile(r"[\w'’\-]+")
_POSSESSIVE = re.compile(r"['’]s$")

Verdict = Literal["supports", "contradicts", "none"]


@dataclass(frozen=True)
class Facts:
    """What a claim asserts that its support must hold."""

    terms: frozenset[str]  # content terms (stemmed, demonyms folded), numbers left out
    numbers: tuple[Mention, ...]
    contexts: tuple[frozenset[str], ...]  # per number: the terms saying what it counts
    names: tuple[str, ...]  # capitalised words as written
    negated: bool


@dataclass(frozen=True)
class Span:
    """One sentence, or a few adjacent ones, of a prompt passage: hit.text[start-hit.start:end-hit.start]."""

    passage: int  # index into the prompt's passages
    start: int  # absolute document offsets
    end: int
    text: str
    sentences: tuple[tuple[int, int], ...]  # the absolute spans of its sentences


@dataclass(frozen=True)
class SpanFacts:
    """A span's facts, for matching claims against it."""

    terms: frozenset[str]
    numbers: frozenset[str]
    mentions: tuple[tuple[str, frozenset[str]], ...]  # (value, what it counts) per number
    text: str  # the span with its passage's publication date, for names
    negated: bool


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    coverage: float  # share of the claim's content terms in the span
    similarity: float | None = None  # cosine similarity of claim and span, once computed
    pending: bool = False  # the facts hold and enough words are shared: the similarity decides
    full: bool = False  # supported by full coverage of the claim's words

    @property
    def fit(self) -> tuple[bool, float]:
        """How well the span fits the claim: full coverage first, then the mean of coverage and similarity."""
        return self.full, (self.coverage + (self.similarity or 0.0)) / 2


def _number_terms(text: str) -> set[str]:
    return {t for m in numbers(text) for t in terms(m.text)}


def _context(text: str, m: Mention, n: int) -> frozenset[str]:
    """What a number counts: the content terms right after it ("20 Turkish vehicles"), else right before it;
    and the month it dates ("September 1")."""
    after = [t for t in terms(text[m.end :]) if not t[:1].isdigit()][:n]
    before = [t for t in terms(text[: m.start]) if not t[:1].isdigit()][-n:]
    near = f"{text[max(0, m.start - 12) : m.start]} {text[m.end : m.end + 12]}"
    return frozenset(
        (after or before) + terms(" ".join(w for w in _WORD.findall(near) if w.lower() in MONTHS))
    )


def _negated(text: str) -> bool:
    words = {w.lower().replace("’", "'") for w in _WORD.findall(text)}
    return bool(words & NEGATIONS) or any(w.endswith("n't") for w in words)


def _names(text: str, common: frozenset[str]) -> tuple[str, ...]:
    """Capitalised words; a sentence's first word only when the passages never write it in lower case."""
    out = []
    for m in _NAME.finditer(text):
        word = _POSSESSIVE.sub("", m.group(0))
        low = word.lower()
        if low in STOPWORDS or len(word) < 2 or numbers(word):
            continue
        opening = not text[: m.start()].strip(" \"'“‘(")
        if opening and low in common:
            continue
        out.append(word)
    return tuple(out)


def claim_facts(text: str, common: frozenset[str], rules: SupportRules = RULES) -> Facts:
    """A claim's content terms, numbers (with what they count), names and polarity."""
    mentions = tuple(m for m in numbers(text) if m.text.lower() not in VAGUE_NUMBERS)
    names = _names(text, common)
    return Facts(
        terms=frozenset(terms(text)) - _number_terms(text),
        numbers=mentions,
        contexts=tuple(_context(text, m, rules.number_context) for m in mentions),
        names=names,
        negated=_negated(text),
    )


def common_words(passages: list[Hit]) -> frozenset[str]:
    """Words the passages write in lower case: at the start of a claim they are not names."""
    return frozenset(w for h in passages for w in _WORD.findall(h.text) if w[:1].islower())


def span_facts(span: Span, hit: Hit, rules: SupportRules = RULES) -> SpanFacts:
    """A span's facts; its passage's publication year and month count as written there."""
    dated = span.text
    if hit.published and len(hit.published) >= 7 and hit.published[5:7].isdigit():
        month = [m for m, i in MONTHS.items() if i == int(hit.published[5:7])]
        dated = f"{span.text} ({' '.join(month).title()} {hit.published[:4]})"
    mentions = numbers(dated)
    return SpanFacts(
        terms=frozenset(terms(dated)),
        numbers=frozenset(m.value for m in mentions),
        mentions=tuple((m.value, _context(span.text, m, rules.number_context)) for m in numbers(span.text)),
        text=dated,
        negated=_negated(span.text),
    )


def _has_name(name: str, span: SpanFacts) -> bool:
    ts = terms(name)
    if ts and all(t in span.terms for t in ts):
        return True
    return bool(re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", span.text, re.IGNORECASE))


def coverage(claim: Facts, span: SpanFacts) -> float:
    """Share of the claim's content terms the span contains."""
    if not claim.terms:
        return 1.0
    return len(claim.terms & span.terms) / len(claim.terms)


def conflicts(claim: Facts, span: SpanFacts) -> bool:
    """The span gives a different number for something the claim counts ("20 vehicles" against "30 vehicles")."""
    have = span.numbers
    for m, ctx in zip(claim.numbers, claim.contexts, strict=True):
        if m.value in have or not ctx:
            continue
        if any(value != m.value and ctx & other for value, other in span.mentions):
            return True
    return False


def judge(claim: Facts, span: SpanFacts, sim: float | None, rules: SupportRules = RULES) -> Judgement:
    """Supports, contradicts, or neither; sim is the claim's cosine similarity to the span (None: not yet
    computed, and the judgement is `pending` when only the similarity can decide)."""
    names_ok = all(_has_name(n, span) for n in claim.names)
    numbers_ok = all(m.value in span.numbers for m in claim.numbers)
    cov = coverage(claim, span)
    if names_ok and not numbers_ok and cov >= rules.contradiction_coverage and conflicts(claim, span):
        return Judgement("contradicts", cov, sim)
    if not (names_ok and numbers_ok) or claim.negated != span.negated or cov < rules.min_coverage:
        return Judgement("none", cov, sim)
    if cov >= rules.full_coverage:
        return Judgement("supports", cov, sim, full=True)
    if sim is None:
        return Judgement("none", cov, pending=True)
    return Judgement("supports" if sim >= rules.min_similarity else "none", cov, sim)


def sentences(hit: Hit) -> list[tuple[int, int]]:
    """The passage's sentences as absolute spans, never running across a line break."""
    out: list[tuple[int, int]] = []
    pos = 0
    for line in hit.text.split("\n"):
        out += [(hit.start + s, hit.start + e) for s, e in split_sentences(hit.text, pos, pos + len(line))]
        pos += len(line) + 1
    return out


def _span(passage: int, hit: Hit, sents: list[tuple[int, int]]) -> Span:
    s, e = sents[0][0], sents[-1][1]
    return Span(passage, s, e, hit.text[s - hit.start : e - hit.start], tuple(sents))


def spans(passage: int, hit: Hit, rules: SupportRules = RULES) -> list[Span]:
    """Every sentence of the passage, then every run of up to window_sentences adjacent sentences."""
    sents = sentences(hit)
    return [
        _span(passage, hit, sents[i : i + n])
        for n in range(1, rules.window_sentences + 1)
        for i in range(len(sents) - n + 1)
    ]


def covering(passage: int, hit: Hit, start: int, end: int) -> Span | None:
    """The sentences of the passage that hold the absolute range [start, end) (a quotation)."""
    sents = [(s, e) for s, e in sentences(hit) if s < end and e > start]
    return _span(passage, hit, sents) if sents else None
