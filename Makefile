# Attrib — the two commands of the quick start, and the chores around them.
#   make demo   set up everything, start the local stack, send a demo data set, print its reports
#   make test   set up everything, start Kafka + ClickHouse endpoint, run all tests
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo up down status test unit lint helm-check bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/attrib local up
	$(BIN)/attrib demo

up: install
	$(BIN)/attrib local up

down: install
	$(BIN)/attrib local down

status: install
	$(BIN)/attrib local status

# The tests need the broker and the ClickHouse endpoint; `up --only` leaves the
# platform's own processes out (tests start the ones they need).
test: install
	$(BIN)/attrib local up --only kafka,clickhouse
	$(BIN)/ruff check .
	$(BIN)/pytest -q

unit: install
	$(BIN)/pytest -q -m "not integration"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .attrib build *.egg-info
