"""The CLI's error policy, case by case: every user mistake exits 2 with ONE stderr line that says what to do and no
traceback, before any long work; a bug exits 1 with a one-line "internal error, please report" (traceback only with
--debug). Runs in-process through ``main()`` so that the ~90 cases take seconds."""

import os
import sys

import pytest

from pyqgd.cli import main

E = "estimate"
EST = ["estimate", "--params", "1000", "--T", "10", "--preset", "qubit_maj_ns_e6"]


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line(code, err, expected_code, needle, command):
    assert code == expected_code, err
    assert "Traceback" not in err
    lines = err.strip("\n").split("\n")
    assert len(lines) == 1, err
    assert lines[0].startswith(f"pyqgd {command}: error: " if command else "pyqgd"), lines[0]
    assert needle.lower() in lines[0].lower(), lines[0]


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    (d / "a_file").write_text("not a folder")
    (d / "foreign").mkdir()
    (d / "foreign" / "report.json").write_text('{"mine": true}')
    (d / "foreign_est").mkdir()
    (d / "foreign_est" / "estimate.json").write_text("[]")
    return d


# (argv, expected substring of the one error line); {d} is a scratch folder, {out} a fresh output folder
CASES = [
    # no command / unknown command / renamed options
    ([], "choose a command"),
    (["frobnicate"], "invalid choice"),
    (["estimate", "--n", "5", "--T", "3"], "--n was renamed --params"),
    (["estimate", "--params", "5", "--T", "3", "--N", "2"], "--N was renamed --order"),
    (["simulate", "--N", "3"], "--order"),
    # demo: options
    (["demo", "--eta", "0"], "--eta: must be > 0"),
    (["demo", "--eta", "-0.1"], "--eta"),
    (["demo", "--eta", "nan"], "finite"),
    (["demo", "--eta", "fast"], "expected a number"),
    (["demo", "--T", "0"], "--T"),
    (["demo", "--T", "1.5"], "expected an integer"),
    (["demo", "--T", "1e400"], "expected an integer"),
    (["demo", "--order", "0"], "--order"),
    (["demo", "--epsilon", "0"], "(0, 1)"),
    (["demo", "--epsilon", "1"], "(0, 1)"),
    (["demo", "--epsilon", "2"], "--epsilon"),
    (["demo", "--tomography-precision", "0"], "--tomography-precision"),
    (["demo", "--delta", "0"], "--delta"),  # the deprecated spelling checks its value the same way
    (["demo", "--error-budget", "1.5"], "--error-budget"),
    (["demo", "--preset", "nope"], "unknown qubit preset"),
    (["demo", "--loading", "tape"], "invalid choice"),
    (["demo", "--seed", "-1"], "--seed"),
    (["demo", "--seed", "x"], "--seed"),
    (["demo", "--frobnicate"], "unrecognized arguments"),
    # demo: the output folder, checked before the pipeline starts
    (["demo", "--out", "{d}/a_file"], "is a file"),
    (["demo", "--out", "{d}/a_file/sub"], "is a file"),
    (["demo", "--out", "{d}/foreign"], "not written by pyqgd"),
    # analyze: options that do not fit together (no torch needed)
    (["analyze", "resnet"], "invalid choice: 'resnet'"),
    (["analyze", "transformer", "--model-file", "{d}/m.pt", "--data-file", "{d}/d.pt"], "either a built-in model"),
    (["analyze", "--model-file", "{d}/m.pt"], "go together"),
    (["analyze", "--data-file", "{d}/d.pt"], "go together"),
    (["analyze", "mlp", "--loss", "mse"], "--loss applies to --model-file only"),
    (["analyze", "--model-class", "pkg:Net"], "--model-class applies to --model-file only"),
    (["analyze", "--unsafe-load"], "--unsafe-load and --unsafe-load-data apply"),
    (["analyze", "--unsafe-load-data"], "--unsafe-load and --unsafe-load-data apply"),
    (["analyze", "--prune", "1"], "--prune"),
    (["analyze", "--prune", "-0.1"], "--prune"),
    (["analyze", "--loss", "hinge"], "invalid choice"),
    (["analyze", "--eta", "0"], "must be > 0"),
    (["analyze", "--preset", "qubit_gate_xx"], "unknown qubit preset"),
    (["analyze", "--out", "{d}/a_file"], "is a file"),
    # simulate
    (["simulate", "--params", "0"], "--params"),
    (["simulate", "--params", "x"], "--params"),
    (["simulate", "--params", "2000"], "simulator limit"),
    (["simulate", "--order", "40"], "limit of 4"),
    (["simulate", "--T", "100000"], "simulator limit"),
    (["simulate", "--T", "-1"], "--T"),
    (["simulate", "--eta", "0"], "--eta"),
    (["simulate", "--epsilon", "1.5"], "--epsilon"),
    (["simulate", "--seed", "2.5"], "--seed"),
    # estimate
    (["estimate", "--T", "10"], "required: --params"),
    (["estimate", "--params", "1000"], "required: --T"),
    (["estimate", "--params", "-5", "--T", "10"], "--params"),
    (["estimate", "--params", "abc", "--T", "10"], "--params"),
    (["estimate", "--params", "1e400", "--T", "10"], "--params"),
    (["estimate", "--params", "1000", "--T", "0"], "--T"),
    (["estimate", "--params", "1000", "--T", "2.5"], "expected an integer"),
    (EST + ["--s", "0"], "--s"),
    (EST + ["--s", "2000"], "exceeds --params"),
    (EST + ["--order", "0"], "--order"),
    (EST + ["--epsilon", "0"], "--epsilon"),
    (EST + ["--tomography-precision", "1"], "--tomography-precision"),
    (EST + ["--delta", "1"], "--delta"),
    (EST + ["--error-budget", "0"], "--error-budget"),
    (["estimate", "--params", "1000", "--T", "10", "--preset", "qubit_gate_xx"], "unknown qubit preset"),
    (EST + ["--loading", "tape"], "invalid choice"),
    (EST + ["--out", "{d}/a_file"], "is a file"),
    (EST + ["--out", "{d}/foreign_est"], "not written by pyqgd"),
]


