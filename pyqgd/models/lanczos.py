"""Memory-bounded Lanczos for Hessian spectra on the surviving subspace: extremes, eigenvectors, SLQ densities.

All routines act on a symmetric operator of dimension n = number of *surviving* parameters (a
:class:`~pyqgd.models.taylor.GDExpansion`, whose Hessian is applied by HVPs on the survivors, or any symmetric
matrix / LinearOperator), so pruned coordinates never enter: there is no spurious spike of zero eigenvalues
from them.

**Memory.** :func:`lanczos_tridiagonal` runs the plain three-term recurrence
β_j q_{j+1} = A q_j − α_j q_j − β_{j−1} q_{j−1} without reorthogonalisation and keeps exactly three length-n
vectors (q_{j−1}, q_j and the product A q_j), whatever the number of steps m; the tridiagonal coefficients
(α, β) are O(m) scalars. ``reorthogonalize=True`` is the PyHessian-style variant that stores all m vectors
and fully reorthogonalises (memory m·n), kept for comparison (``benchmarks/hvp.py``) and tiny problems.

Without reorthogonalisation, converged Ritz values reappear as "ghost" copies and a few spurious Ritz values
can appear; :func:`hessian_extremes` filters them with the Cullum–Willoughby test (a simple Ritz value that is
also an eigenvalue of T with its first row and column removed is spurious; numerically multiple ones are one
genuine eigenvalue). Consequently eigenvalues are returned as *distinct* values: a single-vector Krylov method
cannot resolve multiplicities (neither can PyHessian's). Eigenvectors, when asked for, come from a second pass
of the same recurrence that accumulates k Ritz vectors (3 + k vectors then).

Stochastic Lanczos quadrature (:func:`slq_density`, Ubaru, Chen & Saad 2017; as in PyHessian) turns m-step
Lanczos runs from random ±1 probes into a quadrature rule (nodes θ_i, weights τ_i = s_{1i}²) for the spectral
density ρ(λ) = (1/n) Σ_k δ(λ − λ_k).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, aslinearoperator, eigsh
from tqdm.auto import tqdm

from pyqgd._checks import check_positive_float, check_positive_int
from pyqgd.models._torch import torch
from pyqgd.models.taylor import GDExpansion

__all__ = [
    "TorchOperator",
    "as_torch_operator",
    "lanczos_tridiagonal",
    "LanczosResult",
    "hessian_extremes",
    "SpectralDensity",
    "slq_density",
]


@dataclass(frozen=True)
class TorchOperator:
    """A symmetric operator v ↦ A v acting on torch vectors of length n, of a given dtype and device."""

    matvec: object
    n: int
    dtype: "torch.dtype"
    device: "torch.device"


def as_torch_operator(op, *, u=None) -> TorchOperator:
    """Wrap a GDExpansion (its Hessian on the survivors at θ*+u), a numpy/scipy matrix or LinearOperator."""
    if isinstance(op, TorchOperator):
        return op
    if isinstance(op, GDExpansion):
        # the gradient graph is built once and reused by every product (GDExpansion.hvp_closure)
        return TorchOperator(op.hvp_closure(u), op.n, op.dtype, op.device)
    if isinstance(op, np.ndarray) or sp.issparse(op) or isinstance(op, LinearOperator):
        L = aslinearoperator(op)
        if L.shape[0] != L.shape[1]:
            raise ValueError(f"the operator must be square, got shape {L.shape}")

        def mv(v):
            return torch.as_tensor(np.asarray(L.matvec(v.cpu().numpy()), dtype=float).reshape(-1))

        return TorchOperator(mv, L.shape[0], torch.float64, torch.device("cpu"))
    raise TypeError(f"expected a GDExpansion, a matrix or a LinearOperator, got {type(op).__name__}")


def _start_vector(A: TorchOperator, seed, kind="gaussian"):
    g = torch.Generator().manual_seed(int(seed))
    if kind == "rademacher":
        v = torch.randint(0, 2, (A.n,), generator=g, dtype=torch.float64) * 2 - 1
    else:
        v = torch.randn(A.n, generator=g, dtype=torch.float64)
    return v.to(A.device, _work_dtype(A))


def _work_dtype(A: TorchOperator):
    """The recurrence runs in float64 whatever the operator's dtype (only the products A q are taken in A.dtype):
    in float32 the three-term recurrence loses orthogonality after a few steps and floods T with ghost copies."""
    return torch.float64


def _apply(A: TorchOperator, q):
    """A q with q cast to the operator's dtype and the product cast back to the recurrence's float64."""
    w = A.matvec(q if q.dtype == A.dtype else q.to(A.dtype))
    return w.to(torch.float64) if w.dtype != torch.float64 else w


def _eps(A: TorchOperator) -> float:
    """Unit round-off of the operator's products (float32: 1.2e-7, float64: 2.2e-16)."""
    return float(torch.finfo(A.dtype).eps) if A.dtype.is_floating_point else float(np.finfo(float).eps)


