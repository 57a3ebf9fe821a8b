"""A real full disk: the index on a small tmpfs (mount -t tmpfs -o size=...), filled up but for a few hundred KB,
then `sourced ingest` of an edited folder runs out of space for real (no injected error). It must end with the
fixed message (exit status 1, no traceback; Chroma's own error on a full disk is told apart by the free space
left, app/store/chroma.py). Reading the index while the disk is still full fails too (Chroma applies its write
log when read) with ENOSPC; once space is freed the previous version serves at once, and the same command
converges to a clean ingest's counts with `sourced check` clean.

Needs root and a kernel that lets this container mount tmpfs; skipped otherwise (tests/test_faults.py injects
ENOSPC everywhere). docs/robustness.md says which ran."""

from __future__ import annotations

import contextlib
import errno
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.test_faults import (  # noqa: F401 - clean_v2 is a fixture
    _assert_converges,
    _assert_serves,
    _edit_v2,
    _settings,
    _state,
    _v1,
    clean_v2,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
SIZE_MB = 64
LEFT_KB = 256
READ_WHILE_FULL: list[str] = []  # what reading the index did while the disk was full


@contextlib.contextmanager
def tmpfs(where: Path, size_mb: int):
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        [
            "mount",
            "-t",
            "tmpfs",
            "-o",
            f"size={size_mb}m",
            f"sourced-test-{uuid.uuid4().hex[:8]}",
            str(where),
        ],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or mounted.returncode}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def fill(disk: Path, leave_kb: int) -> Path:
    """A file taking all the space of the disk but leave_kb."""
    filler = disk / "filler"
    free = shutil.disk_usage(disk).free
    with open(filler, "wb") as f:
        f.truncate(0)
        chunk = b"\0" * (1 << 20)
        left = free - leave_kb * 1024
        while left > 0:
            f.write(chunk[: min(len(chunk), left)])
            left -= len(chunk)
    return filler


def ingest_cli(docs: Path, index: Path) -> subprocess.CompletedProcess[str]:
    sourced = Path(sys.executable).parent / "sourced"
    return subprocess.run(
        [str(sourced), "ingest", str(docs), "--index-dir", str(index)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "SOURCED_ANSWER_MODE": "extractive", "HF_HUB_OFFLINE": "1"},
        timeout=600,
    )


def test_a_real_full_disk_during_ingest(tmp_path, embedder, clean_v2) -> None:  # noqa: F811
    docs, built, before = _v1(tmp_path, embedder)
    with tmpfs(tmp_path / "disk", SIZE_MB) as disk:
        index = disk / "index"
        shutil.copytree(built, index)
        _edit_v2(docs)
        filler = fill(disk, LEFT_KB)
        run = ingest_cli(docs, index)
        assert run.returncode == 1, (run.returncode, run.stdout[-2000:], run.stderr[-2000:])
        assert "no space left on the device" in run.stderr and "Traceback" not in run.stderr, run.stderr[
            -2000:
        ]
        try:  # the embedded store applies its write log when read: on a full disk reading fails too
            _assert_serves(index)
            READ_WHILE_FULL.append("served")
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
            READ_WHILE_FULL.append("ENOSPC")
        filler.unlink()
        _assert_serves(index)  # space freed: the previous version serves at once
        assert _state(index)[1] == before[1]
        _assert_converges(
            docs, index, clean_v2, embedder
        )  # re-run once there is space: a clean ingest's counts
