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
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from app.answer.llm.engine import LLMFault
from app.answer.llm.worker import WorkerClient, open_model, run_request

log = logging.getLogger("sourced")
Messages = list[dict[str, str]]

DEFAULT_THREADS = 1  # see docs/llm-local.md: 2 threads collapse when another process holds a core
DEFAULT_CTX = 4096
DEFAULT_BATCH = 256
# Where a reply ends: a blank line (the answer is one or two sentences), or the model starting a new turn.
DEFAULT_STOP = ("\n\n", "<|im_end|>", "<|endoftext|>", "\nQuestion:", "<evidence")
YES_NO = 'root ::= "yes" | "no" | "Yes" | "No"'  # the verifier's grammar: one token, nothing else
RAM_CACHE_BYTES = 512 << 20  # prompt states kept for prefix reuse across interleaved prompts

_models: dict[ModelConfig, Any] = {}
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


@dataclass(frozen=True)
class ModelConfig:
    """Everything that makes one loaded llama.cpp model differ from another: the key of the process-wide
    model and, as a dict, the worker process's load config (app/answer/llm/worker.py: open_model)."""

    model_path: str
    n_ctx: int
    n_threads: int
    n_batch: int
    n_threads_batch: int
    ram_cache_bytes: int
    lookup: int
    threads_idle: int  # threads while no other process is busy (app/answer/llm/threads.py)


def load_model(config: ModelConfig) -> Any:
    """The process-wide llama_cpp.Llama for this configuration, loaded on first use (in this process)."""
    with _load_lock:
        if config in _models:
            return _models[config]
        start = time.monotonic()
        llm = open_model(asdict(config))
        log.info(
            "local model loaded in %.1fs (%d threads, n_ctx %d)",
            time.monotonic() - start,
            config.n_threads,
            config.n_ctx,
        )
        _models.clear()  # one model in memory: a new configuration replaces the old one
        _models[config] = llm
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
        stop: tuple[str, ...] = DEFAULT_STOP,
        lookup: int = 0,
        threads_idle: int = 0,
        isolate: bool = False,
        worker: WorkerClient | None = None,
    ) -> None:
        self.model_path = Path(model_path)
        self.config = ModelConfig(
            str(self.model_path.resolve()),
            n_ctx,
            n_threads,
            n_batch,
            n_threads_batch or n_threads,
            ram_cache_bytes,
            lookup,
            threads_idle,
        )
        self.busy, self.busy_wait, self.lock_wait = busy, busy_wait, lock_wait
        self.timeout = timeout  # seconds for one whole generation, waiting included; None: no limit
        self.stop = stop
        # isolate: llama.cpp runs in a worker process (app/answer/llm/worker.py), so a crash of the model
        # is an LLMFault here, never the end of the server
        self.worker = worker or (WorkerClient(asdict(self.config)) if isolate else None)
        self.last: dict[str, Any] = {}  # the figures of the last generation (tokens in and out, seconds)

    def load(self) -> Any:
        """Load the model (in its worker, or in this process): call at start-up to keep it off the first
        question."""
        if self.worker is not None:
            self.worker.start()
            return self.worker
        return load_model(self.config)

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

    def stream(
        self,
        messages: Messages,
        max_tokens: int,
        temperature: float,
        *,
        grammar: str | None = None,
        timeout: float | None = None,
    ) -> Iterator[str]:
        """Yield content deltas; raises LLMFault on any failure, a dead worker, a timeout, or a stream with no
        finish reason. timeout: seconds for this generation instead of the backend's."""
        start = time.monotonic()
        limit = timeout if timeout is not None else self.timeout
        deadline = None if limit is None else start + limit
        req = {
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stop": list(self.stop),
            "grammar": grammar,
            "p_yes": grammar == YES_NO and max_tokens == 1,
        }
        llm = None if self.worker is not None else self.load()
        finished = False
        with self._claim():
            events: Any = None
            try:
                if self.worker is not None:
                    events = self.worker.request(req, deadline)
                else:
                    events = run_request(llm, req)
                for kind, payload in events:
                    if kind == "piece":
                        yield payload
                    elif kind == "done":
                        finished = payload.get("finish") not in (None, "cancelled")
                        self.last = {
                            **payload,
                            "wait_s": round(time.monotonic() - start - payload["total_s"], 3),
                        }
                        log.info(
                            "local generation: %d prompt tokens (%d reused, %d read), %d out, %.1fs",
                            payload["prompt_tokens"],
                            payload["reused"],
                            payload["read"],
                            payload["completion_tokens"],
                            payload["total_s"],
                        )
                    if deadline is not None and time.monotonic() > deadline:
                        raise LLMFault("local model timed out")
            except (LLMFault, GeneratorExit):
                raise
            except Exception as e:
                raise LLMFault(f"local model failed: {type(e).__name__}") from None
            finally:
                if events is not None and hasattr(events, "close"):
                    events.close()  # a consumer that stops early ends the generation here
        if not finished:
            raise LLMFault("local stream ended without a finish reason")

    def verdict(self, messages: Messages, timeout: float) -> str:
        """The model's one-word reply, held by the grammar to yes or no (LLMFault on a fault or timeout); one
        token, so self.last["p_yes"] holds P(yes) against P(no) at that token."""
        self.last = {}
        return "".join(self.stream(messages, 1, 0.0, grammar=YES_NO, timeout=timeout)).strip().lower()