@pytest.mark.parametrize("argv,needle", CASES, ids=[" ".join(c[0])[:60] or "(none)" for c in CASES])
def test_user_mistake_is_one_line_exit_2(argv, needle, paths, capsys, monkeypatch):
    import pyqgd.report.pipeline as pipeline

    def must_not_run(*a, **k):
        raise AssertionError("the pipeline started although the input is invalid")

    monkeypatch.setattr(pipeline, "analyze", must_not_run)
    argv = [a.replace("{d}", str(paths)) for a in argv]
    code, out, err = run(argv, capsys)
    command = argv[0] if argv and argv[0] in ("demo", "analyze", "simulate", "estimate") else None
    assert_one_line(code, err, 2, needle, command)
    assert out == ""


def test_read_only_output_folder(tmp_path, capsys):
    if os.geteuid() == 0:
        pytest.skip("root can write into read-only folders")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        code, _, err = run(EST + ["--out", ro], capsys)
        assert_one_line(code, err, 2, "cannot write", "estimate")
        code, _, err = run(["demo", "--out", ro / "sub"], capsys)
        assert_one_line(code, err, 2, "permission denied", "demo")
    finally:
        ro.chmod(0o700)


def test_read_only_file_system_is_refused_up_front(tmp_path, capsys, monkeypatch):
    """As root a chmod-ed folder stays writable, so the read-only file system is simulated where the probe writes."""
    import errno

    from pyqgd.report import io

    def read_only(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(io.tempfile, "mkstemp", read_only)
    code, _, err = run(["demo", "--out", tmp_path / "o"], capsys)
    assert_one_line(code, err, 2, "read-only", "demo")


def test_full_disk_is_refused_up_front(tmp_path, capsys, monkeypatch):
    from pyqgd.report import io

    monkeypatch.setattr(io.OutputDir, "free_bytes", staticmethod(lambda folder: 10 * 2**20))
    code, _, err = run(["demo", "--out", tmp_path / "o"], capsys)
    assert_one_line(code, err, 2, "free", "demo")


def test_disk_full_while_writing_keeps_the_previous_file(tmp_path, capsys, monkeypatch):
    import errno

    from pyqgd.report import io

    assert run(EST + ["--out", tmp_path], capsys)[0] == 0
    before = (tmp_path / "estimate.json").read_text()

    def full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(io, "atomic_write_bytes", full)
    code, _, err = run(EST + ["--out", tmp_path, "--T", "11"], capsys)
    assert_one_line(code, err, 2, "no space left", "estimate")
    assert (tmp_path / "estimate.json").read_text() == before
    assert io.report_state(tmp_path, "estimate.json") == "complete"


def test_analyze_without_torch_names_the_extra(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    code, _, err = run(["analyze", "mlp"], capsys)
    assert_one_line(code, err, 2, "pip install -e '.[torch]'", "analyze")


# ---- model and data files --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def files(tmp_path_factory):
    torch = pytest.importorskip("torch")
    d = tmp_path_factory.mktemp("files")
    (d / "user_nets.py").write_text(
        "import torch\n"
        "class Net(torch.nn.Sequential):\n"
        "    def __init__(self):\n"
        "        super().__init__(torch.nn.Linear(3, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1))\n"
        "class TwoOut(torch.nn.Sequential):\n"
        "    def __init__(self):\n"
        "        super().__init__(torch.nn.Linear(3, 2))\n"
        "class Frozen(Net):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        for p in self.parameters():\n"
        "            p.requires_grad_(False)\n"
        "class Wide(torch.nn.Sequential):\n"
        "    def __init__(self):\n"
        "        super().__init__(torch.nn.Linear(5, 1))\n"
        "class NeedsArgs(torch.nn.Module):\n"
        "    def __init__(self, width):\n"
        "        super().__init__()\n"
        "not_a_class = 3\n")
    sys.path.insert(0, str(d))
    import user_nets

    torch.manual_seed(0)
    net = user_nets.Net()
    torch.save(net.state_dict(), d / "net_sd.pt")
    torch.save(user_nets.TwoOut().state_dict(), d / "two_sd.pt")
    torch.jit.save(torch.jit.script(net), d / "net_ts.pt")
    torch.save(net, d / "net_pickled.pt")
    X, y = torch.randn(8, 3), torch.randn(8, 1)
    torch.save((X, y), d / "data.pt")
    torch.save((X, y.reshape(-1)), d / "data_flat_targets.pt")
    torch.save((X, torch.randint(0, 2, (8,))), d / "data_labels.pt")
    torch.save((X, torch.randint(0, 2, (8, 1))), d / "data_int_col.pt")
    torch.save((X, torch.full((8,), 5)), d / "data_labels_out_of_range.pt")
    torch.save((X[:0], y[:0]), d / "data_empty.pt")
    torch.save((torch.randn(8, 7), y), d / "data_wrong_features.pt")
    torch.save((X, y[:5]), d / "data_mismatch.pt")
    torch.save(X, d / "data_single.pt")
    torch.save({"x": X}, d / "data_dict.pt")
    bad = X.clone()
    bad[0, 0] = float("nan")
    torch.save((bad, y), d / "data_nan.pt")
    (d / "empty.pt").write_bytes(b"")
    (d / "text.pt").write_text("hello, this is not a torch file\n")
    raw = (d / "net_sd.pt").read_bytes()
    (d / "truncated.pt").write_bytes(raw[: len(raw) // 2])
    raw = (d / "data.pt").read_bytes()
    (d / "data_truncated.pt").write_bytes(raw[: len(raw) // 2])
    (d / "adir.pt").mkdir()
    yield d
    sys.path.remove(str(d))


#: --model-class values that cannot load the state_dict net_sd.pt (with data.pt)
CLASS_CASES = {
    "no_such_module_xyz:Net": "cannot import",
    "user_nets:Missing": "has no 'Missing'",
    "user_nets": "module:Class",
    "user_nets:not_a_class": "not a class",
    "user_nets:NeedsArgs": "without arguments",
    "user_nets:TwoOut": "does not fit",
    "user_nets:Frozen": "requires_grad=False",
}
#: (data file, extra options) that the state_dict net_sd.pt loaded into user_nets:Net refuses
DATA_CASES = [
    # the data file itself
    ("empty.pt", (), "is empty"),
    ("text.pt", (), "not a readable torch file"),
    ("data_truncated.pt", (), "not a readable torch file"),
    ("data_single.pt", (), "(inputs, targets)"),
    ("data_dict.pt", (), "(inputs, targets)"),
    ("data_empty.pt", (), "empty batch"),
    ("data_mismatch.pt", (), "must match"),
    ("data_nan.pt", (), "NaN"),
    ("net_pickled.pt", (), "--unsafe-load"),
    # model and data together
    ("data_wrong_features.pt", (), "number of input features"),
    ("data_labels.pt", ("--loss", "mse"), "--loss cross_entropy"),
    ("data_int_col.pt", (), "integers"),
    ("data_flat_targets.pt", (), "reshape the targets"),
    ("data_labels.pt", ("--loss", "cross_entropy"), "classes ≥ 2"),
]
FILE_CASES = [
    # model file: unreadable / not torch / not a model
    (["net_sd.pt", "missing.pt"], "no such file"),
    (["missing.pt", "data.pt"], "no such file"),
    (["empty.pt", "data.pt"], "is empty"),
    (["text.pt", "data.pt"], "not a readable torch file"),
    (["truncated.pt", "data.pt", "--model-class", "user_nets:Net"], "not a readable torch file"),
    (["adir.pt", "data.pt"], "is not a file"),
    (["data.pt", "data.pt"], "not a model"),
    (["net_pickled.pt", "data.pt"], "--unsafe-load"),
    # a state_dict needs --model-class
    (["net_sd.pt", "data.pt"], "--model-class module:Class"),
    *((["net_sd.pt", "data.pt", "--model-class", cls], needle) for cls, needle in CLASS_CASES.items()),
    # TorchScript is code: refused unless --unsafe-load, and then only into --model-class
    (["net_ts.pt", "data.pt", "--model-class", "user_nets:Net"], "TorchScript, which is code"),
    (["net_ts.pt", "data.pt"], "TorchScript, which is code"),
    (["net_ts.pt", "data.pt", "--unsafe-load"], "pass --model-class"),
    *((["net_sd.pt", data, "--model-class", "user_nets:Net", *extra], needle) for data, extra, needle in DATA_CASES),
    # a two-output model
    (["two_sd.pt", "data_labels_out_of_range.pt", "--model-class", "user_nets:TwoOut", "--loss", "cross_entropy"],
     "labels must be in [0, 1]"),
    (["two_sd.pt", "data.pt", "--model-class", "user_nets:TwoOut", "--loss", "cross_entropy"], "probabilities"),
]


@pytest.mark.parametrize("argv,needle", FILE_CASES, ids=[" ".join(c[0])[:60] for c in FILE_CASES])
def test_bad_model_or_data_file_is_one_line_exit_2(argv, needle, files, tmp_path, capsys, monkeypatch):
    import pyqgd.report.pipeline as pipeline

    monkeypatch.setattr(pipeline, "analyze", lambda *a, **k: pytest.fail("the pipeline started on invalid input"))
    model, data, *rest = argv
    code, out, err = run(["analyze", "--model-file", files / model, "--data-file", files / data, "--out",
                          tmp_path / "o", *rest], capsys)
    assert_one_line(code, err, 2, needle, "analyze")


def test_case_count():
    assert len(CASES) + len(FILE_CASES) + 6 >= 60  # + the read-only (2), full-disk (2), no-torch and malicious cases


def test_malicious_pickle_is_refused_without_running_it(tmp_path, capsys, monkeypatch):
    """A torch.save()d object whose unpickling would run a command: refused, and the command never runs."""
    torch = pytest.importorskip("torch")
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    torch.save({"weight": Payload()}, tmp_path / "evil_model.pt")
    torch.save((Payload(), torch.zeros(2)), tmp_path / "evil_data.pt")
    torch.save((torch.zeros(2, 3), torch.zeros(2, 1)), tmp_path / "data.pt")
    torch.save(torch.nn.Linear(3, 1).state_dict(), tmp_path / "ok_model.pt")
    (tmp_path / "lin_nets.py").write_text("import torch\nclass Lin(torch.nn.Linear):\n"
                                          "    def __init__(self):\n        super().__init__(3, 1)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    cls = ["--model-class", "lin_nets:Lin"]
    for model, data, extra in (("evil_model.pt", "data.pt", cls), ("ok_model.pt", "evil_data.pt", cls),
                               ("ok_model.pt", "evil_data.pt", cls + ["--unsafe-load"])):
        # --unsafe-load is for the model file only: the data file is still read as tensors
        code, _, err = run(["analyze", "--model-file", tmp_path / model, "--data-file", tmp_path / data,
                            "--out", tmp_path / "o", *extra], capsys)
        assert_one_line(code, err, 2, "can run code when loaded", "analyze")
        assert ("--unsafe-load-data" in err) == (data == "evil_data.pt")
        assert not marker.exists() and not (tmp_path / "o").exists()
    # the same file under --unsafe-load does run it: the flag's warning is not idle
    with pytest.raises(Exception):
        from pyqgd.models.files import load_model_file

        load_model_file(tmp_path / "evil_model.pt", unsafe=True)
    assert marker.exists()


# ---- bugs: exit 1, one line, traceback only with --debug -------------------------------------------------------------

def _boom(exc):
    def f(*a, **k):
        raise exc
    return f


@pytest.mark.parametrize("exc", [ZeroDivisionError("float division by zero"), KeyError("x"),
                                 TypeError("unsupported operand"), RuntimeError("solver blew up")])
def test_internal_error_is_exit_1_one_line(exc, capsys, monkeypatch):
    import pyqgd.cli as cli

    monkeypatch.setattr(cli, "estimate_model", _boom(exc))
    code, out, err = run(EST, capsys)
    assert code == 1 and out == ""
    lines = err.strip().split("\n")
    assert len(lines) == 1 and "Traceback" not in err
    assert lines[0].startswith("pyqgd estimate: internal error, please report") and type(exc).__name__ in lines[0]
    code, _, err = run(["--debug"] + EST, capsys)
    assert code == 1 and "Traceback" in err and err.strip().split("\n")[-1].startswith("pyqgd estimate: internal")
    code, _, err = run(EST + ["--debug"], capsys)
    assert code == 1 and "Traceback" in err


def test_library_type_error_is_a_bug_but_a_deliberate_check_is_not(capsys, monkeypatch):
    """A TypeError raised inside numpy is a bug (exit 1); one raised by a pyqgd input check is a mistake (exit 2)."""
    import numpy as np

    import pyqgd.cli as cli

    monkeypatch.setattr(cli, "estimate_model", lambda *a, **k: np.add("a", 1))
    assert run(EST, capsys)[0] == 1
    from pyqgd._checks import check_positive_int

    monkeypatch.setattr(cli, "estimate_model", lambda *a, **k: check_positive_int(1.5, "T"))
    code, _, err = run(EST, capsys)
    assert_one_line(code, err, 2, "T must be an integer", "estimate")


def test_progress_bar_is_closed_before_the_error_line(tmp_path, capsys, monkeypatch):
    from tqdm.auto import tqdm

    import pyqgd.report.pipeline as pipeline

    def analyze_with_bar(*a, **k):
        bar = tqdm(total=6, desc="pyqgd demo", leave=False, file=sys.stderr)
        bar.update(2)
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr(pipeline, "analyze", analyze_with_bar)
    code, _, err = run(["demo", "--out", tmp_path], capsys)
    assert code == 1
    assert not list(getattr(tqdm, "_instances", ()))
    last = err.rstrip("\n").split("\n")[-1].split("\r")[-1]
    assert last.startswith("pyqgd demo: internal error")


# ---- a refused run leaves --out untouched ------------------------------------------------------------------------

def _snapshot(folder):
    if not folder.exists():
        return None
    return {p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else None, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*"))} | {".": folder.stat().st_mtime_ns}


REFUSED = [
    (EST + ["--order", "30"], "limit of 6"),
    (EST + ["--params", "1e30"], "limit of 1e+15"),
    (EST + ["--params", "9.3e18"], "limit of 1e+15"),
    (EST + ["--params", "1e9", "--s", "1e4"], "block-encoding sparse"),
    (EST + ["--epsilon", "1e-300"], "1e-12"),
    (EST + ["--T", "1e13"], "segments"),
    (["demo", "--order", "30"], "limit of 4"),
    (["demo", "--order", "12"], "limit of 4"),
    (["demo", "--epsilon", "1e-13"], "1e-12"),
    (["analyze", "--order", "20"], "limit of 4"),
    (["analyze", "--max-params", "1e6"], "max_params"),
    (["simulate", "--order", "200"], "limit of 4"),
    (["demo", "--preset", "nope"], "unknown qubit preset"),
]


@pytest.mark.parametrize("argv,needle", REFUSED, ids=[" ".join(c[0])[-40:] for c in REFUSED])
def test_refused_run_leaves_out_untouched(argv, needle, tmp_path, capsys):
    """Refused before any work: exit 2, one line, and --out exactly as it was (an earlier report and a user's file
    in it unchanged, not even its mtime) — or still absent."""
    import time

    existing, absent = tmp_path / "existing", tmp_path / "absent"
    assert main(EST + ["--out", str(existing), "--block-encoding", "sparse", "--loading", "qrom"]) == 0
    (existing / "notes.txt").write_text("mine")
    capsys.readouterr()
    before = _snapshot(existing)
    time.sleep(0.01)
    for out in (existing, absent):
        extra = [] if argv[0] == "simulate" else ["--out", str(out)]
        t0 = time.perf_counter()
        code, _, err = run(argv + extra, capsys)
        assert time.perf_counter() - t0 < 10
        assert_one_line(code, err, 2, needle, argv[0])
    assert _snapshot(existing) == before and not absent.exists()


def test_files_refused_leave_out_untouched(files, tmp_path, capsys):
    out = tmp_path / "o"
    for model, data in (("net_ts.pt", "data.pt"), ("net_pickled.pt", "data.pt"), ("net_sd.pt", "net_pickled.pt")):
        code, _, err = run(["analyze", "--model-file", files / model, "--data-file", files / data,
                            "--model-class", "user_nets:Net", "--out", out], capsys)
        assert code == 2 and not out.exists(), err


def test_torchscript_payload_never_runs_by_default(tmp_path, capsys):
    """A TorchScript module whose forward writes a file (torch.from_file(path, shared=True) creates it) is refused
    as code without --unsafe-load: the file is never created and --out never touched."""
    torch = pytest.importorskip("torch")
    marker = tmp_path / "written_by_the_model"

    class Evil(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(3, 1)
            self.path = str(marker)

        def forward(self, x):
            written = torch.from_file(self.path, shared=True, size=8)
            return self.lin(x) + 0.0 * written.sum()

    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(torch.jit.script(Evil()), tmp_path / "evil_ts.pt")
    torch.save((torch.zeros(4, 3), torch.zeros(4, 1)), tmp_path / "data.pt")
    code, _, err = run(["analyze", "--model-file", tmp_path / "evil_ts.pt", "--data-file", tmp_path / "data.pt",
                        "--out", tmp_path / "o"], capsys)
    assert_one_line(code, err, 2, "TorchScript, which is code", "analyze")
    assert not marker.exists() and not (tmp_path / "o").exists()
    torch.jit.load(str(tmp_path / "evil_ts.pt"))(torch.zeros(1, 3))  # the payload is real: running it writes
    assert marker.exists()
