"""The documentation site builds with warnings as errors (``mkdocs build --strict``), and its mathematics page has
the equation numbers the docstrings cite."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_site_builds_strict(tmp_path):
    pytest.importorskip("mkdocs", reason="the docs build needs the 'dev' (or 'docs') extra: pip install -e '.[dev]'")
    pytest.importorskip("mkdocstrings", reason="pip install -e '.[dev]'")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "QDK_PYTHON_TELEMETRY": "none", "PYQGD_DOCS_EXECUTE": "false"}
    # (the notebooks' execution at build is checked by the browser test) run from tmp_path: mkdocs-jupyter writes its .cache/ into the working directory
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(ROOT / "mkdocs.yml"),
                           "-d", str(tmp_path / "site")], cwd=tmp_path, capture_output=True, text=True, env=env,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    api = (tmp_path / "site" / "api" / "report" / "index.html").read_text(encoding="utf-8")
    assert "analyze" in api and "AnalysisReport" in api  # the API reference is generated from the docstrings
    assert (tmp_path / "site" / "notebooks" / "03_resource_estimates" / "index.html").exists()
