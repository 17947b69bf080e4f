# Developer commands. Each target says what it does; all use the project's own .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup dev test test-fast lint format bench bundle bundle-windows check-windows clean

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
	$(BIN)/actionlint .github/workflows/*.yml

format:
	$(BIN)/ruff format src tests bench packaging recipes
	$(BIN)/ruff check --fix src tests bench packaging recipes

bench: dev
	$(BIN)/python bench/classify_folder.py
	$(BIN)/python bench/quantize_speed.py
	$(BIN)/python bench/serve_load.py

bundle: dev
	$(BIN)/python packaging/build_bundle.py

# The Windows bundle and installer, built on Linux with the Windows CPython under Wine
# (docs/bundle.md): dist/windows/edgeclass/ and dist/windows/edgeclass-setup.exe. Installs its
# Debian packages when run as root; downloads are cached in build/windows/cache.
bundle-windows: dev
	bash packaging/windows/install_build_deps.sh
	$(BIN)/python packaging/windows/build_windows.py

# Build it, then check it under Wine: the CLI against this machine's, the desktop self-test, the
# installer and uninstaller, and the Windows-side tests of tests/packaging.
SHARED_PHOTOS ?= ../shared/data/catsdogs/test
check-windows: bundle-windows
	$(BIN)/python packaging/windows/smoke_windows.py --photos $(SHARED_PHOTOS)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest tests/packaging -q

clean:
	rm -rf build dist .pytest_cache .ruff_cache
