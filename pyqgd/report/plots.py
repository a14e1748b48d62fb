"""Figures of an :class:`~pyqgd.report.pipeline.AnalysisReport` and of physical estimates.

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot, so the global backend is never
touched (a notebook's inline backend keeps working, a script's ``MPLBACKEND`` is respected). :func:`save` writes a
300-dpi PNG and a vector SVG next to it. Each report figure carries a caption with the model, n, η, T, N and ε;
every line has a legend entry; durations get a second axis in human units (seconds … years).
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, NullLocator

from pyqgd.report.render import STEP_OVERHEAD_S, _crossover, best_estimate, classical_wall_seconds, human_seconds, loading_label

__all__ = ["figures", "write_all", "save", "trajectory_error", "spectrum", "error_proxy", "cost_breakdown",
           "cost_tree_icicle",
           "qubits_runtime", "break_even", "frontier", "human_time_axis", "DPI", "FORMATS"]

DPI = 300
FORMATS = ("png", "svg")
#: E(t) is drawn down to this fraction of its maximum (beyond, the modes have converged to machine precision).
ERROR_PROXY_FLOOR = 1e-12

_YEAR = 365.25 * 86400
#: Human time units for the secondary axis: (seconds, label).
_UNITS = ((1e-9, "1 ns"), (1e-6, "1 µs"), (1e-3, "1 ms"), (1.0, "1 s"), (60.0, "1 min"), (3600.0, "1 h"),
          (86400.0, "1 day"), (7 * 86400.0, "1 week"), (_YEAR / 12, "1 month"), (_YEAR, "1 year"),
          (10 * _YEAR, "10 years"), (100 * _YEAR, "100 years"), (1e3 * _YEAR, "1000 years"),
          (1e4 * _YEAR, "10⁴ years"), (1e5 * _YEAR, "10⁵ years"), (1e6 * _YEAR, "10⁶ years"),
          (1e7 * _YEAR, "10⁷ years"), (1e8 * _YEAR, "10⁸ years"), (1e9 * _YEAR, "10⁹ years"), (1.38e10 * _YEAR, "age of universe"),
          (1e12 * _YEAR, "10¹² years"), (1e15 * _YEAR, "10¹⁵ years"), (1e18 * _YEAR, "10¹⁸ years"),
          (1e21 * _YEAR, "10²¹ years"), (1e24 * _YEAR, "10²⁴ years"), (1e27 * _YEAR, "10²⁷ years"))


def _figure_axes():
    """A report figure (:func:`_figure`) with its one axes."""
    fig = _figure()
    return fig, fig.add_subplot()


def _figure(figsize=(7.0, 4.6)):

    return Figure(figsize=figsize, layout="constrained")


def _caption(report) -> str:
    return (f"{report.model}: n = {report.n:,} parameters (of {report.n_total:,}), η = {report.eta:g}, "
            f"T = {report.T:,} steps, Carleman N = {report.N}, ε = {report.epsilon:g}")


def _titled(fig, ax, title: str, report=None):
    ax.set_title(title, fontsize=11)
    if report is not None:
        fig.suptitle(_caption(report), fontsize=8.5, color="0.3")


def human_time_axis(ax, which: str = "y"):
    """A secondary axis on a log time axis labelled in human units (only the units inside the current limits)."""
    lo, hi = ax.get_ylim() if which == "y" else ax.get_xlim()
    # at most ~7 labels: keep a unit only if it is far enough (in decades) from the previous one kept
    gap = max(0.0, math.log10(hi / lo) / 7) if lo > 0 and hi > lo else 0.0
    ticks = []
    for s, lab in _UNITS:
        if lo <= s <= hi and (not ticks or math.log10(s / ticks[-1][0]) >= gap):
            ticks.append((s, lab))
    sec = ax.secondary_yaxis("right") if which == "y" else ax.secondary_xaxis("top")
    if which == "y":
        sec.set_yticks([s for s, _ in ticks], [lab for _, lab in ticks])
        sec.yaxis.set_minor_locator(_null())
    else:
        sec.set_xticks([s for s, _ in ticks], [lab for _, lab in ticks], rotation=30, ha="left")
        sec.xaxis.set_minor_locator(_null())
    sec.tick_params(labelsize=7.5, colors="0.35")
    return sec


def _legend(fig, ax, ncol: int = 2):
    """The legend below the axes, outside the data (never covers a line)."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncol=ncol, fontsize=7.5, frameon=False)


