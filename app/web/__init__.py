"""The web layer: one FastAPI app with the JSON API, the OpenAI-compatible /v1 API, optional bearer-token auth,
the Gradio chat page, the embeddable widget, HTML rendering of answers, and log redaction. CSS and JavaScript
live as files in `static/`.

It calls only `app.answer`'s entry points (answer, stream_answer, Deps, Service) and `app.core`; it never
reaches into the store, ingest or the engines."""