def lanczos_tridiagonal(op, v0=None, m: int = 50, *, seed: int = 0, reorthogonalize: bool = False,
                        callback=None, progress: bool = False):
    """m steps of Lanczos on a symmetric operator from start vector v0 (default: Gaussian from ``seed``).

    Returns (alpha, beta): the diagonal (length m') and off-diagonal (length m', the last entry being the
    residual norm β_{m'}) of the tridiagonal T_{m'}; m' < m only on breakdown (an invariant subspace was found,
    β below 1e-12·‖T‖). Keeps 3 vectors of length n (``reorthogonalize=False``) or all m (``True``).
    ``callback(j, alpha, beta)`` is called after each step and may return True to stop early.
    """

    A = as_torch_operator(op)
    m = check_positive_int(m, "m")
    q = (_start_vector(A, seed) if v0 is None else torch.as_tensor(v0).to(A.device, _work_dtype(A)).clone().reshape(-1))
    if q.shape[0] != A.n:
        raise ValueError(f"v0 must have length {A.n}, got {q.shape[0]}")
    nq = float(torch.linalg.vector_norm(q))
    if not nq > 0:
        raise ValueError("the start vector must be nonzero")
    q /= nq
    q_prev = None
    basis = [q.clone()] if reorthogonalize else None
    alpha, beta = [], []
    scale = 0.0
    for j in tqdm(range(m), disable=not progress, desc="Lanczos"):
        w = _apply(A, q)
        a = float(torch.dot(w, q))
        w.sub_(q, alpha=a)
        if q_prev is not None:
            w.sub_(q_prev, alpha=beta[-1])
        if reorthogonalize:
            for _ in range(2):
                for b in basis:
                    w.sub_(b, alpha=float(torch.dot(w, b)))
        bnorm = float(torch.linalg.vector_norm(w))
        if not math.isfinite(a) or not math.isfinite(bnorm):
            raise ValueError("Lanczos produced NaN/inf: the operator (Hessian-vector product) is not finite")
        alpha.append(a)
        beta.append(bnorm)
        scale = max(scale, abs(a) + bnorm + (beta[-2] if len(beta) > 1 else 0.0))
        if callback is not None and callback(j, alpha, beta):
            break
        if bnorm <= 1e-12 * max(scale, 1e-300):
            break
        # rotate buffers: exactly three vectors (q_prev, q, w) are alive between steps
        w.div_(bnorm)
        q_prev, q = q, w
        if reorthogonalize:
            basis.append(q.clone())
    return np.array(alpha), np.array(beta)


def _ritz(alpha, beta):
    """Ritz values θ (ascending), residual bounds |β_m s_{m,i}| and first components s_{1,i} of T_m."""
    m = len(alpha)
    if m == 1:
        return np.array(alpha, float), np.array([abs(beta[0])]), np.ones(1)
    theta, S = scipy.linalg.eigh_tridiagonal(alpha, beta[:m - 1])
    return theta, np.abs(beta[m - 1] * S[-1]), S[0]


