# solidcheck — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: demo test lint typecheck unit bench bench-live clean system-deps

# Debian packages the tests use for real: the PDF renderer's fonts for Chinese, poppler
# (pdftotext/pdftoppm) to read PDFs back, Chromium and its driver for browser checks,
# PostgreSQL for the registry tests (tests/conftest.py starts a private server from
# /usr/lib/postgresql/*/bin; the package creates the `postgres` account it runs as when the
# tests run as root, through util-linux's runuser).
# Installed with apt-get only when missing (CI runs as root on a fresh machine).
DEBIAN_PACKAGES := poppler-utils chromium chromium-driver fonts-noto-cjk libpango-1.0-0 \
                   libpangoft2-1.0-0 libharfbuzz-subset0 postgresql util-linux
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
	$(PIP) install -e '.[server,batch,charging]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[test]'
	touch $@ $(VENV)/.installed

# The main job: the examples classified, a dossier built from lab files, a press release
# audited, a million synthetic dossiers classified under both rule sets (what changes), a
# synthetic charging network's service quality under every charging rule set with its open
# report (out/charging-report.html) and open data (out/charging-open-data/), then
# a registry on the embedded database (SQLite, in out/demo-registry) with the examples
# loaded, served on http://127.0.0.1:$(DEMO_PORT)/. A lab key for the classify form is
# written to out/demo-lab.key. Ctrl-C stops the server; `make demo` again reuses the data.
DEMO_PORT ?= 8000
DEMO_ENV  := SOLIDCHECK_DATA_DIR=$(CURDIR)/out/demo-registry
demo: $(VENV)/.installed
	$(BIN)/solidcheck classify examples/*.yaml examples/*.json
	mkdir -p out/lab
	cp examples/lab/oven-log-s1.csv examples/lab/weighings-s1.csv out/lab/
	$(BIN)/solidcheck dossier build examples/lab/cell-s1.yaml \
	    --oven-log out/lab/oven-log-s1.csv --weighings out/lab/weighings-s1.csv \
	    -o out/lab/EX-LAB-S1.yaml
	$(BIN)/solidcheck audit examples/text/press-release-s8.md \
	    --evidence examples/semi-solid-marketed.yaml --format html -o out/audit-s8.html
	$(BIN)/solidcheck synth 1M --seed 1 -o out/synthetic-1m.parquet
	$(BIN)/solidcheck batch out/synthetic-1m.parquet -o out/synthetic-1m-results.parquet \
	    -r gbt-ssb-1-2026 -r csae-434-2025 --plot out/synthetic-1m-summary.svg
	$(BIN)/solidcheck charging synth --stations 40 --days 14 --seed 1 -o out/charging-network
	$(BIN)/solidcheck charging ingest out/charging-network/*.gz out/charging-network/*.csv \
	    -o out/charging-tables
	$(BIN)/solidcheck charging metrics out/charging-tables --format json \
	    -o out/charging-metrics.json
	$(BIN)/solidcheck charging metrics out/charging-tables --lang zh
	$(BIN)/solidcheck charging report out/charging-metrics.json --lang both \
	    -o out/charging-report.html
	$(BIN)/solidcheck charging report out/charging-metrics.json --tables out/charging-tables \
	    --to open-data -o out/charging-open-data
	$(DEMO_ENV) $(BIN)/solidcheck registry init
	$(DEMO_ENV) $(BIN)/solidcheck registry load examples/*.yaml examples/*.json out/lab/EX-LAB-S1.yaml
	@test -s out/demo-lab.key || $(DEMO_ENV) $(BIN)/solidcheck registry keys create --role lab \
	    --name "demo lab" > out/demo-lab.key
	@echo "a lab API key for the classify form and the API: out/demo-lab.key"
	$(DEMO_ENV) $(BIN)/solidcheck serve --port $(DEMO_PORT)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

unit: $(VENV)/.installed-test system-deps
	$(BIN)/pytest

test: lint typecheck unit

# Benchmarks print JSON and assert nothing; see bench/README.md.
# bench/api.py drives the server with Debian's wrk (a compiled load generator), installed
# with apt-get when missing, as system-deps does.
bench: $(VENV)/.installed-test
	@dpkg -s wrk >/dev/null 2>&1 || { \
	    echo "installing Debian packages: wrk"; \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends wrk >/dev/null; }
	$(BIN)/python bench/oven_log.py
	$(BIN)/python bench/audit.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/batch.py
	$(BIN)/python bench/cli_start.py
	$(BIN)/python bench/charging.py

# The live side under load (issue 17 item 7): 2,000 simulated stations for 20 minutes against
# `solidcheck serve`, then a bare websockets echo server as the ceiling; ~25 minutes.
bench-live: $(VENV)/.installed-test
	$(BIN)/python bench/charging_live.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
