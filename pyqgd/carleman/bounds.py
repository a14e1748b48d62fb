"""Rigorous a-priori bounds for the T-step history-state system L Y = B (before solving it).

Both numbers drive the quantum solver's cost: the condition number κ = α‖L⁻¹‖ fixes the QSVT degree, and the
good-outcome amplitude c·α·‖Π_good L⁻¹B‖/‖B‖ (Π_good = level 1 of the final window t = T..T+p) fixes the number of
amplification rounds. Public entry points:

* :func:`inverse_norm_bound_growth` ``(C, mu, T, p)`` — ‖L⁻¹‖ ≤ value whenever ‖M^k‖ ≤ C·μ^k for all k ≥ 1;
* :func:`inverse_norm_bound_from_norms` ``(f0, rho, f2, N, T, p)`` — the same from the map norms a = ‖F0‖,
  ρ = ‖I+F1‖, c = ‖F2‖ alone (or from exact block norms ``block_norms``), optimised over a level weighting;
  returns an :class:`InverseNormBound` whose ``method`` is "contraction", "invariant ball", "norm growth" or
  "worst case T+p+1";
* :func:`final_norm_lower_bound` ``(f0, rho, sigma, f2, r_in, T)`` — ‖u(T)‖ ≥ value for the exact GD map;
* :func:`amplitude_lower_bound` ``(...)`` — ‖Π_good L⁻¹B‖/‖B‖ ≥ value, an :class:`AmplitudeBound`;
* :func:`carleman_bounds` ``(system, u_in, T, p)`` — both for a :class:`~pyqgd.carleman.CarlemanSystem`
  (uses exact norms when the system is small), a :class:`CarlemanBounds`.

**‖L⁻¹‖.** L = I − S⊗M (T steps) − S_pad⊗I (p idle steps) is unit lower block-bidiagonal, so L⁻¹ is block lower
triangular with block (t, s) = M^{a(t,s)}, a(t,s) = min(t,T) − min(s,T). With g_0 = 1 and g_k ≥ ‖M^k‖, the block
Schur test (‖X‖₂ ≤ √(max row sum · max column sum) of the matrix of block norms) gives ‖L⁻¹‖ ≤ √(R·C) with

    R = G_T + p,   C = max_{0≤m≤T} (G_m + p·g_m),   G_m = Σ_{k=0}^{m} g_k.

For g_k = C₀μ^k (k ≥ 1), G_m + p·g_m = const + μ^m·C₀·(p − μ/(1−μ)) is monotone in m, so the column maximum is at
m ∈ {0, 1, T}; everything is closed-form and evaluated in the log domain (T up to 10⁹ and beyond). μ = 1, C₀ = 1
(‖M‖ ≤ 1) gives the classical worst case T + p + 1. Up to K = T + p + 1 = ``MAX_BLOCK_MATRIX`` the spectral norm of
the K × K block-norm matrix itself replaces the Schur step (:func:`inverse_norm_bound_block_matrix`, a
Collatz–Wielandt upper bound): on the p idle steps the all-ones lower triangle has norm ≈ 2(p + 1)/π, not p + 1.

Bounds on ‖M^k‖: write M in level blocks M_jk (level j ← level k). For the exact discrete map (Liu et al. 2024,
Eqs. 5–6) M_jk = Σ_{d∈{0,1,2}^j, |d|=k} ⊗_i G_{d_i} with G_0 = F0, G_1 = I+F1, G_2 = F2, so ‖M_jk‖ ≤ W_jk, the
coefficient of x^k in (a + ρx + cx²)^j. For a level weighting D_w = diag(w^{−j}), M' = D_w M D_w⁻¹ has blocks
w^{k−j}M_jk, and ‖M'‖ ≤ μ(w) := ‖(W_jk w^{k−j})_jk‖₂ (the norm of a block matrix is at most the norm of its matrix
of block norms), hence ‖M^k‖ ≤ cond(D_w)·μ(w)^k with cond(D_w) = max(w, 1/w)^{N−1}. The row sums of the weighted
matrix are at most β(w)^j − (a/w)^j with β(w) = a/w + ρ + c·w, the invariant-ball function of
:func:`pyqgd.carleman.truncation_error_bound`: a weight w with β(w) < 1 (a ball of radius w mapped into itself)
makes M a contraction in the weighted norm even when ‖M‖₂ > 1. We minimise the bound over w on a log grid (each
grid point is a rigorous bound). ``method`` is "contraction" (w = 1, μ < 1), "invariant ball" (w ≠ 1, μ < 1),
"worst case T+p+1" (the bound equals T+p+1) or "norm growth" (μ ≥ 1: the bound grows with T, exponentially if μ > 1).

**Good amplitude.** The level-1 entries of Y in the final window are ŷ_1(T) (p + 1 copies), so
‖Π_good L⁻¹B‖ = √(p+1)·‖ŷ_1(T)‖ ≥ √(p+1)·(ℓ_T − e_T), with ℓ_T ≤ ‖u(T)‖ from :func:`final_norm_lower_bound` and
e_T ≥ ‖u(T) − ŷ_1(T)‖ the truncation bound, and ‖B‖² = Σ_j ‖u_in‖^{2j} + T·Σ_j ‖F0‖^{2j} exactly (B = [ŷ_in; b; …]).

ℓ_T: for ‖u‖ = x inside the invariant ball of radius r (‖u(t)‖ ≤ r for all t),
‖g(u)‖ ≥ h(x) := max(σx − cx² − a, a − ρx − cx², 0) with σ = σ_min(I+F1) (triangle inequality on
g(u) = F0 + (I+F1)u + F2(u⊗u)). So ‖u(t+1)‖ ≥ F(ℓ_t) with F(ℓ) = min_{x∈[ℓ,r]} h(x), ℓ_0 = ‖u_in‖. F is
non-decreasing in ℓ, so ℓ_t = F^t(ℓ_0) is a valid lower bound at every t, and the minimum of the maximum of the
concave h₁ and the decreasing h₂ lies at x = ℓ, x = r or their single crossing x = 2a/(σ+ρ). The sequence is
monotone: when it increases we may stop early (later terms are larger); when it decreases we stop at a sub-fixed
point ℓ* with F(ℓ*) ≥ ℓ* (then ℓ_t ≥ ℓ* for all later t) or, for a = 0, continue geometrically with the factor
σ − c·r (F(x) ≥ x(σ − cr) when a = 0). When F0 ≠ 0 and g is a contraction on the ball (ρ + 2cr < 1) its fixed point
u* gives the second bound ‖u(T)‖ ≥ ‖F0‖/(‖F1‖ + cr) − (ρ + 2cr)^T(‖u_in‖ + r); the larger of the two is used.

**Trajectory-resolved bounds** (:func:`trajectory_bounds`, used by :func:`carleman_bounds` for T ≤ MAX_ITERATIONS).
Norms alone make ℓ_T decay like σ_min(I+F1)^T while u(T) decays like the slowest mode, and the time-uniform
truncation bound saturates instead of decaying; for F0 = 0 the difference ℓ_T − e_T then turns negative (vacuous)
after a few steps. Two iterated comparison systems fix both with O(T·(N² + modes)) arithmetic and no solve:

* U_t ≥ ‖u(t)‖ from U_{t+1} = min(r, a + ρU_t + cU_t²) (:func:`norm_upper_sequence`);
* e_t ≥ ‖u(t) − ŷ_1(t)‖ from E(t+1) = W_kept E(t) + W_dropped (U_t^k)_{k>N}, E(0) = 0, with W ≥ the level-block norms
  of the exact map including the levels the truncation drops (:func:`truncation_error_trajectory`);
* ℓ_T ≤ |v·u(T)| ≤ ‖u(T)‖ for unit left eigenvectors v of I+F1 with real eigenvalue λ: z_t = v·u(t) obeys
  z_{t+1} = λz_t + v·F0 + v·F2(u⊗u) with |v·F2(u⊗u)| ≤ ‖F2ᵀv‖U_t², an interval recursion
  (:func:`mode_lower_bound`). The inputs are the initial state's overlaps with eigenvectors of the linear part
  (one eigen-decomposition of I+F1, the same cost class as σ_min), never the trajectory itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from pyqgd._checks import as_finite_vector, check_positive_int
from pyqgd.carleman.diagnostics import (
    DENSE_LIMIT,
    MapNorms,
    NotDissipativeError,
    _ball_radius,
    spectral_norm,
    truncation_error_bound,
)
from pyqgd.carleman.system import CarlemanSystem

__all__ = [
    "InverseNormBound", "AmplitudeBound", "CarlemanBounds", "inverse_norm_bound_growth", "inverse_norm_bound_block_matrix",
    "map_block_norm_bounds",
    "exact_block_norms", "inverse_norm_bound_from_norms", "final_norm_lower_bound", "amplitude_lower_bound",
    "carleman_bounds", "norm_upper_sequence", "level_norm_table", "truncation_error_trajectory", "mode_lower_bound",
    "trajectory_bounds", "SolutionNormBound", "solution_norm_bound_growth", "solution_norm_trajectory_bound",
    "linear_comparison_sequences", "truncation_error_levels",
]

#: Level weights tried by :func:`inverse_norm_bound_from_norms` (each is a rigorous bound; the minimum is kept).
WEIGHT_GRID = np.unique(np.concatenate([np.logspace(-4, 4, 161), [1.0]]))
#: Largest K = T + p + 1 for which :func:`inverse_norm_bound_block_matrix` builds its K × K matrix (8 MB at 1024).
MAX_BLOCK_MATRIX = 1024
#: Power iterations of :func:`inverse_norm_bound_block_matrix` at most (it stops when the ratio bounds meet).
BLOCK_MATRIX_ITERATIONS = 200
#: How many of the best Schur-test candidates (level weights) get the block-matrix bound.
BLOCK_MATRIX_CANDIDATES = 4
#: Iterations of the ‖u(t)‖ lower-bound recursion before switching to its closed-form tail.
MAX_ITERATIONS = 20_000


@dataclass(frozen=True)
class InverseNormBound:
    """‖L⁻¹‖₂ ≤ ``value``; ``method`` names the bound, ``mu``/``constant`` the growth ‖M^k‖ ≤ constant·mu^k used,
    ``weight`` the level weighting w of the weighted norm (1 = unweighted)."""

    value: float
    method: str
    mu: float
    constant: float
    weight: float


@dataclass(frozen=True)
class AmplitudeBound:
    """‖Π_good L⁻¹B‖/‖B‖ ≥ ``value`` (final window t = T..T+p, level 1), with its parts:
    ``final_norm`` ≤ ‖ŷ_1(T)‖, ``rhs_norm`` = ‖B‖, ``method`` ("a-priori" or "instance-exact")."""

    value: float
    final_norm: float
    rhs_norm: float
    method: str


@dataclass(frozen=True)
class SolutionNormBound:
    """‖L⁻¹B‖/‖B‖ ≤ ``value`` (the whole history solution, structure of B used); ``method`` names the bound."""

    value: float
    method: str


@dataclass(frozen=True)
class CarlemanBounds:
    """Both bounds for one system, start point, T and p; ``solution_norm`` ≥ ‖L⁻¹B‖/‖B‖ and
    :attr:`share` ≤ ‖Π_good L⁻¹B‖²/‖L⁻¹B‖² (the final-window share)."""

    inverse_norm: InverseNormBound
    amplitude: AmplitudeBound
    solution_norm: SolutionNormBound | None = None
    #: ≥ ‖Π_good L⁻¹B‖/‖B‖: √(p+1)·(U_T + e_T)/‖B‖ from the trajectory bounds (U_T ≥ ‖u(T)‖, e_T the truncation
    #: bound), else the solution-norm bound; None when neither is finite.
    amplitude_upper: float | None = None

    @property
    def share(self) -> float:
        """(A/U)² ≤ the final-window share, A the amplitude bound, U = min(solution-norm bound, ‖L⁻¹‖ bound)."""
        u = self.inverse_norm.value if self.solution_norm is None else min(self.solution_norm.value,
                                                                             self.inverse_norm.value)
        return min(1.0, (self.amplitude.value / u) ** 2)


def _check_tp(T, p):
    return check_positive_int(T, "T (number of steps)"), check_positive_int(p, "p (padding steps)", minimum=0)


def _pow(mu: float, m: float) -> float:
    """μ^m without OverflowError (inf when it overflows)."""
    if mu == 0.0:
        return 0.0 if m > 0 else 1.0
    lg = m * math.log(mu)
    return math.inf if lg > 700 else math.exp(lg)


def _partial_sum(C: float, mu: float, m: int) -> float:
    """G_m = 1 + C·Σ_{k=1}^{m} μ^k (g_0 = 1)."""
    if m == 0:
        return 1.0
    if mu == 0.0:
        return 1.0
    if abs(mu - 1.0) < 1e-12:
        return 1.0 + C * m
    lg = m * math.log(mu)
    if lg > 700:
        return math.inf
    # Σ_{k=1}^m μ^k = μ (μ^m − 1)/(μ − 1), with expm1 for accuracy near μ = 1
    return 1.0 + C * mu * math.expm1(lg) / (mu - 1.0)


def inverse_norm_bound_growth(C: float, mu: float, T: int, p: int = 0) -> float:
    """‖L⁻¹‖₂ ≤ √(R·C_max) (module docstring) for any M with ‖M^k‖ ≤ C·μ^k for k ≥ 1 (C ≥ 1, μ ≥ 0).

    Returns ``inf`` when the bound overflows (μ > 1 and T large).
    """
    T, p = _check_tp(T, p)
    if not (C >= 1.0 and mu >= 0.0 and math.isfinite(C) and math.isfinite(mu)):
        raise ValueError(f"need a finite C ≥ 1 and μ ≥ 0, got C = {C}, μ = {mu}")

    def g(m):
        return 1.0 if m == 0 else C * _pow(mu, m)

    row = _partial_sum(C, mu, T) + p
    col = max(1.0 + p, _partial_sum(C, mu, 1) + p * g(1), _partial_sum(C, mu, T) + p * g(T))
    row, col = float(row), float(col)
    if not (math.isfinite(row) and math.isfinite(col)):
        return math.inf
    return math.sqrt(row) * math.sqrt(col)


def inverse_norm_bound_block_matrix(C: float, mu: float, T: int, p: int = 0) -> float:
    """‖L⁻¹‖₂ ≤ ‖N‖₂ for the K × K block-norm matrix N_ts = g_{a(t,s)} (t ≥ s, else 0; K = T + p + 1, g_0 = 1,
    g_k = C·μ^k) of the module docstring, without the Schur test's row/column-sum step; ``inf`` when K exceeds
    ``MAX_BLOCK_MATRIX``.

    ‖N‖₂² = ρ(NᵀN) is bounded from above by the Collatz–Wielandt ratio max_i (NᵀN x)_i / x_i, valid for every
    positive x and any non-negative matrix (ρ(A) ≤ ‖D⁻¹AD‖_∞ with D = diag(x)); x comes from power iteration, so the
    bound is tight to the iteration's convergence, and a relative margin K·10⁻¹² covers the rounding of the
    products. For the idle block (g = 1) this is the norm of the all-ones lower triangle, ≈ 2K/π, where the Schur
    test gives K.
    """
    T, p = _check_tp(T, p)
    K = T + p + 1
    if K > MAX_BLOCK_MATRIX or not (math.isfinite(C) and math.isfinite(mu)) or (mu > 1.0 and T * math.log(mu) > 700):
        return math.inf
    t = np.minimum(np.arange(K), T)
    a = t[:, None] - t[None, :]
    g = np.concatenate([[1.0], C * np.power(mu, np.arange(1, T + 1))])
    Nm = np.where(np.arange(K)[:, None] >= np.arange(K)[None, :], g[np.maximum(a, 0)], 0.0)
    x = np.ones(K)
    bound = math.inf
    for _ in range(BLOCK_MATRIX_ITERATIONS):
        y = Nm.T @ (Nm @ x)
        bound = min(bound, float(np.max(y / x)))
        if bound <= float(np.min(y / x)) * (1.0 + 1e-9):
            break
        x = y / np.max(y) + 1e-12  # stays positive, so the ratio stays a valid bound
    return math.sqrt(bound * (1.0 + K * 1e-12))


def map_block_norm_bounds(f0: float, rho: float, f2: float, N: int) -> np.ndarray:
    """W with W[j−1, k−1] = coefficient of x^k in (a + ρx + cx²)^j ≥ ‖M_jk‖ for the exact discrete map (1 ≤ j, k ≤ N)."""
    N = check_positive_int(N, "N")
    W = np.zeros((N, N))
    poly = np.array([1.0])
    base = np.array([f0, rho, f2], dtype=float)
    for j in range(1, N + 1):
        poly = np.convolve(poly, base)
        k = np.arange(1, min(N, 2 * j) + 1)
        W[j - 1, k - 1] = poly[k]
    return W


def exact_block_norms(system: CarlemanSystem) -> np.ndarray:
    """‖M_jk‖₂ for every level block of an explicit M (dense LAPACK / Lanczos as in :func:`spectral_norm`)."""
    if system.matrix_free:
        raise TypeError("exact block norms need an explicit M; use map_block_norm_bounds for a matrix-free system")
    M, off, N = system.M.tocsr(), system.offsets, system.N
    W = np.zeros((N, N))
    for j in range(N):
        rows = M[off[j] : off[j + 1]]
        for k in range(N):
            blk = rows[:, off[k] : off[k + 1]]
            W[j, k] = spectral_norm(blk, exact=True) if blk.nnz and max(blk.shape) <= DENSE_LIMIT else (
                spectral_norm(blk) * (1 + 1e-6) if blk.nnz else 0.0)
    return W


def inverse_norm_bound_from_norms(f0: float, rho: float, f2: float, N: int, T: int, p: int = 0, *,
                                  block_norms: np.ndarray | None = None,
                                  norm_M: float | None = None) -> InverseNormBound:
    """Best rigorous ‖L⁻¹‖ bound from the map norms (module docstring): minimum over level weights w of
    cond(D_w)·(Schur bound with μ(w)), plus the unweighted bound with an exact ‖M‖ when ``norm_M`` is given.

    ``block_norms`` (N × N, ≥ ‖M_jk‖) replaces the norm-polynomial bounds W when known (e.g. :func:`exact_block_norms`).
    """
    T, p = _check_tp(T, p)
    for name, v in (("‖F0‖", f0), ("‖I+F1‖", rho), ("‖F2‖", f2)):
        if not (math.isfinite(v) and v >= 0):
            raise ValueError(f"{name} must be a finite non-negative number, got {v}")
    W = map_block_norm_bounds(f0, rho, f2, N) if block_norms is None else np.asarray(block_norms, dtype=float)
    j = np.arange(1, W.shape[0] + 1)
    candidates = [(w, max(w, 1 / w) ** (W.shape[0] - 1), float(np.linalg.norm(W * np.power(w, j[None, :] - j[:, None]), 2)))
                  for w in WEIGHT_GRID]
    if norm_M is not None:
        candidates.append((1.0, 1.0, float(norm_M)))
    ranked = sorted((inverse_norm_bound_growth(C, mu, T, p), i) for i, (_, C, mu) in enumerate(candidates))
    best = None
    for rank, (value, i) in enumerate(ranked):
        w, C, mu = candidates[i]
        if rank < BLOCK_MATRIX_CANDIDATES or (norm_M is not None and i == len(candidates) - 1):
            value = min(value, inverse_norm_bound_block_matrix(C, mu, T, p))
        if best is None or value < best.value:
            best = InverseNormBound(value=value, method="", mu=mu, constant=C, weight=float(w))
    if best.mu < 1.0:
        method = "contraction" if best.weight == 1.0 else "invariant ball"
    elif abs(best.value - (T + p + 1)) <= 1e-9 * (T + p + 1):
        method = "worst case T+p+1"
    else:
        method = "norm growth"
    return InverseNormBound(best.value, method, best.mu, best.constant, best.weight)


def _h(x: float, a: float, rho: float, sigma: float, c: float) -> float:
    return max(sigma * x - c * x * x - a, a - rho * x - c * x * x, 0.0)


def _step(ell: float, U: float, a: float, rho: float, sigma: float, c: float) -> float:
    """F(ℓ, U) = min_{x∈[ℓ,U]} h(x): attained at x = ℓ, x = U or the crossing 2a/(σ+ρ) of h₁ and h₂."""
    xs = [ell, U]
    if sigma + rho > 0 and ell <= 2 * a / (sigma + rho) <= U:
        xs.append(2 * a / (sigma + rho))
    return min(_h(x, a, rho, sigma, c) for x in xs)


def _fixed_point_bound(a: float, rho: float, f1: float, c: float, r: float, r_in: float, T: int) -> float:
    """‖u(T)‖ ≥ a/(‖F1‖ + c·r) − κ_g^T·(r_in + r) when g is a contraction on the invariant ball (κ_g = ρ + 2cr < 1):
    g then has a unique fixed point u* there (Banach), ‖u(t) − u*‖ ≤ κ_g^t‖u_in − u*‖, and u* = g(u*) gives
    ‖F0‖ = ‖F1u* + F2(u*⊗u*)‖ ≤ (‖F1‖ + c·r)‖u*‖. 0 when it does not apply."""
    kg = rho + 2 * c * r
    if a <= 0 or kg >= 1 or f1 + c * r <= 0:
        return 0.0
    return max(a / (f1 + c * r) - _pow(kg, T) * (r_in + r), 0.0)


def final_norm_lower_bound(f0: float, rho: float, sigma: float, f2: float, r_in: float, T: int, *,
                           f1: float | None = None) -> float:
    """ℓ_T ≤ ‖u(T)‖ for the exact GD map u ↦ F0 + (I+F1)u + F2(u⊗u) started at ‖u_in‖ = r_in (module docstring).

    a = ‖F0‖, ρ = ‖I+F1‖, σ = σ_min(I+F1), c = ‖F2‖. Alongside ℓ_t it tracks the upper bound
    U_{t+1} = min(r, a + ρU_t + cU_t²) ≥ ‖u(t+1)‖ (U_0 = r_in), so the minimum runs over x ∈ [ℓ_t, U_t] only.
    With ``f1`` = ‖F1‖ and F0 ≠ 0 the fixed-point bound of :func:`_fixed_point_bound` is also tried (the larger
    wins): the recursion alone decays to 0 when the trajectory passes near ‖u‖ = ‖F0‖/σ.
    Raises :class:`NotDissipativeError` when no invariant ball contains u_in.
    """
    best = _recursion_bound(f0, rho, sigma, f2, r_in, T)
    if f1 is not None:
        r = _ball_radius(f0, rho, f2, r_in)
        best = max(best, _fixed_point_bound(f0, rho, f1, f2, r, r_in, T))
    return best


def _recursion_bound(f0: float, rho: float, sigma: float, f2: float, r_in: float, T: int) -> float:
    T = check_positive_int(T, "T", minimum=0)
    if not (0 <= sigma <= rho * (1 + 1e-12)):
        raise ValueError(f"need 0 ≤ σ_min(I+F1) ≤ ‖I+F1‖, got σ = {sigma}, ρ = {rho}")
    a, c = f0, f2
    r = _ball_radius(a, rho, c, r_in)
    if not math.isfinite(r):
        raise NotDissipativeError(
            f"no invariant ball contains u_in (‖F0‖ = {a:.3g}, ‖I+F1‖ = {rho:.4g}, ‖F2‖ = {c:.3g}, ‖u_in‖ = {r_in:.3g}): "
            "no a-priori lower bound on ‖u(T)‖; use the instance-exact amplitude or a more dissipative problem")
    ell, U = r_in, r_in
    steps = min(T, MAX_ITERATIONS)
    U_decreasing = False
    for _ in range(steps):
        U_new = min(r, a + rho * U + c * U * U)
        ell_new = min(_step(ell, U, a, rho, sigma, c), U_new)
        if ell_new == ell and U_new == U:
            return ell
        U_decreasing = U_new <= U
        ell, U = ell_new, U_new
        if ell == 0.0:
            return 0.0
    if T == steps:
        return ell
    # past the cap: every later U_t ≤ U_tail; a sub-fixed point ℓ* ≤ ℓ with F(ℓ*, U_tail) ≥ ℓ* bounds all later ℓ_t
    U_tail = U if U_decreasing else r
    for shrink in (1e-9, 1e-6, 1e-3, 1e-1):
        cand = ell * (1 - shrink)
        if _step(cand, U_tail, a, rho, sigma, c) >= cand:
            return cand
    if a == 0.0 and sigma > c * U_tail:
        return ell * _pow(sigma - c * U_tail, T - steps)
    return 0.0


def _rhs_norm(f0: float, r_in: float, N: int, T: int) -> float:
    """‖B‖ = √(Σ_j r^{2j} + T·Σ_j a^{2j}) for B = [ŷ_in; b; …; b; 0…] of the exact discrete map."""
    s_in = sum(r_in ** (2 * j) for j in range(1, N + 1))
    s_b = sum(f0 ** (2 * j) for j in range(1, N + 1))
    return math.sqrt(s_in + T * s_b)


def amplitude_lower_bound(f0: float, rho: float, sigma: float, f2: float, r_in: float, N: int, T: int, p: int = 0, *,
                          truncation_error: float = 0.0, rhs_norm: float | None = None,
                          f1: float | None = None, final_norm: float = 0.0) -> AmplitudeBound:
    """‖Π_good L⁻¹B‖/‖B‖ ≥ √(p+1)·max(ℓ_T − e_T, 0)/‖B‖ (module docstring); e_T = ``truncation_error``
    ≥ ‖u(T) − ŷ_1(T)‖ (e.g. :func:`pyqgd.carleman.truncation_error_bound`), ‖B‖ from the norms unless given.
    ``final_norm``: another lower bound on ‖u(T)‖ (e.g. from :func:`trajectory_bounds`); the larger one is used."""
    T, p = _check_tp(T, p)
    N = check_positive_int(N, "N")
    ell = max(final_norm_lower_bound(f0, rho, sigma, f2, r_in, T, f1=f1), float(final_norm))
    final = max(ell - truncation_error, 0.0)
    B = _rhs_norm(f0, r_in, N, T) if rhs_norm is None else float(rhs_norm)
    if B == 0:
        raise ValueError("‖B‖ = 0 (u_in = 0 and F0 = 0): the solution is zero, nothing to estimate")
    return AmplitudeBound(value=math.sqrt(p + 1) * final / B, final_norm=final, rhs_norm=B, method="a-priori")


# --- trajectory-resolved bounds (iterated comparison systems; each step is a rigorous inequality) -------------------

#: Left eigenvectors of I+F1 tried by :func:`mode_lower_bound` (largest |λ| first; each gives a valid bound).
MAX_MODES = 8


def norm_upper_sequence(f0: float, rho: float, f2: float, r_in: float, T: int) -> np.ndarray:
    """U_0..U_T with U_0 = r_in, U_{t+1} = min(r, a + ρU_t + cU_t²) ≥ ‖u(t+1)‖ (r: the invariant-ball radius).

    Valid because ‖g(u)‖ ≤ a + ρ‖u‖ + c‖u‖² is increasing in ‖u‖ and the ball of radius r is invariant. For a = 0 and
    ρ < 1 the sequence decays geometrically, which is what makes the bounds below decay with t.
    """
    r = _ball_radius(f0, rho, f2, r_in)
    if not math.isfinite(r):
        raise NotDissipativeError(f"no invariant ball contains u_in (‖F0‖ = {f0:.3g}, ‖I+F1‖ = {rho:.4g}, "
                                  f"‖F2‖ = {f2:.3g}, ‖u_in‖ = {r_in:.3g})")
    U = np.empty(T + 1)
    U[0] = r_in
    for t in range(T):
        U[t + 1] = min(r, f0 + rho * U[t] + f2 * U[t] * U[t])
    return U


def level_norm_table(f0: float, rho: float, f2: float, N: int, block_norms: np.ndarray | None = None) -> np.ndarray:
    """W (N × 2N) with W[j−1, k−1] ≥ ‖M_jk‖ for every level j ≤ N of the exact map and every k ≤ 2N, including the
    levels k > N that the truncation drops: the coefficient of x^k in (a + ρx + cx²)^j, replaced by ``block_norms``
    (N × N, e.g. :func:`exact_block_norms`) on the kept levels where that is smaller."""
    W = np.zeros((N, 2 * N))
    poly = np.array([1.0])
    for j in range(1, N + 1):
        poly = np.convolve(poly, [f0, rho, f2])
        k = np.arange(1, min(2 * N, 2 * j) + 1)
        W[j - 1, k - 1] = poly[k]
    if block_norms is not None:
        W[:, :N] = np.minimum(W[:, :N], np.asarray(block_norms, dtype=float))
    return W


def truncation_error_levels(W: np.ndarray, U: np.ndarray) -> np.ndarray:
    """E (len(U) × N) with E[t, j−1] ≥ ‖η_j(t)‖ = ‖u(t)^⊗j − ŷ_j(t)‖ for every kept level j (recursion of
    :func:`truncation_error_trajectory`, all levels kept)."""
    N = W.shape[0]
    kept, dropped = W[:, :N], W[:, N:]
    powers = np.arange(N + 1, 2 * N + 1)
    out = np.zeros((len(U), N))
    for t in range(len(U) - 1):
        out[t + 1] = kept @ out[t] + dropped @ np.power(U[t], powers)
    return out


def truncation_error_trajectory(W: np.ndarray, U: np.ndarray) -> np.ndarray:
    """e_0..e_T with e_t ≥ ‖u(t) − ŷ_1(t)‖, from the comparison system of the truncation error.

    η_j(t) = u(t)^⊗j − ŷ_j(t) obeys η_j(t+1) = Σ_{k≤N} M_jk η_k(t) + Σ_{N<k≤2j} M_jk u(t)^⊗k with η(0) = 0 (ŷ starts at
    the exact lift of u_in), so with E_j(0) = 0 and

        E_j(t+1) = Σ_{k≤N} W_jk E_k(t) + Σ_{N<k≤2j} W_jk U_t^k

    (W from :func:`level_norm_table`, U from :func:`norm_upper_sequence`) every E_j(t) ≥ ‖η_j(t)‖ by induction (all
    terms are non-negative). Unlike the time-uniform :func:`pyqgd.carleman.truncation_error_bound`, it follows the
    decay of ‖u(t)‖: for F0 = 0 it decays like ρ^t instead of saturating.
    """
    return truncation_error_levels(W, U)[:, 0]


def linear_comparison_sequences(qmap, u_in: np.ndarray, T: int, norms: MapNorms, *,
                                finite_horizon: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(U, ℓ): U_t ≥ ‖u(t)‖ ≥ ℓ_t for t = 0..T from the linear part's trajectory.

    w(t+1) = F0 + (I+F1)w(t), w(0) = u_in, is computed exactly (O(T·nnz(F1)), no solve of L); d = u − w obeys
    d(t+1) = (I+F1)d(t) + F2(u(t)⊗u(t)), so ‖d(t)‖ ≤ D_t with D_{t+1} = ρD_t + cU_t², and

        ℓ_t = max(‖w(t)‖ − D_t, 0),   U_{t+1} = min(r, a + ρU_t + cU_t², ‖w(t+1)‖ + D_{t+1})

    (the second form of :func:`norm_upper_sequence`, the third the comparison). It follows every mode of the linear
    part (the slowest ones included) and F0 exactly; only the quadratic term is bounded by norms.
    ``finite_horizon``: without an invariant ball use r = ∞ (each step is still an inequality; the bounds may grow
    with T but stay valid for this T) instead of raising :class:`NotDissipativeError`.
    """
    a, rho, c = norms.f0, norms.rho, norms.f2
    r_in = float(np.linalg.norm(u_in))
    r = _ball_radius(a, rho, c, r_in)
    if not math.isfinite(r) and not finite_horizon:
        raise NotDissipativeError(f"no invariant ball contains u_in (‖F0‖ = {a:.3g}, ‖I+F1‖ = {rho:.4g}, "
                                  f"‖F2‖ = {c:.3g}, ‖u_in‖ = {r_in:.3g})")
    G1 = sp.csr_matrix(sp.identity(qmap.n) + qmap.F1)
    F0 = np.zeros(qmap.n) if qmap.F0 is None else np.asarray(qmap.F0, dtype=float)
    w = np.asarray(u_in, dtype=float).copy()
    U, ell = np.empty(T + 1), np.empty(T + 1)
    U[0] = ell[0] = r_in
    D = 0.0
    for t in range(T):
        D = rho * D + c * U[t] * U[t]
        w = F0 + G1 @ w
        nw = float(np.linalg.norm(w))
        U[t + 1] = min(r, a + rho * U[t] + c * U[t] * U[t], nw + D)
        ell[t + 1] = max(nw - D, 0.0)
    return U, ell


