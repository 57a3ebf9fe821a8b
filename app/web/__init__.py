"""The web layer: one FastAPI app with the JSON API (answers, the archive, feedback), the OpenAI-compatible
/v1 API, optional bearer-token auth, the Gradio chat page, the embeddable widget, the admin page, HTML rendering
of answers, the admin token, the proxy-aware client key and log redaction. HTML, CSS and JavaScript live as
files in `static/`.

It calls only the entry points of `app.answer` (answer, stream_answer, Deps, Service), `app.ingest` (Archive,
Upload, posted) and `app.feedback` (FeedbackLog, parse_feedback), and `app.core`; it never reaches into the
store, the engines or ingest's insides."""
