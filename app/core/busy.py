"""A process-wide flag: set while an ingest in this process is embedding.

Ingest and answering meet only at the store, but both run on the same two cores: a local model that generates
while the embedder runs makes both crawl. The ingest sets this flag around its embedding batches; the local
model waits briefly for it and otherwise leaves the answer to the extractive engine.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

EMBEDDING = threading.Event()
_depth = 0
_lock = threading.Lock()


@contextlib.contextmanager
def embedding() -> Iterator[None]:
    """Mark this block as embedding (nested and concurrent blocks keep the flag set until the last ends)."""
    global _depth
    with _lock:
        _depth += 1
        EMBEDDING.set()
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                EMBEDDING.clear()
