""".ci/run runs the README's two commands verbatim and in order, fails when the first fails, and treats pytest's
exit 5 (no tests collected) as a failure. Checked on throw-away repositories whose README holds stand-in commands."""

import shutil
import subprocess
from pathlib import Path

import pytest

CI = Path(__file__).resolve().parents[1] / ".ci" / "run"


def repo(tmp_path, first: str, second: str, *, venv: bool = False) -> Path:
    root = tmp_path / "clone"
    (root / ".ci").mkdir(parents=True)
    shutil.copy(CI, root / ".ci" / "run")
    (root / "README.md").write_text(f"# x\n\nDemo:\n\n```bash\n{first}\n```\n\nTests:\n\n```bash\n{second}\n```\n\n"
                                    "```bash\necho third block never runs >> log\n```\n")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"], cwd=root, check=True)
    if venv:
        (root / ".venv").mkdir()
    return root


def ci(root):
    return subprocess.run(["bash", str(root / ".ci" / "run")], capture_output=True, text=True, timeout=120)


@pytest.fixture(autouse=True)
def needs_git():
    if shutil.which("git") is None:
        pytest.skip("git is not installed")


def test_runs_both_commands_in_order(tmp_path):
    root = repo(tmp_path, "echo demo >> log", "echo tests >> log")
    proc = ci(root)
    assert proc.returncode == 0, proc.stderr
    assert (root / "log").read_text().split() == ["demo", "tests"]


def test_fails_when_the_first_command_fails(tmp_path):
    root = repo(tmp_path, "echo demo >> log && false", "echo tests >> log")
    proc = ci(root)
    assert proc.returncode == 1
    assert "first command" in proc.stderr and (root / "log").read_text().split() == ["demo"]


def test_pytest_exit_5_fails(tmp_path):
    root = repo(tmp_path, "true", "exit 5")
    proc = ci(root)
    assert proc.returncode == 1 and "no tests" in proc.stderr


def test_test_failure_is_passed_on(tmp_path):
    root = repo(tmp_path, "true", "exit 3")
    assert ci(root).returncode == 3


def test_a_tree_with_a_venv_runs_on_a_clean_clone(tmp_path):
    """With .venv present the demo would not start from an empty venv: CI runs on a fresh clone of HEAD instead."""
    root = repo(tmp_path, "test ! -e .venv", "true", venv=True)  # fails if it ran in the tree with .venv
    proc = ci(root)
    assert proc.returncode == 0, proc.stderr
    assert "clean clone" in proc.stderr
