"""Answering: question analysis, follow-up resolution, hybrid retrieval over the store, the offline extractive
engine, the LLM engine with its prompts and token budget, the claim-by-claim check of model answers
(claims, support, quotes), and the service (admission gate, rate limit) that the web layer calls.

Its rooms: question/, reader/, shapes/, news/, llm/, grounding/ (each __init__ says what it owns and may use),
with pipeline.py, service.py and retrieval.py at the top; docs/architecture.md draws them.

Its entry points are `answer(question, history, deps)`, `stream_answer` and `Service`. It may import
`app.store`, `app.text` and `app.core`, never `app.ingest` or `app.web`."""

from app.answer.pipeline import Deps, answer, load_deps, stream_answer
from app.answer.service import Service

__all__ = ["Deps", "Service", "answer", "load_deps", "stream_answer"]
