"""Sourced: grounded, cited answers over a folder of news articles.

The packages, from the bottom up (each may import only those below it; `make lint` checks it):
- `app.core`: settings, user-facing errors, the shared types (Hit, Citation, Answer, Query), the seams as protocols.
- `app.text`: turning files into article text and passages with exact offsets; words, sentences, dates.
- `app.store`: the embedder, Chroma, the keyword index and the crash-safety protocol; the only meeting point
  of ingest and answering.
- `app.ingest` (writes the store, keeps the archive of uploads), `app.answer` (reads it) and `app.feedback`
  (readers' ratings), which never import each other.
- `app.web`: the HTTP API, the chat page, the widget and the admin page; it calls only the entry points of
  `app.answer`, `app.ingest` and `app.feedback`.
- `app.cli`: the command line, which wires the rest together.
"""

__version__ = "0.1.0"
