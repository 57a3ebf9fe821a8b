"""Prompt templates from prompts/*.txt: loaded once, rendered only with exactly their variables."""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

NAMES = ("system", "answer", "condense", "local_answer")


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
    """The prompts Sourced uses; local_answer is answer's shorter, more literal form for a small local model."""

    system: Template
    answer: Template
    condense: Template
    local_answer: Template


@lru_cache(maxsize=4)
def load_prompts(directory: Path) -> Prompts:
    """Read prompts/{system,answer,condense,local_answer}.txt once per directory."""
    texts = {n: (Path(directory) / f"{n}.txt").read_text(encoding="utf-8").strip() for n in NAMES}
    return Prompts(*(Template(n, texts[n]) for n in NAMES))
