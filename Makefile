# Syllabus: the two commands of the quick start are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA_DIR ?= $(or $(SYLLABUS_DATA_DIR),var)
BIND ?= 127.0.0.1:8000
PYTEST_WORKERS ?= auto

.PHONY: run test lint typecheck security lint-migrations pytest bench bench-smoke bench-quiz clean help

help:
	@echo "make run    install, migrate, load demo data, start a worker and the server on http://$(BIND)"
	@echo "make test   install with dev extras, run ruff, mypy and the whole test suite"
	@echo "make lint   ruff check + ruff format --check"
	@echo "make security          bandit on the application code (offline)"
	@echo "make lint-migrations   django-migration-linter: every migration safe while the old release serves"
	@echo "make bench             the benchmark: demo --scale data, Locust users, results in bench/results/ (bench/README.md)"
	@echo "make bench-quiz        500 learners start one timed quiz within 10 s (issue #5), results in bench/results/"
	@echo "make bench-smoke       a minute of Locust users on a production-mode server (PostgreSQL + Redis)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	@mkdir -p $(DATA_DIR)
	@if [ -z "$$SYLLABUS_SECRET_KEY$$SYLLABUS_SECRET_KEY_FILE" ] && [ ! -s $(DATA_DIR)/secret_key ]; then \
		umask 077; $(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))' > $(DATA_DIR)/secret_key; \
		echo "Generated a secret key in $(DATA_DIR)/secret_key"; fi
	@if [ -z "$$SYLLABUS_FIELD_KEYS$$SYLLABUS_FIELD_KEYS_FILE" ] && [ ! -s $(DATA_DIR)/field_keys ]; then \
		umask 077; $(BIN)/python -c 'import base64, os; print("k1:" + base64.b64encode(os.urandom(32)).decode())' > $(DATA_DIR)/field_keys; \
		echo "Generated a field encryption key in $(DATA_DIR)/field_keys (back it up: encrypted data cannot be read without it)"; fi
	@if [ -z "$$SYLLABUS_BACKUP_KEY$$SYLLABUS_BACKUP_KEY_FILE" ] && [ ! -s $(DATA_DIR)/backup.key ]; then \
		umask 077; $(BIN)/python -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())' > $(DATA_DIR)/backup.key; \
		echo "Generated a backup encryption key in $(DATA_DIR)/backup.key (keep a copy away from the backups: they cannot be restored without it)"; fi
	@set -e; \
	if [ -z "$$SYLLABUS_SECRET_KEY$$SYLLABUS_SECRET_KEY_FILE" ]; then export SYLLABUS_SECRET_KEY_FILE=$(DATA_DIR)/secret_key; fi; \
	if [ -z "$$SYLLABUS_FIELD_KEYS$$SYLLABUS_FIELD_KEYS_FILE" ]; then export SYLLABUS_FIELD_KEYS_FILE=$(DATA_DIR)/field_keys; fi; \
	if [ -z "$$SYLLABUS_BACKUP_KEY$$SYLLABUS_BACKUP_KEY_FILE" ]; then export SYLLABUS_BACKUP_KEY_FILE=$(DATA_DIR)/backup.key; fi; \
	export SYLLABUS_DATA_DIR=$(DATA_DIR); \
	if [ -z "$$SYLLABUS_SITE_URL" ]; then \
		export SYLLABUS_SITE_URL="http://$$(echo '$(BIND)' | sed -e 's/^0\.0\.0\.0:/localhost:/' -e 's/^\[::\]:/localhost:/')/"; fi; \
	$(BIN)/syllabus migrate --noinput -v 0; \
	$(BIN)/syllabus demo; \
	$(BIN)/syllabus worker & worker=$$!; \
	: "set -e holds in the trap too: a worker that has already stopped must not fail it"; \
	trap 'kill $$worker 2>/dev/null || true; wait $$worker 2>/dev/null || true' EXIT INT TERM; \
	echo; echo "Syllabus is starting on http://$(BIND)  (Ctrl+C stops the server and the worker)"; echo; \
	$(BIN)/syllabus serve --bind $(BIND)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	SYLLABUS_DEBUG=true SYLLABUS_DATA_DIR=$(VENV)/typecheck-data $(BIN)/mypy

# bandit's "nosec encountered ... but no failed test" warnings repeat every line of a
# multi-line statement that carries a nosec comment: noise, filtered; the status is bandit's.
security: $(VENV)/.installed-dev
	@out=$$($(BIN)/bandit -c pyproject.toml -r syllabus -q 2>&1); status=$$?; \
	printf '%s\n' "$$out" | grep -v 'nosec encountered'; \
	if [ $$status -eq 0 ]; then echo "bandit: no issues"; fi; exit $$status

lint-migrations: $(VENV)/.installed-dev
	deploy/scripts/lint-migrations.sh

# Not a timing test: fails when a request of bench/locustfile.py's users fails (bench/README.md).
bench-smoke: $(VENV)/.installed-dev
	bench/smoke.sh

# The benchmark itself (BENCH_* variables, bench/run.sh); writes bench/results/<stamp>-<server>/.
bench: $(VENV)/.installed-dev
	bench/run.sh

# The quiz start (issue #5): 500 learners start one timed quiz within 10 s (bench/quiz.sh).
bench-quiz: $(VENV)/.installed-dev
	bench/quiz.sh

pytest: $(VENV)/.installed-dev
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder

test: lint typecheck security lint-migrations pytest

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
