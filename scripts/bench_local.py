"""The local model next to the extractive engine, and the yes/no verifier: the table of issue 20.

    python scripts/bench_local.py [--sets news3,squad,dev] [--limit 60] [--verify-limit 300] [--label idle]
    python scripts/bench_local.py --no-local --verify-timeout 30 --label verifier   # the verifier only

For each set (the news set tests/questions_news3.jsonl on its 12 BBC articles, the first --limit questions of
the SQuAD 2.0 eval split on its 6 articles, the dev set on the seeds):

1. **Local answers.** Every question is asked through the local engine's stream: its first item is the
   extractive answer (the draft the chat page shows at once), so both engines are scored on the same
   retrieval, load and moment with the shared scorer. Times: the draft, the model's first token, its checked
   answer; the tokens it read (prompt, of which reused from llama.cpp's state) and wrote.
2. **The verifier.** Its operating point (the band of the reader's probabilities where the model is asked,
   and the P(yes) bar below which its check refuses) is chosen on **tuning data only** (--tune-sets): the
   SQuAD 2.0 *training* articles black-death, pharmacy and private-school (../shared/eval/squad2/train.jsonl,
   on an index of their 3 docs) and the BBC reader set (tests/questions_reader_bbc.jsonl on its 8 articles).
   There every question the extractive reader answered with a probability is checked, and `choose_band` picks
   the band and bar (the rule is in its docstring). The chosen band is then **reported** on the report sets
   (--sets: the whole SQuAD eval split, the held-out news set), which are never tuned on: only questions whose
   probability falls in the band are checked there (the others cost no model call). Refusals gained (an
   unanswerable question answered, now refused) against true answers lost (a right answer, now refused), and
   seconds per check. --band LO,HI,BAR reports a given band instead; --tuning-from LABEL reuses the tuning
   checks of an earlier run (a section of the JSON).

Writes docs/bench_local.json (with --label, a section of it) and prints Markdown tables. Say what else ran.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.answer.llm.evidence import Sentence, resolved_question, with_subject  # noqa: E402
from app.answer.pipeline import Trace, answer, load_deps, stream_answer  # noqa: E402
from app.core.settings import Settings  # noqa: E402
from app.core.types import Answer  # noqa: E402
from scripts.bench_reader import SHARED, SQUAD, build, squad_eval_docs  # noqa: E402
from scripts.eval_kinds import bbc_folder  # noqa: E402
from scripts.tune_reader import correct  # noqa: E402

COLS = ["answer", "false_refusal", "refuse", "cite", "f1"]
NEWS3 = ROOT / "tests" / "questions_news3.jsonl"
# The verifier's tuning data (never the report sets): 3 SQuAD 2.0 training articles, the BBC reader set.
TUNE_ARTICLES = ["black-death", "pharmacy", "private-school"]
READER_BBC = ROOT / "tests" / "questions_reader_bbc.jsonl"


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(len(xs) * q))], 2) if xs else 0.0


def load(path: Path, limit: int) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()][:limit]


def score(rows: list[dict], answers: list[Answer], docs: Path, work: Path, tag: str) -> dict[str, float]:
    qs, out = work / f"{tag}-questions.jsonl", work / f"{tag}-answers.jsonl"
    qs.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out.write_text("".join(json.dumps(a.to_dict()) + "\n" for a in answers), encoding="utf-8")
    r = subprocess.run(
        [sys.executable, str(SHARED / "eval" / "score.py"), str(qs), str(out), "--seeds", str(docs)],
        capture_output=True,
        text=True,
        check=True,
    )
    return {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", r.stdout.splitlines()[-1])}


def ask(q: dict, deps) -> tuple[Answer, Answer, dict[str, float]]:
    """(extractive draft, final answer, seconds to the draft / the first model token / the final)."""
    start = time.perf_counter()
    draft: Answer | None = None
    final: Answer | None = None
    t: dict[str, float] = {}
    for partial, a in stream_answer(q["question"], q.get("history", []), deps):
        now = time.perf_counter() - start
        if a is not None and a.draft:
            draft, t["draft"] = a, now
        elif a is None and partial and "first_token" not in t:
            t["first_token"] = now
        elif a is not None:
            final, t["total"] = a, now
    assert final is not None
    return draft or final, final, t


def local_pass(name: str, rows: list[dict], deps, docs: Path, work: Path) -> dict:
    drafts, finals, times, tokens = [], [], [], []
    backend = deps.llm.backend
    for i, q in enumerate(rows, 1):
        backend.last = {}
        d, f, t = ask(q, deps)
        drafts.append(d)
        finals.append(f)
        times.append(t)
        if backend.last and "first_token" in t:
            tokens.append(dict(backend.last))
        print(
            f"{name} {i}/{len(rows)} {f.mode} refused={f.refused} {t.get('total', 0):.1f}s "
            f"{backend.last.get('prompt_tokens', '-')}/{backend.last.get('reused', '-')} in, "
            f"{backend.last.get('completion_tokens', '-')} out, threads {backend.last.get('threads', '-')}",
            flush=True,
        )
    ext = score(rows, drafts, docs, work, f"{name}-extractive")
    loc = score(rows, finals, docs, work, f"{name}-local")
    modelled = [t for t in times if "first_token" in t]
    return {
        "set": f"{name} ({len(rows)})",
        "extractive": ext,
        "local": loc,
        "draft_p50_s": pct([t.get("draft", t.get("total", 0.0)) for t in times], 0.5),
        "checked_p50_s": pct([t["total"] for t in modelled], 0.5),
        "checked_p95_s": pct([t["total"] for t in modelled], 0.95),
        "first_token_p50_s": pct([t["first_token"] for t in modelled], 0.5),
        "first_token_p95_s": pct([t["first_token"] for t in modelled], 0.95),
        "model_ran": len(modelled),
        "local_share": round(sum(f.mode == "local" for f in finals) / len(rows), 3),
        "prompt_tokens_p50": pct([x["prompt_tokens"] for x in tokens], 0.5),
        "prompt_tokens_max": max((x["prompt_tokens"] for x in tokens), default=0),
        "read_tokens_p50": pct([x["read"] for x in tokens], 0.5),
        "reused_tokens_p50": pct([x["reused"] for x in tokens], 0.5),
        "out_tokens_p50": pct([x["completion_tokens"] for x in tokens], 0.5),
        "out_tokens_max": max((x["completion_tokens"] for x in tokens), default=0),
    }


def verifier_pass(
    name: str, rows: list[dict], deps, verifier, band: tuple[float, float] | None = None
) -> list[dict]:
    """Per question: the extractive answer, its probability, and the model's yes/no on its sentence: for every
    answer with a probability (band None: tuning), or only those whose probability is in [lo, hi) (band: a
    report set; the others cost no model call)."""
    out = []
    for i, q in enumerate(rows, 1):
        seen = Trace()
        a = answer(q["question"], q.get("history", []), deps, seen)
        row = {
            "id": q["id"],
            "answerable": q.get("answerable", True),
            "refused": a.refused,
            "right": (not a.refused) and bool(q.get("expect")) and correct(a.answer, q["expect"]),
            "prob": None,
            "verdict": None,
            "p_yes": None,
            "seconds": None,
        }
        if not a.refused and seen.choices and seen.stage == "answerability" and seen.query is not None:
            best = seen.choices[0]
            row["prob"] = round(best.prob, 4)
            if band is None or band[0] <= row["prob"] < band[1]:
                s = with_subject(Sentence(best.sentence.hit, best.sentence.start, best.sentence.end))
                text = s.hit.text[s.start - s.hit.start : s.end - s.hit.start]
                o = verifier.check(resolved_question(seen.query), text)
                row.update(verdict=o.verdict, reply=o.reply, p_yes=o.p_yes, seconds=o.seconds)
        out.append(row)
        print(
            f"verify {name} {i}/{len(rows)} p={row['prob']} -> {row['verdict']} {row['seconds']}s", flush=True
        )
    return out


def says_no(r: dict, bar: float | None) -> bool:
    """P(yes) below the bar; with no bar, the model's one-token reply (the verdict where it was not kept)."""
    if bar is not None and r["p_yes"] is not None:
        return r["p_yes"] < bar
    if r.get("reply"):
        return r["reply"].strip().lower() == "no"
    return r["verdict"] is False