def solution_norm_bound_growth(C: float, mu: float, T: int, p: int, rhs_initial: float,
                               rhs_constant: float = 0.0) -> float:
    """‖L⁻¹B‖ ≤ value for B = [ŷ_in; b; …; b; 0…] (‖ŷ_in‖ = ``rhs_initial``, ‖b‖ = ``rhs_constant``) whenever
    ‖M^k‖ ≤ C·μ^k for k ≥ 1 (docs/math.md, "Structure of B").

    Y = L⁻¹B has blocks Y_t = M^t ŷ_in + Σ_{k<t} M^k b (t ≤ T) and Y_t = Y_T in the p idle steps, so by the triangle
    inequality in ℓ²(t): ‖Y‖ ≤ ‖ŷ_in‖·√(Σ_{k=0}^{T} g_k² + p·g_T²) + ‖b‖·√(T + p)·G_{T−1} (g_0 = 1, g_k = Cμ^k,
    G_m = Σ_{k≤m} g_k). For F0 = 0 and ‖M‖ ≤ 1 this is √(T + p + 1)·‖B‖, against ‖L⁻¹‖·‖B‖ ≈ (T + p + 1)‖B‖.
    """
    T, p = _check_tp(T, p)
    sq = _partial_sum(C * C, mu * mu, T) + p * C * C * _pow(mu, 2 * T)
    out = rhs_initial * math.sqrt(sq)
    if rhs_constant > 0:
        out += rhs_constant * math.sqrt(T + p) * _partial_sum(C, mu, T - 1)
    return out if math.isfinite(out) else math.inf


