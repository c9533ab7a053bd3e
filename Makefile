# The two commands of README.md: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The settings default to production (DEBUG off, secrets required): local commands ask for
# development mode explicitly. The tests get DEBUG=1 from pyproject.toml.
DEV := DEBUG=1
# Two pytest workers on this two-core machine; override with PYTEST_WORKERS=0 to run in one.
PYTEST_WORKERS ?= 2

# The instants `make test-clock` moves the clock to (Beijing time): the last seconds of a year,
# half past midnight when the UTC date is still the day before, and a leap day.
CLOCKS ?= 2026-12-31T23:59:30+08:00 2027-01-01T00:30:00+08:00 2028-02-29T00:30:00+08:00

.PHONY: install run test test-clock lint format bench loadtest stack-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

# axe-core, the accessibility check of the browser tests (tests/browser/axe.py), from npm at the
# version of tests/browser/package-lock.json.
AXE := tests/browser/node_modules/axe-core/axe.min.js

install: $(VENV)/.installed
	@scripts/system-deps.sh
	@[ $(AXE) -nt tests/browser/package-lock.json ] || \
	  { npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error && touch $(AXE); }
	@$(DEV) $(BIN)/python manage.py build_pdf_fonts

run: install
	$(DEV) $(BIN)/python manage.py migrate --no-input
	$(DEV) $(BIN)/python manage.py seed_demo --with-accounts
	@# The web server and the task worker that sends the texts (Procfile), stopped together.
	$(DEV) DEV_SMS_PAGE=1 TASKS_BACKEND=database RUNSERVER_ADDRESS=$(HOST):$(PORT) \
	  $(BIN)/honcho start -f Procfile

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint
	$(DEV) $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

test-clock: install
	@for instant in $(CLOCKS); do \
	  echo "=== the suite with the clock moved to $$instant"; \
	  $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile --clock "$$instant" $(PYTEST_ARGS) || exit 1; \
	done

bench: install
	$(DEV) $(BIN)/python -m benchmarks

# The opening minutes against gunicorn, PostgreSQL and Redis on this machine (benchmarks/loadtest.py);
# LOADTEST_ARGS="--applicants 2000 --users 100" for a shorter run.
loadtest: install
	$(BIN)/pip install --quiet -e ".[dev,load]"
	@command -v wrk >/dev/null || scripts/system-deps.sh wrk
	$(BIN)/python -m benchmarks.loadtest $(LOADTEST_ARGS)

# The production topology of deploy/compose.yaml, through Debian's nginx over TLS (tests/stack/):
# as root, in namespaces of its own (scripts/stack-test.sh); installs nginx when it is missing.
stack-test: install
	@scripts/system-deps.sh nginx ip:iproute2 redis-server pg_ctlcluster:postgresql
	scripts/stack-test.sh $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache tests/browser/node_modules
