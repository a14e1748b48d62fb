"""The documentation site as a reader sees it in a browser (headless Chromium, Debian's ``chromium``; skipped where
it is absent): the notebooks, executed when the site is built, show their outputs. (The maths page is checked in
``tests/test_docs.py`` on the site built there.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser import CHROMIUM
from docs_site import build, rendered

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium: apt-get install chromium")


@pytest.mark.slow  # executes every notebook at build (minutes)
@pytest.mark.timeout(2700)
def test_notebooks_show_their_outputs(tmp_path):
    pytest.importorskip("mkdocs")
    site = build(tmp_path / "site", execute=True)
    for stem in ("01_carleman_linearization", "02_qsharp_block_encoding_and_solvers", "03_resource_estimates",
                 "05_paper_experiments"):
        dom = rendered(site / "notebooks" / stem / "index.html", tmp_path)
        assert "In&nbsp;[&nbsp;]" not in dom and "In [ ]" not in dom, stem  # every code cell ran
        assert len(re.findall(r'class="[^"]*jp-OutputArea-output', dom)) >= 3, stem  # and shows its output
        assert "data:image/png" in dom, stem  # its plots are there
        assert "<mjx-container" in dom or "$" not in (ROOT / "notebooks" / f"{stem}.ipynb").read_text(), stem
    dom = rendered(site / "notebooks" / "03_resource_estimates" / "index.html", tmp_path)
    assert "Bottom line:" in dom and "pyqgd-cost-tree" in dom
    assert "unpkg.com" not in dom and "googleapis" not in dom  # nothing from a CDN
    assert not re.search(r"\b\d{2}\.000000\b", dom)  # code distances as integers
