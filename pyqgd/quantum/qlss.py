"""Optimal-scaling quantum linear-system solver: Dalzell's kernel reflection, simulated in Q#.

D. Dalzell, "A shortcut to an optimal quantum linear system solver", arXiv:2406.12086 (2024). For M x = b with a
block-encoding of A = M (block A/α) and κ ≥ α/σ_min(M), let x = (A/α)⁻¹b (‖b‖ = 1, so 1 ≤ ‖x‖ ≤ κ) and t > 0 a guess
of ‖x‖. The augmented matrix A_t = |0⟩⟨0| ⊗ A/α + t⁻¹|1⟩⟨1| ⊗ |0⟩⟨0| and b' ∝ (b, 1) give
G_t = (I − |b'⟩⟨b'|)A_t. On span(|0⟩|s⟩, |1⟩|0⟩) — G_t vanishes on |1⟩|s ≠ 0⟩, which the start state never meets —
its kernel is span(x_t), x_t ∝ (x, t), and its other singular values are ≥ σ_min(A_t) ≥ 1/κ for t ≤ κ (for
v ⊥ A_t†b', G_t v = A_t v; Dalzell §3). The
even polynomial (Dalzell Eq. 62, a Lin–Tong eigenstate-filtering polynomial shifted to a reflection)

    K(σ) = −1 + 2·(T_ℓ(z(σ)) + 1)/(T_ℓ(z₀) + 1),   z(σ) = (1 + δ² − 2σ²)/(1 − δ²),   z₀ = z(0),   δ = 1/κ,

equals 1 at σ = 0 and lies within ε_K = 4/(T_ℓ(z₀) + 1) of −1 on [δ, 1]; degree 2ℓ with
ℓ = ⌈arccosh(4/ε_K − 1)/arccosh(z₀)⌉ ≈ κ·ln(8/ε_K)/2. QSVT applies β·K to G_t (β = 0.999 < 1 keeps the angle finder
well-posed); started on |e⟩ = |1⟩|0⟩ the a = 0 branch holds β·2t/(‖x‖² + t²)·x up to β·ε_K, i.e. the solution with
probability p(r) = 4r²/(1 + r²)², r = t/‖x‖. With a bracket lo ≤ ‖x‖ ≤ hi (default [1, κ]) and t = √(lo·hi),
p ≥ p_lo = 4q/(1 + q)², q = hi/lo; fixed-point amplification (Yoder–Low–Chuang 2014) with the lower bound
λ = (β√p_lo − β ε_K)² then makes the success probability ≥ 1 − δ_AA². The precision ε_K = ε·√p_lo/2 makes the
post-selected state ε-close to x/‖x‖ (error ≤ 2ε_K/√p; the same rule as the estimator,
:func:`pyqgd.estimate.solvers.kernel_reflection_calls`; the history-system solve uses the sharper
:func:`kernel_precision`).

Why this solver and not the discrete adiabatic walk + eigenstate filtering (Costa et al., PRX Quantum 3, 040303,
2022): with the norm known to a constant factor it is ONE QSVT circuit of degree ≈ κ ln(8/ε_K) on a fixed
block-encoding — no time-dependent walk operators, no schedule whose proven constant (2305κ) is 1000× above what is
observed — so it reuses this package's QSVT, angle finder and amplification; its cost with known norm is
(1 + O(ε))κ ln(2√2/ε) (Dalzell Thm 1), and Dalzell's norm estimation makes the unknown-norm case O(κ log 1/ε) with
the explicit bound 56κ + 1.05κ ln(1/ε) + o(κ) (Dalzell Thm 2). Here the norm bracket comes from the caller (for
the Carleman system: :mod:`pyqgd.carleman.bounds`); the norm-estimation stage is not implemented, its published
cost is what :func:`pyqgd.estimate.solvers.kernel_reflection_calls` adds when no bracket is known.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.polynomial import chebyshev as C

from pyqgd._checks import check_positive_float
from pyqgd.carleman import carleman_bounds, solve_history
from pyqgd.quantum._context import get_context
from pyqgd.quantum.amplification import fixed_point_schedule, fixed_point_success
from pyqgd.quantum.kronecker import _last_dump, kronecker_encoding
from pyqgd.quantum.oracles import DEFAULT_ANGLE_BITS, MAX_SYSTEM_QUBITS
from pyqgd.quantum.polynomials import postselection_tolerance
from pyqgd.quantum.qsp import AngleFindingError, reflection_response, wx_phases, wx_to_reflection
from pyqgd.quantum.solvers import (
    QuantumSolveResult,
    encoded_kappa,
    prepare_system,
    run_counted,
    run_with_amplification,
    simulated_result,
)
from pyqgd.quantum.structured_oracles import carleman_layout, carleman_oracle_data, history_rhs

__all__ = ["KernelReflectionPolynomial", "kernel_reflection_polynomial", "kernel_reflection_degree",
           "kernel_success_lower_bound", "kernel_operator_matrix", "solve_kernel_reflection", "KERNEL_SCALE",
           "MAX_KERNEL_DEGREE", "kernel_precision", "HistoryKernelSetup", "history_kernel_setup", "history_kernel_parameters", "solve_history_kernel"]

#: β: the polynomial is scaled to max |β·K| = β < 1 on [−1, 1] (QSP angle finding needs |P| < 1).
KERNEL_SCALE = 0.999
#: Largest degree solve_kernel_reflection builds (angle finding is O(d²) per Newton step; each degree is one call).
MAX_KERNEL_DEGREE = 2000


def _ell(kappa: float, eps_k: float) -> int:
    delta = 1.0 / kappa
    z0 = (1.0 + delta * delta) / (1.0 - delta * delta)
    return max(1, math.ceil(math.acosh(4.0 / eps_k - 1.0) / math.acosh(z0)))


def kernel_reflection_degree(kappa: float, eps_k: float) -> int:
    """Degree 2ℓ of Dalzell's K (module docstring) with sup error ≤ ``eps_k`` on [1/κ, 1]: the QSVT call count."""
    kappa = check_positive_float(kappa, "kappa")
    eps_k = check_positive_float(eps_k, "eps_k")
    if kappa <= 1.0 or eps_k >= 2.0:
        raise ValueError(f"need kappa > 1 and eps_k < 2, got kappa = {kappa}, eps_k = {eps_k}")
    return 2 * _ell(kappa, eps_k)


