"""The documentation site as a reader sees it in a browser (headless Chromium, Debian's ``chromium``; skipped where
it is absent): MathJax served with the site renders every equation of the maths page offline, display equations fit
the text column with their numbers visible, and the notebooks show their executed outputs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from browser import CHROMIUM, dump_dom

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium: apt-get install chromium")

#: Appended to a copy of a page: after MathJax has typeset, record per display equation whether it fits its box.
_PROBE = """<script>
window.addEventListener("load", () => {
  const done = () => {
    const eqs = [...document.querySelectorAll('mjx-container[display="true"]')];
    const over = eqs.filter(e => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right >
                             document.querySelector("article, .md-content, body").getBoundingClientRect().right + 1);
    document.body.setAttribute("data-eqs", eqs.length);
    document.body.setAttribute("data-overflow", over.length);
  };
  (window.MathJax && MathJax.startup ? MathJax.startup.promise : Promise.resolve()).then(done);
});
</script>"""


def _build(dest: Path, execute: bool) -> Path:
    pytest.importorskip("mkdocs")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "QDK_PYTHON_TELEMETRY": "none", "MPLBACKEND": "Agg",
           "PYQGD_DOCS_EXECUTE": "true" if execute else "false", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(ROOT / "mkdocs.yml"),
                           "-d", str(dest)], cwd=dest.parent, capture_output=True, text=True, env=env, timeout=1500)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return dest


def _rendered(page: Path, tmp: Path, width: int = 1000) -> str:
    probe = page.with_name("probe.html")
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    return dump_dom(probe.as_uri(), tmp)


def test_maths_render_offline_and_fit(tmp_path):
    site = _build(tmp_path / "site", execute=False)
    page = site / "math" / "index.html"
    html = page.read_text(encoding="utf-8")
    assert "unpkg.com" not in html and "cdn" not in html.lower()  # MathJax is served with the site
    assert (site / "javascripts" / "mathjax" / "tex-mml-chtml.js").exists()
    dom = _rendered(page, tmp_path)
    tags = len(re.findall(r"\\tag\{\d+\}", (ROOT / "docs" / "math.md").read_text(encoding="utf-8")))
    eqs = int(re.search(r'data-eqs="(\d+)"', dom).group(1))
    assert eqs >= tags and "<mjx-container" in dom
    body = re.sub(r"<script.*?</script>", "", dom, flags=re.S)
    assert "\\tag{" not in body and "\\[" not in body  # nothing left as raw TeX
    for k in (1, 2, tags):
        assert re.search(rf"<mjx-mtext[^>]*>.*?\({k}\)", dom, flags=re.S) or f"({k})" in dom
    assert re.search(r'data-overflow="0"', dom), "a display equation overflows the column"


@pytest.mark.slow  # executes every notebook at build (minutes)
def test_notebooks_show_their_outputs(tmp_path):
    site = _build(tmp_path / "site", execute=True)
    for stem in ("01_carleman_linearization", "02_qsharp_block_encoding_and_solvers", "03_resource_estimates",
                 "05_paper_experiments"):
        dom = _rendered(site / "notebooks" / stem / "index.html", tmp_path)
        assert "In&nbsp;[&nbsp;]" not in dom and "In [ ]" not in dom, stem  # every code cell ran
        assert len(re.findall(r'class="[^"]*jp-OutputArea-output', dom)) >= 3, stem  # and shows its output
        assert "data:image/png" in dom, stem  # its plots are there
        assert "<mjx-container" in dom or "$" not in (ROOT / "notebooks" / f"{stem}.ipynb").read_text(), stem
    dom = _rendered(site / "notebooks" / "03_resource_estimates" / "index.html", tmp_path)
    assert "Bottom line:" in dom and "pyqgd-cost-tree" in dom
    assert not re.search(r"\b\d{2}\.000000\b", dom)  # code distances as integers
