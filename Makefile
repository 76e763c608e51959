# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PORT ?= 8000
HOST ?= 127.0.0.1
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

export RURALEVAL_DATABASE_URL ?= sqlite:///ruraleval.db

.PHONY: run test lint bench clean assets replica

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

run: $(STAMP)
	$(BIN)/ruraleval demo
	$(BIN)/ruraleval serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check domain projections api pages ruraleval reports tests bench tools
	$(BIN)/ruff format --check domain projections api pages ruraleval reports tests bench tools
	$(BIN)/mypy

# The suite on $(TEST_WORKERS) pytest-xdist workers (CI has 2 cores); tests that must share a
# worker say so in tests/conftest.py. `make test TEST_WORKERS=0` runs it in this process.
# The schemathesis module runs on its own, without workers: in an xdist worker its tests are
# collected as one item each that calls no operation at all (a probe failing on one path passed).
TEST_WORKERS ?= 2
FUZZ_SCHEMA := tests/test_fuzz_openapi.py

test: lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --durations=25 --ignore=$(FUZZ_SCHEMA)
	$(BIN)/python -m pytest $(FUZZ_SCHEMA)

# The pages' browser libraries, rebuilt from the npm registry at the versions pinned in
# tools/assets.py (needs Node's npm). The files are committed: `make run` needs no Node.
assets:
	$(PYTHON) tools/assets.py

bench: $(STAMP)
	$(BIN)/python -m bench

# A streaming replica of the local PostgreSQL (127.0.0.1:5432) in a temporary directory, on a
# free port (bench/replica.py says what it checks and may add to pg_hba.conf). Stop it with
# `$(BIN)/python -m bench.replica stop <directory>`.
replica: $(STAMP)
	$(BIN)/python -m bench.replica start

clean:
	rm -rf $(VENV) ruraleval.db ruraleval.db-wal ruraleval.db-shm
