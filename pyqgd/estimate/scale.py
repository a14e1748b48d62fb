"""Model-scale estimates: the paper's models (7×10^6 and 1.03×10^8 parameters), QRAM vs QROM, the classical
comparison and break-even, and the fitted exponents of T and log n next to the paper's claims (paper.md §3).

Assumptions of the paper-scale instances (the paper states none of these; paper.md §7): s = 8 nonzeros per row of
F1 (constant sparsity, as Theorems 1–2 require), Carleman order N = 2, ε = 10⁻², tomography precision δ = 10⁻²,
s_w = n (n already counts only the surviving 10 % of weights), padding p = T, q = 1, 16-bit entry angles.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import numpy as np

from pyqgd.estimate.classical import ClassicalModel, classical_gd_seconds, tomography_samples
from pyqgd.estimate.errors import ErrorBudgetError, check_epsilon
from pyqgd.estimate.ode import OdeCost, OdeProblem, ode_solver_cost
from pyqgd.estimate.physical import QUBIT_PRESETS, PhysicalEstimates, estimate_physical, format_seconds

__all__ = ["PAPER_MODELS", "paper_problem", "ModelEstimate", "estimate_model", "fit_exponents", "break_even",
           "markdown_table"]

#: The paper's two models (Liu et al. 2024, §Numerical experiments): surviving parameters after 90 % pruning.
PAPER_MODELS = {"resnet_7M": 7_000_000, "resnet_103M": 103_000_000}


def paper_problem(n: int, T: int, *, loading: str = "qrom", s: int = 8, N: int = 2, epsilon: float = 1e-2,
                  **kw) -> OdeProblem:
    """The stated paper-scale instance (module docstring) for n parameters and T steps."""
    return OdeProblem(n=n, s=s, N=N, T=T, epsilon=epsilon, loading=loading, **kw)


@dataclass(frozen=True)
class ModelEstimate:
    """Quantum (per sample and total with read-out) vs classical cost of one training run.

    ``physical`` holds one estimate per preset for ONE solver run (None where the budget cannot be met: the
    reason is in ``infeasible``); ``total_seconds[preset]`` = samples × per-run runtime.
    """

    problem: OdeProblem
    cost: OdeCost
    physical: PhysicalEstimates | None
    infeasible: dict
    samples: int
    total_seconds: dict
    classical_seconds: float
    delta: float

    def summary(self) -> dict:
        return {"n": self.problem.n, "T": self.problem.T, "loading": self.problem.loading, "samples": self.samples,
                "degree": self.cost.degree, "amplification_length": self.cost.amplification_length,
                "logical_counts": self.cost.total.to_counts(), "classical_seconds": self.classical_seconds,
                "total_seconds": self.total_seconds, "infeasible": self.infeasible,
                "physical": [] if self.physical is None else self.physical.rows()}


def estimate_model(problem: OdeProblem, presets=QUBIT_PRESETS, *, error_budget: float = 1e-3, delta: float = 1e-2,
                   classical: ClassicalModel = ClassicalModel(), qec_schemes="surface_code") -> ModelEstimate:
    """Logical cost → physical estimates for every preset → total with tomography → classical comparison.

    Each tomography run gets the full ``error_budget`` (a failed run is one bad sample among ``samples``; it biases
    the estimate by at most the failure rate, which must stay below δ). Presets whose error budget cannot be met (code distance above the QDK maximum of 50) are recorded in
    ``infeasible`` instead of raising, so one run reports all presets.
    """
    check_epsilon(error_budget, "error_budget")
    check_epsilon(delta, "delta")
    cost = ode_solver_cost(problem)
    samples = tomography_samples(problem.s_w or problem.n, delta)
    ests, infeasible = [], {}
    for p in ([presets] if isinstance(presets, str) else presets):
        try:
            ests.extend(estimate_physical(cost.total, p, qec_schemes=qec_schemes, error_budget=error_budget).estimates)
        except ErrorBudgetError as exc:
            infeasible[p] = str(exc)
    phys = PhysicalEstimates(logical_counts=cost.total.to_counts(), estimates=tuple(ests),
                             label=f"n={problem.n} T={problem.T} {problem.loading}", qram_cells=cost.total.qram_cells,
                             notes=(f"per run, error budget {error_budget:g} per run: a faulty run biases the tomography estimate by ≤ the "
                                    "budget, below δ when budget ≤ δ",))
    total = {e.preset + ("" if e.qec_scheme == "surface_code" else "/" + e.qec_scheme): samples * e.runtime_seconds
             for e in ests}
    return ModelEstimate(problem=problem, cost=cost, physical=phys, infeasible=infeasible, samples=samples,
                         total_seconds=total, classical_seconds=classical_gd_seconds(problem.n, problem.T, classical),
                         delta=delta)


def fit_exponents(base: OdeProblem, Ts=(10, 30, 100, 300, 1000), ns=(10**4, 10**5, 10**6, 10**7, 10**8)) -> dict:
    """Least-squares exponents of the per-run logical cost (Toffoli + T + rotation count) in T and in log₂ n.

    cost ≈ C·T^a·(log₂ n)^b: a from the T sweep at base.n, b from the n sweep at base.T. Also the exponent of n
    itself (a QROM cost grows like n; the paper's claim is polylog n) and, for comparison, the paper's forms
    O(T²·polylog n) and (s³T²/ε²)·polylog (paper.md §3, [Ye]).
    """
    def work(pr):
        c = ode_solver_cost(pr).total
        return c.ccz_count + c.t_count + c.rotation_count

    wT = [work(replace(base, T=T, p=None)) for T in Ts]
    a = float(np.polyfit(np.log(Ts), np.log(np.array(wT, dtype=float)), 1)[0])
    wn = [work(replace(base, n=n, nnz_F=None, s_w=None)) for n in ns]
    logn = np.log(np.log2(np.array(ns, dtype=float)))
    b = float(np.polyfit(logn, np.log(np.array(wn, dtype=float)), 1)[0])
    c = float(np.polyfit(np.log(np.array(ns, dtype=float)), np.log(np.array(wn, dtype=float)), 1)[0])
    return {"loading": base.loading, "T_exponent": a, "logn_exponent": b, "n_exponent": c,
            "paper_T_exponent": 2.0, "paper_claim": "O(T^2 polylog n) (Thm 2); (s^3 T^2/eps^2) poly(log n, log 1/eps) [Ye]",
            "Ts": list(Ts), "work_T": [float(w) for w in wT], "ns": list(ns), "work_n": [float(w) for w in wn]}


def break_even(base: OdeProblem, preset: str, *, ns=tuple(int(10**k) for k in np.arange(3, 12.5, 0.5)),
               error_budget: float = 1e-3, delta: float = 1e-2, classical: ClassicalModel = ClassicalModel()) -> dict:
    """Quantum total (with read-out) vs classical time over n (at base.T); the first n where quantum is faster."""
    rows = []
    cross = None
    for n in ns:
        pr = replace(base, n=int(n), nnz_F=None, s_w=None)
        me = estimate_model(pr, preset, error_budget=error_budget, delta=delta, classical=classical)
        q = me.total_seconds.get(preset)
        rows.append({"n": int(n), "quantum_seconds": q, "classical_seconds": me.classical_seconds})
        if cross is None and q is not None and q < me.classical_seconds:
            cross = int(n)
    return {"preset": preset, "loading": base.loading, "T": base.T, "crossover_n": cross, "rows": rows}


def markdown_table(estimates: list[ModelEstimate], presets=("qubit_gate_ns_e4", "qubit_maj_ns_e6")) -> str:
    """Markdown table: physical qubits and runtime (per run and total with read-out) next to the GPU time."""
    lines = ["| model n | T | loading | preset | physical qubits | runtime per run | total with read-out | "
             "classical GPU time |", "|---|---|---|---|---|---|---|---|"]
    for me in estimates:
        for p in presets:
            try:
                e = me.physical.get(p)
                row = (f"{e.physical_qubits:,d}", format_seconds(e.runtime_seconds), format_seconds(me.total_seconds[p]))
            except KeyError:
                row = ("infeasible (d > 50)", "—", "—")
            extra = f" (+{me.cost.total.qram_cells:.2e} QRAM cells)" if me.problem.loading == "qram" else ""
            lines.append(f"| {me.problem.n:.3g} | {me.problem.T} | {me.problem.loading}{extra} | {p} | {row[0]} | {row[1]} | "
                         f"{row[2]} | {format_seconds(me.classical_seconds)} |")
    return "\n".join(lines)