def band_effect(rows: list[dict], lo: float, hi: float, bar: float | None = None) -> dict[str, float]:
    """What a "no" inside [lo, hi) does (no: P(yes) below bar, or the one-token reply when bar is None):
    refusals gained (unanswerable questions no longer answered) and answers lost (answerable ones refused;
    right: those whose answer was right)."""
    asked = [r for r in rows if r["prob"] is not None and lo <= r["prob"] < hi]
    no = [r for r in asked if says_no(r, bar)]
    unans = [r for r in rows if not r["answerable"]]
    return {
        "asked": len(asked),
        "said_no": len(no),
        "refusals_gained": sum(not r["answerable"] for r in no),
        "answers_lost": sum(r["answerable"] for r in no),
        "right_answers_lost": sum(r["right"] for r in no),
        "unanswerable": len(unans),
        "unanswerable_answered": sum(not r["refused"] for r in unans),
        "answerable": len(rows) - len(unans),
        "right": sum(r["right"] for r in rows),
    }


def net_gain(e: dict[str, float]) -> float:
    """The choice rule's score: refusals gained, minus right answers lost, minus half of each wrong answer to an
    answerable question refused (the wrong answer becomes a false refusal: no right answer is lost)."""
    wrong_lost = e["answers_lost"] - e["right_answers_lost"]
    return e["refusals_gained"] - e["right_answers_lost"] - 0.5 * wrong_lost


