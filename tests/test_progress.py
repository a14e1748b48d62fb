"""Progress is shown by default where a person watches (a notebook front end, a terminal) and silent in tests and
pipes."""

import subprocess
import sys

import pytest

from pyqgd._progress import default_progress, resolve_progress


def test_silent_under_pytest_and_forced_by_the_environment(monkeypatch):
    assert default_progress() is False  # pytest sets PYTEST_CURRENT_TEST
    monkeypatch.setenv("PYQGD_PROGRESS", "1")
    assert default_progress() is True and resolve_progress(None) is True and resolve_progress(False) is False
    with pytest.raises(TypeError):
        resolve_progress("yes")


def test_notebook_front_end_shows_progress(monkeypatch):
    import pyqgd._progress as pr

    monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)
    monkeypatch.delenv("PYQGD_PROGRESS", raising=False)
    monkeypatch.setattr(pr, "_in_notebook", lambda: True)
    assert default_progress() is True


def test_pipe_is_silent():
    code = "import sys; from pyqgd._progress import default_progress; sys.stdout.write(str(default_progress()))"
    env = {k: v for k, v in __import__("os").environ.items() if k not in ("PYTEST_CURRENT_TEST", "PYQGD_PROGRESS")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.stdout == "False"  # stderr is a pipe here


def test_analyze_defaults_to_automatic_progress():
    import inspect

    from pyqgd.report.pipeline import analyze

    assert inspect.signature(analyze).parameters["progress"].default is None
