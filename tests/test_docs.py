"""The documentation site builds with warnings as errors (``mkdocs build --strict``), and its mathematics page has
the equation numbers the docstrings cite."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser import CHROMIUM

ROOT = Path(__file__).resolve().parents[1]


def test_math_page_numbers_its_equations_once_each():
    text = (ROOT / "docs" / "math.md").read_text(encoding="utf-8")
    tags = [int(t) for t in re.findall(r"\\tag\{(\d+)\}", text)]
    assert tags == list(range(1, len(tags) + 1)) and len(tags) >= 16


def test_docstrings_cite_existing_equations():
    text = (ROOT / "docs" / "math.md").read_text(encoding="utf-8")
    known = {int(t) for t in re.findall(r"\\tag\{(\d+)\}", text)}
    cited = set()
    for path in (ROOT / "pyqgd").rglob("*.py"):
        for m in re.finditer(r"docs/math\.md,? Eqs?\. \(?(\d+)\)?(?:[–-]\(?(\d+)\)?)?", path.read_text(encoding="utf-8")):
            lo = int(m.group(1))
            cited.update(range(lo, int(m.group(2) or lo) + 1))
    assert cited, "no docstring cites docs/math.md"
    assert cited <= known, f"docstrings cite equations the docs do not have: {sorted(cited - known)}"


def test_docstrings_cite_existing_sections():
    text = (ROOT / "docs" / "math.md").read_text(encoding="utf-8")
    sections = {int(k) for k in re.findall(r"^## (\d+)\.", text, flags=re.M)}
    cited = {}
    for path in list((ROOT / "pyqgd").rglob("*.py")) + list((ROOT / "qsharp_src").rglob("*.qs")):
        for m in re.finditer(r"docs/math\.md,? §§?(\d+)", path.read_text(encoding="utf-8")):
            cited.setdefault(int(m.group(1)), []).append(path.name)
    missing = {k: v for k, v in cited.items() if k not in sections}
    assert not missing, f"docstrings cite sections docs/math.md does not have: {missing}"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site built once (notebooks not executed: the slow browser check executes them)."""
    pytest.importorskip("mkdocs", reason="the docs build needs the 'dev' (or 'docs') extra: pip install -e '.[dev]'")
    pytest.importorskip("mkdocstrings", reason="pip install -e '.[dev]'")
    from docs_site import build

    return build(tmp_path_factory.mktemp("docs") / "site", execute=False)


def test_site_builds_strict(site):
    api = (site / "api" / "report" / "index.html").read_text(encoding="utf-8")
    assert "analyze" in api and "AnalysisReport" in api  # the API reference is generated from the docstrings
    assert (site / "notebooks" / "03_resource_estimates" / "index.html").exists()


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium: apt-get install chromium")
def test_maths_render_offline_and_fit_in_a_browser(site, tmp_path):
    """MathJax served with the site typesets every equation of the maths page in headless Chromium, nothing is left
    as raw TeX, the equation numbers are shown, and no display equation is wider than its column (1280 px window)."""
    from docs_site import rendered

    page = site / "math" / "index.html"
    html = page.read_text(encoding="utf-8")
    assert "unpkg.com" not in html and "cdn" not in html.lower() and "googleapis" not in html  # served with the site
    assert (site / "javascripts" / "mathjax" / "tex-mml-chtml.js").exists()
    dom = rendered(page, tmp_path)
    tags = len(re.findall(r"\\tag\{\d+\}", (ROOT / "docs" / "math.md").read_text(encoding="utf-8")))
    eqs = int(re.search(r'data-eqs="(\d+)"', dom).group(1))
    assert eqs >= tags and "<mjx-container" in dom
    body = re.sub(r"<script.*?</script>", "", dom, flags=re.S)
    assert "\\tag{" not in body and "\\[" not in body  # nothing left as raw TeX
    missing = [k for k in range(1, tags + 1) if f'id="mjx-eqn:{k}"' not in dom]
    assert not missing, f"equations without their typeset number: {missing}"
    assert 'data-overflow="0"' in dom, "a display equation overflows the column"
