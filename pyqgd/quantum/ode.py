"""End-to-end quantum solver of the Carleman gradient-descent system (Liu et al. 2024, Eqs. 4–9), accurate at every T.

``solve_gd(system, u_in, T, p)`` simulates the paper's algorithm:

1. prepare |B⟩ ∝ [ŷ_in; b; …; b; 0…] — tensor powers of a sparsely prepared |u_in⟩ under a level superposition
   with amplitudes ∝ ‖u_in‖^j, and of |F0⟩ for the constant blocks (``structured_oracles.history_rhs``);
2. block-encode the T-step matrix L = I ⊗ I − S ⊗ M (+ p idle identity steps) — the structured sparse-access oracles
   (``block_encoding="sparse"``, α = s·max|L|) or the Kronecker encoding of ``pyqgd.quantum.kronecker``;
3. apply Re P^{(SV)}(Lᵀ/α) with the degree-optimal odd P ≈ c/x on [1/κ, 1] (GSLW 2019), so the all-ancillas-|0⟩
   branch holds ≈ c·α·L⁻¹|B⟩;
4. fixed-point amplitude amplification (Yoder–Low–Chuang 2014) of the good subspace "solver ancillas |0⟩, clock in
   the final window t = T..T+p, level 1";
5. read the level-1 block: the post-selected state is Σ_{t ≥ T} |t⟩|ŷ_1(t)⟩ with ŷ_1(t) = u_T in the window.

Accuracy at every T. ``epsilon`` bounds the error of the POST-SELECTED output, not of the whole history vector: the
polynomial's relative error is ε_P = η(ε)·a/(‖L⁻¹B‖/‖B‖), η(ε) = ε√(1 − ε²/4), with a ≤ ‖Π_good L⁻¹B‖/‖B‖
(:func:`gd_solver_parameters`), because the window holds only the fraction a²/(‖L⁻¹B‖/‖B‖)² of the solution; a padding
p ∝ T (:func:`default_padding`, history-state padding as in Berry, Childs, Ostrander, Wang, CMP 356, 1057, 2017) keeps
that fraction from vanishing when ‖u_t‖ does not decay. The degree grows only as log(1/a). By default the padding is the
one whose plan makes the fewest calls (:func:`choose_padding`): on decaying solutions a short window wins, since ‖L⁻¹‖
grows ≈ 2p/π with the idle steps. Amplification is standard (all phases π) when the a-priori bounds bracket the good
probability tightly enough, else fixed-point (:func:`pyqgd.quantum.amplification.amplification_schedule`).

Parameters from bounds. By default κ, a and the amplification bound come from
:func:`pyqgd.carleman.bounds.carleman_bounds` (norms, contraction, invariant ball — no solve); the classical history
solution is computed only for comparison (fidelities, predictions, the instance-exact cost in ``details``).
The predictions beside the simulated numbers are independent numpy computations: the exact polynomial transform
V P(Σ) Uᵀ of the encoded L (success before amplification) and the YLC closed form (after it).

One driver for every encoding: :func:`plan_inversion` (κ → polynomial → amplification, classical, once per solve),
the run — the Q# operation ``Solve.HistorySolve`` (:func:`run_history_solve`; it counts its block-encoding calls
while it runs) or the block level — and the read-out (:func:`final_window_state`), into a :class:`GdSolveResult`.
``simulate="auto"`` predicts the circuit's CPU seconds from two probe runs of the same Q# operation
(:func:`predict_circuit_seconds`). ``solver="kernel"`` replaces steps 3–4's polynomial by Dalzell's kernel
reflection on the history system (arXiv:2406.12086; :class:`KernelPlan`, the Q# operation
``Solvers.HistoryKernel``, O(κ log 1/ε) calls), ``solver="auto"`` runs whichever plan predicts the lower cost.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg  # noqa: F401  (sp.linalg.norm)

from pyqgd import registry
from pyqgd._checks import TooLargeError, as_finite_vector, check_positive_float, check_positive_int
from pyqgd._display import solve_result_html, solve_result_repr
from pyqgd.carleman import (
    CarlemanSystem,
    NotDissipativeError,
    contraction_factor,
    discrete_carleman,
    discrete_dissipation_number,
    dissipation_number,
    re_lambda1,
    solve_history,
)
from pyqgd.carleman.bounds import carleman_bounds
from pyqgd.problem import GDProblem
from pyqgd.quantum._context import get_context
from pyqgd.quantum.amplification import (
    FixedPointSchedule,
    amplification_length,
    amplification_schedule,
    fixed_point_length,
    fixed_point_schedule,
    fixed_point_success,
)
from pyqgd.quantum.oracles import DEFAULT_ANGLE_BITS
from pyqgd.quantum.polynomials import (
    MAX_DEGREE,
    DegreeTooLargeError,
    InversePolynomial,
    inverse_polynomial,
    optimal_inverse_degree,
    postselection_tolerance,
)
from pyqgd.quantum.qlss import (
    MAX_KERNEL_DEGREE,
    history_kernel_parameters,
    kernel_precision,
    kernel_reflection_degree,
)
from pyqgd.quantum.qsp import qsvt_angles
from pyqgd.quantum.solvers import DEFAULT_MAX_DEGREE
from pyqgd.quantum.structured_oracles import carleman_layout, carleman_oracle_data, history_rhs, padded_tstep_matrix

__all__ = ["GdSolveResult", "solve_gd", "default_padding", "choose_padding", "MAX_SIMULATED_QUBITS", "check_gd_input",
           "SparseEncoding", "gd_solver_parameters", "inversion_success_bracket", "InversionPlan", "plan_inversion",
           "CircuitRun", "run_history_solve",
           "final_window_state", "window_fidelity", "predict_circuit_seconds", "kronecker_solve",
           "KernelPlan", "plan_kernel", "run_kernel_solve", "KERNEL_CALL_COST"]

#: Largest system register (2^m-dimensional dense matrices and SVDs) the block-level simulation handles.
MAX_BLOCK_SYSTEM_QUBITS = 12

#: Most qubits in superposition (2 QSVT + 1 flag + 2m index/system) the local simulator is asked to carry.
MAX_SIMULATED_QUBITS = 20
#: max |P| on [−1, 1] of the solve's P ≈ c/x: the success amplitude grows with c, so every 1 % closer to 1 is ~1 % fewer
#: amplification calls. QSP needs |P| ≤ 1; the symmetric-QSP angle finder reaches 10⁻¹² at this bound (tested to degree
#: 1037, measured to 4561), and the kernel reflection already uses 0.999 (pyqgd.quantum.qlss.KERNEL_SCALE).
POLYNOMIAL_BOUND = 0.98


def default_padding(T: int) -> int:
    """p ≥ T idle steps, filling the clock: p = 2^⌈log2(2T+1)⌉ − (T+1) (history-state padding p ∝ T as in Berry et
    al., CMP 356, 1057 (2017) and Liu et al. 2024 Eq. 8: the final window t = T..T+p then holds ≥ (T+1)/(2T+1) of the
    time slots, so its share of the history state does not vanish with T for non-decaying solutions)."""
    T = check_positive_int(T, "T (number of steps)")
    return 2 ** int(2 * T).bit_length() - (T + 1)


@dataclass(frozen=True)
class GdSolveResult:
    """Outcome and cost counters of one simulated quantum GD solve (field names are a stable interface).

    Problem: ``n``, ``N``, ``T``, ``p``, ``dim`` (Σ_j n^j), ``system_size`` ((T+1+p)·dim), ``padded_size`` (2^m).
    Encoding: ``sparsity`` s of L's sparse-access encoding (0 for the Kronecker one), ``alpha`` (α_L), ``kappa``
    (the α/σ_min bound used), ``epsilon`` (target error of the post-selected output), ``degree`` of P ≈ c/x,
    ``polynomial_scale`` c. Cost: ``block_encoding_calls`` (total, with amplification; counted by the Q# loops when
    ``details["simulate"] == "circuit"``, degree × length at block level),
    ``block_encoding_calls_per_solve`` (= degree), ``amplification_length`` (calls of the solve unitary, 2l+1),
    ``qubits`` (by register), ``qubits_total``, ``qubits_in_superposition``, ``stored_entries`` (oracle table
    entries). Probabilities: ``success_probability`` (good subspace, before amplification) and its numpy
    ``success_probability_predicted``, ``amplified_success_probability`` (simulated; None at block level) /
    ``..._predicted`` (YLC closed form),
    ``final_window_fraction`` = ‖Π Y‖²/‖Y‖² of the classical history state. Output: ``state`` (|u_T⟩ as read out,
    normalized level-1 vector summed over the window), ``fidelity_carleman`` with solve_history's u_T,
    ``simulated_seconds`` (Q# simulation only), ``preparation_seconds`` (classical: encoding data, bounds, references,
    QSVT angle finding), ``nonzero_amplitudes`` of the circuit's final state (None at block level),
    ``fidelity_gd`` with the true nonlinear map's u_T, ``u_carleman``, ``u_gd``. ``details`` holds the parameters'
    provenance ("parameters", "simulate" and "simulate_reason", "polynomial_precision", bounds vs exact κ and
    amplitude) and the
    block-encoding calls with bound-based and with instance-exact parameters ("cost_bounds", "cost_exact",
    "bound_cost_ratio").
    """

    n: int
    N: int
    T: int
    p: int
    dim: int
    system_size: int
    padded_size: int
    sparsity: int
    alpha: float
    max_abs: float
    kappa: float
    epsilon: float
    degree: int
    polynomial_scale: float
    block_encoding_calls: int
    block_encoding_calls_per_solve: int
    amplification_length: int
    qubits: dict
    qubits_total: int
    qubits_in_superposition: int
    stored_entries: int
    success_probability: float
    success_probability_predicted: float
    amplified_success_probability: float | None
    amplified_success_probability_predicted: float | None
    final_window_fraction: float
    fidelity_carleman: float
    fidelity_gd: float
    state: np.ndarray
    u_carleman: np.ndarray
    u_gd: np.ndarray
    dissipation_number: float
    simulated_seconds: float
    method: str = "qsvt"
    details: dict = field(default_factory=dict)
    preparation_seconds: float = 0.0
    nonzero_amplitudes: int | None = None
    calls_counted_by_qsharp: bool = False

    def __repr__(self) -> str:

        return solve_result_repr(self)

    def _repr_html_(self) -> str:

        return solve_result_html(self)

    def how_simulated(self) -> str:
        """"Q# circuit, N qubits, C calls counted, S s simulated" (N: qubits of the circuit's final state, C: the
        block-encoding calls the Q# program counted) or "block level (why)"."""
        if self.calls_counted_by_qsharp:
            return (f"Q# circuit, {self.details.get('circuit_qubits')} qubits, {self.block_encoding_calls} calls "
                    f"counted, {self.simulated_seconds:.1f} s simulated")
        return f"block level ({self.details.get('simulate_reason', 'chosen by the caller')})"

    def to_dict(self) -> dict:
        """Plain JSON-able dict (arrays as lists)."""
        d = asdict(self)
        for k, v in d.items():
            if isinstance(v, np.ndarray):
                d[k] = v.tolist()
        return d


def _psv_transpose(Lq_over_alpha: np.ndarray, poly) -> np.ndarray:
    """P^{(SV)}(Aᵀ) for A = U Σ Vᵀ: V P(Σ) Uᵀ (what QSVT on the adjoint block-encoding applies)."""
    U, S, Vt = np.linalg.svd(Lq_over_alpha)
    return Vt.T @ (poly(S)[:, None] * U.T)


def check_gd_input(system: CarlemanSystem, u_in, T: int, p: int, *, max_qubits: int = MAX_SIMULATED_QUBITS,
                   require_dissipative: bool = True) -> dict:
    """All checks of :func:`solve_gd` that run before any Q#; returns {"R": …, "R_d": …, "rho": …, "qubits": …}.

    Raises TypeError (not a discrete CarlemanSystem), ValueError (bad u_in/T/p), ``NotDissipativeError`` (R ≥ 1 or
    ρ = ‖I+F1‖ ≥ 1, i.e. a divergent linear part) and ``TooLargeError`` (too many qubits for the simulator).
    """
    if not isinstance(system, CarlemanSystem):
        raise TypeError(f"expected a CarlemanSystem (pyqgd.carleman.discrete_carleman), got {type(system).__name__}")
    if system.form != "discrete":
        raise ValueError("solve_gd needs the discrete Carleman map (discrete_carleman): its b = [F0, F0⊗F0, …] is a "
                         "tensor-power state; the Euler form's b = [hF0, 0, …] is not prepared here")
    T = check_positive_int(T, "T (number of steps)")
    p = check_positive_int(p, "p (padding steps)", minimum=0)
    u = as_finite_vector(u_in, "u_in", system.n)
    if not np.any(u):
        raise ValueError("u_in = 0: |ŷ_in⟩ cannot be prepared; expand the loss around a point other than θ(0)")
    qm = system.qmap
    rho = contraction_factor(qm)
    R_d = discrete_dissipation_number(qm, u)
    try:
        R = dissipation_number(qm, u)
    except NotDissipativeError:
        R = float("inf")
    if require_dissipative and (rho >= 1.0 or not np.isfinite(R) or R >= 1.0):
        lam = re_lambda1(qm.F1)
        raise NotDissipativeError(
            f"the GD map is not dissipative enough for the quantum solver: R = {R:.3g} (needs < 1), ρ = ‖I+F1‖ = "
            f"{rho:.4g} (needs < 1), Re λ1(F1) = {lam:.3g}. κ(L) then grows exponentially with T and the Carleman "
            "truncation error does not decay with N. Reduce the learning rate η or ‖u_in‖ (expand the loss closer to "
            "the trajectory), prune the non-convex directions (make the Hessian positive definite), or split training "
            "into shorter segments with download/re-upload; pass require_dissipative=False to simulate anyway"
        )
    lay = carleman_layout(system, T, p)
    m = lay.system_qubits
    sup = 2 * m + 3
    if sup > max_qubits:
        raise TooLargeError(
            f"n = {system.n}, N = {system.N}, T = {T}, p = {p} needs {m} system qubits ({lay.clock_qubits} clock + "
            f"{lay.level_qubits} level + {system.N}×{lay.slot_qubits} slots) and {sup} qubits in superposition "
            f"(with the {m + 1} block-encoding and 2 QSVT ancillas), above the simulator limit {max_qubits}. Use the "
            "resource estimator (pyqgd.estimate) for this size, or reduce T, N or n"
        )
    return {"R": R, "R_d": R_d, "rho": rho, "qubits_in_superposition": sup, "T": T, "p": p, "u": u}


class SparseEncoding:
    """The structured sparse-access block-encoding of L (``Carleman.StructuredOracles``) behind the interface the
    Kronecker encoding (``pyqgd.quantum.kronecker``) shares: ``alpha``, ``stored_entries``, ``num_ancillas``,
    and ``to_qsharp()`` (the data of its ``Solve.HistorySolve`` entry)."""

    def __init__(self, system: CarlemanSystem, T: int, p: int, angle_bits: int = DEFAULT_ANGLE_BITS):
        self.data = carleman_oracle_data(system, T, p, angle_bits=angle_bits)
        self.alpha = float(self.data.alpha)
        self.stored_entries = int(self.data.stored_entries)
        self.num_ancillas = self.data.layout.system_qubits + 1

    def to_qsharp(self):
        return self.data.to_qsharp()

    def quantized_matrix(self) -> np.ndarray:
        """L as the encoding represents it (entries quantized to the angle bits), padded to 2^m."""
        return self.data.quantized_matrix()


def _encoding(kind: str, system, T, p, angle_bits):
    """The built block-encoding ``kind`` of the registry (:mod:`pyqgd.registry`), from its builder."""
    entry = registry.get("encoding", kind)
    if not entry.built:
        raise ValueError(f"block_encoding {kind!r} is a cost model, not a built circuit; simulate one of "
                         f"{', '.join(registry.names('encoding', built_only=True))}")
    return entry.resolve("builder")(system, T, p, angle_bits=angle_bits)


def gd_solver_parameters(alpha: float, epsilon: float, inverse_norm: float, amplitude: float, solution_norm: float,
                         perturbation: float = 0.0, amplitude_upper: float | None = None) -> dict:
    """κ, polynomial precision ε_P and the amplification bound λ from bounds (all arguments are upper/lower bounds).

    With ‖L⁻¹‖ ≤ ``inverse_norm``, ‖Π_good L⁻¹B‖/‖B‖ ≥ ``amplitude`` and ‖L⁻¹B‖/‖B‖ ≤ ``solution_norm``, and the
    encoded matrix within ``perturbation`` (2-norm) of L: κ = α/(1/‖L⁻¹‖ − perturbation) bounds α/σ_min. The QSVT
    output is c·α(L⁻¹B + e)/‖B‖ with ‖e‖ ≤ ε_P‖L⁻¹B‖ (relative error ε_P of P ≈ c/x), so the post-selected window
    state has relative error ≤ ε_P·‖L⁻¹B‖/‖Π_good L⁻¹B‖, so ε_P = η(ε)·amplitude/solution_norm with
    η(ε) = ε√(1 − ε²/4) (:func:`pyqgd.quantum.polynomials.postselection_tolerance`) meets the target ε on the
    OUTPUT, at every T. ``amplitude_upper`` ≥ ‖Π_good L⁻¹B‖/‖B‖ (default ``solution_norm``).
    ``amplitude_range`` brackets ‖Π_good Lq⁻¹B‖/‖B‖ for the ENCODED matrix Lq = L + E: the two amplitude bounds
    widened by ‖(Lq⁻¹ − L⁻¹)B‖/‖B‖ = ‖Lq⁻¹E L⁻¹B‖/‖B‖ ≤ ‖L⁻¹‖·‖E‖·U/(1 − ‖L⁻¹‖·‖E‖) (``quantization_slack``).
    """
    if not amplitude > 0.0:
        raise ValueError(
            "the a-priori lower bound on the final-window amplitude ‖Π_good L⁻¹B‖/‖B‖ is 0 for this instance (the "
            "bound on ‖u(T)‖ falls below the Carleman truncation bound): the precision and amplification cannot be "
            "set from bounds. Shorten T, raise N, or pass parameters='exact' for a simulation study")
    gap = 1.0 / inverse_norm - perturbation
    if not gap > 0.0:
        raise ValueError("the encoding's quantization error exceeds the bound on σ_min(L): raise angle_bits")
    kappa = max(alpha / gap, 1.0 + 1e-6)
    eps_p = min(postselection_tolerance(epsilon) * amplitude / solution_norm, 0.5)
    slack = inverse_norm * perturbation * solution_norm / (1.0 - inverse_norm * perturbation)
    upper = solution_norm if amplitude_upper is None else min(amplitude_upper, solution_norm)
    return {"kappa": kappa, "eps_p": eps_p, "amplitude": amplitude, "solution_norm": solution_norm,
            "inverse_norm": inverse_norm, "amplitude_range": (max(amplitude - slack, 0.0), upper + slack),
            "quantization_slack": slack}


@dataclass(frozen=True)
class InversionPlan:
    """The classical plan of one solve, built once: κ, the odd polynomial P ≈ c/x of relative error ε_P on [1/κ, 1]
    (GSLW 2019; :func:`pyqgd.quantum.polynomials.inverse_polynomial`) and the fixed-point schedule (Yoder, Low, Chuang
    2014; None without amplification). The circuit then makes ``calls`` = degree × (2l + 1) block-encoding calls."""

    alpha: float
    kappa: float
    eps_p: float
    amplitude: float
    polynomial: InversePolynomial
    lambda_min: float | None
    schedule: FixedPointSchedule | None

    @property
    def degree(self) -> int:
        return int(self.polynomial.degree)

    @property
    def amplification_length(self) -> int:
        return 1 if self.schedule is None else int(self.schedule.length)

    @property
    def calls(self) -> int:
        return self.degree * self.amplification_length


def inversion_success_bracket(alpha: float, scale: float, parameters: dict) -> tuple[float, float]:
    """[λ_lo, λ_hi] ∋ the good probability after P ≈ c/x (c = ``scale``): the output is c·α(y + e) with
    y = Lq⁻¹B/‖B‖ and ‖e‖ ≤ ε_P‖y‖ (relative error of P on every singular value), so its good part has norm
    c·α(‖Π y‖ ± ε_P·U) with ‖Π y‖ in ``parameters["amplitude_range"]`` and ‖y‖ ≤ U = ``parameters["solution_norm"]``."""
    lo, hi = parameters["amplitude_range"]
    err = parameters["eps_p"] * (parameters["solution_norm"] + parameters.get("quantization_slack", 0.0))
    return (scale * alpha * max(lo - err, 0.0)) ** 2, min((scale * alpha * (hi + err)) ** 2, 1.0)


def plan_inversion(alpha: float, parameters: dict, *, amplify: bool = True, delta: float = 0.3,
                   lambda_min: float | None = None, max_degree: int = MAX_DEGREE,
                   max_length: int = 10**7) -> InversionPlan:
    """κ → P ≈ c/x → amplification for an encoding of norm α and ``parameters`` from :func:`gd_solver_parameters`.

    The good probability after the polynomial lies in [λ_lo, λ_hi] (:func:`inversion_success_bracket`);
    :func:`pyqgd.quantum.amplification.amplification_schedule` takes the shorter of fixed-point amplification from
    λ_lo and standard amplification valid on the bracket. ``lambda_min`` overrides λ_lo (fixed-point only).
    """
    poly = inverse_polynomial(parameters["kappa"], parameters["eps_p"], bound=POLYNOMIAL_BOUND, max_degree=max_degree)
    lam = sched = None
    if amplify:
        lam, lam_hi = inversion_success_bracket(alpha, float(poly.scale), parameters)
        if lambda_min is not None:
            lam, lam_hi = lambda_min, None
        elif lam == 0.0:
            raise ValueError(
                f"the a-priori good-probability bound is 0: the encoding's quantization error (slack "
                f"{parameters.get('quantization_slack', 0.0):.2e} on the window amplitude) and the polynomial's error "
                f"exceed the window amplitude bound {parameters['amplitude']:.2e}; raise angle_bits, shorten T, or "
                "pass parameters='exact' for a simulation study")
        # no floor on λ: a tiny one makes the schedule too long, a clear error, never a silently short schedule
        lam = min(max(lam, 1e-300), 1.0)
        sched = amplification_schedule(lam, delta, None if lam_hi is None else max(lam_hi, lam), max_length=max_length)
    return InversionPlan(alpha=float(alpha), kappa=float(parameters["kappa"]), eps_p=float(parameters["eps_p"]),
                         amplitude=float(parameters["amplitude"]), polynomial=poly, lambda_min=lam, schedule=sched)


@dataclass(frozen=True)
class KernelPlan:
    """The classical plan of one kernel-reflection solve (Dalzell, arXiv:2406.12086; :mod:`pyqgd.quantum.qlss`),
    built once: κ, the reflection polynomial β·K of precision ε_K (``eps_p``) on [1/κ, 1], the bracket's ratio a
    (``amplitude``), t = α·tan θ, |b'⟩ and |e⟩ (``rhs_b``, ``rhs_e``) and the fixed-point schedule. The circuit makes
    ``calls`` = degree × (2l + 1) block-encoding calls, as :class:`InversionPlan`."""

    alpha: float
    kappa: float
    eps_p: float
    amplitude: float
    polynomial: object
    lambda_min: float | None
    schedule: FixedPointSchedule | None
    t: float
    rhs_b: dict
    rhs_e: dict

    degree = InversionPlan.degree
    amplification_length = InversionPlan.amplification_length
    calls = InversionPlan.calls


def plan_kernel(alpha: float, parameters: dict, rhs_qsharp: dict, blocks: int, *, epsilon: float,
                amplify: bool = True, delta: float = 0.3, max_degree: int = MAX_KERNEL_DEGREE) -> KernelPlan:
    """The kernel-reflection plan (:func:`pyqgd.quantum.qlss.history_kernel_parameters`) from the same
    ``parameters`` as :func:`plan_inversion`: κ, and the bracket lo = α·a·U ≤ ‖Π_good (L/α)⁻¹B̂‖,
    hi = α·U ≥ ‖(L/α)⁻¹B̂‖ (U = ``parameters["solution_norm"]``, a = ``parameters["amplitude"]``/U)."""
    hi = alpha * parameters["solution_norm"]
    lo = alpha * parameters["amplitude"]
    kp = history_kernel_parameters(alpha, parameters["kappa"], lo, hi, rhs_qsharp, blocks, epsilon=epsilon,
                                   amplify=amplify, delta=delta, max_degree=max_degree)
    sched = fixed_point_schedule(kp["lambda_min"], delta) if amplify else None
    return KernelPlan(alpha=float(alpha), kappa=float(parameters["kappa"]), eps_p=float(kp["eps_k"]),
                      amplitude=float(kp["good_amplitude"]), polynomial=kp["polynomial"],
                      lambda_min=kp["lambda_min"] if amplify else None, schedule=sched, t=float(kp["t"]),
                      rhs_b=kp["rhs_b"], rhs_e=kp["rhs_e"])


def _kernel_prediction(plan: KernelPlan, Lq_over_alpha: np.ndarray, rhs, blocks: int) -> np.ndarray:
    """The kernel solve's output before amplification in numpy: V β·K(Σ) Vᵀ|e⟩ for G = (I − |b'⟩⟨b'|)L/α = U Σ Vᵀ
    (even QSVT on the right singular vectors, GSLW 2019 Thm 17), |b'⟩ and |e⟩ the vectors of ``plan.rhs_b/rhs_e``."""
    Dc = Lq_over_alpha.shape[0] // len(plan.rhs_e["ClockAmplitudes"])
    B = rhs.vector / np.linalg.norm(rhs.vector)
    src = 1 if rhs.qsharp.get("HasConstant", True) else 0
    e = np.zeros_like(B)
    e[blocks * Dc:(blocks + 1) * Dc] = B[src * Dc:(src + 1) * Dc] / np.linalg.norm(B[src * Dc:(src + 1) * Dc])
    theta = np.arctan2(plan.t, plan.alpha)
    b = np.cos(theta) * B + np.sin(theta) * e
    G = Lq_over_alpha - np.outer(b, b @ Lq_over_alpha)
    _, S, Vt = np.linalg.svd(G)
    return Vt.T @ (plan.polynomial(S) * (Vt @ e))


def _inversion_cost(alpha: float, pr: dict, delta: float) -> dict:
    """Calls of :func:`plan_inversion`'s plan without building the polynomial (any degree, for the cost comparison)."""
    d = int(optimal_inverse_degree(pr["kappa"], pr["eps_p"]))
    try:
        c = float(inverse_polynomial(pr["kappa"], pr["eps_p"], bound=POLYNOMIAL_BOUND).scale)
    except ValueError:  # degree above MAX_DEGREE: c·κ → 0.80746 at bound 0.9 (measured, pyqgd.estimate.solvers)
        c = 0.80746 * POLYNOMIAL_BOUND / 0.9 / pr["kappa"]
    lam, lam_hi = inversion_success_bracket(alpha, c, pr)
    length = amplification_length(min(max(lam, 1e-300), 1.0), delta, max(lam_hi, 1e-300))
    return {"kappa": pr["kappa"], "eps_p": pr["eps_p"], "degree": d, "amplification_length": length,
            "calls": d * length}


def _kernel_cost(alpha: float, pr: dict, epsilon: float, delta: float) -> dict:
    """Calls of :func:`plan_kernel`'s plan without finding its phases: degree of β·K (Dalzell Eq. 62) at the
    precision and amplification bound of :func:`pyqgd.quantum.qlss.kernel_precision`."""
    eps_k, lam = kernel_precision(min(pr["amplitude"] / pr["solution_norm"], 1.0), epsilon)
    d = kernel_reflection_degree(max(pr["kappa"], 1.0 + 1e-6), eps_k)
    length = fixed_point_length(min(max(lam, 1e-300), 1.0), delta)
    return {"kappa": pr["kappa"], "eps_p": eps_k, "degree": d, "amplification_length": length, "calls": d * length}


#: The most paddings :func:`choose_padding` plans (a geometric selection of 1..p_max beyond it).
MAX_PADDING_CANDIDATES = 32


def choose_padding(system, u_in, T: int, *, solver: str = "auto", block_encoding: str = "kronecker",
                   epsilon: float = 0.01, delta: float = 0.3, angle_bits: int = DEFAULT_ANGLE_BITS) -> tuple[int, str]:
    """(p, why): the idle padding 1 ≤ p ≤ :func:`default_padding` (T) whose plan from the a-priori bounds makes the
    fewest block-encoding calls (a kernel call weighted by ``KERNEL_CALL_COST``; ``solver="auto"`` takes the
    cheaper solver at each p; ties go to the smaller p), among the plans within the planners' limits (degree
    ``MAX_DEGREE`` / ``MAX_KERNEL_DEGREE``, amplification length 10⁷ / 10,001).

    The padding trades two bounds: more idle copies raise the final window's amplitude (fewer amplification rounds)
    and ‖L⁻¹‖ ≈ (T + p)·2/π (a higher degree). Each p is planned from :func:`pyqgd.carleman.carleman_bounds` alone
    (no solve, no phases). The kernel solve needs T + p + 1 below a power of two (a pad clock value). Falls back to
    :func:`default_padding` (minus one for the kernel solve) when no p has bounds."""
    p_max = default_padding(T)
    ps = list(range(1, p_max + 1))
    if len(ps) > MAX_PADDING_CANDIDATES:
        ps = sorted({int(round(x)) for x in np.geomspace(1, p_max, MAX_PADDING_CANDIDATES)})
    # the quantization error grows with the padding (more quantized blocks), so the largest one's bounds every p
    pert = _perturbation(system, T, p_max, _encoding(block_encoding, system, T, p_max, angle_bits).quantized_matrix())
    best = None
    for p in ps:
        alpha = float(_encoding(block_encoding, system, T, p, angle_bits).alpha)
        _, pr = _bound_parameters(system, u_in, T, p, pert, alpha, epsilon, required=False)
        if pr is None:
            continue
        costs = {}
        if solver in ("qsvt", "auto"):  # the QSVT cost builds P ≈ c/x for its scale: only when QSVT is a candidate
            q = _inversion_cost(alpha, pr, delta)
            if q["degree"] <= MAX_DEGREE and q["amplification_length"] <= 10**7:
                costs["qsvt"] = q["calls"]
        if solver in ("kernel", "auto") and (T + p + 1) & (T + p):  # T + p + 1 not a power of two
            k = _kernel_cost(alpha, pr, epsilon, delta)
            if k["degree"] <= MAX_KERNEL_DEGREE and k["amplification_length"] <= 10_001:
                costs["kernel"] = KERNEL_CALL_COST * k["calls"]
        if costs and (best is None or min(costs.values()) < best[1]):
            best = (p, min(costs.values()))
    fallback = p_max - (solver != "qsvt")
    if best is None:
        return fallback, (f"p = {fallback} (default_padding): no padding has a-priori bounds and a plan within the "
                          "planners' limits")
    over = f"p = 1..{p_max}" if len(ps) == p_max else f"{len(ps)} paddings in 1..{p_max}"
    return best[0], f"p = {best[0]}: the fewest planned calls over {over} (weighted cost {best[1]:.0f})"


@dataclass(frozen=True)
class CircuitRun:
    """One run of ``Solve.HistorySolve`` on the local simulator: ``system_amplitudes`` (the 2^m amplitudes with every
    solver ancilla |0⟩ at the end) and ``first_amplitudes`` (the same after the first QSVT, before amplification;
    the same array without amplification), ``calls`` (block-encoding calls counted by the Q# program while it ran),
    ``nonzero_amplitudes`` and ``qubits`` of its final state, ``seconds`` of Q# simulation (wall clock) and the
    ``cpu_seconds`` this process spent in it."""

    system_amplitudes: np.ndarray
    first_amplitudes: np.ndarray
    calls: int
    nonzero_amplitudes: int
    qubits: int
    seconds: float
    cpu_seconds: float


def _system_block(dump, system_qubits: int) -> np.ndarray:
    """The amplitudes of a dump with every ancilla (the most significant qubits) |0⟩: indices < 2^m, read sparsely."""
    psi = np.zeros(2**system_qubits, dtype=complex)
    for k, a in dump.get_dict().items():
        if int(k) < 2**system_qubits:
            psi[int(k)] = complex(a)
    return psi


def run_history_solve(operation, data, phases, rhs, alphas, betas, system_qubits: int) -> CircuitRun:
    """Run a ``Solve.HistorySolve`` entry (``operation(data, phases, rhs, alphas, betas) : Int``) once; its dumps
    (after the first QSVT when amplifying, and at the end) are read sparsely."""
    return _run_dumped(operation, (data, list(phases), rhs, list(alphas), list(betas)), system_qubits)


def run_kernel_solve(operation, data, rhs_b, rhs_e, phases, alphas, betas, system_qubits: int) -> CircuitRun:
    """Run a ``Solvers.HistoryKernel`` entry (``operation(data, rhsB, rhsE, phases, alphas, betas) : Int``, the
    kernel-reflection solve; its calls counted in the QSVT loops) once, read as :func:`run_history_solve`."""
    return _run_dumped(operation, (data, rhs_b, rhs_e, list(phases), list(alphas), list(betas)), system_qubits)


def _run_dumped(operation, args: tuple, system_qubits: int) -> CircuitRun:
    """One run of a counted solve: its first and last dumps read sparsely, its result the counted calls."""
    t0, c0 = time.perf_counter(), time.process_time()
    res = get_context().run(operation, 1, *args, save_events=True)[0]
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    dumps = [e.state_dump() for e in res["events"] if e.is_state_dump()]
    if not dumps:
        raise RuntimeError("the Q# solve produced no state dump")
    last = _system_block(dumps[-1], system_qubits)
    return CircuitRun(system_amplitudes=last, first_amplitudes=_system_block(dumps[0], system_qubits),
                      calls=int(res["result"]), nonzero_amplitudes=len(dumps[-1].get_dict()),
                      qubits=int(dumps[-1].qubit_count), seconds=seconds, cpu_seconds=cpu)


def final_window_state(psi: np.ndarray, lay, T: int) -> tuple[np.ndarray, float]:
    """(the level-1, slot-1 amplitudes V[t − T, :] of each clock value t ≥ T, the probability of the good subspace
    "clock ≥ T, level 1") from the system amplitudes ``psi`` of the padded layout ``lay``."""
    Kp, Dc = 2**lay.clock_qubits, 2**lay.carleman_qubits
    idx = np.arange(Kp * Dc)
    good = (idx // Dc >= T) & (((idx % Dc) >> (lay.carleman_qubits - lay.level_qubits)) == 0)
    V = psi.reshape(Kp, Dc)[T:][:, lay.carleman_index()[: lay.n]]
    return V, float(np.sum(np.abs(psi[good]) ** 2))


def window_fidelity(V: np.ndarray, u) -> float:
    """⟨û|ρ|û⟩ of the read-out (clock traced out over the window: ρ ∝ Σ_t V_t V_t†) with the direction of ``u``."""
    uh = np.asarray(u, dtype=float) / np.linalg.norm(u)
    return float(np.sum(np.abs(V @ uh) ** 2) / np.sum(np.abs(V) ** 2))


#: ``simulate="auto"`` runs the Q# circuit when :func:`predict_circuit_seconds` predicts at most this many seconds
#: of simulation (and at most ``AUTO_MAX_AMPLITUDES`` nonzero amplitudes), else the block-level simulation.
AUTO_CIRCUIT_SECONDS = 60.0
AUTO_MAX_AMPLITUDES = 2**22

#: The phases of the probes of :func:`predict_circuit_seconds` (generic angles, repeated to the probe's length).
PROBE_PHASES = (0.3, -0.2, 0.5, 0.1, -0.4, 0.2)
#: The two probe lengths (block-encoding calls, ``PROBE_PHASES`` repeated, no amplification): the simulator's state
#: spreads over the first ~10–30 calls and then holds its size, so the marginal cost between the two is the cost of a
#: call in the run's steady state (measured: the per-call CPU time of the n = 2, N = 2, T = 4 kernel solve rises
#: from 23 ms over its first 10 calls to 43 ms from 40 on, at ~1,250 nonzero amplitudes).
PROBE_CALLS = (8, 32)


def predict_circuit_seconds(operation, data, rhs, plan, system_qubits: int, *, kernel_rhs=None,
                            phases=None) -> dict:
    """CPU seconds and nonzero amplitudes of the planned run from two probe runs of the same Q# operation
    (``PROBE_CALLS`` calls, no amplification): seconds ≈ calls × (marginal CPU seconds per call between the two
    probes), amplitudes = those the longer probe ends with (the simulator's cost per gate is
    proportional to the nonzero amplitudes it holds, which stop growing within the probe). The probes run the plan's
    own phases where they are known (a kernel plan's, found with the plan, or the QSVT ``phases`` found before the
    probe: the probe's states are then the run's first states), else ``PROBE_PHASES`` repeated."""
    known = plan.polynomial.phases if isinstance(plan, KernelPlan) else phases

    def run(calls):
        if known is not None and len(known) > calls:
            phases = list(known[:calls + 1])
        else:
            phases = [PROBE_PHASES[k % len(PROBE_PHASES)] for k in range(calls + 1)]
        if kernel_rhs is None:
            return run_history_solve(operation, data, phases, rhs, [], [], system_qubits)
        return run_kernel_solve(operation, data, rhs, kernel_rhs, phases, [], [], system_qubits)

    short, long = run(PROBE_CALLS[0]), run(PROBE_CALLS[1])
    per_call = max(long.cpu_seconds - short.cpu_seconds, 0.0) / (long.calls - short.calls)
    per_call = max(per_call, long.cpu_seconds / long.calls)  # timer noise: never below the probe's own average
    return {"seconds": plan.calls * per_call, "nonzero_amplitudes": int(long.nonzero_amplitudes),
            "probe_calls": long.calls + short.calls, "probe_seconds": long.seconds + short.seconds,
            "probe_amplitudes": long.nonzero_amplitudes, "seconds_per_call": per_call}


def _auto_choice(enc, op, rhs, plan, m, max_degree, budget, angles) -> tuple[str, str, dict | None]:
    """("circuit" | "block", the reason, the prediction) for ``simulate="auto"`` (``angles``: the QSVT plan's)."""
    if plan.degree > max_degree:
        return "block", f"degree {plan.degree} > max_degree {max_degree}", None
    if plan.schedule is not None and plan.schedule.length > 10_001:
        return "block", f"amplification length {plan.schedule.length} > 10001", None
    kern = isinstance(plan, KernelPlan)
    pred = predict_circuit_seconds(op, enc.to_qsharp(), plan.rhs_b if kern else rhs.qsharp, plan, m,
                                   kernel_rhs=plan.rhs_e if kern else None,
                                   phases=None if angles is None else angles.phases)
    why = (f"{plan.calls} calls × {1e3 * pred['seconds_per_call']:.1f} ms ≈ {pred['seconds']:.0f} CPU-s predicted, "
           f"~{pred['nonzero_amplitudes']} nonzero amplitudes")
    if pred["seconds"] <= budget and pred["nonzero_amplitudes"] <= AUTO_MAX_AMPLITUDES:
        return "circuit", why, pred
    return "block", f"the circuit is over the {budget:.0f} s budget: {why}", pred


def _resolve_system(system, u_in, T, N):
    """(CarlemanSystem, u_in, T) from a CarlemanSystem or a GDProblem (its system of order N, u_in and T)."""
    if isinstance(system, GDProblem):
        u_in = system.u_in if u_in is None else u_in
        T = system.T if T is None else T
        system = discrete_carleman(system.qmap, N)
    elif not isinstance(system, CarlemanSystem):
        raise TypeError(f"solve_gd takes a CarlemanSystem or a GDProblem, got {type(system).__name__}")
    if u_in is None or T is None:
        raise TypeError("solve_gd(system, u_in, T): u_in and T are required with a CarlemanSystem")
    return system, u_in, T


def _perturbation(system, T, p, Lq) -> float:
    """√(‖E‖₁‖E‖∞) ≥ ‖E‖₂ for E = Lq − L (Hölder): the encoding's quantization error against the exact padded T-step
    matrix, without the Frobenius norm's growth with the number of blocks."""
    E = sp.csr_matrix(Lq) - sp.csr_matrix(padded_tstep_matrix(system, T, p))
    return float(np.sqrt(sp.linalg.norm(E, 1) * sp.linalg.norm(E, np.inf)))


def _bound_parameters(system, u, T, p, pert, alpha, epsilon, *, required: bool):
    """(:func:`carleman_bounds`, :func:`gd_solver_parameters` from them and the perturbation ``pert``, or None when
    the bounds cannot set them and not ``required``): the a-priori side of :func:`_instance`, no solve."""
    cb = carleman_bounds(system, u, T, p)
    bnd = None
    try:
        inv = max(cb.inverse_norm.value, 1.0)
        sol = inv if cb.solution_norm is None else min(cb.solution_norm.value, inv)
        bnd = gd_solver_parameters(alpha, epsilon, inv, cb.amplitude.value, sol, pert, cb.amplitude_upper)
    except ValueError:
        if required:
            raise
    return cb, bnd


def _instance(system, u, T, p, enc, epsilon, parameters) -> dict:
    """The encoded matrix, |B⟩, the a-priori parameters (no solve) and the classical references (numpy)."""
    rhs = history_rhs(system, u, T, p)
    lay = carleman_layout(system, T, p)
    Lq = enc.quantized_matrix()
    Lq = Lq.toarray() if sp.issparse(Lq) else np.asarray(Lq, dtype=float)
    alpha = float(enc.alpha)
    Kp, Dc = 2**lay.clock_qubits, 2**lay.carleman_qubits
    idx = np.arange(Kp * Dc)
    good = (idx // Dc >= T) & (((idx % Dc) >> (lay.carleman_qubits - lay.level_qubits)) == 0)
    pert = _perturbation(system, T, p, Lq)
    cb, bnd = _bound_parameters(system, u, T, p, pert, alpha, epsilon, required=parameters == "bounds")
    hist = solve_history(system, u, T, p)
    Bn = float(np.linalg.norm(rhs.vector))
    Y = np.linalg.solve(Lq, rhs.vector)
    smin = float(np.linalg.svd(Lq / alpha, compute_uv=False).min())
    a_ex = float(np.linalg.norm(Y[good])) / Bn
    ex = gd_solver_parameters(alpha, epsilon, 1.0 / (alpha * smin) * (1.0 + 1e-9), a_ex, float(np.linalg.norm(Y)) / Bn,
                              amplitude_upper=a_ex)
    return {"rhs": rhs, "lay": lay, "Lq": Lq, "alpha": alpha, "good": good, "pert": pert, "cb": cb, "bounds": bnd,
            "exact": ex, "u_car": hist.u_final, "u_gd": system.qmap.trajectory(u, T)[-1], "Bn": Bn, "Y": Y}


def _check_solve_options(epsilon, parameters, simulate, solver) -> float:
    """ε in (0, 1) and the named choices of :func:`solve_gd`, before any work; returns ε as a float."""
    epsilon = check_positive_float(epsilon, "epsilon")
    if epsilon >= 1.0:
        raise ValueError(f"epsilon (error of the output state) must be < 1, got {epsilon}")
    for name, value, allowed in (("parameters", parameters, ("bounds", "exact")),
                                 ("simulate", simulate, ("auto", "circuit", "block")),
                                 ("solver", solver, ("qsvt", "kernel", "auto"))):
        if value not in allowed:
            raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}, got {value!r}")
    return epsilon


def solve_gd(
    system,
    u_in=None,
    T: int | None = None,
    p: int | None = None,
    *,
    N: int = 2,
    epsilon: float = 0.01,
    amplify: bool = True,
    delta: float = 0.3,
    lambda_min: float | None = None,
    parameters: str = "bounds",
    simulate: str = "auto",
    block_encoding: str = "kronecker",
    solver: str = "qsvt",
    angle_bits: int = DEFAULT_ANGLE_BITS,
    max_degree: int = DEFAULT_MAX_DEGREE,
    max_qubits: int = MAX_SIMULATED_QUBITS,
    require_dissipative: bool = True,
    circuit_budget_seconds: float = AUTO_CIRCUIT_SECONDS,
) -> GdSolveResult:
    """Simulate the quantum Carleman GD solver (module docstring) and compare with the classical answers.

    ``system`` is a :class:`~pyqgd.carleman.CarlemanSystem` (then ``u_in`` and ``T`` are required) or a
    :class:`pyqgd.problem.GDProblem` (its discrete Carleman system of order ``N``, its ``u_in`` and ``T`` unless given).

    ``p`` defaults to :func:`choose_padding`: the 1 ≤ p ≤ :func:`default_padding` (T) whose a-priori plan makes the
    fewest calls (``details["padding_reason"]``). ``epsilon`` is the target 2-norm error of the POST-SELECTED output
    (the final-window, level-1 state), at every T: the polynomial's relative error is ε_P = η(ε)·a/(‖L⁻¹B‖/‖B‖),
    η(ε) = ε√(1 − ε²/4) (:func:`gd_solver_parameters`). ``parameters="bounds"`` (default) takes κ, a and the
    amplification bound from :func:`pyqgd.carleman.bounds.carleman_bounds` (a-priori, no solve; raises ValueError when
    its amplitude bound is 0); ``"exact"`` takes them from the classical history solution and an SVD — a simulation
    study. ``details`` has both costs (``cost_bounds``, ``cost_exact``, ``bound_cost_ratio``). ``lambda_min`` overrides
    the amplification bound. One driver for every encoding: plan (:func:`plan_inversion`, once per solve; QSVT angles
    only when the circuit may run, before its probe), run, read out. ``simulate="circuit"`` runs the Q# program
    ``Solve.HistorySolve`` (calls counted by the program while it runs; ≤ ``max_qubits`` in superposition by the
    sparse-access count 2m + 3). ``simulate="block"`` applies the QSVT theorem (GSLW 2019 Thm 17: the circuit's good
    block is V P(Σ) Uᵀ of the encoded matrix L/α, the matrix the Q# encoding is checked to represent in the tests) in
    numpy: the same post-selected state and success probability; amplification is then the YLC closed form (it does not
    change the post-selected state) and the call count degree × length. ``simulate="auto"`` (default) runs the circuit
    when a probe of the same Q# operation predicts at most ``circuit_budget_seconds`` (default ``AUTO_CIRCUIT_SECONDS``)
    of simulation (:func:`predict_circuit_seconds`), else the block level; ``details["simulate"]`` says which ran and
    ``details["simulate_reason"]`` why. ``block_encoding`` is "kronecker" (default: built from F0, F1, F2 alone,
    ``pyqgd.quantum.kronecker``; α_L = 1 + α_M) or "sparse" (structured oracles over M's tables). All input checks
    (:func:`check_gd_input`), the parameter bounds and the degree check run before any Q#.

    ``solver`` is "qsvt" (P ≈ c/x, above), "kernel" (Dalzell's kernel reflection on the history system,
    ``Solvers.HistoryKernel``, :class:`KernelPlan`: O(κ log 1/ε) calls; needs a pad clock value, T + p + 1 not a
    power of two) or "auto": both planned from the same parameters, the one with the
    lower predicted simulator cost (calls, a kernel call weighted by ``KERNEL_CALL_COST``) runs
    (``details["solver_reason"]``).
    """
    system, u_in, T = _resolve_system(system, u_in, T, N)
    epsilon = _check_solve_options(epsilon, parameters, simulate, solver)
    checks = {"max_qubits": max_qubits if simulate == "circuit" else 2 * MAX_BLOCK_SYSTEM_QUBITS + 3,
              "require_dissipative": require_dissipative}
    padding_reason = "chosen by the caller"
    if p is None:  # the input checks first, at the largest padding, then the padding with the fewest calls
        check_gd_input(system, u_in, T, default_padding(check_positive_int(T, "T (number of steps)")), **checks)
        p, padding_reason = choose_padding(system, as_finite_vector(u_in, "u_in", system.n), T, solver=solver,
                                           block_encoding=block_encoding, epsilon=epsilon, delta=delta,
                                           angle_bits=angle_bits)
    chk = check_gd_input(system, u_in, T, p, **checks)
    T, p, u = chk["T"], chk["p"], chk["u"]
    if simulate != "block":
        get_context()  # compiled once per process, before the clocks start
    t_prep = time.perf_counter()
    enc = _encoding(block_encoding, system, T, p, angle_bits)
    ins = _instance(system, u, T, p, enc, epsilon, parameters)
    par = ins["bounds"] if parameters == "bounds" else ins["exact"]
    plan, solver_reason = _plan(solver, ins, par, epsilon=epsilon, amplify=amplify, delta=delta,
                                lambda_min=lambda_min, max_degree=max_degree if simulate == "circuit" else MAX_DEGREE,
                                max_length=10_001 if simulate == "circuit" else 10**7)
    kernel = isinstance(plan, KernelPlan)
    if simulate == "circuit" and plan.degree > max_degree:
        raise DegreeTooLargeError(f"degree {plan.degree} > max_degree = {max_degree} for the circuit simulation; "
                                  "use simulate='block' or 'auto'")
    m = ins["lay"].system_qubits
    op = _operation(kernel, block_encoding) if simulate != "block" else None
    reason, pred, angles = "chosen by the caller", None, None
    if simulate != "block" and not kernel and plan.degree <= max_degree:
        angles = qsvt_angles(plan.polynomial)  # for the run, and for the probe's states to be the run's
    if simulate == "auto":
        simulate, reason, pred = _auto_choice(enc, op, ins["rhs"], plan, m, max_degree, circuit_budget_seconds,
                                              angles)
    if kernel:
        ins["good"] = ins["good"] & (np.arange(len(ins["good"])) // 2**ins["lay"].carleman_qubits < ins["lay"].blocks)
        x_poly = _kernel_prediction(plan, ins["Lq"] / ins["alpha"], ins["rhs"], ins["lay"].blocks)
    else:
        x_poly = _psv_transpose(ins["Lq"] / ins["alpha"], plan.polynomial) @ (ins["rhs"].vector / ins["Bn"])
    p_pred = float(np.sum(x_poly[ins["good"]] ** 2))
    p_amp_pred = None if plan.schedule is None else float(fixed_point_success(p_pred, plan.schedule))
    run = _run(simulate, op, enc, ins, plan, m, x_poly, angles)
    probe = 0.0 if pred is None else pred["probe_seconds"]
    run["preparation_seconds"] += time.perf_counter() - t_prep - run["qsharp_seconds"] - probe
    return _result(system, T, p, enc, ins, chk, plan, run, p_pred, p_amp_pred, epsilon, parameters, block_encoding,
                   angle_bits, delta, {"simulate": simulate, "simulate_reason": reason, "prediction": pred,
                                       "solver": "kernel" if kernel else "qsvt", "solver_reason": solver_reason,
                                       "padding_reason": padding_reason})


#: The Q# entry of ``Solve.HistorySolve`` for each encoding.
_SOLVE_OPERATIONS = {"sparse": "HistorySolveStructured", "kronecker": "HistorySolveKronecker"}
#: The Q# entry of ``Solvers.HistoryKernel`` (the kernel-reflection solve) for each encoding.
_KERNEL_OPERATIONS = {"sparse": "CarlemanKernelSolve", "kronecker": "CarlemanKernelSolveKronecker"}

#: Simulator CPU seconds of one kernel-reflection call over one QSVT call (the kernel operator adds two |b'⟩
#: preparations, a controlled reflection and one ancilla to each call): measured on the Kronecker encoding at
#: n = 2, N = 2, T = 4, p = 1, a-priori parameters: 39.3 ms per kernel call (1210 calls, 47.6 CPU-s) against 16.0 ms
#: per QSVT call (1513 calls, 24.1 CPU-s); 2.5 at p = 10 (48.7 against 20.8 ms).
KERNEL_CALL_COST = 2.5


def _operation(kernel: bool, block_encoding: str):
    ctx = get_context()
    if kernel:
        return getattr(ctx.code.Solvers.HistoryKernel, _KERNEL_OPERATIONS[block_encoding])
    return getattr(ctx.code.Solve.HistorySolve, _SOLVE_OPERATIONS[block_encoding])


def _plan(solver, ins, par, *, epsilon, amplify, delta, lambda_min, max_degree, max_length):
    """(the plan of ``solver``, why): for "auto" both plans, the lower predicted cost (calls × per-call cost)."""
    lay = ins["lay"]
    plans, errors = {}, {}
    if solver in ("qsvt", "auto"):
        try:
            plans["qsvt"] = plan_inversion(ins["alpha"], par, amplify=amplify, delta=delta, lambda_min=lambda_min,
                                           max_degree=max_degree, max_length=max_length)
        except ValueError as exc:
            if solver == "qsvt":
                raise
            errors["qsvt"] = str(exc)
    if solver in ("kernel", "auto"):
        try:
            if lay.blocks >= 2**lay.clock_qubits:
                raise ValueError(f"T + p + 1 = {lay.blocks} fills the {lay.clock_qubits}-qubit clock: the kernel "
                                 "solve needs one padded clock value; leave p out or choose p with T + p + 1 not a "
                                 "power of 2")
            plans["kernel"] = plan_kernel(ins["alpha"], par, ins["rhs"].qsharp, lay.blocks, epsilon=epsilon,
                                          amplify=amplify, delta=delta, max_degree=min(max_degree, MAX_KERNEL_DEGREE))
        except ValueError as exc:
            if solver == "kernel":
                raise
            if not plans:  # neither solver can plan this instance: both reasons, the first one's type
                raise type(exc)(f"no solver can plan this instance. QSVT: {errors['qsvt'].splitlines()[0]} "
                                f"Kernel reflection: {str(exc).splitlines()[0]}") from exc
            errors["kernel"] = str(exc)
    if solver != "auto":
        return plans[solver], "chosen by the caller"
    cost = {k: v.calls * (KERNEL_CALL_COST if k == "kernel" else 1.0) for k, v in plans.items()}
    best = min(cost, key=cost.get)
    why = "; ".join(f"{k}: {v.calls} calls" for k, v in plans.items()) + \
        "".join(f"; {k}: {e.splitlines()[0]}" for k, e in errors.items())
    return plans[best], f"{best}, the lower predicted cost ({why}; a kernel call ≈ {KERNEL_CALL_COST:g} QSVT calls)"


def _run(simulate, op, enc, ins, plan, m, x_poly, angles) -> dict:
    """The circuit (one Q# run: its first dump is the state before amplification) or the block-level transform;
    ``angles`` the QSVT plan's phases. Its ``preparation_seconds`` is 0: the caller times all classical work."""
    if simulate != "circuit":
        return {"psi": x_poly, "psi0": x_poly, "calls": plan.calls, "counted_by_qsharp": False, "p_amp": None,
                "angle_error": None, "nonzero_amplitudes": None, "qubits_dumped": None, "qsharp_seconds": 0.0,
                "qsharp_cpu_seconds": 0.0,
                "preparation_seconds": 0.0}
    amp = ([], []) if plan.schedule is None else (plan.schedule.alphas.tolist(), plan.schedule.betas.tolist())
    if isinstance(plan, KernelPlan):  # its phases were found with the plan (preparation)
        angles = plan.polynomial
        run = run_kernel_solve(op, enc.to_qsharp(), plan.rhs_b, plan.rhs_e, angles.phases.tolist(), *amp, m)
    else:
        run = run_history_solve(op, enc.to_qsharp(), angles.phases.tolist(), ins["rhs"].qsharp, *amp, m)
    p_amp = None if plan.schedule is None else float(np.sum(np.abs(run.system_amplitudes[ins["good"]]) ** 2))
    return {"psi": run.system_amplitudes, "psi0": run.first_amplitudes, "calls": run.calls,
            "counted_by_qsharp": True, "p_amp": p_amp, "angle_error": float(angles.max_error),
            "nonzero_amplitudes": run.nonzero_amplitudes, "qubits_dumped": run.qubits, "qsharp_seconds": run.seconds,
            "qsharp_cpu_seconds": run.cpu_seconds, "preparation_seconds": 0.0}


def _result(system, T, p, enc, ins, chk, plan, run, p_pred, p_amp_pred, epsilon, parameters, block_encoding,
            angle_bits, delta, how) -> GdSolveResult:
    """Read out the final window and assemble the typed result."""
    lay, m, alpha, good = ins["lay"], ins["lay"].system_qubits, ins["alpha"], ins["good"]
    psi, psi0 = run["psi"], run["psi0"]
    kernel = isinstance(plan, KernelPlan)
    # the kernel solve's pad clock value K = T + p + 1 holds t·|e>, outside the window
    V, _ = final_window_state(np.where(np.arange(len(psi)) < lay.blocks * 2**lay.carleman_qubits, psi, 0) if kernel
                              else psi, lay, T)
    state = V.sum(axis=0)
    state = state / np.linalg.norm(state)
    Y = ins["Y"]
    nq = 2 + enc.num_ancillas + kernel + m  # the kernel operator's LCU qubit
    scratch = angle_bits + 2 * lay.carleman_qubits + 10
    qubits = {**lay.qubits(), "block_encoding_ancillas": enc.num_ancillas + kernel, "qsvt_ancillas": 2,
              "scratch": scratch, "in_superposition": nq}
    ex, bnd = ins["exact"], ins["bounds"]
    cost_exact = _inversion_cost(alpha, ex, delta)
    cost_bounds = None if bnd is None else _inversion_cost(alpha, bnd, delta)
    sched, cb = plan.schedule, ins["cb"]
    circuit = how["simulate"] == "circuit"
    return GdSolveResult(
        n=lay.n, N=lay.N, T=T, p=p, dim=system.dim, system_size=(T + 1 + p) * system.dim, padded_size=2**m,
        sparsity=getattr(getattr(enc, "data", None), "sparsity", 0), alpha=alpha,
        max_abs=getattr(getattr(enc, "data", None), "max_abs", float("nan")), kappa=plan.kappa, epsilon=epsilon,
        degree=plan.degree, polynomial_scale=float(plan.polynomial.scale),
        block_encoding_calls=int(run["calls"]), block_encoding_calls_per_solve=plan.degree,
        amplification_length=plan.amplification_length, qubits=qubits, qubits_total=2 + (2 * m + 1) + scratch,
        qubits_in_superposition=nq, stored_entries=enc.stored_entries,
        success_probability=float(np.sum(np.abs(psi0[good]) ** 2)), success_probability_predicted=p_pred,
        amplified_success_probability=run["p_amp"],
        amplified_success_probability_predicted=p_amp_pred,
        final_window_fraction=float(np.sum(Y[good] ** 2) / np.sum(Y**2)),
        fidelity_carleman=window_fidelity(V, ins["u_car"]), fidelity_gd=window_fidelity(V, ins["u_gd"]),
        state=np.real_if_close(state), u_carleman=ins["u_car"], u_gd=ins["u_gd"],
        dissipation_number=float(chk["R"]), simulated_seconds=run["qsharp_seconds"],
        method="kernel_reflection" if kernel else "qsvt",
        preparation_seconds=run["preparation_seconds"], nonzero_amplitudes=run["nonzero_amplitudes"],
        calls_counted_by_qsharp=run["counted_by_qsharp"],
        details={
            "R_d": chk["R_d"], "rho": chk["rho"],
            "ideal_success_probability": _ideal_success(plan, Y / ins["Bn"], good),
            "qsvt_success_probability": float(np.sum(np.abs(psi0) ** 2)), "parameters": parameters, **how,
            "block_encoding": block_encoding, "polynomial_precision": plan.eps_p,
            "lambda_min": plan.lambda_min, "delta": None if sched is None else delta,
            "amplification_bracket": None if sched is None else sched.bracket,
            "amplification_width": None if sched is None else sched.width,
            "angle_reconstruction_error": run["angle_error"], "kappa_matrix": float(np.linalg.cond(ins["Lq"])),
            "kappa_exact": ex["kappa"], "kappa_bound": None if bnd is None else bnd["kappa"],
            "inverse_norm_bound": cb.inverse_norm.value, "inverse_norm_method": cb.inverse_norm.method,
            "amplitude_bound": cb.amplitude.value, "amplitude_exact": ex["amplitude"],
            "encoding_perturbation": ins["pert"], "cost_exact": cost_exact, "cost_bounds": cost_bounds,
            "bound_cost_ratio": None if cost_bounds is None else cost_bounds["calls"] / cost_exact["calls"],
            "explicit_table_entries": 5 * 4**m, "padding_leakage": float(
                1.0 - np.sum(np.abs(psi[good]) ** 2) / max(np.sum(np.abs(psi) ** 2), 1e-300)),
            "circuit_qubits": run["qubits_dumped"] if circuit else None,
            "simulated_cpu_seconds": run["qsharp_cpu_seconds"],
        },
    )


def _ideal_success(plan, y: np.ndarray, good: np.ndarray) -> float:
    """The good probability of the exact transform: (c·α)²‖Π y‖² (QSVT, y = L⁻¹B̂) or, for the kernel reflection
    (x = α·y), (β·2t/(‖x‖² + t²))²·‖Π x‖² (Dalzell 2024; :mod:`pyqgd.quantum.qlss`)."""
    if isinstance(plan, KernelPlan):
        x = plan.alpha * y
        return float((plan.polynomial.scale * 2 * plan.t / (x @ x + plan.t**2)) ** 2 * np.sum(x[good] ** 2))
    return float((plan.polynomial.scale * plan.alpha) ** 2 * np.sum(y[good] ** 2))


def kronecker_solve(system: CarlemanSystem, u_in, T: int, p: int, *, epsilon: float = 0.01, amplify: bool = True,
                    delta: float = 0.3, angle_bits: int = DEFAULT_ANGLE_BITS) -> GdSolveResult:
    """:func:`solve_gd` on the Q# circuit of the Kronecker encoding with instance-exact parameters (a simulation
    study: κ from the SVD of the encoded L, the amplitude from the classical history solution)."""
    return solve_gd(system, u_in, T, p, epsilon=epsilon, amplify=amplify, delta=delta, angle_bits=angle_bits,
                    parameters="exact", simulate="circuit", block_encoding="kronecker")
