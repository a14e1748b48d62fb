"""Headless Chromium for the tests that must see a page as a browser renders it (Debian's ``chromium``; the tests
that use it skip where it is absent)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)


def _base(tmp: Path) -> list[str]:
    return [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--allow-file-access-from-files", f"--user-data-dir={tmp / 'profile'}",
            "--virtual-time-budget=20000"]


def dump_dom(url: str, tmp: Path, timeout: int = 120, size: str = "1280,900") -> str:
    """The DOM after the page's scripts ran (virtual time lets MathJax and friends finish) in a window of ``size``."""
    out = subprocess.run(_base(tmp) + [f"--window-size={size}", "--dump-dom", url], capture_output=True, text=True,
                         timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"chromium failed ({out.returncode}): {out.stderr[-2000:]}")
    return out.stdout


def screenshot(url: str, path: Path, tmp: Path, size: str = "1200,900", timeout: int = 120) -> Path:
    """A PNG of the rendered page."""
    subprocess.run(_base(tmp) + [f"--screenshot={path}", f"--window-size={size}", url], capture_output=True,
                   text=True, timeout=timeout, check=True)
    return path
