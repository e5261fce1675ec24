# Everyday commands. `make run` installs and starts the appliance; `make test` runs the suite.
VENV ?= .venv
PY := $(VENV)/bin/python
NURA := $(VENV)/bin/nura
PYTHON ?= python3
DATA_DIR ?= ./data

.PHONY: install install-app install-local run serve init test lint format bench build clean

# The appliance itself (SQLite, built-in embedder, OpenAI-compatible client): no compiler needed.
install-app: $(VENV)/.installed-app

$(VENV)/.installed-app: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

# Everything the tests need: dev tools, llama.cpp (compiled once, ~7 min; pip caches the wheel),
# PostgreSQL/Redis clients.
install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,local,scale]'
	touch $@ $(VENV)/.installed-app

# The in-process local LLM (llama-cpp-python) for offline generated answers.
install-local: install-app
	$(PY) -m pip install -q -e '.[local]'

# Install, initialise the data dir on first run (prints the one-time admin password), serve.
run: install-app
	test -f $(DATA_DIR)/nura.db || $(NURA) init --data-dir $(DATA_DIR)
	$(NURA) serve --data-dir $(DATA_DIR)

serve: install-app
	$(NURA) serve --data-dir $(DATA_DIR)

init: install-app
	$(NURA) init --data-dir $(DATA_DIR)

# pytest exits 5 when it collected no tests: that is a failure here, never a green run.
test: install
	$(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "no tests were collected: failing"; exit 1; fi; exit $$rc

lint: install
	$(VENV)/bin/ruff check nura_appliance tests
	$(VENV)/bin/ruff format --check nura_appliance tests

format: install
	$(VENV)/bin/ruff format nura_appliance tests
	$(VENV)/bin/ruff check --fix nura_appliance tests

bench: install
	$(PY) tests/bench/run_all.py

build: install
	$(PY) -m pip install -q pyinstaller
	$(VENV)/bin/pyinstaller --noconfirm nura.spec

clean:
	rm -rf build dist .pytest_cache
