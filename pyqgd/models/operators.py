"""Matrix-free Taylor coefficients: F1 and F2 as scipy ``LinearOperator``s built on torch.func derivatives.

For models too large for the exact path (n ≳ 10^4 surviving parameters) the coefficients of
:mod:`pyqgd.models.taylor` are available only through their action on vectors:

* ``hessian_operator``: v ↦ H v (one forward-over-reverse HVP, ~3 gradients of cost);
* ``F1_operator``: v ↦ F1 v = −η H v;
* ``F2_operator``: the n × n² operator w ↦ F2 w. On a rank-one input u ⊗ v use :func:`F2_contract`
  (one third-order contraction −(η/2) ∇³L[·, u, v]); a general w = vec(W) costs n contractions
  (F2 w = −(η/2) Σ_a ∇³L[·, e_a, W[a, :]]), practical only for moderate n.
* :func:`f2_norm_bounds`: bounds on the spectral norm ‖F2‖₂ (n × n² matrix, the norm in the dissipation number R,
  PNAS Eq. 2) from contractions only, so they work at 10^6+ parameters.

All operators take and return float64 numpy arrays; internally they run in the expansion's dtype and device.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.sparse.linalg import LinearOperator
from tqdm.auto import tqdm

from pyqgd._checks import check_positive_int
from pyqgd.carleman import spectral_norm  # noqa: F401  (one exact 2-norm for the whole package)
from pyqgd.models._torch import torch
from pyqgd.models.taylor import GDExpansion

__all__ = [
    "hessian_operator",
    "F1_operator",
    "F2_operator",
    "F2_contract",
    "F2NormBounds",
    "f2_norm_bounds",
]


def _check(exp):
    if not isinstance(exp, GDExpansion):
        raise TypeError(f"expected a GDExpansion, got {type(exp).__name__}")


def _batched(exp: GDExpansion, fn, X: np.ndarray, chunk_size: int) -> np.ndarray:
    """Apply a torch batch function to the columns of X (n, k) in chunks; returns (n, k) float64."""
    X = np.asarray(X, dtype=float)
    out = np.empty((exp.n, X.shape[1]))
    for j0 in range(0, X.shape[1], chunk_size):
        V = torch.as_tensor(np.ascontiguousarray(X[:, j0:j0 + chunk_size].T), dtype=exp.dtype, device=exp.device)
        out[:, j0:j0 + chunk_size] = fn(V).detach().cpu().double().numpy().T
    return out


def hessian_operator(exp: GDExpansion, *, u=None, chunk_size: int = 16) -> LinearOperator:
    """H = ∇²L(θ* + u) on the survivors as a symmetric n × n LinearOperator (matvec = one HVP; matmat vmapped)."""
    _check(exp)
    chunk_size = check_positive_int(chunk_size, "chunk_size")
    u0 = exp._u(u)

    def mm(X):
        return _batched(exp, lambda V: exp._hvp_t(u0, V), X, chunk_size)

    def mv(v):
        t = torch.as_tensor(np.asarray(v, dtype=float).reshape(-1), dtype=exp.dtype, device=exp.device)
        return exp._hvp_single(u0, t).detach().cpu().double().numpy()

    return LinearOperator((exp.n, exp.n), matvec=mv, rmatvec=mv, matmat=mm, rmatmat=mm, dtype=np.float64)


def F1_operator(exp: GDExpansion, *, u=None, chunk_size: int = 16) -> LinearOperator:
    """F1 = −η H (paper Eq. 4) as a symmetric n × n LinearOperator."""
    return -exp.lr * hessian_operator(exp, u=u, chunk_size=chunk_size)


def F2_contract(exp: GDExpansion, a, b, *, u=None) -> np.ndarray:
    """F2 (a ⊗ b) = −(η/2) ∇³L(θ*+u)[·, a, b] for vectors (n,) or batches (k, n) (one contraction each)."""
    _check(exp)
    return -0.5 * exp.lr * exp.third(a, b, u=u)


def F2_operator(exp: GDExpansion, *, u=None, chunk_size: int = 64) -> LinearOperator:
    """F2 = −(η/2) mat(∇³L) as an n × n² LinearOperator (row-major Kronecker columns, symmetric in (a, b)).

    ``matvec(w)``: W = w.reshape(n, n); F2 w = −(η/2) Σ_a ∇³L[·, e_a, W[a, :]] (n contractions).
    ``rmatvec(x)``: F2ᵀ x = −(η/2) vec(∇³L[x, ·, ·]), row b of which is ∇³L[·, x, e_b] (n contractions).
    For rank-one inputs use :func:`F2_contract` (one contraction).
    """
    _check(exp)
    chunk_size = check_positive_int(chunk_size, "chunk_size")
    n, c = exp.n, -0.5 * exp.lr
    u0 = exp._u(u)

    def matvec(w):
        W = np.asarray(w, dtype=float).reshape(n, n)
        rows = np.flatnonzero(np.any(W != 0, axis=1))
        acc = np.zeros(n)
        for j0 in range(0, rows.size, chunk_size):
            r = rows[j0:j0 + chunk_size]
            E = torch.zeros(r.size, n, dtype=exp.dtype, device=exp.device)
            E[torch.arange(r.size), torch.as_tensor(r)] = 1
            B = torch.as_tensor(W[r], dtype=exp.dtype, device=exp.device)
            acc += exp._third_t(u0, E, B).detach().cpu().double().numpy().sum(axis=0)
        return c * acc

    def rmatvec(x):
        x = np.asarray(x, dtype=float).reshape(n)
        rows = np.empty((n, n))
        for j0 in range(0, n, chunk_size):
            j1 = min(n, j0 + chunk_size)
            X = torch.as_tensor(np.repeat(x[None], j1 - j0, axis=0), dtype=exp.dtype, device=exp.device)
            E = torch.zeros(j1 - j0, n, dtype=exp.dtype, device=exp.device)
            E[torch.arange(j1 - j0), torch.arange(j0, j1)] = 1
            rows[j0:j1] = exp._third_t(u0, X, E).detach().cpu().double().numpy()
        return c * rows.reshape(-1)  # rows[b, a] = ∇³L[a, x, b]; symmetric in (a, b)

    return LinearOperator((n, n * n), matvec=matvec, rmatvec=rmatvec, dtype=np.float64)


@dataclass(frozen=True)
class F2NormBounds:
    """Bounds on ‖F2‖₂ (spectral norm of the n × n² matrix) from third-order contractions only.

    ``lower`` is a certified lower bound: max over the unit vectors a, b visited of ‖F2(a ⊗ b)‖ (‖a ⊗ b‖ = 1).
    ``frobenius`` is a Monte-Carlo estimate of ‖F2‖_F ≥ ‖F2‖₂ (an upper bound in expectation) with standard
    error ``frobenius_stderr``: E‖F2(g ⊗ g')‖² = ‖F2‖_F² for independent standard Gaussian g, g'.
    """

    lower: float
    frobenius: float
    frobenius_stderr: float
    n_contractions: int


def f2_norm_bounds(exp: GDExpansion, *, n_power: int = 10, n_samples: int = 8, seed: int = 0,
                   progress: bool = False) -> F2NormBounds:
    """Lower and (stochastic) upper bounds on ‖F2‖₂ with n_power·3 + n_samples contractions.

    Lower bound: higher-order power iteration (alternating maximisation of K(x, y, z) over unit vectors, monotone)
    on the fully symmetric tensor K = ∇³L, reporting max ‖F2(y ⊗ z)‖. Upper: Hutchinson-type estimate of ‖F2‖_F.
    """

    _check(exp)
    n_power = check_positive_int(n_power, "n_power", minimum=0)
    n_samples = check_positive_int(n_samples, "n_samples")
    rng = np.random.default_rng(seed)
    c = 0.5 * exp.lr
    G = rng.standard_normal((2, n_samples, exp.n))
    sq = np.sum(exp.third(G[0], G[1]) ** 2, axis=1) * c * c
    fro = math.sqrt(float(np.mean(sq)))
    stderr = float(np.std(sq, ddof=1) / math.sqrt(n_samples)) / (2 * fro) if n_samples > 1 and fro > 0 else float("nan")
    y = rng.standard_normal(exp.n)
    z = rng.standard_normal(exp.n)
    y /= np.linalg.norm(y)
    z /= np.linalg.norm(z)
    best = 0.0
    count = n_samples
    for _ in tqdm(range(n_power), disable=not progress, desc="‖F2‖ power iteration"):
        x = exp.third(y, z)
        count += 1
        nx = np.linalg.norm(x)
        best = max(best, c * nx)
        if nx == 0:
            break
        x /= nx
        y = exp.third(x, z)
        y /= max(np.linalg.norm(y), 1e-300)
        z = exp.third(x, y)
        nz = np.linalg.norm(z)
        best = max(best, c * nz)
        z /= max(nz, 1e-300)
        count += 2
    if n_power == 0:
        best = c * float(np.linalg.norm(exp.third(y, z)))
        count += 1
    return F2NormBounds(lower=best, frobenius=fro, frobenius_stderr=stderr, n_contractions=count)
