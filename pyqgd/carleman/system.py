"""Truncated Carleman systems ŷ(t+1) = M ŷ(t) + b on ŷ = [u, u⊗u, …, u^⊗N].

Two forms, both returned as a :class:`CarlemanSystem`:

* :func:`discrete_carleman` — the **exact one-step map** of gradient descent u ↦ g(u) = F0 + (I+F1) u + F2 (u⊗u)
  (Liu et al. 2024, Eqs. 5–6; docs/math.md §3). Writing G0 = F0 (n × 1), G1 = I + F1, G2 = F2,

      g(u)^⊗j = Σ_{d ∈ {0,1,2}^j} (G_{d_1} ⊗ … ⊗ G_{d_j}) u^⊗(d_1+…+d_j),

  so block (j, k) of M is Σ_{|d| = k} ⊗_i G_{d_i} for 1 ≤ k ≤ N and the constant of level j is b_j = F0^⊗j (the
  d = 0 term). Block row j couples to levels up to 2j; everything above N is dropped (the truncation). The paper puts
  F0 only into level 1; we keep the exact per-level constants F0^⊗j in b (no extra coordinate), so that for N large
  enough the map is exact, and with F0 = 0 both agree.
* :func:`continuous_carleman` — the Carleman matrix A and vector b of gradient flow du/dt = F0 + F1 u + F2 (u⊗u)
  (Liu et al., PNAS 2021, Eqs. 4–7; docs/math.md §2): A_j^j = Σ_i I^⊗(i−1) ⊗ F1 ⊗ I^⊗(j−i) (Kronecker sum), the same sums
  with F2 at (j, j+1) and F0 at (j, j−1), b = [F0; 0; …]. :func:`euler_carleman` returns its forward-Euler step
  M = I + hA, b ← hb (PNAS Eq. 8), which differs from the exact discrete map of the step-h flow by O(h²).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

from pyqgd._checks import TooLargeError, as_finite_vector, check_memory, check_positive_float, check_positive_int
from pyqgd.carleman.kron import KronTerm, apply_terms, assemble_csr
from pyqgd.carleman.quadratic import QuadraticMap
from pyqgd.problem import GDProblem

__all__ = ["CarlemanSystem", "discrete_carleman", "continuous_carleman", "euler_carleman", "level_offsets", "lift",
           "carleman_dim", "discrete_term_count", "MAX_KRON_TERMS"]

#: Most Kronecker terms a system may have (each is a small Python object; beyond this, building them is the cost).
MAX_KRON_TERMS = 2_000_000
#: Bytes per KronTerm object with its tuple of factors (measured order of magnitude, for the memory estimate).
_TERM_BYTES = 600
#: Index arithmetic of the assembly and the offsets use int64: dimensions must stay below this.
_MAX_DIM = 2**62


def carleman_dim(n: int, N: int) -> int:
    """D = Σ_{j=1..N} n^j, exactly (Python integers: no overflow for any n, N)."""
    return sum(n**j for j in range(1, N + 1))


def level_offsets(n: int, N: int) -> np.ndarray:
    """Start index of each level j = 1..N in ŷ, plus the total size: [0, n, n + n², …, Σ_{j≤N} n^j]."""
    if carleman_dim(n, N) >= _MAX_DIM:
        raise TooLargeError(f"Σ_(j≤N) n^j for n = {n}, N = {N} exceeds 2^62: no vector of that length can be indexed; "
                            "reduce N or n")
    return np.array([0] + [sum(n**i for i in range(1, j + 1)) for j in range(1, N + 1)], dtype=np.int64)


def lift(u, N: int) -> np.ndarray:
    """ŷ = [u, u⊗u, …, u^⊗N] (row-major Kronecker order)."""
    u = np.asarray(u, dtype=float)
    parts, p = [], np.ones(1)
    for _ in range(N):
        p = np.kron(p, u)
        parts.append(p)
    return np.concatenate(parts)


@dataclass(frozen=True)
class CarlemanSystem:
    """A truncated Carleman one-step map ŷ(t+1) = M ŷ(t) + b.

    ``M`` is CSR, or a scipy ``LinearOperator`` for the matrix-free form (same action, no stored entries).
    ``form`` is "discrete" (exact GD map) or "euler" (forward Euler of the continuous Carleman ODE with step h).
    """

    M: sp.csr_matrix | LinearOperator
    b: np.ndarray
    qmap: QuadraticMap
    N: int
    form: str
    h: float | None = None
    terms: tuple = field(default=(), repr=False)

    @property
    def n(self) -> int:
        return self.qmap.n

    @property
    def dim(self) -> int:
        """Σ_{j=1..N} n^j."""
        return int(level_offsets(self.n, self.N)[-1])

    @property
    def offsets(self) -> np.ndarray:
        return level_offsets(self.n, self.N)

    @property
    def matrix_free(self) -> bool:
        return not sp.issparse(self.M)

    def lift(self, u) -> np.ndarray:
        """ŷ_in = [u, u⊗u, …, u^⊗N] for this system's n and N."""
        return lift(as_finite_vector(u, "u_in", self.n), self.N)

    def level(self, y: np.ndarray, j: int) -> np.ndarray:
        """The level-j block (u^⊗j coordinates) of a Carleman vector, or of each row of a stack of them."""
        if not 1 <= j <= self.N:
            raise ValueError(f"level j must be in 1..{self.N}, got {j}")
        o = self.offsets
        return y[..., o[j - 1] : o[j]]

    def step(self, y: np.ndarray) -> np.ndarray:
        """M y + b."""
        return self.M @ y + self.b


