# The two set-up commands: `make run` and `make test`. Both install what is missing first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench emulator install clean

run: $(STAMP)  ## run the closed loop on the embedded defaults (emulator, DuckDB, SQLite)
	$(VENV)/bin/adops run

test: $(STAMP)  ## lint, then the whole test suite
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)  ## benchmarks that print ratios against a baseline or a peer
	$(PY) bench/emulator_speed.py
	$(PY) bench/airbyte_peer.py --quick
	$(PY) bench/client_throughput.py --quick
	$(PY) bench/refresh_stampede.py --quick
	$(PY) bench/chaos_writes.py --quick
	$(PY) bench/ingest.py --quick
	$(PY) bench/dbt_build.py --quick
	$(PY) bench/backtest.py --quick
	$(PY) bench/cycle.py --quick

emulator: $(STAMP)  ## the emulator on :8765 with the default scenario
	$(PY) -m tiktok_emulator --port 8765 --scenario default --seed 7

install: $(STAMP)

# Re-runs only when the pinned requirements or the project metadata change.
$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=26"
	$(PY) -m pip install --quiet --progress-bar off -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

clean:
	rm -rf var .pytest_cache .ruff_cache dbt/target dbt/logs
