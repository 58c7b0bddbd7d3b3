# The portal's make targets. Only Python 3.11 is needed on the machine.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
ARGS ?=
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Embedded default: SQLite + file-system broker; web, worker and beat together.
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo ""
	@echo "  Portal:      http://127.0.0.1:$(PORT)/   (back-office /staff/, admin /admin/)"
	@echo "  Logins:      customer@example.com, agent@example.com, admin@example.com"
	@echo "               (also supervisor@example.com), password portal-demo (demo seed only)"
	@echo "  Mails:       written to var/mail/"
	@echo "  Stop:        Ctrl-C stops web, worker and beat"
	@echo ""
	@trap 'kill 0' INT TERM EXIT; \
	DEBUG=$${DEBUG:-true} $(BIN)/celery -A portal worker --loglevel=INFO --concurrency=2 --pool=threads & \
	DEBUG=$${DEBUG:-true} $(BIN)/celery -A portal beat --loglevel=INFO & \
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py runserver 127.0.0.1:$(PORT) & \
	wait

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# pytest runs on TEST_WORKERS processes (pytest-xdist), each with a test database
# of its own; TEST_WORKERS=0 (or ARGS="-n 0 ...") runs it in this process.
TEST_WORKERS ?= 4
test: install lint
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal $(ARGS)

bench: install
	$(BIN)/python manage.py bench $(ARGS)

# Refresh the German translations (needs GNU gettext); the .mo files are committed.
messages: install
	$(BIN)/python manage.py makemessages -l de --ignore='.venv/*' --ignore='var/*'
	$(BIN)/python manage.py compilemessages --ignore='.venv/*'

clean:
	rm -rf $(VENV) var
