"""Timelines: dated events about a subject, oldest first, each line a sentence cited to its exact offsets."""

from __future__ import annotations

import pytest

from app.answer.news.timeline import asks_for_timeline, build_timeline, subject_of, timeline
from app.answer.pipeline import answer
from app.answer.question.timeq import time_window
from app.core.errors import BadQuestion
from tests.conftest import SEEDS
from tests.test_answers import check_invariants


@pytest.mark.parametrize(
    ("question", "asks", "subject"),
    [
        ("Give me a timeline of Turkish deployments", True, "Turkish deployments"),
        ("What happened between June 2020 and December 2024 in Idlib?", True, "Idlib"),
        ("What happened in 2020?", True, ""),
        ("Chronology of the Idlib ceasefire, please", True, "Idlib ceasefire"),
        ("What happened on 26 August?", False, None),  # a bare date: a question for the reader
        ("What did Turkey deploy in September?", False, None),
    ],
)
def test_timeline_questions(question, asks, subject):
    w = time_window(question, None)
    assert asks_for_timeline(question, w) == asks
    if subject is not None:
        assert subject_of(question, w) == subject


def check_timeline(t):
    dates = [e.date for e in t.events]
    assert dates == sorted(dates)
    for e in t.events:
        c = e.citation
        assert (SEEDS / c.source).read_text(encoding="utf-8")[c.start : c.end] == c.quote
    assert [e.citation.id for e in t.events] == list(range(1, len(t.events) + 1))


def test_timeline_of_turkish_deployments(deps):
    t = build_timeline("Give me a timeline of Turkish deployments", deps.retriever, deps.settings)
    check_timeline(t)
    by_label = {e.label: e.citation.quote for e in t.events}
    assert "Turkish army set up four new positions" in by_label["4 June 2020"]
    assert t.undated > 0  # "On 10 September ..." is in an undated article: not placed


def test_timeline_within_a_window_from_the_chat(deps):
    d = check_invariants(answer("What happened between June 2020 and December 2024 in Idlib?", [], deps))
    lines = d["answer"].splitlines()
    assert lines[0].startswith("3 June 2020 (The New Arab): On Wednesday, Russia launched")
    assert lines[1].startswith("4 June 2020 (The New Arab): On Thursday, the Turkish army set up")
    assert all(not ln.startswith(("2019", "2020:", "March")) for ln in lines)  # periods not inside the window


def test_timeline_with_nothing_dated_is_an_honest_refusal(deps):
    d = check_invariants(answer("Give me a timeline of the FIFA World Cup", [], deps))
    assert d["refused"] and d["answer"].startswith("The indexed articles don't say")


def test_timeline_entry_point_checks_its_input(deps):
    with pytest.raises(BadQuestion):
        timeline("  ", deps.retriever, deps.settings)
    t = timeline("Idlib ceasefire", deps.retriever, deps.settings)  # a bare subject works too
    check_timeline(t)
    assert any(e.label == "5 March 2020" for e in t.events)


def test_timeline_api(seed_settings, deps):
    from fastapi.testclient import TestClient

    from app.web.api import create_app

    with TestClient(create_app(seed_settings, deps)) as c:
        r = c.get("/api/timeline", params={"q": "Turkish deployments"})
        assert r.status_code == 200
        body = r.json()
        assert body["events"] and {"date", "grain", "label", "citation"} <= set(body["events"][0])
        assert c.get("/api/timeline").status_code == 400


def test_timeline_html_is_escaped():
    from app.core.types import Citation, Timeline, TimelineEvent
    from app.web.render import timeline_html

    c = Citation(id=1, source="s", title="<b>", published=None, quote="<script>x</script>", start=0, end=1)
    html = timeline_html(
        Timeline(query="q", events=[TimelineEvent(date="2020-01-01", grain="year", label="2020", citation=c)])
    )
    assert "<script>" not in html and "&lt;script&gt;" in html and "<time" in html
