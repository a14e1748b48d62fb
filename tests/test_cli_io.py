"""Report output: atomic files, a manifest of what pyqgd wrote, and a killed run leaves the previous complete report
or none (never a report.json next to plots of another run)."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from pyqgd.report import io
from pyqgd.report.io import MANIFEST, OutputDir, OutputError, atomic_write_text, report_state

NAMES = ("report.json", "a.png", "b.png", "c.svg")


def write_run(folder, run: int, *, names=NAMES, force=False):
    out = OutputDir(folder, force=force)
    out.check(names)
    with out.transaction("report.json") as staging:
        for name in names:
            atomic_write_text(staging / name, json.dumps({"run": run, "name": name}) + " " * 20000)


def runs_in(folder):
    """The run number of every report file present (manifest excluded)."""
    return {p.name: json.loads(p.read_text())["run"] for p in folder.iterdir() if p.name in NAMES}


def test_atomic_write_replaces_or_keeps(tmp_path, monkeypatch):
    f = tmp_path / "x.json"
    atomic_write_text(f, "old")
    mask = os.umask(0)
    os.umask(mask)
    assert f.stat().st_mode & 0o777 == 0o666 & ~mask  # not mkstemp's 0600

    def fail(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(io.os, "fsync", fail)
    with pytest.raises(OSError):
        atomic_write_text(f, "new")
    assert f.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]  # no temporary file left behind


def test_atomic_savefig_writes_a_complete_image_or_keeps_the_old(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    fig = Figure()
    fig.subplots().plot([0, 1], [1, 0])
    png = io.atomic_savefig(fig, tmp_path / "f.png", dpi=50)
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG") and data.endswith(b"IEND\xaeB`\x82")

    def full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(io.os, "replace", full)
    with pytest.raises(OSError):
        io.atomic_savefig(fig, tmp_path / "f.png", dpi=80)
    assert png.read_bytes() == data and [p.name for p in tmp_path.iterdir()] == ["f.png"]


def test_manifest_protects_user_files(tmp_path):
    write_run(tmp_path, 1)
    write_run(tmp_path, 2)  # our own files: replaced without --force
    assert set(runs_in(tmp_path).values()) == {2}
    (tmp_path / "a.png").write_text(json.dumps({"run": 99}))  # the user edits a file pyqgd wrote
    with pytest.raises(OutputError, match="--force"):
        write_run(tmp_path, 3)
    (tmp_path / "notes.txt").write_text("mine")
    write_run(tmp_path, 4, force=True)
    assert set(runs_in(tmp_path).values()) == {4}
    assert (tmp_path / "notes.txt").read_text() == "mine"  # a file not in the run is never touched
    assert report_state(tmp_path) == "complete"


def test_names_only_known_at_commit_are_checked_before_anything_changes(tmp_path):
    write_run(tmp_path, 1)
    (tmp_path / "late.png").write_text("user's")
    out = OutputDir(tmp_path)
    out.check(["report.json"])
    with pytest.raises(OutputError, match="late.png"):
        with out.transaction("report.json") as staging:
            atomic_write_text(staging / "report.json", json.dumps({"run": 2}))
            atomic_write_text(staging / "late.png", json.dumps({"run": 2}))
    assert set(runs_in(tmp_path).values()) == {1} and report_state(tmp_path) == "complete"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".pyqgd-staging")]


def test_stale_files_of_the_previous_run_are_removed(tmp_path):
    write_run(tmp_path, 1)
    write_run(tmp_path, 2, names=("report.json", "a.png"))
    assert runs_in(tmp_path) == {"report.json": 2, "a.png": 2}
    assert set(json.loads((tmp_path / MANIFEST).read_text())["files"]) == {"report.json", "a.png"}


@pytest.mark.parametrize("fail_at", range(16))
def test_a_crash_at_any_step_of_the_commit_leaves_previous_or_none(tmp_path, monkeypatch, fail_at):
    """Every os.replace / os.unlink of the commit fails in turn (a crash at that point of the commit)."""
    write_run(tmp_path, 1)
    calls = {"n": 0}
    real_replace, real_unlink = os.replace, os.unlink

    def counted(real):
        def f(*a, **k):
            if calls["n"] == fail_at:
                calls["n"] += 1
                raise OSError(5, "simulated crash")
            calls["n"] += 1
            return real(*a, **k)
        return f

    monkeypatch.setattr(io.os, "replace", counted(real_replace))
    monkeypatch.setattr(io.os, "unlink", counted(real_unlink))
    try:
        write_run(tmp_path, 2)
    except OutputError:
        pass
    monkeypatch.undo()
    state = report_state(tmp_path)
    assert state in ("complete", "none")
    if state == "complete":
        runs = runs_in(tmp_path)
        assert len(set(runs.values())) == 1 and set(runs) == set(NAMES)
    write_run(tmp_path, 3)  # the folder is still ours: the next run goes through without --force
    assert set(runs_in(tmp_path).values()) == {3}


WRITER = textwrap.dedent("""
    import json, sys
    from pyqgd.report.io import OutputDir, atomic_write_text
    folder = sys.argv[1]
    names = ("report.json", "a.png", "b.png", "c.svg")
    run = 100
    print("ready", flush=True)
    while True:
        run += 1
        with OutputDir(folder).transaction("report.json") as staging:
            for name in names:
                atomic_write_text(staging / name, json.dumps({"run": run, "name": name}) + " " * 200000)
