"""The service the web layer calls: deps loaded once (or the safe reason why not), an admission gate, a rate limit."""

from __future__ import annotations

import contextlib
import importlib
import logging
import time
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from typing import Any

import anyio

from app.answer.explain import explain
from app.answer.news.articles import list_articles, open_article
from app.answer.news.timeline import timeline
from app.answer.pipeline import Deps, Trace, answer, load_deps, stream_answer
from app.core.errors import INTERNAL, Busy, RateLimited, SourcedError, StoreUnavailable
from app.core.settings import Settings
from app.core.types import Answer, Article, ArticleView, Timeline

log = logging.getLogger("sourced")
MAX_CLIENTS = 10_000  # rate-limit entries kept before the oldest are dropped
RETRY_SECONDS = 1.0  # how often an index that could not be loaded for want of the Chroma server is retried


class Unavailable(SourcedError):
    message = "{}"
    status = 503


class Gate:
    """At most `concurrency` answers at once and `queue_size` waiting; beyond that, Busy at once."""

    def __init__(self, concurrency: int, queue_size: int) -> None:
        self.sem = anyio.Semaphore(max(1, concurrency))
        self.limit = max(1, concurrency) + max(0, queue_size)
        self.pending = 0

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self.pending >= self.limit:
            raise Busy()
        self.pending += 1
        try:
            async with self.sem:
                yield
        finally:
            self.pending -= 1


class RateLimit:
    """A sliding one-minute window of requests per client key."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self.hits: dict[str, deque[float]] = {}

    def check(self, client: str) -> None:
        if self.per_minute <= 0:
            return
        now = time.monotonic()
        q = self.hits.pop(client, None) or deque()
        while q and now - q[0] >= 60:
            q.popleft()
        self.hits[client] = q  # re-inserted: the dict stays ordered by last use
        if len(q) >= self.per_minute:
            raise RateLimited()
        q.append(now)
        while len(self.hits) > MAX_CLIENTS:
            self.hits.pop(next(iter(self.hits)))


class Service:
    """Deps loaded once (or the safe reason they are not), plus the shared limits."""

    def __init__(self, settings: Settings, deps: Deps | None = None) -> None:
        self.settings = settings
        self.deps, self.error = deps, None
        if deps is None:
            self.deps, self.error = _load(settings)
        self.gate = Gate(settings.concurrency, settings.queue_size)
        self.rate = RateLimit(settings.rate_limit_per_minute)
        self._retried = 0.0
        self._retry_lock = anyio.Lock()

    async def health(self) -> str | None:
        """None when answering is possible (the Chroma server, if any, answers); else the safe reason."""
        await self._retry()
        if self.deps is None:
            return self.error or INTERNAL
        try:
            await anyio.to_thread.run_sync(self.deps.retriever.store.ping)
        except SourcedError as exc:
            return str(exc)
        return None

    async def _retry(self) -> None:
        """The Chroma server was down when the index was loaded: try again (at most once a second), so that
        readers and /healthz recover by themselves once it is back."""
        if self.deps is not None or self.error != StoreUnavailable.message:
            return
        async with self._retry_lock:
            if self.deps is not None or time.monotonic() - self._retried < RETRY_SECONDS:
                return
            self._retried = time.monotonic()
            self.deps, self.error = await anyio.to_thread.run_sync(_load, self.settings, False)

    async def _ready(self) -> Deps:
        await self._retry()
        return self.ready()

    def reload(self) -> None:
        """After this process changed the index: answer from the change at once (and load the index if the
        change created it). Blocking: call it from a worker thread."""
        if self.deps is None:
            self.deps, self.error = _load(self.settings)
        else:
            self.deps.retriever.refresh(force=True, reopen=False)  # the write went through this process

    def ready(self) -> Deps:
        if self.deps is None:
            raise Unavailable(self.error or INTERNAL)
        return self.deps

    async def ask(self, question: Any, history: Any, client: str) -> Answer:
        """Answer in a worker thread, within the gate and the client's rate limit."""
        deps = await self._ready()
        self.rate.check(client)
        async with self.gate.slot():
            return await anyio.to_thread.run_sync(answer, question, history, deps)

    async def explained(self, question: Any, history: Any, client: str) -> tuple[Answer, dict[str, Any]]:
        """Like ask, with the answer's explanation (the same answer: the trace only records)."""
        deps = await self._ready()
        self.rate.check(client)
        async with self.gate.slot():
            return await anyio.to_thread.run_sync(_explained, question, history, deps)

    async def timeline(self, query: Any, client: str) -> Timeline:
        """A timeline of the subject, in a worker thread, within the same gate and rate limit as answers."""
        deps = await self._ready()
        self.rate.check(client)
        async with self.gate.slot():
            return await anyio.to_thread.run_sync(timeline, query, deps.retriever, deps.settings)

    async def articles(self, query: str = "") -> list[Article]:
        """Every indexed article whose title, outlet or file holds the query, newest first."""
        deps = await self._ready()
        return await anyio.to_thread.run_sync(list_articles, deps.retriever, query)

    async def article(self, source: str) -> ArticleView | None:
        """One article's cleaned text and suggested questions (None: not indexed)."""
        deps = await self._ready()
        return await anyio.to_thread.run_sync(open_article, source, deps.retriever)

    async def stream(
        self, question: Any, history: Any, client: str
    ) -> AsyncGenerator[tuple[str, Answer | None], None]:
        """Like ask, but yields (partial text, None) then ("", answer) as stream_answer does."""
        deps = await self._ready()
        self.rate.check(client)
        async with self.gate.slot():
            it = stream_answer(question, history, deps)
            while True:
                item = await anyio.to_thread.run_sync(_next, it)
                if item is None:
                    return
                yield item


def _explained(question: Any, history: Any, deps: Deps) -> tuple[Answer, dict[str, Any]]:
    trace = Trace()
    a = answer(question, history, deps, trace)
    return a, explain(trace)


def _next(it: Iterator[tuple[str, Answer | None]]) -> tuple[str, Answer | None] | None:
    return next(it, None)


def _load(settings: Settings, probe_first: bool = True) -> tuple[Deps | None, str | None]:
    """Probe and open the index; a failure becomes a safe message, never an exception. (A retry after the
    Chroma server was unreachable skips the probe: it guards the embedded store, not a server.)"""
    try:
        if not probe_first:
            return load_deps(settings), None
        try:
            probe: Any = importlib.import_module("app.store.probe")
        except ImportError:
            probe = None
        if probe is not None and hasattr(probe, "check_index"):
            msg = probe.check_index(settings)
            if msg:
                return None, str(msg)
        return load_deps(settings), None
    except SourcedError as exc:
        return None, str(exc)
    except Exception:  # noqa: BLE001 - the server must start and say so on /healthz
        log.exception("loading the index failed")
        return None, INTERNAL
