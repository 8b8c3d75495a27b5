# Two commands on a fresh machine (Python 3.11+):  make run  ·  make test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint install migrate worker clean bench

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make run: install, migrate and start the embedded deployment on http://127.0.0.1:8000
run: $(STAMP)
	$(BIN)/signif migrate
	$(BIN)/signif serve --host 127.0.0.1 --port 8000

## make test: install if needed, then the whole test suite (SQLite always, PostgreSQL when reachable)
test: $(STAMP)
	$(BIN)/python -m pytest

## make lint: ruff (lint + format check) and mypy --strict
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared services signif tests bench

migrate: $(STAMP)
	$(BIN)/signif migrate

worker: $(STAMP)
	$(BIN)/signif worker

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache test-artifacts
