# `make run` sets up everything and runs the app; `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test setup lint format bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)
	$(BIN)/python scripts/devenv.py

run: setup
	$(BIN)/python scripts/run_dev.py

test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

BENCHMARKS := mailer_throughput noisy_neighbour recovery many_tenants rate_limited_backlog deliverability_check api_send

bench: setup
	for name in $(BENCHMARKS); do $(BIN)/python "bench/$$name.py" || exit 1; done

clean:
	rm -rf $(VENV) var
