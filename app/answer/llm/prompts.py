"""Prompt templates from prompts/*.txt: loaded once, rendered only with exactly their variables."""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

NAMES = (
    "system",
    "answer",
    "condense",
    "local_answer",
    "evidence_system",
    "evidence",
    "verify_system",
    "verify",
)
# The variables each template must use, exactly: a file edited out of step with the code fails at load.
FIELDS: dict[str, frozenset[str]] = {
    "system": frozenset(),
    "answer": frozenset({"passages", "question", "standalone"}),
    "condense": frozenset({"history", "question"}),
    "local_answer": frozenset({"passages", "question", "standalone"}),
    "evidence_system": frozenset(),  # static: the prefix llama.cpp keeps between questions
    "evidence": frozenset({"evidence", "question"}),
    "verify_system": frozenset(),  # static, like evidence_system
    "verify": frozenset({"sentence", "question"}),
}


class PromptError(ValueError):
    """A template was rendered with missing or unexpected variables."""


@dataclass(frozen=True)
class Template:
    """One prompt file and the variables it uses."""

    name: str
    text: str

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(f for _, f, _, _ in string.Formatter().parse(self.text) if f)

    def render(self, **values: str) -> str:
        """Fill every variable; refuse a missing or an unknown one."""
        missing, extra = self.fields - values.keys(), values.keys() - self.fields
        if missing or extra:
            raise PromptError(f"prompt {self.name}: missing {sorted(missing)}, unexpected {sorted(extra)}")
        return self.text.format(**values)


@dataclass(frozen=True)
class Prompts:
    """The prompts Sourced uses; local_answer is answer's shorter, more literal form for a small local model;
    evidence_system + evidence: the compact evidence prompt (sentences, not passages); verify_system + verify:
    the yes/no second opinion on the extractive reader's sentence."""

    system: Template
    answer: Template
    condense: Template
    local_answer: Template
    evidence_system: Template
    evidence: Template
    verify_system: Template
    verify: Template


@lru_cache(maxsize=4)
def load_prompts(directory: Path) -> Prompts:
    """Read prompts/<name>.txt for every name once per directory; refuse a file whose variables are not the
    ones its code fills."""
    texts = {n: (Path(directory) / f"{n}.txt").read_text(encoding="utf-8").strip() for n in NAMES}
    templates = [Template(n, texts[n]) for n in NAMES]
    for t in templates:
        if t.fields != FIELDS[t.name]:
            raise PromptError(f"prompt {t.name}: uses {sorted(t.fields)}, expected {sorted(FIELDS[t.name])}")
    return Prompts(*templates)
