"""Start-up index probe, run in a subprocess: chromadb can crash the process on a damaged segment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from app.core.errors import IndexCorrupt, IndexMissing, StoreUnavailable
from app.core.settings import Settings

_MISSING = 3  # child exit status: no index (distinct from a damaged one)
_UNAVAILABLE = 4  # child exit status: the Chroma server (CHROMA_HOST) could not be reached


def _payload(settings: Settings) -> str:
    """Settings as JSON for the child, secrets included (it goes over a pipe, never to a log)."""
    data: dict[str, Any] = settings.model_dump(mode="json")
    if settings.chroma_token is not None:
        data["chroma_token"] = settings.chroma_token.get_secret_value()
    if settings.openai_api_key is not None:
        data["openai_api_key"] = settings.openai_api_key.get_secret_value()
    return json.dumps(data)


def check_index(settings: Settings, timeout: float = 120.0) -> str | None:
    """None when the index opens, counts, answers a query and loads its keyword index; else a safe message."""
    env = dict(os.environ, ANONYMIZED_TELEMETRY="False", HF_HUB_OFFLINE="1")
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "app.store.probe"],
            input=_payload(settings),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )
    except (subprocess.TimeoutExpired, OSError):
        return IndexCorrupt.message
    if proc.returncode == 0:
        return None
    if proc.returncode == _UNAVAILABLE:
        return StoreUnavailable.message
    return IndexMissing.message if proc.returncode == _MISSING else IndexCorrupt.message


def _probe(settings: Settings) -> None:
    """_open_and_query, with an unreachable Chroma server told apart from a damaged index."""
    from app.store.chroma import unreachable

    try:
        _open_and_query(settings)
    except Exception as exc:
        if unreachable(exc) or isinstance(exc, StoreUnavailable):
            sys.exit(_UNAVAILABLE)
        raise


def _open_and_query(settings: Settings) -> None:
    """Open the store, count both collections, run one vector query and load (or rebuild) the keyword index."""
    from app.store.chroma import DOCUMENTS, PASSAGES, Store, make_client, unreachable

    if not settings.chroma_host and not (settings.index_dir / "chroma").exists():
        sys.exit(_MISSING)
    client = make_client(settings)
    try:
        passages = client.get_collection(PASSAGES, embedding_function=None)
        documents = client.get_collection(DOCUMENTS, embedding_function=None)
    except Exception as exc:  # chromadb raises NotFoundError/ValueError across versions
        if unreachable(exc):
            raise
        sys.exit(_MISSING)
    dim = int((passages.metadata or {}).get("embed_dim", 0))
    n, d = int(passages.count()), int(documents.count())
    if n == 0 or d == 0 or dim <= 0:
        sys.exit(_MISSING)
    documents.get(limit=1, include=["metadatas"])
    res = passages.query(query_embeddings=[[dim**-0.5] * dim], n_results=min(3, n), include=["metadatas"])
    if not res["ids"] or not res["ids"][0]:
        raise RuntimeError("vector query returned nothing")
    passages.get(ids=res["ids"][0], include=["documents", "metadatas"])
    Store(settings, client, passages, documents).keyword_index()


def main() -> None:
    """Child entry point: settings JSON on stdin; exit 0 ok, 3 missing, anything else damaged."""
    _probe(Settings(**json.loads(sys.stdin.read())))


if __name__ == "__main__":
    main()
