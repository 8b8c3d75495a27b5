# Two commands on a fresh machine (Python 3.11+):  make run  ·  make test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint install migrate worker clean bench browser

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
test: $(STAMP) browser
	$(BIN)/python -m pytest

## Debian's chromium drives the page tests (Playwright launches it; no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

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
