# Rapport: `make run` starts the embedded mode with demo data; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format bench bench-desk bench-inbound bench-webhooks bench-recovery bench-listening bench-recommendations bench-clv clean-data help

help:
	@echo "make run    start Rapport with demo data on http://$(HOST):$(PORT)"
	@echo "make test   run the whole test suite (SQLite, then PostgreSQL when reachable)"
	@echo "make lint   ruff check + format check, migrations and OpenAPI up to date"
	@echo "make bench  seed 100,000 customers / 1,000,000 orders and measure (slow)"
	@echo "make bench-desk  seed 200,000 conversations / 2,000,000 messages and measure the desk (slow)"
	@echo "make bench-inbound  inbound email end to end over SMTP on SQLite, against the bare parse rate"
	@echo "make bench-webhooks  outbound webhook deliveries per second to a local receiver, on SQLite"
	@echo "make bench-recovery  approval-decision latency (empowerment policy and its queries) on SQLite"
	@echo "make bench-listening  sentiment and intent speed on one core, model memory, spikes over a year, scoring stored messages, the dashboard"
	@echo "make bench-clv  BG/NBD + Gamma-Gamma on CDNOW against lifetimes, and a fit on 1,000,000 synthetic customers"
	@echo "make bench-recommendations  item-to-item recommendations on UCI Online Retail against popularity and implicit (cosine, ALS), fit on 10M order lines, lookup p95"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Rapport needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.runtime

$(VENV)/.bench: requirements-bench.txt $(VENV)/.dev
	$(BIN)/pip install --quiet -r requirements-bench.txt
	@touch $@

run: $(VENV)/.runtime
	$(BIN)/python manage.py migrate --no-input -v0
	$(BIN)/python manage.py seed_demo --if-empty
	$(BIN)/python manage.py serve --host $(HOST) --port $(PORT)

test: $(VENV)/.dev
	@bash scripts/ensure-chromium.sh
	@bash scripts/test.sh

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python manage.py makemigrations --check --dry-run -v0
	$(BIN)/python manage.py export_openapi --check

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.dev
	$(BIN)/python bench/customers.py

# The small run first: its query counts, next to the large run's, show they do not grow with the data.
bench-desk: $(VENV)/.dev
	$(BIN)/python bench/desk.py --conversations 2000 --messages 20000
	$(BIN)/python bench/desk.py --conversations 200000 --messages 2000000

# Four SMTP connections, then sixteen (a sending MTA opens up to 20 to one destination).
bench-inbound: $(VENV)/.dev
	$(BIN)/python bench/inbound_email.py --messages 2000 --senders 4
	$(BIN)/python bench/inbound_email.py --messages 2000 --senders 16

bench-webhooks: $(VENV)/.dev
	$(BIN)/python bench/webhooks_outbound.py --events 2000 --workers 4

bench-recovery: $(VENV)/.dev
	$(BIN)/python bench/recovery_policy.py --decisions 5000

bench-listening: $(VENV)/.dev
	$(BIN)/python bench/listening.py --pipeline --dashboard --write-docs

bench-recommendations: $(VENV)/.bench
	$(BIN)/python bench/recommendations.py --write-docs

bench-clv: $(VENV)/.bench
	$(BIN)/python bench/clv.py --write-docs

clean-data:
	rm -rf data
