"""The CLI contract: ingest --json, ask --json, batch order, and a clear message for a missing index."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEEDS

pytestmark = pytest.mark.slow  # subprocesses and servers: not in make test-fast

ENV = {k: v for k, v in os.environ.items() if k not in {"OPENAI_API_KEY", "OPENAI_BASE_URL", "CHROMA_HOST"}}


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        input=stdin,
        env=ENV,
        timeout=240,
    )


def test_missing_index_is_one_clear_line(tmp_path):
    r = run("ask", "What did Turkey deploy?", "--index-dir", str(tmp_path / "nothing"))
    assert r.returncode != 0
    assert "sourced ingest" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_ingest_then_ask_json_and_batch(tmp_path):
    idx = str(tmp_path / "idx")
    r = run("ingest", str(SEEDS), "--index-dir", idx, "--json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert set(summary) >= {"added", "updated", "removed", "unchanged", "chunks", "skipped"}
    assert summary["added"] == 5 and summary["skipped"] == []

    r = run("ask", "Which border crossing did the Turkish convoy use?", "--json", "--index-dir", idx)
    a = json.loads(r.stdout)
    assert set(a) >= {"question", "answer", "refused", "mode", "citations", "warnings"}
    assert "Kafr Luzhin" in a["answer"] and a["mode"] == "extractive"
    c = a["citations"][0]
    assert set(c) >= {"id", "source", "title", "published", "quote", "start", "end"}
    assert Path(SEEDS / c["source"]).read_text(encoding="utf-8")[c["start"] : c["end"]] == c["quote"]

    batch = tmp_path / "q.jsonl"
    lines = [
        {"question": "Who won the 2022 FIFA World Cup?"},
        {
            "question": "Where were they headed?",
            "history": [
                {"role": "user", "content": "What did Turkey deploy in September?"},
                {"role": "assistant", "content": "20 military vehicles."},
            ],
        },
        {"question": ""},
    ]
    batch.write_text("\n".join(json.dumps(x) for x in lines) + "\nnot json\n")
    r = run("ask", "--json", "--batch", str(batch), "--index-dir", idx)
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert len(out) == 4
    assert out[0]["refused"] is True and out[0]["citations"] == []
    assert "Kansafra" in out[1]["answer"]
    assert "error" in out[2] and "error" in out[3]

    r = run("ask", "What did Turkey deploy in September?", "--index-dir", idx)
    assert "[1]" in r.stdout and "001_f4fb8e769c839d13.txt" in r.stdout


def test_full_disk_is_a_clear_message(monkeypatch, capsys):
    import errno

    from app import cli

    def boom(args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cli, "cmd_ingest", boom)
    parser = cli.build_parser()
    parser._subparsers._group_actions[0].choices["ingest"].set_defaults(func=boom)  # type: ignore[union-attr]
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    assert cli.main(["ingest", "seeds"]) == 1
    err = capsys.readouterr().err
    assert "no space left" in err and "Traceback" not in err


def test_watch_and_feedback_export(tmp_path):
    from app.core.settings import Settings
    from app.feedback import FeedbackLog, parse_feedback

    idx, folder = str(tmp_path / "idx"), tmp_path / "watched"
    folder.mkdir()
    (folder / "a.txt").write_bytes((SEEDS / "001_f4fb8e769c839d13.txt").read_bytes())
    r = run("watch", str(folder), "--interval", "0.1", "--rounds", "2", "--json", "--index-dir", idx)
    assert r.returncode == 0, r.stderr
    assert [json.loads(x)["added"] for x in r.stdout.splitlines()] == [1]
    assert run("watch", str(tmp_path / "none"), "--index-dir", idx).returncode == 2
    assert "positive" in run("watch", str(folder), "--interval", "0", "--index-dir", idx).stderr

    log = FeedbackLog.for_settings(Settings(index_dir=Path(idx)))
    log.add(parse_feedback({"rating": "up", "question": "Who?", "comment": "=1+1"}, Settings()))
    jl = run("feedback", "export", "--format", "jsonl", "--index-dir", idx)
    assert json.loads(jl.stdout)["comment"] == "=1+1"
    out = tmp_path / "fb.csv"
    assert run("feedback", "export", "--format", "csv", "-o", str(out), "--index-dir", idx).returncode == 0
    assert out.read_text().splitlines()[0].startswith("id,created,rating") and "'=1+1" in out.read_text()


def test_timeline_command(seed_settings):
    idx = str(seed_settings.index_dir)
    r = run("timeline", "Turkish", "deployments", "--json", "--index-dir", idx)
    assert r.returncode == 0, r.stderr
    t = json.loads(r.stdout)
    assert set(t) >= {"query", "events", "undated", "warnings"}
    dates = [e["date"] for e in t["events"]]
    assert dates == sorted(dates) and "2020-06-04" in dates
    for e in t["events"]:
        c = e["citation"]
        assert (SEEDS / c["source"]).read_text(encoding="utf-8")[c["start"] : c["end"]] == c["quote"]
    r = run("timeline", "Turkish deployments", "--index-dir", idx)
    assert "4 June 2020 (The New Arab): On Thursday, the Turkish army" in r.stdout


@pytest.mark.parametrize(
    ("mode", "batch", "expected"),
    [("auto", True, "extractive"), ("auto", False, "auto"), ("local", True, "local")],
)
def test_a_batch_uses_the_local_model_only_when_asked(monkeypatch, tmp_path, mode, batch, expected):
    import argparse

    from app import cli
    from app.answer import pipeline

    seen = []

    def fake_load(settings):
        seen.append(settings.answer_mode)
        raise SystemExit(0)

    monkeypatch.setattr(pipeline, "load_deps", fake_load)
    monkeypatch.setenv("SOURCED_ANSWER_MODE", "auto")
    qs = tmp_path / "q.jsonl"
    qs.write_text('{"question": "Why?"}\n')
    args = argparse.Namespace(
        batch=str(qs) if batch else None,
        question=[] if batch else ["Why?"],
        json=True,
        index_dir=None,
        mode=None if mode == "auto" else mode,
    )
    with pytest.raises(SystemExit):
        cli.cmd_ask(args)
    assert seen == [expected]
