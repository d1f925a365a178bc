# csrgen: two commands on a fresh machine: `make report` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SEED   := report/ucmsc-dlc.toml
PILOT  := report/cdiscpilot01.toml
ADMIRAL := report/pharmaverseadam.toml
# The synthetic seed database was locked on this date (kept fixed so `make data` is reproducible).
SEED_LOCK_DATE := 2026-11-24
# `make bench BENCH_ARGS="--only admiral,pilot --runs 3"`: options of bench/bench.py
BENCH_ARGS ?=

.PHONY: report pilot admiral test data lock bench lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

report: $(STAMP)  ## the seed study's CSR into build/ucmsc-dlc/
	$(BIN)/csrgen report $(SEED)

pilot: $(STAMP)  ## the CDISC pilot's CSR into build/cdiscpilot01/
	$(BIN)/csrgen report $(PILOT)

admiral: $(STAMP)  ## the CSR of the study made with admiral into build/pharmaverseadam/
	$(BIN)/csrgen report $(ADMIRAL)

test: $(STAMP)  ## the whole suite
	$(BIN)/python -m pytest

data: $(STAMP)  ## regenerate the committed synthetic data and their lock
	$(BIN)/csrgen simulate --out data/ucmsc-dlc
	$(BIN)/python -c "from csrgen.simulate.readme import write_data_readme; write_data_readme('data/ucmsc-dlc')"
	$(BIN)/csrgen lock $(SEED) --date $(SEED_LOCK_DATE)

bench: $(STAMP)  ## timings against issue 14's targets; parts: make bench BENCH_ARGS="--only peer"
	$(BIN)/python bench/bench.py $(BENCH_ARGS)

lint: $(STAMP)  ## ruff: lint and formatting
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools

clean:
	rm -rf build .pytest_cache
