"""Grounding a model's answer in the passages: claim splitting, support, quotation checks, citation markers.
Uses only app.text and app.core: never llm, reader or anything else of app.answer."""
