# Two entry points for a fresh machine: `make serve` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
DB ?= letopis.db

.PHONY: setup serve build test evaluate clean

$(BIN)/letopis: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/letopis

setup: $(BIN)/letopis

# Exit status 3: built, but some files are in the failures table; serve anyway.
build: setup
	$(BIN)/letopis build corpus/documents --db $(DB) || [ $$? -eq 3 ]

serve: build
	$(BIN)/letopis serve $(DB) --host 127.0.0.1 --port 8001

test: setup
	$(BIN)/python -m pytest

evaluate: setup
	$(BIN)/letopis evaluate corpus/gold corpus/documents

clean:
	rm -rf $(VENV) $(DB) .pytest_cache
