# make demo: run the daily automation on the embedded DuckDB warehouse.
# make test: the whole test suite. Both bootstrap .venv from the pinned constraints.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONSTRAINTS := requirements/constraints.txt
# BigQuery emulator for the tests/bigquery tier, in its own virtualenv (issue 3).
BQEMU_VENV ?= $(CURDIR)/.venv-bqemu
export BQEMU_VENV
BQEMU_STAMP := $(BQEMU_VENV)/.installed

# Headless Chromium for the browser check of `eros report` (issue 6): the Debian package.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test install bqemu chromium lint clean

$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

$(BQEMU_STAMP): scripts/bqemulator_setup.sh
	bash scripts/bqemulator_setup.sh
	touch $(BQEMU_STAMP)

bqemu: $(BQEMU_STAMP)

demo: $(STAMP)
	$(BIN)/eros demo

chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends chromium; }

test: $(STAMP) $(BQEMU_STAMP) chromium
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check eros tests
	$(BIN)/sqlfluff lint models

clean:
	rm -rf target logs warehouse test-output
