"""Answers written by a model: the OpenAI-compatible and local backends, the local model file, which engine
runs, prompts and token budgets. Uses grounding to check what the model wrote (never reader, shapes or news)."""
