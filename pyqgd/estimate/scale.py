"""Model-scale estimates: the paper's models (7×10^6 and 1.03×10^8 parameters), every loading and read-out, the
classical comparison and break-even, and the fitted exponents of T and log n next to the paper's Theorems 1 and 2.

Assumptions of the paper-scale instances (the paper states none of these; README "Resource estimates"): s = 8
nonzeros per row of F1 (constant sparsity, as Theorems 1–2 require), s² per row of F2, F0 = 0 (expansion at a
stationary point), Carleman order N = 2, ε = 10⁻², tomography precision δ = 10⁻², s_w = n (n already counts only the
surviving 10 % of weights), padding p = T, q = 1, ‖u_in‖ = 1, 16-bit entry angles, ‖M‖ ≤ 1 unless a contraction
factor is given.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from pyqgd.estimate.bottom_line import bottom_line, model_estimate_html
from pyqgd.estimate.classical import ClassicalModel, classical_gd_seconds, classical_wall_seconds
from pyqgd.estimate.errors import ErrorBudgetError, EstimationFailedError, check_epsilon
from pyqgd.estimate.loading import LOADING_LABELS, qram_router_error_needed
from pyqgd.estimate.ode import OdeCost, OdeProblem, ode_solver_cost
from pyqgd.estimate.physical import QUBIT_PRESETS, PhysicalEstimates, estimate_physical, format_seconds
from pyqgd.estimate.readout import READOUTS, check_readout, readout_cost
from pyqgd.estimate.tree import cost_tree

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
    tomography_precision: float
    readout: str = "l2_sampling"
    readouts: dict | None = None
    qram_router_error: float | None = None

    def summary(self) -> dict:
        """JSON-ready figures: ``bottom_line`` first (this estimate's fastest feasible preset, its infeasible presets
        one line per reason), then the inputs, the logical counts, the physical rows and ``cost_tree`` (one run as a
        tree of its operations, :mod:`pyqgd.estimate.tree`)."""

        base = self._fields()
        return {"bottom_line": bottom_line([base]).as_dict(), **base, "cost_tree": cost_tree(self.cost).to_dict()}

    def _fields(self) -> dict:
        c = self.cost
        return {"n": self.problem.n, "T": self.problem.T, "loading": self.problem.loading, "samples": self.samples,
                "degree": c.degree, "amplification_length": c.amplification_length,
                "logical_counts": c.total.to_counts(), "classical_seconds": self.classical_seconds,
                "classical_wall_seconds": classical_wall_seconds(self.problem.n, self.problem.T, self.classical_seconds),
                "total_seconds": self.total_seconds, "infeasible": self.infeasible,
                "physical": [] if self.physical is None else self.physical.rows(),
                "loading_label": LOADING_LABELS[self.problem.loading], "circuit": c.label, "built": c.built,
                "block_encoding": c.block_encoding_name,
                "kappa": c.kappa, "inverse_norm": c.inverse_norm, "inverse_norm_bound": c.inverse_norm_method,
                "success_probability": c.success_probability, "amplitude_bound": c.amplitude_method,
                "readout": self.readout, "readouts": self.readouts or {},
                "qram_router_error_needed": self.qram_router_error}

    def cost_tree(self):
        """One run as a tree of its operations (:func:`pyqgd.estimate.tree.cost_tree`)."""
        return cost_tree(self.cost)

    def _repr_html_(self) -> str:

        return model_estimate_html(self)


def estimate_model(problem: OdeProblem, presets=QUBIT_PRESETS, *, error_budget: float = 1e-3,
                   tomography_precision: float = 1e-2, classical: ClassicalModel = ClassicalModel(),
                   qec_schemes="surface_code", readout: str | None = None) -> ModelEstimate:
    """Logical cost → physical estimates for every preset → total with read-out → classical comparison.

    ``readout`` (default ``problem.readout``): a name of :data:`pyqgd.estimate.READOUTS`, or "all" (every option is
    priced in ``readouts``; the cheapest sets ``samples``), each to ℓ2 precision δ = ``tomography_precision``. Each
    read-out run gets the full ``error_budget`` (a failed run is one bad sample; it biases the estimate by at most the
    failure rate, which must stay below δ). Presets whose
    budget cannot be met (code distance above the QDK maximum of 50) are recorded in ``infeasible`` instead of raising,
    so one run reports all presets. Runs of any length are estimated (:func:`pyqgd.estimate.estimate_physical` splits
    long ones into sequential chunks): a 10^42-Toffoli run gets a runtime, not a refusal. For QRAM loadings,
    ``qram_router_error`` is the router error rate the bucket-brigade model needs for the whole read-out to stay
    within the error budget (:func:`pyqgd.estimate.loading.qram_router_error_needed`).
    """
    check_epsilon(error_budget, "error_budget")
    check_epsilon(tomography_precision, "tomography_precision")
    readout = problem.readout if readout is None else readout
    names = READOUTS if readout == "all" else (check_readout(readout),)
    cost = ode_solver_cost(problem)
    d = problem.s_w or problem.n
    options = {r: readout_cost(r, d, tomography_precision, success_probability=cost.success_probability,
                               amplification_length=cost.amplification_length) for r in names}
    chosen = min(options, key=lambda r: options[r].runs)
    samples = options[chosen].runs
    ests, infeasible = [], {}
    plist = [presets] if isinstance(presets, str) else list(presets)
    for p in plist:
        try:
            ests.extend(estimate_physical(cost.total, p, qec_schemes=qec_schemes, error_budget=error_budget).estimates)
        except (ErrorBudgetError, EstimationFailedError) as exc:
            infeasible[p] = str(exc)
    phys = PhysicalEstimates(logical_counts=cost.total.to_counts(), estimates=tuple(ests),
                             label=f"n={problem.n} T={problem.T} {problem.loading}", qram_cells=cost.total.qram_cells,
                             notes=(f"per run, error budget {error_budget:g} per run: a faulty run biases the tomography estimate by ≤ the "
                                    "budget, below δ when budget ≤ δ", cost.label))
    total = {e.preset + ("" if e.qec_scheme == "surface_code" else "/" + e.qec_scheme): samples * e.runtime_seconds
             for e in ests}
    router = None
    if problem.loading == "qram" and cost.total.qram_queries:
        router = qram_router_error_needed(cost.total.qram_queries * samples, max(cost.total.qram_cells, 2),
                                          error_budget)
    return ModelEstimate(problem=problem, cost=cost, physical=phys, infeasible=infeasible, samples=samples,
                         total_seconds=total, classical_seconds=classical_gd_seconds(problem.n, problem.T, classical),
                         tomography_precision=tomography_precision, readout=chosen,
                         readouts={r: {"runs": o.runs, "amplitude_runs": o.amplitude_runs, "sign_runs": o.sign_runs,
                                       "norm_runs": o.norm_runs, "label": o.label} for r, o in options.items()},
                         qram_router_error=router)


def _fit(xs, ys) -> float:
    return float(np.polyfit(np.log(np.asarray(xs, dtype=float)), np.log(np.asarray(ys, dtype=float)), 1)[0])


def fit_exponents(base: OdeProblem, Ts=(10, 30, 100, 300, 1000), ns=(10**4, 10**5, 10**6, 10**7, 10**8)) -> dict:
    """Least-squares exponents of the per-run logical cost (Toffoli + T + rotation count) in T and in log₂ n, with the
    measured attribution.

    cost ≈ C·T^a·(log₂ n)^b: a from the T sweep at base.n, b from the n sweep at base.T; ``n_exponent`` is the
    exponent of n itself (table lookups grow with the stored entries; the paper's claim is polylog n). The work is
    degree × rounds × (one block-encoding call) + the rest, so ``attribution_T`` fits each factor against T:
    "kappa_degree" (the QSVT degree ∝ κ = α‖L⁻¹‖), "amplification" (the rounds L ∝ 1/√λ) and "per_call" (one
    block-encoding call: clock registers); ``attribution_n`` the same against n ("per_call" is the loading).
    The paper: O(T·polylog n) for fully dissipative systems (Thm 1), O(T²·polylog n) otherwise (Thm 2).
    """
    def parts(pr):
        c = ode_solver_cost(pr)
        t = c.total
        be = c.block_encoding
        return t.non_clifford_count, c.degree, c.amplification_length, be.non_clifford_count

    pT = [parts(replace(base, T=T, p=None)) for T in Ts]
    pn = [parts(replace(base, n=n, nnz_F=None, s_w=None)) for n in ns]
    wT, wn = [p[0] for p in pT], [p[0] for p in pn]
    a = _fit(Ts, wT)
    logn = np.log2(np.array(ns, dtype=float))
    b = _fit(logn, wn)
    c = _fit(ns, wn)
    names = ("kappa_degree", "amplification", "per_call")
    return {"loading": base.loading, "T_exponent": a, "logn_exponent": b, "n_exponent": c,
            "paper_T_exponent": 2.0, "paper_claim": "O(T polylog n) fully dissipative (Thm 1); O(T^2 polylog n) (Thm 2)",
            "Ts": list(Ts), "work_T": [float(w) for w in wT], "ns": list(ns), "work_n": [float(w) for w in wn],
            "attribution_T": {k: _fit(Ts, [p[i + 1] for p in pT]) for i, k in enumerate(names)},
            "attribution_n": {k: _fit(ns, [p[i + 1] for p in pn]) for i, k in enumerate(names)},
            "block_encoding": base.block_encoding, "inverse_norm_bound": ode_solver_cost(base).inverse_norm_method}


def break_even(base: OdeProblem, preset: str, *, ns=tuple(int(10**k) for k in np.arange(3, 12.5, 0.5)),
               error_budget: float = 1e-3, tomography_precision: float = 1e-2,
               classical: ClassicalModel = ClassicalModel()) -> dict:
    """Quantum total (with read-out) vs classical time over n (at base.T); the first n where quantum is faster.
    Each row names the block-encoding priced (with ``block_encoding="auto"`` it may change with n)."""
    rows = []
    cross = None
    for n in ns:
        pr = replace(base, n=int(n), nnz_F=None, s_w=None)
        me = estimate_model(pr, preset, error_budget=error_budget, tomography_precision=tomography_precision,
                            classical=classical)
        q = me.total_seconds.get(preset)
        rows.append({"n": int(n), "quantum_seconds": q, "classical_seconds": me.classical_seconds,
                     "block_encoding": me.cost.block_encoding_name})
        if cross is None and q is not None and q < me.classical_seconds:
            cross = int(n)
    encodings = sorted({r["block_encoding"] for r in rows})
    return {"preset": preset, "loading": base.loading, "loading_label": LOADING_LABELS[base.loading], "T": base.T,
            "crossover_n": cross, "rows": rows, "block_encoding": "/".join(encodings)}


def markdown_table(estimates: list[ModelEstimate], presets=("qubit_gate_ns_e4", "qubit_maj_ns_e6")) -> str:
    """Markdown table: per-run logical counts, physical qubits and runtime (per run and total with read-out) next to
    the GPU time; every row names its circuit (built or model) and loading."""
    lines = ["| model n | T | circuit / loading | Toffolis per run | logical qubits | preset | physical qubits | "
             "runtime per run | read-out runs | total with read-out | classical GPU time |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for me in estimates:
        c = me.cost
        wall = classical_wall_seconds(me.problem.n, me.problem.T, me.classical_seconds)  # docs/math.md Eq. (15)
        circuit = c.label
        if me.problem.loading in ("qram", "qram_free"):
            circuit += f" (+{c.total.qram_cells:.2e} QRAM cells)"
        for p in presets:
            try:
                e = me.physical.get(p)
                row = (f"{e.physical_qubits:,d}", format_seconds(e.runtime_seconds), format_seconds(me.total_seconds[p]))
            except KeyError:
                row = ("infeasible", "—", "—")
            lines.append(f"| {me.problem.n:.3g} | {me.problem.T} | {circuit} | {c.total.ccz_count:.3g} | "
                         f"{c.total.qubits_allocated:,d} | {p} | {row[0]} | {row[1]} | {me.samples:.3g} ({me.readout}) | "
                         f"{row[2]} | {format_seconds(wall)} |")
    return "\n".join(lines)
