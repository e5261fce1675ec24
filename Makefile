# Everyday commands. `make run` installs and starts the appliance; `make test` runs the suite.
VENV ?= .venv
PY := $(VENV)/bin/python
NURA := $(VENV)/bin/nura
PYTHON ?= python3
DATA_DIR ?= ./data

.PHONY: install install-app install-local install-test llama-wheel run serve init test test-fast lint format bench build clean settings-fields

# The appliance itself (SQLite, built-in embedder, OpenAI-compatible client): no compiler needed.
install-app: $(VENV)/.installed-app

$(VENV)/.installed-app: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

# llama-cpp-python compiles llama.cpp (~7 min). Its default build targets the compiling CPU
# (-march=native), and on Xeons with AMX that build crashes in its AMX matrix kernels (seen with
# 0.3.36: SIGSEGV in ggml_backend_amx_mul_mat on the first completion); such a build also cannot
# move to an older CPU inside the bundle. So on x86-64 we compile once for x86-64-v3 (AVX2/FMA,
# every server CPU since 2013) into a wheel kept outside the checkout, named by version and
# target: pip's own wheel cache ignores CMAKE_ARGS and would hand back a native build.
LLAMA_CPP_VERSION ?= 0.3.36
ifeq ($(shell uname -m),x86_64)
LLAMA_TARGET ?= x86-64-v3
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
else
LLAMA_TARGET ?= native
LLAMA_CMAKE_ARGS ?=
endif
LLAMA_WHEELS ?= $(HOME)/.cache/nura-appliance/wheels/llama-$(LLAMA_TARGET)
LLAMA_PIN := llama-cpp-python==$(LLAMA_CPP_VERSION)

# Build the wheel if this version/target has none yet, then install exactly it (replacing any
# other build of the same version, e.g. a native one from pip's cache).
llama-wheel: install-app
	ls $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl >/dev/null 2>&1 || \
	  CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip wheel -q --no-cache-dir --no-deps -w $(LLAMA_WHEELS) $(LLAMA_PIN)
	$(PY) -m pip install -q --no-deps --force-reinstall --no-index --find-links $(LLAMA_WHEELS) '$(LLAMA_PIN)'

# Everything the tests need: dev tools, llama.cpp (the wheel above), PostgreSQL/Redis clients.
install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml Makefile
	$(MAKE) llama-wheel
	$(PY) -m pip install -q -e '.[dev,local,scale]'
	touch $@ $(VENV)/.installed-app

# What `make test-fast` needs: the app, the test tools and the PostgreSQL/Redis clients; no
# llama.cpp build (the `local` extra) and no PyInstaller. A full `make install` venv has all of it.
install-test: $(VENV)/.installed-test

$(VENV)/.installed-test: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,scale]'
	touch $@ $(VENV)/.installed-app

# The in-process local LLM (llama-cpp-python) for offline generated answers.
install-local: llama-wheel
	$(PY) -m pip install -q -e '.[local]'

# Install, initialise the data dir on first run (prints the one-time admin password), serve.
run: install-app
	test -f $(DATA_DIR)/nura.db || $(NURA) init --data-dir $(DATA_DIR)
	$(NURA) serve --data-dir $(DATA_DIR)

serve: install-app
	$(NURA) serve --data-dir $(DATA_DIR)

init: install-app
	$(NURA) init --data-dir $(DATA_DIR)

# pytest exits 5 when it collected no tests: that is a failure here, never a green run. The 30
# longest tests are listed at the end and progress is counted in tests (the CI log shows where time
# went); pytest-timeout (pyproject.toml) fails a hung test instead of letting it eat the run.
# It runs under pytest-xdist like `make test-fast` (docs/DEVELOPING.md, "Test lanes"): TEST_WORKERS
# workers (two per core; `TEST_WORKERS=auto` for one per core, `TEST_WORKERS=0` for one process).
# XDIST_ORDER (both lanes): `--dist loadgroup` keeps the tests that share a module-scoped fixture
# (the PyInstaller bundle, the built wheel, a seeded server; tests/conftest.py marks them) on one
# worker, so it is built once per run, and `--no-loadscope-reorder` keeps the order tests/conftest.py
# sets (the long tests first, so none forms the tail of the run alone).
XDIST_ORDER := --dist loadgroup --no-loadscope-reorder
TEST_WORKERS ?= $(shell echo $$((2 * $$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1))))
test: install
	env -u PYTHONDONTWRITEBYTECODE $(PY) -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) $(XDIST_ORDER) -o console_output_style=count --durations=30 $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "no tests were collected: failing"; exit 1; fi; exit $$rc

# The everyday lane (docs/DEVELOPING.md, "Test lanes"): everything but Chromium, llama.cpp
# inference, the PyInstaller bundle and the long fault/fuzz/durability runs. `make test` stays the
# full suite (README, CI). Exit code 5 (nothing collected) fails here too.
# It runs three workers per core (pytest-xdist, `FAST_WORKERS=0` for one process) and lets Python keep the
# compiled, assertion-rewritten test modules (__pycache__/, ignored by git) even where the shell sets
# PYTHONDONTWRITEBYTECODE: rewriting ~120 test modules costs ~7 s CPU in each worker otherwise.
# No schemathesis pytest plugin (~0.3 s CPU per process to import): the only schemathesis test
# (tests/test_security_fuzz.py, `slow`) calls it as a library and is not in this lane.
FAST_MARKERS ?= not browser and not llm and not slow and not fault and not system
# Three workers per core: the others run while one waits for an fsync, PostgreSQL or a fake HTTP
# server (docs/DEVELOPING.md, "Test lanes"; quiet, 2 cores: 6 workers 2:40-3:13, 4 workers
# 2:49-3:25, 8 workers 2:59, docs/PERFORMANCE.md); `FAST_WORKERS=auto` for one per core.
FAST_WORKERS ?= $(shell echo $$((3 * $$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1))))
test-fast: install-test
	env -u PYTHONDONTWRITEBYTECODE $(PY) -m pytest -q -p no:cacheprovider -n $(FAST_WORKERS) $(XDIST_ORDER) -p no:schemathesis -m "$(FAST_MARKERS)" $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "no tests were collected: failing"; exit 1; fi; exit $$rc

lint: install
	$(VENV)/bin/ruff check nura_appliance tests
	$(VENV)/bin/ruff format --check nura_appliance tests
	$(VENV)/bin/mypy

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

# Regenerate the typed setting declarations (nura_appliance/settings_fields.py) from SETTINGS.
settings-fields: install-app
	$(PY) -c "from pathlib import Path; from nura_appliance import settings; Path('nura_appliance/settings_fields.py').write_text(settings.render_fields(), encoding='utf-8')"
