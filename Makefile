# Two set-up commands on a fresh machine with Python 3.11+ and make:
#   make build   builds the feeds from issues/ into output/
#   make test    runs the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: build test lint check serve bench clean templates

build: $(VENV)/.installed
	$(BIN)/feeds build

check: $(VENV)/.installed
	$(BIN)/feeds check

serve: $(VENV)/.installed
	$(BIN)/feeds serve

test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/mypy

# the package's templates compiled ahead of time (feeds/precompiled.py): after editing one
templates: $(VENV)/.installed
	$(BIN)/python -m feeds.precompiled

bench: $(VENV)/.installed-test
	$(BIN)/python bench/run.py

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	touch $@

$(VENV)/.installed: pyproject.toml $(VENV)/.created
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) .feeds
