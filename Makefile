# solidcheck — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: demo demo-data test lint typecheck unit bench bench-live clean system-deps pdf-deps

# A made file whose recipe failed (or was interrupted) is removed, so the next `make demo`
# makes it again instead of taking a half-written file for done.
.DELETE_ON_ERROR:

# What WeasyPrint needs from Debian to print PDF reports (Pango, HarfBuzz's subsetter) and the
# CJK font for Chinese: `make demo` installs these (the `pdf` extra is in .installed).
PDF_DEBIAN_PACKAGES := fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
# Debian packages the tests use for real: the PDF renderer's above, poppler
# (pdftotext/pdftoppm) to read PDFs back, Chromium and its driver for browser checks,
# PostgreSQL for the registry tests (tests/conftest.py starts a private server from
# /usr/lib/postgresql/*/bin; the package creates the `postgres` account it runs as when the
# tests run as root, through util-linux's runuser).
DEBIAN_PACKAGES := poppler-utils chromium chromium-driver postgresql util-linux \
                   $(PDF_DEBIAN_PACKAGES)
# $(call apt_install,PACKAGES): apt-get install those of PACKAGES that are missing (CI runs as
# root on a fresh machine; elsewhere through sudo).
define apt_install
@missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
if [ -n "$$missing" ]; then \
    echo "installing Debian packages:" $$missing; \
    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
    $$SUDO apt-get update -qq && \
    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
fi
endef
system-deps:
	$(call apt_install,$(DEBIAN_PACKAGES))
pdf-deps:
	$(call apt_install,$(PDF_DEBIAN_PACKAGES))

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamps re-install when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[server,batch,charging,risk,pdf]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[test]'
	touch $@ $(VENV)/.installed