def _good_values(alpha, beta, eps: float = float(np.finfo(float).eps)):
    """Cullum–Willoughby: (values, residuals) of the genuine, distinct Ritz values of T_m (ascending).

    ``eps`` is the unit round-off of the operator's products: Ritz values closer than 50·eps·‖T‖ cannot be told
    apart by the products themselves (a float32 Hessian-vector product is accurate to ~eps₃₂‖H‖), so they are
    merged as ghost copies of one eigenvalue and taken as the reference for the spurious-value test.
    """
    theta, res, _ = _ritz(alpha, beta)
    m = len(alpha)
    if m == 1:
        return theta, res
    norm_t = max(np.max(np.abs(theta)), 1e-300)
    tol = max(1e-10 * norm_t, 100 * np.finfo(float).eps * m * norm_t, 50 * eps * norm_t)
    theta_hat = scipy.linalg.eigvalsh_tridiagonal(alpha[1:], beta[1:m - 1]) if m > 2 else np.array([alpha[1]])
    vals, ress = [], []
    i = 0
    while i < m:
        j = i
        while j + 1 < m and theta[j + 1] - theta[j] <= tol:
            j += 1
        if j > i:  # numerically multiple: a genuine eigenvalue (ghost copies merged)
            vals.append(float(np.mean(theta[i:j + 1])))
            ress.append(float(np.min(res[i:j + 1])))
        elif np.min(np.abs(theta_hat - theta[i])) > tol:
            vals.append(float(theta[i]))
            ress.append(float(res[i]))
        i = j + 1
    return np.array(vals), np.array(ress)


@dataclass(frozen=True)
class LanczosResult:
    """Extreme eigenvalues of a symmetric operator (restricted to the surviving subspace for a GDExpansion).

    ``largest`` descending and ``smallest`` ascending (distinct values; see module docstring), each with
    Ritz residual bounds and convergence flags; ``largest_vectors`` / ``smallest_vectors`` (n, k) when requested
    (with true residuals ‖A x − θ x‖ in ``*_vector_residuals``). ``n_matvec`` counts operator applications;
    ``stored_vectors`` the length-n vectors held at once by the method.
    """

    largest: np.ndarray
    smallest: np.ndarray
    largest_residuals: np.ndarray
    smallest_residuals: np.ndarray
    converged: bool
    n_iter: int
    n_matvec: int
    stored_vectors: int
    method: str
    largest_vectors: np.ndarray | None = None
    smallest_vectors: np.ndarray | None = None
    largest_vector_residuals: np.ndarray | None = None
    smallest_vector_residuals: np.ndarray | None = None


def hessian_extremes(op, k: int = 5, *, which: str = "both", max_iter: int = 500, tol: float = 1e-8,
                     seed: int = 0, eigenvectors: bool = False, method: str = "lanczos", ncv: int | None = None,
                     check_every: int = 10, u=None, progress: bool = False) -> LanczosResult:
    """The k largest and/or smallest distinct eigenvalues of the Hessian on the surviving subspace.

    ``op``: a GDExpansion (Hessian at θ*+u), a symmetric matrix or LinearOperator. ``which``: "both", "LA"
    (largest) or "SA" (smallest). ``method="lanczos"`` (default): the 3-vector recurrence above, stopped when the
    wanted Ritz values have residual bounds ≤ tol·‖T‖ or after ``max_iter`` steps; ``eigenvectors=True`` adds a
    second pass holding k more vectors. ``method="eigsh"``: scipy's implicitly restarted Lanczos (ARPACK) on a
    float64 LinearOperator, storing ``ncv`` vectors (default min(n, max(2k+1, 20))) per call.
    """

    k = check_positive_int(k, "k")
    tol = check_positive_float(tol, "tol")
    if which not in ("both", "LA", "SA"):
        raise ValueError(f"which must be 'both', 'LA' or 'SA', got {which!r}")
    if method == "eigsh":
        return _extremes_eigsh(op, k, which, tol, seed, eigenvectors, ncv, max_iter, u)
    if method != "lanczos":
        raise ValueError(f"method must be 'lanczos' or 'eigsh', got {method!r}")
    A = as_torch_operator(op, u=u)
    k = min(k, A.n)
    max_iter = check_positive_int(max_iter, "max_iter")
    state = {"done": False}

    eps = _eps(A)
    tol = max(tol, 10 * eps)  # a residual below the products' own round-off cannot be certified

    def wanted(alpha, beta):
        vals, res = _good_values(np.array(alpha), np.array(beta), eps)
        order_hi = np.argsort(-vals)[:k]
        order_lo = np.argsort(vals)[:k]
        return vals, res, order_hi, order_lo

    def cb(j, alpha, beta):
        if (j + 1) % check_every and j + 1 < max_iter:
            return False
        vals, res, hi, lo = wanted(alpha, beta)
        norm_t = max(np.max(np.abs(vals)), 1e-300)
        ok = True
        if which in ("both", "LA"):
            ok &= len(hi) >= min(k, A.n) and bool(np.all(res[hi] <= tol * norm_t))
        if which in ("both", "SA"):
            ok &= len(lo) >= min(k, A.n) and bool(np.all(res[lo] <= tol * norm_t))
        state["done"] = ok
        return ok

    alpha, beta = lanczos_tridiagonal(A, m=max_iter, seed=seed, callback=cb, progress=progress)
    m = len(alpha)
    vals, res, hi, lo = wanted(alpha, beta)
    converged = state["done"] or (beta[-1] <= 1e-12 * max(np.max(np.abs(alpha)) + np.max(beta), 1e-300))
    out = dict(largest=vals[hi], smallest=vals[lo], largest_residuals=res[hi], smallest_residuals=res[lo],
               converged=bool(converged), n_iter=m, n_matvec=m, stored_vectors=3, method="lanczos (3 vectors)")
    if which == "LA":
        out.update(smallest=np.array([]), smallest_residuals=np.array([]))
    if which == "SA":
        out.update(largest=np.array([]), largest_residuals=np.array([]))
    if eigenvectors:
        targets = [t for t in (("largest", out["largest"]), ("smallest", out["smallest"])) if t[1].size]
        all_vals = np.concatenate([t[1] for t in targets])
        X = _ritz_vectors(A, alpha, beta, all_vals, seed, progress)
        pos = 0
        for name, v in targets:
            Xi = X[:, pos:pos + v.size]
            pos += v.size
            r = np.array([float(torch.linalg.vector_norm(_apply(A, torch.as_tensor(Xi[:, i]).to(A.device)).cpu()
                                                          - v[i] * torch.as_tensor(Xi[:, i]))) for i in range(v.size)])
            out[f"{name}_vectors"] = Xi
            out[f"{name}_vector_residuals"] = r
        out["n_matvec"] = m + (m - 1) + all_vals.size
        out["stored_vectors"] = 3 + all_vals.size
    return LanczosResult(**out)


