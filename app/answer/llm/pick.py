"""Which engine writes the answers: an OpenAI-compatible server, the local model, or none (extractive)."""

from __future__ import annotations

import importlib.util
import logging
from typing import Literal

from app.answer.llm.engine import LLMEngine, LLMFault
from app.answer.llm.local import LocalBackend
from app.answer.llm.modelfile import ModelUnavailable, installed, resolve_model
from app.answer.llm.verify import Verifier
from app.core.busy import EMBEDDING
from app.core.errors import SourcedError
from app.core.protocols import Embedder
from app.core.settings import Settings

log = logging.getLogger("sourced")
Engine = Literal["llm", "local", "extractive"]


class LocalModelUnavailable(SourcedError):
    """SOURCED_ANSWER_MODE=local, but the model can't be used: the reason is fit to show (no paths)."""

    message = "{}"
    status = 503


def local_installed(settings: Settings) -> bool:
    """llama-cpp-python is importable and a model is there: the user's GGUF, or the bundled model's parts."""
    if importlib.util.find_spec("llama_cpp") is None:
        return False
    return settings.local_model_path is not None or installed()


def pick_engine(settings: Settings) -> Engine:
    """answer_mode, with auto resolved: the configured server first, then the local model, then extractive."""
    if settings.answer_mode != "auto":
        return settings.answer_mode
    if settings.llm_configured():
        return "llm"
    return "local" if local_installed(settings) else "extractive"


_backends: dict[tuple[object, ...], LocalBackend] = {}


def local_backend(settings: Settings) -> LocalBackend:
    """The local model, verified and loaded once per process and configuration (in its worker process when
    local_isolate); raises LocalModelUnavailable with the reason."""
    if importlib.util.find_spec("llama_cpp") is None:
        raise LocalModelUnavailable("The local model is not installed: run make setup-llm")
    try:
        path = resolve_model(settings.local_model_path, settings.local_model_dir)
        key: tuple[object, ...] = (str(path), settings.local_context, settings.local_threads)
        key += (
            settings.local_threads_idle,
            settings.local_lookup,
            settings.local_isolate,
            settings.local_timeout,
            settings.local_busy_wait,
        )
        if key not in _backends:
            backend = LocalBackend(
                path,
                n_ctx=settings.local_context,
                n_threads=settings.local_threads,
                busy=EMBEDDING,
                busy_wait=settings.local_busy_wait,
                timeout=settings.local_timeout,
                lookup=settings.local_lookup,
                threads_idle=settings.local_threads_idle,
                isolate=settings.local_isolate,
            )
            backend.load()  # at start-up, not on the first question
            for old in _backends.values():  # one model in memory
                if old.worker is not None:
                    old.worker.stop()
            _backends.clear()
            _backends[key] = backend
        return _backends[key]
    except (ModelUnavailable, LLMFault) as e:
        raise LocalModelUnavailable(str(e)) from None


def local_engine(settings: Settings, embedder: Embedder) -> LLMEngine:
    """The local model as an answer engine (raises LocalModelUnavailable with the reason)."""
    return LLMEngine(settings, embedder, local_backend(settings), mode="local")


def build_verifier(settings: Settings, llm: LLMEngine | None) -> Verifier | None:
    """The yes/no second opinion the settings ask for: verify=local with any engine, verify=auto in local
    mode only. Without the local model it is logged and left out (the reader decides alone)."""
    local = llm is not None and llm.mode == "local"
    if settings.verify == "off" or (settings.verify == "auto" and not local):
        return None
    if llm is not None and isinstance(llm.backend, LocalBackend):
        return Verifier(settings, llm.backend)
    try:
        return Verifier(settings, local_backend(settings))
    except LocalModelUnavailable as e:
        log.warning("the yes/no check is off (%s)", e)
        return None


def build_engine(settings: Settings, embedder: Embedder) -> LLMEngine | None:
    """The engine the settings ask for; None answers extractively. A local model chosen by auto that fails
    to verify or load is logged and skipped; one asked for by name fails loudly."""
    engine = pick_engine(settings)
    if engine == "llm":
        return LLMEngine(settings, embedder)
    if engine == "local":
        try:
            return local_engine(settings, embedder)
        except LocalModelUnavailable as e:
            if settings.answer_mode == "local":
                raise
            log.warning("local model skipped (%s); answering extractively", e)
    return None
