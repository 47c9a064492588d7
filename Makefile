# The two commands: `make demo` serves the hub with demo partnerships on SQLite;
# `make test` sets up and runs the whole suite (lint, unit, integration, browser).
PORT ?= 8000
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SAFERHUB := $(BIN)/saferhub

.PHONY: help install assets chromium demo serve test lint format bench clean

help:
	@echo "make demo [PORT=8000]  set up and serve the hub with demo partnerships (SQLite)"
	@echo "make test              set up and run the whole suite (DATABASE_URL=postgres://... for PostgreSQL)"
	@echo "make bench             run the benchmarks and print each figure beside its target"
	@echo "make lint | format     check | fix code style with ruff"

$(BIN)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

install: $(BIN)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Front-end packages from npm, collected with the hub's own static files under var/static.
assets: install node_modules/.installed
	DEBUG=$${DEBUG:-true} $(SAFERHUB) collectstatic --no-input --verbosity 0

# Browser tests drive Debian's Chromium (never a browser downloaded by Playwright).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

demo: assets
	DEBUG=true SITE_URL=http://127.0.0.1:$(PORT) $(SAFERHUB) demo
	@echo "Serving on http://127.0.0.1:$(PORT)/ (Ctrl+C stops it)"
	DEBUG=true SITE_URL=http://127.0.0.1:$(PORT) $(SAFERHUB) serve --port $(PORT)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

format: install
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

test: assets chromium lint
	$(BIN)/python -m pytest -n auto --dist loadgroup $(PYTEST_ARGS)

# Benchmarks run on PostgreSQL (the 1,000,000-incident list needs it); override DATABASE_URL.
bench: assets
	DATABASE_URL=$${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/saferhub_bench} $(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .ruff_cache