def _ritz_vectors(A: TorchOperator, alpha, beta, values, seed, progress):
    """Second Lanczos pass (same start vector, same α, β) accumulating the Ritz vectors of ``values``."""

    m = len(alpha)
    theta, S = scipy.linalg.eigh_tridiagonal(alpha, beta[:m - 1]) if m > 1 else (np.array(alpha), np.ones((1, 1)))
    cols = [int(np.argmin(np.abs(theta - v))) for v in values]
    # among numerically equal (ghost) copies prefer the one with the smallest residual
    res = np.abs(beta[m - 1] * S[-1])
    for i, v in enumerate(values):
        near = np.flatnonzero(np.abs(theta - v) <= 1e-8 * max(np.max(np.abs(theta)), 1e-300))
        if near.size:
            cols[i] = int(near[np.argmin(res[near])])
    C = torch.as_tensor(S[:, cols], dtype=torch.float64, device=A.device)  # (m, k)
    X = torch.zeros(A.n, len(cols), dtype=torch.float64, device=A.device)
    q = _start_vector(A, seed)
    q /= torch.linalg.vector_norm(q)
    q_prev = None
    for j in tqdm(range(m), disable=not progress, desc="Ritz vectors"):
        X.add_(q[:, None] * C[j][None, :])
        if j == m - 1:
            break
        w = _apply(A, q)
        w.sub_(q, alpha=float(alpha[j]))
        if q_prev is not None:
            w.sub_(q_prev, alpha=float(beta[j - 1]))
        w.div_(float(beta[j]))
        q_prev, q = q, w
    X = X.double().cpu().numpy()
    return X / np.linalg.norm(X, axis=0, keepdims=True)