def solution_norm_trajectory_bound(W: np.ndarray, U: np.ndarray, p: int) -> float:
    """‖L⁻¹B‖ ≤ value from the trajectory: Y_t = ŷ(t) = lift(u(t)) − η(t), so
    ‖ŷ(t)‖ ≤ √(Σ_j U_t^{2j}) + ‖E(t)‖ (E from :func:`truncation_error_levels`) and ‖Y‖² ≤ Σ_{t≤T} ‖ŷ(t)‖² + p‖ŷ(T)‖²."""
    N = W.shape[0]
    E = truncation_error_levels(W, U)
    lift = np.sqrt(np.sum(np.power(U[:, None], 2 * np.arange(1, N + 1)[None, :]), axis=1))
    y = lift + np.linalg.norm(E, axis=1)
    return float(math.sqrt(float(np.sum(y * y)) + p * float(y[-1]) ** 2))


def mode_lower_bound(lam: float, z0: float, v_f0: float, k: float, U: np.ndarray) -> float:
    """|v·u(T)| ≥ value for a unit left eigenvector v of I+F1 (vᵀ(I+F1) = λvᵀ, λ real), z0 = v·u_in,
    v_f0 = v·F0, k = ‖F2ᵀv‖ and U_t ≥ ‖u(t)‖ (T = len(U) − 1).

    z_t = v·u(t) obeys z_{t+1} = λz_t + v·F0 + v·F2(u(t)⊗u(t)) with |v·F2(u⊗u)| ≤ k‖u‖² ≤ kU_t², so z_t lies in an
    interval [lo_t, hi_t] propagated exactly by these affine maps; the value is its distance from 0. Since ‖v‖ = 1,
    it is also a lower bound on ‖u(T)‖ — one that follows the slowest mode instead of σ_min(I+F1)^T.
    """
    lo = hi = float(z0)
    for t in range(len(U) - 1):
        a, b = lam * lo, lam * hi
        slack = k * U[t] * U[t]
        lo, hi = min(a, b) + v_f0 - slack, max(a, b) + v_f0 + slack
    return max(lo, -hi, 0.0)


