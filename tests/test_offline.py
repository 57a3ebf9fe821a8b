"""Nothing reaches the network: ingest and answer with every socket connection refused."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT, SEEDS

pytestmark = pytest.mark.slow  # subprocesses and servers: not in make test-fast

SCRIPT = r"""
import socket, sys
def refuse(*a, **k):
    raise OSError("network disabled by test: " + repr(a[1:] if len(a) > 1 else a))
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
from app.cli import main
idx = sys.argv[2]
assert main(["ingest", sys.argv[1], "--index-dir", idx, "--quiet"]) == 0
assert main(["ask", "--json", "--index-dir", idx, "Which border crossing did the Turkish convoy use?"]) == 0
from app.answer.llm.tokens import TokenCounter
print("tokens", TokenCounter("gpt-4.1-mini").count("hello world"))
"""


def test_ingest_and_ask_with_sockets_blocked(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "ANONYMIZED_TELEMETRY": "False"}
    r = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(SEEDS), str(tmp_path / "idx")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Kafr Luzhin" in r.stdout
    assert "network disabled" not in r.stderr
    assert "tokens 2" in r.stdout
