"""The documentation: it builds without a single warning, and it documents the whole API.

The build test renders the site into a temporary copy of ``docs/`` with warnings as errors,
offline (no intersphinx fetching) and with the example gallery rendered but not executed
(``MACHINEHEARING_DOCS_GALLERY=0``), so it takes well under a minute. The full build, with
every gallery example executed, is ``make docs`` (run by ``.ci/run``), also with ``-W``.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import re
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"

#: every public module whose names must appear in the API reference
PUBLIC_MODULES = [
    "machinehearing.errors",
    "machinehearing.audio",
    "machinehearing.features",
    "machinehearing.transforms",
    "machinehearing.datasets.esc50",
    "machinehearing.datasets.download",
    "machinehearing.datasets.synthetic",
    "machinehearing.datasets.cache",
    "machinehearing.datasets.sounds",
    "machinehearing.datasets.recipes",
    "machinehearing.datasets.examples",
    "machinehearing.baseline",
    "machinehearing.submit",
    "machinehearing.models",
    "machinehearing.train",
    "machinehearing.metrics",
    "machinehearing.stats",
    "machinehearing.evaluate",
    "machinehearing.report",
    "machinehearing.sweep",
    "machinehearing.demo",
    "machinehearing.plots.signal",
    "machinehearing.plots.feature_plots",
    "machinehearing.plots.results",
    "autograde",
    "autograde.spec",
    "autograde.compare",
    "autograde.hints",
    "autograde.engine",
    "autograde.exports",
    "autograde.feedback",
    "autograde.release",
    "autograde.model",
    "autograde.sandbox",
    "autograde.sandbox.transport",
    "autograde.sandbox.seccomp",
    "autograde.lms",
    "autograde.late",
    "autograde.similarity",
    "autograde.checkpoints",
]

_DIRECTIVE = re.compile(r"^\.\. (currentmodule|autosummary)::\s*(\S*)")


def _documented_names() -> list[str]:
    """Fully qualified names listed in the ``autosummary`` tables of ``docs/api/*.rst``."""
    names = []
    for page in sorted((DOCS / "api").glob("*.rst")):
        module, in_table = "", False
        for line in page.read_text(encoding="utf-8").splitlines():
            match = _DIRECTIVE.match(line)
            if match:
                kind, argument = match.groups()
                if kind == "currentmodule":
                    module = argument
                in_table = kind == "autosummary"
            elif in_table and line.startswith("   "):
                entry = line.strip()
                if not entry.startswith(":"):  # skip the :toctree: option
                    names.append(f"{module}.{entry}")
            elif line.strip():
                in_table = False
    return names


def _resolve(fullname: str):
    module_name, _, attr = fullname.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


def _public_names(module) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [
            name
            for name, value in vars(module).items()
            if not name.startswith("_")
            and (inspect.isfunction(value) or inspect.isclass(value))
            and value.__module__ == module.__name__
        ]
    return [name for name in names if not inspect.ismodule(getattr(module, name))]


def _documented_objects() -> list:
    objects = []
    for name in _documented_names():
        try:
            objects.append(_resolve(name))
        except (ImportError, AttributeError):  # reported by test_api_reference_names_all_resolve
            pass
    return objects


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_api_reference_lists_every_public_name(module_name):
    module = importlib.import_module(module_name)
    documented = _documented_objects()
    missing = [
        name
        for name in _public_names(module)
        if not any(getattr(module, name) is obj for obj in documented)
    ]
    assert not missing, f"add to docs/api: {', '.join(f'{module_name}.{n}' for n in missing)}"


def test_api_reference_names_all_resolve():
    unresolved = []
    for name in _documented_names():
        try:
            _resolve(name)
        except (ImportError, AttributeError):
            unresolved.append(name)
    assert not unresolved, f"docs/api lists names that do not exist: {unresolved}"


def _gallery() -> list[Path]:
    return sorted((DOCS / "examples").glob("plot_*.py"))


def test_gallery_has_at_least_13_examples():
    assert len(_gallery()) >= 13


@pytest.mark.parametrize("path", _gallery(), ids=lambda p: p.name)
def test_gallery_example_starts_with_a_titled_docstring(path):
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert docstring, f"{path.name} needs a docstring with a title"
    title, underline = docstring.strip().splitlines()[:2]
    assert set(underline) == {"="} and len(underline) >= len(title), path.name


def _conf(monkeypatch, **env) -> dict:
    """Execute docs/conf.py with the given environment, restoring ``sys.path`` afterwards."""
    for key in ("MACHINEHEARING_DOCS_OFFLINE", "MACHINEHEARING_DOCS_GALLERY",
                "MACHINEHEARING_DOCS_EXECUTE"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(sys, "path", list(sys.path))
    return runpy.run_path(str(DOCS / "conf.py"))


def test_offline_switch_disables_intersphinx_and_its_role_links(monkeypatch):
    conf = _conf(monkeypatch, MACHINEHEARING_DOCS_OFFLINE="1")
    assert conf["intersphinx_mapping"] == {}
    # numpydoc's :ref:/:term: links into missing inventories would warn: plain objects instead
    assert conf["numpydoc_xref_aliases"]["bool"] == "bool"
    assert not conf["numpydoc_xref_aliases"]["array_like"].startswith(":term:")


def test_forced_online_keeps_every_inventory(monkeypatch):
    conf = _conf(monkeypatch, MACHINEHEARING_DOCS_OFFLINE="0")
    assert set(conf["intersphinx_mapping"]) == {
        "python", "numpy", "scipy", "librosa", "torch", "matplotlib", "sklearn"
    }


def test_automatic_mode_drops_unreachable_inventories(monkeypatch):
    import socket

    def refuse(address, timeout=None):
        if address[0] == "numpy.org":
            raise OSError("unreachable")
        return _Closing()

    monkeypatch.setattr(socket, "create_connection", refuse)
    conf = _conf(monkeypatch)
    assert "numpy" not in conf["intersphinx_mapping"]
    assert "python" in conf["intersphinx_mapping"]


class _Closing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize(
    ("value", "executed"), [("0", "False"), ("1", "True")]
)
def test_gallery_switch_controls_execution(monkeypatch, value, executed):
    conf = _conf(monkeypatch, MACHINEHEARING_DOCS_OFFLINE="1", MACHINEHEARING_DOCS_GALLERY=value)
    assert conf["sphinx_gallery_conf"]["plot_gallery"] == executed


@pytest.mark.slow
def test_docs_build_without_warnings(tmp_path):
    """``sphinx-build -W`` on a copy of docs/ (offline, gallery not executed) succeeds."""
    source = tmp_path / "docs"
    shutil.copytree(
        DOCS, source,
        ignore=shutil.ignore_patterns("_build", "auto_examples", "generated",
                                      "sg_execution_times.rst", "__pycache__"),
    )
    # conf.py puts the directory above docs/ first on sys.path: point it at this checkout
    for name in ("machinehearing", "autograde", "exercises"):
        if (REPO / name).exists():
            (tmp_path / name).symlink_to(REPO / name, target_is_directory=True)
    env = {**os.environ, "MACHINEHEARING_DOCS_OFFLINE": "1", "MACHINEHEARING_DOCS_GALLERY": "0",
           "MPLBACKEND": "Agg"}
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "-q",
               str(source), str(tmp_path / "html")]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-6000:]
    assert not done.stderr.strip(), done.stderr[-6000:]
    html = tmp_path / "html"
    for page in ("index.html", "guide/session2.html", "auto_examples/index.html",
                 "api/features.html", "generated/machinehearing.features.mfcc.html"):
        assert (html / page).is_file(), page
    # formulas render offline: MathJax is served from the build, and nothing from a CDN
    assert (html / "_static" / "mathjax" / "MathJax.js").is_file()
    assert '_static/mathjax/MathJax.js?config=' in (html / "guide/session2.html").read_text()
    assert _offline_assets().external_assets(html) == {}


def _offline_assets():
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        return importlib.import_module("offline_assets")
    finally:
        sys.path.remove(str(DOCS / "_ext"))


def test_external_assets_are_found_in_pages_and_style_sheets(tmp_path):
    (tmp_path / "a.html").write_text(
        '<script src="https://code.jquery.com/jquery-3.7.0.js"></script>'
        '<script src="_static/local.js"></script>'
        '<link href="https://cdn.example.org/x.css" rel="stylesheet" />'
        '<a href="https://librosa.org/doc/">a link is not an asset</a>')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.css").write_text('@import url("//fonts.example.org/f.css");')
    (tmp_path / "c.html").write_text('<link rel="stylesheet" href="_static/custom.css">')
    assert _offline_assets().external_assets(tmp_path) == {
        "a.html": ["https://cdn.example.org/x.css", "https://code.jquery.com/jquery-3.7.0.js"],
        "sub/b.css": ["//fonts.example.org/f.css"],
    }


def test_computation_times_pages_lose_their_cdn_scripts_but_keep_the_table(tmp_path):
    from sphinx_gallery.gen_gallery import write_computation_times

    write_computation_times({"write_computation_times": True, "src_dir": str(tmp_path)}, None, [])
    source = [(tmp_path / "sg_execution_times.rst").read_text()]
    assert "https://" in source[0]  # what sphinx-gallery writes
    _offline_assets()._drop_cdn_block(None, "sg_execution_times", source)
    assert "https://" not in source[0] and "<script" not in source[0]
    assert ".. list-table::" in source[0] and "* - Example" in source[0]