def choose_band(rows: list[dict]) -> tuple[float, float, float] | None:
    """The band [lo, hi) of reader probabilities and the P(yes) bar with the highest net_gain on these (tuning)
    rows, every answered row checked; ties: the narrower band, then the lower bar, then the lower band. None
    when no band gains anything (the verifier should stay off)."""
    grid = [round(x * 0.05, 2) for x in range(0, 21)] + [1.01]
    bars = [round(x * 0.05, 2) for x in range(2, 15)]
    best: tuple[float, float, float] | None = None
    best_key = (0.0, -2.0)
    for bar in bars:
        for lo in grid:
            for hi in grid:
                if hi <= lo:
                    continue
                key = (net_gain(band_effect(rows, lo, hi, bar)), round(lo - hi, 2))
                if key[0] > 0 and key > best_key:
                    best, best_key = (lo, hi, bar), key
    return best


def squad_train(work: Path, articles: list[str], every: int) -> tuple[list[dict], Path]:
    """Every `every`-th question of these SQuAD 2.0 training articles (the title as a file stem, as
    scripts/train_answerability.py --articles matches it) and a folder of their docs only."""
    keep = set(articles)
    rows = [
        json.loads(x) for x in (SQUAD / "train.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()
    ]
    rows = [r for r in rows if re.sub(r"[^a-z0-9]+", "-", r["article"].lower()).strip("-") in keep]
    assert rows, f"no training questions on {articles}"
    docs = work / ("squad-train-docs-" + "-".join(sorted(articles)))
    if not docs.exists():
        docs.mkdir()
        for a in articles:
            shutil.copy(SQUAD / "docs" / f"{a}.txt", docs)
    return rows[::every], docs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", default="news3,squad", help="report sets: news3, squad (the eval split), dev")
    ap.add_argument("--limit", type=int, default=60, help="SQuAD questions for local answers (first N)")
    ap.add_argument("--news-limit", type=int, default=90, help="news3 questions for local answers (first N)")
    ap.add_argument(
        "--verify-limit", type=int, default=300, help="SQuAD eval questions for the verifier (first N)"
    )
    ap.add_argument(
        "--tune-sets", default="squad-train,reader-bbc", help="the verifier's tuning data (never report sets)"
    )
    ap.add_argument("--tune-articles", default=",".join(TUNE_ARTICLES), help="SQuAD training articles")
    ap.add_argument("--tune-every", type=int, default=1, help="every N-th question of the training articles")
    ap.add_argument(
        "--tuning-from", default=None, help="reuse the tuning checks of this label in --out, or of this file"
    )
    ap.add_argument("--band", default=None, help="LO,HI,BAR: report this band instead of choosing one")
    ap.add_argument(
        "--recompute", default=None, help="LABEL: the verifier's tables again from that saved run (no model)"
    )
    ap.add_argument("--no-verify", action="store_true")
    ap.add_argument("--no-local", action="store_true")
    ap.add_argument("--local-sets", default=None, help="sets for local answers (default: --sets)")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument(
        "--verify-timeout", type=float, default=None, help="seconds per check (default: the setting)"
    )
    ap.add_argument("--lookup", type=int, default=None, help="prompt-lookup draft tokens (0: off)")
    ap.add_argument(
        "--evidence-tokens", type=int, default=None, help="the evidence budget (settings default)"
    )
    ap.add_argument("--label", default="run", help="e.g. idle or busy: a section of the JSON")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "sourced-bench-local")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "bench_local.json")
    args = ap.parse_args()
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    update: dict = {"answer_mode": "local"}
    if args.threads:
        update["local_threads"] = args.threads
    if args.verify_timeout is not None:
        update["verify_timeout"] = args.verify_timeout
    if args.lookup is not None:
        update["local_lookup"] = args.lookup
    if args.evidence_tokens is not None:
        update["evidence_tokens"] = args.evidence_tokens
    settings = Settings().model_copy(update=update)
    old = json.loads(args.out.read_text()) if args.out.exists() else {}
    if not isinstance(old, dict):
        old = {}
    if args.recompute:
        v = old[args.recompute]["verifier"]
        chosen = (*v["band"], v["yes_bar"])
        old[args.recompute]["verifier"] = summarise(
            v["tuning_rows"], v["rows"], chosen, v["band_chosen_on"], v["verify_timeout"]
        )
        args.out.write_text(json.dumps(old, indent=1) + "\n", encoding="utf-8")
        print_tables(old[args.recompute])
        return 0
    sets = []
    if "news3" in args.sets:
        docs = bbc_folder(ROOT / "tests" / "questions_news3.files")
        sets.append(("news3", load(NEWS3, 10**6), build(work / "news3-index", [docs]), docs, args.news_limit))
    if "squad" in args.sets.replace("squad-train", ""):
        docs = squad_eval_docs(work)
        index = build(work / "squad-index", [docs])
        sets.append(("squad2 eval", load(SQUAD / "eval.jsonl", 10**6), index, docs, args.limit))
    if "squad-train" in args.sets:  # tuning data: choices such as the evidence budget are made here
        rows, docs = squad_train(work, args.tune_articles.split(","), args.tune_every)
        name = f"squad2 train ({args.tune_articles}, every {args.tune_every})"
        sets.append((name, rows, build(Path(str(docs) + "-index"), [docs]), docs, 10**6))
    if "dev" in args.sets:
        seeds = ROOT / "seeds"
        dev = load(SHARED / "eval" / "dev.jsonl", 10**6)
        sets.append(("dev", dev, build(work / "seeds-index", [seeds]), seeds, 10**6))
    load_avg = os.getloadavg()
    report: dict = {"label": args.label, "loadavg_at_start": [round(x, 2) for x in load_avg], "sets": []}
    git = ["git", "-C", str(ROOT)]
    report["commit"] = subprocess.run(
        [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    report["uncommitted"] = subprocess.run(
        [*git, "status", "--short", "app", "models"], capture_output=True, text=True
    ).stdout.split("\n")[:20]
    for name, rows, index, docs, limit in sets:
        if not args.no_local and (args.local_sets is None or name.split()[0] in args.local_sets.split(",")):
            deps = local_deps(settings, index)
            r = local_pass(name, rows[:limit], deps, docs, work)
            print(json.dumps(r), flush=True)
            report["sets"].append(r)
    if not args.no_verify:
        report["verifier"] = verifier_report(args, settings, work, sets, old)
    report["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    old[args.label] = report
    args.out.write_text(json.dumps(old, indent=1) + "\n", encoding="utf-8")
    print_tables(report)
    return 0


def local_deps(settings: Settings, index: Path):
    deps = load_deps(settings.model_copy(update={"index_dir": index}))
    assert deps.llm is not None and deps.llm.mode == "local", "the local model is not installed"
    return deps


def verifier_report(args, settings: Settings, work: Path, sets: list, old: dict) -> dict:
    """Choose the band on the tuning sets (or take --band), then check the report sets inside it only."""

    def pass_on(name: str, rows: list[dict], index: Path, band: tuple[float, float] | None) -> list[dict]:
        verifier = local_deps(settings.model_copy(update={"verify": "local"}), index).verifier
        assert verifier is not None
        extractive = load_deps(
            settings.model_copy(update={"index_dir": index, "answer_mode": "extractive", "verify": "off"})
        )
        return verifier_pass(name, rows, extractive, verifier, band)

    tuning: dict[str, list[dict]] = {}
    if args.tuning_from and Path(args.tuning_from).is_file():
        tuning = json.loads(Path(args.tuning_from).read_text(encoding="utf-8"))
    elif args.tuning_from:
        tuning = old[args.tuning_from]["verifier"]["tuning_rows"]
    elif args.band is None:
        for t in args.tune_sets.split(","):
            if t == "squad-train":
                rows, docs = squad_train(work, args.tune_articles.split(","), args.tune_every)
                index = build(work / f"{docs.name}-index", [docs])
                tuning[f"squad2 train ({args.tune_articles})"] = pass_on("squad-train", rows, index, None)
            elif t == "reader-bbc":
                docs = bbc_folder(READER_BBC.with_suffix(".files"))
                index = build(work / "reader-bbc-index", [docs])
                tuning["reader set (BBC)"] = pass_on("reader-bbc", load(READER_BBC, 10**6), index, None)
        saved = work / f"tuning-{args.label}.json"  # a later run can take it (--tuning-from this file)
        saved.write_text(json.dumps(tuning), encoding="utf-8")
    pooled = [r for rows in tuning.values() for r in rows]
    if args.band:
        lo, hi, bar = (float(x) for x in args.band.split(","))
        chosen_on = "given (--band)"
    else:
        choice = choose_band(pooled)
        lo, hi, bar = choice if choice is not None else (0.0, 0.0, 0.5)
        chosen_on = " + ".join(f"{k} ({len(v)})" for k, v in tuning.items())
    reported: dict[str, list[dict]] = {}
    for name, rows, index, _docs, _limit in sets:
        n = args.verify_limit if name.startswith("squad") else 10**6
        reported[name] = pass_on(name, rows[:n], index, (lo, hi))

    return summarise(tuning, reported, (lo, hi, bar), chosen_on, settings.verify_timeout)


def secs(rowsets) -> list[float]:
    return [r["seconds"] for rows in rowsets for r in rows if r["seconds"] is not None]


def effect(rows: list[dict], lo: float, hi: float, bar: float | None) -> dict[str, float]:
    """band_effect, with the choice rule's net gain and the seconds of the checks the band asks for."""
    t = [r["seconds"] for r in rows if r["prob"] is not None and lo <= r["prob"] < hi and r["seconds"]]
    e = band_effect(rows, lo, hi, bar)
    return {**e, "net": net_gain(e), "seconds_p50": pct(t, 0.5), "seconds_p95": pct(t, 0.95)}


def summarise(
    tuning: dict[str, list[dict]],
    reported: dict[str, list[dict]],
    chosen: tuple[float, float, float],
    chosen_on: str,
    timeout: float,
) -> dict:
    """The verifier's section of the JSON: the band, its effect on the tuning and the report sets, the rows."""
    lo, hi, bar = chosen
    pooled = [r for rows in tuning.values() for r in rows]
    effects = {f"tuning: {k} ({len(v)})": effect(v, lo, hi, bar) for k, v in tuning.items()}
    if len(tuning) > 1:
        effects[f"tuning: pooled ({len(pooled)})"] = effect(pooled, lo, hi, bar)
    if tuning:
        effects["tuning: pooled, the old band 0.5-0.85 / 0.4"] = effect(pooled, 0.5, 0.85, 0.4)
        effects[f"tuning: pooled, every answer checked (bar {bar})"] = effect(pooled, 0.0, 1.01, bar)
    effects.update({f"report: {k} ({len(v)})": effect(v, lo, hi, bar) for k, v in reported.items()})
    if lo <= 0.5 and hi >= 0.85:  # the old band inside the checked one: its effect, for comparison only
        effects.update(
            {
                f"report: {k}, the old band 0.5-0.85 / 0.4": effect(v, 0.5, 0.85, 0.4)
                for k, v in reported.items()
            }
        )
    return {
        "band_chosen_on": chosen_on,
        "rule": "max net_gain: refusals gained - right answers lost - 0.5 x wrong answers lost; ties narrower",
        "band": [lo, hi],
        "yes_bar": bar,
        "verify_timeout": timeout,
        "seconds_p50": pct(secs(reported.values()), 0.5),
        "seconds_p95": pct(secs(reported.values()), 0.95),
        "checks": len(secs(reported.values())),
        "tuning_checks": len(secs(tuning.values())),
        "effects": effects,
        "tuning_rows": tuning,
        "rows": reported,
    }


def print_tables(report: dict) -> None:
    print(
        f"\n### {report['label']} (load average {report['loadavg_at_start']} -> {report['loadavg_at_end']})\n"
    )
    if report["sets"]:
        print(
            "| set | engine | "
            + " | ".join(COLS)
            + " | checked p50 / p95 s | first token p50 s | tokens in (reused) / out p50 |"
        )
        print("|---|---|" + "---:|" * (len(COLS) + 3))
        for r in report["sets"]:
            for eng in ("extractive", "local"):
                f = r[eng]
                timing = (
                    f"{r['draft_p50_s']} (draft)"
                    if eng == "extractive"
                    else f"{r['checked_p50_s']} / {r['checked_p95_s']}"
                )
                first = "" if eng == "extractive" else str(r["first_token_p50_s"])
                toks = (
                    ""
                    if eng == "extractive"
                    else f"{r['prompt_tokens_p50']} ({r['reused_tokens_p50']}) / {r['out_tokens_p50']}"
                )
                print(
                    f"| {r['set']} | {eng} | "
                    + " | ".join(f"{f.get(c, 0):g}" for c in COLS)
                    + f" | {timing} | {first} | {toks} |"
                )
    v = report.get("verifier")
    if v:
        print(
            f"\nVerifier: band {v['band']}, P(yes) bar {v['yes_bar']} (chosen on {v['band_chosen_on']}), "
            f"{v['checks']} checks, "
            f"{v['seconds_p50']} s p50, {v['seconds_p95']} s p95\n"
        )
        print(
            "| set | checks (in band) | said no | refusals gained | answers lost (of them right) | net "
            "| unanswerable answered: before -> after | right answers: before -> after | s per check p50 / p95 |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for k, e in v["effects"].items():
            un, right = e["unanswerable_answered"], e.get("right", 0)
            print(
                f"| {k} | {e['asked']} | {e['said_no']} | {e['refusals_gained']} | {e['answers_lost']} "
                f"({e['right_answers_lost']}) | {e.get('net', '')} | {un} -> {un - e['refusals_gained']} of "
                f"{e['unanswerable']} | {right} -> {right - e['right_answers_lost']} of {e.get('answerable', '')} "
                f"| {e['seconds_p50']} / {e['seconds_p95']} |"
            )


if __name__ == "__main__":
    raise SystemExit(main())
