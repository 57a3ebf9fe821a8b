"""Shared fixtures: settings built directly, a seed index built once per session in a temp dir."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CHROMA_HOST"):
    os.environ.pop(var, None)
# auto would load the local model wherever `make setup-llm` ran: tests that want it say answer_mode="local"
os.environ["SOURCED_ANSWER_MODE"] = "extractive"

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def embedder():
    from app.store.embeddings import OnnxMiniLMEmbedding

    return OnnxMiniLMEmbedding()


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory):
    """Settings whose index holds the five seeds (built once)."""
    from app.core.settings import Settings
    from app.ingest.pipeline import ingest
    from app.store.embeddings import OnnxMiniLMEmbedding

    index = tmp_path_factory.mktemp("seed-index")
    settings = Settings(index_dir=index, answer_mode="extractive")
    ingest([SEEDS], settings, OnnxMiniLMEmbedding())
    return settings


@pytest.fixture(scope="session")
def deps(seed_settings):
    """Answering dependencies over the seed index (extractive, offline)."""
    from app.answer.pipeline import load_deps

    return load_deps(seed_settings)


@pytest.fixture()
def docs_dir(tmp_path):
    """A writable copy of the seeds."""
    d = tmp_path / "docs"
    shutil.copytree(SEEDS, d)
    return d


@pytest.fixture(scope="session")
def server():
    """A loopback OpenAI-compatible server with scripted replies (tests/fake_openai.py)."""
    from tests.fake_openai import FakeOpenAI

    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture()
def llm_deps(server, deps):
    """The seed index, answered by an LLM engine talking to the fake server (1 s timeout, 1 retry)."""
    from app.answer.llm.engine import LLMEngine
    from app.answer.pipeline import Deps

    server.reset()
    s = deps.settings.model_copy(
        update={
            "answer_mode": "llm",
            "openai_base_url": server.url,
            "llm_timeout": 1.0,
            "llm_max_retries": 1,
            "openai_api_key": None,
        }
    )
    return Deps(s, deps.retriever, deps.embedder, LLMEngine(s, deps.embedder))
