"""The extractive engine's weights and thresholds as named data (one frozen object, passed in)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Weights:
    """How sentence features combine into a score, and the bars a sentence must clear to be an answer."""

    # score = (sim * similarity + lexical part) * factors
    similarity: float = 0.45  # weight of the sentence's cosine similarity to the question
    own_coverage: float = 0.35  # weight of question-term coverage by the sentence (and its predecessor)
    context_coverage: float = 0.2  # weight of coverage by the whole passage and title
    previous_sentence: float = 0.8  # coverage that leans on the sentence before counts this much
    context_terms: float = 0.5  # a follow-up's terms from the earlier question weigh this much
    long_sentence_words: int = 40  # coverage of longer sentences is scaled down by words/this
    stand_in_similarity: float = 0.3  # similarity assumed before a sentence is embedded

    # the asked-for kind of answer right by a question term ("led by X", "36 Turkish soldiers")
    near_tokens: int = 3
    near_bonus: float = 0.12
    nearish_tokens: int = 6
    nearish_bonus: float = 0.06
    focus_bonus: float = 0.08  # ... and by the asked-about noun or verb itself

    # multiplicative factors
    month_in_passage: float = 0.6  # the asked month is in the passage but not the sentence
    month_missing: float = 0.3  # the asked month is nowhere in the passage
    year_missing: float = 0.5  # the asked year is in neither the passage nor the title
    repeat_penalty: float = 0.6  # share of a follow-up answer's words already given, times this, is lost
    untyped_strict: float = 0.6  # a number/date question's sentence holds no number/date
    untyped: float = 0.85  # other questions' sentence holds no name of the asked kind

    # answerability
    full_coverage: float = 0.99  # a names-only question needs (nearly) all its terms in the sentence
    paraphrase_similarity: float = 0.6  # similarity that vouches for a sentence missing the focus terms
    date_lookback_chars: int = 200  # a month named this close before the sentence dates it
    sentence_share: float = 0.5  # the sentence itself must cover this share of the coverage bar
    passage_share: float = 0.5  # ... where its passage's coverage counts this much

    # selection
    best_vs_top: float = 0.7  # the best answerable sentence must score at least this share of the top one
    same_source_bar: float = 0.85  # runners-up from the best sentence's article
    other_source_bar: float = 0.93  # runners-up from other articles
    continuation_bar: float = 0.25  # the sentence after the best joins above this share of its score

    # short answers
    crisp_span_words: int = 4  # a name or number this short is an answer whole, even from a lead sentence


WEIGHTS = Weights()

# A question of these kinds needs a number/date in the sentence; names can hide in common nouns ("soldiers").
STRICT_TYPES = frozenset({"number", "date"})
