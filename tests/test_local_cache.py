"""The local model's prompt-state cache is bounded by what its states really hold (app/answer/llm/worker.py):
llama-cpp-python counts only llama.cpp's part of a state, not the logits copy beside it (156 MB each here)."""

from __future__ import annotations

import types

import numpy as np
import pytest

from app.answer.llm.worker import sized_ram_cache, state_bytes


def _state(llama: int, scores: int, ids: int = 8) -> types.SimpleNamespace:
    return types.SimpleNamespace(
        llama_state_size=llama,
        scores=np.zeros(scores, dtype=np.uint8),
        input_ids=np.zeros(ids, dtype=np.uint8),
    )


def test_state_bytes_counts_the_logits_and_ids() -> None:
    assert state_bytes(_state(10, 400, 8)) == 418


class _LibraryCache:
    """llama-cpp-python 0.3's LlamaRAMCache as far as its size bound goes (its __setitem__ evicts oldest first
    while cache_size exceeds capacity_bytes; cache_size counts llama_state_size only)."""

    def __init__(self, capacity_bytes: int) -> None:
        self.capacity_bytes = capacity_bytes
        self.cache_state: dict = {}

    @property
    def cache_size(self) -> int:
        return sum(s.llama_state_size for s in self.cache_state.values())

    def __setitem__(self, key: tuple, value: object) -> None:
        self.cache_state[key] = value
        while self.cache_size > self.capacity_bytes and self.cache_state:
            self.cache_state.pop(next(iter(self.cache_state)))


def _fill(cache: object, n: int) -> int:
    for i in range(n):
        cache[(i,)] = _state(10, 400)  # type: ignore[index]
    return len(cache.cache_state)  # type: ignore[attr-defined]


def test_the_library_count_alone_would_keep_every_state() -> None:
    assert _fill(_LibraryCache(1000), 50) == 50  # 50 x 418 bytes held under a 1,000-byte "capacity"


def test_the_sized_cache_keeps_what_fits() -> None:
    fake = types.SimpleNamespace(LlamaRAMCache=_LibraryCache)
    assert _fill(sized_ram_cache(fake, 1000), 50) == 2


def test_the_sized_cache_on_the_real_library() -> None:
    llama_cpp = pytest.importorskip("llama_cpp")
    assert _fill(sized_ram_cache(llama_cpp, 1000), 50) == 2
