"""The local model as an answer engine: which engine auto picks, the draft-then-checked stream on a scripted
model, faults, timeouts and a busy ingest falling back to the extractive answer, and the real model (slow)."""

from __future__ import annotations

import importlib.util
import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from app.answer.llm import modelfile, pick
from app.answer.llm.engine import LLMEngine, LLMFault
from app.answer.llm.pick import LocalModelUnavailable, build_engine, pick_engine
from app.answer.pipeline import Deps, answer, prefix_order, stream_answer
from app.core.busy import EMBEDDING, embedding
from app.core.errors import LOCAL_FALLBACK, LOCAL_NO_ANSWER
from app.core.settings import Settings
from app.core.types import Hit
from app.web.render import LOCAL_WRITING, LOCAL_WROTE, turn_html
from tests.conftest import SEEDS
from tests.factories import make_hit

QUESTION = "How many Turkish military vehicles entered Idlib?"


def check_citations(a) -> None:
    """Every marker names a citation; every citation quotes its document exactly; ids are 1..n."""
    assert [c.id for c in a.citations] == list(range(1, len(a.citations) + 1))
    assert {int(n) for n in re.findall(r"\[(\d+)\]", a.answer)} == {c.id for c in a.citations}
    for c in a.citations:
        assert (SEEDS / c.source).read_text(encoding="utf-8")[c.start : c.end] == c.quote


class Scripted:
    """A ChatBackend that plays scripted replies and records what it was sent."""

    def __init__(self, *replies: str, fail: bool = False, delay: float = 0.0) -> None:
        self.replies, self.fail, self.delay = list(replies), fail, delay
        self.sent: list[list[dict[str, str]]] = []

    def stream(self, messages, max_tokens, temperature) -> Iterator[str]:
        self.sent.append(messages)
        if self.fail:
            raise LLMFault("scripted fault")
        for word in re.findall(r"\S+\s*", self.replies.pop(0)):
            time.sleep(self.delay)
            yield word


def local_deps(deps, backend, **update) -> Deps:
    s = deps.settings.model_copy(update={"answer_mode": "local", **update})
    engine = LLMEngine(s, deps.embedder, backend, mode="local")
    return Deps(s, deps.retriever, deps.embedder, engine, deps.answerability, deps.reader)


# ---------------------------------------------------------------------------------------------------------
# Which engine


@pytest.mark.parametrize(
    ("mode", "key", "installed", "expected"),
    [
        ("auto", True, True, "llm"),  # a configured server wins
        ("auto", False, True, "local"),
        ("auto", False, False, "extractive"),
        ("local", False, False, "local"),  # asked for by name: tried (and fails loudly) even if absent
        ("extractive", True, True, "extractive"),
        ("llm", False, True, "llm"),
    ],
)
def test_pick_engine(monkeypatch, mode, key, installed, expected):
    monkeypatch.setattr(pick, "local_installed", lambda s: installed)
    s = Settings(answer_mode=mode, openai_api_key=SecretStr("k") if key else None)
    assert pick_engine(s) == expected


def test_local_installed_needs_llama_cpp_and_a_model(monkeypatch, tmp_path):
    have_llama = importlib.util.find_spec("llama_cpp") is not None
    monkeypatch.setattr(pick, "installed", lambda: False)
    assert not pick.local_installed(Settings())
    assert pick.local_installed(Settings(local_model_path=tmp_path / "own.gguf")) is have_llama


def test_asked_for_but_unverifiable_model_fails_loudly_auto_falls_back(monkeypatch, tmp_path, embedder):
    def refuse(path, cache):
        raise modelfile.ModelUnavailable(modelfile.NOT_INSTALLED)

    monkeypatch.setattr(pick, "resolve_model", refuse)
    monkeypatch.setattr(pick.importlib.util, "find_spec", lambda name: object())
    with pytest.raises(LocalModelUnavailable, match="make setup-llm"):
        build_engine(Settings(answer_mode="local"), embedder)
    monkeypatch.setattr(pick, "installed", lambda: True)
    assert build_engine(Settings(answer_mode="auto"), embedder) is None


