"""A second opinion for the extractive reader: where it is unsure, the local model is asked one constrained
question, "does this sentence answer this question?", and may only reply yes or no.

The reply is held to one token by a GBNF grammar (app/answer/llm/local.py: YES_NO), so a check costs the
prompt's reading only; the static system prompt comes first so llama.cpp keeps its state between checks.
A fault, a timeout or any other reply leaves the reader's own decision standing (None).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Protocol

from app.answer.llm.engine import LLMFault
from app.answer.llm.prompts import Prompts, load_prompts
from app.core.settings import Settings

log = logging.getLogger("sourced")
Messages = list[dict[str, str]]


class Judge(Protocol):
    """What the verifier needs of a model: a one-word reply within a time limit (LLMFault otherwise)."""

    def verdict(self, messages: Messages, timeout: float) -> str: ...


@dataclass(frozen=True)
class Opinion:
    """One check: the verdict (None: no usable reply), the raw reply and its seconds."""

    verdict: bool | None
    reply: str
    seconds: float
    p_yes: float | None = None  # the model's P(yes) against P(no), when the judge reports it


class Verifier:
    """Asks a Judge whether a sentence answers a question, when the reader's probability is in the band."""

    def __init__(self, settings: Settings, judge: Judge, prompts: Prompts | None = None) -> None:
        self.settings, self.judge = settings, judge
        self.prompts = prompts or load_prompts(settings.prompts_dir)
        self.checks = 0
        self.seconds = 0.0

    def unsure(self, prob: float) -> bool:
        """The reader's probability is in the band where a second opinion was measured to help."""
        return self.settings.verify_low <= prob < self.settings.verify_high

    def messages(self, question: str, sentence: str) -> Messages:
        text = " ".join(sentence.split())
        return [
            {"role": "system", "content": self.prompts.verify_system.render()},
            {"role": "user", "content": self.prompts.verify.render(sentence=text, question=question)},
        ]

    def check(self, question: str, sentence: str) -> Opinion:
        """yes -> True, no -> False; a fault, a timeout or a reply that is neither -> None."""
        start = time.monotonic()
        try:
            reply = self.judge.verdict(self.messages(question, sentence), self.settings.verify_timeout)
        except LLMFault as e:
            log.warning("the yes/no check failed (%s); the reader's decision stands", e)
            reply = ""
        seconds = time.monotonic() - start
        self.checks += 1
        self.seconds += seconds
        word = reply.strip().strip(".!\"'").lower()
        verdict = {"yes": True, "no": False}.get(word)
        if verdict is None and reply:
            log.warning("the yes/no check replied %r; the reader's decision stands", reply[:20])
        p_yes = (getattr(self.judge, "last", None) or {}).get("p_yes") if verdict is not None else None
        bar = self.settings.verify_yes_bar
        if p_yes is not None and bar is not None:
            verdict = p_yes >= bar  # the model's probability against a bar chosen on data, not its argmax
        return Opinion(verdict, reply, round(seconds, 3), None if p_yes is None else round(p_yes, 4))
