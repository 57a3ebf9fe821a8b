"""The seams between layers, as protocols: what ingest and answering need of an embedding model."""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Embedder(Protocol):
    """An embedding model: L2-normalised vectors, one row per text (the ONNX MiniLM embedder, or a test fake)."""

    model_name: str

    def embed(self, texts: list[str]) -> np.ndarray:
        """Vectors of the texts, shape (len(texts), dimension)."""
        ...

    def get_query_embedding(self, query: str) -> list[float]:
        """The vector of a question (llama-index's name, so the embedder also serves llama-index)."""
        ...