def test_a_file_that_is_not_gguf_is_never_loaded(tmp_path, embedder, monkeypatch):
    bad = tmp_path / "model.gguf"
    bad.write_bytes(b"<html>not a model</html>")
    monkeypatch.setattr(pick.importlib.util, "find_spec", lambda name: object())
    with pytest.raises(LocalModelUnavailable, match="not a GGUF"):
        build_engine(Settings(answer_mode="local", local_model_path=bad), embedder)


# ---------------------------------------------------------------------------------------------------------
# The stream: the extractive draft at once, the model's words, then its checked answer


def test_draft_first_then_the_checked_local_answer(deps):
    backend = Scripted("20 Turkish military vehicles entered Idlib [1].")
    d = local_deps(deps, backend)
    items = list(stream_answer(QUESTION, [], d))
    first = items[0][1]
    assert first is not None and first.draft and first.mode == "extractive" and not first.refused
    assert [p for p, a in items[1:-1]] and all(a is None for _, a in items[1:-1])  # words as they come
    final = items[-1][1]
    assert final is not None and not final.draft and final.mode == "local" and not final.refused
    assert "20" in final.answer and final.warnings == []
    check_citations(final)
    assert "draft" not in final.to_dict()
    # the prompt: ours (system first, with the instructions), the compact evidence, no history
    messages = backend.sent[0]
    assert messages[0]["role"] == "system" and len(messages) == 2
    assert "one or two short sentences" in messages[0]["content"]
    user = messages[1]["content"]
    assert user.startswith("<evidence>\n[1] ") and "<passage" not in user
    assert d.llm.counter.count(user) <= d.settings.evidence_tokens + 80  # evidence, question, framing


def test_answer_returns_only_the_final(deps):
    a = answer(QUESTION, [], local_deps(deps, Scripted("20 vehicles entered Idlib [1].")))
    assert a.mode == "local" and not a.draft


def test_fault_keeps_the_extractive_answer_with_a_note(deps):
    a = answer(QUESTION, [], local_deps(deps, Scripted(fail=True)))
    plain = answer(QUESTION, [], deps)
    assert (
        a.mode == "extractive"
        and a.answer == plain.answer
        and a.warnings == [*plain.warnings, LOCAL_FALLBACK]
    )
    check_citations(a)


def test_invented_claims_fall_back_to_the_extractive_answer(deps):
    a = answer(QUESTION, [], local_deps(deps, Scripted("Turkey sent 400 warplanes over Paris [1].")))
    assert a.mode == "extractive" and not a.refused
    check_citations(a)


def test_model_refusal_is_a_refusal(deps):
    a = answer(
        "Who won the 2022 football World Cup?", [], local_deps(deps, Scripted("The articles don't say."))
    )
    assert a.refused and not a.citations


class SlowLlama:
    """Stands in for llama_cpp.Llama: one piece every `delay` seconds, never-ending unless stopped."""

    def __init__(self, delay: float) -> None:
        self.delay = delay

    def create_chat_completion(self, messages, stream, max_tokens, temperature, **kw):
        for _ in range(max_tokens):
            time.sleep(self.delay)
            yield {"choices": [{"delta": {"content": "word "}, "finish_reason": None}]}
        yield {"choices": [{"delta": {}, "finish_reason": "length"}]}


def slow_backend(monkeypatch, delay: float, **kw):
    from app.answer.llm import local

    monkeypatch.setattr(local, "load_model", lambda *a: SlowLlama(delay))
    return local.LocalBackend(Path("/nowhere.gguf"), **kw)


@pytest.mark.slow  # waits on purpose: not in make test-fast
def test_timeout_falls_back_in_time(deps, monkeypatch):
    d = local_deps(deps, slow_backend(monkeypatch, 0.05, timeout=0.3), local_max_tokens=1000)
    start = time.monotonic()
    a = answer(QUESTION, [], d)
    assert time.monotonic() - start < 5
    assert a.mode == "extractive" and LOCAL_FALLBACK in a.warnings


def test_never_generates_while_an_ingest_embeds(deps, monkeypatch):
    backend = slow_backend(monkeypatch, 0.0, busy=EMBEDDING, busy_wait=0.1)
    d = local_deps(deps, backend, local_max_tokens=3)
    with embedding():
        assert EMBEDDING.is_set()
        a = answer(QUESTION, [], d)
    assert a.mode == "extractive" and LOCAL_FALLBACK in a.warnings
    assert not EMBEDDING.is_set()


