"""Diagnostics of a Carleman system: sparsity, norms, dissipation numbers, condition number, truncation-error bound.

Dissipation (docs/math.md §5):

* PNAS R (Liu et al. 2021, Eq. 2): R = (‖u_in‖‖F2‖ + ‖F0‖/‖u_in‖) / |Re λ_1(F1)|, λ_1 the eigenvalue of F1 with the
  largest real part (< 0). It is invariant under rescaling u, and under scaling all F's by η, so it is the same for
  the GD map and for gradient flow.
* Discrete analogue (ours, not from the paper): with ρ = ‖I + F1‖₂,

      R_d = (‖u_in‖‖F2‖ + ‖F0‖/‖u_in‖) / (1 − ρ).

  For r = ‖u_in‖, ‖g(u)‖ ≤ ρr + ‖F2‖r² + ‖F0‖ for ‖u‖ ≤ r, so R_d ≤ 1 ⇔ the ball ‖u‖ ≤ ‖u_in‖ is mapped into itself
  by one GD step (by this norm estimate): the iterates stay bounded by ‖u_in‖. As η → 0, 1 − ρ ≈ η·λ_min(H) and
  R_d → R for a symmetric F1.

Truncation error of the discrete map (ours; derivation in :func:`truncation_error_bound`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp
from scipy.optimize import brentq, minimize_scalar
from scipy.sparse.linalg import ArpackError, ArpackNoConvergence, LinearOperator, aslinearoperator, eigs, eigsh

from pyqgd._checks import InputTypeError, as_finite_vector, check_positive_int
from pyqgd.carleman.history import backward_solve, forward_solve, tstep_matrix, tstep_operator
from pyqgd.carleman.quadratic import QuadraticMap
from pyqgd.carleman.system import CarlemanSystem

__all__ = [
    "CarlemanDiagnostics",
    "MapNorms",
    "NotDissipativeError",
    "sparsity",
    "spectral_norm",
    "re_lambda1",
    "contraction_factor",
    "dissipation_number",
    "discrete_dissipation_number",
    "condition_number",
    "truncation_error_bound",
    "diagnose",
]

#: Up to this many rows/columns, norms and spectra are computed exactly with dense LAPACK.
DENSE_LIMIT = 1500


class NotDissipativeError(ValueError):
    """The system is not dissipative enough for a bound (R ≥ 1, or Re λ_1 ≥ 0)."""


def sparsity(A) -> dict:
    """Maximum nonzeros per row and per column of a sparse matrix (the s of an s-sparse block-encoding)."""
    A = sp.csr_matrix(A)
    rows = np.diff(A.indptr)
    cols = np.bincount(A.indices, minlength=A.shape[1])
    return {"max_row_nnz": int(rows.max(initial=0)), "max_col_nnz": int(cols.max(initial=0)), "nnz": int(A.nnz)}


def spectral_norm(A, *, exact: bool | None = None, tol: float = 1e-8) -> float:
    """‖A‖₂ (largest singular value): dense SVD up to DENSE_LIMIT, else Lanczos on the smaller Gram matrix."""
    if isinstance(A, np.ndarray) and A.ndim == 1:
        return float(np.linalg.norm(A))
    m, k = A.shape
    if min(m, k) == 0:
        return 0.0
    exact = min(m, k) <= DENSE_LIMIT and not isinstance(A, LinearOperator) if exact is None else exact
    if exact:
        dense = A.toarray() if sp.issparse(A) else np.asarray(A)
        gram = dense @ dense.T if m <= k else dense.T @ dense
        return float(np.sqrt(max(np.linalg.eigvalsh(gram)[-1], 0.0)))
    op = aslinearoperator(A)
    if m <= k:
        gram = LinearOperator((m, m), matvec=lambda x: op.matvec(op.rmatvec(x)), dtype=float)
    else:
        gram = LinearOperator((k, k), matvec=lambda x: op.rmatvec(op.matvec(x)), dtype=float)
    if gram.shape[0] <= 2:
        return float(np.sqrt(max(np.linalg.eigvalsh(gram @ np.eye(gram.shape[0]))[-1], 0.0)))
    val = eigsh(gram, k=1, which="LA", tol=tol, return_eigenvectors=False)[0]
    return float(np.sqrt(max(val, 0.0)))


def re_lambda1(F1) -> float:
    """max_i Re λ_i(F1): dense eigenvalues up to DENSE_LIMIT, else ARPACK (largest real part)."""
    n = F1.shape[0]
    if n <= DENSE_LIMIT:
        dense = F1.toarray() if sp.issparse(F1) else np.asarray(F1)
        return float(np.max(np.linalg.eigvals(dense).real))
    try:
        return float(eigs(aslinearoperator(F1), k=1, which="LR", return_eigenvectors=False, tol=1e-8)[0].real)
    except (ArpackNoConvergence, ArpackError) as exc:  # pragma: no cover - depends on the spectrum
        raise RuntimeError("ARPACK did not converge for Re λ_1(F1); pass a smaller problem or a symmetric F1") from exc


def contraction_factor(qmap: QuadraticMap) -> float:
    """ρ = ‖I + F1‖₂, the one-step contraction of the linear part of the GD map."""
    n = qmap.n
    if n <= DENSE_LIMIT:
        return spectral_norm(sp.identity(n) + qmap.F1)
    G1 = aslinearoperator(qmap.F1) + aslinearoperator(sp.identity(n))
    return spectral_norm(G1)


class MapNorms:
    """The norms and spectral numbers of one map, each computed on first use and then kept.

    For large operators every one of them is a Lanczos/ARPACK run; pass one ``MapNorms`` to several diagnostics
    (``norms=``) so that each number is computed once.
    """

    def __init__(self, qmap: QuadraticMap):
        self.qmap = qmap

    @cached_property
    def f0(self) -> float:
        """‖F0‖₂."""
        return float(np.linalg.norm(self.qmap.F0))

    @cached_property
    def f1(self) -> float:
        """‖F1‖₂."""
        return spectral_norm(self.qmap.F1)

    @cached_property
    def f2(self) -> float:
        """‖F2‖₂."""
        return spectral_norm(self.qmap.F2)

    @cached_property
    def rho(self) -> float:
        """‖I + F1‖₂."""
        return contraction_factor(self.qmap)

    @cached_property
    def re_lambda1(self) -> float:
        """max Re λ(F1)."""
        return re_lambda1(self.qmap.F1)


def dissipation_number(qmap: QuadraticMap, u_in, *, norms: MapNorms | None = None) -> float:
    """PNAS 2021 Eq. 2: R = (‖u_in‖‖F2‖ + ‖F0‖/‖u_in‖)/|Re λ_1(F1)|; raises if Re λ_1 ≥ 0 or u_in = 0 with F0 ≠ 0."""
    u_in = as_finite_vector(u_in, "u_in", qmap.n)
    norms = norms or MapNorms(qmap)
    lam = norms.re_lambda1
    if lam >= 0:
        raise NotDissipativeError(
            f"Re λ_1(F1) = {lam:.3g} ≥ 0: the linear part is not dissipative (the Hessian has a non-positive eigenvalue "
            "on the surviving parameters); R is undefined. Prune the divergent directions or expand around a point "
            "where the Hessian is positive definite"
        )
    return _ratio(norms.f0, norms.f2, float(np.linalg.norm(u_in)), -lam)


def _ratio(f0: float, f2: float, r: float, denom: float) -> float:
    if r == 0:
        return 0.0 if f0 == 0 else float("inf")
    return (r * f2 + f0 / r) / denom


def discrete_dissipation_number(qmap: QuadraticMap, u_in, *, norms: MapNorms | None = None) -> float:
    """R_d = (‖u_in‖‖F2‖ + ‖F0‖/‖u_in‖)/(1 − ‖I+F1‖₂); +inf when ‖I+F1‖ ≥ 1 (module docstring)."""
    u_in = as_finite_vector(u_in, "u_in", qmap.n)
    norms = norms or MapNorms(qmap)
    if norms.rho >= 1:
        return float("inf")
    return _ratio(norms.f0, norms.f2, float(np.linalg.norm(u_in)), 1 - norms.rho)


def condition_number(L, *, system: CarlemanSystem | None = None, T: int | None = None, p: int = 0, exact: bool | None = None) -> float:
    """κ(L) = ‖L‖₂‖L⁻¹‖₂ of the T-step matrix.

    Exact (dense SVD) when L has ≤ DENSE_LIMIT rows; otherwise ‖L‖ by Lanczos on LᵀL and ‖L⁻¹‖ by Lanczos on
    L⁻¹L⁻ᵀ, applied with exact block substitutions (pass ``system``, ``T`` and ``p``; L may then be ``None``).
    """
    size = L.shape[0] if L is not None else system.dim * (T + 1 + p)
    exact = size <= DENSE_LIMIT and L is not None if exact is None else exact
    if exact:
        dense = L.toarray() if sp.issparse(L) else np.asarray(L)
        s = np.linalg.svd(dense, compute_uv=False)
        return float(s[0] / s[-1])
    if system is None or T is None:
        raise ValueError("an estimated κ needs the CarlemanSystem and T (block substitutions apply L⁻¹ exactly)")
    T = check_positive_int(T, "T (number of steps)")
    p = check_positive_int(p, "p (padding steps)", minimum=0)

    def apply_inv_gram(x):
        return forward_solve(system, backward_solve(system, x, T, p), T, p)

    # a non-dissipative map makes ‖L⁻¹‖ grow like ρ^T: once L⁻¹L⁻ᵀ overflows float64, κ(L) is infinite for every
    # practical purpose (and ARPACK would fail on the inf/NaN iterates)
    with np.errstate(over="ignore", invalid="ignore"):
        probe = apply_inv_gram(np.random.default_rng(0).standard_normal(size) / np.sqrt(size))
    if not np.all(np.isfinite(probe)) or np.linalg.norm(probe) > 1e150:
        return float("inf")
    op = tstep_operator(system, T, p) if L is None else aslinearoperator(L)
    norm_L = spectral_norm(op, exact=False)
    inv_gram = LinearOperator((size, size), matvec=apply_inv_gram, dtype=float)
    try:
        norm_inv = float(np.sqrt(eigsh(inv_gram, k=1, which="LA", tol=1e-6, return_eigenvectors=False)[0]))
    except (ArpackNoConvergence, ArpackError) as exc:
        raise RuntimeError(f"ARPACK did not converge for ‖L⁻¹‖ (T = {T}, {size:,} unknowns); pass kappa=False to "
                           "diagnose, or a smaller T") from exc
    return norm_L * norm_inv


def _ball_radius(f0: float, rho: float, f2: float, r_in: float) -> float:
    """Smallest r ≥ r_in with f0/r + ρ + f2·r ≤ 1 (an invariant ball containing u_in), or inf if there is none."""
    def phi(r):
        return f0 / r + rho + f2 * r - 1.0

    if r_in > 0 and phi(r_in) <= 0:
        return r_in
    if f2 == 0:
        r = f0 / (1 - rho) if rho < 1 else float("inf")
        return max(r, r_in)
    r_star = np.sqrt(f0 / f2) if f0 > 0 else 0.0  # minimiser of phi
    if phi(max(r_star, 1e-300)) > 0 or r_in > r_star:
        return float("inf")  # u_in beyond the invariant interval, or no invariant ball at all
    return float(brentq(phi, max(r_in, 1e-300), r_star)) if f0 > 0 else r_in


def truncation_error_bound(qmap: QuadraticMap, u_in, N: int, t: int, *, norms: MapNorms | None = None) -> float:
    """Rigorous bound on ‖u(t) − ŷ_1(t)‖ for the exact discrete Carleman map truncated at N (ours, docs/math.md §6;
    the paper gives only the continuous-time PNAS bound).

    With a = ‖F0‖, ρ = ‖I + F1‖, c = ‖F2‖, take r ≥ ‖u_in‖ with a/r + ρ + c·r ≤ 1, so ‖u(t)‖ ≤ r for all t. The
    error η_j(t) = u(t)^⊗j − ŷ_j(t) obeys η(t+1) = M η(t) + ρ(t), where the remainder ρ_j(t) = Σ_{k>N} M_{jk}
    u(t)^⊗k holds the dropped levels and ‖M_{jk}‖ ≤ Σ_{|d|=k} Π_i ‖G_{d_i}‖. In the weighted norm
    E(t) = max_j ‖η_j(t)‖/s^j with s = rλ, λ ≥ 1, one step gives E(t+1) ≤ β(s)(E(t) + λ^{−(N+1)}) with
    β(s) = a/s + ρ + c·s, hence for β(s) < 1:

        ‖u(t) − ŷ_1(t)‖ ≤ r · λ^{−N} · β (1 − β^t) / (1 − β),   λ = s/r.

    The bound is minimised over s ∈ [r, s_max) (a 1-D bounded search). It decays like λ^{−N}, i.e. exponentially in
    N, whenever R_d < 1. Raises :class:`NotDissipativeError` when no invariant ball exists.
    """
    u_in = as_finite_vector(u_in, "u_in", qmap.n)
    N = check_positive_int(N, "N (truncation order)")
    t = check_positive_int(t, "t (steps)", minimum=0)
    norms = norms or MapNorms(qmap)
    rho, a, c = norms.rho, norms.f0, norms.f2
    r = _ball_radius(a, rho, c, float(np.linalg.norm(u_in)))
    if not np.isfinite(r) or rho >= 1:
        rd = discrete_dissipation_number(qmap, u_in, norms=norms)
        raise NotDissipativeError(
            f"no truncation bound: the system is not dissipative enough (R_d = {rd:.3g} ≥ 1, ρ = ‖I+F1‖ = {rho:.4g}). "
            "R_d is scale-invariant, so rescaling u does not help: expand the loss closer to the trajectory (smaller "
            "‖u_in‖ and ‖∇L‖), make the Hessian positive definite on the kept parameters (prune divergent "
            "directions), or split training into shorter segments with download/re-upload"
        )
    if t == 0 or r == 0 or (a == 0 and c == 0):
        return 0.0

    def bound(s):
        b = a / s + rho + c * s
        if b > 1:
            return np.inf
        geometric = t if b == 1 else b * (1 - b**t) / (1 - b)
        return r * (r / s) ** N * geometric

    # β(s) is convex with β(r) ≤ 1; it stays < 1 up to the larger root of c s² − (1 − ρ) s + a = 0
    s_hi = (1 - rho + np.sqrt(max((1 - rho) ** 2 - 4 * a * c, 0.0))) / (2 * c) if c > 0 else 1e300
    best = bound(r)
    if s_hi > r * (1 + 1e-9):
        res = minimize_scalar(lambda x: bound(np.exp(x)), bounds=(np.log(r), np.log(s_hi) - 1e-9), method="bounded",
                              options={"xatol": 1e-10})
        best = min(best, float(res.fun))
    return float(best)


@dataclass(frozen=True)
class CarlemanDiagnostics:
    """Everything a user needs to judge a Carleman instance; ``to_dict()`` for JSON."""

    n: int
    N: int
    T: int
    p: int
    dim: int
    unknowns: int
    max_row_nnz_M: int
    max_col_nnz_M: int
    nnz_M: int | None
    norm_F0: float
    norm_F1: float
    norm_F2: float
    norm_u_in: float
    re_lambda1: float
    rho: float
    R: float
    R_discrete: float
    kappa_L: float | None
    kappa_exact: bool
    truncation_bound: float | None

    def to_dict(self) -> dict:
        return {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in asdict(self).items()}


def _structure_sparsity(system: CarlemanSystem) -> tuple[int, int, int | None]:
    if not system.matrix_free:
        s = sparsity(system.M)
        return s["max_row_nnz"], s["max_col_nnz"], s["nnz"]
    # matrix-free: an upper bound from the factors' row/column counts, summed over the terms of each block row
    row_max: dict[int, int] = {}
    col_max: dict[int, int] = {}
    for term in system.terms:
        rmax = cmax = 1
        for f in term.factors:
            if f is not None:
                rmax *= int(np.diff(f.indptr).max(initial=0))
                cmax *= int(np.bincount(f.indices, minlength=f.shape[1]).max(initial=0))
        row_max[term.row] = row_max.get(term.row, 0) + rmax
        col_max[term.col] = col_max.get(term.col, 0) + cmax
    return max(row_max.values()), max(col_max.values()), None


def diagnose(system: CarlemanSystem, u_in, T: int, p: int = 0, *, kappa: bool = True) -> CarlemanDiagnostics:
    """All diagnostics of the T-step system of ``system`` started at ``u_in``.

    R and the truncation bound are reported as inf / None (not raised) when the system is not dissipative, so that a
    report can say why; call :func:`truncation_error_bound` directly to get the explanatory error. κ(L) is inf
    (None in ``to_dict``) when ‖L⁻¹‖ overflows float64 (a non-dissipative map over many steps).
    """
    if not isinstance(system, CarlemanSystem):
        raise InputTypeError(f"expected a CarlemanSystem (from discrete_carleman or euler_carleman), got {type(system).__name__}")
    qm = system.qmap
    u_in = as_finite_vector(u_in, "u_in", qm.n)
    T = check_positive_int(T, "T")
    p = check_positive_int(p, "p (padding steps)", minimum=0)
    norms = MapNorms(qm)
    rmax, cmax, nnz = _structure_sparsity(system)
    try:
        R = dissipation_number(qm, u_in, norms=norms)
    except NotDissipativeError:
        R = float("inf")
    size = system.dim * (T + 1 + p)
    kap, kap_exact = None, False
    if kappa:
        if size <= DENSE_LIMIT and not system.matrix_free:
            kap, kap_exact = condition_number(tstep_matrix(system, T, p)), True
        else:
            kap = condition_number(None, system=system, T=T, p=p, exact=False)
    try:
        bound = truncation_error_bound(qm, u_in, system.N, T, norms=norms) if system.form == "discrete" else None
    except NotDissipativeError:
        bound = None
    return CarlemanDiagnostics(
        n=qm.n, N=system.N, T=T, p=p, dim=system.dim, unknowns=size,
        max_row_nnz_M=rmax, max_col_nnz_M=cmax, nnz_M=nnz,
        norm_F0=norms.f0, norm_F1=norms.f1, norm_F2=norms.f2, norm_u_in=float(np.linalg.norm(u_in)),
        re_lambda1=norms.re_lambda1, rho=norms.rho, R=R,
        R_discrete=discrete_dissipation_number(qm, u_in, norms=norms),
        kappa_L=kap, kappa_exact=kap_exact, truncation_bound=bound,
    )
