# solidcheck — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: demo test lint typecheck unit bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamps re-install when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[test]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/solidcheck rulesets
	$(BIN)/solidcheck classify examples/*.yaml examples/*.json
	$(BIN)/solidcheck weight-loss examples/lab/oven-log-s1.csv
	$(BIN)/solidcheck weight-loss examples/lab/oven-log-short-hold-gbk.csv
	mkdir -p out
	$(BIN)/solidcheck dossier build examples/lab/cell-s1.yaml \
	    --oven-log examples/lab/oven-log-s1.csv --weighings examples/lab/weighings-s1.csv \
	    -o out/EX-LAB-S1.yaml
	$(BIN)/solidcheck classify out/EX-LAB-S1.yaml

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

unit: $(VENV)/.installed-test
	$(BIN)/pytest

test: lint typecheck unit

# Benchmarks print JSON and assert nothing; see bench/README.md.
bench: $(VENV)/.installed-test
	$(BIN)/python bench/oven_log.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