def test_embedding_flag_holds_until_the_last_block_ends():
    done = threading.Event()

    def other():
        with embedding():
            done.wait(5)

    t = threading.Thread(target=other)
    t.start()
    with embedding():
        pass
    assert EMBEDDING.is_set()  # the other thread still embeds
    done.set()
    t.join()
    assert not EMBEDDING.is_set()


def _hit(i: str) -> Hit:
    return make_hit(i, id=i, source=i, title=i, dense=1.0)


@pytest.mark.parametrize(
    ("now", "before", "limit", "expected"),
    [
        ("abcde", "", 4, "abcd"),  # first question: retrieval order
        ("xbayc", "abcd", 4, "abcx"),  # the last prompt's opening passages still retrieved stay first
        ("xbyc", "abcd", 4, "xbyc"),  # its first passage is gone: no shared prefix to keep
        ("cba", "abc", 2, "ab"),
    ],
)
def test_prefix_order(now, before, limit, expected):
    got = prefix_order([_hit(c) for c in now], [_hit(c) for c in before], limit)
    assert "".join(h.id for h in got) == expected


def test_follow_up_prompt_opens_like_the_last_one(deps):
    """The compact prompt (default): no condensing generation; the follow-up is resolved against the question
    before it, and its request opens with the very same system message (llama.cpp keeps that prefix)."""
    backend = Scripted(
        "Yusuf Katipoglu said there were 25,000 Turkish soldiers in Idlib province [1].",
        "Yusuf Katipoglu is a member of the ruling Justice and Development Party [1].",
    )
    d = local_deps(deps, backend)
    asked = "How many Turkish soldiers are in Idlib province, according to Yusuf Katipoglu?"
    first = answer(asked, [], d)
    history = [{"role": "user", "content": asked}, {"role": "assistant", "content": first.answer}]
    more = answer("Which party does he belong to?", history, d)
    assert len(backend.sent) == 2  # two answers, no condensing call
    one, two = backend.sent
    assert one[0] == two[0] and one[0]["role"] == "system"
    question = two[1]["content"].split("Question: ")[-1]  # resolved against the question before it
    assert question.startswith("Which party does") and "Yusuf Katipoglu" in question
    assert "Justice and Development" in two[1]["content"]
    assert more.mode == "local" and "Justice and Development" in more.answer
    check_citations(more)


def test_follow_up_with_passages_and_condensing(deps):
    """The old prompt (evidence_prompt=false, local_condense=true): the model condenses the follow-up, and
    the follow-up's passages open like the last prompt's."""
    backend = Scripted(
        "20 vehicles entered Idlib [1].",
        "Which border crossing did the Turkish military vehicles use?",  # the follow-up made standalone
        "Through the Kafr Luzhin crossing [1].",
    )
    d = local_deps(deps, backend, evidence_prompt=False, local_condense=True)
    first = answer(QUESTION, [], d)
    history = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": first.answer}]
    answer("Which crossing did they use?", history, d)
    one, condensing, two = (m[-1]["content"] for m in backend.sent)
    assert "Which crossing did they use?" in condensing and first.answer.split("[")[0].strip() in condensing
    assert "Which border crossing did the Turkish military vehicles use?" in two
    first_passage = re.search(r"<passage n=\"1\".*?</passage>", one, re.DOTALL)
    assert first_passage and first_passage.group(0) in two


def test_chat_page_shows_the_draft_then_who_wrote_it(deps):
    items = list(stream_answer(QUESTION, [], local_deps(deps, Scripted("20 vehicles entered Idlib [1]."))))
    draft, final = items[0][1], items[-1][1]
    html = turn_html(1, QUESTION, draft, lambda s: None, partial="20 vehicles")
    assert LOCAL_WRITING in html and "20 vehicles" in html and "sx-actions" not in html
    html = turn_html(1, QUESTION, final, lambda s: None, answer_id="x")
    assert LOCAL_WROTE in html and "sx-actions" in html and LOCAL_WRITING not in html


