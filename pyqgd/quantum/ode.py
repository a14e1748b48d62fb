"""End-to-end quantum solver of the Carleman gradient-descent system (Liu et al. 2024; paper.md F4, F8, F9, F11, F14).

``solve_gd(system, u_in, T, p)`` simulates the paper's algorithm on the local Q# simulator:

1. prepare |B⟩ ∝ [ŷ_in; b; …; b; 0…] (F4) — tensor powers of a sparsely prepared |u_in⟩ under a level superposition
   with amplitudes ∝ ‖u_in‖^j (F11), and of |F0⟩ for the constant blocks (``structured_oracles.history_rhs``);
2. block-encode the T-step matrix L = I ⊗ I − S ⊗ M (+ idle padding) with the structured sparse-access oracles
   (``structured_oracles``; α = s·max|L|, s = 1 + s_M);
3. apply Re P^{(SV)}(Lᵀ/α) with the degree-optimal odd P ≈ c/x on [1/κ, 1], κ ≥ α/σ_min(L) (issue-3 QSVT), so the
   all-ancillas-|0⟩ branch holds ≈ c·α·L⁻¹|B⟩ = c·α·Y/‖B‖;
4. fixed-point amplitude amplification (Yoder–Low–Chuang 2014) of the good subspace "solver ancillas |0⟩, clock in the
   final window t = T..T+p, level 1", whose probability is ‖Π_good P^{(SV)}(Lᵀ/α)|B⟩‖² (F9);
5. read the level-1 block: the postselected state is Σ_{t ≥ T} |t⟩|ŷ_1(t)⟩ with ŷ_1(t) = u_T for all t in the window.
   Its fidelity with u_T/‖u_T‖ is ⟨û|ρ|û⟩, ρ the level-1 state with the clock traced out.

The predictions beside the simulated numbers are independent numpy computations: the exact polynomial transform
V P(Σ) Uᵀ of the quantized L (success before amplification) and the YLC closed form (after it).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from pyqgd._checks import TooLargeError, as_finite_vector, check_positive_float, check_positive_int
from pyqgd.carleman import CarlemanSystem, NotDissipativeError, contraction_factor, discrete_dissipation_number, \
    dissipation_number, re_lambda1, solve_history
from pyqgd.quantum.amplification import fixed_point_schedule, fixed_point_success
from pyqgd.quantum.oracles import DEFAULT_ANGLE_BITS
from pyqgd.quantum.polynomials import inverse_polynomial
from pyqgd.quantum.qsp import qsvt_angles
from pyqgd.quantum.solvers import DEFAULT_MAX_DEGREE
from pyqgd.quantum.structured_oracles import carleman_layout, carleman_oracle_data, history_rhs

__all__ = ["GdSolveResult", "solve_gd", "default_padding", "MAX_SIMULATED_QUBITS", "check_gd_input"]

#: Most qubits in superposition (2 QSVT + 1 flag + 2m index/system) the local simulator is asked to carry.
MAX_SIMULATED_QUBITS = 20


def default_padding(T: int) -> int:
    """p filling the clock register: 2^⌈log2(T+1)⌉ − (T+1) idle steps (no extra qubit; PNAS Eq. 8 padding)."""
    return 2 ** max(1, int(T).bit_length()) - (T + 1) if T + 1 > 1 else 0


@dataclass(frozen=True)
class GdSolveResult:
    """Outcome and cost counters of one simulated quantum GD solve (field names are a stable interface).

    Problem: ``n``, ``N``, ``T``, ``p``, ``dim`` (Σ_j n^j), ``system_size`` ((T+1+p)·dim), ``padded_size`` (2^m).
    Encoding: ``sparsity`` s of L's block-encoding, ``alpha`` = s·max|L|, ``kappa`` (α/σ_min bound used), ``epsilon``,
    ``degree`` of P ≈ c/x, ``polynomial_scale`` c. Cost: ``block_encoding_calls`` (total, with amplification),
    ``block_encoding_calls_per_solve`` (= degree), ``amplification_length`` (calls of the solve unitary, 2l+1),
    ``qubits`` (by register), ``qubits_total``, ``qubits_in_superposition``, ``stored_entries`` (oracle table
    entries). Probabilities: ``success_probability`` (good subspace, before amplification) and its numpy
    ``success_probability_predicted``, ``amplified_success_probability`` / ``..._predicted``,
    ``final_window_fraction`` = ‖Π Y‖²/‖Y‖² of the classical history state. Output: ``state`` (|u_T⟩ as read out,
    normalized level-1 vector summed over the window), ``fidelity_carleman`` with solve_history's u_T,
    ``fidelity_gd`` with the true nonlinear map's u_T, ``u_carleman``, ``u_gd``.
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