# The main job: the examples classified, a dossier built from lab files, a press release
# audited, a million synthetic dossiers classified under both rule sets (what changes), a
# synthetic charging network's service quality under every charging rule set with its open
# report (out/charging-report.html) and open data (out/charging-open-data/), which ports
# of a 12-week network will fail (out/charging-risk.html: the model against the baselines; the
# model in out/risk-model lists the live stations' ports at risk), then
# a registry on the embedded database (SQLite, in out/demo-registry) with the examples
# loaded, served on http://127.0.0.1:$(DEMO_PORT)/ (PDF reports included: the `pdf` extra and
# the Debian libraries it needs are installed). A lab key for the classify form is written to
# out/demo-lab.key (mode 0600). Ctrl-C stops the server.
# Each made file is a target with its inputs (the examples, the sources of its step): a second
# `make demo` makes again only what changed, then serves. The CLI reaches the demo's registry
# with SOLIDCHECK_DATA_DIR=out/demo-registry (README: "The demo's registry").
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
SOLIDCHECK := $(BIN)/solidcheck
# the inputs of each step: data files and the sources whose change changes what it makes
# (the installed environment is order-only: `make test` re-stamps it without changing them)
EXAMPLE_DOSSIERS := $(wildcard examples/*.yaml examples/*.json)
CORE_SOURCES     := $(wildcard src/solidcheck/*.py src/solidcheck/rulesets/*.toml \
                               src/solidcheck/i18n/*.toml)
BATCH_SOURCES    := $(CORE_SOURCES) $(shell find src/solidcheck/batch -name '*.py') \
                    src/solidcheck/report/batch.py
CHARGING_SOURCES := $(CORE_SOURCES) $(shell find src/solidcheck/charging -name '*.py' -o \
                                       -name '*.toml')
STAMPS := out/.demo
DEMO_FILES := out/lab/EX-LAB-S1.yaml out/audit-s8.html out/synthetic-1m-results.parquet \
              out/charging-report.html $(STAMPS)/charging-open-data out/charging-metrics-zh.txt \
              out/charging-risk.html out/risk-top-zh.txt out/demo-registry/loaded.stamp \
              out/demo-lab.key out/demo-stations.txt

demo-data: pdf-deps $(DEMO_FILES) | $(VENV)/.installed

demo: demo-data
	$(SOLIDCHECK) classify examples/*.yaml examples/*.json
	@cat out/charging-metrics-zh.txt out/risk-top-zh.txt
	@chmod 600 out/demo-lab.key  # a key file an older demo left readable by others
	@echo "API key for the classify form and the API written to out/demo-lab.key (mode 0600)"
	@echo "the CLI reaches this registry with SOLIDCHECK_DATA_DIR=out/demo-registry, e.g." \
	    "SOLIDCHECK_DATA_DIR=out/demo-registry $(SOLIDCHECK) registry verify"
	@$(DEMO_ENV) $(SOLIDCHECK) serve --port $(DEMO_PORT) & server=$$!; \
	trap 'kill $$server $$simulator 2>/dev/null; wait' EXIT INT TERM; \
	$(BIN)/python -c "$$DEMO_WAIT" $(DEMO_PORT) || exit 1; \
	echo "live monitoring of $(DEMO_STATIONS) simulated stations: http://127.0.0.1:$(DEMO_PORT)/charging"; \
	echo "(the simulator's output: out/demo-simulator.log; Ctrl-C stops both)"; \
	( seed=1; while :; do \
	    $(SOLIDCHECK) charging simulate --stations $(DEMO_STATIONS) \
	        --url ws://127.0.0.1:$(DEMO_PORT)/ocpp --password-file out/demo-stations.txt \
	        --faults all --seed $$seed --duration 1200 --speed 2 \
	        --report out/demo-simulator-report.json; \
	    seed=$$((seed + 1)); done ) > out/demo-simulator.log 2>&1 & simulator=$$!; \
	wait $$server

$(STAMPS):
	mkdir -p $@

out/lab/EX-LAB-S1.yaml: examples/lab/cell-s1.yaml examples/lab/oven-log-s1.csv \
                        examples/lab/weighings-s1.csv $(CORE_SOURCES) | $(STAMPS) $(VENV)/.installed
	mkdir -p out/lab
	cp examples/lab/oven-log-s1.csv examples/lab/weighings-s1.csv out/lab/
	$(SOLIDCHECK) dossier build examples/lab/cell-s1.yaml \
	    --oven-log out/lab/oven-log-s1.csv --weighings out/lab/weighings-s1.csv -o $@

out/audit-s8.html: examples/text/press-release-s8.md examples/semi-solid-marketed.yaml \
                   $(CORE_SOURCES) $(shell find src/solidcheck/claims -name '*.py' -o \
                                       -name '*.toml') | $(STAMPS) $(VENV)/.installed
	$(SOLIDCHECK) audit examples/text/press-release-s8.md \
	    --evidence examples/semi-solid-marketed.yaml --format html -o $@

out/synthetic-1m.parquet: $(BATCH_SOURCES) | $(STAMPS) $(VENV)/.installed
	$(SOLIDCHECK) synth 1M --seed 1 -o $@

out/synthetic-1m-results.parquet out/synthetic-1m-summary.svg &: out/synthetic-1m.parquet \
                                                                 $(BATCH_SOURCES)
	$(SOLIDCHECK) batch out/synthetic-1m.parquet -o out/synthetic-1m-results.parquet \
	    -r gbt-ssb-1-2026 -r csae-434-2025 --plot out/synthetic-1m-summary.svg

$(STAMPS)/charging-network: $(CHARGING_SOURCES) | $(STAMPS) $(VENV)/.installed
	rm -rf out/charging-network
	$(SOLIDCHECK) charging synth --stations 40 --days 14 --seed 1 -o out/charging-network
	touch $@

$(STAMPS)/charging-tables: $(STAMPS)/charging-network
	rm -rf out/charging-tables
	$(SOLIDCHECK) charging ingest out/charging-network/*.gz out/charging-network/*.csv \
	    -o out/charging-tables
	touch $@

out/charging-metrics.json: $(STAMPS)/charging-tables
	$(SOLIDCHECK) charging metrics out/charging-tables --format json -o $@

out/charging-metrics-zh.txt: $(STAMPS)/charging-tables
	$(SOLIDCHECK) charging metrics out/charging-tables --lang zh -o $@

out/charging-report.html: out/charging-metrics.json
	$(SOLIDCHECK) charging report out/charging-metrics.json --lang both -o $@

$(STAMPS)/charging-open-data: out/charging-metrics.json
	rm -rf out/charging-open-data
	$(SOLIDCHECK) charging report out/charging-metrics.json --tables out/charging-tables \
	    --to open-data -o out/charging-open-data
	touch $@

$(STAMPS)/risk-tables: $(CHARGING_SOURCES) | $(STAMPS) $(VENV)/.installed
	rm -rf out/risk-network out/risk-tables
	$(SOLIDCHECK) charging synth --stations 24 --days 84 --seed 3 --precursors -o out/risk-network
	$(SOLIDCHECK) charging ingest out/risk-network -o out/risk-tables
	touch $@

out/charging-risk.html: $(STAMPS)/risk-tables
	$(SOLIDCHECK) charging risk evaluate out/risk-tables --horizon 24h --format html -o $@

out/risk-model/card.json: $(STAMPS)/risk-tables
	rm -rf out/risk-model
	$(SOLIDCHECK) charging risk train out/risk-tables --horizon 24h -o out/risk-model

out/risk-top-zh.txt: out/risk-model/card.json
	$(SOLIDCHECK) charging risk score out/risk-model out/risk-tables --top 10 --lang zh -o $@

# A registry made anew (its file gone) invalidates the key and station passwords made for
# the old one: they are made again with it.
out/demo-registry/loaded.stamp: $(EXAMPLE_DOSSIERS) out/lab/EX-LAB-S1.yaml \
                                | $(STAMPS) $(VENV)/.installed
	test -e out/demo-registry/registry.sqlite3 || rm -f out/demo-lab.key out/demo-stations.txt
	$(DEMO_ENV) $(SOLIDCHECK) registry init
	$(DEMO_ENV) $(SOLIDCHECK) registry load $(EXAMPLE_DOSSIERS) out/lab/EX-LAB-S1.yaml
	$(DEMO_ENV) $(SOLIDCHECK) registry reclassify  # every rule set, also in a registry made before
	touch $@

out/demo-lab.key: | out/demo-registry/loaded.stamp
	$(DEMO_ENV) $(SOLIDCHECK) registry keys create --role lab --name "demo lab" -o $@

out/demo-stations.txt: | out/demo-registry/loaded.stamp
	@for n in $$(seq 1 $(DEMO_STATIONS)); do \
	    id=$$(printf 'SIM%05d' $$n); \
	    password=$$($(DEMO_ENV) $(SOLIDCHECK) charging stations add $$id \
	        --name "Demo station $$n" --station DEMO-SITE-$$(( (n + 3) / 4 )) | tail -n 1) \
	        || exit 1; \
	    echo "$$id $$password"; \
	done > out/demo-stations.tmp && chmod 600 out/demo-stations.tmp && \
	mv out/demo-stations.tmp $@

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