def _left_modes(qmap, u_in: np.ndarray, T: int):
    """Up to MAX_MODES real left eigenpairs (λ, v) of I+F1, unit v, ordered by |λ|^T·|v·u_in| (the linear part's
    guess of which mode dominates u(T)); dense LAPACK, up to DENSE_LIMIT like σ_min(I+F1)."""
    n = qmap.n
    if n > DENSE_LIMIT:
        raise ValueError(f"the eigenmodes of I+F1 are computed densely up to n = {DENSE_LIMIT}; pass the norms to "
                         "amplitude_lower_bound for larger maps")
    lam, V = np.linalg.eig((sp.identity(n) + qmap.F1).T.toarray())
    real = np.abs(lam.imag) <= 1e-10 * np.maximum(np.abs(lam.real), 1e-300)
    lam, V = lam[real].real, V[:, real].real
    V = V / np.linalg.norm(V, axis=0)
    with np.errstate(divide="ignore"):
        score = T * np.log(np.abs(lam) + 1e-300) + np.log(np.abs(V.T @ u_in) + 1e-300)
    order = np.argsort(-score)[:MAX_MODES]
    return lam[order], V[:, order]


def trajectory_bounds(system: CarlemanSystem, u_in: np.ndarray, T: int, norms: MapNorms,
                      block_norms: np.ndarray | None = None) -> tuple[float, float]:
    """(ℓ_T, e_T): ‖u(T)‖ ≥ ℓ_T from the best left eigenmode (:func:`mode_lower_bound`) and the linear comparison
    (:func:`linear_comparison_sequences`), ‖u(T) − ŷ_1(T)‖ ≤ e_T from :func:`truncation_error_trajectory` with the
    tighter of the two upper sequences. O(T·(N² + nnz + modes)) arithmetic after one dense eigen-decomposition of
    I+F1 (n ≤ DENSE_LIMIT)."""
    ell, e_T, _ = _trajectory(system, u_in, T, norms, block_norms)
    return ell, e_T


