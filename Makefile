# Two commands for a newcomer: `make demo` and `make test`. Everything else bootstraps itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
UV_VERSION := 0.13.9
SYNCED := $(VENV)/.synced
ASSETS := frontend/node_modules/.installed
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))

# Simulated seconds per real second of the demo's twin, `make demo SPEED=120` (default: the
# command's own, 60).
SPEED ?=
# TCP port the demo serves on, `make demo PORT=8001` (default: the command's own, 8000).
PORT ?=

.PHONY: setup assets demo test lint typecheck bench clean

setup: $(SYNCED) $(ASSETS)

# The web UI's browser libraries come from the npm registry, pinned by the lock file, and are
# served by the app itself: no CDN, so the big screen works on a border post with no internet.
assets: $(ASSETS)

$(ASSETS): frontend/package.json frontend/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm (Node.js 18+) is required to install the web UI's libraries (frontend/package-lock.json)" >&2; exit 1; }
	cd frontend && npm ci --ignore-scripts --no-audit --no-fund
	@touch $(ASSETS)

$(UV):
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(SYNCED): $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --inexact --compile-bytecode --python $(BIN)/python
	@touch $(SYNCED)

demo: setup
	$(BIN)/landport demo --fresh $(if $(SPEED),--speed $(SPEED)) $(if $(PORT),--port $(PORT))

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

typecheck: setup
	$(BIN)/mypy

test: setup lint typecheck
	$(BIN)/python -m pytest -n 2 --dist loadfile

bench: setup
	@for b in bench/[a-z]*.py; do echo "== $$b" >&2; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache frontend/node_modules