def kernel_success_lower_bound(norm_ratio: float) -> float:
    """p_lo = 4q/(1 + q)² for a bracket hi/lo = q ≥ 1 of ‖x‖ and t = √(lo·hi) (p(r) = 4r²/(1+r²)², |ln r| ≤ ln√q)."""
    q = check_positive_float(norm_ratio, "norm_ratio")
    if q < 1.0:
        raise ValueError(f"the norm bracket ratio hi/lo must be ≥ 1, got {q}")
    return 4.0 * q / (1.0 + q) ** 2


@dataclass(frozen=True)
class KernelReflectionPolynomial:
    """β·K (Chebyshev coefficients ``coef``) for gap δ = 1/κ, error ``eps_k`` on [δ, 1]; ``phases`` its QSVT phases."""
    kappa: float
    eps_k: float
    ell: int
    scale: float
    coef: np.ndarray
    phases: np.ndarray
    max_error: float

    @property
    def degree(self) -> int:
        return 2 * self.ell

    def __call__(self, x) -> np.ndarray:
        return C.chebval(np.asarray(x, dtype=float), self.coef)


def kernel_reflection_polynomial(kappa: float, eps_k: float, *, scale: float = KERNEL_SCALE,
                                 max_degree: int = MAX_KERNEL_DEGREE) -> KernelReflectionPolynomial:
    """β·K of the module docstring, its reflection-convention QSVT phases (pyqsp symmetric QSP, the even case of
    :mod:`pyqgd.quantum.qsp`) and the phase reconstruction error on a 4001-point grid of [−1, 1]."""
    d = kernel_reflection_degree(kappa, eps_k)
    if d > max_degree:
        raise ValueError(f"the kernel-reflection polynomial needs degree {d} > max_degree = {max_degree} "
                         f"(κ = {kappa:g}, ε_K = {eps_k:g}); raise max_degree or use the resource estimator")
    ell = d // 2
    delta = 1.0 / kappa
    z = C.Chebyshev([delta**2 / (1.0 - delta**2), 0.0, -1.0 / (1.0 - delta**2)])
    Tz = C.Chebyshev([0.0] * ell + [1.0])(z)
    z0 = (1.0 + delta**2) / (1.0 - delta**2)
    Tz0 = math.cosh(ell * math.acosh(z0))
    K = -1.0 + 2.0 * (Tz + 1.0) / (Tz0 + 1.0)
    coef = scale * K.coef
    coef[1::2] = 0.0
    psi = wx_to_reflection(wx_phases(coef))
    x = np.linspace(-1.0, 1.0, 4001)
    err = float(np.max(np.abs(reflection_response(psi, x).real - C.chebval(x, coef))))
    if err > 1e-8:
        raise AngleFindingError(f"kernel-reflection phases reproduce the polynomial only to {err:.2e}")
    return KernelReflectionPolynomial(kappa=float(kappa), eps_k=float(eps_k), ell=ell, scale=scale, coef=coef,
                                      phases=psi, max_error=err)


