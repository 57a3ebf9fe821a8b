"""Token counting with tiktoken, strictly offline, and fitting a prompt into the model's context."""

from __future__ import annotations

import logging
import math
import os
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

log = logging.getLogger("sourced")

# sha1 of the encoding's download URL: the file name tiktoken looks for in TIKTOKEN_CACHE_DIR.
CACHE_KEYS = {
    "cl100k_base": "9b5ad71b2ce5302211f9c61530b329a4922fc6a4",
    "o200k_base": "fb374d419588a4632f3f557e76b4b70aebbca790",
}
MESSAGE_OVERHEAD = 4  # tokens of chat framing per message
_env_lock = threading.Lock()


def bundled_cache_dir() -> Path:
    """The tiktoken cache llama-index ships (cl100k_base and o200k_base)."""
    import llama_index.core

    return Path(llama_index.core.__file__).resolve().parent / "_static" / "tiktoken_cache"


def encoding_name(model: str) -> tuple[str, bool]:
    """The encoding to count with, and whether it is the model's own (False: an approximation)."""
    import tiktoken

    try:
        name = tiktoken.encoding_name_for_model(model)
    except KeyError:
        return "o200k_base", False
    return (name, True) if name in CACHE_KEYS else ("o200k_base", False)


@lru_cache(maxsize=4)
def load_encoding(name: str) -> Any | None:
    """Load an encoding from a local cache only; None (with a log line) when no local copy exists."""
    import tiktoken

    dirs = [os.environ.get("TIKTOKEN_CACHE_DIR"), str(bundled_cache_dir())]
    for d in dirs:
        if d and (Path(d) / CACHE_KEYS[name]).is_file():
            with _env_lock:
                old = os.environ.get("TIKTOKEN_CACHE_DIR")
                os.environ["TIKTOKEN_CACHE_DIR"] = d
                try:
                    return tiktoken.get_encoding(name)
                except Exception:  # a damaged cache file: fall through to the estimate
                    log.warning("tiktoken cache for %s in %s is unreadable", name, d)
                finally:
                    if old is None:
                        del os.environ["TIKTOKEN_CACHE_DIR"]
                    else:
                        os.environ["TIKTOKEN_CACHE_DIR"] = old
    log.warning("No local tiktoken cache for %s; estimating tokens as characters / 3.", name)
    return None


class TokenCounter:
    """Counts tokens for one model; approximations get a safety margin."""

    def __init__(self, model: str) -> None:
        name, exact = encoding_name(model)
        self.encoding = load_encoding(name)
        self.margin = 1.0 if exact and self.encoding is not None else 1.15

    def count(self, text: str) -> int:
        """Tokens in text (rounded up with the margin)."""
        if self.encoding is None:
            return math.ceil(len(text) / 3)
        return math.ceil(len(self.encoding.encode(text, disallowed_special=())) * self.margin)

    def messages(self, messages: list[dict[str, str]]) -> int:
        """Tokens of a chat request's messages, framing included."""
        return sum(self.count(m["content"]) + MESSAGE_OVERHEAD for m in messages) + 3


def fit(
    counter: TokenCounter,
    available: int,
    build: Callable[[list[Any], list[dict[str, str]]], list[dict[str, str]]],
    passages: list[Any],
    history: list[dict[str, str]],
) -> tuple[list[Any], list[dict[str, str]], int]:
    """Drop the oldest history, then the lowest-ranked passages, until the request fits `available` tokens."""
    passages, history = list(passages), list(history)
    used = counter.messages(build(passages, history))
    while used > available and history:
        history.pop(0)
        used = counter.messages(build(passages, history))
    while used > available and len(passages) > 1:
        passages.pop()
        used = counter.messages(build(passages, history))
    return passages, history, used
