# solidcheck — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: demo test lint typecheck unit bench clean system-deps

# Debian packages the tests use for real: the PDF renderer's fonts for Chinese, poppler
# (pdftotext/pdftoppm) to read PDFs back, Chromium and its driver for browser checks.
# Installed with apt-get only when missing (CI runs as root on a fresh machine).
DEBIAN_PACKAGES := poppler-utils chromium chromium-driver fonts-noto-cjk libpango-1.0-0 \
                   libpangoft2-1.0-0 libharfbuzz-subset0
system-deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	    echo "installing Debian packages:" $$missing; \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamps re-install when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[server]'
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
	$(BIN)/solidcheck audit examples/text/press-release-s8.md \
	    --evidence examples/semi-solid-marketed.yaml --format html -o out/audit-s8.html
	$(BIN)/solidcheck audit examples/text/press-release-s8.md \
	    --evidence examples/semi-solid-marketed.yaml --format json \
	    | $(BIN)/python -c "import json,sys; print(json.load(sys.stdin)['summary'])"

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

unit: $(VENV)/.installed-test system-deps
	$(BIN)/pytest

test: lint typecheck unit

# Benchmarks print JSON and assert nothing; see bench/README.md.
bench: $(VENV)/.installed-test
	$(BIN)/python bench/oven_log.py
	$(BIN)/python bench/audit.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
