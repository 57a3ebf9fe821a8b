"""Why this answer? An answer's trace (app/answer/pipeline.py's Trace) made readable: the question as analysed,
the passages retrieved with their dense and keyword ranks and fused score, what the time filter removed, what
the reader read and decided (its bar, its vetoes), the claim check of a model's answer, and a verdict naming
the stage that decided the outcome.

`explain(trace)` is JSON-safe (sourced ask --explain --json, POST /api/ask with "explain": true, the admin
page's "Why this answer?" panel); `explain_text(trace)` is the same for a terminal. Both only read the trace:
asking for an explanation never changes the answer.
"""

from __future__ import annotations

import re
from typing import Any

from app.answer.pipeline import Trace
from app.answer.question.analysis import analyse_question
from app.answer.question.kinds import question_kind
from app.answer.question.timeq import TimeWindow
from app.answer.reader.neural import Decision, Read
from app.answer.retrieval import Ranks
from app.core.types import Answer, Hit

# The verdict's stages, in the words the admin page and the CLI show.
RETRIEVAL = "retrieval found nothing"
READER = "the reader refused"
VETO = "a veto"
CLAIMS = "the claim check"
FINDER = "a finder"
ANSWERED = "answered"
QUESTION = "the question"
TIMELINE = "the timeline"
MODEL = "the model"

FINDERS = {"reason finder": "why/how", "said finder": "what-did-X-say", "define finder": "who-is/what-is"}
VETO_WHY = {
    "number": "a number the question names is not in the sentence",
    "month": "the month the question names is not the sentence's",
    "nationality": "the sentence names another nationality than the question",
    "negation": "the sentence negates what the question asks (or the reverse)",
    "antonym": "the sentence says the opposite of a word of the question",
    "person": "the question asks who, and the answer names no one",
    "yes/no": "no sentence states the yes or the no",
}
STAGE_WORDS = {
    "answerability": "the answerability model, with the span reader for short answers (the fast tier)",
    "rules": "the hand-set rules",
    "rules (present-tense question)": "the hand-set rules (a question about now: the newest article wins)",
    "overview": "the overview finder (several dated facts)",
    "reader": "the MPNet reader",
}
SUPPORT_WHY = {
    "cited": "supported",
    "none": "no passage supports it",
    "contradicts": "it contradicts its passage",
    "quote": "it quotes words that are in no passage",
    "plain": "nothing to check (no names, numbers or content words)",
}
_MARK_ORDER = {"": 0, "sentence": 1, "cited": 2, "span": 3}  # where marks overlap, the narrower shows


def explain(trace: Trace) -> dict[str, Any]:
    """The trace as plain JSON: verdict, answer, question, retrieval, reader, claims."""
    return {
        "verdict": verdict(trace),
        "answer": _answer(trace.answer),
        "question": _question(trace),
        "retrieval": _retrieval(trace),
        "reader": _reader(trace),
        "claims": _claims(trace),
        "stage": trace.stage,
        "shape": trace.shape,
        "mode": trace.mode,
    }


# -- the verdict -----------------------------------------------------------------------------------------


def verdict(trace: Trace) -> dict[str, str]:
    """The stage that decided the outcome: {"stage": one of the names above, "detail": a sentence}."""
    a = trace.answer
    refused = a.refused if a is not None else True
    if trace.stage == "needs context":
        return _v(QUESTION, "It reads as a follow-up, and there is no conversation to resolve it against.")
    if trace.stage == "timeline":
        n = len(a.citations) if a is not None else 0
        events = f"{n} dated event{'s' if n != 1 else ''}"
        return _v(TIMELINE, f"A timeline question: {events}." if n else "No dated events found.")
    if not trace.hits:
        return _v(RETRIEVAL, "No passage was retrieved for the question.")
    if trace.timed is not None and not trace.timed:
        return _v(
            RETRIEVAL,
            f"The time filter removed all {len(trace.hits)} retrieved passages: none has a sentence dated "
            f"{_window_words(trace.window)}.",
        )
    checked = trace.checked
    if checked is not None:
        removed = [c for c in checked.claims if not c.kept]
        if not checked.supported:
            return _v(
                CLAIMS,
                f"No claim of the model's answer was supported by a passage ({len(removed)} removed), so the "
                "answer was written extractively.",
            )
        if removed:
            why = "; ".join(f"“{c.text}”: {SUPPORT_WHY.get(c.support, c.support)}" for c in removed)
            return _v(CLAIMS, f"{len(removed)} claim(s) of the model's answer removed: {why}.")
        return _v(ANSWERED, f"The model answered; all {checked.supported} checked claim(s) are supported.")
    if trace.mode in ("llm", "local") and trace.stage == "model" and not trace.fallback:
        return _v(MODEL, "The model said the passages don't answer." if refused else "The model answered.")
    note = f" (the model's answer was replaced: {trace.fallback})" if trace.fallback else ""
    if trace.stage in FINDERS:
        what = FINDERS[trace.stage]
        found = "found nothing that answers" if refused else "answered"
        return _v(FINDER, f"The {what} finder {found}.{note}")
    d = trace.decision
    if d is not None:
        return _decision_verdict(d, note)
    if trace.veto:
        return _v(VETO, f"The {trace.veto} check refused: {VETO_WHY.get(trace.veto, trace.veto)}.{note}")
    if refused:
        if trace.stage == "answerability":
            why = "The answerability model found no candidate sentence likely enough to answer."
        elif trace.stage == "overview":
            why = "No distinct facts about the subject were found."
        else:
            why = "No sentence passed the reader's rules."
        return _v(READER, why + note)
    return _v(ANSWERED, f"Answered by {STAGE_WORDS.get(trace.stage, trace.stage or 'the reader')}.{note}")