def _trajectory(system, u_in, T, norms, block_norms):
    """(ℓ_T, e_T, U_0..U_T) of :func:`trajectory_bounds`."""
    qm = system.qmap
    U, ell_lin = linear_comparison_sequences(qm, u_in, T, norms, finite_horizon=True)
    if math.isfinite(_ball_radius(norms.f0, norms.rho, norms.f2, float(np.linalg.norm(u_in)))):
        U = np.minimum(U, norm_upper_sequence(norms.f0, norms.rho, norms.f2, float(np.linalg.norm(u_in)), T))
    if not np.all(np.isfinite(U)):
        return float(ell_lin[-1]), math.inf, U
    e_T = float(truncation_error_trajectory(level_norm_table(norms.f0, norms.rho, norms.f2, system.N, block_norms), U)[-1])
    lam, V = _left_modes(qm, u_in, T)
    F0 = np.zeros(qm.n) if qm.F0 is None else np.asarray(qm.F0, dtype=float)
    F2T = sp.csr_matrix(qm.F2).T
    ell = float(ell_lin[-1])
    for i in range(len(lam)):
        v = V[:, i]
        k = float(np.linalg.norm(F2T @ v))
        ell = max(ell, mode_lower_bound(float(lam[i]), float(v @ u_in), float(v @ F0), k, U))
    return ell, e_T, U


