# Konvergensi: `make run` for a local portal with demo data, `make test` for the suite.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 8000
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install run demo reset-demo stack test lint e2e bench bench-load clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@PYTHON=$$(bin/find-python) || exit 1; \
	if [ ! -x $(PY) ]; then echo "creating $(VENV) with $$PYTHON"; $$PYTHON -m venv $(VENV) || exit 1; fi
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test,stack]"
	@touch $(STAMP)

# Embedded default: SQLite in var/, Celery tasks in-process, console email, no MFA enforcement.
# `make run PORT=8001` serves on another port.
run: demo
	@DEBUG=true MFA_REQUIRED=false CELERY_TASK_ALWAYS_EAGER=true SITE_URL=http://127.0.0.1:$(PORT) \
		$(PY) manage.py runserver 127.0.0.1:$(PORT)

# The database, the national region list and the demo accounts (each step skips what exists).
demo: install
	@DEBUG=true MFA_REQUIRED=false CELERY_TASK_ALWAYS_EAGER=true $(PY) manage.py migrate --noinput -v 0
	@DEBUG=true $(PY) manage.py import_regions --if-empty
	@echo "--- demo logins (http://127.0.0.1:$(PORT)/accounts/login/) ---"
	@# warnings only: the in-process jobs' log lines would split the printed logins
	@DEBUG=true LOG_LEVEL=WARNING $(PY) manage.py seed_demo

# Start the demo again from nothing: removes var/ (the SQLite database and uploaded files) and
# seeds anew. Refuses when DATABASE_URL points elsewhere, which this would not reset.
reset-demo:
	@if [ -n "$$DATABASE_URL" ]; then echo "reset-demo resets the SQLite demo in var/; unset DATABASE_URL" >&2; exit 1; fi
	rm -rf var
	@$(MAKE) --no-print-directory demo PORT=$(PORT)

# The production-like stack without Docker (bin/stack, Procfile): gunicorn on 127.0.0.1:$(PORT),
# a worker for `celery`, one for `pdf`, one beat, on DATABASE_URL and REDIS_URL (loopback
# defaults), DEBUG=false; migrates and collects static files first. Ctrl-C stops it.
stack: install
	@PORT=$(PORT) bin/stack

# SQLite by default; PostgreSQL when DATABASE_URL is set. Tests that need PostgreSQL, Redis
# or Chromium skip with their reason when those are absent (.ci/run provides all three).
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	DEBUG=true $(PY) manage.py makemigrations --check --dry-run

bench: install
	$(PY) bench/import_regions.py
	$(PY) bench/board.py
	$(PY) bench/villages.py
	$(PY) bench/commitments.py
	$(PY) bench/spreadsheet.py
	$(PY) bench/seal.py
	$(PY) bench/village_documents.py

# The load test (bench/load.py): gunicorn on 127.0.0.1:8105 over DATABASE_URL (PostgreSQL, built
# by bench/load_data.py or generate_dataset), 20 users; prints a markdown table.
bench-load: install
	$(PY) -m pip install -q -e ".[bench]"
	@if [ -z "$$DATABASE_URL" ]; then echo "set DATABASE_URL (see bench/load.py)" >&2; exit 1; fi
	$(PY) bench/load.py $(BENCH_ARGS)

# Backups (documents/backup.py; README "Backup and restore"): the database of DATABASE_URL
# (pg_dump, custom format) and the stored files (MEDIA_ROOT, SEAL_DIR) into a new dated
# directory under BACKUP_DIR (var/backups). `make backup BACKUP_ARGS="--keep 14"`. Neither
# target installs anything (a cron job must not run pip): they need `make install` done.
.PHONY: backup restore
backup:
	$(PY) manage.py backup $(BACKUP_ARGS)

# `make restore FROM=var/backups/konvergensi-20261206T010000Z` into the EMPTY database of
# DATABASE_URL and an empty MEDIA_ROOT (RESTORE_ARGS=--force replaces what is there).
restore:
	@if [ -z "$(FROM)" ]; then echo "make restore FROM=<backup directory> (see README, Backup and restore)" >&2; exit 1; fi
	$(PY) manage.py restore "$(FROM)" $(RESTORE_ARGS)

clean:
	rm -rf $(VENV) var staticfiles
