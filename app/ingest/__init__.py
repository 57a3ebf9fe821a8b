"""Ingest: the single writer. Walks folders, reads documents, cuts passages, embeds them and commits them to
the store incrementally by content hash, under a lock; keeps the managed folder of uploaded articles (the
archive) and a watched folder in step with the index.

It may import `app.store`, `app.text` and `app.core`, never `app.answer` or `app.web`. Its entry points, the
only names the web layer and the CLI use, are exported here."""

from app.ingest.archive import Archive, Report, Upload, posted
from app.ingest.pipeline import Summary, ingest, lock_for, progress_bar, writer
from app.ingest.watch import watch

__all__ = [
    "Archive",
    "Report",
    "Summary",
    "Upload",
    "ingest",
    "lock_for",
    "posted",
    "progress_bar",
    "watch",
    "writer",
]
