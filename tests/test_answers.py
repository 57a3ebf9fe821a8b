"""Extractive answers: representative questions, refusals, follow-ups, and the answer-object invariants."""

from __future__ import annotations

import re

import pytest

from app.answer.pipeline import answer, condense
from app.core.errors import BadHistory, BadQuestion
from tests.conftest import SEEDS


def check_invariants(a):
    d = a.to_dict()
    ids = {c["id"] for c in d["citations"]}
    for c in d["citations"]:
        text = (SEEDS / c["source"]).read_bytes().decode("utf-8")
        assert text[c["start"] : c["end"]] == c["quote"]
    for n in re.findall(r"\[(\d+)\]", d["answer"]):
        assert int(n) in ids
    if d["refused"]:
        assert d["citations"] == []
    else:
        assert d["citations"] and re.search(r"\[\d+\]", d["answer"])
    assert d["mode"] == "extractive"
    return d


@pytest.mark.parametrize(
    ("question", "must", "source"),
    [
        ("What did Turkey deploy in September?", ["20", "vehicles"], "001_f4fb8e769c839d13.txt"),
        ("Which border crossing did the convoy use?", ["Kafr Luzhin"], "001_f4fb8e769c839d13.txt"),
        ("What missiles did Turkey place in Jabal Al-Zawiya?", ["Atilgan"], "002_15724484db3c7ef9.txt"),
        (
            "How many Turkish soldiers died in the 2020 offensive in Idlib?",
            ["36"],
            "003_3dbc0d45797076de.txt",
        ),
        ("Who is Turkey's foreign minister?", ["Hakan Fidan"], "004_ff68c7c449e44f58.txt"),
        (
            "How many people were displaced by the regime's last campaign in Idlib?",
            ["million"],
            "002_15724484db3c7ef9.txt",
        ),
    ],
)
def test_answers_cite_the_passage(deps, question, must, source):
    d = check_invariants(answer(question, [], deps))
    assert not d["refused"]
    for m in must:
        assert m in d["answer"]
    assert any(c["source"] == source and any(m in c["quote"] for m in must) for c in d["citations"])
    assert d["citations"][0]["title"] and "World News" not in d["citations"][0]["title"]


@pytest.mark.parametrize(
    "question",
    [
        "Who won the 2022 FIFA World Cup?",
        "What is the population of Damascus?",
        "How many tanks did Israel send to Lebanon in 2023?",
        "What is the capital of France?",
        "How many Turkish soldiers were killed on September 1?",
    ],
)
def test_refuses_when_the_articles_do_not_say(deps, question):
    d = check_invariants(answer(question, [], deps))
    assert d["refused"] and "don't say" in d["answer"]


def test_follow_up_uses_the_conversation(deps):
    history = [
        {"role": "user", "content": "What did Turkey deploy in September?"},
        {
            "role": "assistant",
            "content": "On 10 September the Turkish army sent 20 military vehicles into Idlib.",
        },
    ]
    d = check_invariants(answer("Where were they headed?", history, deps))
    assert "al-Bara" in d["answer"] and "Kansafra" in d["answer"]
    # without the history the same words are too vague to answer from
    alone = answer("Where were they headed?", [], deps)
    assert alone.refused or "Kansafra" not in alone.answer


def test_a_follow_ups_short_answer_is_about_the_earlier_questions_subject(deps):
    """The span reader reads "Which party is Yusuf Katipoglu a member of?", not the name as the answer."""
    history = [
        {"role": "user", "content": "Who is Yusuf Katipoglu?"},
        {"role": "assistant", "content": "a member of Turkey's ruling Justice and Development Party [1]"},
    ]
    d = check_invariants(answer("Which party is he a member of?", history, deps))
    assert "Justice and Development Party" in d["answer"]


def test_condense_only_rewrites_dependent_questions():
    hist = [
        {"role": "user", "content": "Which group led the offensive on Aleppo?"},
        {"role": "assistant", "content": "HTS led it [1]."},
    ]
    q = condense("Who backs them?", hist)
    assert "Aleppo" in q.standalone and "HTS" in q.search_text
    assert condense("How many Turkish soldiers were in Idlib province?", hist).standalone.startswith(
        "How many"
    )


def test_answers_are_deterministic(deps):
    q = "Which Iraqi groups crossed into Syria?"
    assert answer(q, [], deps).to_dict() == answer(q, [], deps).to_dict()


@pytest.mark.parametrize("bad", ["", "   ", None, 42, "x" * 5000])
def test_bad_questions(deps, bad):
    with pytest.raises(BadQuestion):
        answer(bad, [], deps)


@pytest.mark.parametrize("hist", ["nope", [{"role": "system", "content": "x"}], [{"role": "user"}], [1]])
def test_bad_history(deps, hist):
    with pytest.raises(BadHistory):
        answer("What did Turkey deploy?", hist, deps)
