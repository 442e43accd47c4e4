# The two commands of the README. Both create ./.venv, install the CPU build of torch
# first (an unpinned torch pulls gigabytes of CUDA wheels), then the package.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TORCH ?= torch==2.13.0
# the venv's console scripts (nbgrader runs `alembic`, tests run `machinehearing`) come first
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: install demo test lint docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install "$(TORCH)"
	$(BIN)/pip install -e ".[dev]"

demo: install
	$(BIN)/machinehearing demo

lint: install
	$(BIN)/ruff check .

test: install lint
	$(BIN)/python -m pytest

docs: install
	$(MAKE) -C docs html SPHINXBUILD=$(abspath $(BIN))/sphinx-build PYTHON=$(abspath $(BIN))/python

clean:
	rm -rf $(VENV) docs/_build docs/auto_examples docs/generated
