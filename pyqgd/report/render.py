"""Presentation of pyqgd results: the bottom line, HTML views for Jupyter, pandas DataFrames, short reprs.

Every object a user displays in a notebook — an :class:`~pyqgd.report.pipeline.AnalysisReport`, a
:class:`~pyqgd.estimate.physical.PhysicalEstimates`, a :class:`~pyqgd.estimate.scale.ModelEstimate` or a solve result
of :mod:`pyqgd.quantum` — renders through the functions here, so the figures (and their units) are the same in the
text summary, the HTML view and the DataFrame.

**Classical wall time.** The FLOP model of :mod:`pyqgd.estimate.classical` (c·n·B·T FLOPs at a sustained GPU
throughput) says nothing about small models, where a training step costs the launch of its kernels, not their
arithmetic: "100 steps in 20 ns" is not a time any GPU achieves. The presentation therefore uses

    t_classical(n, T) = T · (t_step + c·n·B / (R·u))                                                  (docs/math.md Eq. (15))

with a fixed per-step overhead t_step = :data:`STEP_OVERHEAD_S` (a forward, loss, backward and optimizer step of a
small network launches ≥ 10 CUDA kernels, each with a launch latency of a few µs (NVIDIA CUDA C++ Best Practices
Guide; CUDA Graphs can lower it, PyTorch eager mode adds Python overhead on top). Below n* = t_step·R·u / (c·B) the overhead
dominates (:func:`overhead_dominated_below`); the summary states it.
"""

from __future__ import annotations

import html
import io
import math

from pyqgd import registry
from pyqgd._display import (
    PCT_FORMAT,
    TIME_FORMAT,
    dataframe,
    html_table,
    human_seconds,
    solve_result_html,
    solve_result_repr,
)
from pyqgd.estimate import ClassicalModel
from pyqgd.estimate.bottom_line import bottom_line as line
from pyqgd.estimate.bottom_line import model_estimate_html
from pyqgd.estimate.classical import STEP_OVERHEAD_S, classical_wall_seconds
from pyqgd.estimate.qdk_views import estimates_html, estimates_repr
from pyqgd.estimate.tree import tree_html
from pyqgd.report.sections import BreakEven, Estimate

__all__ = ["STEP_OVERHEAD_S", "classical_wall_seconds", "overhead_dominated_below", "bottom_line", "model_bottom_line",
           "bottom_line_lines", "best_estimate",
           "classical_note", "report_rows", "report_dataframe", "report_html", "report_repr", "display_figures",
           "estimates_html", "estimates_repr", "model_estimate_html", "solve_result_html", "solve_result_repr",
           "html_table", "human_seconds", "dataframe", "loading_label"]

#: Short names of the block-encodings (an estimate's or a break-even scan's "block_encoding").
ENCODING_NAMES = {c.name: c.label if c.built else f"{c.label}, {c.status or 'not built'}" for c in registry.ENCODINGS}


def loading_label(loading: str, block_encoding: str | None = None) -> str:
    """"QROM loading (Kronecker encoding)": the loading and the block-encoding(s) an estimate or break-even scan priced
    (both matter: with ``block_encoding="auto"`` different loadings may price different circuits; a scan's sizes may
    price several, "sparse/kronecker")."""
    enc = "/".join(ENCODING_NAMES.get(b, b) for b in str(block_encoding or "").split("/") if b)
    return f"{loading.upper()} loading" + (f" ({enc})" if enc else "")


def _classical_model():
    return ClassicalModel()


def overhead_dominated_below(*, step_overhead_s: float = STEP_OVERHEAD_S, model=None) -> float:
    """n* = t_step·R·u / (c·B): below this many parameters the per-step overhead exceeds the arithmetic time."""
    m = model or _classical_model()
    return step_overhead_s * m.gpu_flops * m.utilization / (m.flops_per_param_per_sample * m.batch)