def _check_N(N) -> int:
    return check_positive_int(N, "N (truncation order)")


def _column(v: np.ndarray) -> sp.csr_matrix:
    return sp.csr_matrix(v.reshape(-1, 1))


def _kron_power(v: np.ndarray, j: int) -> np.ndarray:
    out = np.ones(1)
    for _ in range(j):
        out = np.kron(out, v)
    return out


def _digit_polynomials(weights: dict, N: int) -> list[list[int]]:
    """P_j[k] = Σ_{d ∈ A^j, |d| = k} Π_i w_{d_i} for j = 1..N and k ≤ N, where A = {i : w_i > 0}: the coefficients
    of (Σ_i w_i z^i)^j truncated at degree N (exact integers)."""
    out, poly = [], [1] + [0] * N
    for _ in range(N):
        nxt = [0] * (N + 1)
        for k, c in enumerate(poly):
            if c:
                for i, w in weights.items():
                    if w and k + i <= N:
                        nxt[k + i] += c * w
        poly = nxt
        out.append(poly)
    return out


def discrete_term_count(qm: QuadraticMap, N: int) -> tuple[int, int]:
    """(number of Kronecker terms, upper bound on nnz(M)) of :func:`discrete_carleman` at order N, without building
    anything: the terms of block (j, k) are the d ∈ {0,1,2}^j with |d| = k and every G_{d_i} ≠ 0, and
    nnz(block) ≤ min(Σ_d Π_i nnz(G_{d_i}), n^j · n^k) (a block holds at most rows × columns entries)."""
    n = qm.n
    nnz = {0: int(np.count_nonzero(qm.F0)), 1: int((sp.identity(n, format="csr") + qm.F1).nnz), 2: int(qm.F2.nnz)}
    counts = _digit_polynomials({i: int(v > 0) for i, v in nnz.items()}, N)
    weights = _digit_polynomials(nnz, N)
    terms = sum(counts[j - 1][k] for j in range(1, N + 1) for k in range(1, N + 1))
    bound = sum(min(weights[j - 1][k], n**j * n**k) for j in range(1, N + 1) for k in range(1, N + 1))
    return terms, bound


def _check_size(qm: QuadraticMap, N: int, matrix_free: bool, memory_limit, what: str) -> None:
    """Refuse before anything proportional to the system is allocated or enumerated (TooLargeError)."""
    _check_dim(qm.n, N, memory_limit, what)
    D, hint = carleman_dim(qm.n, N), "reduce N or n"
    terms, nnz = discrete_term_count(qm, N)
    if terms > MAX_KRON_TERMS:
        raise TooLargeError(f"{what} is a sum of {terms:,} Kronecker terms (above {MAX_KRON_TERMS:,}); {hint}")
    check_memory(terms * _TERM_BYTES, f"the {terms:,} Kronecker terms of {what}", memory_limit, hint)
    if not matrix_free:
        idx = 4 if max(D, nnz) < 2**31 - 1 else 8
        check_memory(nnz * (8 + idx) + (D + 1) * idx + 3 * 8 * D, f"{what} (≤ {nnz:,} nonzeros)", memory_limit,
                     "use the matrix-free form (matrix_free=True / the *_operator functions)")


