# Alien Portal: `make demo` runs everything on embedded defaults, `make test` runs the checks.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OIDC_DIR := devtools/oidc
OIDC_STAMP := $(OIDC_DIR)/node_modules/.installed
KINESALITE_DIR := devtools/kinesalite
KINESALITE_STAMP := $(KINESALITE_DIR)/node_modules/.installed

.PHONY: demo test lint format typecheck services system-packages oidc-provider kinesalite clean bench bench-reports bench-dashboards bench-scaling bench-gameapi

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $(STAMP)

## system-packages: Debian's Chromium (browser tests) and Node.js (OpenID provider), installed once
system-packages:
	@scripts/ensure-system-packages chromium node

# The development OpenID provider's npm packages, exactly as locked (npm ci).
$(OIDC_STAMP): $(OIDC_DIR)/package.json $(OIDC_DIR)/package-lock.json
	@scripts/ensure-system-packages node
	cd $(OIDC_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $(OIDC_STAMP)

## oidc-provider: install the development OpenID provider (devtools/oidc)
oidc-provider: $(OIDC_STAMP)

# kinesalite, the Kinesis of the resharding tests, exactly as locked (npm ci).
$(KINESALITE_STAMP): $(KINESALITE_DIR)/package.json $(KINESALITE_DIR)/package-lock.json
	@scripts/ensure-system-packages node
	cd $(KINESALITE_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $(KINESALITE_STAMP)

## kinesalite: install kinesalite (devtools/kinesalite) for the resharding tests
kinesalite: $(KINESALITE_STAMP)

## demo: set everything up and run the portal, its pipeline and a simulated game (Ctrl-C stops it)
# The demo makes itself the terminal's foreground process group, so a Ctrl-C reaches it and not
# make (which would die of the signal, "Error 130"): it stops its processes in order and exits 0.
demo: $(STAMP) oidc-provider
	$(BIN)/python -m alienportal.devstack.demo

## services: start PostgreSQL and Redis on this machine if they are not running (tests need both)
services:
	@scripts/ensure-services

## test: lint, format check and the whole test suite against PostgreSQL, Redis and moto server
test: $(STAMP) services system-packages oidc-provider kinesalite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy alienportal scoreboard sessions reports support
	DJANGO_SETTINGS_MODULE=alienportal.settings.test $(BIN)/python manage.py spectacular --fail-on-warn --validate --file /dev/null
	$(BIN)/pytest

## bench: ingestion benchmark (drain throughput, naive ratio, COPY ceiling, freshness, rankings, RSS)
bench: $(STAMP) services
	$(BIN)/python tests/bench/ingest.py

## bench-scaling: 1, 2 and 4 drain worker processes on a 4-shard stream (records/s, CPU per record)
bench-scaling: $(STAMP) services
	$(BIN)/python tests/bench/scaling.py

## bench-reports: reports API under load (wrk against gunicorn, ours vs a naive ORM version) and the throttles under concurrency
bench-reports: $(STAMP) services
	@scripts/ensure-system-packages wrk
	$(BIN)/python tests/bench/throttle.py
	$(BIN)/python tests/bench/reports.py

## bench-gameapi: the game API under load (wrk against gunicorn gthread and daphne, moto then kinesalite): POST /v1/updatestatus and GET /v1/session
bench-gameapi: $(STAMP) services kinesalite
	@scripts/ensure-system-packages wrk
	$(BIN)/python tests/bench/gameapi.py

## bench-dashboards: put -> on screen in Chromium at 1,000 records/s, live and history callbacks, idle drain
bench-dashboards: $(STAMP) services system-packages
	$(BIN)/python tests/bench/dashboards.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(STAMP)
	$(BIN)/mypy alienportal scoreboard sessions reports support

clean:
	rm -rf $(VENV) var staticfiles bench-results $(OIDC_DIR)/node_modules $(KINESALITE_DIR)/node_modules
