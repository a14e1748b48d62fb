"""The T-step history-state system L Y = B of a Carleman map (Liu et al. 2024 Eq. 6; docs/math.md §4).

With D = dim ŷ and K = T + 1 + p time blocks,

    L = I_K ⊗ I_D − S ⊗ M  (first T shifted blocks) − S_pad ⊗ I_D  (p idle padding steps),
    B = [ŷ_in; b; …; b (T times); 0 (p times)],

where S is the lower shift. Y = [ŷ(0); …; ŷ(T); ŷ(T); …] holds the whole trajectory; the padding copies of ŷ(T)
raise the weight of the final time in the normalised solution (PNAS 2021 Eq. 8). L is unit lower block-bidiagonal,
so L Y = B is solved exactly by block forward substitution, ŷ(t) = M ŷ(t−1) + b — no factorisation, O(T·nnz(M)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

from pyqgd._checks import InputTypeError, as_finite_vector, check_memory, check_positive_int
from pyqgd.carleman.system import CarlemanSystem

__all__ = ["HistorySolution", "tstep_matrix", "tstep_rhs", "tstep_operator", "solve_history", "forward_solve", "backward_solve"]


def _check(system, T, p):
    if not isinstance(system, CarlemanSystem):
        raise InputTypeError(f"expected a CarlemanSystem (from discrete_carleman or euler_carleman), got {type(system).__name__}")
    return check_positive_int(T, "T (number of steps)"), check_positive_int(p, "p (padding steps)", minimum=0)


def tstep_matrix(system: CarlemanSystem, T: int, p: int = 0, *, memory_limit: float | None = None) -> sp.csr_matrix:
    """The explicit (T+1+p)·D square CSR matrix L of the history-state system.

    Written block row by block row from one template (no Kronecker product, no format conversion): peak memory is the
    final arrays plus one block row. Raises ``TooLargeError`` above ``memory_limit`` (default 8 GiB).
    """
    T, p = _check(system, T, p)
    if system.matrix_free:
        raise InputTypeError("tstep_matrix needs an explicit M; this system is matrix-free: use tstep_operator instead")
    M = system.M.tocsr()
    D, K = system.dim, T + 1 + p
    nnz = D + T * (M.nnz + D) + p * 2 * D
    idx_dtype = np.int32 if max(K * D, nnz) < 2**31 - 1 else np.int64
    # final arrays (nnz entries; exact: the blocks −M, I and −I of L never overlap), the int64 row pointer it is
    # built in plus its cast, and the one-block-row template (M's entries plus the diagonal, int64 + float64)
    idx = np.dtype(idx_dtype).itemsize
    check_memory(nnz * (8 + idx) + (K * D + 1) * (8 + idx) + (M.nnz + 3 * D) * 16,
                 f"the T-step matrix (T={T}, p={p}, D={D})", memory_limit, "use tstep_operator (matrix-free) instead")

    # one block row t ≥ 1: row r holds −M[r, :] at columns (t−1)·D + c, then 1 at column t·D + r (always last)
    counts = np.diff(M.indptr).astype(np.int64) + 1
    row_start = np.concatenate([[0], np.cumsum(counts)])
    tmpl_idx = np.empty(row_start[-1], dtype=np.int64)
    tmpl_val = np.empty(row_start[-1])
    last = row_start[1:] - 1
    body = np.ones(row_start[-1], dtype=bool)
    body[last] = False
    tmpl_idx[body], tmpl_val[body] = M.indices, -M.data
    tmpl_idx[last], tmpl_val[last] = D + np.arange(D), 1.0

    indptr = np.empty(K * D + 1, dtype=np.int64)
    indptr[: D + 1] = np.arange(D + 1)
    indices = np.empty(nnz, dtype=idx_dtype)
    data = np.empty(nnz)
    indices[:D], data[:D] = np.arange(D), 1.0
    pos = D
    for t in range(1, T + 1):
        indices[pos : pos + tmpl_idx.size] = tmpl_idx + (t - 1) * D
        data[pos : pos + tmpl_idx.size] = tmpl_val
        indptr[t * D + 1 : (t + 1) * D + 1] = pos + row_start[1:]
        pos += tmpl_idx.size
    pad_idx = np.stack([np.arange(D), D + np.arange(D)], axis=1).ravel()
    pad_val = np.tile([-1.0, 1.0], D)
    for t in range(T + 1, K):
        indices[pos : pos + 2 * D] = pad_idx + (t - 1) * D
        data[pos : pos + 2 * D] = pad_val
        indptr[t * D + 1 : (t + 1) * D + 1] = pos + 2 * np.arange(1, D + 1)
        pos += 2 * D
    L = sp.csr_matrix((data, indices, indptr.astype(idx_dtype)), shape=(K * D, K * D))
    L.has_sorted_indices = True
    L.has_canonical_format = True
    return L


def tstep_rhs(system: CarlemanSystem, u_in, T: int, p: int = 0) -> np.ndarray:
    """B = [ŷ_in; b; …; b; 0; …; 0] with ŷ_in = [u_in, u_in⊗u_in, …] (length (T+1+p)·D)."""
    T, p = _check(system, T, p)
    D = system.dim
    _check_states(T + 1 + p, D, "the right-hand side B")
    B = np.zeros((T + 1 + p, D))
    B[0] = system.lift(u_in)
    B[1 : T + 1] = system.b
    return B.ravel()


def _check_states(K: int, D: int, what: str, memory_limit: float | None = None) -> None:
    """K blocks of D floats (and one work copy) must fit before they are allocated."""
    check_memory(2 * 8 * K * D, f"{what} ({K} blocks of {D:,})", memory_limit,
                 "use solve_history without keep_states, or fewer steps")


def _is_m_row(t: int, T: int) -> bool:
    return 1 <= t <= T


def forward_solve(system: CarlemanSystem, V: np.ndarray, T: int, p: int = 0) -> np.ndarray:
    """Y = L⁻¹ V by block forward substitution (Y_0 = V_0, Y_t = V_t + M Y_{t−1}, or + Y_{t−1} when idle)."""
    D = system.dim
    _check_states(T + 1 + p, D, "the forward substitution")
    V = np.asarray(V, dtype=float).reshape(T + 1 + p, D)
    Y = np.empty_like(V)
    Y[0] = V[0]
    for t in range(1, T + 1 + p):
        Y[t] = V[t] + (system.M @ Y[t - 1] if _is_m_row(t, T) else Y[t - 1])
    return Y.ravel()


def backward_solve(system: CarlemanSystem, W: np.ndarray, T: int, p: int = 0) -> np.ndarray:
    """Z = L⁻ᵀ W by block back substitution (Z_last = W_last, Z_t = W_t + Mᵀ Z_{t+1}, or + Z_{t+1} when idle)."""
    D, K = system.dim, T + 1 + p
    _check_states(K, D, "the back substitution")
    W = np.asarray(W, dtype=float).reshape(K, D)
    Z = np.empty_like(W)
    Z[K - 1] = W[K - 1]
    for t in range(K - 2, -1, -1):
        Z[t] = W[t] + (system.M.T @ Z[t + 1] if _is_m_row(t + 1, T) else Z[t + 1])
    return Z.ravel()


def tstep_operator(system: CarlemanSystem, T: int, p: int = 0) -> LinearOperator:
    """L as a matrix-free ``LinearOperator`` (matvec and rmatvec), for either an explicit or a matrix-free M."""
    T, p = _check(system, T, p)
    D, K = system.dim, T + 1 + p

    def matvec(x):
        Y = np.asarray(x, dtype=float).reshape(K, D)
        out = Y.copy()
        for t in range(1, K):
            out[t] -= system.M @ Y[t - 1] if _is_m_row(t, T) else Y[t - 1]
        return out.ravel()

    def rmatvec(x):
        Z = np.asarray(x, dtype=float).reshape(K, D)
        out = Z.copy()
        for t in range(1, K):
            out[t - 1] -= system.M.T @ Z[t] if _is_m_row(t, T) else Z[t]
        return out.ravel()

    return LinearOperator((K * D, K * D), matvec=matvec, rmatvec=rmatvec, dtype=float)


@dataclass(frozen=True)
class HistorySolution:
    """Solution of L Y = B: ``u`` the level-1 trajectory u_0..u_T (T+1, n); ``Y`` all blocks (K, D) when kept."""

    u: np.ndarray
    y_final: np.ndarray
    T: int
    p: int
    Y: np.ndarray | None = None

    @property
    def u_final(self) -> np.ndarray:
        return self.u[-1]


def solve_history(system: CarlemanSystem, u_in, T: int, p: int = 0, *, keep_states: bool = False) -> HistorySolution:
    """Solve L Y = B exactly by block forward substitution and read u_0..u_T from the level-1 blocks.

    ``keep_states=True`` also returns every block ŷ(t), t = 0..T+p (memory (T+1+p)·D floats).
    """
    T, p = _check(system, T, p)
    u_in = as_finite_vector(u_in, "u_in", system.n)
    n = system.n
    if keep_states:
        _check_states(T + 1 + p, system.dim, "keep_states=True")
    check_memory(8 * (T + 1) * n, f"the trajectory ({T + 1} steps × {n})", None, "use fewer steps")
    y = system.lift(u_in)
    u = np.empty((T + 1, n))
    u[0] = u_in
    Y = np.empty((T + 1 + p, system.dim)) if keep_states else None
    if keep_states:
        Y[0] = y
    for t in range(1, T + 1):
        y = system.M @ y + system.b
        if not np.all(np.isfinite(y)):
            raise FloatingPointError(
                f"the Carleman iterate overflowed at step {t}: the truncated map is unstable for this u_in; "
                "check the dissipation diagnostics (R, ρ) and reduce η, ‖u_in‖ or T"
            )
        u[t] = y[:n]
        if keep_states:
            Y[t] = y
    if keep_states:
        Y[T + 1 :] = y
    return HistorySolution(u=u, y_final=y, T=T, p=p, Y=Y)
