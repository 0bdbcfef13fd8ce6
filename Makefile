# Mentor Match: `make run` starts the whole system, `make test` runs every test.
# Both create .venv with pip and install what they need (pinned versions).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip -q --disable-pip-version-check
CONSTRAINTS := requirements/constraints.txt
PACKAGES := -e shared -e ops -e services/profile -e 'services/matching[export]' -e services/messaging -e services/notifications -e services/web
STAMP := $(VENV)/.installed
COVERAGE_FLOOR := 88
SOURCES := ops/src shared/src services/profile/src services/matching/src services/messaging/src services/notifications/src services/web/src

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

$(STAMP): $(CONSTRAINTS) requirements/dev.txt shared/pyproject.toml ops/pyproject.toml services/*/pyproject.toml services/web/package-lock.json
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	@echo "Installing dependencies into $(VENV) (first time: a few minutes)..."
	$(PIP) install --progress-bar on -c $(CONSTRAINTS) torch==2.13.0
	$(PIP) install --progress-bar on -c $(CONSTRAINTS) -r requirements/dev.txt $(PACKAGES)
	npm ci --prefix services/web --no-audit --no-fund
	@# The matching model, exported once to int8 ONNX inside .venv (the serving
	@# process loads it without torch).
	$(BIN)/mentor-match export-model
	touch $(STAMP)

.PHONY: install
install: $(STAMP) ## Create .venv and install every package and tool

.PHONY: run
run: $(STAMP) ## Run the whole system on its embedded defaults (broker, stores, demo data)
	$(BIN)/mentor-match run

.PHONY: test
test: $(STAMP) ## Run every test (starts its own broker and SMTP server)
	@# The browser tests drive Debian's chromium (never a downloaded browser).
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium) \
		|| echo "chromium could not be installed: the browser tests will be skipped"
	@# The single API origin's tests run Debian's Caddy in front of the services.
	command -v caddy >/dev/null || (apt-get update -qq && apt-get install -y -qq caddy) \
		|| echo "caddy could not be installed: the real-proxy tests will be skipped"
	@# Coverage of the code run in this process (not in the services' own processes),
	@# with its floor: docs/architecture.md, "Tests".
	$(BIN)/python -m pytest -q -p no:cacheprovider --durations=25 \
		--cov --cov-report=term --cov-fail-under=$(COVERAGE_FLOOR)

.PHONY: test-unit
test-unit: $(STAMP) ## Run the unit tier: no broker, server, model, browser or Docker (< 1 min)
	@# The tier follows the fixtures each test uses (tests/tiers.py), not its folder.
	$(BIN)/python -m pytest -q -p no:cacheprovider -m unit

.PHONY: test-docker
test-docker: $(STAMP) ## Run only the tests that need Docker (Apache Kafka, MongoDB, compose)
	@# Each of them skips, with the reason, where no Docker engine answers.
	$(BIN)/python -m pytest -q -p no:cacheprovider -rs -m docker

.PHONY: lint
lint: $(STAMP) ## ruff (lint and format check) and mypy
	$(BIN)/ruff check ops shared services tests bench
	$(BIN)/ruff format --check ops shared services tests bench
	$(BIN)/mypy $(SOURCES)

.PHONY: format
format: $(STAMP) ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix ops shared services tests bench
	$(BIN)/ruff format ops shared services tests bench

.PHONY: docs
docs: $(STAMP) ## Generate docs/asyncapi.yaml, docs/openapi.json and the origin's proxy configs
	$(BIN)/python -m mentor_shared.events.asyncapi docs/asyncapi.yaml --snapshots tests/contracts/snapshots
	$(BIN)/python -m mentor_match_ops.origin
	$(BIN)/python -m mentor_match_ops.openapi_docs docs/openapi.json

.PHONY: bench
bench: $(STAMP) ## Run every benchmark and write bench/results/summary.json
	$(BIN)/python bench/run_all.py

.PHONY: broker
broker: $(STAMP) ## Start only the embedded Kafka-compatible broker (Ctrl-C stops it)
	$(BIN)/python -m mentor_shared.testing.broker

.PHONY: clean
clean: ## Remove the virtual environment and local data
	rm -rf $(VENV) .data
