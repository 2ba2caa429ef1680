# Two commands for a newcomer: `make demo` and `make test`. Everything else bootstraps itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
UV_VERSION := 0.13.9
SYNCED := $(VENV)/.synced
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))

.PHONY: setup demo test lint typecheck bench clean

setup: $(SYNCED)

$(UV):
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(SYNCED): $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --inexact --compile-bytecode --python $(BIN)/python
	@touch $(SYNCED)

demo: setup
	$(BIN)/landport demo

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
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