def _compositions(digits, length: int, budget: int):
    """All d ∈ digits^length with |d| ≤ budget (digits sorted ascending), in lexicographic order, pruned early."""
    if length == 0:
        yield ()
        return
    low = digits[0] * (length - 1)
    for d in digits:
        if d + low > budget:
            break
        for rest in _compositions(digits, length - 1, budget - d):
            yield (d,) + rest


def _check_dim(n: int, N: int, memory_limit, what: str) -> None:
    """b (D floats) is always stored and a matrix-vector product needs two more vectors of length D: refuse when those
    do not fit (for the continuous forms, with O(N²) terms, this and the assembly's own estimate are the guards)."""
    D = carleman_dim(n, N)
    if D >= _MAX_DIM:
        raise TooLargeError(f"{what} has dimension Σ n^j ≈ {float(D):.3g}, beyond any addressable memory; reduce N or n")
    check_memory(3 * 8 * D, f"{what} (vectors of dimension {D:,})", memory_limit, "reduce N or n")


def _discrete_terms(qm: QuadraticMap, N: int) -> tuple[list[KronTerm], np.ndarray]:
    n, off = qm.n, level_offsets(qm.n, N)
    G = {0: _column(qm.F0), 1: (sp.identity(n, format="csr") + qm.F1).tocsr(), 2: qm.F2}
    digits = [i for i in (0, 1, 2) if G[i].nnz]
    terms = []
    for j in range(1, N + 1):
        for d in _compositions(digits, j, N):
            k = sum(d)
            if k >= 1:
                terms.append(KronTerm(1.0, tuple(G[di] for di in d), int(off[j - 1]), int(off[k - 1]), n))
    b = np.concatenate([_kron_power(qm.F0, j) for j in range(1, N + 1)])
    return terms, b


def _continuous_terms(qm: QuadraticMap, N: int) -> tuple[list[KronTerm], np.ndarray]:
    n, off = qm.n, level_offsets(qm.n, N)
    F = {0: _column(qm.F0), 1: qm.F1, 2: qm.F2}
    terms = []
    for j in range(1, N + 1):
        for ell, k in ((0, j - 1), (1, j), (2, j + 1)):
            if not 1 <= k <= N or F[ell].nnz == 0:
                continue
            for i in range(j):
                factors = (None,) * i + (F[ell],) + (None,) * (j - 1 - i)
                terms.append(KronTerm(1.0, factors, int(off[j - 1]), int(off[k - 1]), n))
    b = np.zeros(int(off[-1]))
    b[:n] = qm.F0
    return terms, b


def _build(terms, D: int, matrix_free: bool, memory_limit, what: str):
    if matrix_free:
        # (A_1 ⊗ … ⊗ A_j)ᵀ = A_1ᵀ ⊗ … ⊗ A_jᵀ, at the mirrored block offset
        transposed = [KronTerm(t.coef, tuple(None if f is None else f.T.tocsr() for f in t.factors), t.col, t.row, t.n)
                      for t in terms]
        return LinearOperator((D, D), matvec=lambda x: apply_terms(terms, np.asarray(x).ravel(), D),
                              rmatvec=lambda x: apply_terms(transposed, np.asarray(x).ravel(), D), dtype=float)
    return assemble_csr(terms, (D, D), memory_limit=memory_limit, what=what)


def _as_map(qmap) -> QuadraticMap:
    """The QuadraticMap of a QuadraticMap or of a GDProblem (the typed hand-off from the model layers)."""
    if isinstance(qmap, GDProblem):
        return qmap.qmap
    if not isinstance(qmap, QuadraticMap):
        raise TypeError(f"expected a QuadraticMap or a GDProblem, got {type(qmap).__name__}; build one with "
                        "QuadraticMap(F0, F1, F2) or pyqgd.dynamics.gd_problem / pyqgd.models.gd_problem")
    return qmap


