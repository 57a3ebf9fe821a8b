""" "Who said …?" in local mode: the compact evidence holds the sentence naming the speaker when the reader's
best sentence says only "he said" (app/answer/shapes/said.speaker_before), also when the extractive draft was
refused (the yes/no check said no) and so cites nothing; without it the model cannot name the speaker."""

from __future__ import annotations

from types import SimpleNamespace

from app.answer.pipeline import Trace, evidence_from
from app.answer.reader.choose import Choice
from app.answer.reader.extractive import Scored
from app.answer.shapes.compose import refusal
from app.core.settings import Settings
from app.core.types import Hit, Query
from tests.test_speaker import ARTICLE, passage, statement  # the same article and passages


def deps() -> SimpleNamespace:
    counter = SimpleNamespace(count=lambda text: len(text.split()))
    return SimpleNamespace(settings=Settings(), llm=SimpleNamespace(counter=counter))


def evidence(question: str, hits: list[Hit], best: Scored) -> list[str]:
    query = Query(question, question)
    seen = Trace(query=query, read=hits, choices=[Choice(sentence=best, prob=0.7)])
    return [h.text for h in evidence_from(refusal(query, []), seen, hits, deps())]


def test_who_said_evidence_names_the_speaker() -> None:
    h = passage(0, len(ARTICLE))
    got = evidence("Who said Turkey is ready for all possibilities?", [h], statement(h))
    assert any("Yusuf Katipoglu" in t for t in got)
    assert any("he said" in t for t in got)
    speaker = next(i for i, t in enumerate(got) if "Yusuf" in t)
    said = next(i for i, t in enumerate(got) if "he said" in t)
    assert speaker <= said  # the speaker first (or the same piece)


def test_the_speaker_from_the_retrieved_passage_before() -> None:
    cut = ARTICLE.index("Russia")
    first, second = passage(0, cut - 1), passage(cut, len(ARTICLE))
    got = evidence("Who said Turkey is ready?", [second, first], statement(second))
    assert got[0].startswith("Yusuf Katipoglu") and "he said" in got[1]
    assert all(ARTICLE[h.start : h.end] == h.text for h in [first, second])


def test_other_questions_get_no_speaker_sentence() -> None:
    cut = ARTICLE.index("Russia")
    first, second = passage(0, cut - 1), passage(cut, len(ARTICLE))
    got = evidence("Is Turkey ready for all possibilities?", [second, first], statement(second))
    assert got[0].startswith("But Turkey")
