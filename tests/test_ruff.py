"""``ruff check`` (pyflakes F and import order I, configured in pyproject.toml) finds nothing in the repository."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _ruff() -> list[str]:
    exe = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if exe is None:
        pytest.skip("ruff is not installed: pip install -e '.[dev]'")
    return [exe]


def test_ruff_check_is_clean():
    proc = subprocess.run(_ruff() + ["check", "--no-cache", "--output-format", "concise", "."], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, f"ruff findings (fix them, or run `ruff check --fix`):\n{proc.stdout}{proc.stderr}"


def test_ruff_is_configured_for_pyflakes_and_imports():
    import tomllib

    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["ruff"]["lint"]["select"]
    assert {"F", "I"} <= set(cfg)
