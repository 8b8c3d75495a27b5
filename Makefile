# Two commands on a fresh machine (Python 3.11+):  make run  ·  make test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
LOCK   := requirements/dev.txt
PIP    := $(BIN)/python -m pip --disable-pip-version-check --quiet
# Debian packages the suite calls: the browser for page tests, the independent PDF checkers, openssl,
# Ghostscript (`signif dev sign` embeds the fonts of a PDF that lacks them with it).
SYSTEM_PACKAGES := chromium poppler-utils qpdf openssl ghostscript

.PHONY: run test lint install lock system-deps migrate worker clean

# Exactly what the lock holds, every file checked against its hash, then the project itself with no
# resolution at all (--no-deps, --no-build-isolation: its build backend is in the lock too).
$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --require-hashes --only-binary=:all: -r $(LOCK)
	$(PIP) install --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

## make lock: re-resolve pyproject.toml's ranges to the newest releases, on purpose (see requirements/README.md)
lock: $(STAMP)
	$(BIN)/python requirements/lock.py

## make run: install, migrate and start the embedded deployment on http://127.0.0.1:8000
run: $(STAMP)
	$(BIN)/signif migrate
	$(BIN)/signif serve --host 127.0.0.1 --port 8000

## make test: install if needed (Python packages and the Debian tools the suite calls), then the whole suite
test: $(STAMP) system-deps
	$(BIN)/python -m pytest

## Debian packages the tests need (Playwright drives Debian's chromium: no browser download).
system-deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null \
	  | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages for the test suite:" $$missing; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

## make lint: ruff (lint + format check) and mypy --strict
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared services signif tests bench requirements scripts examples

migrate: $(STAMP)
	$(BIN)/signif migrate

worker: $(STAMP)
	$(BIN)/signif worker

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache test-artifacts
