"""The pyqgd command line: outputs, JSON, and one-line errors with a non-zero exit code."""

import json

from pyqgd.cli import main


def test_demo_writes_report_and_plot(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--steps", "8"]) == 0
    out = capsys.readouterr().out
    assert "rigorous bound" in out and "dissipative" in out
    report = json.loads((tmp_path / "demo.json").read_text())
    assert report["T"] == 8 and len(report["max_error"]) == 4
    assert all(e <= b for e, b in zip(report["max_error"], report["max_bound"]))
    assert (tmp_path / "carleman_error.png").stat().st_size > 1000


def test_demo_json_output(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--json", "--n", "2", "--steps", "5"]) == 0
    assert json.loads(capsys.readouterr().out)["n"] == 2


def test_bad_input_exits_nonzero_with_one_line(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--eta", "-0.1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("pyqgd demo: error:") and "eta" in err and "\n" not in err


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
