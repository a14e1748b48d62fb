"""Results for Jupyter and talks: HTML views, DataFrames, short reprs, the bottom line, figures that never touch the
global matplotlib backend, and the QDK's own estimate figures (rQOPS, T-factory share, logical error rate, chunks,
frontier, computed feasibility)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pytest

os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")

from pyqgd.estimate import ErrorBudgetError, estimate_physical  # noqa: E402
from pyqgd.estimate.physical import MAX_CODE_DISTANCE, PhysicalEstimates, feasibility  # noqa: E402

SMALL = {"numQubits": 100, "tCount": 10**9, "rotationCount": 10**6, "rotationDepth": 10**6, "cczCount": 10**9,
         "ccixCount": 0, "measurementCount": 10**9}


@pytest.fixture(scope="module")
def report():
    from pyqgd.report.pipeline import analyze

    return analyze("toy", T=100, simulate=False, check_orders=(1, 2), check_steps=4,
                   presets=("qubit_gate_ns_e4", "qubit_maj_ns_e6"))


def test_report_repr_is_short_and_html_has_the_bottom_line(report):
    r = repr(report)
    assert len(r) < 250 and "verdict=" in r and "\n" not in r
    html = report._repr_html_()
    assert html.startswith("<div") and html.count("<table>") >= 3
    assert "On qubit_" in html and "on a fault-tolerant computer vs" in html and "on a GPU" in html
    assert "rQOPS" in html and "T-factory share" in html and "DISSIPATIVE" in html
    first = report.summary().splitlines()[0]
    assert first.startswith("On qubit_") and ("never wins up to n = 10¹²" in first or "wins from n ≈" in first)


def test_classical_time_has_the_per_step_overhead(report):
    from pyqgd.report import render

    # n* = t_step·R·u/(c·B) with the classical model's defaults (A100 312 TFLOP/s, 40 %, 6 FLOPs, batch 2048)
    assert render.overhead_dominated_below() == pytest.approx(5e-5 * 312e12 * 0.4 / (6 * 2048))
    # two parameters, 100 steps: the arithmetic is ~20 ns, the launches 100 × 50 µs = 5 ms
    assert "vs 5 ms on a GPU" in report.summary().splitlines()[0]
    assert "overhead dominates" in report.summary()


def test_report_dataframe(report):
    df = report.to_dataframe()
    assert len(df) == 2 * 2  # two loadings × two presets, all feasible for the toy
    for col in ("physical_qubits", "code_distance", "t_factory_share", "logical_error_rate", "rqops", "chunks",
                "runtime_per_run_s", "total_s", "classical_s"):
        assert col in df.columns
    assert (df["t_factory_share"].between(0, 1)).all() and (df["total_s"] > df["runtime_per_run_s"]).all()


def test_plots_leave_the_backend_alone_and_write_png_and_svg(report, tmp_path):
    import matplotlib
    import matplotlib.image
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    before = plt.get_backend()
    paths = report.plots(tmp_path)
    assert plt.get_backend() == before and matplotlib.get_backend() == before
    assert {p.stem for p in paths} >= {"trajectory_error", "spectrum", "cost_breakdown", "break_even"}
    for p in paths:
        assert p.suffix == ".png" and p.with_suffix(".svg").stat().st_size > 1000
        assert matplotlib.image.imread(p).shape[1] > 1500  # 300 dpi on a 7-inch figure
    figs = report.show()
    assert figs and all(isinstance(f, Figure) for f in figs)
    assert plt.get_fignums() == []  # nothing registered with pyplot
    be = report.figures()["break_even"]
    labels = [t.get_text() for leg in be.legends for t in leg.get_texts()]
    assert any("classical GPU" in t for t in labels) and any("quantum" in t for t in labels)
    assert "η = " in be._suptitle.get_text() and "ε = " in be._suptitle.get_text()
    assert any("year" in t.get_text() for ax in be.axes[0].child_axes for t in ax.get_yticklabels())  # human units


def test_spectrum_axis_follows_the_data(report):
    import dataclasses

    from pyqgd.report import plots

    lam = np.linspace(0.001, 0.01, 50)  # a real model's small eigenvalues: not squeezed into [0, 2]
    r = dataclasses.replace(report, spectrum=dataclasses.replace(report.spectrum, eigenvalues=lam.tolist()))
    lo, hi = plots.spectrum(r).axes[0].get_xlim()
    assert lo < r.eta * 0.001 and hi > r.eta * 0.01 and hi < 0.1


#: report.json's keys, in order, as the pipeline wrote them before its sections became dataclasses
LAYOUT = {
    "": ["model", "n_total", "n", "prune", "eta", "T", "N", "epsilon", "sparsity_F1", "spectrum", "dissipation", "verdict",
         "verdict_reasons", "carleman_check", "error_proxy", "simulation", "estimates", "break_even", "timings",
         "problem", "stopped"],
    "spectrum": ["lambda_min", "lambda_max", "dissipative_fraction", "divergent_fraction", "unstable_fraction",
                 "flat_fraction", "flat_tol", "eigenvalues", "method"],
    "dissipation": ["norm_F0", "norm_F1", "norm_F2", "re_lambda1", "rho", "R", "u_in_norm", "R_discrete", "R_min",
                    "r_star", "invariant_ball", "bound_N2_one_step", "theorem1"],
    "carleman_check": ["steps", "rows", "roundoff", "taylor_remainder"],
    "carleman_check.rows": ["N", "error_vs_quadratic", "bound", "below_roundoff", "bound_below_roundoff", "error_vs_gd",
                            "curve"],
    "error_proxy": ["t", "E", "cutoff", "note"],
    "estimates": ["bottom_line", "n", "T", "loading", "samples", "degree", "amplification_length", "logical_counts",
                  "classical_seconds", "classical_wall_seconds", "total_seconds", "infeasible", "physical",
                  "loading_label", "circuit", "built", "block_encoding", "kappa", "inverse_norm", "inverse_norm_bound",
                  "success_probability", "amplitude_bound", "readout", "readouts", "qram_router_error_needed",
                  "cost_tree", "breakdown"],
    "break_even": ["preset", "loading", "loading_label", "T", "crossover_n", "rows", "block_encoding"],
    "break_even.rows": ["n", "quantum_seconds", "classical_seconds", "block_encoding"],
}


def test_report_json_keeps_its_layout(report):
    import json

    d = json.loads(report.to_json())
    assert list(d) == LAYOUT[""] and d["simulation"] == {"skipped": "simulation disabled"}
    for path, keys in LAYOUT.items():
        if not path:
            continue
        section, _, part = path.partition(".")
        items = d[section] if isinstance(d[section], list) else [d[section]]
        items = [row for item in items for row in item[part]] if part else items
        assert items and all(list(item) == keys for item in items), path
    assert report.to_dict()["estimates"][0] == report.estimates[0].to_dict()


def test_sections_read_back_from_their_json_form():
    from pyqgd.report.sections import BreakEven, Simulation

    solve = {"n": 2, "T": 4, "block_encoding_calls": 12, "success_probability": 0.05, "fidelity_carleman": 0.999,
             "details": {"simulate": "circuit"}, "how": "Q# circuit, 22 qubits",
             "block_level": {"T": 8, "fidelity_carleman": 0.998, "how": "block level", "block_encoding_calls": 30},
             "note": "precision from the classical solution"}
    sim = Simulation.from_dict(solve)
    assert sim.to_dict() == solve and list(sim.to_dict()) == list(solve)
    assert (sim.T, sim.block_level.T, sim.result["details"]) == (4, 8, {"simulate": "circuit"})
    assert Simulation.from_dict({"skipped": "too large"}).to_dict() == {"skipped": "too large"}
    sweep = {"preset": "p", "loading": "qrom", "loading_label": "QROM", "T": 10, "crossover_n": None,
             "rows": [{"n": 10, "quantum_seconds": None, "classical_seconds": 1.0, "block_encoding": "sparse"}],
             "block_encoding": "sparse"}
    assert BreakEven.from_dict(sweep).to_dict() == sweep and BreakEven.from_dict(sweep).rows[0].quantum_seconds is None


# ---------------------------------------------------------------- estimates


@pytest.fixture(scope="module")
def estimates():
    return estimate_physical(SMALL, ("qubit_gate_ns_e4", "qubit_maj_ns_e6"), frontier=True, label="small")


def test_estimates_keep_the_qdk_result_and_its_figures(estimates):
    for e in estimates.estimates:
        r = e.qdk_result
        assert r is not None and "<" in e.qdk_html()
        # the QDK's own formatted report is an independent source for the share of qubits in T factories
        pct = float(r["frontierEntries"][0]["physicalCountsFormatted"]["physicalQubitsForTfactoriesPercentage"]
                    .rstrip(" %"))
        assert e.t_factory_share * 100 == pytest.approx(pct, abs=0.01)
        assert e.logical_error_rate == r["frontierEntries"][0]["logicalQubit"]["logicalErrorRate"]
        assert e.rqops > 0 and e.chunks == 1
    assert "rQOPS" in estimates.table() and "fact. share" in estimates.table()


def test_estimates_html_repr_and_dataframe(estimates):
    assert len(repr(estimates)) < 300 and "qubit_gate_ns_e4/surface_code" in repr(estimates)
    html = estimates._repr_html_()
    assert "rQOPS" in html and "T-factory share" in html and "chunks" in html
    df = estimates.to_dataframe()
    assert list(df["preset"]).count("qubit_maj_ns_e6") == 2  # surface and Floquet code
    fr = estimates.to_dataframe(frontier=True)
    one = fr[(fr.preset == "qubit_gate_ns_e4")]
    assert len(one) > 1 and np.all(np.diff(one["physical_qubits"]) <= 0) and np.all(np.diff(one["runtime_s"]) >= 0)
    back = PhysicalEstimates.from_json(estimates.to_json())
    assert back.estimates[0].logical_error_rate == estimates.estimates[0].logical_error_rate
    assert back.estimates[0].qdk_result is None


def test_frontier_plot(estimates):
    from pyqgd.report import plots

    fig = plots.frontier(estimates)
    assert len(fig.axes[0].get_lines()) == len(estimates.estimates)
    with pytest.raises(ValueError, match="frontier=True"):
        plots.frontier(estimate_physical(SMALL, "qubit_gate_ns_e4"))


def test_chunked_run_reports_its_chunks():
    big = {**SMALL, "cczCount": 10**13, "measurementCount": 10**13}
    e = estimate_physical(big, "qubit_maj_ns_e6").estimates[0]
    assert e.chunks > 1 and e.logical_depth >= 3 * 10**13


def test_infeasibility_is_explained_with_a_computed_remedy():
    with pytest.raises(ErrorBudgetError, match="increase the error budget") as err:
        estimate_physical(SMALL, "qubit_gate_ns_e3", error_budget=1e-15)
    f = err.value.feasibility
    assert not f.feasible and f.required_code_distance > MAX_CODE_DISTANCE
    assert f"{f.min_error_budget:.2g}" in str(err.value)
    # the remedy works, and it is (nearly) the smallest that does
    assert estimate_physical(SMALL, "qubit_gate_ns_e3", error_budget=f.min_error_budget).estimates[0].code_distance <= 50
    with pytest.raises(ErrorBudgetError):
        estimate_physical(SMALL, "qubit_gate_ns_e3", error_budget=f.min_error_budget / 1.5)
    for p in f.feasible_presets:
        if "(" not in p:
            estimate_physical(SMALL, p, error_budget=1e-15)  # each suggested preset works at the original budget
    assert feasibility(SMALL, "qubit_gate_ns_e4", error_budget=1e-3).feasible


# ---------------------------------------------------------------- solve results


def test_solve_result_views():
    from pyqgd._display import solve_result_html, solve_result_repr

    @dataclass
    class Res:
        n: int
        kappa: float
        fidelity: float
        state: np.ndarray

    r = Res(n=4, kappa=12.5, fidelity=0.999, state=np.ones(2**16))
    assert solve_result_repr(r) == "Res(n=4, kappa=12.5, fidelity=0.999)"
    html = solve_result_html(r)
    assert "array of 65536" in html and "0.999" in html and len(html) < 1000


def test_model_estimate_views_and_bottom_line():
    from pyqgd.estimate import break_even, estimate_model, paper_problem
    from pyqgd.estimate.bottom_line import model_estimate_html
    from pyqgd.report.render import model_bottom_line

    problem = paper_problem(100, 3, loading="qram")
    me = estimate_model(problem, ("qubit_gate_ns_e4", "qubit_maj_ns_e6"))
    html = model_estimate_html(me)
    assert "n = 100" in html and "GPU" in html
    for preset in ("qubit_gate_ns_e4", "qubit_maj_ns_e6"):
        assert preset in html
    line = model_bottom_line(me, break_even(problem, "qubit_gate_ns_e4", ns=(10**3, 10**6)))
    assert line.endswith(".") and "GPU" in line and ("never wins up to n = 10⁶" in line or "wins from n ≈" in line
                                                      or line.startswith("No preset"))



def test_to_dataframe_without_pandas_says_what_to_install(estimates, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"pyqgd\[notebooks\]"):
        estimates.to_dataframe()


def test_solve_result_and_model_estimate_render_in_jupyter():
    """GdSolveResult and ModelEstimate display as a short repr and an HTML view (no 100 kB dumps of arrays)."""
    import numpy as np

    from pyqgd.carleman import discrete_carleman
    from pyqgd.dynamics import gd_map, toy_cubic
    from pyqgd.estimate import OdeProblem, estimate_model
    from pyqgd.quantum import solve_gd

    qm = gd_map(toy_cubic(2, cubic=0.5, seed=0), 0.3, np.zeros(2))
    r = solve_gd(discrete_carleman(qm, 1), np.full(2, 0.1), 2, simulate="block")
    assert repr(r).startswith("GdSolveResult(") and len(repr(r)) < 400 and "\n" not in repr(r)
    html = r._repr_html_()
    assert "<table" in html and "fidelity" in html.lower()
    me = estimate_model(OdeProblem(n=1000, s=8, N=2, T=10, epsilon=1e-2, loading="qram"), "qubit_maj_ns_e6")
    assert "<table" in me._repr_html_() and "qubit_maj_ns_e6" in me._repr_html_()
