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
post-selected state ε-close to x/‖x‖ (error ≤ 2ε_K/√p).

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

from pyqgd._checks import as_finite_vector, as_sparse_coefficient, check_positive_float
from pyqgd.quantum.amplification import fixed_point_schedule, fixed_point_success
from pyqgd.quantum.oracles import DEFAULT_ANGLE_BITS, MAX_SYSTEM_QUBITS
from pyqgd.quantum.qsp import AngleFindingError, reflection_response, wx_phases, wx_to_reflection
from pyqgd.quantum.solvers import QuantumSolveResult, encoded_kappa, normalized_solution, prepare_system, run_counted

__all__ = ["KernelReflectionPolynomial", "kernel_reflection_polynomial", "kernel_reflection_degree",
           "kernel_success_lower_bound", "kernel_operator_matrix", "solve_kernel_reflection", "KERNEL_SCALE",
           "MAX_KERNEL_DEGREE"]

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


def solve_kernel_reflection(
    M,
    b,
    *,
    epsilon: float = 0.01,
    kappa: float | None = None,
    norm_bounds: tuple[float, float] | None = None,
    amplify: bool = True,
    delta: float = 0.1,
    angle_bits: int = DEFAULT_ANGLE_BITS,
    max_degree: int = MAX_KERNEL_DEGREE,
    max_system_qubits: int = MAX_SYSTEM_QUBITS,
) -> QuantumSolveResult:
    """Solve M x = b for |x⟩ with the kernel-reflection QLSS (module docstring) on the local Q# simulator.

    ``kappa`` bounds α/σ_min(M) (default: from the SVD, fine at simulator sizes). ``norm_bounds`` = (lo, hi) brackets
    ‖(M/α)⁻¹b‖ for normalized b (default the always-valid [1, κ]); t = √(lo·hi). ``epsilon`` is the target 2-norm
    error of the post-selected state. With ``amplify``, fixed-point amplification uses the rigorous lower bound of
    the module docstring. ``block_encoding_calls`` is the number the Q# program counted in its loops;
    ``success_probability`` (no amplification) and ``amplified_success_probability`` are read from state dumps of
    two simulated runs. Raises the errors of :func:`pyqgd.quantum.prepare_system` before any Q# runs, ValueError for
    a singular M, a ``kappa`` below α/σ_min or a bracket that is not 0 < lo ≤ hi ≤ κ.
    """
    from pyqgd.quantum._context import get_context

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
    ctx = get_context()
    op = ctx.code.Solvers.KernelReflection.KernelReflectionSolve
    N = data.dim
    st, calls = run_counted(op, data.to_qsharp(), bp.tolist(), 1.0 / t, poly.phases.tolist(), [], [],
                             num_qubits=nq)
    good = st[:N]
    p = float(np.vdot(good, good).real)
    p_amp = p_amp_pred = None
    if sched is not None:
        st, calls = run_counted(op, data.to_qsharp(), bp.tolist(), 1.0 / t, poly.phases.tolist(),
                                 sched.alphas.tolist(), sched.betas.tolist(), num_qubits=nq)
        good = st[:N]
        p_amp = float(np.vdot(good, good).real)
        p_amp_pred = float(fixed_point_success(p, sched))
    x = good[:n] / np.linalg.norm(good[:n])
    ref = normalized_solution(as_sparse_coefficient(M, "M"), as_finite_vector(b, "b", n))
    xnorm = float(np.linalg.norm(np.linalg.solve(Mq / data.alpha, bp)))
    return QuantumSolveResult(
        method="kernel_reflection",
        state=x,
        classical=ref,
        fidelity=float(abs(np.vdot(ref, x)) ** 2),
        success_probability=p,
        amplified_success_probability=p_amp,
        block_encoding_calls=calls,
        qubits=nq + m + data.angle_bits,
        qubits_in_superposition=nq,
        kappa=float(kappa),
        epsilon=epsilon,
        alpha=data.alpha,
        degree=poly.degree,
        details={
            "t": t, "norm_bounds": (lo, hi), "solution_norm": xnorm, "eps_k": eps_k,
            "success_lower_bound": p_lo, "success_ideal": float(4 * (t / xnorm) ** 2 / (1 + (t / xnorm) ** 2) ** 2),
            "amplification_lambda": None if sched is None else lam,
            "amplification_length": None if sched is None else sched.length,
            "amplified_success_predicted": p_amp_pred,
            "angle_reconstruction_error": poly.max_error, "kappa_block_encoding": kappa_be,
        },
    )
