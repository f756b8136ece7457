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
	$(PIP) install -e '.[server,batch,charging,risk]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[test]'
	touch $@ $(VENV)/.installed

# The main job: the examples classified, a dossier built from lab files, a press release
# audited, a million synthetic dossiers classified under both rule sets (what changes), a
# synthetic charging network's service quality under every charging rule set with its open
# report (out/charging-report.html) and open data (out/charging-open-data/), which ports
# of a 12-week network will fail (out/charging-risk.html: the model against the baselines; the
# model in out/risk-model, made once, lists the live stations' ports at risk), then
# a registry on the embedded database (SQLite, in out/demo-registry) with the examples
# loaded, served on http://127.0.0.1:$(DEMO_PORT)/. A lab key for the classify form is
# written to out/demo-lab.key. Ctrl-C stops the server; `make demo` again reuses the data.
DEMO_PORT ?= 8000
# the live part: this many simulated stations on the server's OCPP endpoint, a fault of every
# kind injected each round of 20 simulated minutes (10 real ones), round after round
DEMO_STATIONS ?= 8
define DEMO_WAIT
import sys, time, urllib.request
deadline = time.monotonic() + 60
while True:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=2)
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit("the server did not start: see its output above")
        time.sleep(0.2)
endef
export DEMO_WAIT
DEMO_ENV  := SOLIDCHECK_DATA_DIR=$(CURDIR)/out/demo-registry \
             SOLIDCHECK_RISK_MODEL=$(CURDIR)/out/risk-model
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
	test -s out/risk-model/card.json || { \
	  $(BIN)/solidcheck charging synth --stations 24 --days 84 --seed 3 --precursors \
	      -o out/risk-network && \
	  $(BIN)/solidcheck charging ingest out/risk-network -o out/risk-tables && \
	  $(BIN)/solidcheck charging risk evaluate out/risk-tables --horizon 24h --format html \
	      -o out/charging-risk.html && \
	  $(BIN)/solidcheck charging risk train out/risk-tables --horizon 24h -o out/risk-model; }
	$(BIN)/solidcheck charging risk score out/risk-model out/risk-tables --top 10 --lang zh
	$(DEMO_ENV) $(BIN)/solidcheck registry init
	$(DEMO_ENV) $(BIN)/solidcheck registry load examples/*.yaml examples/*.json out/lab/EX-LAB-S1.yaml
	$(DEMO_ENV) $(BIN)/solidcheck registry reclassify  # every rule set, also in a registry made before
	@test -s out/demo-lab.key || $(DEMO_ENV) $(BIN)/solidcheck registry keys create --role lab \
	    --name "demo lab" > out/demo-lab.key
	@echo "a lab API key for the classify form and the API: out/demo-lab.key"
	@test -s out/demo-stations.txt || { for n in $$(seq 1 $(DEMO_STATIONS)); do \
	    id=$$(printf 'SIM%05d' $$n); \
	    password=$$($(DEMO_ENV) $(BIN)/solidcheck charging stations add $$id \
	        --name "Demo station $$n" --station DEMO-SITE-$$(( (n + 3) / 4 )) | tail -n 1) \
	        || exit 1; \
	    echo "$$id $$password"; \
	done > out/demo-stations.tmp && mv out/demo-stations.tmp out/demo-stations.txt; }
	@$(DEMO_ENV) $(BIN)/solidcheck serve --port $(DEMO_PORT) & server=$$!; \
	trap 'kill $$server $$simulator 2>/dev/null; wait' EXIT INT TERM; \
	$(BIN)/python -c "$$DEMO_WAIT" $(DEMO_PORT) || exit 1; \
	echo "live monitoring of $(DEMO_STATIONS) simulated stations: http://127.0.0.1:$(DEMO_PORT)/charging"; \
	echo "(the simulator's output: out/demo-simulator.log; Ctrl-C stops both)"; \
	( seed=1; while :; do \
	    $(BIN)/solidcheck charging simulate --stations $(DEMO_STATIONS) \
	        --url ws://127.0.0.1:$(DEMO_PORT)/ocpp --password-file out/demo-stations.txt \
	        --faults all --seed $$seed --duration 1200 --speed 2 \
	        --report out/demo-simulator-report.json; \
	    seed=$$((seed + 1)); done ) > out/demo-simulator.log 2>&1 & simulator=$$!; \
	wait $$server

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
	$(BIN)/python bench/charging_risk.py --copies 9
	$(BIN)/python bench/charging_risk_scale.py

# The live side under load (issue 17 item 7): 2,000 simulated stations for 20 minutes against
# `solidcheck serve`, then a bare websockets echo server as the ceiling; ~25 minutes.
bench-live: $(VENV)/.installed-test
	$(BIN)/python bench/charging_live.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
