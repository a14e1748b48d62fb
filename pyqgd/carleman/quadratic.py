"""The quadratic map whose Carleman linearization we build.

Gradient descent on a loss expanded to third order around an expansion point θ* is the map
(paper.md F1, Liu et al. 2024 Eq. 4 with q = 2)

    u(t+1) = u(t) + F0 + F1 u(t) + F2 (u(t) ⊗ u(t)),      u = θ − θ*,

with F0 = −η ∇L(θ*) (n), F1 = −η ∇²L(θ*) (n × n) and F2 = −(η/2) ∇³L(θ*) (n × n², row-major Kronecker order:
column a·n + b multiplies u_a u_b). Its η → 0 limit, divided by η, is gradient flow du/dt = F0 + F1 u + F2 (u ⊗ u).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from pyqgd._checks import as_finite_vector, as_sparse_coefficient

__all__ = ["QuadraticMap"]


@dataclass(frozen=True)
class QuadraticMap:
    """Coefficients (F0, F1, F2) of f(u) = F0 + F1 u + F2 (u ⊗ u), stored as float64 CSR (F0 as a 1-D array).

    Accepts dense arrays or any scipy.sparse matrix; copies, never mutates the caller's arrays.
    ``F0`` may be ``None`` (homogeneous map) and ``F2`` may be ``None`` (linear map).
    """

    F0: np.ndarray
    F1: sp.csr_matrix
    F2: sp.csr_matrix

    def __init__(self, F0=None, F1=None, F2=None):
        if F1 is None:
            raise TypeError("QuadraticMap needs F1 (an n × n matrix); pass F0=None or F2=None to omit the others")
        F1c = as_sparse_coefficient(F1, "F1")
        n = F1c.shape[0]
        if F1c.shape != (n, n):
            raise ValueError(f"F1 must be square n × n, got shape {F1c.shape}")
        F0c = np.zeros(n) if F0 is None else as_finite_vector(F0, "F0", n)
        F2c = sp.csr_matrix((n, n * n)) if F2 is None else as_sparse_coefficient(F2, "F2")
        if F2c.shape != (n, n * n):
            raise ValueError(
                f"F2 must have shape (n, n²) = ({n}, {n * n}) in row-major Kronecker order, got {F2c.shape}; "
                "reshape a third-order tensor K[i, a, b] with K.reshape(n, n * n)"
            )
        object.__setattr__(self, "F0", F0c)
        object.__setattr__(self, "F1", F1c)
        object.__setattr__(self, "F2", F2c)

    @property
    def n(self) -> int:
        """Number of variables (surviving parameters)."""
        return self.F1.shape[0]

    @property
    def homogeneous(self) -> bool:
        """True when F0 = 0 (the expansion point is a critical point of the loss)."""
        return not np.any(self.F0)

    def f(self, u: np.ndarray) -> np.ndarray:
        """f(u) = F0 + F1 u + F2 (u ⊗ u); u may be (n,) or a batch (n, k) of columns."""
        u = np.asarray(u, dtype=float)
        uu = np.einsum("a...,b...->ab...", u, u).reshape((self.n * self.n,) + u.shape[1:])
        return (self.F0 if u.ndim == 1 else self.F0[:, None]) + self.F1 @ u + self.F2 @ uu

    def step(self, u: np.ndarray) -> np.ndarray:
        """One gradient-descent step: u + f(u)."""
        return np.asarray(u, dtype=float) + self.f(u)

    def trajectory(self, u_in, T: int) -> np.ndarray:
        """The true nonlinear iterates u(0..T) of u ↦ u + f(u), as a (T+1, n) array."""
        from pyqgd._checks import check_positive_int

        T = check_positive_int(T, "T")
        u = as_finite_vector(u_in, "u_in", self.n)
        out = np.empty((T + 1, self.n))
        out[0] = u
        for t in range(T):
            u = self.step(u)
            out[t + 1] = u
        return out

    def scaled(self, h: float) -> "QuadraticMap":
        """The map h·f: coefficients multiplied by a step h (forward-Euler step of du/dt = f(u))."""
        return QuadraticMap(h * self.F0, h * self.F1, h * self.F2)
