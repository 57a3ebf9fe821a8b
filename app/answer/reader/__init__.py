"""The reader: candidate sentences, their weights and signals, the span reader and the answerability models,
the answer/refuse choice. Uses question (never shapes, news, llm or grounding)."""
