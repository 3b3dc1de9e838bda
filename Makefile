# Two commands, nothing needed but Python ≥ 3.11 and make:
#   make demo   set up, then run `pipeline merge` on the sample inbox
#   make test   set up, then run ruff, mypy and the whole pytest suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench template inbox samples clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
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
