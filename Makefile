# Everything a newcomer needs: `make demo` and `make test` install what they use first.
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
BIN := .venv/bin
export ARREARS_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: install demo test lint check-postgres bench clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Bytecode is compiled at install (the site packages by uv, the project's own modules by compileall): with
# PYTHONDONTWRITEBYTECODE set, as on some machines, every command would otherwise compile each module it
# imports from source, about three times slower to start.
install: $(UV)
	$(UV) sync --frozen --quiet --compile-bytecode --python $(PYTHON)
	$(BIN)/python -m compileall -q -j 0 src > /dev/null
	bash scripts/ensure-pdf-libs.sh
	bash scripts/ensure-browser.sh

demo: install
	$(BIN)/arrears demo

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

check-postgres:
	bash scripts/ensure-postgres.sh

test: lint check-postgres
	$(BIN)/pytest -n 2 --dist loadgroup

bench: install
	$(BIN)/python benchmarks/import_bench.py

clean:
	rm -rf $(TOOLS) .venv .pytest_cache .mypy_cache .ruff_cache arrears-demo.db
