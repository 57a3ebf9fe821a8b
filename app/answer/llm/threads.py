"""llama.cpp's thread count chosen before each step from what the other processes are doing.

On this 2-core machine 2 threads halve a local answer's time when nothing else runs (checked answer 5.4 s
against 10.5 s p50, first token 2.9 against 6.1 s: docs/llm.md), but fall to about 0.5 tokens/s while another
process keeps a core busy (OpenMP's threads wait on each other); 1 thread holds its speed. So the worker uses
`idle` threads while the other processes together use less than `others_below` of a core, else `base`.
Linux only (/proc); elsewhere, and whenever /proc cannot be read, it stays at `base`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

MIN_TICKS = 10  # clock ticks (all cores) between two samples before they say anything
STALE_S = 2.0  # an older last sample is not "now": take a fresh pair SETTLE_S apart
SETTLE_S = 0.1


@dataclass(frozen=True)
class Sample:
    total: int  # clock ticks of all cores, every state
    busy: int  # of them not idle (nor waiting on I/O)
    ours: int  # of them this process's (user + system)
    at: float  # time.monotonic()


def read_sample(stat: Path = Path("/proc/stat"), own: Path = Path("/proc/self/stat")) -> Sample | None:
    """The machine's and this process's CPU ticks so far; None when /proc is not there."""
    try:
        cpu = [int(x) for x in stat.read_text().splitlines()[0].split()[1:9]]
        fields = own.read_text().rsplit(")", 1)[1].split()  # after "(comm)", which may hold spaces
    except (OSError, ValueError, IndexError):
        return None
    total = sum(cpu)
    return Sample(total, total - cpu[3] - cpu[4], int(fields[11]) + int(fields[12]), time.monotonic())


class Threads:
    """The thread count for the next llama.cpp step (see the module's docstring)."""

    def __init__(
        self,
        base: int,
        idle: int,
        others_below: float = 0.3,
        sample: Callable[[], Sample | None] = read_sample,
        sleep: Callable[[float], None] = time.sleep,
        cores: int | None = None,
    ) -> None:
        self.base, self.idle, self.others_below = base, max(idle, base), others_below
        self.sample, self.sleep = sample, sleep
        self.cores = cores or os.cpu_count() or 1
        self.current = base
        self._last = sample()

    def others(self) -> float | None:
        """Cores the other processes used since the last sample (a fresh one when that is stale)."""
        now = self.sample()
        if now is None:
            return None
        if self._last is None or now.at - self._last.at > STALE_S:  # a fresh pair, SETTLE_S apart
            self.sleep(SETTLE_S)
            self._last, now = now, self.sample()
            if now is None:
                return None
        last = self._last
        ticks = now.total - last.total
        if ticks < MIN_TICKS:
            return None  # too soon to tell: keep the last sample and the current choice
        self._last = now
        return max(0.0, (now.busy - last.busy) - (now.ours - last.ours)) / ticks * self.cores

    def restart(self) -> None:
        """A new request: the time since the last one (the caller's own work included: its retrieval and claim
        checks) says nothing about now, so the next choice takes a fresh window."""
        self._last = None

    def choose(self) -> int:
        if self.idle == self.base:
            return self.base
        others = self.others()
        if others is not None:
            self.current = self.idle if others < self.others_below else self.base
        return self.current
