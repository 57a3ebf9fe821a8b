"""Command line: sourced ingest | check | watch | ask | eval | timeline | chat | serve | feedback export."""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from app.core.errors import SourcedError
from app.core.settings import Settings

MODES = ("auto", "extractive", "llm", "local")
MODE_HELP = (
    "who writes the answer (default: SOURCED_ANSWER_MODE, auto): llm = the OpenAI-compatible server, "
    "local = the local model (make setup-llm), extractive = quotes only"
)


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "index_dir", None):
        overrides["index_dir"] = Path(args.index_dir)
    if getattr(args, "mode", None):
        overrides["answer_mode"] = args.mode
    return Settings(**overrides)


def _paths(args: argparse.Namespace, settings: Settings) -> list[Path] | None:
    """The folders and files named (default: what ingest indexes); None, with a message, when one is missing."""
    paths = [Path(p) for p in args.paths] or default_paths(settings)
    for p in paths:
        if not p.exists():
            print(f"sourced: no such file or folder: {p}", file=sys.stderr)
            return None
    return paths


def cmd_ingest(args: argparse.Namespace) -> int:
    from app.ingest.pipeline import ingest, progress_bar
    from app.store.embeddings import build_embedder

    settings = _settings(args)
    paths = _paths(args, settings)
    if paths is None:
        return 2
    step, close = (None, lambda: None) if (args.json or args.quiet) else progress_bar()
    try:
        summary = ingest(paths, settings, build_embedder(settings), rebuild=args.rebuild, progress=step)
    finally:
        close()
    d = summary.as_dict()
    if args.json:
        print(json.dumps(d))
    else:
        print_summary(d, quiet=args.quiet)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    import shlex

    from app.feedback import FeedbackLog
    from app.ingest.check import Problem, check_index
    from app.store.embeddings import build_embedder

    settings = _settings(args)
    paths = _paths(args, settings)
    if paths is None:
        return 2
    ingest = " ".join(
        ["sourced ingest"]
        + [shlex.quote(str(p)) for p in args.paths]
        + (["--index-dir", shlex.quote(str(args.index_dir))] if args.index_dir else [])
    )
    problems = check_index(paths, settings, build_embedder(settings), ingest)
    feedback = FeedbackLog.for_settings(settings)
    for what in feedback.integrity():
        problems.append(
            Problem(
                f"the feedback database {feedback.path} is damaged: {what}",
                f"sourced feedback export -o saved.jsonl, then move {feedback.path} aside",
            )
        )
    for pr in problems:
        print(f"problem: {pr.what}\n  repair: {pr.repair}")
    if problems:
        print(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found", file=sys.stderr)
        return 1
    print("the index matches its documents; the feedback database is sound")
    return 0


def default_paths(settings: Settings) -> list[Path]:
    """The seeds folder and the managed folder of uploaded articles (created if missing: it may start empty)."""
    settings.documents_dir.mkdir(parents=True, exist_ok=True)
    return [settings.docs_dir, settings.documents_dir]


def print_summary(d: dict[str, Any], quiet: bool = False) -> None:
    if quiet and not (d["added"] or d["updated"] or d["removed"]):
        return
    print(
        f"added {d['added']}, updated {d['updated']}, removed {d['removed']}, unchanged {d['unchanged']}; "
        f"{d['chunks']} passages from these files",
        flush=True,
    )
    for s in d["skipped"]:
        print(f"  skipped {s['path']}: {s['reason']}")
    for w in d["warnings"]:
        print(f"  warning {w['path']}: {w['reason']}")


def cmd_watch(args: argparse.Namespace) -> int:
    from app.ingest import watch
    from app.store.embeddings import build_embedder

    settings = _settings(args)
    folder = Path(args.folder)
    if not folder.is_dir():
        print(f"sourced: no such folder: {folder}", file=sys.stderr)
        return 2
    interval = args.interval if args.interval is not None else settings.watch_interval
    if interval <= 0:
        print("sourced: --interval must be a positive number of seconds", file=sys.stderr)
        return 2
    report = (
        (lambda s: print(json.dumps(s.as_dict()), flush=True))
        if args.json
        else (lambda s: print_summary(s.as_dict(), quiet=True))
    )
    print(f"watching {folder} every {interval:g} s (Ctrl-C to stop)", file=sys.stderr)
    watch(folder, settings, build_embedder(settings), interval, report, rounds=args.rounds)
    return 0


def cmd_feedback(args: argparse.Namespace) -> int:
    from app.feedback import FeedbackLog

    log = FeedbackLog.for_settings(_settings(args))
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            n = log.export(args.format, out)
    else:
        n = log.export(args.format, sys.stdout)
    print(f"{n} feedback items exported", file=sys.stderr)
    return 0


def _read_batch(path: str) -> list[dict[str, Any]]:
    stream = sys.stdin if path == "-" else open(path, encoding="utf-8")
    items = []
    with stream:
        for n, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError:
                item = {"question": None, "_error": f"line {n} is not JSON"}
            items.append(
                item if isinstance(item, dict) else {"question": None, "_error": f"line {n} is not an object"}
            )
    return items


def cmd_ask(args: argparse.Namespace) -> int:
    from app.answer.explain import explain, explain_text
    from app.answer.pipeline import Trace, answer, load_deps

    if not args.batch and not args.question:
        print("sourced: ask needs a QUESTION or --batch FILE", file=sys.stderr)
        return 2
    settings = _settings(args)
    if args.batch and settings.answer_mode == "auto" and not settings.llm_configured():
        # A batch is bulk work: at ~25 s a question on 2 cores, the local model only when asked (--mode local).
        settings = settings.model_copy(update={"answer_mode": "extractive"})
    deps = load_deps(settings)
    if args.batch:
        for item in _read_batch(args.batch):
            try:
                if "_error" in item:
                    raise SourcedError()
                trace = Trace() if args.explain else None
                out = answer(item.get("question"), item.get("history"), deps, trace).to_dict()
                if trace is not None:
                    out["explain"] = explain(trace)
            except SourcedError as exc:
                out = {"question": item.get("question"), "error": item.get("_error") or str(exc)}
            print(json.dumps(out, ensure_ascii=False), flush=True)
        return 0
    trace = Trace() if args.explain else None
    result = answer(" ".join(args.question), [], deps, trace)
    if args.json:
        out = result.to_dict()
        if trace is not None:
            out["explain"] = explain(trace)
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(format_answer(result.to_dict()))
        if trace is not None:
            print("\n" + explain_text(trace))
    return 0


def format_answer(a: dict[str, Any]) -> str:
    """An answer with its numbered sources, for a terminal."""
    lines = [a["answer"]]
    for c in a["citations"]:
        meta = ", ".join(x for x in (c.get("publisher"), c.get("published")) if x)
        lines.append(
            f"  [{c['id']}] {c['title']} ({c['source']}{'; ' + meta if meta else ''}) chars {c['start']}-{c['end']}"
        )
    for d in a.get("disagreements") or []:
        figs = "; ".join(
            f"{f['value']} [{f['citation']}] ({f.get('publisher') or 'unnamed'})" for f in d["figures"]
        )
        lines.append(f"  sources differ on {d['subject']}: {figs}")
    for w in a.get("warnings") or []:
        lines.append(f"  note: {w}")
    return "\n".join(lines)


def cmd_eval(args: argparse.Namespace) -> int:
    from app.evaluate import load_questions, run_eval, summary_line
    from app.evaluate.report import write_report

    load_questions(Path(args.questions))  # a malformed line stops here, before any work and any file
    settings = _settings(args)
    if settings.answer_mode == "auto" and not settings.llm_configured():
        settings = settings.model_copy(update={"answer_mode": "extractive"})  # bulk work, as --batch

    def progress(n: int, total: int) -> None:
        if not args.quiet:
            print(f"\ranswered {n} of {total}", end="" if n < total else "\n", file=sys.stderr, flush=True)

    run = run_eval(
        Path(args.questions),
        settings,
        docs=Path(args.docs) if args.docs else None,
        baseline=Path(args.baseline) if args.baseline else None,
        progress=progress,
    )
    out = Path(args.out)
    written = write_report(run, out)
    lat = run.latency()
    print(f"{summary_line(run.scores)} p50={lat['p50']:.0f}ms p95={lat['p95']:.0f}ms")
    for name, ks in run.kinds.items():
        print(f"  {name}: {summary_line(ks)}")
    print(f"wrote {', '.join(p.name for p in written)} to {out}/", file=sys.stderr)
    return 0


def cmd_timeline(args: argparse.Namespace) -> int:
    from app.answer.news.timeline import timeline
    from app.answer.pipeline import load_deps

    deps = load_deps(_settings(args))
    result = timeline(" ".join(args.query), deps.retriever, deps.settings).to_dict()
    print(json.dumps(result, ensure_ascii=False) if args.json else format_timeline(result))
    return 0


def format_timeline(t: dict[str, Any]) -> str:
    """A timeline for a terminal: date, publisher, sentence, then where it is."""
    if not t["events"]:
        return "No dated events on this subject in the indexed articles."
    lines = []
    for ev in t["events"]:
        c = ev["citation"]
        who = f" ({c['publisher']})" if c.get("publisher") else ""
        lines.append(f"{ev['label']}{who}: {' '.join(c['quote'].split())} [{c['id']}]")
        lines.append(f"    {c['title']} ({c['source']}) chars {c['start']}-{c['end']}")
    if t["undated"]:
        lines.append(
            f"  note: {t['undated']} more sentences on this subject name no date that can be placed."
        )
    return "\n".join(lines)


def cmd_chat(args: argparse.Namespace) -> int:
    from app.answer.pipeline import answer, load_deps

    deps = load_deps(_settings(args))
    history: list[dict[str, str]] = []
    print("Ask about the articles (empty line or Ctrl-D to quit; 'new' starts a new chat).")
    while True:
        try:
            q = input("> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if not q:
            return 0
        if q == "new":
            history = []
            continue
        try:
            res = answer(q, history, deps)
        except SourcedError as exc:
            print(exc)
            continue
        print(format_answer(res.to_dict()))
        history += [{"role": "user", "content": q}, {"role": "assistant", "content": res.answer}]


def cmd_serve(args: argparse.Namespace) -> int:
    from app.web.api import serve

    settings = _settings(args)
    serve(settings, host=args.host or settings.host, port=args.port or settings.port)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sourced", description="Cited answers from a folder of news articles.")
    sub = p.add_subparsers(dest="cmd", required=True)
    i = sub.add_parser("ingest", help="build or update the index")
    i.add_argument("paths", nargs="*", help="files or folders (default: seeds/ and documents/)")
    i.add_argument("--index-dir")
    i.add_argument("--json", action="store_true", help="print one JSON summary")
    i.add_argument("--quiet", action="store_true", help="print only when something changed")
    i.add_argument("--rebuild", action="store_true", help="drop the index and build it anew")
    i.set_defaults(func=cmd_ingest)
    k = sub.add_parser("check", help="verify the index against its documents (exit status 1 on any problem)")
    k.add_argument("paths", nargs="*", help="folders (default: those sourced ingest indexes)")
    k.add_argument("--index-dir")
    k.set_defaults(func=cmd_check)
    w = sub.add_parser("watch", help="keep the index in step with a folder (new, changed, deleted files)")
    w.add_argument("folder")
    w.add_argument(
        "--interval", type=float, help="seconds between scans (default: SOURCED_WATCH_INTERVAL, 5)"
    )
    w.add_argument("--index-dir")
    w.add_argument("--json", action="store_true", help="one JSON summary per ingest")
    w.add_argument("--rounds", type=int, help=argparse.SUPPRESS)  # tests: stop after this many scans
    w.set_defaults(func=cmd_watch)
    f = sub.add_parser("feedback", help="answer feedback")
    fsub = f.add_subparsers(dest="feedback_cmd", required=True)
    fe = fsub.add_parser("export", help="write all feedback as JSON lines or CSV")
    fe.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    fe.add_argument("--output", "-o", help="file to write (default: standard output)")
    fe.add_argument("--index-dir")
    fe.set_defaults(func=cmd_feedback)
    a = sub.add_parser("ask", help="ask one question, or a batch of JSON lines")
    a.add_argument("question", nargs="*")
    a.add_argument("--json", action="store_true")
    a.add_argument(
        "--batch",
        help="JSON lines file of {question, history}; '-' for stdin (auto mode answers a batch extractively "
        "unless a server is configured: the local model only with --mode local)",
    )
    a.add_argument(
        "--explain",
        action="store_true",
        help="say why: the question as analysed, the passages and their ranks, the reader's decision, the "
        'claim checks and the stage that decided (after the answer; with --json an "explain" object)',
    )
    a.add_argument("--index-dir")
    a.add_argument("--mode", choices=MODES, help=MODE_HELP)
    a.set_defaults(func=cmd_ask)
    e = sub.add_parser(
        "eval",
        help="answer a question set and score it as ../shared/eval/score.py does (docs/eval.md)",
        description="Answer every question of QUESTIONS.jsonl, score the answers, and write report.md, "
        "chart.png, answers.jsonl and figures.json into --out.",
    )
    e.add_argument(
        "questions", help="JSON lines: {id, question, expect, sources} or {..., answerable: false}"
    )
    e.add_argument(
        "--docs", help="index this folder into a temporary index first (default: the configured index)"
    )
    e.add_argument("--baseline", help="figures.json of an earlier run, to compare against")
    e.add_argument("--out", default="eval-report", help="folder of the report (default: eval-report/)")
    e.add_argument("--index-dir")
    e.add_argument("--mode", choices=MODES, help=MODE_HELP)
    e.add_argument("--quiet", action="store_true", help="no progress on standard error")
    e.set_defaults(func=cmd_eval)
    t = sub.add_parser("timeline", help="dated events about a subject, oldest first, each cited")
    t.add_argument("query", nargs="+")
    t.add_argument("--json", action="store_true")
    t.add_argument("--index-dir")
    t.set_defaults(func=cmd_timeline)
    c = sub.add_parser("chat", help="interactive terminal chat")
    c.add_argument("--index-dir")
    c.add_argument("--mode", choices=MODES, help=MODE_HELP)
    c.set_defaults(func=cmd_chat)
    s = sub.add_parser("serve", help="browser chat, HTTP API and widget")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.add_argument("--index-dir")
    s.set_defaults(func=cmd_serve)
    return p


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    logging.basicConfig(level=os.environ.get("SOURCED_LOG_LEVEL", "WARNING"))
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except SourcedError as exc:
        print(f"sourced: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except OSError as exc:  # disk full, permissions: say what, not where in the code
        if exc.errno == errno.ENOSPC:
            print(
                "sourced: no space left on the device; the previous index is still in use. "
                "Free some space and run the command again.",
                file=sys.stderr,
            )
        else:
            print(
                f"sourced: {exc.strerror or 'input/output error'}"
                f"{': ' + str(exc.filename) if exc.filename else ''}",
                file=sys.stderr,
            )
        return 1
