"""MkDocs hook: serve MathJax with the site (no CDN), taken from the installed ``django-static-mathjax`` wheel
(MathJax 3.2.2, the ``docs`` extra): ``es5/tex-mml-chtml.js`` and its CHTML web fonts become
``javascripts/mathjax/...`` of the built site, so pages render their maths offline. Also keeps the notebooks that
mkdocs-jupyter executes at build free of progress widgets."""

from __future__ import annotations

import os
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

TARGET = "javascripts/mathjax"


def _source() -> Path:
    try:
        import mathjax
    except ImportError as exc:
        raise PluginError("MathJax is served with the site from the 'django-static-mathjax' package: "
                          "pip install -e '.[docs]'") from exc
    root = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    if not (root / "tex-mml-chtml.js").exists():
        raise PluginError(f"no MathJax es5 build under {root}")
    return root


def on_config(config):
    # the notebooks executed at build run headless: no progress widgets in their outputs (pyqgd._progress)
    os.environ.setdefault("PYQGD_PROGRESS", "0")
    return config


def on_files(files, config):
    root = _source()
    wanted = [root / "tex-mml-chtml.js", *sorted((root / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))]
    for path in wanted:
        uri = f"{TARGET}/{path.relative_to(root).as_posix()}"
        files.append(File.generated(config, uri, abs_src_path=str(path)))
    return files
