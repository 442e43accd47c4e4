# The two commands of the README. Both create ./.venv, install the CPU build of torch
# first from PyTorch's CPU wheel index (pip's default index gives Linux the CUDA build and
# gigabytes of NVIDIA libraries), then the package. Where that index is unreachable,
# tools/install_torch.sh falls back to the default index within seconds.
# A CUDA build: make install TORCH=torch (pip's default, CUDA on Linux), or e.g.
#   make install TORCH=torch==2.13.0 TORCH_INDEX=https://download.pytorch.org/whl/cu126
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TORCH ?= torch==2.13.0
ifeq ($(origin TORCH),file)
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
else
TORCH_INDEX ?=
endif
export TORCH_INDEX
# the venv's console scripts (nbgrader runs `alembic`, tests run `machinehearing`) come first
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: install demo test lint docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

install: $(BIN)/python
	sh tools/install_torch.sh $(BIN)/python "$(TORCH)"
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
