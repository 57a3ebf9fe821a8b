"""llama.cpp's threads chosen before each step from the other processes' CPU use (app/answer/llm/threads.py),
and applied to the model only when the choice changes (app/answer/llm/worker.set_threads)."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

from app.answer.llm import worker
from app.answer.llm.threads import Sample, Threads, read_sample


class Clock:
    """Scripted samples: each step adds `ticks` of which `others` busy ticks not ours and `ours` of ours."""

    def __init__(self) -> None:
        self.s = Sample(total=0, busy=0, ours=0, at=0.0)

    def step(self, ticks: int, others: int, ours: int = 0, seconds: float = 0.2) -> None:
        s = self.s
        self.s = Sample(s.total + ticks, s.busy + others + ours, s.ours + ours, s.at + seconds)

    def __call__(self) -> Sample:
        return self.s


def test_two_threads_while_nothing_else_runs() -> None:
    clock = Clock()
    t = Threads(1, 2, sample=clock, sleep=lambda _: None, cores=2)
    clock.step(40, others=2, ours=38)  # we use both cores; others 2 of 40 ticks: 0.1 core
    assert t.choose() == 2


def test_one_thread_when_another_process_keeps_a_core() -> None:
    clock = Clock()
    t = Threads(1, 2, sample=clock, sleep=lambda _: None, cores=2)
    clock.step(40, others=20, ours=18)  # others: a whole core
    assert t.choose() == 1


def test_too_soon_keeps_the_choice() -> None:
    clock = Clock()
    t = Threads(1, 2, sample=clock, sleep=lambda _: None, cores=2)
    clock.step(40, others=0, ours=40)
    assert t.choose() == 2
    clock.step(3, others=3)  # 3 ticks: too few to say anything
    assert t.choose() == 2


def test_a_stale_sample_is_refreshed_before_choosing() -> None:
    clock = Clock()
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        clock.step(20, others=18)  # a busy process started just now

    t = Threads(1, 2, sample=clock, sleep=sleep, cores=2)
    clock.step(60_000, others=0, seconds=600)  # ten quiet minutes since the last answer
    assert t.choose() == 1 and slept


def test_no_proc_means_the_base_count() -> None:
    t = Threads(1, 2, sample=lambda: None, sleep=lambda _: None, cores=2)
    assert t.choose() == 1


def test_idle_equal_to_base_never_samples() -> None:
    calls: list[int] = []

    def sample() -> Sample:
        calls.append(1)
        return Sample(0, 0, 0, 0.0)

    t = Threads(1, 0, sample=sample)
    n = len(calls)
    assert t.choose() == 1 and len(calls) == n


def test_read_sample_parses_proc(tmp_path: Path) -> None:
    stat, own = tmp_path / "stat", tmp_path / "self"
    stat.write_text("cpu  100 5 50 800 45 0 0 0 0 0\ncpu0 1 2 3 4\n")
    own.write_text("42 (a name (with) spaces) S 1 2 3 4 5 6 7 8 9 10 30 12 0 0\n")
    s = read_sample(stat, own)
    assert s is not None and (s.total, s.busy, s.ours) == (1000, 155, 42)


def test_read_sample_on_this_machine() -> None:
    if not Path("/proc/stat").exists():
        pytest.skip("no /proc here")
    s = read_sample()
    assert s is not None and s.total > 0 and 0 <= s.ours


def test_set_threads_applies_only_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    applied: list[tuple[object, int, int]] = []
    fake = types.SimpleNamespace(llama_set_n_threads=lambda ctx, n, b: applied.append((ctx, n, b)))
    monkeypatch.setitem(__import__("sys").modules, "llama_cpp", fake)
    clock = Clock()
    llm = types.SimpleNamespace(_ctx=types.SimpleNamespace(ctx="ctx"))
    llm.sourced_threads = Threads(1, 2, sample=clock, sleep=lambda _: None, cores=2)
    clock.step(40, others=0, ours=40)
    worker.set_threads(llm)
    clock.step(40, others=0, ours=40)
    worker.set_threads(llm)  # still 2: nothing applied again
    clock.step(40, others=30, ours=10)
    worker.set_threads(llm)
    assert applied == [("ctx", 2, 2), ("ctx", 1, 1)]


def test_set_threads_leaves_a_scripted_model_alone() -> None:
    worker.set_threads(types.SimpleNamespace())  # no context, no Threads: nothing to do
