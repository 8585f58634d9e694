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

# Headless Chromium for the browser tests of the HTML reports (issues 6, 15): the Debian package,
# driven by Playwright (a dev dependency) through executable_path: no browser download.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# dbt packages (packages.yml / package-lock.yml -> dbt_packages/): public hub, else the
# loopback mirror ../shared/dbt-hub (scripts/dbt_deps.py, issue 14).
DEPS_STAMP := dbt_packages/.installed

.PHONY: demo test install deps edr bqemu chromium lint clean

$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[dev]'
	touch $(STAMP)

$(DEPS_STAMP): $(STAMP) packages.yml package-lock.yml
	$(BIN)/python scripts/dbt_deps.py --quiet
	touch $(DEPS_STAMP)

deps: $(DEPS_STAMP)

# Elementary's CLI (edr) in its own virtualenv (issue 14): `eros monitoring report|alerts`.
EDR_STAMP := .venv-edr/.installed
$(EDR_STAMP): scripts/edr_setup.sh requirements/edr.txt
	bash scripts/edr_setup.sh
	touch $(EDR_STAMP)

edr: $(EDR_STAMP)

install: $(STAMP) $(DEPS_STAMP)

$(BQEMU_STAMP): scripts/bqemulator_setup.sh
	bash scripts/bqemulator_setup.sh
	touch $(BQEMU_STAMP)

bqemu: $(BQEMU_STAMP)

demo: $(STAMP) $(DEPS_STAMP)
	$(BIN)/eros demo

chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends chromium; }

# Parallel workers for make test (pytest-xdist; each test file, and the BigQuery tier as a
# whole, runs on one worker: tests/conftest.py). TEST_WORKERS=1 runs in one process.
TEST_WORKERS ?= 2

test: $(STAMP) $(DEPS_STAMP) $(EDR_STAMP) $(BQEMU_STAMP) chromium
	$(BIN)/python -m pytest $(if $(filter-out 1,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadgroup) --durations=25

LINT_DB := $(CURDIR)/target/lint/sqlfluff.duckdb

lint: $(STAMP) $(DEPS_STAMP)
	$(BIN)/ruff check eros tests
	$(BIN)/lint-imports
	@# sqlfluff's dbt templater compiles every model against the profile's DuckDB file: a
	@# throw-away one with small generated sources and the seeds that compilation reads, so
	@# lint works on a fresh clone and does not depend on the state of your warehouse
	rm -rf target/lint && mkdir -p target/lint
	EROS_DUCKDB_PATH=$(LINT_DB) $(BIN)/eros generate --pages 2 --days 3 --json > /dev/null
	EROS_DUCKDB_PATH=$(LINT_DB) $(BIN)/dbt seed --quiet --select alert_rules iana_time_zones --target-path target/lint/dbt
	EROS_DUCKDB_PATH=$(LINT_DB) $(BIN)/sqlfluff lint models
	$(BIN)/python scripts/project_evaluator.py

clean:
	rm -rf target logs warehouse test-output
