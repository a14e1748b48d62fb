"""Truncated Carleman systems ŷ(t+1) = M ŷ(t) + b on ŷ = [u, u⊗u, …, u^⊗N].

Two forms, both returned as a :class:`CarlemanSystem`:

* :func:`discrete_carleman` — the **exact one-step map** of gradient descent u ↦ g(u) = F0 + (I+F1) u + F2 (u⊗u)
  (Liu et al. 2024, Eqs. 5–6; paper.md §2.2, F3). Writing G0 = F0 (n × 1), G1 = I + F1, G2 = F2,

      g(u)^⊗j = Σ_{d ∈ {0,1,2}^j} (G_{d_1} ⊗ … ⊗ G_{d_j}) u^⊗(d_1+…+d_j),

  so block (j, k) of M is Σ_{|d| = k} ⊗_i G_{d_i} for 1 ≤ k ≤ N and the constant of level j is b_j = F0^⊗j (the
  d = 0 term). Block row j couples to levels up to 2j; everything above N is dropped (the truncation). The paper puts
  F0 only into level 1; we keep the exact per-level constants F0^⊗j in b (no extra coordinate), so that for N large
  enough the map is exact, and with F0 = 0 both agree.
* :func:`continuous_carleman` — the Carleman matrix A and vector b of gradient flow du/dt = F0 + F1 u + F2 (u⊗u)
  (Liu et al., PNAS 2021, Eqs. 4–7; paper.md F2): A_j^j = Σ_i I^⊗(i−1) ⊗ F1 ⊗ I^⊗(j−i) (Kronecker sum), the same sums
  with F2 at (j, j+1) and F0 at (j, j−1), b = [F0; 0; …]. :func:`euler_carleman` returns its forward-Euler step
  M = I + hA, b ← hb (PNAS Eq. 8), which differs from the exact discrete map of the step-h flow by O(h²).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

from pyqgd._checks import as_finite_vector, check_positive_float, check_positive_int
from pyqgd.carleman.kron import KronTerm, apply_terms, assemble_csr
from pyqgd.carleman.quadratic import QuadraticMap

__all__ = ["CarlemanSystem", "discrete_carleman", "continuous_carleman", "euler_carleman", "level_offsets", "lift"]


def level_offsets(n: int, N: int) -> np.ndarray:
    """Start index of each level j = 1..N in ŷ, plus the total size: [0, n, n + n², …, Σ_{j≤N} n^j]."""
    return np.concatenate([[0], np.cumsum([n**j for j in range(1, N + 1)])]).astype(np.int64)


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


def _discrete_terms(qm: QuadraticMap, N: int) -> tuple[list[KronTerm], np.ndarray]:
    n, off = qm.n, level_offsets(qm.n, N)
    G = {0: _column(qm.F0), 1: (sp.identity(n, format="csr") + qm.F1).tocsr(), 2: qm.F2}
    terms = []
    for j in range(1, N + 1):
        for d in product((0, 1, 2), repeat=j):
            k = sum(d)
            if 1 <= k <= N and all(G[di].nnz for di in d):
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


def discrete_carleman(qmap: QuadraticMap, N: int, *, matrix_free: bool = False, memory_limit: float | None = None) -> CarlemanSystem:
    """The exact discrete-time Carleman one-step map of u ↦ u + F0 + F1 u + F2 (u⊗u), truncated at order N.

    Liu et al. 2024 Eq. 5 (module docstring for the block formula). ``matrix_free=True`` returns M as a
    ``LinearOperator`` that applies the Kronecker factors axis by axis, for sizes whose explicit matrix would not
    fit; otherwise an explicit CSR matrix is assembled (``TooLargeError`` above ``memory_limit``, default 8 GiB).
    """
    if not isinstance(qmap, QuadraticMap):
        raise TypeError(f"expected a QuadraticMap, got {type(qmap).__name__}; build one with QuadraticMap(F0, F1, F2)")
    N = _check_N(N)
    terms, b = _discrete_terms(qmap, N)
    D = int(level_offsets(qmap.n, N)[-1])
    M = _build(terms, D, matrix_free, memory_limit, f"the discrete Carleman matrix (n={qmap.n}, N={N})")
    return CarlemanSystem(M, b, qmap, N, "discrete", None, tuple(terms))


def continuous_carleman(qmap: QuadraticMap, N: int, *, matrix_free: bool = False, memory_limit: float | None = None):
    """(A, b) of the continuous Carleman system dy/dt = A y + b of du/dt = F0 + F1 u + F2 (u⊗u) (PNAS 2021 Eqs. 4–7).

    A is CSR (or a ``LinearOperator`` when ``matrix_free``); b = [F0; 0; …; 0].
    """
    if not isinstance(qmap, QuadraticMap):
        raise TypeError(f"expected a QuadraticMap, got {type(qmap).__name__}")
    N = _check_N(N)
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
    terms, b = _continuous_terms(qmap, N)
    off = level_offsets(qmap.n, N)
    scaled = [KronTerm(h * t.coef, t.factors, t.row, t.col, t.n) for t in terms]
    eye = [KronTerm(1.0, (None,) * j, int(off[j - 1]), int(off[j - 1]), qmap.n) for j in range(1, N + 1)]
    D = int(off[-1])
    M = _build(eye + scaled, D, matrix_free, memory_limit, f"the Euler Carleman matrix (n={qmap.n}, N={N})")
    return CarlemanSystem(M, h * b, qmap, N, "euler", h, tuple(eye + scaled))

