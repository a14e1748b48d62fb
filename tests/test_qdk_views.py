"""The QDK estimator's figures as its users know them: grouped tables from the kept EstimatorResult, the per-preset
summary (algorithm vs T-factory qubits, distance, factories, runtime share, error-budget split, rQOPS), the
qsharp_widgets views where installed, and the HTML as a real browser renders it."""

import os

import pytest

os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")

from browser import CHROMIUM, dump_dom, screenshot  # noqa: E402

from pyqgd.estimate import estimate_physical  # noqa: E402
from pyqgd.estimate.qdk_views import qdk_groups, qdk_html, qdk_summary_rows, qdk_widgets  # noqa: E402

COUNTS = {"numQubits": 100, "tCount": 10**9, "rotationCount": 10**6, "rotationDepth": 10**6, "cczCount": 10**9,
          "ccixCount": 0, "measurementCount": 10**9}


@pytest.fixture(scope="module")
def pe():
    return estimate_physical(COUNTS, ("qubit_gate_ns_e4", "qubit_maj_ns_e6"), qec_schemes="surface_code")


def test_summary_rows_are_the_qdk_figures(pe):
    rows = qdk_summary_rows(pe)
    assert [r["preset"] for r in rows] == ["qubit_gate_ns_e4", "qubit_maj_ns_e6"]
    for r, e in zip(rows, pe.estimates):
        # the estimator's own identities: the qubits split into algorithm + T factories, the budget into three parts
        assert r["algorithm_qubits"] + r["t_factory_qubits"] == e.physical_qubits
        assert r["budget_logical"] + r["budget_tstates"] + r["budget_rotations"] == pytest.approx(e.error_budget)
        assert r["code_distance"] == e.code_distance and r["t_factories"] == e.t_factories
        assert 0 < r["t_factory_runtime_share"] <= 1 and r["rqops"] == pytest.approx(e.rqops)
        res = e.qdk_result
        # runtime share: all factories invoked numTfactoryRuns times, each run one factory duration
        share = res["physicalCounts"]["breakdown"]["numTfactoryRuns"] * res["tfactory"]["runtime"] / \
            res["physicalCounts"]["runtime"]
        assert r["t_factory_runtime_share"] == pytest.approx(min(1.0, share))


def test_groups_follow_the_estimator_report(pe):
    groups = qdk_groups(pe.estimates[0])
    titles = [g["title"] for g in groups]
    assert titles[:2] == ["Physical resource estimates", "Resource estimates breakdown"]
    assert "Assumed error budget" in titles and "T factory parameters" in titles
    first = {x["label"]: x["value"] for x in groups[0]["rows"]}
    assert first["Physical qubits"] == pe.estimates[0].qdk_result["physicalCountsFormatted"]["physicalQubits"]


def test_html_has_a_block_per_preset_and_the_frontier_plot_exists(pe):
    h = qdk_html(pe)
    assert h.count("<details class='pyqgd-qdk'>") == 2 and "for T factories" in h and "rQOPS" in h
    assert "pyqgd-qdk-views" in pe._repr_html_()
    from pyqgd.report.plots import frontier

    pf = estimate_physical(COUNTS, ("qubit_gate_ns_e4",), qec_schemes="surface_code", frontier=True)
    assert len(pf.frontier_rows()) > 1 and frontier(pf).axes[0].lines
    assert qdk_summary_rows(pf)[0]["code_distance"] == pf.estimates[0].code_distance
    assert "Space–time frontier" in qdk_html(pf) and "Space–time frontier" not in qdk_html(pe)


def test_widgets_where_installed(pe, monkeypatch):
    pytest.importorskip("qsharp_widgets")
    from pyqgd.estimate.qdk_views import show_qdk_widgets

    w = qdk_widgets(pe)
    assert type(w["overview"]).__name__ == "EstimatesOverview" and len(w["space"]) == len(pe.estimates)
    assert show_qdk_widgets(pe) is False  # no one watches a test: no widget (a static page would need a CDN)
    monkeypatch.setenv("PYQGD_PROGRESS", "1")
    assert show_qdk_widgets(pe) is True


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium: apt-get install chromium")
def test_html_views_render_in_a_browser(pe, tmp_path):
    """The QDK tables and the cost tree as Chromium renders them: the expandable blocks are elements of the DOM, the
    open ones show their rows, and the page is not blank."""
    from pyqgd.estimate import OdeProblem, ode_solver_cost
    from pyqgd.estimate.tree import cost_tree

    tree = cost_tree(ode_solver_cost(OdeProblem(n=10**6, s=8, N=2, T=100, epsilon=1e-2)))
    page = tmp_path / "views.html"
    page.write_text("<html><head><meta charset='utf-8'></head><body>" + pe._repr_html_() + tree._repr_html_()
                    + "</body></html>", encoding="utf-8")
    dom = dump_dom(page.as_uri(), tmp_path)
    assert dom.count("<details") >= 2 + sum(1 for n, *_ in tree.walk() if n.children)
    assert "Physical resource estimates" in dom and "block-encoding call (Kronecker" in dom and "<details open" in dom
    png = screenshot(page.as_uri(), tmp_path / "views.png", tmp_path)
    import matplotlib.image

    img = matplotlib.image.imread(png)
    assert img.shape[0] > 100 and img[..., :3].std() > 0.05  # something drawn, not a blank page
