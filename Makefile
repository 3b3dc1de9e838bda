# Two commands, nothing needed but Python ≥ 3.11 and make:
#   make demo   set up, then run `pipeline merge` on the sample inbox
#   make test   set up, then run ruff, mypy and the whole pytest suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench template inbox samples clean

# The package's own files: the install is redone when any of them changes.
SOURCES := $(shell find pipeline schemas -type f \( -name '*.py' -o -name '*.json' -o -name 'py.typed' \) 2>/dev/null)

# A regular install (not editable), as users get it: `pipeline` in the venv is the package built from the
# sources, with the schema inside it. The tests import the repository's own package (tests/conftest.py).
$(STAMP): pyproject.toml $(SOURCES)
	test -x $(BIN)/python || { $(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install --quiet --upgrade pip; }
	$(BIN)/python -m pip install --quiet '.[test]'
	rm -rf build  # setuptools' in-tree build folder
	$(BIN)/python -m compileall -q pipeline  # bytecode now: some shells set PYTHONDONTWRITEBYTECODE
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/pipeline merge --divisions inbox/所属名簿.csv

lint: $(STAMP)
	$(BIN)/ruff check pipeline tests benchmarks scripts
	$(BIN)/ruff format --check pipeline tests benchmarks scripts
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_merge.py --n 1000

template: $(STAMP)
	$(BIN)/pipeline template

inbox: $(STAMP)
	$(BIN)/python scripts/make_sample_inbox.py

samples: $(STAMP)
	$(BIN)/python scripts/make_history_sample.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
