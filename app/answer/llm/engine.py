"""LLM-assisted answers through OpenAI or any OpenAI-compatible server, with verified citations."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from app.answer.grounding.citations import is_refusal, render, strip_markers
from app.answer.grounding.claims import Checked, check_claims
from app.answer.grounding.support import RULES, SupportRules
from app.answer.llm.evidence import format_evidence, resolved_question
from app.answer.llm.prompts import load_prompts
from app.answer.llm.tokens import TokenCounter, fit
from app.answer.question.echo import echoes
from app.core.errors import LLM_FALLBACK, LOCAL_FALLBACK, LOCAL_WORKER_DIED
from app.core.protocols import Embedder
from app.core.settings import Settings
from app.core.types import REFUSAL, Answer, Hit, Query

log = logging.getLogger("sourced")

LLM_UNSUPPORTED = (
    "No claim in the language model's answer could be matched to a passage, so this answer was written "
    "extractively from the articles."
)
LLM_ECHO = (
    "The language model's answer only repeated the question, so this answer was written extractively from the "
    "articles."
)
Fallback = Callable[[str], Answer]
OnCheck = Callable[[Checked], None]  # sees the claim check (explain); never changes the answer
Messages = list[dict[str, str]]


@dataclass(frozen=True, kw_only=True)
class Condensed:
    """What condensing did: the query to retrieve with, and whether the model faulted on the way."""

    query: Query
    faulted: bool = False


class LLMFault(Exception):
    """A failed LLM call; its message names the kind of fault only and is logged, never shown."""


class ChatBackend(Protocol):
    """Streams the text of a chat completion; raises LLMFault on any failure."""

    def stream(self, messages: Messages, max_tokens: int, temperature: float) -> Iterator[str]: ...


def backoff(attempt: int) -> float:
    """Seconds to wait before retry number attempt+1."""
    return min(0.5 * 2**attempt, 4.0)


def worst_case_seconds(settings: Settings) -> float:
    """Longest a failing call can take before the fallback: every attempt times out, plus backoff."""
    retries = settings.llm_max_retries
    return settings.llm_timeout * (retries + 1) + sum(backoff(i) for i in range(retries))


def _describe(e: BaseException) -> str:
    """Exception class and HTTP status only: never the message, which may quote a key or an upstream body."""
    status = getattr(e, "status_code", None)
    return f"{type(e).__name__}{f' {status}' if status else ''}"


class OpenAIBackend:
    """The `openai` client (SDK retries off); our own retry loop keeps the worst case bounded."""

    def __init__(self, settings: Settings) -> None:
        from openai import OpenAI

        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "not-needed"
        self.settings = settings
        self.client = OpenAI(
            api_key=key,
            base_url=settings.openai_base_url or None,
            timeout=settings.llm_timeout,
            max_retries=0,
        )
        # OpenAI's newer models want max_completion_tokens; compatible servers know max_tokens.
        self.max_key = "max_tokens" if settings.openai_base_url else "max_completion_tokens"

    def _open(self, messages: Messages, max_tokens: int, temperature: float) -> Any:
        """Start a streamed completion, retrying connection faults, 429 and 5xx within the time bound."""
        import openai

        s = self.settings
        deadline = time.monotonic() + worst_case_seconds(s)
        for attempt in range(s.llm_max_retries + 1):
            timeout = max(0.05, min(s.llm_timeout, deadline - time.monotonic()))
            try:
                kwargs: dict[str, Any] = {
                    "model": s.llm_model,
                    "messages": messages,
                    "stream": True,
                    "temperature": temperature,
                    "timeout": timeout,
                    self.max_key: max_tokens,
                }
                return self.client.chat.completions.create(**kwargs)
            except (openai.APIConnectionError, openai.RateLimitError, openai.InternalServerError) as e:
                wait = backoff(attempt)
                if attempt >= s.llm_max_retries or time.monotonic() + wait >= deadline:
                    raise LLMFault(_describe(e)) from None
                log.info("LLM call failed (%s); retrying in %.1fs", _describe(e), wait)
                time.sleep(wait)
            except openai.OpenAIError as e:
                raise LLMFault(_describe(e)) from None
        raise LLMFault("no attempt made")

    def stream(self, messages: Messages, max_tokens: int, temperature: float) -> Iterator[str]:
        """Yield content deltas; a stream that ends without a finish reason counts as cut."""
        resp = self._open(messages, max_tokens, temperature)
        finished = False
        try:
            for chunk in resp:
                for choice in chunk.choices or []:
                    if choice.delta is not None and choice.delta.content:
                        yield choice.delta.content
                    finished = finished or bool(choice.finish_reason)
        except Exception as e:
            raise LLMFault(f"stream broke: {_describe(e)}") from None
        finally:
            resp.close()
        if not finished:
            raise LLMFault("stream ended without a finish reason")


class LlamaIndexBackend:
    """Any llama-index LLM (e.g. MockLLM in tests, or a configured llama-index model)."""

    def __init__(self, llm: Any) -> None:
        self.llm = llm

    def stream(self, messages: Messages, max_tokens: int, temperature: float) -> Iterator[str]:
        from llama_index.core.llms import ChatMessage

        try:
            for r in self.llm.stream_chat(
                [ChatMessage(role=m["role"], content=m["content"]) for m in messages]
            ):
                if r.delta:
                    yield r.delta
        except Exception as e:
            raise LLMFault(_describe(e)) from None


_PASSAGE_TAG = re.compile(r"<\s*/?\s*passages?\b", re.IGNORECASE)


def _neutral(text: str) -> str:
    """Article text cannot open or close a passage block."""
    return _PASSAGE_TAG.sub(lambda m: m.group(0).replace("<", "‹"), text).replace('"', "'")


def format_passages(hits: list[Hit]) -> str:
    """Numbered, delimited passages, labelled as untrusted article text."""
    return "\n\n".join(
        f'<passage n="{n}" untrusted="article text" title="{_neutral(h.title)}" published="{h.published or "unknown"}">\n'
        f"{_neutral(h.text)}\n</passage>"
        for n, h in enumerate(hits, 1)
    )


def _one_line(text: str, limit: int) -> str | None:
    """The condensed question from the model's reply, or None when unusable."""
    text = re.sub(r"<think>.*?(</think>|$)", "", text, flags=re.DOTALL | re.IGNORECASE)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        return None
    line = re.sub(r"^(standalone question|question)\s*:\s*", "", lines[0], flags=re.IGNORECASE).strip(
        " \"'“”"
    )
    return line if 3 <= len(line) <= limit else None


