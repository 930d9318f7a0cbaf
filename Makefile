# Two commands for a new user: `make demo` and `make test`. Each creates .venv when missing.
# `make demo` installs only what the headless demo imports (scripts/demo_venv.py: a first
# frame within a minute of a fresh clone); `make test` installs the project with its dev tools.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.demo-installed
PYTEST_ARGS ?= -n 2 --dist loadfile

.PHONY: setup demo test bench lint errors-doc clean fuzz

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip --upgrade --default-pip
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]' --config-settings editable_mode=compat
	touch $(STAMP)

$(DEMO_STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	test -f $(STAMP) || $(PYTHON) scripts/demo_venv.py $(VENV)
	touch $(DEMO_STAMP)

setup: $(STAMP)

demo: $(DEMO_STAMP)
	$(PY) -m apps.headless play

test: setup
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(PYTEST_ARGS)

# Every parser of untrusted bytes under atheris (coverage-guided), FUZZ_SECONDS each;
# findings land in tests/fuzz/corpus/<target>/crash-* and then run in `make test`.
FUZZ_SECONDS ?= 60
fuzz: setup
	$(PY) -m tests.fuzz --seconds $(FUZZ_SECONDS) $(FUZZ_TARGETS)

bench: setup
	$(PY) -m benchmarks

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

errors-doc: setup
	$(PY) -m mediacore.errordoc

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis benchmarks/results.json
