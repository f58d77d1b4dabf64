# Two commands for a newcomer: `make run` and `make test`. Both are idempotent.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install check-python migrate demo browsers ocr redis lint lint-imports format lock lock-check audit migrations-check ci clean

run: install
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=1 $(BIN)/python manage.py load_demo
	DJANGO_DEBUG=1 $(BIN)/python manage.py ensure_local_admin
	@echo "Serving http://$(HOST):$(PORT)/  (admin at http://$(HOST):$(PORT)/admin/)"
	DJANGO_DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install browsers ocr redis
	$(BIN)/lint-imports
	$(BIN)/pytest

install: $(STAMP)

check-python:
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 11) else "Python 3.11 or newer is required (found %d.%d): set PYTHON=/path/to/python3.11" % v[:2])'

$(BIN)/python: | check-python
	$(PYTHON) -m venv $(VENV)

# Exactly the locked versions, checked by hash (requirements/dev.txt holds the app's lock
# plus the development tools); verify_install.py then compares pip freeze with the lock.
$(STAMP): requirements/dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements/dev.txt
	$(BIN)/python deploy/verify_install.py requirements/dev.txt
	@touch $@

# The browser tests (tests/e2e) drive Debian's Chromium and need a CJK font to render the
# pages; apt-get runs only when one of them is missing, so this is quick the second time.
browsers:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	fc-list :lang=zh 2>/dev/null | grep -q . || missing="$$missing fonts-wqy-microhei"; \
	[ -z "$$missing" ] && exit 0; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "Please install$$missing (Chromium and a CJK font) for the browser tests." >&2; exit 1; \
	fi; \
	if [ "$$(id -u)" -eq 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; \
	else echo "Installing$$missing needs root: run 'make browsers' as root." >&2; exit 1; fi; \
	echo "Installing$$missing with apt-get"; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing

# Scanned letters are read by Tesseract with its simplified-Chinese data (Debian's packages);
# like `browsers`, apt-get runs only when one of them is missing.
ocr:
	@missing=""; \
	command -v tesseract >/dev/null 2>&1 || missing="$$missing tesseract-ocr"; \
	tesseract --list-langs 2>/dev/null | grep -qx chi_sim || missing="$$missing tesseract-ocr-chi-sim"; \
	[ -z "$$missing" ] && exit 0; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "Please install$$missing (Tesseract OCR with simplified Chinese) to read scanned letters." >&2; exit 1; \
	fi; \
	if [ "$$(id -u)" -eq 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; \
	else echo "Installing$$missing needs root: run 'make ocr' as root." >&2; exit 1; fi; \
	echo "Installing$$missing with apt-get"; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing

# The integration tests (tests/test_worker.py, tests/test_two_nodes.py, the shared cache's)
# start throwaway redis-server processes of their own; like `browsers`, apt-get runs only
# when it is missing. The app itself needs Redis only when REDIS_URL is set.
redis:
	@command -v redis-server >/dev/null 2>&1 && exit 0; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "Please install redis-server for the integration tests." >&2; exit 1; \
	fi; \
	if [ "$$(id -u)" -eq 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; \
	else echo "Installing redis-server needs root: run 'make redis' as root." >&2; exit 1; fi; \
	echo "Installing redis-server with apt-get"; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# The layer contract of docs/architecture.md (also run by make test).
lint-imports: install
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# requirements/app.txt (the app) and requirements/dev.txt (app + tools), from pyproject.toml.
lock: install
	BIN=$(BIN) sh deploy/lock.sh

# Fails when the lock files no longer match pyproject.toml (CI runs it).
lock-check: install
	BIN=$(BIN) sh deploy/lock.sh --check

# Known vulnerabilities in the locked app dependencies (PyPI's advisory data; CI runs it).
audit: install
	$(BIN)/python deploy/audit.py requirements/app.txt

migrations-check: install
	$(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache

# Benchmarks (PostgreSQL, 100k proposals in the tiantrack_bench database): see docs/performance.md.
.PHONY: bench bench-parse bench-ocr
bench: install
	$(BIN)/python bench/run.py all

bench-parse: install
	$(BIN)/python bench/run.py parse

# Traffic as users make it: every URL different per page kind, and the seeded Zipf mix,
# beside the bare view, with one progress update a second (bench/traffic.py).
.PHONY: bench-traffic
bench-traffic: install
	$(BIN)/python bench/run.py traffic

# What the JSON request log and the Prometheus middleware cost per request: CPU time in
# process, with and without them, alternating (bench/observability.py; no database needed).
.PHONY: bench-observability
bench-observability: install
	$(BIN)/python bench/observability.py

# Character error rate of OCR on every sample letter scanned with bench/ocr_recipe.py's
# fixed recipe (target ≤ 2%); a few minutes on two cores. Needs no database.
bench-ocr: install browsers ocr
	$(BIN)/python bench/ocr.py

# Two gunicorn nodes sharing PostgreSQL and Redis: a reply published or withdrawn through
# node A is what node B serves on its next request, conditional requests included
# (bench/two_nodes.py; tests/test_two_nodes.py runs the same checks in CI).
.PHONY: two-nodes
two-nodes: install
	$(BIN)/python bench/two_nodes.py

# --- Production hardening: a database crash under load, backup and restore ---------------
.PHONY: chaos backup restore

# gunicorn with production settings under the writes and reads users make, while the
# PostgreSQL server is killed (SIGKILL) and kept down for seconds, on a throwaway cluster
# of its own (initdb in a temporary folder, a spare port; never the shared cluster). Fails
# unless the outage was observed, users saw the 503 page and no acknowledged write was
# lost; see docs/reliability.md. Needs PostgreSQL's server binaries (CHAOS_PG_BIN,
# /usr/lib/postgresql/15/bin) and the sample letters.
#   make chaos                 the full run (about a minute and a half)
#   make chaos QUICK=1         the bounded run CI makes (tests/test_chaos.py)
#   make chaos NO_OUTAGE=1     the same load without the crash: must fail
chaos: install
	$(BIN)/python bench/chaos.py $(if $(QUICK),--quick) $(if $(NO_OUTAGE),--no-outage)

# Backups of the PostgreSQL database named by DATABASE_URL (pg_dump's custom format) and of
# the uploaded files; see "Backup and restore" in README.md. They hold every member's and
# clerk's personal data: umask 077 makes them readable by their owner only (mode 0600).
#   make backup                              -> backups/tiantrack-YYYYmmdd-HHMMSS.dump (+ -media.tar.gz)
#   make backup BACKUP=/path/file.dump
#   make restore BACKUP=backups/tiantrack-….dump   (into DATABASE_URL, fresh or not)
BACKUP_DIR ?= backups
MEDIA_DIR ?= $(or $(DJANGO_MEDIA_ROOT),media)

backup:
	@case "$$DATABASE_URL" in postgres://*|postgresql://*) ;; \
	  *) echo "make backup: set DATABASE_URL=postgres://user@host:5432/dbname" >&2; exit 1;; esac
	@set -eu; umask 077; \
	dump="$(BACKUP)"; \
	if [ -z "$$dump" ]; then mkdir -p "$(BACKUP_DIR)"; dump="$(BACKUP_DIR)/tiantrack-$$(date +%Y%m%d-%H%M%S).dump"; fi; \
	pg_dump --format=custom --no-owner --no-privileges --file="$$dump.partial" "$$DATABASE_URL"; \
	mv "$$dump.partial" "$$dump"; \
	if [ -d "$(MEDIA_DIR)" ]; then tar -czf "$${dump%.dump}-media.tar.gz" -C "$(MEDIA_DIR)" .; fi; \
	echo "Backup written: $$dump"

restore:
	@[ -n "$(BACKUP)" ] || { echo "usage: make restore BACKUP=backups/tiantrack-YYYYmmdd-HHMMSS.dump" >&2; exit 1; }
	@case "$$DATABASE_URL" in postgres://*|postgresql://*) ;; \
	  *) echo "make restore: set DATABASE_URL=postgres://user@host:5432/dbname" >&2; exit 1;; esac
	@set -eu; \
	pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction \
	  --dbname="$$DATABASE_URL" "$(BACKUP)"; \
	media="$$(echo "$(BACKUP)" | sed 's/\.dump$$//')-media.tar.gz"; \
	if [ -f "$$media" ]; then mkdir -p "$(MEDIA_DIR)"; tar -xzf "$$media" -C "$(MEDIA_DIR)"; fi; \
	echo "Restored $(BACKUP) into the database of DATABASE_URL"
