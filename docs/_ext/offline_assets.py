"""Serve every script and style sheet of the site from the site itself: no CDN at all.

- **MathJax** comes from the ``jupyter-server-mathjax`` package (MathJax 2.7, the copy that
  Jupyter serves offline) and is copied into ``_static/mathjax/`` of the build; ``conf.py``
  points ``mathjax_path`` at it, so formulas render without network.
- **Computation times**: sphinx-gallery's ``sg_execution_times`` pages load jQuery, Bootstrap
  and DataTables from CDNs to make their table sortable. The raw HTML block that does so is
  dropped when the page is read; the table itself stays.

A missing ``jupyter-server-mathjax`` is a Sphinx warning (an error under ``-W``) that says what
to install. ``python docs/_ext/offline_assets.py BUILD_DIR`` (run by ``make html``) lists every
built page that still loads a script, style sheet or font from another host, and fails if any
does.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

from sphinx.util import logging

LOGGER = logging.getLogger(__name__)

#: what ``_static/mathjax/`` holds: MathJax.js and what the TeX/CommonHTML configuration loads
MATHJAX_DIR = "mathjax"
_SKIP = shutil.ignore_patterns("localization", "*.md", "__pycache__")
#: the raw HTML block of sphinx-gallery's computation-times pages (external links and scripts)
_CDN_BLOCK = re.compile(r"^  \.\. raw:: html\n(?:\n|    .*\n)*", re.MULTILINE)


def mathjax_source() -> Path | None:
    """The directory of MathJax's files in ``jupyter-server-mathjax``, or None if absent."""
    try:
        import jupyter_server_mathjax
    except ImportError:
        return None
    static = Path(jupyter_server_mathjax.__file__).parent / "static"
    return static if (static / "MathJax.js").is_file() else None


def _copy_mathjax(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    source = mathjax_source()
    if source is None:
        LOGGER.warning("MathJax is not installed, so formulas will not render offline: "
                       "pip install jupyter-server-mathjax (part of machinehearing[docs])")
        return
    target = Path(app.outdir) / "_static" / MATHJAX_DIR
    if not (target / "MathJax.js").is_file():
        shutil.copytree(source, target, ignore=_SKIP, dirs_exist_ok=True)


def _drop_cdn_block(app, docname: str, source: list[str]) -> None:
    if docname.endswith("sg_execution_times"):
        source[0] = _CDN_BLOCK.sub("", source[0])


#: a script, style sheet, font or image that the browser fetches from another host
_EXTERNAL = re.compile(
    r"""<script[^>]*\ssrc=["']((?:https?:)?//[^"']+)"""
    r"""|<link[^>]*\srel=["'](?:stylesheet|preload|modulepreload)["'][^>]*\shref=["']((?:https?:)?//[^"']+)"""
    r"""|<link[^>]*\shref=["']((?:https?:)?//[^"']+)["'][^>]*\srel=["'](?:stylesheet|preload)"""
    r"""|<img[^>]*\ssrc=["']((?:https?:)?//[^"']+)"""
    r"""|@import\s+url\(["']?((?:https?:)?//[^)"']+)""",
    re.IGNORECASE,
)


def external_assets(html_dir: str | Path) -> dict[str, list[str]]:
    """``{page: [urls]}`` of the built pages (and CSS) that load anything from another host."""
    html_dir = Path(html_dir)
    found = {}
    for page in sorted([*html_dir.rglob("*.html"), *html_dir.rglob("*.css")]):
        urls = [next(u for u in m.groups() if u) for m in _EXTERNAL.finditer(page.read_text(
            encoding="utf-8", errors="replace"))]
        if urls:
            found[page.relative_to(html_dir).as_posix()] = sorted(set(urls))
    return found


def setup(app):
    app.connect("source-read", _drop_cdn_block)
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    pages = external_assets(sys.argv[1])
    for page, urls in pages.items():
        print(f"{page}: loads {', '.join(urls)}", file=sys.stderr)
    if pages:
        sys.exit(f"{len(pages)} built pages load assets from other hosts: serve them locally")
    print(f"{sys.argv[1]}: no page loads anything from another host")
