"""Which engine writes the answers: an OpenAI-compatible server, the local model, or none (extractive)."""

from __future__ import annotations

import importlib.util
import logging
from typing import Literal

from app.answer.llm.engine import LLMEngine, LLMFault
from app.answer.llm.local import LocalBackend
from app.answer.llm.modelfile import ModelUnavailable, installed, resolve_model
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


def local_engine(settings: Settings, embedder: Embedder) -> LLMEngine:
    """The local model, verified and loaded once (raises LocalModelUnavailable with the reason)."""
    if importlib.util.find_spec("llama_cpp") is None:
        raise LocalModelUnavailable("The local model is not installed: run make setup-llm")
    try:
        path = resolve_model(settings.local_model_path, settings.local_model_dir)
        backend = LocalBackend(
            path,
            n_ctx=settings.local_context,
            n_threads=settings.local_threads,
            busy=EMBEDDING,
            busy_wait=settings.local_busy_wait,
            timeout=settings.local_timeout,
        )
        backend.load()  # at start-up, not on the first question
    except (ModelUnavailable, LLMFault) as e:
        raise LocalModelUnavailable(str(e)) from None
    return LLMEngine(settings, embedder, backend, mode="local")


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
