"""Configuration of the autograder tests: the fixture exercise package on ``sys.path``.

The rootdir conftest puts ``tests/`` on ``sys.path``; there this folder (no ``__init__.py``)
would shadow the installed ``autograde`` package as an empty namespace package whenever
pytest runs as a script (``pytest tests/autograde``; ``python -m pytest`` puts the checkout
first). The installed package is therefore imported here, before any test module.
"""

from __future__ import annotations

import sys
from pathlib import Path

_TESTS = Path(__file__).resolve().parents[1]
#: the fixture exercise package (``grader_fixture_exercises``) and submissions
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _import_installed_autograde() -> None:
    loaded = sys.modules.get("autograde")
    if loaded is not None and getattr(loaded, "__file__", None) is not None:
        return
    sys.modules.pop("autograde", None)  # a namespace package made of this folder
    saved = sys.path[:]
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _TESTS]
    try:
        import autograde  # noqa: F401
    finally:
        sys.path[:] = saved


_import_installed_autograde()
if str(FIXTURES) not in sys.path:
    sys.path.insert(0, str(FIXTURES))