""")


def test_kill_during_write_leaves_previous_complete_report_or_none(tmp_path):
    """SIGKILL a process that rewrites the report in a loop, at 12 different moments."""
    write_run(tmp_path, 1)
    states = []
    for k in range(12):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True,
                                env={**os.environ, "QDK_PYTHON_TELEMETRY": "none"})
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(0.01 + 0.023 * k)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        state = report_state(tmp_path)
        states.append(state)
        assert state in ("complete", "none"), state
        if state == "complete":
            runs = runs_in(tmp_path)
            assert set(runs) == set(NAMES) and len(set(runs.values())) == 1, runs
    assert "complete" in states


# ---- the folder lock, edits never lost, stale temporaries, real problems named -----------------------------------

EST = ["estimate", "--params", "1000", "--T", "10", "--preset", "qubit_maj_ns_e6", "--loading", "qrom",
       "--block-encoding", "sparse"]


def test_an_edited_report_file_is_never_deleted_or_replaced_without_force(tmp_path, capsys):
    """estimate --out D, the user edits D/estimate.json: neither another estimate (replace) nor demo (which would
    remove it as a file of the previous run) touches it; with --force the estimate replaces it."""
    from pyqgd.cli import main

    d = tmp_path / "d"
    assert main(EST + ["--out", str(d)]) == 0
    capsys.readouterr()
    (d / "estimate.json").write_text("my notes")
    for argv in (EST + ["--out", str(d)], ["demo", "--out", str(d)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "estimate.json" in err and "--force" in err
        assert (d / "estimate.json").read_text() == "my notes"
    assert main(EST + ["--out", str(d), "--force"]) == 0
    assert json.loads((d / "estimate.json").read_text())["estimates"]


HOLDER = textwrap.dedent(r"""
    import json, sys, time
    from pathlib import Path
    from pyqgd.report.io import OutputDir, atomic_write_text
    folder, go = Path(sys.argv[1]), Path(sys.argv[2])
    out = OutputDir(folder)
    out.check(("report.json",))
    print("locked", flush=True)
    while not go.exists():
        time.sleep(0.05)
    with out.transaction("report.json") as staging:
        atomic_write_text(staging / "report.json", json.dumps({"run": "first"}))
    print("done", flush=True)
""")


def test_a_second_run_into_a_locked_folder_is_refused_and_the_first_completes(tmp_path, capsys):
    from pyqgd.cli import main

    d, go = tmp_path / "d", tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    first = subprocess.Popen([sys.executable, "-c", HOLDER, str(d), str(go)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert first.stdout.readline().strip() == "locked"
        assert main(EST + ["--out", str(d)]) == 2
        err = capsys.readouterr().err
        assert "in use by another pyqgd run" in err and "\n" not in err.strip()
        go.touch()
        assert first.stdout.readline().strip() == "done"
    finally:
        first.wait(timeout=60)
    assert first.returncode == 0
    assert json.loads((d / "report.json").read_text()) == {"run": "first"} and report_state(d) == "complete"
    assert main(EST + ["--out", str(d)]) == 0  # the lock went with the first run


def test_stale_temporary_files_are_cleaned_under_the_lock(tmp_path):
    write_run(tmp_path, 1)
    stale = [tmp_path / f".{MANIFEST}.abc123.tmp", tmp_path / ".report.json.xyz.tmp", tmp_path / ".pyqgd-probe-q"]
    for f in stale:
        f.write_text("left by a killed run")
    (tmp_path / ".pyqgd-staging-old").mkdir()
    (tmp_path / ".mine.tmp").write_text("the user's")  # not a pyqgd name: kept
    write_run(tmp_path, 2)
    assert not any(f.exists() for f in stale) and not (tmp_path / ".pyqgd-staging-old").exists()
    assert (tmp_path / ".mine.tmp").read_text() == "the user's"
    assert set(runs_in(tmp_path).values()) == {2}


def test_a_virtual_file_system_is_named_as_such(tmp_path):
    with pytest.raises(OutputError, match="virtual file system"):
        OutputDir("/proc/nope").check(("report.json",))
