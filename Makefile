# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCKED := $(VENV)/.locked
# Every package `make install` installs, at the versions every machine gets, with hashes.
LOCK := requirements/dev.lock
export FLASK_APP := wsgi.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install upgrade lock run test test-sqlite test-postgresql test-browser lint format bench clean

# The lock is installed as it is, without resolving anything again; then the project itself,
# built with the locked setuptools. `pip check` stops there when setup.cfg asks for a
# package the lock lacks (run `make lock`).
$(LOCKED): $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	touch $(LOCKED)

$(STAMP): $(LOCKED) setup.cfg pyproject.toml
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check || { echo "$(LOCK) does not satisfy setup.cfg: run make lock" >&2; exit 1; }
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the locked versions of the project's dependencies and development tools, then the project.

# pip-compile from setup.cfg (with the [dev] extra) and requirements/dev.in (the installers).
# It keeps the versions already in the lock unless told to upgrade.
COMPILE_LOCK = CUSTOM_COMPILE_COMMAND="make upgrade" $(BIN)/pip-compile --quiet --extra dev \
	--generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
	--output-file $(LOCK) setup.cfg requirements/dev.in

upgrade: $(LOCKED) ## Move the lock to the newest releases setup.cfg allows, and install them.
	$(COMPILE_LOCK) --upgrade
	$(MAKE) --no-print-directory install

lock: $(LOCKED) ## Add to the lock what setup.cfg newly asks for, keeping every other version.
	$(COMPILE_LOCK)
	$(MAKE) --no-print-directory install

run: install ## Migrate the SQLite database, seed the demo bank on first run, serve on :8000 with the SMS worker and scheduler.
	$(BIN)/flask db upgrade
	$(BIN)/flask demo seed --if-empty
	@echo "Serving on http://$(HOST):$(PORT)  (health: http://$(HOST):$(PORT)/healthz; Ctrl-C stops)"
	@echo "Also running: the SMS worker (flask sms worker) and the scheduler (flask schedule run)."
	@trap 'kill $$(jobs -p) 2>/dev/null' INT TERM EXIT; \
	$(BIN)/flask sms worker & \
	$(BIN)/flask schedule run & \
	$(BIN)/gunicorn --workers 2 --bind $(HOST):$(PORT) --limit-request-line 8190 --access-logfile - wsgi:app

# Tests run in parallel, one pytest-xdist worker per core of a 2-core machine (each worker
# has its own databases and browser); `make test TEST_WORKERS=0` runs them in one process.
TEST_WORKERS ?= 2
PARALLEL := -n $(TEST_WORKERS) --dist worksteal

test: install ## The whole suite on SQLite, then on PostgreSQL (required when CI=true).
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgresql ONLY_DATABASE_TESTS=--database-tests-only

# The browser tests run once, in the PostgreSQL pass (the production engine); every page's
# database work is also covered on SQLite by the functional tests. `make test-browser` runs
# them on both engines. Within `make test` the PostgreSQL pass also leaves out the tests
# that touch no database, which the SQLite pass has just run.
#
# The SQLite pass also measures which lines of timebank/ the tests run, prints the total and
# fails under the floor in setup.cfg ([coverage:report] fail_under), which only ever goes up.
# Afterwards `.venv/bin/coverage report` lists the lines no test runs. `make test TEST_COVERAGE=` leaves
# the measuring out.
TEST_COVERAGE ?= --cov --cov-report=
test-sqlite: install
	TIMEBANK_TEST_ENGINE=sqlite $(BIN)/pytest $(PARALLEL) $(TEST_COVERAGE) --ignore=tests/browser

test-postgresql: install
	TIMEBANK_TEST_ENGINE=postgresql $(BIN)/pytest $(PARALLEL) $(ONLY_DATABASE_TESTS)

test-browser: install ## Only the real-browser tests (headless Chromium), on SQLite then PostgreSQL.
	TIMEBANK_TEST_ENGINE=sqlite $(BIN)/pytest $(PARALLEL) tests/browser
	TIMEBANK_TEST_ENGINE=postgresql $(BIN)/pytest $(PARALLEL) tests/browser

lint: install ## ruff, mypy, and the import contracts (lint-imports: packages import only layers below).
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy timebank
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install ## Ledger posting path against pgbench tpcb-like, then the broker's matching and dormancy scan at full size, then a year's report page for 100,000 members and 5,000,000 transfers, then creating transfers over HTTP through gunicorn, then importing and exporting 10,000 members and 200,000 historic exchanges, on the local PostgreSQL.
	$(BIN)/python -m tests.perf.bench_ledger
	$(BIN)/python -m tests.perf.bench_broker
	$(BIN)/python -m tests.perf.bench_report
	$(BIN)/python -m tests.perf.bench_api
	$(BIN)/python -m tests.perf.bench_porting

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .mypy_cache .hypothesis test-output