# ---------------------------------------------------------------------------------------------------------
# The real model (1.1 GB; installed by make setup-llm, which .ci/run runs)


@pytest.fixture(scope="module")
def real_deps(deps):
    if importlib.util.find_spec("llama_cpp") is None or not modelfile.installed():
        pytest.skip("the local model is not installed (make setup-llm)")
    from app.answer.pipeline import load_deps

    return load_deps(deps.settings.model_copy(update={"answer_mode": "local", "verify": "local"}))


P95_TARGET = 15.0  # seconds to the checked answer on an idle machine (issue 20)


def timed_answer(question, history, d):
    import os

    idle = os.getloadavg()[0] < 0.5
    start = time.monotonic()
    a = answer(question, history, d)
    took = time.monotonic() - start
    # the target holds on an idle machine; on a busy one (CI beside other jobs) only a loose bound
    assert took < (P95_TARGET if idle else 4 * P95_TARGET), (question, took)
    return a


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_real_model_answers_refuses_and_follows_up(real_deps):
    assert real_deps.llm is not None and real_deps.llm.mode == "local"
    answer("What did Turkey deploy in September?", [], real_deps)  # warm: the system prompt's state
    asked = "How many Turkish soldiers are in Idlib province, according to Yusuf Katipoglu?"
    a = timed_answer(asked, [], real_deps)
    assert a.mode == "local" and not a.refused and "25,000" in a.answer, a
    check_citations(a)
    no = timed_answer("Who won the 2022 football World Cup?", [], real_deps)
    assert no.refused and not no.citations, no
    history = [{"role": "user", "content": asked}, {"role": "assistant", "content": a.answer}]
    more = timed_answer("Which party does he belong to?", history, real_deps)
    assert not more.refused and "Justice and Development" in more.answer, more
    check_citations(more)
    # the model wrote it, or said why the extractive answer stands
    assert more.mode == "local" or {LOCAL_NO_ANSWER, LOCAL_FALLBACK} & set(more.warnings), more
    stats = real_deps.llm.backend.last
    assert stats["reused"] > 100 and stats["prompt_tokens"] < 700, (
        stats
    )  # the system prompt came from the cache


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_real_model_yes_no_check(real_deps):
    import os

    from app.answer.llm.verify import Verifier

    assert real_deps.verifier is not None
    # the judgement, not the timeout: a busy machine's first check (its prompt not yet cached) takes longer
    v = Verifier(real_deps.settings.model_copy(update={"verify_timeout": 120.0}), real_deps.llm.backend)
    idle = os.getloadavg()[0] < 0.5
    yes = v.check(
        "How many Turkish soldiers are in Idlib province?",
        "Yusuf Katipoglu told The New Arab that there were currently 25,000 Turkish soldiers in Idlib province.",
    )
    no = v.check(
        "Who won the 2022 football World Cup?", "Turkey set up four new positions in Idlib province."
    )
    assert (yes.verdict, no.verdict) == (True, False), (yes, no)
    if idle:
        again = v.check(
            "How many Turkish soldiers are in Idlib province?", "Turkey has 25,000 soldiers in Idlib."
        )
        assert again.seconds <= 2.0, again  # the target, once the check's own prefix is cached


def test_api_and_openai_stream_send_only_the_checked_local_answer(deps):
    from fastapi.testclient import TestClient

    from app.web.api import create_app

    reply = "20 Turkish military vehicles entered Idlib [1]."
    d = local_deps(deps, Scripted(reply, reply, reply))
    with TestClient(create_app(d.settings, d)) as c:
        assert c.get("/healthz").json() == {"status": "ok", "engine": "local"}
        got = c.post("/api/ask", json={"question": QUESTION}).json()
        assert got["mode"] == "local" and "draft" not in got
        body = {"model": "sourced", "stream": True, "messages": [{"role": "user", "content": QUESTION}]}
        with c.stream("POST", "/v1/chat/completions", json=body) as r:
            lines = [x for x in r.iter_lines() if x.startswith("data: {")]
        text = "".join(
            ch.get("delta", {}).get("content") or ""
            for x in lines
            for ch in json.loads(x[6:]).get("choices", [])
        )
        assert text.startswith(got["answer"])  # the draft never reaches an OpenAI client: it can only append
