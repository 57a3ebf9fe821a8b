"""An in-process chat backend on llama.cpp (llama-cpp-python) for a local GGUF model.

The model is loaded once per process and shared; llama.cpp is not thread-safe, so every generation runs
under one process-wide lock. The caller resolves and verifies the file first (app.answer.llm.modelfile):
this module loads whatever path it is given.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.answer.llm.engine import LLMFault

log = logging.getLogger("sourced")
Messages = list[dict[str, str]]

DEFAULT_THREADS = 1  # see docs/llm-local.md: 2 threads collapse when another process holds a core
DEFAULT_CTX = 4096
DEFAULT_BATCH = 256
RAM_CACHE_BYTES = 512 << 20  # prompt states kept for prefix reuse across interleaved prompts

_models: dict[tuple[Any, ...], Any] = {}
_load_lock = threading.Lock()
_run_lock = threading.Lock()  # one generation at a time in this process, whatever the model


@atexit.register
def _close_models() -> None:
    """Free the model while the interpreter still works (llama_cpp's __del__ at shutdown finds its C library
    already torn down and prints a TypeError)."""
    for llm in _models.values():
        with contextlib.suppress(Exception):
            llm.close()
    _models.clear()


def _describe(e: BaseException) -> str:
    return type(e).__name__


def load_model(
    model_path: Path, n_ctx: int, n_threads: int, n_batch: int, n_threads_batch: int, ram_cache_bytes: int
) -> Any:
    """The process-wide llama_cpp.Llama for these parameters, loaded on first use."""
    key = (str(Path(model_path).resolve()), n_ctx, n_threads, n_batch, n_threads_batch, ram_cache_bytes)
    with _load_lock:
        if key in _models:
            return _models[key]
        try:
            import llama_cpp
        except ImportError:
            raise LLMFault("llama_cpp is not installed") from None
        start = time.monotonic()
        try:
            llm = llama_cpp.Llama(
                model_path=key[0],
                n_ctx=n_ctx,
                n_threads=n_threads,
                n_batch=n_batch,
                n_threads_batch=n_threads_batch,
                verbose=False,
            )
            if ram_cache_bytes > 0:
                llm.set_cache(llama_cpp.LlamaRAMCache(capacity_bytes=ram_cache_bytes))
        except Exception as e:  # llama_cpp raises ValueError for an unloadable file
            raise LLMFault(f"local model failed to load: {_describe(e)}") from None
        log.info(
            "local model loaded in %.1fs (%d threads, n_ctx %d)", time.monotonic() - start, n_threads, n_ctx
        )
        _models.clear()  # one model in memory: a new configuration replaces the old one
        _models[key] = llm
        return llm


class LocalBackend:
    """ChatBackend on a local GGUF model, with the chat template the GGUF carries.

    busy: an optional threading.Lock (held by an ingest while it embeds) or threading.Event (set while it
    embeds). Generation waits up to busy_wait seconds for it and otherwise raises LLMFault, so the caller
    answers extractively instead of fighting the embedder for the same two cores.
    """

    def __init__(
        self,
        model_path: Path,
        n_ctx: int = DEFAULT_CTX,
        n_threads: int = DEFAULT_THREADS,
        n_batch: int = DEFAULT_BATCH,
        *,
        n_threads_batch: int | None = None,
        ram_cache_bytes: int = RAM_CACHE_BYTES,
        busy: Any = None,
        busy_wait: float = 2.0,
        lock_wait: float = 60.0,
        timeout: float | None = None,
    ) -> None:
        self.model_path = Path(model_path)
        self.n_ctx, self.n_threads, self.n_batch = n_ctx, n_threads, n_batch
        self.n_threads_batch = n_threads_batch or n_threads
        self.ram_cache_bytes = ram_cache_bytes
        self.busy, self.busy_wait, self.lock_wait = busy, busy_wait, lock_wait
        self.timeout = timeout  # seconds for one whole generation, waiting included; None: no limit

    def load(self) -> Any:
        """Load (or fetch the already loaded) model: call at start-up to keep it off the first question."""
        return load_model(
            self.model_path,
            self.n_ctx,
            self.n_threads,
            self.n_batch,
            self.n_threads_batch,
            self.ram_cache_bytes,
        )

    @contextlib.contextmanager
    def _claim(self) -> Iterator[None]:
        """Hold the ingest's busy lock (if any) and the process-wide generation lock."""
        held_busy = False
        if self.busy is not None:
            if hasattr(self.busy, "acquire"):
                held_busy = self.busy.acquire(timeout=self.busy_wait)
                if not held_busy:
                    raise LLMFault("busy: an ingest is embedding")
            elif hasattr(self.busy, "is_set"):
                deadline = time.monotonic() + self.busy_wait
                while self.busy.is_set():
                    if time.monotonic() >= deadline:
                        raise LLMFault("busy: an ingest is embedding")
                    time.sleep(0.05)
        try:
            if not _run_lock.acquire(timeout=self.lock_wait):
                raise LLMFault("busy: another generation is running")
            try:
                yield
            finally:
                _run_lock.release()
        finally:
            if held_busy:
                self.busy.release()

    def stream(self, messages: Messages, max_tokens: int, temperature: float) -> Iterator[str]:
        """Yield content deltas; raises LLMFault on any failure or a stream with no finish reason."""
        start = time.monotonic()
        llm = self.load()
        finished = False
        with self._claim():
            chunks: Any = None
            try:
                chunks = llm.create_chat_completion(
                    messages=messages, stream=True, max_tokens=max_tokens, temperature=temperature
                )
                for chunk in chunks:
                    for choice in chunk.get("choices") or []:
                        text = (choice.get("delta") or {}).get("content")
                        if text:
                            yield text
                        finished = finished or bool(choice.get("finish_reason"))
                    if self.timeout is not None and time.monotonic() - start > self.timeout:
                        raise LLMFault("local model timed out")
            except (LLMFault, GeneratorExit):
                raise
            except Exception as e:
                raise LLMFault(f"local model failed: {_describe(e)}") from None
            finally:
                if chunks is not None and hasattr(chunks, "close"):
                    chunks.close()  # a consumer that stops early ends llama.cpp's generation here
        if not finished:
            raise LLMFault("local stream ended without a finish reason")
