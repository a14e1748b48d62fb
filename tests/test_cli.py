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