def _sci(x: float) -> str:
    """Round magnitudes as powers of ten (1e12 → 10¹²), large ones as a.b×10ᵏ, small ones with thousands separators."""
    if x is None:
        return "—"
    if x < 1e5:
        return f"{x:,.0f}"
    e = math.floor(math.log10(x))
    sup = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
    mant = x / 10**e
    return "10" + str(e).translate(sup) if abs(mant - 1) < 1e-9 else f"{mant:.2g}×10" + str(e).translate(sup)


# ---------------------------------------------------------------- AnalysisReport


def _line(report):
    return line([e.to_dict() for e in report.estimates])


def _best_quantum(report) -> tuple[str, str, float] | None:
    """(loading, preset, total seconds with read-out) of the cheapest feasible BUILT option (the bottom line of
    :mod:`pyqgd.estimate.bottom_line`), or None."""
    best = _line(report).best
    if best is None:
        return None
    est = next(e for e in report.estimates if e.label == best.label)
    return est.loading, best.preset, best.total_seconds


def bottom_line_lines(report) -> list[str]:
    """After the bottom line: the alternatives (each estimate's fastest preset) and one line per infeasibility
    reason."""
    return _line(report).lines()[1:]


def best_estimate(report) -> Estimate | None:
    """The report's estimate the bottom line names, else its first built one, else its first."""
    best = _line(report).best
    for e in report.estimates:
        if best is not None and e.label == best.label:
            return e
    return next((e for e in report.estimates if e.built), report.estimates[0] if report.estimates else None)


def _crossover(sweep: BreakEven, T: int) -> int | None:
    """First n of a break-even sweep where the quantum total beats the classical wall time of Eq. (C1)."""
    for r in sweep.rows:
        if r.quantum_seconds is not None and r.quantum_seconds < classical_wall_seconds(r.n, T, r.classical_seconds):
            return int(r.n)
    return None


def _wins(sweep: BreakEven, T: int) -> str:
    """'; the quantum run wins from n ≈ …' / '; … never wins up to n = …' for a break-even sweep."""
    rows = sweep.rows
    if not rows:
        return ""
    cross = _crossover(sweep, T)
    if cross is not None:
        return f"; the quantum run wins from n ≈ {_sci(cross)}"
    top = max(r.n for r in rows)
    feasible = [r.n for r in rows if r.quantum_seconds is not None]
    if feasible and max(feasible) < top:
        return (f"; the quantum run never wins up to n = {_sci(top)} (estimates exist only up to n = "
                f"{_sci(max(feasible))}; larger runs are infeasible)")
    return f"; the quantum run never wins up to n = {_sci(top)}"


def bottom_line(report) -> str:
    """One sentence: quantum vs classical time for this model and the model size from which the quantum run wins."""
    classical = _report_classical(report)
    best = _best_quantum(report)
    what = f"training this model (n = {report.n:,} parameters) for T = {report.T:,} steps"
    if not report.estimates:
        why = getattr(report, "stopped", None) or f"verdict: {report.verdict}"
        return f"No fault-tolerant estimate was made for {what} ({why}); a GPU needs {human_seconds(classical)}."
    if best is None:
        return (f"No built circuit can run {what} within the error budget on any preset (see the estimates); a GPU "
                f"needs {human_seconds(classical)}.")
    loading, preset, q = best
    sweeps = [b for b in report.break_even if b.preset == preset and b.loading == loading]
    wins = _wins(sweeps[0], report.T) if sweeps else ""
    est = best_estimate(report)
    phys = next((r["physical_qubits"] for r in est.physical if r["preset"] == preset.split("/")[0]), None)
    qubits = "" if phys is None else f" ({phys:,} physical qubits)"
    return (f"On {preset}{qubits} with {loading_label(est.loading, est.block_encoding)}, {what} would take "
            f"{human_seconds(q)} on a fault-tolerant computer vs {human_seconds(classical)} on a GPU{wins}.")


