# Developer commands. Each target says what it does; all use the project's own .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup dev test test-fast lint format bench bundle clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The runtime only: what a user needs to classify photos.
setup: $(BIN)/python
	$(BIN)/pip install --quiet .

# Everything: runtime, desktop, trainer, quantize, packaging and test tools (torch is the
# CPU build pinned in the extras).
dev: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"

# The whole suite (what CI runs), with the 15 slowest tests listed at the end.
test: dev
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest --durations=15

# A quick check while working: runtime, CLI, desktop and config tests, without those marked slow.
FAST_TESTS := tests/runtime tests/cli tests/desktop tests/organize tests/docs tests/trainer/test_config.py
test-fast: dev
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -m "not slow" --durations=15 $(FAST_TESTS)

lint: dev
	$(BIN)/ruff check src tests bench packaging recipes
	$(BIN)/ruff format --check src tests bench packaging recipes
	$(BIN)/lint-imports
	$(BIN)/python -m mypy
	$(BIN)/vulture src vulture_whitelist.py --min-confidence 60

format:
	$(BIN)/ruff format src tests bench packaging recipes
	$(BIN)/ruff check --fix src tests bench packaging recipes

bench: dev
	$(BIN)/python bench/classify_folder.py
	$(BIN)/python bench/quantize_speed.py
	$(BIN)/python bench/serve_load.py

bundle: dev
	$(BIN)/python packaging/build_bundle.py

clean:
	rm -rf build dist .pytest_cache .ruff_cache
