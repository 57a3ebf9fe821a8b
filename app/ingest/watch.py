"""`sourced watch DIR`: keep the index in step with a folder by polling (no file-system events, no new
dependency). Each round lists the folder's files with their size and modification time; when that listing
changed and then held still for one interval (so a file being copied in is not read half-written), the
folder is ingested, which is incremental by content hash: new files are added, changed ones updated and
deleted ones removed."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from app.core.errors import IndexBusy
from app.core.protocols import Embedder
from app.core.settings import Settings
from app.ingest.pipeline import Summary, ingest
from app.text.documents import walk

Snapshot = dict[str, tuple[int, int]]  # path -> (size, mtime_ns)


def snapshot(folder: Path) -> Snapshot:
    """What the folder holds now, as cheaply as a stat per file."""
    out: Snapshot = {}
    for path, _ in walk([folder]):
        try:
            st = path.stat()
        except OSError:  # deleted between listing and stat: the next round sees it gone
            continue
        out[str(path)] = (st.st_size, st.st_mtime_ns)
    return out


def watch(
    folder: Path,
    settings: Settings,
    embedder: Embedder,
    interval: float,
    report: Callable[[Summary], None],
    rounds: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Poll the folder every interval seconds (for ever, or for the given number of rounds)."""
    done: Snapshot | None = None  # the listing last ingested
    last: Snapshot | None = None  # the listing seen one round ago
    n = 0
    while rounds is None or n < rounds:
        n += 1
        now = snapshot(folder)
        settled = done is None or now == last  # the first round ingests at once
        if now != done and settled:
            try:
                report(ingest([folder], settings, embedder, wait=settings.ingest_wait_seconds))
                done = now
            except IndexBusy:
                pass  # another writer is at work: try again next round
        last = now
        if rounds is None or n < rounds:
            sleep(interval)