def model_bottom_line(me, sweep: dict | None = None) -> str:
    """The bottom line of a :class:`~pyqgd.estimate.scale.ModelEstimate` (fastest feasible preset vs the GPU time of
    Eq. (15)), with the crossover of a :func:`pyqgd.estimate.break_even` sweep for that preset when one is given."""
    pr = me.problem
    classical = classical_wall_seconds(pr.n, pr.T, me.classical_seconds)
    what = f"training a model of n = {pr.n:,} parameters for T = {pr.T:,} steps"
    if not me.total_seconds:
        return f"No preset can run {what} within the error budget; a GPU needs {human_seconds(classical)}."
    preset, q = min(me.total_seconds.items(), key=lambda kv: kv[1])
    wins = _wins(BreakEven.from_dict(sweep), pr.T) if sweep is not None else ""
    return (f"On {preset} with {loading_label(pr.loading, me.cost.block_encoding_name)}, "
            f"{what} would take {human_seconds(q)} on a fault-tolerant "
            f"computer vs {human_seconds(classical)} on a GPU{wins}.")


def _report_classical(report) -> float:
    flops = report.estimates[0].classical_seconds if report.estimates else None
    return classical_wall_seconds(report.n, report.T, flops)


def classical_note(report) -> str:
    """Which term of Eq. (C1) dominates the classical time of this report."""
    n_star = overhead_dominated_below()
    flops = report.estimates[0].classical_seconds if report.estimates else 0.0
    return (f"classical GPU {human_seconds(_report_classical(report))} = T × {human_seconds(STEP_OVERHEAD_S)} step "
            f"overhead + {human_seconds(flops)} arithmetic; below n ≈ {_sci(n_star)} the fixed per-step "
            "overhead dominates")


def report_rows(report) -> list[dict]:
    """One row per (loading, preset, QEC scheme): physical figures of one run, total with read-out, classical time."""
    rows = []
    classical = _report_classical(report)
    for e in report.estimates:
        for p in e.physical:
            key = p["preset"] + ("" if p.get("qec", "surface_code") == "surface_code" else "/" + p["qec"])
            total = e.total_seconds.get(key)
            rows.append({"loading": e.loading, "preset": p["preset"], "qec": p.get("qec", "surface_code"),
                         "physical_qubits": p["physical_qubits"], "code_distance": p.get("code_distance"),
                         "t_factory_share": p.get("t_factory_share"), "logical_error_rate": p.get("logical_error_rate"),
                         "rqops": p.get("rqops"), "chunks": p.get("chunks", 1), "runtime_per_run_s": p["runtime_s"],
                         "samples": e.samples, "total_s": total, "classical_s": classical,
                         "speedup": None if not total else classical / total})
        for preset, why in e.infeasible.items():
            rows.append({"loading": e.loading, "preset": preset, "qec": "surface_code", "physical_qubits": None,
                         "code_distance": None, "t_factory_share": None, "logical_error_rate": None, "rqops": None,
                         "chunks": None, "runtime_per_run_s": None, "samples": e.samples, "total_s": None,
                         "classical_s": classical, "speedup": None, "infeasible": why})
    return rows


def report_dataframe(report):
    """:func:`report_rows` as a DataFrame."""
    return dataframe(report_rows(report))


def report_repr(report) -> str:
    """A one-line repr (the full text is ``summary()``, the data ``to_json()``)."""
    ests = sum(len(e.physical) for e in report.estimates)
    return (f"AnalysisReport(model={report.model!r}, n={report.n}, T={report.T}, N={report.N}, eta={report.eta:g}, "
            f"epsilon={report.epsilon:g}, verdict={report.verdict!r}, estimates={ests})")


