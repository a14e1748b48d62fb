"""The Carleman demo: a toy loss, its GD map, the Carleman trajectory vs true GD for several N, and the diagnostics.

Returns data (:class:`CarlemanDemo`); printing and files are the CLI's job.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from pyqgd.carleman import diagnose, discrete_carleman, solve_history, truncation_error_bound
from pyqgd.dynamics import gd_map, gd_trajectory, toy_cubic

__all__ = ["CarlemanDemo", "carleman_demo", "plot_carleman_demo"]


@dataclass(frozen=True)
class CarlemanDemo:
    """Per truncation order N: the max over t ≤ T of ‖u(t) − ŷ_1(t)‖ and of its rigorous bound; plus diagnostics."""

    n: int
    eta: float
    T: int
    orders: list
    max_error: list
    max_bound: list
    error_curves: list
    diagnostics: dict
    true_final: list
    carleman_final: list

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    def summary(self) -> str:
        d = self.diagnostics
        lines = [
            f"Toy cubic loss, n = {self.n} parameters, η = {self.eta}, T = {self.T} GD steps (θ* = minimiser, u_in ≠ 0)",
            f"  ‖F0‖ = {d['norm_F0']:.3g}  ‖F1‖ = {d['norm_F1']:.3g}  ‖F2‖ = {d['norm_F2']:.3g}  "
            f"Re λ1(F1) = {d['re_lambda1']:.3g}  ρ = ‖I+F1‖ = {d['rho']:.4f}",
            f"  dissipation: R (PNAS) = {d['R']:.3f}, R_d (discrete) = {d['R_discrete']:.3f}  "
            f"-> {'dissipative (R_d < 1)' if d['R_discrete'] < 1 else 'NOT dissipative'}",
            f"  T-step system at N = {d['N']}: {d['unknowns']} unknowns, κ(L) = {d['kappa_L']:.3g}, "
            f"max nonzeros per row/column of M = {d['max_row_nnz_M']}/{d['max_col_nnz_M']}",
            "",
            f"  {'N':>3} {'max_t ‖u(t) − ŷ1(t)‖':>24} {'rigorous bound':>16}",
        ]
        lines += [f"  {N:>3} {e:>24.3e} {b:>16.3e}" for N, e, b in zip(self.orders, self.max_error, self.max_bound)]
        return "\n".join(lines)


def carleman_demo(n: int = 4, eta: float = 0.3, T: int = 20, orders=(1, 2, 3, 4), seed: int = 0,
                  offset: float = 0.12) -> CarlemanDemo:
    """Run GD on ``toy_cubic(n)`` from u_in = offset·(1, …, 1)/√n·√n and compare with its Carleman trajectories."""
    loss = toy_cubic(n, seed=seed, cubic=0.5)
    qm = gd_map(loss, eta, np.zeros(n))
    u_in = np.full(n, offset)
    true = gd_trajectory(loss, u_in, eta, T)
    errors, bounds, curves = [], [], []
    final = None
    for N in orders:
        traj = solve_history(discrete_carleman(qm, N), u_in, T).u
        err = np.linalg.norm(traj - true, axis=1)
        curves.append(err.tolist())
        errors.append(float(err.max()))
        bounds.append(float(max(truncation_error_bound(qm, u_in, N, t) for t in range(T + 1))))
        final = traj[-1]
    diag = diagnose(discrete_carleman(qm, 2), u_in, T).to_dict()
    return CarlemanDemo(n, eta, T, list(orders), errors, bounds, curves, diag, true[-1].tolist(), final.tolist())


def plot_carleman_demo(demo: CarlemanDemo, path) -> Path:
    """Error ‖u(t) − ŷ1(t)‖ vs step t for each N, with the bounds as dashed lines (log scale); saved as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for N, curve, bound in zip(demo.orders, demo.error_curves, demo.max_bound):
        line, = ax.semilogy(range(len(curve)), np.maximum(curve, 1e-18), label=f"N = {N}")
        ax.axhline(bound, color=line.get_color(), ls="--", lw=0.8)
    ax.set_ylim(bottom=1e-10)
    ax.set_xlabel("GD step t")
    ax.set_ylabel("‖u(t) − ŷ₁(t)‖  (dashed: rigorous bound)")
    ax.set_title(f"Carleman truncation error, toy cubic loss (n = {demo.n}, η = {demo.eta})")
    ax.legend()
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