def _sigma_min(qmap) -> float:
    n = qmap.n
    if n > DENSE_LIMIT:
        raise ValueError(f"σ_min(I+F1) is computed densely up to n = {DENSE_LIMIT}; pass the norms to "
                         "amplitude_lower_bound for larger maps")
    G1 = (sp.identity(n) + qmap.F1).toarray()
    return float(np.linalg.svd(G1, compute_uv=False)[-1])


def carleman_bounds(system: CarlemanSystem, u_in, T: int, p: int = 0) -> CarlemanBounds:
    """Both a-priori bounds for ``system`` (exact discrete map) started at ``u_in``, T steps and p idle steps.

    ‖L⁻¹‖: from exact level-block norms when M is explicit (else the norm polynomials), and the exact ‖M‖ when
    dim ≤ DENSE_LIMIT. Amplitude: the ‖u(T)‖ recursion with the truncation bound of
    :func:`pyqgd.carleman.truncation_error_bound` and the exact ‖B‖ (computed from ŷ_in and b, no solve).
    """
    if not isinstance(system, CarlemanSystem):
        raise TypeError(f"expected a CarlemanSystem, got {type(system).__name__}")
    if system.form != "discrete":
        raise ValueError("the a-priori bounds are derived for the exact discrete map (discrete_carleman); got form "
                         f"{system.form!r}")
    T, p = _check_tp(T, p)
    u_in = as_finite_vector(u_in, "u_in", system.n)
    norms = MapNorms(system.qmap)
    block = None if system.matrix_free else exact_block_norms(system)
    norm_M = spectral_norm(system.M, exact=True) if not system.matrix_free and system.dim <= DENSE_LIMIT else None
    inv = inverse_norm_bound_from_norms(norms.f0, norms.rho, norms.f2, system.N, T, p, block_norms=block, norm_M=norm_M)
    r_in = float(np.linalg.norm(u_in))
    B = math.sqrt(float(np.sum(system.lift(u_in) ** 2)) + T * float(np.sum(system.b ** 2)))
    rhs_in = float(np.linalg.norm(system.lift(u_in)))
    rhs_b = float(np.linalg.norm(system.b))
    sol = SolutionNormBound(solution_norm_bound_growth(inv.constant, inv.mu, T, p, rhs_in, rhs_b) / B,
                            "norm growth of M with B's structure")
    trunc, ell_modes, reason, U = math.inf, 0.0, None, None
    try:
        trunc = truncation_error_bound(system.qmap, u_in, system.N, T, norms=norms)
    except NotDissipativeError as exc:  # the time-uniform bound needs R_d < 1; the trajectory bound below does not
        reason = exc
    if T <= MAX_ITERATIONS:
        try:
            ell_modes, trunc_t, U = _trajectory(system, u_in, T, norms, block)
            trunc = min(trunc, trunc_t)
            W = level_norm_table(norms.f0, norms.rho, norms.f2, system.N, block)
            traj = solution_norm_trajectory_bound(W, U, p) / B if np.all(np.isfinite(U)) else math.inf
            if traj < sol.value:
                sol = SolutionNormBound(traj, "trajectory (‖u(t)‖ and truncation-error comparison systems)")
        except NotDissipativeError as exc:
            reason = exc
    amp = None
    if math.isfinite(trunc):
        try:
            amp = amplitude_lower_bound(norms.f0, norms.rho, _sigma_min(system.qmap), norms.f2, r_in, system.N, T, p,
                                        truncation_error=trunc, rhs_norm=B, f1=norms.f1, final_norm=ell_modes)
        except NotDissipativeError as exc:
            # no invariant ball: the finite-horizon trajectory bounds alone (valid for this T)
            reason = exc
            amp = AmplitudeBound(value=math.sqrt(p + 1) * max(ell_modes - trunc, 0.0) / B,
                                 final_norm=max(ell_modes - trunc, 0.0), rhs_norm=B,
                                 method="a-priori (finite-horizon trajectory, no invariant ball)")
    if amp is None:
        # 0 is the only a-priori lower bound without an invariant ball or a truncation bound; say why
        amp = AmplitudeBound(value=0.0, final_norm=0.0, rhs_norm=B, method=f"unavailable: {reason}")
    upper = sol.value if math.isfinite(sol.value) else None
    if U is not None and math.isfinite(trunc) and np.all(np.isfinite(U)):
        upper = min(upper if upper is not None else math.inf, math.sqrt(p + 1) * (float(U[-1]) + trunc) / B)
    return CarlemanBounds(inverse_norm=inv, amplitude=amp, solution_norm=sol, amplitude_upper=upper)
