"""The figures of a run, computed exactly as the shared scorer (../shared/eval/score.py) computes them; a test
runs that script on the same answers and compares.

  answer         share of answerable items whose answer text holds every expected group
  cite           share of answerable items with a citation from a gold source whose quote holds an expected
                 alternative
  exact          share of all citations whose quote equals the source text at [start:end]
  refuse         share of unanswerable items answered with refused=true and no citations
  false_refusal  share of answerable items refused
  f1             SQuAD token F1 of the answer ([n] markers removed) against its best alternative, averaged over
                 answerable items (a refusal scores 0)
  em             share of answerable items whose answer equals an alternative (SQuAD normalisation)
  words          median words of the answers given (not refused)
"""

from __future__ import annotations

import collections
import os
import re
import statistics
import string
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.evaluate.questions import Item

FIGURES = ("answer", "cite", "exact", "refuse", "false_refusal", "f1", "em")
SourceText = Callable[[str], str | None]


def norm(s: str) -> str:
    s = unicodedata.normalize("NFKC", s).lower()
    s = s.replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"\s+", " ", s)


_PUNCT = set(string.punctuation)


def squad_norm(s: str) -> list[str]:
    s = norm(s)
    s = "".join(ch for ch in s if ch not in _PUNCT)
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return s.split()


def f1(pred: str, gold: str) -> float:
    p, g = squad_norm(pred), squad_norm(gold)
    common = collections.Counter(p) & collections.Counter(g)
    same = sum(common.values())
    if not p or not g or same == 0:
        return 0.0
    prec, rec = same / len(p), same / len(g)
    return 2 * prec * rec / (prec + rec)


@dataclass
class Judged:
    """One item's outcome (for the report's list of misses)."""

    item: Item
    refused: bool
    answer_ok: bool | None = None  # None: unanswerable
    cite_ok: bool | None = None
    refused_ok: bool | None = None  # unanswerable: refused with no citations
    f1: float | None = None
    em: int | None = None


@dataclass
class Scores:
    """The figures (as score.py prints them), n, and each item's outcome."""

    answer: float
    cite: float
    exact: float
    refuse: float
    false_refusal: float
    f1: float
    em: float
    words: float
    n: int
    judged: list[Judged] = field(default_factory=list)

    def figures(self) -> dict[str, float | int]:
        return {k: getattr(self, k) for k in (*FIGURES, "words", "n")}


def files_in(folder: str) -> SourceText:
    """A citation's source text as score.py reads it: FOLDER/name, else FOLDER/basename, as UTF-8."""
    texts: dict[str, str | None] = {}

    def source_text(name: str) -> str | None:
        if name not in texts:
            p = os.path.join(folder, str(name))
            if not os.path.exists(p):
                p = os.path.join(folder, os.path.basename(str(name)))
            try:
                with open(p, encoding="utf-8") as f:
                    texts[name] = f.read()
            except (OSError, UnicodeDecodeError):
                texts[name] = None
        return texts[name]

    return source_text


def score(items: list[Item], answers: list[dict[str, Any]], source_text: SourceText) -> Scores:
    """The figures of answers (Answer.to_dict() or {"question", "error"}, one per item, in order)."""
    if len(answers) != len(items):
        raise ValueError(f"{len(items)} questions but {len(answers)} answers")
    n_ans = n_unans = ok_ans = ok_cite = ok_ref = false_ref = 0
    n_cit = exact = 0
    f1s: list[float] = []
    ems: list[int] = []
    words: list[int] = []
    judged: list[Judged] = []
    for item, r in zip(items, answers, strict=True):
        q = item.raw
        cits = r.get("citations") or []
        if not r.get("refused"):
            words.append(len(re.sub(r"\[\d+[^\]]*\]", " ", r.get("answer") or "").split()))
        for c in cits:
            n_cit += 1
            t = source_text(c.get("source", ""))
            if (
                t is not None
                and isinstance(c.get("start"), int)
                and isinstance(c.get("end"), int)
                and t[c["start"] : c["end"]] == c.get("quote")
            ):
                exact += 1
        text = norm(r.get("answer") or "")
        if q.get("answerable", True) is False:
            n_unans += 1
            good = bool(r.get("refused")) and not cits
            ok_ref += good
            judged.append(Judged(item, bool(r.get("refused")), refused_ok=good))
            continue
        n_ans += 1
        if r.get("refused"):
            false_ref += 1
        bare = re.sub(r"\[\d+(?:[,\-\u2013]\s*\d+)*\]", " ", r.get("answer") or "")
        alts_raw = [alt for grp in q["expect"] for alt in grp]
        if r.get("refused"):
            f1s.append(0.0)
            ems.append(0)
        else:
            f1s.append(max(f1(bare, alt) for alt in alts_raw))
            ems.append(int(any(squad_norm(bare) == squad_norm(alt) for alt in alts_raw)))
        a_ok = all(any(norm(alt) in text for alt in grp) for grp in q["expect"])
        alts = [norm(alt) for grp in q["expect"] for alt in grp]
        c_ok = any(
            os.path.basename(str(c.get("source", ""))) in q["sources"]
            and any(alt in norm(c.get("quote") or "") for alt in alts)
            for c in cits
        )
        ok_ans += a_ok
        ok_cite += c_ok
        judged.append(Judged(item, bool(r.get("refused")), a_ok, c_ok, None, f1s[-1], ems[-1]))

    def f(x: int, n: int) -> float:
        return x / n if n else 1.0

    return Scores(
        answer=f(ok_ans, n_ans),
        cite=f(ok_cite, n_ans),
        exact=f(exact, n_cit),
        refuse=f(ok_ref, n_unans),
        false_refusal=f(false_ref, n_ans),
        f1=sum(f1s) / len(f1s) if f1s else 1.0,
        em=sum(ems) / len(ems) if ems else 1.0,
        words=statistics.median(words) if words else 0,
        n=len(items),
        judged=judged,
    )


def summary_line(s: Scores) -> str:
    """The line score.py prints: answer=0.85 cite=0.85 ... words=12 (n=20)."""
    figs = {k: getattr(s, k) for k in FIGURES}
    return " ".join(f"{k}={v:.2f}" for k, v in figs.items()) + f" words={s.words:.0f} (n={s.n})"


def by_kind(items: list[Item], answers: list[dict[str, Any]], source_text: SourceText) -> dict[str, Scores]:
    """The same figures for each kind of question the set names ("other" for lines without one); {} when
    no line names a kind."""
    if not any(i.kind for i in items):
        return {}
    kinds = sorted({i.kind or "other" for i in items})
    out = {}
    for k in kinds:
        pairs = [(i, a) for i, a in zip(items, answers, strict=True) if (i.kind or "other") == k]
        out[k] = score([i for i, _ in pairs], [a for _, a in pairs], source_text)
    return out
