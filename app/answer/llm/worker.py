"""llama.cpp in a worker process of its own, so that a crash of the model never takes the server with it.

A wheel of llama-cpp-python built with other flags (a -march=native build on a CPU that advertises AMX it
can't run) died with a segmentation fault at the first completion, and with it the whole server. Here the
model lives in a child process, a fresh interpreter (`python -m app.answer.llm.worker`: no forked locks or
threads, and unlike multiprocessing's spawn it never re-imports the parent's main script), and talks over a
socket pair with multiprocessing's Connection (pickled messages):

    parent -> worker   {"messages": ..., "max_tokens": ..., ...}   one request at a time
                       "cancel"                                     stop the current generation
    worker -> parent   ("ready", info) once loaded, or ("error", kind)
                       ("piece", text) ...  then  ("done", stats) or ("error", kind)

A worker that dies (any exit, a signal included) ends its request with LLMFault, so the caller answers
extractively with a note, and a new worker is started in the background for the next question. A request
past its deadline is cancelled: the worker stops at its next token (the reading of a prompt can't be
interrupted), and what it still sends is drained before the next request; a worker still busy HANG_LIMIT
seconds later is killed and restarted.

`run_request` is the generation itself; the in-process backend (LocalBackend with isolate=False) runs the
same function, so both paths send the same requests and report the same figures.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any

from app.answer.llm.engine import LLMFault
from app.answer.llm.threads import Threads

log = logging.getLogger("sourced")
Event = tuple[str, Any]

LOAD_TIMEOUT = 300.0  # a cold 1.1 GB read from disk took up to about 3 minutes here
CANCEL_GRACE = 0.3  # seconds to wait for a cancelled generation to stop before answering without it
HANG_LIMIT = 120.0  # a cancelled generation still running this long: the worker is killed and restarted
_grammars: dict[str, Any] = {}


def open_model(config: dict[str, Any]) -> Any:
    """A llama_cpp.Llama for this configuration (raises LLMFault when llama_cpp is missing or can't load)."""
    try:
        import llama_cpp
    except ImportError:
        raise LLMFault("llama_cpp is not installed") from None
    kwargs: dict[str, Any] = {
        "model_path": str(config["model_path"]),
        "n_ctx": config["n_ctx"],
        "n_threads": config["n_threads"],
        "n_batch": config["n_batch"],
        "n_threads_batch": config["n_threads_batch"],
        "verbose": False,
    }
    if config.get("lookup"):  # prompt-lookup decoding: drafts copied from the prompt, checked in one batch
        from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

        kwargs["draft_model"] = LlamaPromptLookupDecoding(num_pred_tokens=int(config["lookup"]))
    try:
        llm = llama_cpp.Llama(**kwargs)
        # a draft model makes llama-cpp-python keep logits for every position (n_ctx x 151,936 floats): its
        # states are too big for the RAM cache, which then failed every answer (ValueError)
        if config.get("ram_cache_bytes", 0) > 0 and not config.get("lookup"):
            llm.set_cache(sized_ram_cache(llama_cpp, config["ram_cache_bytes"]))
    except Exception as e:  # llama_cpp raises ValueError for an unloadable file
        raise LLMFault(f"local model failed to load: {type(e).__name__}") from None
    llm.sourced_threads = Threads(config["n_threads"], int(config.get("threads_idle") or 0))  # type: ignore[attr-defined]
    return llm


def set_threads(llm: Any) -> int:
    """Before a llama.cpp step: the thread count its Threads chooses now (applied only when it changes);
    0 for a model without them (a scripted model in tests, or a Llama without its context)."""
    threads: Threads | None = getattr(llm, "sourced_threads", None)
    ctx = getattr(getattr(llm, "_ctx", None), "ctx", None)
    if threads is None or ctx is None:
        return 0
    before = threads.current
    n = threads.choose()
    if n != before:
        import llama_cpp

        llama_cpp.llama_set_n_threads(ctx, n, n)
    return n


def state_bytes(state: Any) -> int:
    """What one cached prompt state holds in memory: llama.cpp's state plus the copies of the logits
    (n_batch x 151,936 floats: 156 MB at n_batch 256) and token ids that llama-cpp-python keeps beside it."""
    return int(state.llama_state_size) + int(state.scores.nbytes) + int(state.input_ids.nbytes)


def sized_ram_cache(llama_cpp: Any, capacity: int) -> Any:
    """llama-cpp-python's RAM cache, its capacity counted on whole states. Its own count leaves the logits copy
    out, so 512 MB held dozens of states: the worker grew about 165 MB per question (2.0 GB of heap after 5,
    14 GB over a benchmark); counted whole, it keeps the last 3."""

    class SizedRAMCache(llama_cpp.LlamaRAMCache):  # type: ignore[misc, name-defined]
        @property
        def cache_size(self) -> int:
            return sum(state_bytes(s) for s in self.cache_state.values())

    return SizedRAMCache(capacity_bytes=capacity)


def _grammar(text: str) -> Any:
    if text not in _grammars:
        import llama_cpp

        _grammars[text] = llama_cpp.LlamaGrammar.from_string(text, verbose=False)
    return _grammars[text]


def run_request(
    llm: Any, req: dict[str, Any], cancelled: Callable[[], bool] = lambda: False
) -> Iterator[Event]:
    """Generate one chat completion: ("piece", text) events, then ("done", stats).

    stats: prompt_tokens (the whole prompt), reused (its prefix already in llama.cpp's state: our system
    prompt between questions), read (the tokens actually evaluated), completion_tokens, first_s, total_s,
    finish (stop | length | cancelled).
    """
    start = time.perf_counter()
    evals: list[tuple[int, int]] = []  # (tokens in the state before, tokens evaluated) per eval call
    used: set[int] = set()  # llama.cpp thread counts this request ran with
    threads: Threads | None = getattr(llm, "sourced_threads", None)
    if threads is not None:
        threads.restart()
    real_eval = getattr(llm, "eval", None)
    if real_eval is not None:

        def counting_eval(tokens: Any) -> None:
            evals.append((int(getattr(llm, "n_tokens", 0)), len(tokens)))
            used.add(set_threads(llm))
            real_eval(tokens)

        llm.eval = counting_eval
    kwargs: dict[str, Any] = {
        "messages": req["messages"],
        "stream": True,
        "max_tokens": req["max_tokens"],
        "temperature": req["temperature"],
    }
    if req.get("stop"):
        kwargs["stop"] = list(req["stop"])
    if req.get("grammar"):
        kwargs["grammar"] = _grammar(req["grammar"])
    finish, first, pieces = None, None, 0
    chunks: Any = None
    try:
        chunks = llm.create_chat_completion(**kwargs)
        for chunk in chunks:
            for choice in chunk.get("choices") or []:
                text = (choice.get("delta") or {}).get("content")
                if text:
                    pieces += 1
                    first = first if first is not None else time.perf_counter() - start
                    yield "piece", text
                finish = finish or choice.get("finish_reason")
            if cancelled():
                finish = "cancelled"
                break
    finally:
        if chunks is not None and hasattr(chunks, "close"):
            chunks.close()  # ends llama.cpp's generation here when the consumer stopped early
        if real_eval is not None:
            del llm.eval  # the instance attribute goes; the class's eval is back
    p_yes = yes_probability(llm) if req.get("p_yes") and evals else None
    reused, read = evals[0] if evals else (0, 0)
    generated = sum(n for _, n in evals[1:]) + (1 if evals else 0)
    yield (
        "done",
        {
            "prompt_tokens": reused + read,
            "reused": reused,
            "read": read,
            "completion_tokens": generated if evals else pieces,
            "first_s": round(first if first is not None else time.perf_counter() - start, 3),
            "total_s": round(time.perf_counter() - start, 3),
            "finish": finish,
            "p_yes": p_yes,
            "threads": sorted(used),
        },
    )


def yes_probability(llm: Any) -> float | None:
    """P(yes) against P(no) at the reply's first position, from the logits llama.cpp still holds for the
    prompt's last token (a one-token reply is never evaluated, so they are not overwritten)."""
    try:
        import numpy as np

        n_vocab = llm.n_vocab()
        logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(n_vocab,)).astype(np.float64)
        ids = [llm.tokenize(w.encode(), add_bos=False, special=False)[0] for w in ("yes", "Yes", "no", "No")]
        z = logits[ids] - logits[ids].max()
        p = np.exp(z)
        return float((p[0] + p[1]) / p.sum())
    except Exception:  # a model or binding without these: the word alone decides
        return None