def _null():

    return NullLocator()


def save(fig, path: Path, *, formats=FORMATS, dpi: int = DPI) -> list[Path]:
    """Write ``fig`` as ``path`` with each suffix of ``formats`` (PNG at ``dpi``); returns the paths written."""
    path = Path(path)
    out = []
    for fmt in formats:
        p = path.with_suffix("." + fmt)
        fig.savefig(p, dpi=dpi, bbox_inches="tight", metadata=None if fmt != "png" else {"Software": "pyqgd"})
        out.append(p)
    return out


# ---------------------------------------------------------------- report figures


def _drawn_if(has_data):
    """A report figure that is None when ``has_data(report)`` is false (the report has nothing for it to draw: no
    Carleman check rows, no E(t), no estimates, no break-even sweep), so that :func:`figures` can skip it."""
    def decorate(draw):
        @functools.wraps(draw)
        def figure(report):
            return draw(report) if has_data(report) else None
        return figure
    return decorate


@_drawn_if(lambda report: report.carleman_check.rows)
def trajectory_error(report):
    """‖u(t) − ŷ₁(t)‖₂ vs GD step for each Carleman order N (log scale), with each order's rigorous bound."""
    rows = report.carleman_check.rows
    fig, ax = _figure_axes()
    floor = 1e-17
    for r in rows:
        curve = np.asarray(r.curve, dtype=float)
        t = np.arange(curve.size)
        line, = ax.semilogy(t[1:], np.maximum(curve[1:], floor), "o-", ms=3, label=f"N = {r.N}: Carleman vs GD")
        if r.bound:
            ax.axhline(r.bound, color=line.get_color(), ls="--", lw=0.9, label=f"N = {r.N}: rigorous bound")
    if not any(r.bound for r in rows):
        ax.text(0.02, 0.03, "no rigorous bound: the map has no invariant ball (not dissipative)", transform=ax.transAxes,
                fontsize=8, color="0.3")
    tr = report.carleman_check.taylor_remainder or 0
    if tr > 1e-12:  # zero for a cubic loss: nothing to draw
        ax.axhline(tr, color="k", ls=":", lw=1, label="cubic Taylor remainder (max)")
    ax.set_ylim(bottom=max(floor, 0.3 * min(np.maximum(np.asarray(r.curve[1:]), floor).min() for r in rows)))
    ax.set_xlabel("GD step t")
    ax.set_ylabel("‖u(t) − ŷ₁(t)‖₂  (parameter units)")
    ax.xaxis.get_major_locator().set_params(integer=True)
    _titled(fig, ax, "Carleman truncation error vs true gradient descent", report)
    _legend(fig, ax, ncol=min(4, 2 * len(rows)) if len(rows) > 1 else 2)
    ax.grid(alpha=0.3, which="both")
    return fig


