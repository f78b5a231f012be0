# werkmatch — `make run` and `make test` do all set-up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.DEFAULT_GOAL := help
.PHONY: help setup model run test test-fast check format bench clean

help: ## Show this help
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# The CPU build of PyTorch first, so nothing pulls a multi-GB CUDA build.
	$(BIN)/pip install -q "torch==2.13.0"
	$(BIN)/pip install -q -e ".[dev]"
	@touch $(STAMP)

setup: $(STAMP) model ## Create .venv, install werkmatch and build the model (fast when done)

model: $(STAMP) ## Build the embedding model from the bundled weights (cached)
	$(BIN)/werkmatch model build

run: setup ## Install, create the database, load demo data and serve on http://127.0.0.1:8000
	$(BIN)/werkmatch init
	$(BIN)/werkmatch demo
	$(BIN)/werkmatch users demo-tokens
	$(BIN)/werkmatch serve

OIDC_PROVIDER := tests/oidc/node_modules/.package-lock.json
$(OIDC_PROVIDER): tests/oidc/package-lock.json
	# the real OpenID provider the sign-in tests start (oidc-provider, pinned by the lock file)
	@if command -v npm >/dev/null; then npm ci --prefix tests/oidc --no-audit --no-fund --loglevel=error; \
	else echo "WARNING: npm is missing: the single sign-on tests will be SKIPPED"; fi

test: setup $(OIDC_PROVIDER) ## Run the test suite (SQLite, and PostgreSQL when it answers on 127.0.0.1:5432)
	$(BIN)/pytest -q

test-fast: $(STAMP) ## The fast tier: every test that needs no model (fake embedder, SQLite); make test runs all, both databases
	WERKMATCH_TEST_EMBEDDER=fake WERKMATCH_TEST_POSTGRES_URL=off $(BIN)/pytest -q -m "not slow"

check: $(STAMP) ## Lint, format check and type check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP) ## Fix lint and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: setup ## Run the benchmarks in benchmarks/
	$(BIN)/python -m benchmarks

clean: ## Remove the virtual environment and local data
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
