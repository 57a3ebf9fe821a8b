"""Why this answer? The explain trace names the stage that decided, for each way an answer comes about over the
seeds (a scripted span reader where the reader must decide a fixed way, the scripted OpenAI server where a
model writes); explaining never changes the answer; POST /api/ask explains only with the admin token or an
API key."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from app.answer.explain import (
    ANSWERED,
    CLAIMS,
    FINDER,
    READER,
    RETRIEVAL,
    VETO,
    explain,
    explain_text,
)
from app.answer.pipeline import Deps, Trace, answer
from app.answer.reader.neural import Policy
from app.core.errors import ExplainNotAllowed
from tests.fake_openai import SCENARIOS

CROSSING = "Which border crossing did the Turkish convoy use to enter Syria?"
TOKEN = "explain-admin-token-0123456789"
KEY = "explain-api-key-0123456789"


class Span:
    def __init__(self, start: int, end: int, text: str, prob: float) -> None:
        self.start, self.end, self.text, self.score, self.prob = start, end, text, 1.0, prob


class Scripted:
    """A span reader that decides as told: `words` wherever they occur with probability `prob`, or (no words)
    the first two words of every passage."""

    def __init__(self, prob: float, words: str | None = None) -> None:
        self.prob, self.words = prob, words

    def read(self, question: str, passages: list[str]) -> list[Span | None]:
        out: list[Span | None] = []
        for p in passages:
            if self.words is None:
                end = p.find(" ", p.find(" ") + 1)
                out.append(Span(0, end, p[:end], self.prob))
            else:
                i = p.find(self.words)
                out.append(None if i < 0 else Span(i, i + len(self.words), self.words, self.prob))
        return out


def neural(deps: Deps, reader: Scripted, **policy: object) -> Deps:
    """The seed deps with a scripted MPNet-tier reader and its operating point."""
    return Deps(
        deps.settings,
        deps.retriever,
        deps.embedder,
        None,
        deps.answerability,
        deps.reader,
        reader,
        Policy(**policy),  # type: ignore[arg-type]
    )


def fast(deps: Deps) -> Deps:
    """The seed deps on the fast tier (whether or not the MPNet reader's weights are here)."""
    return Deps(deps.settings, deps.retriever, deps.embedder, None, deps.answerability, deps.reader)


class NoHits:
    """The seed retriever, finding nothing."""

    def __init__(self, inner) -> None:
        self.inner = inner

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def retrieve(self, *args, **kwargs):
        return []


def traced(question: str, deps: Deps) -> tuple[Trace, dict]:
    """The trace of a question, its explanation (checked JSON-safe), and that the answer is the same without."""
    trace = Trace()
    got = answer(question, [], deps, trace)
    e = explain(trace)
    assert json.loads(json.dumps(e)) == e
    assert trace.answer == got
    return trace, e


def test_answered_by_the_reader_names_the_span_and_highlights_it(deps):
    d = neural(deps, Scripted(0.9, "Kafr Luzhin"))
    trace, e = traced(CROSSING, d)
    assert answer(CROSSING, [], d) == trace.answer  # the same answer without a trace
    assert e["verdict"]["stage"] == ANSWERED and not e["answer"]["refused"]
    r = e["reader"]
    assert r["engine"] == "mpnet" and r["reason"] == "answered" and r["bar"] == 0.5
    best = [x for x in r["reads"] if x["best"]]
    assert len(best) == 1 and best[0]["span"] == "Kafr Luzhin" and best[0]["prob"] == 0.9
    # the passage holding it shows the span marked inside its cited sentence; pieces join to the passage
    by_id = {h.id: h for h in trace.hits}
    marked = [p for p in e["retrieval"]["passages"] if any(x["mark"] == "span" for x in p["pieces"])]
    assert marked and all("".join(x["text"] for x in p["pieces"]) == by_id[p["id"]].text for p in marked)
    assert [x["text"] for x in marked[0]["pieces"] if x["mark"] == "span"] == ["Kafr Luzhin"]
    # retrieval: each passage's dense and/or keyword rank and the fused score, in fused order
    ps = e["retrieval"]["passages"]
    assert all(p["dense_rank"] or p["keyword_rank"] for p in ps)
    assert [p["fused"] for p in ps] == sorted((p["fused"] for p in ps), reverse=True)
    assert e["question"]["kind"] == "factoid" and "Syria" in e["question"]["names"]
    assert "Decided by: answered" in explain_text(trace)


def test_below_the_bar_the_reader_refused(deps):
    trace, e = traced(CROSSING, neural(deps, Scripted(0.2, "Kafr Luzhin")))
    assert trace.answer is not None and trace.answer.refused
    assert e["verdict"]["stage"] == READER and "below the bar 0.50" in e["verdict"]["detail"]
    assert e["reader"]["reason"] == "below the bar"


def test_a_veto_names_which(deps):
    # the question names 400; no sentence the reader reads has it, and the number veto is on
    trace, e = traced(
        "What did the 400 Turkish soldiers deploy?", neural(deps, Scripted(0.9), vetoes=("number",))
    )
    assert trace.answer is not None and trace.answer.refused
    assert e["verdict"]["stage"] == VETO and "number" in e["verdict"]["detail"]
    assert e["reader"]["reason"] == "vetoed"
    assert all(x["vetoes_active"] == ["number"] for x in e["reader"]["reads"])
    # the same reads with the veto off: answered
    _, off = traced("What did the 400 Turkish soldiers deploy?", neural(deps, Scripted(0.9), vetoes=()))
    assert off["verdict"]["stage"] == ANSWERED


def test_nothing_retrieved(deps):
    d = Deps(deps.settings, NoHits(deps.retriever), deps.embedder, None, deps.answerability, deps.reader)
    trace, e = traced(CROSSING, d)
    assert trace.answer is not None and trace.answer.refused
    assert e["verdict"]["stage"] == RETRIEVAL and e["retrieval"]["passages"] == []


def test_the_time_filter_removing_everything_is_retrieval(deps):
    trace, e = traced("What did Turkey deploy in 1999?", deps)
    assert trace.answer is not None and trace.answer.refused
    assert e["verdict"]["stage"] == RETRIEVAL and "time filter" in e["verdict"]["detail"]
    assert e["question"]["time"]["from"] == "1999-01-01" and e["question"]["time"]["to"] == "1999-12-31"
    tf = e["retrieval"]["time_filter"]
    assert tf["kept"] == 0 and tf["removed"] == len(e["retrieval"]["passages"]) > 0


def test_a_finder_decides_why_questions(deps):
    _, e = traced("Why are Syrian regime forces advancing on Idlib?", fast(deps))
    assert e["verdict"]["stage"] == FINDER and "why" in e["verdict"]["detail"]


def test_fast_tier_answer_lists_its_sentences(deps):
    trace, e = traced("What did Turkey deploy in September?", fast(deps))
    assert e["verdict"]["stage"] == ANSWERED and trace.decision is None
    assert e["reader"]["engine"] == "answerability" and e["reader"]["sentences"] and e["reader"]["choices"]
    assert e["reader"]["choices"][0]["sentence"].startswith("On 10 September")


def test_the_verdict_agrees_with_the_answer(deps):
    """Whichever reader the machine has (the MPNet reader's weights may be missing)."""
    trace, e = traced("What did Turkey deploy in September?", deps)
    assert trace.answer is not None
    assert e["verdict"]["stage"] in ((READER, VETO) if trace.answer.refused else (ANSWERED, FINDER))


def test_a_claim_removed_by_the_check(llm_deps, server):
    server.push(SCENARIOS["invented"])
    trace, e = traced("What did Turkey deploy in September?", llm_deps)
    assert e["verdict"]["stage"] == CLAIMS and "40 fighter jets" in e["verdict"]["detail"]
    claims = e["claims"]["claims"]
    assert [c["kept"] for c in claims] == [True, False]
    assert claims[0]["citations"] == [1] and claims[1]["support"] in ("none", "contradicts")
    assert e["claims"]["removed"] == 1 and e["mode"] == "llm"
    assert "REMOVED" in explain_text(trace)
    # the same answer without a trace
    server.push(SCENARIOS["invented"])
    assert answer("What did Turkey deploy in September?", [], llm_deps) == trace.answer


def test_no_supported_claim_falls_back_and_says_so(llm_deps, server):
    server.push("Reinforcements were flown to Damascus airport by Chinese transport planes [1].")
    trace, e = traced("What did Turkey deploy in September?", llm_deps)
    assert trace.answer is not None and trace.answer.mode == "extractive"
    assert e["verdict"]["stage"] == CLAIMS and e["claims"]["supported"] == 0 and e["claims"]["fallback"]


@pytest.mark.parametrize(
    "question",
    [
        "How many Turkish soldiers died in the 2020 Idlib offensive?",
        "What did Turkey deploy in 1999?",
        "Where were they headed?",
    ],
)
def test_explain_never_changes_the_answer(deps, question):
    trace = Trace()
    assert answer(question, [], deps, trace) == answer(question, [], deps)
    assert explain_text(trace).startswith("Why this answer? Decided by:")


@pytest.mark.slow  # opens the index three times (a reader model each time)
def test_sourced_ask_explain(seed_settings, capsys):
    from app.cli import main

    base = ["ask", "--index-dir", str(seed_settings.index_dir), "--mode", "extractive"]
    assert main([*base, "--json", CROSSING]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert main([*base, "--json", "--explain", CROSSING]) == 0
    got = json.loads(capsys.readouterr().out)
    why = got.pop("explain")
    assert got == plain and why["verdict"]["stage"] and why["retrieval"]["passages"]
    assert main([*base, "--explain", CROSSING]) == 0
    text = capsys.readouterr().out
    assert "Why this answer? Decided by:" in text and "Retrieval: " in text and "fused" in text


# -- over HTTP -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(seed_settings, deps):
    from app.web.api import create_app

    s = seed_settings.model_copy(update={"admin_token": SecretStr(TOKEN)})
    with TestClient(create_app(s, deps)) as c:
        yield c


@pytest.mark.slow  # a FastAPI + Gradio app of its own (about 5 s to build)
def test_explain_needs_the_admin_token_or_a_key(client):
    body = {"question": CROSSING, "explain": True}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        r = client.post("/api/ask", json=body, headers=headers)
        assert r.status_code == 403 and r.json() == {"error": ExplainNotAllowed.message}
        assert "Traceback" not in r.text
    plain = client.post("/api/ask", json={"question": CROSSING})
    assert plain.status_code == 200 and "explain" not in plain.json()
    got = client.post("/api/ask", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert got.status_code == 200
    d = got.json()
    why = d.pop("explain")
    assert d == plain.json()  # the answer with and without explain is identical
    assert why["verdict"]["stage"] and why["retrieval"]["passages"]


@pytest.mark.slow  # a FastAPI + Gradio app of its own
def test_explain_with_an_api_key(seed_settings, deps):
    from app.web.api import create_app

    s = seed_settings.model_copy(update={"api_keys": [SecretStr(KEY)]})
    with TestClient(create_app(s, deps)) as c:
        auth = {"Authorization": f"Bearer {KEY}"}
        r = c.post("/api/ask", json={"question": CROSSING, "explain": True}, headers=auth)
        assert r.status_code == 200 and "explain" in r.json()
        assert c.post("/api/ask", json={"question": CROSSING, "explain": True}).status_code == 401