def _decision_verdict(d: Decision, note: str) -> dict[str, str]:
    if d.reason == "answered" and d.best is not None:
        return _v(
            ANSWERED, f"The reader answered: p={d.best.prob:.2f} at or above the bar {d.bar:.2f}.{note}"
        )
    if d.reason == "vetoed":
        top = d.reads[0]
        fired = [v for v in top.vetoes if v in d.vetoes_on]
        why = "; ".join(f"{v}: {VETO_WHY.get(v, v)}" for v in fired)
        return _v(
            VETO,
            f"The reader's best span “{top.text}” (p={top.prob:.2f}, bar {d.bar:.2f}) was vetoed ({why}), "
            "and no other span reached the bar." + note,
        )
    if d.reason == "nothing read":
        return _v(READER, "The reader found no span in the passages it read." + note)
    best = d.reads[0] if d.reads else None
    got = f"its most probable span has p={best.prob:.2f}" if best else "nothing"
    return _v(READER, f"The reader's probabilities are below the bar {d.bar:.2f}: {got}.{note}")


def _v(stage: str, detail: str) -> dict[str, str]:
    return {"stage": stage, "detail": detail}


# -- the parts -------------------------------------------------------------------------------------------


def _answer(a: Answer | None) -> dict[str, Any] | None:
    if a is None:
        return None
    return {"answer": a.answer, "refused": a.refused, "mode": a.mode, "citations": len(a.citations)}


def _question(trace: Trace) -> dict[str, Any]:
    q = trace.query
    if q is None:
        return {}
    info = analyse_question(q.standalone)
    return {
        "asked": q.question,
        "standalone": q.standalone,
        "follow_up": q.standalone != q.question,
        "context": q.context,
        "kind": trace.kind or question_kind(q.question).value,
        "answer_type": info.answer_type,
        "terms": list(info.terms),
        "names": list(info.entity_names),
        "numbers": list(info.numbers),
        "months": sorted(info.months),
        "time": _window(trace.window),
    }


def _window(w: TimeWindow | None) -> dict[str, Any] | None:
    if w is None or not (w.bounded or w.present):
        return None
    return {
        "phrase": w.phrase,
        "from": w.lo.isoformat() if w.lo else None,
        "to": w.hi.isoformat() if w.hi else None,
        "steers_retrieval": bool(w.adverbial),
        "present": w.present,
    }


def _window_words(w: TimeWindow | None) -> str:
    if w is None:
        return "in the window"
    lo, hi = (w.lo.isoformat() if w.lo else "…"), (w.hi.isoformat() if w.hi else "…")
    return f"“{w.phrase}” ({lo} to {hi})" if w.phrase else f"{lo} to {hi}"


def _base(pid: str) -> str:
    """A time-narrowed passage's id ("id@offset") is its passage's id."""
    return pid.split("@", 1)[0]


def _marks(trace: Trace) -> list[tuple[str, int, int, str]]:
    """(source, start, end, what) in document offsets: the citations, the reader's span and sentence."""
    out: list[tuple[str, int, int, str]] = []
    if trace.answer is not None:
        out += [(c.source, c.start, c.end, "cited") for c in trace.answer.citations]
    d = trace.decision
    if d is not None and d.best is not None:
        out.append((d.best.hit.source, d.best.sent_start, d.best.sent_end, "sentence"))
        out.append((d.best.hit.source, d.best.start, d.best.end, "span"))
    elif trace.choices:
        c = trace.choices[0]
        s = c.sentence
        out.append((s.hit.source, s.start, s.end, "sentence"))
        if c.span_start is not None and c.span_end is not None:
            out.append((s.hit.source, c.span_start, c.span_end, "span"))
    return out