def discrete_carleman(qmap: QuadraticMap, N: int, *, matrix_free: bool = False, memory_limit: float | None = None) -> CarlemanSystem:
    """The exact discrete-time Carleman one-step map of u ↦ u + F0 + F1 u + F2 (u⊗u), truncated at order N.

    ``qmap`` is a :class:`QuadraticMap` or a :class:`pyqgd.problem.GDProblem` (its map is used).

    Liu et al. 2024 Eq. 5 (module docstring for the block formula). ``matrix_free=True`` returns M as a
    ``LinearOperator`` that applies the Kronecker factors axis by axis, for sizes whose explicit matrix would not
    fit; otherwise an explicit CSR matrix is assembled. ``TooLargeError`` (above ``memory_limit``, default 8 GiB) is
    raised before anything proportional to the system is allocated or enumerated: the dimension, the number of
    Kronecker terms and the nonzeros are counted first (:func:`discrete_term_count`).
    """
    qmap = _as_map(qmap)
    N = _check_N(N)
    what = f"the discrete Carleman matrix (n={qmap.n}, N={N})"
    _check_size(qmap, N, matrix_free, memory_limit, what)
    terms, b = _discrete_terms(qmap, N)
    D = int(level_offsets(qmap.n, N)[-1])
    M = _build(terms, D, matrix_free, memory_limit, what)
    return CarlemanSystem(M, b, qmap, N, "discrete", None, tuple(terms))


def continuous_carleman(qmap: QuadraticMap, N: int, *, matrix_free: bool = False, memory_limit: float | None = None):
    """(A, b) of the continuous Carleman system dy/dt = A y + b of du/dt = F0 + F1 u + F2 (u⊗u) (PNAS 2021 Eqs. 4–7).

    A is CSR (or a ``LinearOperator`` when ``matrix_free``); b = [F0; 0; …; 0].
    """
    if not isinstance(qmap, QuadraticMap):
        raise TypeError(f"expected a QuadraticMap (the gradient-flow field), got {type(qmap).__name__}")
    N = _check_N(N)
    _check_dim(qmap.n, N, memory_limit, f"the continuous Carleman matrix (n={qmap.n}, N={N})")
    terms, b = _continuous_terms(qmap, N)
    D = int(level_offsets(qmap.n, N)[-1])
    return _build(terms, D, matrix_free, memory_limit, f"the continuous Carleman matrix (n={qmap.n}, N={N})"), b


def euler_carleman(qmap: QuadraticMap, N: int, h: float, *, matrix_free: bool = False, memory_limit: float | None = None) -> CarlemanSystem:
    """Forward Euler of the continuous Carleman ODE: M = I + hA, b ← h·b (PNAS 2021 Eq. 8).

    With ``qmap`` the gradient-flow field −∇L and h = η this is the η → 0 limit of :func:`discrete_carleman` of the
    GD map ``qmap.scaled(h)``; the two one-step matrices differ by O(h²).
    """
    if not isinstance(qmap, QuadraticMap):
        raise TypeError(f"expected a QuadraticMap, got {type(qmap).__name__}")
    N = _check_N(N)
    h = check_positive_float(h, "h (Euler step)")
    _check_dim(qmap.n, N, memory_limit, f"the Euler Carleman matrix (n={qmap.n}, N={N})")
    terms, b = _continuous_terms(qmap, N)
    off = level_offsets(qmap.n, N)
    scaled = [KronTerm(h * t.coef, t.factors, t.row, t.col, t.n) for t in terms]
    eye = [KronTerm(1.0, (None,) * j, int(off[j - 1]), int(off[j - 1]), qmap.n) for j in range(1, N + 1)]
    D = int(off[-1])
    M = _build(eye + scaled, D, matrix_free, memory_limit, f"the Euler Carleman matrix (n={qmap.n}, N={N})")
    return CarlemanSystem(M, h * b, qmap, N, "euler", h, tuple(eye + scaled))

