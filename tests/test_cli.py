"""The pyqgd command line: outputs, JSON, and one-line errors with a non-zero exit code."""

import json

import pytest

from pyqgd.cli import main


def test_demo_writes_report_and_plots(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--T", "20", "--preset", "qubit_gate_ns_e4"]) == 0
    out = capsys.readouterr().out
    assert "VERDICT: DISSIPATIVE" in out and "Q# simulation" in out and "qubit_gate_ns_e4" in out
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["T"] == 20 and report["verdict"] == "dissipative"
    rows = report["carleman_check"]["rows"]
    assert [r["N"] for r in rows] == [1, 2, 3, 4]
    assert all(r["error_vs_gd"] <= r["bound"] for r in rows)
    assert all(a["error_vs_gd"] > b["error_vs_gd"] for a, b in zip(rows, rows[1:]))
    assert report["simulation"]["fidelity_carleman"] > 0.99
    for name in ("trajectory_error", "spectrum", "error_proxy", "cost_breakdown", "qubits_runtime", "break_even"):
        assert (tmp_path / f"{name}.png").stat().st_size > 1000


def test_bad_input_exits_nonzero_with_one_line(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--eta", "-0.1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("pyqgd demo: error:") and "eta" in err and "\n" not in err
    assert main(["demo", "--out", str(tmp_path), "--preset", "nope"]) == 2
    assert "unknown qubit preset" in capsys.readouterr().err


def _tiny_model_files(tmp_path):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1)).double()
    X = torch.randn(40, 3, dtype=torch.float64)
    y = torch.tanh(X @ torch.tensor([[0.5], [-1.0], [0.3]], dtype=torch.float64))
    torch.save(model, tmp_path / "model.pt")
    torch.save((X, y), tmp_path / "data.pt")
    return tmp_path / "model.pt", tmp_path / "data.pt"


def test_analyze_saved_model(tmp_path, capsys):
    model, data = _tiny_model_files(tmp_path)
    out = tmp_path / "out"
    args = ["analyze", "--model-file", str(model), "--data-file", str(data), "--prune", "0", "--eta", "0.05",
            "--T", "10", "--no-simulate", "--preset", "qubit_maj_ns_e6", "--out", str(out), "--json"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 11 and report["verdict"] in ("dissipative", "almost dissipative", "not applicable")
    assert len(report["spectrum"]["eigenvalues"]) == 11
    rows = report["carleman_check"]["rows"]
    assert rows[1]["error_vs_quadratic"] < rows[0]["error_vs_quadratic"] / 10
    assert (out / "report.json").is_file() and (out / "spectrum.png").is_file()


def test_analyze_bad_input(tmp_path, capsys, monkeypatch):
    assert main(["analyze", "--model-file", str(tmp_path / "missing.pt"), "--data-file", str(tmp_path / "d.pt")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["analyze", "resnet"]) == 2
    assert "unknown model" in capsys.readouterr().err
    import sys

    monkeypatch.setitem(sys.modules, "torch", None)  # as if the torch extra were not installed
    assert main(["analyze", "mlp"]) == 2
    assert "pip install -e '.[torch]'" in capsys.readouterr().err


def test_simulate_toy_on_qsharp(capsys):
    assert main(["simulate", "--T", "2"]) == 0
    out = capsys.readouterr().out
    fid = float(out.split("fidelity with classical Carleman u_T: ")[1].split(";")[0])
    assert fid > 0.99


def test_simulate_bad_input(capsys):
    assert main(["simulate", "--T", "-1"]) == 2
    assert "T" in capsys.readouterr().err


def test_estimate_json_and_file(tmp_path, capsys):
    args = ["estimate", "--n", "1e5", "--T", "50", "--preset", "qubit_gate_ns_e4", "--loading", "qram", "--json",
            "--out", str(tmp_path)]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report[0]["n"] == 100_000 and report[0]["loading"] == "qram"
    assert report[0]["physical"][0]["preset"] == "qubit_gate_ns_e4" and report[0]["physical"][0]["physical_qubits"] > 0
    assert report[0]["classical_seconds"] > 0
    assert json.loads((tmp_path / "estimate.json").read_text()) == report


def test_estimate_table_output(capsys):
    assert main(["estimate", "--n", "1000", "--T", "10", "--preset", "qubit_maj_ns_e6"]) == 0
    out = capsys.readouterr().out
    assert "QROM" in out and "QRAM" in out and "qubit_maj_ns_e6" in out and "classical GPU" in out


def test_estimate_bad_input(capsys):
    assert main(["estimate", "--n", "1000", "--T", "10", "--preset", "qubit_gate_xx"]) == 2
    assert "unknown qubit preset" in capsys.readouterr().err
    assert main(["estimate", "--n", "-5", "--T", "10"]) == 2
    assert "n must be" in capsys.readouterr().err
    assert main(["estimate", "--n", "1000", "--T", "10", "--epsilon", "2"]) == 2
    assert "epsilon" in capsys.readouterr().err