def _extremes_eigsh(op, k, which, tol, seed, eigenvectors, ncv, max_iter, u):
    if isinstance(op, GDExpansion):
        from pyqgd.models.operators import hessian_operator

        L = hessian_operator(op, u=u)
    else:
        L = aslinearoperator(op)
    n = L.shape[0]
    k = min(k, n - 1)
    ncv = min(n, max(2 * k + 1, 20)) if ncv is None else ncv
    count = {"mv": 0}

    def mv(v):
        count["mv"] += 1
        return L.matvec(v)

    Lc = LinearOperator((n, n), matvec=mv, dtype=np.float64)
    v0 = np.random.default_rng(seed).standard_normal(n)
    out = dict(largest=np.array([]), smallest=np.array([]), largest_residuals=np.array([]),
               smallest_residuals=np.array([]))
    for name, w in (("largest", "LA"), ("smallest", "SA")):
        if which not in ("both", w):
            continue
        vals, vecs = eigsh(Lc, k=k, which=w, ncv=ncv, tol=tol, v0=v0, maxiter=max_iter)
        order = np.argsort(-vals) if w == "LA" else np.argsort(vals)
        vals, vecs = vals[order], vecs[:, order]
        r = np.linalg.norm(L.matmat(vecs) - vecs * vals, axis=0)
        out[name] = vals
        out[f"{name}_residuals"] = r
        if eigenvectors:
            out[f"{name}_vectors"] = vecs
            out[f"{name}_vector_residuals"] = r
    return LanczosResult(converged=True, n_iter=count["mv"], n_matvec=count["mv"], stored_vectors=ncv,
                         method=f"scipy eigsh (ARPACK, ncv={ncv})", **out)


@dataclass(frozen=True)
class SpectralDensity:
    """SLQ quadrature of the spectral density of a symmetric operator (survivor subspace for a GDExpansion).

    ``nodes[p]`` and ``weights[p]`` are the Gauss-quadrature rule of probe p (weights sum to 1 per probe); the
    estimate of ∫ f(λ) ρ(λ) dλ = (1/n) Σ_k f(λ_k) is the probe average of Σ_i w_pi f(θ_pi) (:meth:`expect`).
    """

    nodes: tuple
    weights: tuple
    n: int
    n_steps: int

    @property
    def n_probes(self) -> int:
        return len(self.nodes)

    def expect(self, f) -> float:
        """(1/P) Σ_p Σ_i w_pi f(θ_pi): the SLQ estimate of (1/n) tr f(A)."""
        return float(np.mean([np.sum(w * f(t)) for t, w in zip(self.nodes, self.weights)]))

    def mass(self, lo: float, hi: float) -> float:
        """Estimated fraction of eigenvalues in [lo, hi]."""
        return self.expect(lambda t: ((t >= lo) & (t <= hi)).astype(float))

    def all_nodes(self) -> tuple:
        """(nodes, weights) of all probes concatenated, weights divided by the probe count (total weight 1)."""
        P = self.n_probes
        return np.concatenate(self.nodes), np.concatenate(self.weights) / P

    def density(self, grid, sigma: float) -> np.ndarray:
        """Gaussian-broadened density ρ_σ(x) = Σ w N(x; θ, σ²) on ``grid`` (integrates to 1 over R)."""
        sigma = check_positive_float(sigma, "sigma")
        x = np.asarray(grid, dtype=float)
        t, w = self.all_nodes()
        z = (x[..., None] - t) / sigma
        return np.sum(w * np.exp(-0.5 * z * z), axis=-1) / (sigma * math.sqrt(2 * math.pi))


def slq_density(op, *, n_probes: int = 10, n_steps: int = 80, seed: int = 0, u=None,
                reorthogonalize: bool = False, progress: bool = False) -> SpectralDensity:
    """Stochastic Lanczos quadrature of the eigenvalue density of the Hessian on the surviving subspace.

    For each of ``n_probes`` random ±1 vectors v (Hutchinson probes on the survivors only), ``n_steps`` Lanczos
    steps (3 vectors kept) give T = S Θ Sᵀ; the rule (θ_i, s_{1i}²) integrates polynomials of degree < 2·n_steps
    exactly against the measure Σ_k (v·x_k)²/‖v‖² δ(λ − λ_k), whose expectation is the spectral density.
    """

    A = as_torch_operator(op, u=u)
    n_probes = check_positive_int(n_probes, "n_probes")
    n_steps = check_positive_int(n_steps, "n_steps")
    nodes, weights = [], []
    for p in tqdm(range(n_probes), disable=not progress, desc="SLQ probes"):
        v = _start_vector(A, seed * 100_003 + p, kind="rademacher")
        alpha, beta = lanczos_tridiagonal(A, v, min(n_steps, A.n), reorthogonalize=reorthogonalize)
        theta, _, s1 = _ritz(alpha, beta)
        nodes.append(theta)
        weights.append(s1 ** 2)
    return SpectralDensity(tuple(nodes), tuple(weights), A.n, n_steps)
