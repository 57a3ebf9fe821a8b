"""The store: the embedding model, Chroma (passages and document records), the BM25 keyword index, the
generation and commit-point protocol that keeps a crashed ingest from being seen, and the index probe.

It is where ingest and answering meet, and the only place that does. It may import `app.text` and `app.core`."""