class LLMEngine:
    """Condenses follow-ups, writes answers from passages, and keeps only the claims a passage supports."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        backend: ChatBackend | None = None,
        rules: SupportRules = RULES,
        mode: Literal["llm", "local"] = "llm",
    ) -> None:
        self.settings = settings
        self.embedder = embedder  # judges paraphrased claims against passage sentences
        self.rules = rules
        self.mode: Literal["llm", "local"] = mode
        self.backend: ChatBackend = backend or OpenAIBackend(settings)
        self.prompts = load_prompts(settings.prompts_dir)
        self.counter = TokenCounter(settings.llm_model)
        local = mode == "local"
        # A small local model gets a short, literal prompt, a few passages and no history (the question is
        # already made standalone), so a follow-up's prompt shares its prefix with the last one (app/answer/llm/local.py).
        self.template = self.prompts.local_answer if local else self.prompts.answer
        self.fault_message = LOCAL_FALLBACK if local else LLM_FALLBACK

    @property
    def max_tokens(self) -> int:
        s = self.settings
        return s.local_max_tokens if self.mode == "local" else s.llm_max_output_tokens

    @property
    def window(self) -> int:
        s = self.settings
        return s.local_context if self.mode == "local" else s.llm_context_window

    def condense(self, query: Query, history: Messages) -> Condensed:
        """A standalone question for retrieval; the given query unchanged (and the fault said) on any failure."""
        local = self.mode == "local"
        if not history or (local and not self.settings.local_condense):
            return Condensed(query=query)
        # a small local model reads slowly: the last exchange only, and shorter
        turns, chars = (2, 400) if local else (6, 1000)
        convo = "\n".join(f"{m['role']}: {strip_markers(m['content'])[:chars]}" for m in history[-turns:])
        prompt = self.prompts.condense.render(history=convo, question=query.question)
        try:
            text = "".join(self.backend.stream([{"role": "user", "content": prompt}], 96, 0.0))
        except LLMFault as e:
            log.warning("LLM condensation failed (%s); using the extractive condensation", e)
            return Condensed(query=query, faulted=True)
        line = _one_line(text, self.settings.max_question_chars)
        return Condensed(
            query=Query(query.question, line, query.context, query.avoid, line) if line else query
        )

    def evidence_messages(
        self, query: Query, evidence: list[Hit], history: Messages
    ) -> tuple[list[Hit], Messages]:
        """The compact request: our static system prompt and instructions first (byte-identical between
        questions, so llama.cpp keeps their state), then the numbered evidence and the question resolved
        against the conversation. A local model gets no history; a server gets it, trimmed to the window."""
        system = self.prompts.evidence_system.render()
        asked = resolved_question(query)

        def build(pieces: list[Hit], hist: Messages) -> Messages:
            past = [
                {
                    "role": m["role"],
                    "content": strip_markers(m["content"]) if m["role"] == "assistant" else m["content"],
                }
                for m in hist
            ]
            user = self.prompts.evidence.render(evidence=format_evidence(pieces), question=asked)
            return [{"role": "system", "content": system}, *past, {"role": "user", "content": user}]

        if self.mode == "local":
            history = []
        pieces, hist, _ = fit(self.counter, self.window - self.max_tokens, build, evidence, history)
        return pieces, build(pieces, hist)

    def messages(self, query: Query, hits: list[Hit], history: Messages) -> tuple[list[Hit], Messages]:
        """The chat request (system prompt first, always ours), trimmed to the context window."""
        system = self.prompts.system.render()

        def build(passages: list[Hit], hist: Messages) -> Messages:
            past = [
                {
                    "role": m["role"],
                    "content": strip_markers(m["content"]) if m["role"] == "assistant" else m["content"],
                }
                for m in hist
            ]
            user = self.template.render(
                passages=format_passages(passages), question=query.question, standalone=query.standalone
            )
            return [{"role": "system", "content": system}, *past, {"role": "user", "content": user}]

        if self.mode == "local":
            hits, history = hits[: self.settings.local_passages], []
        available = self.window - self.max_tokens
        passages, hist, _ = fit(self.counter, available, build, hits, history)
        return passages, build(passages, hist)

    def stream(
        self,
        query: Query,
        hits: list[Hit],
        history: Messages,
        fallback: Fallback,
        after_fault: bool = False,
        on_check: OnCheck | None = None,
        evidence: bool = False,
    ) -> Iterator[tuple[str, Answer | None]]:
        """Yield (answer so far, None) as tokens arrive, then ("", final answer).

        after_fault: condensing this question just failed, so don't wait for the same fault twice.
        on_check: called with the claim check of the model's answer (explain).
        evidence: hits are the compact evidence (app/answer/llm/evidence.py), not passages.
        """
        if not hits:
            yield "", Answer(question=query.question, answer=REFUSAL, refused=True, mode=self.mode)
            return
        if after_fault:
            yield "", fallback(self.fault_message)
            return
        build = self.evidence_messages if evidence else self.messages
        passages, messages = build(query, hits, history)
        raw, shown = "", ""
        s = self.settings
        try:
            temperature = s.local_temperature if self.mode == "local" else s.llm_temperature
            for piece in self.backend.stream(messages, self.max_tokens, temperature):
                raw += piece
                text = render(raw, len(passages), partial=True).text
                if text != shown:
                    shown = text
                    yield text, None
        except LLMFault as e:
            log.warning("%s answer failed (%s); answering extractively", self.mode, e)
            died = self.mode == "local" and "worker died" in str(e)
            yield "", fallback(LOCAL_WORKER_DIED if died else self.fault_message)
            return
        yield "", self.finish(query, raw, passages, fallback, on_check)

    def answer(self, query: Query, hits: list[Hit], history: Messages, fallback: Fallback) -> Answer:
        """The final answer (the stream, consumed)."""
        final: Answer | None = None
        for _, a in self.stream(query, hits, history, fallback):
            final = a or final
        assert final is not None
        return final

    def finish(
        self, query: Query, raw: str, passages: list[Hit], fallback: Fallback, on_check: OnCheck | None = None
    ) -> Answer:
        """Check the model's answer claim by claim against the passages it was given (app/answer/grounding/claims.py)."""
        marked = render(raw, len(passages))
        text = marked.text
        if not text:
            return fallback(self.fault_message)
        bare = strip_markers(text)
        if is_refusal(text) and (not marked.order or len(bare.split()) <= 12):
            return Answer(question=query.question, answer=REFUSAL, refused=True, mode=self.mode)
        if echoes(bare, query.question, query.standalone):
            return fallback(LLM_ECHO)
        checked = check_claims(
            text,
            marked.order,
            passages,
            self.embedder,
            self.rules,
            keep_unsupported=self.settings.keep_unsupported_claims,
        )
        if on_check is not None:
            on_check(checked)
        if not checked.supported:
            return fallback(LLM_UNSUPPORTED)
        return Answer(
            question=query.question,
            answer=checked.text,
            refused=False,
            mode=self.mode,
            citations=checked.citations,
            warnings=checked.warnings,
        )
