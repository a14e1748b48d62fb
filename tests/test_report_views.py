"""The report's views of where the cost goes and its fixed plots: the cost-tree icicle, the expandable HTML tree,
the bottom line first in summary() and HTML, the spectrum window, the E(t) floor, the model's own n."""

import os

import numpy as np
import pytest

os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")


@pytest.fixture(scope="module")
def report():
    from pyqgd.report.pipeline import analyze

    return analyze("toy", T=100, simulate=False, check_orders=(1,), check_steps=2,
                   presets=("qubit_gate_ns_e4", "qubit_maj_ns_e6"))


def test_bottom_line_first_in_summary_and_html(report):
    from pyqgd.report.render import best_estimate

    best = best_estimate(report)
    assert best.built and best.block_encoding == "kronecker"
    first = report.summary().splitlines()[0]
    fastest_built = min(t for e in report.estimates if e.built for t in e.total_seconds.values())
    assert first.startswith("On qubit_") and "Kronecker encoding" in first
    assert min(best.total_seconds.values()) == fastest_built
    html = report._repr_html_()
    assert html.index("On qubit_") < html.index("<table>")
    assert "pyqgd-cost-tree" in html and "<details open" in html and "block-encoding call" in html


def test_icicle_widths_are_the_tree_shares(report):
    from pyqgd.report import plots
    from pyqgd.report.render import best_estimate

    tree = best_estimate(report).cost_tree
    fig = plots.figures(report)["cost_breakdown"]
    bars = [p for p in fig.axes[0].patches]
    rows = {}
    for b in bars:
        rows.setdefault(round(b.get_y() + b.get_height() / 2), []).append(b.get_width())
    assert sum(rows[0]) == pytest.approx(1.0)
    expected = {}

    def walk(node, depth):
        if node["share"] > 0 and depth <= 7:
            expected.setdefault(-depth, []).append(node["share"])
        for c in node["children"]:
            walk(c, depth + 1)

    walk(tree, 0)
    assert sorted(rows) == sorted(expected)
    for k in rows:
        assert sorted(rows[k]) == pytest.approx(sorted(expected[k]))


def test_spectrum_window_does_not_fill_the_axis(report):
    from pyqgd.report import plots

    lo, hi = plots.spectrum(report).axes[0].get_xlim()  # the toy model: n = 2, ηλ ∈ {0.5, 1}
    assert lo < 0.0 and hi > 2.0


def test_error_proxy_stops_at_a_floor(report):
    from pyqgd.report import plots

    fig = plots.error_proxy(report)
    y = np.asarray(fig.axes[0].lines[0].get_ydata(), dtype=float)
    E = np.asarray(report.error_proxy.E, dtype=float)
    assert E.min() < plots.ERROR_PROXY_FLOOR * E.max()  # the raw proxy runs far below the floor …
    assert y.min() >= plots.ERROR_PROXY_FLOOR * E.max()  # … the plot does not
    assert fig.axes[0].get_xlim()[1] == pytest.approx(max(report.error_proxy.t))


def test_break_even_marks_the_model(report):
    from pyqgd.report import plots

    ax = plots.break_even(report).axes[0]
    assert any(list(ln.get_xdata()) == [report.n, report.n] for ln in ax.lines)
    assert any(f"n = {report.n:,}" in t.get_text() for leg in ax.figure.legends for t in leg.get_texts())
