# Konvergensi: `make run` for a local portal with demo data, `make test` for the suite.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install run test lint e2e bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@PYTHON=$$(bin/find-python) || exit 1; \
	if [ ! -x $(PY) ]; then echo "creating $(VENV) with $$PYTHON"; $$PYTHON -m venv $(VENV) || exit 1; fi
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	@touch $(STAMP)

# Embedded default: SQLite in var/, Celery tasks in-process, console email, no MFA enforcement.
run: install
	@DEBUG=true MFA_REQUIRED=false CELERY_TASK_ALWAYS_EAGER=true $(PY) manage.py migrate --noinput -v 0
	@DEBUG=true $(PY) manage.py import_regions --if-empty
	@echo "--- demo logins (http://127.0.0.1:8000/accounts/login/) ---"
	@DEBUG=true $(PY) manage.py seed_demo
	@DEBUG=true MFA_REQUIRED=false CELERY_TASK_ALWAYS_EAGER=true $(PY) manage.py runserver 127.0.0.1:8000

# SQLite by default; PostgreSQL when DATABASE_URL is set. Tests that need PostgreSQL, Redis
# or Chromium skip with their reason when those are absent (.ci/run provides all three).
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	DEBUG=true $(PY) manage.py makemigrations --check --dry-run

bench: install
	$(PY) bench/import_regions.py
	$(PY) bench/board.py
	$(PY) bench/villages.py
	$(PY) bench/commitments.py

clean:
	rm -rf $(VENV) var staticfiles
