"""Figures of an :class:`~pyqgd.report.pipeline.AnalysisReport` (matplotlib, Agg; PNG files)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["write_all"]


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    _plt().close(fig)
    return path


def trajectory_error(report, path: Path) -> Path | None:
    """‖u(t) − ŷ1(t)‖ vs step for each Carleman order N (log scale), with the rigorous bound where it exists."""
    rows = report.carleman_check.get("rows") or []
    if not rows:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4))
    for r in rows:
        line, = ax.semilogy(np.maximum(r["curve"], 1e-18), label=f"N = {r['N']}")
        if r.get("bound"):
            ax.axhline(r["bound"], color=line.get_color(), ls="--", lw=0.8)
    if (report.carleman_check.get("taylor_remainder") or 0) > 1e-12:  # zero for a cubic loss: nothing to draw
        ax.axhline(report.carleman_check["taylor_remainder"], color="k", ls=":", lw=1, label="cubic Taylor remainder")
    ax.set_ylim(bottom=1e-12)
    ax.set(xlabel="GD step t", ylabel="‖u(t) − ŷ₁(t)‖ vs true GD", title="Carleman trajectory error vs order N")
    ax.legend()
    return _save(fig, path)


def spectrum(report, path: Path) -> Path:
    """Histogram of ηλ over the surviving Hessian eigenvalues, the dissipative window (0, 2) shaded."""
    plt = _plt()
    x = report.eta * np.asarray(report.spectrum["eigenvalues"])
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.axvspan(0, 2, color="tab:green", alpha=0.12, label="dissipative 0 < ηλ < 2")
    ax.hist(x, bins=min(60, max(10, x.size // 3)), color="tab:blue")
    ax.set(xlabel="ηλ (Hessian eigenvalue × learning rate)", ylabel="count",
           title=f"Hessian spectrum on {report.n} surviving parameters")
    ax.legend()
    return _save(fig, path)


def error_proxy(report, path: Path) -> Path | None:
    """The paper's error proxy E(t) (Eqs. 7–8) vs step."""
    E = report.error_proxy.get("E") or []
    if not E:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.semilogy(report.error_proxy["t"], E)
    ax.set(xlabel="step t", ylabel="E(t)", title="Error proxy E(t) (Liu et al. Eqs. 7–8, cut-off 0.4)")
    return _save(fig, path)


def cost_breakdown(report, path: Path) -> Path:
    """Logical work (Toffoli + T + rotations) of one run by component, per loading, and the tomography multiplier."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4))
    labels = ["block-encoding calls", "state preparation", "one run (total)", "× tomography runs"]
    width = 0.38
    for i, e in enumerate(report.estimates):
        b = e["breakdown"]
        vals = [b["block_encoding_toffoli_equiv"], b["state_preparation_toffoli_equiv"], b["total_toffoli_equiv"],
                b["total_toffoli_equiv"] * b["tomography_runs"]]
        ax.bar(np.arange(4) + i * width, vals, width, label=e["loading"].upper())
    ax.set_yscale("log")
    ax.set_xticks(np.arange(4) + width / 2, labels, rotation=15)
    ax.set(ylabel="Toffoli + T + rotation count", title=f"Cost breakdown (n = {report.n}, T = {report.T})")
    ax.legend()
    return _save(fig, path)


def qubits_runtime(report, path: Path) -> Path:
    """Physical qubits vs runtime per run for each preset and loading (the space–time picture)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4))
    for e, marker in zip(report.estimates, "os"):
        for row in e["physical"]:
            ax.loglog(row["runtime_s"], row["physical_qubits"], marker, label=f"{e['loading'].upper()} {row['preset']}")
    ax.set(xlabel="runtime per run (s)", ylabel="physical qubits", title="Physical qubits vs runtime")
    ax.legend(fontsize=7)
    return _save(fig, path)


def break_even(report, path: Path) -> Path:
    """Quantum total time (with read-out) and classical GPU time vs model size n."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4))
    classical_drawn = False
    for b in report.break_even:
        ns = [r["n"] for r in b["rows"] if r["quantum_seconds"] is not None]
        qs = [r["quantum_seconds"] for r in b["rows"] if r["quantum_seconds"] is not None]
        ax.loglog(ns, qs, label=f"quantum {b['loading'].upper()} {b['preset']}")
        if not classical_drawn:
            ax.loglog([r["n"] for r in b["rows"]], [r["classical_seconds"] for r in b["rows"]], "k--", label="classical GPU")
            classical_drawn = True
    ax.set(xlabel="surviving parameters n", ylabel="time for T steps (s)", title=f"Break-even (T = {report.T})")
    ax.legend(fontsize=7)
    return _save(fig, path)


def write_all(report, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    made = [trajectory_error(report, out_dir / "trajectory_error.png"), spectrum(report, out_dir / "spectrum.png"),
            error_proxy(report, out_dir / "error_proxy.png"), cost_breakdown(report, out_dir / "cost_breakdown.png"),
            qubits_runtime(report, out_dir / "qubits_runtime.png"), break_even(report, out_dir / "break_even.png")]
    return [p for p in made if p is not None]
