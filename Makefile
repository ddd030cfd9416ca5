# The same commands locally and in CI. `make run` serves; `make test` runs the whole suite on
# SQLite and then on PostgreSQL.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST := $(BIN)/pytest -q -p no:cacheprovider

.PHONY: run run-deps test test-sqlite test-postgresql check bench system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

# Tools the test suite calls from the system (curl, jq for the README examples; PostgreSQL's
# server binaries). Installed with apt when missing and we are root; otherwise named.
system-deps:
	@bash scripts/system-deps.sh

run: $(STAMP) run-deps
	$(BIN)/mediaobjects serve

# The service itself needs only ffmpeg from the system.
run-deps:
	@bash scripts/system-deps.sh --run

test: $(STAMP) system-deps
	$(PYTEST) --db=sqlite
	$(PYTEST) --db=postgresql

test-sqlite: $(STAMP)
	$(PYTEST) --db=sqlite

test-postgresql: $(STAMP)
	$(PYTEST) --db=postgresql

check: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/mypy src

bench: $(STAMP)
	@ls bench/*.py >/dev/null 2>&1 && for b in bench/*.py; do $(BIN)/python $$b || exit 1; done || echo "no benchmarks yet"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
