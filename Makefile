# Parley: make run | make test | make lint | make fmt | make lock | make clean
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Python 3.11 for the virtualenv: python3.11 if there is one, else python3.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
PIP_STAMP := $(VENV)/.parley-installed
NPM_STAMP := node_modules/.parley-installed
# Built by `make install` from the npm packages (docs/adr/0007): the one stylesheet, from
# GOV.UK Frontend's and MoJ Frontend's Sass sources, and GOV.UK Frontend's script.
ASSETS := build/assets
CSS := $(ASSETS)/parley/parley.css
GOVUK_JS := $(ASSETS)/govuk-frontend/govuk-frontend.min.js

HOST ?= 127.0.0.1
PORT ?= 8000
# A second process started beside the web server by `make run`: the task worker,
# with the clock that sweeps for due notifications every minute (docs/adr/0003).
# Empty: none.
WORKER_CMD ?= $(PY) manage.py notifications_worker --no-reload
# The sign-in line `make run` prints.
PYTEST_ARGS ?=

.PHONY: help install assets run signin-help test lint fmt lock clean distclean browser-deps deploy-check

help:
	@echo "make run    - set up, load the demo partnership and serve on http://$(HOST):$(PORT)"
	@echo "make test   - lint, type-check, check migrations and run the tests"
	@echo "make deploy-check - bring up nginx, 2 web processes, 2 workers on PostgreSQL; smoke; tear down"
	@echo "make lint   - ruff, ruff format --check, mypy, lint-imports"
	@echo "make fmt    - format and auto-fix with ruff"
	@echo "make lock   - regenerate requirements.lock from the virtualenv"
	@echo "make clean  - remove local data and caches (make distclean: also .venv, node_modules)"

# ---------------------------------------------------------------------------
# Setup
# ---------------------------------------------------------------------------
$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Parley needs Python 3.11 but $(PYTHON) is " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)

$(PIP_STAMP): pyproject.toml requirements.lock | $(PY)
	$(PY) -m pip install --quiet -c requirements.lock -e '.[dev]'
	@touch $@

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

$(CSS): $(NPM_STAMP) $(wildcard parley/styles/*.scss)
	@mkdir -p $(@D)
	node_modules/.bin/sass --load-path=. --style=compressed --no-source-map parley/styles/parley.scss $@

$(GOVUK_JS): $(NPM_STAMP)
	@mkdir -p $(@D)
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js.map $(@D)/

assets: $(CSS) $(GOVUK_JS)

install: $(PIP_STAMP) $(NPM_STAMP) assets

# Chromium for the browser tests, from Debian's packages (needs root).
browser-deps:
	scripts/ensure-chromium.sh

# ---------------------------------------------------------------------------
# Run
# ---------------------------------------------------------------------------
run: install
	$(PY) manage.py ensure_database
	$(PY) manage.py migrate --noinput
	@if [ "$${PARLEY_ENV:-development}" = production ]; then $(PY) manage.py collectstatic --noinput; fi
	@if [ "$${PARLEY_ENV:-development}" != production ]; then $(PY) manage.py demo_load && $(PY) manage.py demo_history; fi
	@$(MAKE) --no-print-directory signin-help
	PY='$(PY)' HOST='$(HOST)' PORT='$(PORT)' WORKER_CMD='$(WORKER_CMD)' scripts/run-dev.sh

signin-help:
	@echo "Parley is running at http://$(HOST):$(PORT)"
	@echo "Sign in as any demo person (docs/demo.md lists them all, one for every role), e.g."
	@echo "  nia.nurse (health visitor), sam.social (social worker), ben.business (business manager)"
	@echo "  password: demo-password-1"
	@echo "  code from your authenticator app: add the demo secret OBQXE3DFPEWWIZLNN4WW63TMPEWTEZTB,"
	@echo "  or run: $(BIN)/parley demo-code"

# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------
test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(PY) manage.py ensure_database
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check
	$(BIN)/pytest $(PYTEST_ARGS)

# The production layout on loopback (docs/deploy.md): needs PostgreSQL on 127.0.0.1:5432
# and nginx (installed from Debian's packages when run as root).
deploy-check: install
	scripts/deploy-local.sh

lint: $(PIP_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: $(PIP_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Re-resolve from pyproject.toml (no constraints) and pin the result.
lock: | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m pip freeze --exclude-editable | grep -v -e '^-e' -e '^#' > requirements.lock
	@touch $(PIP_STAMP)
	@echo "requirements.lock: $$(wc -l < requirements.lock) pins"

clean:
	rm -rf var .mypy_cache .ruff_cache .pytest_cache .hypothesis .import_linter_cache build dist *.egg-info
	find . -path ./.venv -prune -o -path ./node_modules -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) node_modules
