"""One bottom line first: the cheapest built option, then the alternatives, infeasible options once per reason; the
estimate's JSON carries the cost tree; the default read-out is the README's."""

import json
import re
from pathlib import Path

import pytest
from tree_json import json_leaves

from pyqgd.cli import main
from pyqgd.estimate import OdeProblem, estimate_model
from pyqgd.estimate.bottom_line import DEVICE_PLAN_QUBITS, bottom_line, infeasible_reason

README = Path(__file__).resolve().parents[1] / "README.md"
SMALL = ["estimate", "--params", "1000", "--T", "10"]


@pytest.fixture(scope="module")
def report():
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(SMALL + ["--json"]) == 0
    return json.loads(buf.getvalue())


def test_json_starts_with_the_bottom_line_and_carries_the_cost_tree(report):
    assert list(report)[0] == "bottom_line"
    tree = report["cost_tree"]
    assert set(tree) >= {"name", "count", "ccz", "t", "rotations", "qubits", "children"} and tree["children"]
    assert json_leaves(tree) == {"ccz": tree["ccz"], "t": tree["t"], "rotations": tree["rotations"]}
    # the tree is the bottom-line option's run: its root equals that estimate's logical counts
    best = report["bottom_line"]["best"]
    est = next(e for e in report["estimates"] if e["cost_tree"] == tree)
    assert est["built"] and est["logical_counts"]["cczCount"] == tree["ccz"]
    assert est["logical_counts"]["tCount"] == tree["t"] and est["logical_counts"]["rotationCount"] == tree["rotations"]
    assert best["total_seconds"] == min(est["total_seconds"].values())
    # every estimate's summary carries its own tree and its own bottom line first
    for e in report["estimates"]:
        assert list(e)[0] == "bottom_line" and json_leaves(e["cost_tree"])["ccz"] == e["logical_counts"]["cczCount"]


def test_bottom_line_names_the_cheapest_built_option(report):
    options = [(t, e["built"]) for e in report["estimates"] for p, t in e["total_seconds"].items()
               if all(r["physical_qubits"] <= DEVICE_PLAN_QUBITS for r in e["physical"] if r["preset"] == p)]
    cheapest_built = min(t for t, built in options if built)
    assert report["bottom_line"]["best"]["total_seconds"] == cheapest_built
    assert report["bottom_line"]["best"]["built"]
    assert all(a["total_seconds"] >= 0 for a in report["bottom_line"]["alternatives"])


def test_text_output_bottom_line_first_and_one_line_per_reason(capsys):
    assert main(["estimate", "--params", "7e6", "--T", "1000", "--preset", "qubit_gate_ns_e3", "--preset",
                 "qubit_gate_ns_e4", "--breakdown"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("Bottom line: Kronecker + QROM, kernel solver (built) on qubit_gate_ns_e4")
    infeasible = [ln for ln in lines if ln.startswith("Infeasible — ")]
    reasons = [ln.split(":")[0] for ln in infeasible]
    assert infeasible and len(reasons) == len(set(reasons))
    assert all(out.count(r.removeprefix("Infeasible — ")) == 1 for r in reasons)  # each reason said once
    assert "more than 1e+08 physical qubits" in out
    assert "5,030,450" not in out  # the SelectSwap rows beyond any device plan are not printed as figures
    assert "block-encoding call (Kronecker encoding)" in out and "    F2 " in out  # the call itemised


def test_default_readout_is_the_readme_figure(capsys):
    """The README's paper-scale table (n = 7×10⁶, T = 1000) gives the read-out runs of the default command."""
    row = next(ln for ln in README.read_text().splitlines() if ln.startswith("| 7e+06 | 1000 | **Kronecker"))
    runs = re.search(r"\| ([0-9.e+]+) \((\w+)\) \|", row)
    assert main(["estimate", "--params", "7e6", "--T", "1000", "--preset", "qubit_gate_ns_e4", "--loading", "qrom",
                 "--json"]) == 0
    est = json.loads(capsys.readouterr().out)["estimates"][0]
    assert f"{est['samples']:.3g}" == runs.group(1) and est["readout"] == runs.group(2)


def test_infeasible_reasons_are_shared():
    a = ("error budget 0.001 cannot be met for qubit_gate_ns_e3/surface_code: it needs code distance 77 > 50 (the "
         "QDK maximum); no error budget below 0.5 suffices")
    b = a.replace("77", "65").replace("qubit_gate_ns_e3", "qubit_maj_ns_e4")
    assert infeasible_reason(a) == infeasible_reason(b)


def test_bottom_line_of_model_estimates():
    ests = [estimate_model(OdeProblem(n=1000, s=8, N=2, T=10, epsilon=1e-2, loading=ld), "qubit_maj_ns_e6")
            for ld in ("qrom", "qram")]
    line = bottom_line(ests)
    assert line.best.built and line.best.label.startswith("Kronecker + QROM")
    assert [a.label for a in line.alternatives] == ["structured oracles + QRAM, kernel solver (model)"]
    assert line.lines()[0].startswith("Bottom line: ")


def test_readme_bottom_line_is_the_default_command(capsys):
    """The README quotes the first line `pyqgd estimate --params 7e6 --T 1000` prints with every default."""
    quoted = next(ln for ln in README.read_text().splitlines() if ln.startswith("Bottom line: "))
    assert main(["estimate", "--params", "7e6", "--T", "1000"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == quoted
