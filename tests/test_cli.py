"""The pyqgd command line: outputs, JSON, and one-line errors with a non-zero exit code."""

import json

import numpy as np
import pytest

from pyqgd.cli import main


def test_demo_writes_report_and_plots(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--T", "20", "--preset", "qubit_gate_ns_e4", "--seed", "0"]) == 0
    out = capsys.readouterr().out
    assert "VERDICT: DISSIPATIVE" in out and "Q# simulation" in out and "qubit_gate_ns_e4" in out
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["T"] == 20 and report["verdict"] == "dissipative"
    rows = report["carleman_check"]["rows"]
    assert [r["N"] for r in rows] == [1, 2, 3, 4]
    assert all(r["error_vs_gd"] <= r["bound"] for r in rows)
    assert all(a["error_vs_gd"] > b["error_vs_gd"] for a, b in zip(rows, rows[1:]))
    sim = report["simulation"]
    assert sim["fidelity_carleman"] > 0.99
    # the demo's solve ran the Q# circuit (calls counted by the program) at the longest T within its budget
    assert sim["calls_counted_by_qsharp"] and sim["how"].startswith("Q# circuit, ")
    assert 1 <= sim["T"] <= 4 and f"T = {sim['T']} of the problem's 20" in sim["note"]
    assert "Q# circuit" in out and sim["note"] in out
    for name in ("trajectory_error", "spectrum", "error_proxy", "cost_breakdown", "qubits_runtime", "break_even"):
        assert (tmp_path / f"{name}.png").stat().st_size > 1000
    # reproducibility: versions and every input recorded; the manifest lists exactly the files written
    prov = report["provenance"]
    assert prov["command"] == "demo"
    assert set(prov["versions"]) >= {"pyqgd", "qdk", "numpy", "scipy"} and all(prov["versions"].values())
    inputs = prov["inputs"]
    assert inputs["seed"] == 0 and inputs["N"] == 2 and inputs["T"] == 20 and inputs["eta"] == 0.3
    assert inputs["tomography_precision"] == 1e-2 and inputs["error_budget"] == 1e-3 and inputs["epsilon"] == 1e-2
    assert inputs["presets"] == ["qubit_gate_ns_e4"] and inputs["loadings"]
    from pyqgd.report.io import MANIFEST, report_state

    assert report_state(tmp_path) == "complete"
    listed = set(json.loads((tmp_path / MANIFEST).read_text())["files"])
    assert listed == {p.name for p in tmp_path.iterdir() if p.name != MANIFEST}


def test_delta_is_a_deprecated_spelling_of_tomography_precision(capsys):
    """--tomography-precision is the read-out precision δ (delta elsewhere is an amplification failure probability);
    the old --delta still sets it, with a warning that names the new option."""
    from pyqgd.cli import build_parser

    for command in (["demo"], ["analyze"], ["estimate", "--params", "1000", "--T", "10"]):
        assert build_parser().parse_args(command).tomography_precision == 1e-2
        assert build_parser().parse_args(command + ["--tomography-precision", "0.05"]).tomography_precision == 0.05
        assert capsys.readouterr().err == ""
        assert build_parser().parse_args(command + ["--delta", "0.05"]).tomography_precision == 0.05
        assert "--delta is deprecated, use --tomography-precision" in capsys.readouterr().err
    assert main(["estimate", "--params", "1000", "--T", "10", "--preset", "qubit_maj_ns_e6", "--delta", "0.1",
                 "--json"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["provenance"]["inputs"]["tomography_precision"] == 0.1
    assert out.err.count("\n") == 1 and "deprecated" in out.err


def test_bad_input_exits_nonzero_with_one_line(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--eta", "-0.1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("pyqgd demo: error:") and "eta" in err and "\n" not in err
    assert main(["demo", "--out", str(tmp_path), "--preset", "nope"]) == 2
    assert "unknown qubit preset" in capsys.readouterr().err


_TINY_NETS = (
    "import torch\n"
    "class Net(torch.nn.Sequential):\n"
    "    def __init__(self):\n"
    "        super().__init__(torch.nn.Linear(3, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1))\n"
    "        self.double()\n"
    "class NormNet(torch.nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.a = torch.nn.Linear(3, 4)\n"
    "        self.norm = torch.nn.LayerNorm(4)\n"
    "        self.b = torch.nn.Linear(4, 1)\n"
    "        self.double()\n"
    "    def forward(self, x):\n"
    "        return self.b(torch.tanh(self.norm(self.a(x))))\n")


def _tiny_model_files(tmp_path, monkeypatch):
    """A state_dict of tiny_nets:Net (the safe format) and its data; tiny_nets importable."""
    torch = pytest.importorskip("torch")
    (tmp_path / "tiny_nets.py").write_text(_TINY_NETS)
    monkeypatch.syspath_prepend(str(tmp_path))
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1)).double()
    X = torch.randn(40, 3, dtype=torch.float64)
    y = torch.tanh(X @ torch.tensor([[0.5], [-1.0], [0.3]], dtype=torch.float64))
    torch.save(model.state_dict(), tmp_path / "weights.pt")  # weights only: loads without running code
    torch.jit.save(torch.jit.script(model), tmp_path / "model_ts.pt")
    torch.save((X, y), tmp_path / "data.pt")
    return tmp_path / "weights.pt", tmp_path / "data.pt"


def test_analyze_saved_model(tmp_path, capsys, monkeypatch):
    model, data = _tiny_model_files(tmp_path, monkeypatch)
    out = tmp_path / "out"
    args = ["analyze", "--model-file", str(model), "--model-class", "tiny_nets:Net", "--data-file", str(data),
            "--prune", "0", "--eta", "0.05", "--T", "10", "--no-simulate", "--preset", "qubit_maj_ns_e6",
            "--out", str(out), "--json"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 11 and report["verdict"] in ("dissipative", "almost dissipative", "not applicable")
    assert report["provenance"]["inputs"]["model_loading"] == "state_dict into tiny_nets:Net"
    assert len(report["spectrum"]["eigenvalues"]) == 11
    rows = report["carleman_check"]["rows"]
    assert rows[1]["error_vs_quadratic"] < rows[0]["error_vs_quadratic"] / 10
    assert (out / "report.json").is_file() and (out / "spectrum.png").is_file()


def test_torchscript_is_code_refused_by_default_and_same_answer_with_unsafe_load(tmp_path, capsys, monkeypatch):
    """TorchScript is refused without --unsafe-load; with it (and --model-class) the weights go into the eager class,
    so the spectrum is the state_dict path's to the last digit."""
    weights, data = _tiny_model_files(tmp_path, monkeypatch)
    common = ["--data-file", str(data), "--prune", "0", "--eta", "0.05", "--T", "10", "--no-simulate",
              "--preset", "qubit_maj_ns_e6", "--json"]
    ts = str(tmp_path / "model_ts.pt")
    assert main(["analyze", "--model-file", ts, "--out", str(tmp_path / "r")] + common) == 2
    err = capsys.readouterr().err
    assert "TorchScript, which is code" in err and "--unsafe-load" in err and not (tmp_path / "r").exists()
    assert main(["analyze", "--model-file", ts, "--unsafe-load", "--out", str(tmp_path / "r")] + common) == 2
    assert "--model-class" in capsys.readouterr().err
    assert main(["analyze", "--model-file", str(weights), "--model-class", "tiny_nets:Net",
                 "--out", str(tmp_path / "a")] + common) == 0
    a = json.loads(capsys.readouterr().out)
    assert main(["analyze", "--model-file", ts, "--model-class", "tiny_nets:Net", "--unsafe-load",
                 "--out", str(tmp_path / "b")] + common) == 0
    b = json.loads(capsys.readouterr().out)
    assert "--unsafe-load" in b["provenance"]["inputs"]["model_loading"]
    assert a["spectrum"]["eigenvalues"] == b["spectrum"]["eigenvalues"] and a["eta"] == b["eta"]


def test_same_model_same_answer_however_loaded(tmp_path, monkeypatch):
    """A model with a LayerNorm saved as a state_dict, as TorchScript and as a pickled module: pruning with every
    keep= option keeps the same entries, and the Hessian is the same, whichever way it was loaded."""
    torch = pytest.importorskip("torch")
    from pyqgd.models import prune
    from pyqgd.models.files import load_model_file

    _tiny_model_files(tmp_path, monkeypatch)
    import tiny_nets

    torch.manual_seed(1)
    net = tiny_nets.NormNet()
    with torch.no_grad():
        net.norm.weight.mul_(0.01)  # small gains: magnitude pruning would cut them unless keep="norm"
    torch.save(net.state_dict(), tmp_path / "sd.pt")
    torch.jit.save(torch.jit.script(net), tmp_path / "ts.pt")
    torch.save(net, tmp_path / "full.pt")
    loaded = [load_model_file(tmp_path / "sd.pt", model_class="tiny_nets:NormNet"),
              load_model_file(tmp_path / "ts.pt", model_class="tiny_nets:NormNet", unsafe=True),
              load_model_file(tmp_path / "full.pt", unsafe=True)]
    for keep in (("norm", "bias"), ("norm",), ("bias",), ()):
        masks = [prune(m, 0.5, keep=keep).mask.keep for m in loaded]
        assert all(np.array_equal(masks[0], k) for k in masks[1:]), keep
    direct = prune(net, 0.5, keep=("norm",)).mask.keep
    assert np.array_equal(direct, prune(loaded[1], 0.5, keep=("norm",)).mask.keep)
    names = [n for n, p in net.named_parameters() for _ in range(p.numel())]
    kept = {n for n, k in zip(names, direct) if k}
    assert "norm.weight" in kept  # the gains survive although they are the smallest entries
    x = torch.randn(5, 3, dtype=torch.float64)
    outs = [m(x) for m in loaded]
    assert all(torch.equal(outs[0], o) for o in outs[1:])


def test_analyze_bad_input(tmp_path, capsys, monkeypatch):
    assert main(["analyze", "--model-file", str(tmp_path / "missing.pt"), "--data-file", str(tmp_path / "d.pt"),
                 "--out", str(tmp_path / "o")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["analyze", "resnet"]) == 2
    assert "invalid choice: 'resnet'" in capsys.readouterr().err
    import sys

    monkeypatch.setitem(sys.modules, "torch", None)  # as if the torch extra were not installed
    assert main(["analyze", "mlp"]) == 2
    assert "pip install -e '.[torch]'" in capsys.readouterr().err


def test_simulate_toy_on_qsharp(capsys):
    assert main(["simulate", "--params", "2", "--order", "1", "--T", "2"]) == 0  # N = 2 takes ~65 s
    out = capsys.readouterr().out
    fid = float(out.split("fidelity with classical Carleman u_T: ")[1].split(";")[0])
    assert fid > 0.99


def test_simulate_bad_input(capsys):
    assert main(["simulate", "--T", "-1"]) == 2
    assert "T" in capsys.readouterr().err


def test_estimate_json_and_file(tmp_path, capsys):
    args = ["estimate", "--params", "1000", "--T", "10", "--preset", "qubit_maj_ns_e6", "--loading", "qram", "--json",
            "--out", str(tmp_path)]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    est = report["estimates"]
    assert est[0]["n"] == 1000 and est[0]["loading"] == "qram"
    assert est[0]["physical"][0]["preset"] == "qubit_maj_ns_e6" and est[0]["physical"][0]["physical_qubits"] > 0
    assert est[0]["classical_seconds"] > 0
    assert json.loads((tmp_path / "estimate.json").read_text()) == report
    inputs = report["provenance"]["inputs"]
    assert inputs == {"n": 1000, "T": 10, "s": 8, "N": 2, "epsilon": 1e-2, "tomography_precision": 1e-2,
                      "error_budget": 1e-3, "presets": ["qubit_maj_ns_e6"], "loadings": ["qram"], "readout": None,
                      "block_encoding": "auto", "solver": "auto"}
    assert est[0]["block_encoding"] == "sparse"  # "auto" with QRAM loading: the Kronecker encoding is QROM-only
    assert set(report["provenance"]["versions"]) >= {"pyqgd", "qdk", "numpy", "scipy"}
    # a second run replaces the file pyqgd wrote; a user's file is never replaced without --force
    assert main(args) == 0
    capsys.readouterr()
    (tmp_path / "estimate.json").write_text("my own notes")
    assert main(args) == 2
    assert "--force" in capsys.readouterr().err and (tmp_path / "estimate.json").read_text() == "my own notes"
    assert main(args + ["--force"]) == 0
    assert json.loads((tmp_path / "estimate.json").read_text())["estimates"][0]["n"] == 1000


def test_estimate_loading_all_uses_every_loading(capsys):
    from pyqgd.estimate import LOADINGS

    assert main(["estimate", "--params", "1000", "--T", "10", "--preset", "qubit_maj_ns_e6", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [e["loading"] for e in report["estimates"]] == list(LOADINGS)


def test_estimate_table_output(capsys):
    assert main(["estimate", "--params", "1000", "--T", "10", "--preset", "qubit_maj_ns_e6"]) == 0
    out = capsys.readouterr().out
    assert "QROM" in out and "QRAM" in out and "qubit_maj_ns_e6" in out and "classical GPU" in out


def test_version(capsys):
    from importlib.metadata import version

    import pyqgd

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"pyqgd {pyqgd.__version__}"
    assert version("pyqgd") == pyqgd.__version__  # pyproject.toml reads the version from the package


def test_version_from_the_installed_script():
    import shutil
    import subprocess
    import sys

    import pyqgd

    exe = shutil.which("pyqgd") or str(__import__("pathlib").Path(sys.executable).with_name("pyqgd"))
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == f"pyqgd {pyqgd.__version__}" and out.stderr == ""


@pytest.mark.parametrize("command", ["demo", "analyze", "simulate", "estimate"])
def test_help_has_examples_and_distinct_size_and_order_options(command, capsys):
    assert main([command, "--help"]) == 0
    text = capsys.readouterr().out
    assert "examples:" in text and f"pyqgd {command}" in text.split("examples:")[1]
    assert "--order" in text and "--n " not in text and "--N " not in text
    if command in ("simulate", "estimate"):
        assert "--params" in text


def test_estimate_bad_input(capsys):
    assert main(["estimate", "--params", "1000", "--T", "10", "--preset", "qubit_gate_xx"]) == 2
    assert "unknown qubit preset" in capsys.readouterr().err
    assert main(["estimate", "--params", "-5", "--T", "10"]) == 2
    assert "--params" in capsys.readouterr().err
    assert main(["estimate", "--params", "1000", "--T", "10", "--epsilon", "2"]) == 2
    assert "epsilon" in capsys.readouterr().err


def test_estimate_block_encoding_and_solver_choices(capsys):
    """--block-encoding kronecker is costed (QROM and QROAM) and cheaper per call than the built sparse oracles at the same
    size; the default "auto" picks it; a loading it does not model is refused in one line."""
    base = ["estimate", "--params", "1000", "--T", "10", "--preset", "qubit_maj_ns_e6", "--json"]
    assert main(base + ["--loading", "qrom", "--block-encoding", "sparse"]) == 0
    sparse = json.loads(capsys.readouterr().out)["estimates"][0]
    assert sparse["block_encoding"] == "sparse"
    assert main(base + ["--loading", "qrom"]) == 0
    auto = json.loads(capsys.readouterr().out)["estimates"][0]
    assert auto["block_encoding"] == "kronecker" and auto["kappa"] < sparse["kappa"]
    assert main(base + ["--block-encoding", "kronecker", "--solver", "auto"]) == 0
    kron = json.loads(capsys.readouterr().out)
    assert [e["loading"] for e in kron["estimates"]] == ["qrom", "selectswap"]
    assert kron["provenance"]["inputs"]["block_encoding"] == "kronecker"
    assert kron["estimates"][0]["kappa"] < sparse["kappa"]
    assert main(base + ["--block-encoding", "kronecker", "--loading", "qram"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "QROM" in err[0]