def spectrum(report):
    """Histogram of ηλ over the surviving Hessian eigenvalues; the x-range follows the data, the dissipative window
    0 < ηλ < 2 is shaded where it overlaps it, and the count axis is logarithmic (small clusters stay visible)."""
    x = report.eta * np.asarray(report.spectrum.eigenvalues, dtype=float)
    fig, ax = _figure_axes()
    lo, hi = float(x.min()), float(x.max())
    if hi - lo >= 0.1:  # data on the window's scale (e.g. n = 2: two values): both edges in view, not a full-axis fill
        lo, hi = min(lo, 0.0), max(hi, 2.0)
    pad = 0.08 * (hi - lo) if hi > lo else max(0.05 * abs(hi), 0.05)
    lo, hi = lo - pad, hi + pad
    ax.axvspan(max(lo, 0.0), min(hi, 2.0), color="tab:green", alpha=0.12, label="dissipative window 0 < ηλ < 2")
    if lo < 0:
        ax.axvspan(lo, min(0.0, hi), color="tab:red", alpha=0.08, label="divergent modes ηλ < 0")
    if hi > 2:
        ax.axvspan(max(2.0, lo), hi, color="tab:orange", alpha=0.1, label="unstable step ηλ ≥ 2")
    for edge in (0.0, 2.0):
        if lo < edge < hi:
            ax.axvline(edge, color="tab:green", lw=0.9, ls="--")
    nb = min(60, max(10, x.size // 3)) if np.ptp(x) > 0 else 21  # odd count: a single value sits mid-bin
    bins = np.linspace(lo, hi, nb + 1)
    ax.hist(x, bins=bins, color="tab:blue", label=f"{x.size:,} eigenvalues")
    ax.set_xlim(lo, hi)
    if x.size > 20:
        ax.set_yscale("log")
        ax.set_ylim(bottom=0.7)
    else:

        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    zero = int(np.sum(np.abs(x) < 1e-12))
    if zero:
        ax.annotate(f"{zero:,} zero modes (ηλ = 0: not trained)", (0.0, zero), textcoords="offset points",
                    xytext=(8, -4), fontsize=8, color="0.25")
    frac = report.spectrum.dissipative_fraction
    ax.set_xlabel("ηλ  (Hessian eigenvalue × learning rate, dimensionless)")
    ax.set_ylabel("number of eigenvalues")
    _titled(fig, ax, f"Hessian spectrum on the surviving parameters: {frac:.1%} dissipative", report)
    ax.legend(fontsize=8)
    return fig


@_drawn_if(lambda report: report.error_proxy.E)
def error_proxy(report):
    """The paper's error proxy E(t) (Liu et al. 2024, Eqs. 7–8; docs/math.md Eq. (13)) vs GD step."""
    fig, ax = _figure_axes()
    t = np.asarray(report.error_proxy.t, dtype=float)
    E = np.asarray(report.error_proxy.E, dtype=float)
    floor = ERROR_PROXY_FLOOR * max(float(E.max()), np.finfo(float).tiny)
    shown = E >= floor
    ax.semilogy(t[shown], E[shown], label=f"E(t), cut-off {report.error_proxy.cutoff}")
    if not shown.all():
        t0 = t[~shown][0]
        ax.axhline(floor, color="0.5", lw=0.8, ls=":")
        ax.text(0.98, 0.06, f"below 10⁻¹² of its maximum from t = {t0:,.0f} (not drawn)", transform=ax.transAxes,
                ha="right", fontsize=7.5, color="0.3")
        ax.set_ylim(bottom=floor / 30)
    ax.set_xlim(float(t.min()), float(t.max()))
    ax.set_xlabel("GD step t")
    ax.set_ylabel("E(t)  (dimensionless)")
    _titled(fig, ax, "Error proxy E(t) of the modes with |ηλ| ≥ cut-off (Liu et al. 2024, Eqs. 7–8)", report)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    return fig


def cost_breakdown(report):
    """Where one run's cost goes: the icicle of the bottom-line estimate's cost tree (:func:`cost_tree_icicle`), with
    the read-out multiplier in the title."""

    est = best_estimate(report) if report.estimates else None
    if est is None or not est.cost_tree:
        return None
    fig = cost_tree_icicle(est.cost_tree, title=f"Where the cost goes: one run of "
                                                f"{loading_label(est.loading, est.block_encoding)} "
                                                f"(× {est.samples:.3g} read-out runs)")
    fig.suptitle(_caption(report), fontsize=8.5, color="0.3")
    return fig


def cost_tree_icicle(tree: dict, *, title: str | None = None, max_depth: int = 7):
    """Icicle plot of a cost tree's JSON (:meth:`pyqgd.estimate.tree.CostNode.to_dict`): one row per level, each
    operation a bar whose width is its share of the run's non-Clifford operations (CCZ + T + rotations, all its
    executions); labels where the bar is wide enough, colours by the branch under the root's first split."""
    fig = _figure((8.0, 0.55 * max_depth + 1.6))
    ax = fig.add_subplot()
    palette = [f"C{i}" for i in range(10)]

    def draw(node, depth, x0, colour):
        w = float(node["share"])
        if depth > max_depth or w <= 0:
            return
        ax.barh(-depth, w, left=x0, height=0.92, color=colour, edgecolor="white", linewidth=0.6,
                alpha=max(0.35, 1 - 0.08 * depth))
        if w > 0.07:
            name = node["name"] if len(node["name"]) <= int(w * 95) else node["name"][:max(int(w * 95) - 1, 3)] + "…"
            ax.text(x0 + w / 2, -depth, f"{name}\n{w:.0%}", ha="center", va="center", fontsize=6.5)
        x = x0
        for i, ch in enumerate(node["children"]):
            draw(ch, depth + 1, x, palette[i % 10] if depth == _split_depth(tree) else colour)
            x += float(ch["share"])

    draw(tree, 0, 0.0, "0.75")
    ax.set_xlim(0, 1)
    ax.set_ylim(-max_depth - 0.6, 0.6)
    ax.set_yticks([])
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.set_xlabel("share of the run's non-Clifford operations (CCZ + T + rotations)")
    ax.set_title(title or "Where the cost of one run goes", fontsize=10)
    return fig


def _split_depth(tree: dict) -> int:
    """Depth of the first node with more than one child (where the colours start)."""
    depth, node = 0, tree
    while len(node["children"]) == 1:
        node, depth = node["children"][0], depth + 1
    return depth


@_drawn_if(lambda report: report.estimates)
def qubits_runtime(report):
    """Physical qubits vs runtime of one run for each preset and loading (the space–time picture)."""
    fig, ax = _figure_axes()
    markers = "osD^v"
    presets = sorted({row["preset"] for e in report.estimates for row in e.physical})
    colours = {p: f"C{i}" for i, p in enumerate(presets)}
    drawn = False
    for i, (e, marker) in enumerate(zip(report.estimates, markers)):
        for row in e.physical:
            ax.loglog(row["runtime_s"], row["physical_qubits"], marker, ms=8, color=colours[row["preset"]],
                      label=f"{loading_label(e.loading, e.block_encoding)}, {row['preset']} "
                            f"({row.get('qec', 'surface_code')})")
            note = f"{e.loading.upper()}: {human_seconds(row['runtime_s'])}, d = {row.get('code_distance')}"
            if row.get("t_factory_share") is not None:
                note += f", {row['t_factory_share']:.0%} in T factories"
            # one label row per loading (points of the same preset often coincide)
            ax.annotate(note, (row["runtime_s"], row["physical_qubits"]), textcoords="offset points",
                        xytext=(8, 8 - 12 * i), fontsize=7, color="0.25", va="center")
            drawn = True
    if not drawn:
        ax.text(0.5, 0.5, "no feasible estimate", transform=ax.transAxes, ha="center")
    ax.set_xlabel("runtime of one solver run (s)")
    ax.set_ylabel("physical qubits")
    ax.margins(x=0.6, y=0.3)
    _titled(fig, ax, "Physical qubits vs runtime per run", report)
    if drawn:
        _legend(fig, ax)
        human_time_axis(ax, "x")
    ax.grid(alpha=0.3, which="both")
    return fig


@_drawn_if(lambda report: report.break_even)
def break_even(report):
    """Quantum total time (with read-out) and classical GPU wall time (docs/math.md Eq. (15)) vs model size n."""
    fig = _figure((7.4, 4.8))
    ax = fig.add_subplot()
    classical_drawn = False
    none, drawn = [], 0
    for b in report.break_even:
        rows = b.rows
        ok = [r for r in rows if r.quantum_seconds is not None]
        if not ok:
            none.append(f"{b.loading.upper()} {b.preset}")
        else:
            line, = ax.loglog([r.n for r in ok], [r.quantum_seconds for r in ok], "o-", ms=3,
                              label=f"quantum, {loading_label(b.loading, b.block_encoding)}, {b.preset} (with read-out)")
            if ok[-1] is not rows[-1]:  # the estimates stop: the larger sizes cannot be estimated / met
                ax.annotate("infeasible beyond", (ok[-1].n, ok[-1].quantum_seconds), textcoords="offset points",
                            xytext=(5, 4 - 9 * (drawn % 4)), fontsize=7, color=line.get_color(), va="center")
            drawn += 1
        cross = _crossover(b, report.T)
        if cross is not None and ok:
            ax.axvline(cross, color=line.get_color(), ls=":", lw=1, label=f"break-even n ≈ {cross:.2g}")
        if not classical_drawn:
            ns = np.array([r.n for r in rows], dtype=float)
            wall = [classical_wall_seconds(r.n, report.T, r.classical_seconds) for r in rows]
            ax.loglog(ns, wall, "k-", lw=2, label=f"classical GPU (incl. {STEP_OVERHEAD_S * 1e6:.0f} µs/step overhead)")
            ax.loglog(ns, [r.classical_seconds for r in rows], "k--", lw=0.9, label="classical GPU, arithmetic only")
            classical_drawn = True
    ax.axvline(report.n, color="tab:red", lw=1.2, ls="-.", label=f"this model: n = {report.n:,}")
    if none:
        ax.text(0.98, 0.03, "no feasible estimate at any n: " + ", ".join(none), transform=ax.transAxes, ha="right",
                fontsize=7, color="0.3")
    ax.set_xlabel("surviving parameters n")
    ax.set_ylabel(f"time to train T = {report.T:,} steps (s)")
    _titled(fig, ax, "Break-even: fault-tolerant quantum vs GPU training", report)
    _legend(fig, ax, ncol=1)
    ax.grid(alpha=0.3, which="major")
    human_time_axis(ax, "y")
    return fig


def frontier(estimates, *, title: str | None = None):
    """The QDK space–time frontier: physical qubits vs runtime, one line per preset × QEC scheme.

    ``estimates``: a :class:`~pyqgd.estimate.physical.PhysicalEstimates` computed with ``frontier=True``.
    """
    fig, ax = _figure_axes()
    drawn = False
    for e in estimates.estimates:
        if not e.frontier:
            continue
        q = [p[0] for p in e.frontier]
        t = [p[1] for p in e.frontier]
        ax.loglog(t, q, "o-", ms=4, label=f"{e.preset} ({e.qec_scheme})")
        drawn = True
    if not drawn:
        raise ValueError("these estimates have no frontier: compute them with estimate_physical(..., frontier=True)")
    ax.set_xlabel("runtime (s)")
    ax.set_ylabel("physical qubits")
    ax.set_title(title or f"Space–time frontier (QDK estimator){': ' + estimates.label if estimates.label else ''}",
                 fontsize=11)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    ax.margins(0.15)
    human_time_axis(ax, "x")
    return fig


# ---------------------------------------------------------------- all of them

_REPORT_FIGURES = {"trajectory_error": trajectory_error, "spectrum": spectrum, "error_proxy": error_proxy,
                   "cost_breakdown": cost_breakdown, "qubits_runtime": qubits_runtime, "break_even": break_even}


def figures(report) -> dict:
    """{name: Figure} for every figure the report has data for."""
    out = {}
    for name, make in _REPORT_FIGURES.items():
        fig = make(report)
        if fig is not None:
            out[name] = fig
    return out


def write_all(report, out_dir: Path, *, formats=FORMATS, dpi: int = DPI) -> list[Path]:
    """Write every figure of ``report`` into ``out_dir`` (``<name>.png`` at ``dpi`` plus ``<name>.svg``); returns the
    path of each figure's first format (the PNGs by default)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    made = []
    for name, fig in figures(report).items():
        made.append(save(fig, out_dir / name, formats=formats, dpi=dpi)[0])
    return made
