"""News features: timelines, outlets and their disagreements, questions about now, honest refusals, the Sources
panel's article list. Uses question, reader and retrieval (never shapes, llm or grounding)."""
