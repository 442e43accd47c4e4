"""Every Examples section of every public docstring runs and prints what it shows."""

from __future__ import annotations

import doctest
import importlib
import io
import pkgutil

import pytest

import autograde
import machinehearing

#: modules that act on import (entry points, pytest plugins) and hold no examples
SKIP = {"machinehearing.__main__", "autograde.__main__", "autograde.conftest"}

MODULES = sorted(
    info.name
    for package in (machinehearing, autograde)
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
    if info.name not in SKIP
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    module = importlib.import_module(name)
    out = io.StringIO()
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    for test in doctest.DocTestFinder().find(module, name):  # objects defined in `module`
        runner.run(test, out=out.write)
    assert runner.failures == 0, out.getvalue()