def kernel_operator_matrix(A_over_alpha: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """numpy G_t = (I − |b'⟩⟨b'|)A_t (module docstring), index [a, s] big-endian: the independent reference for the
    block of the Q# encoding ``Solvers.KernelReflection.KernelOperatorBlockEncoding``."""
    N = len(b)
    At = np.zeros((2 * N, 2 * N))
    At[:N, :N] = A_over_alpha
    At[N, N] = 1.0 / t
    bp = np.concatenate([b, np.eye(N)[0]]) / math.sqrt(2.0)
    return (np.eye(2 * N) - np.outer(bp, bp)) @ At


def solve_kernel_reflection(M, b, *, epsilon: float = 0.01, kappa: float | None = None,
                            norm_bounds: tuple[float, float] | None = None, amplify: bool = True, delta: float = 0.1,
                            angle_bits: int = DEFAULT_ANGLE_BITS, max_degree: int = MAX_KERNEL_DEGREE,
                            max_system_qubits: int = MAX_SYSTEM_QUBITS) -> QuantumSolveResult:
    """Solve M x = b for |x⟩ with the kernel-reflection QLSS (module docstring) on the local Q# simulator.

    ``kappa`` bounds α/σ_min(M) (default: from the SVD, fine at simulator sizes). ``norm_bounds`` = (lo, hi) brackets
    ‖(M/α)⁻¹b‖ for normalized b (default the always-valid [1, κ]); t = √(lo·hi). ``epsilon`` is the target 2-norm
    error of the post-selected state. With ``amplify``, fixed-point amplification uses the rigorous lower bound of
    the module docstring. ``block_encoding_calls`` is the number the Q# program counted in its loops;
    ``success_probability`` (no amplification) and ``amplified_success_probability`` are read from state dumps of
    two simulated runs. Raises the errors of :func:`pyqgd.quantum.prepare_system` before any Q# runs, ValueError for
    a singular M, a ``kappa`` below α/σ_min or a bracket that is not 0 < lo ≤ hi ≤ κ.
    """

    epsilon = check_positive_float(epsilon, "epsilon")
    if epsilon >= 1.0:
        raise ValueError(f"epsilon must be < 1, got {epsilon}")
    data, bp, n = prepare_system(M, b, angle_bits=angle_bits, max_system_qubits=max_system_qubits)
    Mq = data.quantized_matrix()
    kappa, kappa_be = encoded_kappa(data, kappa, floor=1.0 + 1e-3)
    lo, hi = (1.0, kappa) if norm_bounds is None else (float(norm_bounds[0]), float(norm_bounds[1]))
    if not (0.0 < lo <= hi <= kappa * (1 + 1e-9)):
        raise ValueError(f"norm_bounds must satisfy 0 < lo ≤ hi ≤ κ = {kappa:g}, got ({lo:g}, {hi:g})")
    t = math.sqrt(lo * hi)
    p_lo = kernel_success_lower_bound(hi / lo)
    eps_k = epsilon * math.sqrt(p_lo) / 2.0
    poly = kernel_reflection_polynomial(kappa, eps_k, max_degree=max_degree)
    lam = (poly.scale * (math.sqrt(p_lo) - eps_k)) ** 2
    sched = fixed_point_schedule(min(lam, 1.0), delta) if amplify else None
    m = data.num_system
    nq = 2 + 2 + (m + 1) + 1 + m
    op = get_context().code.Solvers.KernelReflection.KernelReflectionSolve

    def run(schedule):
        alphas, betas = ([], []) if schedule is None else (schedule.alphas.tolist(), schedule.betas.tolist())
        return run_counted(op, data.to_qsharp(), bp.tolist(), 1.0 / t, poly.phases.tolist(), alphas, betas,
                           num_qubits=nq)

    runs = run_with_amplification(run, sched, data.dim)
    p_amp_pred = None if sched is None else float(fixed_point_success(runs.success_probability, sched))
    xnorm = float(np.linalg.norm(np.linalg.solve(Mq / data.alpha, bp)))
    return simulated_result(
        "kernel_reflection", runs, M, b, n, data, nq, kappa=float(kappa), epsilon=epsilon, degree=poly.degree,
        details={
            "t": t, "norm_bounds": (lo, hi), "solution_norm": xnorm, "eps_k": eps_k,
            "success_lower_bound": p_lo, "success_ideal": float(4 * (t / xnorm) ** 2 / (1 + (t / xnorm) ** 2) ** 2),
            "amplification_lambda": None if sched is None else lam,
            "amplification_length": None if sched is None else sched.length,
            "amplified_success_predicted": p_amp_pred,
            "angle_reconstruction_error": poly.max_error, "kappa_block_encoding": kappa_be,
        },
    )


# --- kernel reflection on the Carleman history system (Solvers/HistoryKernel.qs) ----------------------------------


@dataclass(frozen=True)
class HistoryKernelSetup:
    """Everything one kernel-reflection history solve needs (Q# arguments and the numbers behind them).

    ``data``: the encoding's Q# struct; ``rhs_b``/``rhs_e``: the HistoryRhs of |b'⟩ = cos θ|B̂⟩ + sin θ|e⟩ and of the
    start state |e⟩ = |c* = K⟩|φ⟩; ``t`` = α tan θ; ``lo_good`` ≤ ‖Π_good (L/α)⁻¹B̂‖ and ``hi`` ≥ ‖(L/α)⁻¹B̂‖ (the
    bracket, t = hi); ``good_amplitude`` = lo_good/hi; ``kappa`` ≥ α/σ_min of the padded L; ``eps_k`` =
    ε·good_amplitude/2; λ = (β(good_amplitude − ε_K))² the amplification's lower bound."""

    encoding: str
    data: dict
    rhs_b: dict
    rhs_e: dict
    alpha: float
    kappa: float
    t: float
    lo_good: float
    hi: float
    good_amplitude: float
    eps_k: float
    polynomial: KernelReflectionPolynomial
    lambda_min: float
    alphas: list
    betas: list
    L_encoded: np.ndarray
    rhs_vector: np.ndarray


def _history_encoding(system, T: int, p: int, encoding: str, angle_bits: int):
    """(Q# data, padded L the circuit encodes (its block is L/α), α) of the Kronecker or structured sparse encoding."""
    if encoding == "kronecker":

        enc = kronecker_encoding(system, T, p, angle_bits=angle_bits)
        return enc.to_qsharp(), enc.quantized_matrix(), float(enc.alpha)
    if encoding == "sparse":

        d = carleman_oracle_data(system, T, p, angle_bits=angle_bits)
        return d.to_qsharp(), np.asarray(d.quantized_matrix()), float(d.alpha)
    raise ValueError(f"encoding must be 'kronecker' or 'sparse', got {encoding!r}")


def history_kernel_setup(system, u_in, T: int, p: int, *, encoding: str = "kronecker", epsilon: float = 0.01,
                         bracket: str = "a-priori", amplify: bool = True, delta: float = 0.3,
                         angle_bits: int = DEFAULT_ANGLE_BITS, max_degree: int = MAX_KERNEL_DEGREE) -> HistoryKernelSetup:
    """The parameters of Solvers.HistoryKernel for L Y = B (file header of HistoryKernel.qs; docs/math.md).

    κ = α/σ_min of the padded encoded L (SVD, simulator sizes; the pad blocks contribute 1/α). ``bracket``:
    "a-priori" — lo_good = α·A and hi = α·min(U, ‖L⁻¹‖ bound) from :func:`pyqgd.carleman.carleman_bounds` (A its
    amplitude bound, U its solution-norm bound), known before solving; "instance-exact" — both from the classical
    history solution of the encoded system (t = ‖x‖). Raises ValueError when T + p + 1 fills the clock register
    (no pad block: pick another p) or when the a-priori amplitude bound is 0.
    """

    lay = carleman_layout(system, T, p)
    K, Kp, Dc = lay.blocks, 2**lay.clock_qubits, 2**lay.carleman_qubits
    if K >= Kp:
        raise ValueError(f"T + p + 1 = {K} fills the {lay.clock_qubits}-qubit clock: the kernel solve needs one padded "
                         "clock value; choose p so that T + p + 1 is not a power of two")
    data, Lq, alpha = _history_encoding(system, T, p, encoding, angle_bits)
    rhs = history_rhs(system, u_in, T, p)
    kappa = max(1.0 / float(np.linalg.svd(Lq / alpha, compute_uv=False).min()) * (1 + 1e-6), 1.0 + 1e-6)
    if bracket == "instance-exact":
        x = alpha * np.linalg.solve(Lq, rhs.vector)
        good = (np.arange(Kp * Dc) // Dc >= T) & (np.arange(Kp * Dc) // Dc < K) & (
            (np.arange(Kp * Dc) % Dc) >> (lay.carleman_qubits - lay.level_qubits) == 0)
        lo, hi = float(np.linalg.norm(x[good])), float(np.linalg.norm(x))
    elif bracket == "a-priori":

        b = carleman_bounds(system, u_in, T, p)
        lo = alpha * b.amplitude.value
        hi = alpha * min(b.solution_norm.value, b.inverse_norm.value)
        if lo <= 0:
            raise ValueError("the a-priori amplitude bound is 0 for this instance; use bracket='instance-exact'")
    else:
        raise ValueError(f"bracket must be 'a-priori' or 'instance-exact', got {bracket!r}")
    kp = history_kernel_parameters(alpha, kappa, lo, hi, rhs.qsharp, K, epsilon=epsilon, amplify=amplify, delta=delta,
                                   max_degree=max_degree)
    return HistoryKernelSetup(encoding=encoding, data=data, alpha=alpha, kappa=kappa, L_encoded=Lq,
                              rhs_vector=rhs.vector, **kp)


def kernel_precision(good_amplitude: float, epsilon: float) -> tuple[float, float]:
    """(ε_K, λ) for a lower bound a on the good amplitude ratio ‖Π_good x‖/t (t ≥ ‖x‖): the precision
    ε_K = η(ε)·a of β·K that keeps the post-selected state ε-close (η = ε√(1 − ε²/4),
    :func:`pyqgd.quantum.polynomials.postselection_tolerance`), and the amplification's lower bound
    λ = min((β(a − ε_K))², 1) (module docstring)."""
    eps_k = postselection_tolerance(epsilon) * good_amplitude
    return eps_k, min((KERNEL_SCALE * (good_amplitude - eps_k)) ** 2, 1.0)


def history_kernel_parameters(alpha: float, kappa: float, lo: float, hi: float, rhs_qsharp: dict, blocks: int, *,
                              epsilon: float, amplify: bool = True, delta: float = 0.3,
                              max_degree: int = MAX_KERNEL_DEGREE) -> dict:
    """The kernel-reflection parameters from a bracket lo ≤ ‖Π_good (L/α)⁻¹B̂‖, ‖(L/α)⁻¹B̂‖ ≤ hi and κ ≥ α/σ_min:
    t = hi (|b'⟩ = cos θ|B̂⟩ + sin θ|e⟩, tan θ = hi/α, |e⟩ on the pad clock value ``blocks``), a = lo/hi, the
    precision ε_K = η(ε)·a of β·K (module docstring), the amplification bound λ = (β(a − ε_K))² and its fixed-point
    schedule (Yoder, Low, Chuang 2014). Returns the fields of :class:`HistoryKernelSetup` other than the encoding's."""
    a_lo = min(lo / hi, 1.0)
    eps_k, lam = kernel_precision(a_lo, epsilon)
    poly = kernel_reflection_polynomial(kappa, eps_k, max_degree=max_degree)
    sched = fixed_point_schedule(lam, delta) if amplify else None
    theta = math.atan2(hi, alpha)
    clock = np.asarray(rhs_qsharp["ClockAmplitudes"], dtype=float)
    e = np.zeros_like(clock)
    e[blocks] = 1.0
    return {"rhs_b": {**rhs_qsharp, "ClockAmplitudes": (math.cos(theta) * clock + math.sin(theta) * e).tolist()},
            "rhs_e": {**rhs_qsharp, "ClockAmplitudes": e.tolist()}, "t": hi, "lo_good": lo, "hi": hi,
            "good_amplitude": a_lo, "eps_k": eps_k, "polynomial": poly, "lambda_min": lam,
            "alphas": [] if sched is None else sched.alphas.tolist(),
            "betas": [] if sched is None else sched.betas.tolist()}


def solve_history_kernel(system, u_in, T: int, p: int, **kw) -> QuantumSolveResult:
    """Solve the Carleman history system L Y = B with kernel reflection on the local Q# simulator
    (``Solvers.HistoryKernel.CarlemanKernelSolveKronecker`` or ``CarlemanKernelSolve``; keywords of
    :func:`history_kernel_setup`) and read out the final-window, level-1 state.

    ``state`` is the read-out |u(T)⟩ (the final-window copies summed), ``classical`` the normalized u(T) of
    :func:`pyqgd.carleman.solve_history` (the classical Carleman solution) and ``fidelity`` = ⟨û|ρ|û⟩ of the level-1
    state with the clock traced out. ``success_probability`` is that of the good subspace (ancillas |0⟩, clock in
    [T, K − 1], level 1) after the amplification when ``amplify`` (else of the bare reflection); the counted calls
    are Q#'s. A drop-in solver for :func:`pyqgd.quantum.solve_gd` (same inputs: system, u_in, T, p).
    """

    s = history_kernel_setup(system, u_in, T, p, **kw)
    lay = carleman_layout(system, T, p)
    ops = get_context().code.Solvers.HistoryKernel
    op = ops.CarlemanKernelSolveKronecker if s.encoding == "kronecker" else ops.CarlemanKernelSolve
    amps, nq, calls = _last_dump(op, s.data, s.rhs_b, s.rhs_e, s.polynomial.phases.tolist(), s.alphas, s.betas)
    m = lay.system_qubits
    psi = np.zeros(2**m, dtype=complex)
    for k, a in amps.items():
        if k < 2**m:
            psi[k] = a
    Kp, Dc = 2**lay.clock_qubits, 2**lay.carleman_qubits
    blocks = psi.reshape(Kp, Dc)[T:lay.blocks]
    lvl1 = blocks[:, lay.carleman_index()[: lay.n]]
    good = blocks.reshape(-1, Dc)[:, : Dc >> lay.level_qubits] if lay.level_qubits else blocks
    p_good = float(np.sum(np.abs(good) ** 2))
    uc = solve_history(system, np.asarray(u_in, dtype=float), T, p).u_final
    uc = uc / np.linalg.norm(uc)
    fid = float(np.sum(np.abs(lvl1 @ uc) ** 2) / np.sum(np.abs(lvl1) ** 2))
    state = lvl1.sum(axis=0)
    return QuantumSolveResult(
        method=f"history_kernel_reflection ({s.encoding})", state=np.real_if_close(state / np.linalg.norm(state)),
        classical=uc, fidelity=fid, success_probability=p_good,
        amplified_success_probability=p_good if s.alphas else None, block_encoding_calls=int(calls), qubits=nq,
        qubits_in_superposition=nq, kappa=s.kappa, epsilon=float(kw.get("epsilon", 0.01)), alpha=s.alpha,
        degree=s.polynomial.degree,
        details={"t": s.t, "bracket": (s.lo_good, s.hi), "good_amplitude_lower_bound": s.good_amplitude,
                 "eps_k": s.eps_k, "amplification_lambda": s.lambda_min,
                 "amplification_length": 2 * len(s.alphas) + 1},
    )