def report_html(report) -> str:
    """The HTML view of an analysis report: bottom line, verdict with reasons, diagnostics, estimates, break-even."""
    s, d = report.spectrum, report.dissipation
    colour = {"dissipative": "#1a7f37", "almost dissipative": "#9a6700"}.get(report.verdict, "#cf222e")
    parts = [
        f"<div class='pyqgd-report'><h3>pyqgd analysis of {html.escape(str(report.model))}</h3>",
        f"<p><b>{html.escape(bottom_line(report))}</b></p>",
        "<ul>" + "".join(f"<li>{html.escape(x.strip())}</li>" for x in bottom_line_lines(report)
                         if x.strip() != "Alternatives:") + "</ul>",
        f"<p>{report.n:,} surviving of {report.n_total:,} parameters (pruned {report.prune:.0%}), η = {report.eta:g}, "
        f"T = {report.T:,}, Carleman order N = {report.N}, ε = {report.epsilon:g}</p>",
        f"<p>Verdict: <b style='color:{colour}'>{html.escape(report.verdict.upper())}</b></p><ul>"
        + "".join(f"<li>{html.escape(r)}</li>" for r in report.verdict_reasons) + "</ul>",
        html_table([{"quantity": k, "value": v} for k, v in (
            ("λ range (Hessian on survivors)", f"[{s.lambda_min:.3g}, {s.lambda_max:.3g}]"),
            ("dissipative fraction (0 < ηλ < 2)", f"{s.dissipative_fraction:.1%}"),
            ("‖F0‖, ‖F2‖", f"{d.norm_F0:.3g}, {d.norm_F2:.3g}"),
            ("ρ = ‖I + F1‖", f"{d.rho:.4f}"),
            ("invariant ball", "yes" if d.invariant_ball else "no"))], caption="Diagnostics"),
    ]
    check = report.carleman_check
    if check.rows:
        parts.append(html_table([r.to_dict() for r in check.rows],
                                [("N", "N"), ("error_vs_gd", "max ‖Δu‖ vs true GD"),
                                 ("error_vs_quadratic", "vs quadratic map"), ("bound", "rigorous bound")],
                                caption=f"Carleman vs true GD over {check.steps} steps"))
    sim = report.simulation
    if sim.fidelity_carleman is not None:
        parts.append(f"<p>Q# simulation (T = {sim.T}): fidelity {sim.fidelity_carleman:.5f} with the "
                     f"classical Carleman solution, {sim.block_encoding_calls} block-encoding calls.</p>")
    else:
        parts.append(f"<p>Q# simulation: {html.escape(str(sim.skipped or 'not run'))}</p>")
    parts.append(html_table(report_rows(report), [
        ("loading", "loading"), ("preset", "preset"), ("qec", "QEC"), ("physical_qubits", "physical qubits"),
        ("code_distance", "d"), ("t_factory_share", "T-factory share"), ("logical_error_rate", "logical error rate"),
        ("rqops", "rQOPS"), ("chunks", "chunks"), ("runtime_per_run_s", "per run"), ("samples", "read-out runs"),
        ("total_s", "total"), ("classical_s", "GPU")], caption="Fault-tolerant estimates (one run, and total with "
                                                              "read-out) vs the GPU", formats={**PCT_FORMAT, **TIME_FORMAT}))
    parts.append(f"<p><small>{html.escape(classical_note(report))}.</small></p>")
    best = best_estimate(report)
    if best is not None and best.cost_tree:
        parts.append("<h4>Where the cost of one run goes</h4>" + tree_html(best.cost_tree))
    be = [{"loading": b.loading.upper(), "preset": b.preset,
           "crossover": _sci(c) if (c := _crossover(b, report.T)) else f"none up to n = {_sci(b.rows[-1].n)}"}
          for b in report.break_even if b.rows]
    parts.append(html_table(be, [("loading", "loading"), ("preset", "preset"), ("crossover", "quantum faster from n ≈")],
                            caption=f"Break-even over model size n (T = {report.T:,})"))
    parts.append("</div>")
    return "".join(parts)


def display_figures(figs) -> None:
    """Show matplotlib Figures inline when running under IPython (PNG when no Figure formatter is registered, e.g.
    before pyplot was ever imported); a no-op elsewhere."""
    try:
        from IPython import get_ipython
        from IPython.display import Image, display
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return

    png = shell.display_formatter.formatters.get("image/png")
    for fig in figs:
        try:
            png.lookup(fig)
            display(fig)
        except (KeyError, AttributeError):
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
            display(Image(data=buf.getvalue()))
