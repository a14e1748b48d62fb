"""Build the documentation site for the tests, and look at a built page in headless Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from browser import dump_dom

ROOT = Path(__file__).resolve().parents[1]

#: Appended to a copy of a page: after MathJax has typeset, record the display equations and how many overflow.
PROBE = """<script>
window.addEventListener("load", () => {
  const done = () => {
    const eqs = [...document.querySelectorAll('mjx-container[display="true"]')];
    const col = document.querySelector("article, .md-content, body").getBoundingClientRect();
    const over = eqs.filter(e => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > col.right + 1);
    document.body.setAttribute("data-eqs", eqs.length);
    document.body.setAttribute("data-overflow", over.length);
  };
  (window.MathJax && MathJax.startup ? MathJax.startup.promise : Promise.resolve()).then(done);
});
</script>"""


def build(dest: Path, *, execute: bool) -> Path:
    """``mkdocs build --strict`` into ``dest`` (run from its parent: mkdocs-jupyter writes a .cache/ there);
    ``execute`` runs the notebooks at build."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "QDK_PYTHON_TELEMETRY": "none", "MPLBACKEND": "Agg",
           "PYQGD_DOCS_EXECUTE": "true" if execute else "false", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(ROOT / "mkdocs.yml"),
                           "-d", str(dest)], cwd=dest.parent, capture_output=True, text=True, env=env,
                          timeout=2400 if execute else 300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return dest


def rendered(page: Path, tmp: Path) -> str:
    """The DOM of a built page after its scripts ran, with :data:`PROBE`'s attributes on <body>."""
    probe = page.with_name("probe.html")
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    return dump_dom(probe.as_uri(), tmp)
