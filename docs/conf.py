"""Sphinx configuration for the machinehearing documentation.

Build with ``make -C docs html`` (warnings are errors). Three environment switches:

``MACHINEHEARING_DOCS_OFFLINE``
    ``1``: never fetch intersphinx inventories (links to numpy, scipy, librosa, torch,
    matplotlib and scikit-learn become plain text). ``0``: always fetch them (a host that
    cannot be reached is then a warning, hence an error). Unset (the default): each host is
    probed with a short TCP connection first and only the reachable ones are used, so a
    build without network is warning-free and a build with network gets the links.
``MACHINEHEARING_DOCS_GALLERY``
    ``0``: render the example gallery without executing the scripts (no figures, fast;
    the docs test uses this). Default ``1``: run every example.
``MACHINEHEARING_DOCS_EXECUTE``
    A regular expression; only gallery scripts whose path matches it are executed
    (default ``/plot_``, i.e. all of them). The others are rendered without output.
"""

from __future__ import annotations

import os
import socket
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import matplotlib

matplotlib.use("Agg")

DOCS = Path(__file__).resolve().parent
# the working tree first (the package and ``autograde`` of this checkout), then the local
# extension that renders tables from the code
sys.path[:0] = [str(DOCS.parent), str(DOCS / "_ext")]

import machinehearing  # noqa: E402

# -- Project -----------------------------------------------------------------------------------

project = "machinehearing"
author = "machinehearing contributors"
copyright = "machinehearing contributors"
release = machinehearing.__version__
version = ".".join(release.split(".")[:2])

# -- General -----------------------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "machinehearing_docs",
    "offline_assets",
]

# MathJax is served from the build (copied by the offline_assets extension), never from a CDN
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"

templates_path = ["_templates"]
# examples/ holds the gallery sources: sphinx-gallery reads them and writes auto_examples/
exclude_patterns = ["_build", "examples", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]
root_doc = "index"
default_role = "py:obj"
pygments_style = "sphinx"

autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": False, "inherited-members": False}
autodoc_typehints = "none"  # numpydoc's Parameters section carries the types

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = True
numpydoc_xref_aliases = {
    "ndarray": "numpy.ndarray",
    "np.ndarray": "numpy.ndarray",
    "Tensor": "torch.Tensor",
    "torch.Tensor": "torch.Tensor",
    "Path": "pathlib.Path",
    "Axes": "matplotlib.axes.Axes",
    "Figure": "matplotlib.figure.Figure",
    "DataLoader": "torch.utils.data.DataLoader",
    "Module": "torch.nn.Module",
    "Generator": "numpy.random.Generator",
}
numpydoc_xref_ignore = {
    "of", "or", "and", "optional", "default", "shape", "type", "like", "to", "the", "a", "an",
    "in", "with", "one", "same", "as", "each", "per", "n", "k", "N", "K", "C", "H", "W", "rows",
    "frames", "samples", "batch", "channels", "n_frames", "n_mels", "n_fft", "n_bins", "n_mfcc",
    "None", "True", "False", "callable", "path-like", "str-like", "keyword-only", "positive",
    "non-negative", "int64", "float32", "float64", "complex64", "complex128", "1-D", "2-D",
    "3-D", "4-D",
}

# -- Intersphinx with an offline-safe fallback -------------------------------------------------

_INVENTORIES = {
    "python": "https://docs.python.org/3/",
    "numpy": "https://numpy.org/doc/stable/",
    "scipy": "https://docs.scipy.org/doc/scipy/",
    "librosa": "https://librosa.org/doc/latest/",
    "torch": "https://docs.pytorch.org/docs/stable/",
    "matplotlib": "https://matplotlib.org/stable/",
    "sklearn": "https://scikit-learn.org/stable/",
}


def _reachable(url: str, timeout: float = 1.5) -> bool:
    """Whether a TCP connection to the host of ``url`` opens within ``timeout`` seconds."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            return True
    except OSError:
        return False


def _intersphinx_mapping(mode: str) -> dict[str, tuple[str, None]]:
    """The inventories to load: all (``"0"``), none (``"1"``) or the reachable ones."""
    if mode == "1":
        return {}
    names = list(_INVENTORIES)
    if mode == "0":
        keep = names
    else:
        with ThreadPoolExecutor(max_workers=len(names)) as pool:
            up = list(pool.map(_reachable, _INVENTORIES.values()))
        keep = [name for name, ok in zip(names, up, strict=True) if ok]
        skipped = sorted(set(names) - set(keep))
        if skipped:
            print(
                "machinehearing docs: intersphinx offline for "
                f"{', '.join(skipped)} (set MACHINEHEARING_DOCS_OFFLINE=0 to force fetching)"
            )
    return {name: (_INVENTORIES[name], None) for name in keep}


intersphinx_mapping = _intersphinx_mapping(os.environ.get("MACHINEHEARING_DOCS_OFFLINE", ""))
intersphinx_timeout = 10

# numpydoc links some type words through :ref:/:term: roles into the Python and NumPy
# inventories; without those inventories such roles warn, so fall back to plain object
# references (which render as text when they cannot be resolved).
if "python" not in intersphinx_mapping:
    numpydoc_xref_aliases |= {
        "bool": "bool",
        "boolean": "bool",
        "iterable": "collections.abc.Iterable",
        "sequence": "collections.abc.Sequence",
        "generator": "collections.abc.Generator",
    }
if "numpy" not in intersphinx_mapping:
    numpydoc_xref_aliases |= {
        "array_like": "numpy.typing.ArrayLike",
        "array-like": "numpy.typing.ArrayLike",
        "scalar": "numpy.generic",
    }

# -- Example gallery ---------------------------------------------------------------------------

_run_gallery = os.environ.get("MACHINEHEARING_DOCS_GALLERY", "1") != "0"

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": os.environ.get("MACHINEHEARING_DOCS_EXECUTE", r"/plot_"),
    "ignore_pattern": r"__init__\.py|/_",
    "plot_gallery": str(_run_gallery),
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": True,
    "remove_config_comments": True,
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "min_reported_time": 0,
    "write_computation_times": True,
    "doc_module": ("machinehearing",),
    "backreferences_dir": "generated/backreferences",
    "reset_modules": ("matplotlib",),
    "thumbnail_size": (400, 280),
    "matplotlib_animations": False,
    "first_notebook_cell": "%matplotlib inline",
    "capture_repr": (),  # show what the examples print, not the repr of a last expression
}

# -- HTML --------------------------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"machinehearing {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 7,
    # no right-hand sidebar on the gallery pages: their code and figures get the width
    "secondary_sidebar_items": {
        pattern: ["page-toc", "sourcelink"]
        for pattern in ["*", "guide/*", "instructor/*", "api/*", "generated/*"]
    },
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_sidebars = {"index": [], "install": [], "quickstart": [], "changelog": []}
html_show_sourcelink = True