def serve(conn: Any, config: dict[str, Any]) -> None:
    """The worker's main loop (the target of the spawned process)."""
    try:
        llm = open_model(config)
    except LLMFault as e:
        conn.send(("error", str(e)))
        return
    conn.send(("ready", {"n_threads": config["n_threads"]}))
    pending: list[Any] = []

    def cancelled() -> bool:
        while conn.poll():
            msg = conn.recv()
            if msg == "cancel":
                return True
            pending.append(msg)  # a request sent early (never by WorkerClient, which waits for done)
        return False

    while True:
        try:
            req = pending.pop(0) if pending else conn.recv()
        except EOFError:
            return
        if req is None:
            return
        if req == "cancel":  # arrived after its generation had already finished
            continue
        try:
            for event in run_request(llm, req, cancelled):
                conn.send(event)
        except Exception as e:
            conn.send(("error", f"local model failed: {type(e).__name__}"))


class WorkerClient:
    """The parent's side: starts the worker, runs one request at a time, restarts a worker that died."""

    def __init__(
        self,
        config: dict[str, Any],
        target: Callable[[Any, dict[str, Any]], None] = serve,
        load_timeout: float = LOAD_TIMEOUT,
        grace: float = CANCEL_GRACE,
    ) -> None:
        self.config, self.target = config, target
        self.load_timeout, self.grace = load_timeout, grace
        self.proc: Any = None
        self.conn: Any = None
        self.restarts = 0
        self.deaths = 0
        self.draining_since: float | None = None  # a cancelled generation has not ended yet
        self._start_lock = threading.Lock()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _exitcode(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def _launch(self) -> tuple[subprocess.Popen, Connection]:
        ours, theirs = socket.socketpair()
        target = f"{self.target.__module__}:{self.target.__name__}"
        path = os.pathsep.join(p for p in sys.path if p and os.path.isdir(p))
        env = {**os.environ, "PYTHONPATH": path}
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.answer.llm.worker", str(theirs.fileno()), target],
            pass_fds=(theirs.fileno(),),
            env=env,
            stdin=subprocess.DEVNULL,
        )
        theirs.close()
        conn = Connection(ours.detach())
        conn.send(self.config)
        return proc, conn

    def start(self) -> None:
        """Start the worker and wait until its model is loaded (raises LLMFault when it can't load)."""
        with self._start_lock:
            if self.alive():
                return
            proc, conn = self._launch()
            try:
                deadline = time.monotonic() + self.load_timeout
                while not conn.poll(0.2):
                    if proc.poll() is not None:
                        raise EOFError
                    if time.monotonic() > deadline:
                        raise LLMFault("local model worker did not start in time")
                kind, info = conn.recv()
            except (EOFError, OSError):
                proc.kill()
                proc.wait(5)
                raise LLMFault(f"local model worker died while loading (exit {proc.returncode})") from None
            except LLMFault:
                proc.kill()
                proc.wait(5)
                raise
            if kind != "ready":
                proc.kill()
                proc.wait(5)
                raise LLMFault(str(info))
            self.proc, self.conn = proc, conn
            log.info("local model worker %d ready", proc.pid)

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            if self.conn is not None:
                self.conn.send(None)
        if self.proc is not None:
            try:
                self.proc.wait(2)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(2)
        with contextlib.suppress(Exception):
            if self.conn is not None:
                self.conn.close()
        self.proc = self.conn = None

    def _died(self, why: str) -> LLMFault:
        """Note a dead worker, start another in the background, and the fault to raise."""
        code = self._exitcode()
        self.deaths += 1
        self.draining_since = None
        log.warning("local model worker died (%s, exit %s); restarting it", why, code)
        with contextlib.suppress(Exception):
            if self.proc is not None:
                self.proc.kill()
                self.proc.wait(2)
                code = self.proc.returncode
        with contextlib.suppress(Exception):
            if self.conn is not None:
                self.conn.close()
        self.proc = self.conn = None
        threading.Thread(target=self._restart, daemon=True, name="sourced-llm-restart").start()
        return LLMFault(f"local model worker died (exit {code})")

    def _restart(self) -> None:
        try:
            self.start()
            self.restarts += 1
        except LLMFault as e:
            log.warning("local model worker did not restart (%s)", e)

    def request(self, req: dict[str, Any], deadline: float | None = None) -> Iterator[Event]:
        """The worker's events for one request; raises LLMFault when it dies, errs or runs past deadline
        (time.monotonic()). The caller holds the generation lock: one request at a time."""
        if self.draining_since is not None:  # the last request's generation is still stopping
            try:
                drained = self._drain(deadline if deadline is not None else time.monotonic() + HANG_LIMIT)
            except (EOFError, OSError):
                raise self._died("pipe closed") from None
            if not drained:
                raise LLMFault("busy: the last generation is still stopping")
        if not self.alive():
            if self.proc is not None:  # died between requests: start another now, for this request
                self.deaths += 1
                log.warning("local model worker died between requests (exit %s)", self._exitcode())
                with contextlib.suppress(Exception):
                    self.conn.close()
                self.proc = self.conn = None
            self.start()
        conn = self.conn
        try:
            conn.send(req)
        except (OSError, ValueError):
            raise self._died("pipe closed") from None
        done = False
        try:
            while True:
                wait = 0.5 if deadline is None else min(0.5, deadline - time.monotonic())
                if wait <= 0:
                    self._cancel()
                    done = True
                    raise LLMFault("local model timed out")
                try:
                    ready = conn.poll(wait)
                    msg = conn.recv() if ready else None
                except (EOFError, OSError):
                    done = True
                    raise self._died("pipe closed") from None
                if msg is None:
                    if not self.alive():
                        done = True
                        raise self._died("no reply")
                    continue
                kind, payload = msg
                if kind == "error":
                    done = True
                    raise LLMFault(str(payload))
                if kind == "done":
                    done = True
                yield kind, payload
                if done:
                    return
        finally:
            if not done:  # the consumer stopped early: stop the generation, keep the worker in step
                self._cancel()

    def _cancel(self) -> None:
        """Ask the worker to stop the current generation. llama.cpp reads a prompt in one call that can't be
        interrupted, so the worker may stop only later: it is then drained before the next request (killing it
        would cost a reload of the model), and killed only when it is still busy HANG_LIMIT seconds on."""
        conn = self.conn
        if conn is None:
            return
        try:
            conn.send("cancel")
            self.draining_since = time.monotonic()
            self._drain(time.monotonic() + self.grace)
        except (EOFError, OSError):
            self._died("pipe closed")

    def _drain(self, until: float) -> bool:
        """Read what a cancelled generation still sends until its end; False when `until` came first."""
        conn = self.conn
        while self.draining_since is not None and conn is not None:
            if time.monotonic() - self.draining_since > HANG_LIMIT:
                self._died("did not stop when cancelled")
                return True
            wait = until - time.monotonic()
            if wait <= 0:
                return False
            if conn.poll(min(wait, 0.5)):
                kind, _ = conn.recv()
                if kind in ("done", "error"):
                    self.draining_since = None
            elif not self.alive():
                self._died("died while stopping")
                return True
        return True


def main(argv: list[str]) -> int:
    """The worker process: python -m app.answer.llm.worker FD MODULE:FUNCTION (the config comes first)."""
    conn = Connection(int(argv[1]))
    module, _, name = argv[2].partition(":")
    target = getattr(importlib.import_module(module), name)
    try:
        config = conn.recv()
    except EOFError:
        return 0
    target(conn, config)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
