"""Whether to show progress bars by default: where a person watches, silent in tests and pipes.

A person watches a Jupyter/IPython front end (a kernel with a display: tqdm's ``auto`` mode then draws a widget) or
a terminal (standard error is a TTY). Tests (pytest sets ``PYTEST_CURRENT_TEST``), notebooks executed headless by
nbclient/nbconvert (no front end attached: they set ``PYQGD_PROGRESS=0`` through the test kernels, or the caller
passes ``progress=False``) and pipes stay silent. ``PYQGD_PROGRESS=1``/``0`` overrides the guess.
"""

from __future__ import annotations

import os
import sys

__all__ = ["default_progress", "resolve_progress"]


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def default_progress() -> bool:
    """True where a person watches (module docstring)."""
    forced = os.environ.get("PYQGD_PROGRESS", "").strip().lower()
    if forced in ("1", "true", "yes", "on"):
        return True
    if forced in ("0", "false", "no", "off"):
        return False
    if "PYTEST_CURRENT_TEST" in os.environ:
        return False
    if _in_notebook():
        return True
    stream = sys.stderr
    return bool(stream is not None and hasattr(stream, "isatty") and stream.isatty())


def resolve_progress(progress: bool | None) -> bool:
    """``progress`` as given, or :func:`default_progress` for None."""
    if progress is None:
        return default_progress()
    if not isinstance(progress, bool):
        raise TypeError(f"progress must be True, False or None (automatic), got {progress!r}")
    return progress