def pieces(hit: Hit, marks: list[tuple[str, int, int, str]]) -> list[dict[str, str]]:
    """The passage's text cut where the marks begin and end: [{"text", "mark"}], joined again = the text."""
    lo, hi = hit.start, hit.start + len(hit.text)
    mine = [(max(s, lo), min(e, hi), w) for src, s, e, w in marks if src == hit.source and s < hi and e > lo]
    cuts = sorted({lo, hi, *(s for s, _, _ in mine), *(e for _, e, _ in mine)})
    out: list[dict[str, str]] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        if b <= a:
            continue
        what = max((w for s, e, w in mine if s <= a and b <= e), key=_MARK_ORDER.__getitem__, default="")
        text = hit.text[a - lo : b - lo]
        if out and out[-1]["mark"] == what:
            out[-1]["text"] += text
        else:
            out.append({"text": text, "mark": what})
    return out


def _retrieval(trace: Trace) -> dict[str, Any]:
    marks = _marks(trace)
    read_ids = {_base(h.id) for h in trace.read}
    kept_ids = {_base(h.id) for h in trace.timed} if trace.timed is not None else None
    passages = []
    for n, h in enumerate(trace.hits, 1):
        r = trace.ranks.get(h.id, Ranks(fused=h.score))
        passages.append(
            {
                "n": n,
                "id": h.id,
                "source": h.source,
                "title": h.title,
                "publisher": h.publisher,
                "published": h.published,
                "start": h.start,
                "end": h.end,
                "dense_rank": r.dense,
                "keyword_rank": r.keyword,
                "time_rank": r.timed,
                "fused": round(h.score, 5),
                "similarity": round(h.dense, 4),
                "outside_window": r.outside_window,
                "read": h.id in read_ids,
                "time_filter": None if kept_ids is None else ("kept" if h.id in kept_ids else "removed"),
                "pieces": pieces(h, marks),
            }
        )
    dropped = [{"id": pid, "why": r.dropped} for pid, r in trace.ranks.items() if r.dropped]
    out: dict[str, Any] = {
        "candidates": len(trace.ranks),
        "passages": passages,
        "dropped": dropped,
        "time_filter": None,
    }
    if trace.timed is not None:
        removed = [p["source"] for p in passages if p["time_filter"] == "removed"]
        out["time_filter"] = {
            "window": _window(trace.window),
            "kept": len({_base(h.id) for h in trace.timed}),
            "removed": len(removed),
            "why": f"no sentence dated {_window_words(trace.window)}",
        }
    return out


def _read(r: Read, d: Decision) -> dict[str, Any]:
    return {
        "source": r.hit.source,
        "span": r.text,
        "start": r.start,
        "end": r.end,
        "prob": round(r.prob, 4),
        "score": round(r.score, 4),
        "sentence": r.sentence,
        "vetoes": list(r.vetoes),
        "vetoes_active": [v for v in r.vetoes if v in d.vetoes_on],
        "best": r is d.best,
    }


def _reader(trace: Trace) -> dict[str, Any] | None:
    d = trace.decision
    if d is not None:
        return {
            "engine": "mpnet",
            "question": d.question,
            "bar": d.bar,
            "alone_bar": d.alone_bar,
            "vetoes_on": list(d.vetoes_on),
            "reason": d.reason,
            "answered": d.answered,
            "reads": [_read(r, d) for r in d.reads],
            "notes": list(d.notes),
        }
    if not trace.sentences and not trace.choices:
        return None
    return {
        "engine": trace.stage or "rules",
        "sentences": [
            {
                "source": s.hit.source,
                "sentence": s.text,
                "score": round(s.score, 4),
                "answerable": s.answerable,
                "vetoed": s.vetoed,
            }
            for s in trace.sentences[:8]
        ],
        "choices": [
            {"source": c.sentence.hit.source, "sentence": c.sentence.text, "prob": round(c.prob, 4)}
            | ({"span": c.span_text} if c.span_text else {})
            for c in trace.choices
        ],
        "veto": trace.veto or None,
    }


def _claims(trace: Trace) -> dict[str, Any] | None:
    c = trace.checked
    if c is None:
        return {"fallback": trace.fallback} if trace.fallback else None
    return {
        "claims": [
            {
                "text": x.text,
                "support": x.support,
                "why": SUPPORT_WHY.get(x.support, x.support),
                "kept": x.kept,
                "citations": list(x.citations),
                "closest": x.closest,
                "coverage": None if x.coverage is None else round(x.coverage, 3),
                "similarity": None if x.similarity is None else round(x.similarity, 3),
                "quotations_fixed": x.fixed,
            }
            for x in c.claims
        ],
        "supported": c.supported,
        "removed": sum(not x.kept for x in c.claims),
        "warnings": list(c.warnings),
        "fallback": trace.fallback or None,
    }


# -- as text ---------------------------------------------------------------------------------------------


def explain_text(trace: Trace) -> str:
    """The explanation for a terminal."""
    return format_explain(explain(trace))


