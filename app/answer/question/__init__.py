"""The question: its terms, names and expected answer type, its kind, the time window it names, the cue lists.
Uses only app.text and app.core: nothing else of app.answer."""