def solve_gd(
    system: CarlemanSystem,
    u_in,
    T: int,
    p: int | None = None,
    *,
    epsilon: float = 0.01,
    amplify: bool = True,
    delta: float = 0.3,
    lambda_min: float | None = None,
    angle_bits: int = DEFAULT_ANGLE_BITS,
    max_degree: int = DEFAULT_MAX_DEGREE,
    max_qubits: int = MAX_SIMULATED_QUBITS,
    require_dissipative: bool = True,
) -> GdSolveResult:
    """Simulate the quantum Carleman GD solver (module docstring) and compare with the classical answers.

    ``p`` defaults to :func:`default_padding`. ``epsilon`` is the relative error of P ≈ c/x on [1/κ, 1] with
    κ = α/σ_min(L) from the SVD (simulator sizes). With ``amplify``, fixed-point amplification uses the lower bound
    ``lambda_min`` on the good-subspace probability; by default (1 − 2ε)²·(cα)²·‖Π_good L⁻¹B‖²/‖B‖² from the classical
    history solution (at model scale a bound such as F9 replaces it). All input checks (:func:`check_gd_input`) and
    the degree check run before any Q#.
    """
    from pyqgd.quantum._context import get_context, run_and_dump

    epsilon = check_positive_float(epsilon, "epsilon")
    if p is None:
        p = default_padding(check_positive_int(T, "T (number of steps)"))
    chk = check_gd_input(system, u_in, T, p, max_qubits=max_qubits, require_dissipative=require_dissipative)
    T, p, u = chk["T"], chk["p"], chk["u"]
    data = carleman_oracle_data(system, T, p, angle_bits=angle_bits)
    rhs = history_rhs(system, u, T, p)
    lay = data.layout
    m = lay.system_qubits
    Lq = data.quantized_matrix()
    A = Lq / data.alpha
    smin = float(np.linalg.svd(A, compute_uv=False).min())
    kappa = max(1.0 / smin * (1.0 + 1e-6), 1.0 + 1e-6)
    poly = inverse_polynomial(kappa, epsilon, max_degree=max_degree)
    angles = qsvt_angles(poly)

    # classical references (numpy): history solution, good-subspace projector, predictions
    hist = solve_history(system, u, T, p)
    u_car = hist.u_final
    u_gd = system.qmap.trajectory(u, T)[-1]
    Kp, Dc = 2**lay.clock_qubits, 2**lay.carleman_qubits
    lvl_shift = lay.carleman_qubits - lay.level_qubits
    t_idx = np.arange(Kp * Dc) // Dc
    c_idx = np.arange(Kp * Dc) % Dc
    good = (t_idx >= T) & ((c_idx >> lvl_shift) == 0)
    x_poly = _psv_transpose(A, poly) @ rhs.vector
    p_pred = float(np.sum(x_poly[good] ** 2))
    Y = np.linalg.solve(Lq, rhs.vector)
    window = float(np.sum(Y[good] ** 2) / np.sum(Y**2))
    ideal = float((poly.scale * data.alpha) ** 2 * np.sum(Y[good] ** 2))
    sched = None
    if amplify:
        lam = lambda_min if lambda_min is not None else (1.0 - 2.0 * epsilon) ** 2 * ideal
        sched = fixed_point_schedule(min(max(lam, 1e-12), 1.0), delta)
    ctx = get_context()
    nq = 2 + (m + 1) + m
    t0 = time.perf_counter()
    st, _ = run_and_dump(ctx.code.Carleman.HistoryState.CarlemanQsvtSolve, data.to_qsharp(), angles.phases.tolist(),
                         rhs.qsharp, [], [], num_qubits=nq)
    psi0 = st[: 2**m]  # all ancillas |0> (they are the most significant qubits)
    p_sim = float(np.sum(np.abs(psi0[good]) ** 2))
    p_amp = p_amp_pred = None
    psi = psi0
    if sched is not None:
        st, _ = run_and_dump(ctx.code.Carleman.HistoryState.CarlemanQsvtSolve, data.to_qsharp(), angles.phases.tolist(),
                             rhs.qsharp, sched.alphas.tolist(), sched.betas.tolist(), num_qubits=nq)
        psi = st[: 2**m]
        p_amp = float(np.sum(np.abs(psi[good]) ** 2))
        p_amp_pred = float(fixed_point_success(p_sim, sched))
    seconds = time.perf_counter() - t0
    # read-out: level-1 block, slot 1, in each window clock value
    blocks = psi.reshape(Kp, Dc)[T:]
    idx1 = lay.carleman_index()[: lay.n]
    V = blocks[:, idx1]
    state = V.sum(axis=0)
    state = state / np.linalg.norm(state)
    w = np.sum(np.abs(V) ** 2)
    uc = u_car / np.linalg.norm(u_car)
    ug = u_gd / np.linalg.norm(u_gd)
    fid_c = float(np.sum(np.abs(V @ uc) ** 2) / w)
    fid_g = float(np.sum(np.abs(V @ ug) ** 2) / w)
    L_aa = 1 if sched is None else sched.length
    be_q = (m + 1) + m  # flag + index + system
    scratch = data.angle_bits + 2 * lay.carleman_qubits + 10
    qubits = {**lay.qubits(), "block_encoding_ancillas": m + 1, "qsvt_ancillas": 2,
              "scratch": scratch, "in_superposition": nq}
    return GdSolveResult(
        n=lay.n, N=lay.N, T=T, p=p, dim=system.dim, system_size=(T + 1 + p) * system.dim, padded_size=2**m,
        sparsity=data.sparsity, alpha=data.alpha, max_abs=data.max_abs, kappa=float(kappa), epsilon=epsilon,
        degree=angles.degree, polynomial_scale=float(poly.scale),
        block_encoding_calls=angles.degree * L_aa, block_encoding_calls_per_solve=angles.degree,
        amplification_length=L_aa, qubits=qubits, qubits_total=2 + be_q + scratch, qubits_in_superposition=nq,
        stored_entries=data.stored_entries,
        success_probability=p_sim, success_probability_predicted=p_pred,
        amplified_success_probability=p_amp, amplified_success_probability_predicted=p_amp_pred,
        final_window_fraction=window, fidelity_carleman=fid_c, fidelity_gd=fid_g, state=np.real_if_close(state),
        u_carleman=u_car, u_gd=u_gd, dissipation_number=float(chk["R"]), simulated_seconds=seconds,
        details={
            "R_d": chk["R_d"], "rho": chk["rho"], "ideal_success_probability": ideal,
            "qsvt_success_probability": float(np.sum(np.abs(psi0) ** 2)),
            "lambda_min": None if sched is None else float(lam), "delta": None if sched is None else delta,
            "amplification_width": None if sched is None else sched.width,
            "angle_reconstruction_error": float(angles.max_error), "kappa_matrix": float(np.linalg.cond(Lq)),
            "explicit_table_entries": 5 * 4**m, "padding_leakage": float(
                1.0 - np.sum(np.abs(psi[good]) ** 2) / max(np.sum(np.abs(psi) ** 2), 1e-300)),
        },
    )
