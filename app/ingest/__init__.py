"""Ingest: the single writer. Walks folders, reads documents, cuts passages, embeds them and commits them to
the store incrementally by content hash, under a lock.

It may import `app.store`, `app.text` and `app.core`, never `app.answer` or `app.web`."""

from app.ingest.pipeline import Summary, ingest, lock_for, progress_bar

__all__ = ["Summary", "ingest", "lock_for", "progress_bar"]