def format_explain(e: dict[str, Any]) -> str:
    """An explain() dict as lines of text (spans in [[ ]], cited sentences in « »)."""
    v = e["verdict"]
    lines = [f"Why this answer? Decided by: {v['stage']}.", f"  {v['detail']}"]
    q = e["question"]
    if q:
        lines.append(f"Question ({q['kind']}, asks for: {q['answer_type']}): {q['asked']}")
        if q["follow_up"]:
            lines.append(f"  follow-up resolved as: {q['standalone']}")
        parts = [f"key terms: {', '.join(q['terms']) or '-'}"]
        if q["names"]:
            parts.append(f"names: {', '.join(q['names'])}")
        if q["numbers"]:
            parts.append(f"numbers: {', '.join(q['numbers'])}")
        t = q["time"]
        if t:
            span = f"{t['from'] or '…'} to {t['to'] or '…'}"
            parts.append(f"time: “{t['phrase']}” ({'now' if t['present'] else span})")
        lines.append("  " + "; ".join(parts))
    r = e["retrieval"]
    lines.append(
        f"Retrieval: {len(r['passages'])} passages kept of {r['candidates']} candidates (fused rank)"
    )
    for p in r["passages"]:
        ranks = "  ".join(
            f"{name} #{p[key]}"
            for name, key in (("dense", "dense_rank"), ("keyword", "keyword_rank"), ("in time", "time_rank"))
            if p[key] is not None
        )
        flags = [x for x in ("read" if p["read"] else "", p["time_filter"] == "removed" and "time-filtered")]
        flags += ["dated outside the window"] if p["outside_window"] else []
        tag = f"  [{', '.join(str(f) for f in flags if f)}]" if any(flags) else ""
        lines.append(
            f"  {p['n']}. {p['source']} chars {p['start']}-{p['end']}  fused {p['fused']:.4f}  {ranks}{tag}"
        )
        lines.append(f"     {_excerpt(p['pieces'])}")
    tf = r["time_filter"]
    if tf:
        lines.append(f"  time filter: kept {tf['kept']}, removed {tf['removed']} ({tf['why']})")
    rd = e["reader"]
    if rd and rd["engine"] == "mpnet":
        on = ", ".join(rd["vetoes_on"]) or "none"
        lines.append(
            f"Reader (MPNet): bar {rd['bar']:.2f}, span alone at {rd['alone_bar']:.2f}, vetoes on: {on}; "
            f"{rd['reason']}"
        )
        lines.append(f"  reads the question as: {rd['question']}")
        for x in rd["reads"]:
            vet = ", ".join(v + (" (on)" if v in x["vetoes_active"] else " (off)") for v in x["vetoes"])
            best = "  <- best" if x["best"] else ""
            lines.append(f"  p={x['prob']:.3f}  “{x['span']}”  ({x['source']}){best}")
            lines.append(f"     in: {_short(x['sentence'], 160)}" + (f"\n     vetoes: {vet}" if vet else ""))
    elif rd:
        lines.append(f"Reader ({rd['engine']}): the best-scored sentences")
        for s in rd["sentences"][:5]:
            flag = " (rules: answerable)" if s["answerable"] else ""
            lines.append(f"  {s['score']:.3f}{flag}  {_short(s['sentence'], 140)}  ({s['source']})")
        for c in rd["choices"]:
            span = f"  span “{c['span']}”" if c.get("span") else ""
            lines.append(f"  chosen p={c['prob']:.3f}{span}: {_short(c['sentence'], 120)}")
        if rd["veto"]:
            lines.append(f"  veto: {rd['veto']}")
    cl = e["claims"]
    if cl and "claims" in cl:
        lines.append(f"Claim check: {cl['supported']} supported, {cl['removed']} removed")
        for c in cl["claims"]:
            state = "kept" if c["kept"] else "REMOVED"
            cite = "".join(f"[{i}]" for i in c["citations"])
            lines.append(f"  {state} {cite} “{_short(c['text'], 140)}”: {c['why']}")
            if c["closest"]:
                lines.append(f"     closest: {_short(c['closest'], 140)}")
    if cl and cl.get("fallback"):
        lines.append(f"  fallback: {cl['fallback']}")
    return "\n".join(lines)


def _short(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _excerpt(ps: list[dict[str, str]], n: int = 220) -> str:
    """The passage with its span in [[ ]] and its cited sentence in « », around the first mark."""
    text, first = "", None
    for p in ps:
        t = re.sub(r"\s+", " ", p["text"])
        if p["mark"] and first is None:
            first = len(text)
        text += {"span": f"[[{t}]]", "cited": f"«{t}»", "sentence": f"«{t}»"}.get(p["mark"], t)
    text = text.strip()
    if len(text) <= n:
        return text
    lo = max(0, (first or 0) - 60)
    return ("…" if lo else "") + text[lo : lo + n] + "…"
