"""Spectral diagnostics of the GD map that need only numpy: mode fractions, the optimal dissipation number and the
error proxy E(t) of Liu et al. (Nat. Commun. 15, 434, 2024).

Conventions: F1 = −η H with H the Hessian of the loss on the surviving parameters, so F1 is symmetric with
eigenvalues μ = −η λ for the Hessian eigenvalues λ, and one GD step multiplies the linear mode along the eigenvector
of λ by 1 − ηλ (README "Models").

* A mode is *dissipative* when |1 − ηλ| < 1, i.e. 0 < ηλ < 2; *divergent* when ηλ < 0 (the paper's "divergent
  modes", negative Hessian eigenvalues); *unstable* when ηλ ≥ 2 (GD overshoots). With a flat-mode tolerance τ
  (``flat_tol``), a mode with |ηλ| < τ is *flat*: it neither contracts nor grows measurably over a training run
  (|1 − ηλ|^T ≈ 1 for T ≪ 1/τ), so it counts as neither dissipative nor divergent (dissipative then means
  τ ≤ ηλ < 2, divergent ηλ ≤ −τ). :data:`FLAT_TOL` is the tolerance the report uses.
* R = (‖u_in‖‖F2‖ + ‖F0‖/‖u_in‖) / |Re λ₁(F1)| (Liu et al., PNAS 118, e2026805118, 2021, Eq. 2); its minimum over
  ‖u_in‖ is :func:`optimal_dissipation_number`. The map-level R of a :class:`~pyqgd.problem.QuadraticMap` is
  :func:`pyqgd.carleman.dissipation_number`.
* E(t) = (1/N_c) [∫_{−∞}^{−c} + ∫_{c}^{∞}] ρ(a) |1 + a|^t da with N_c the same integral of ρ, a = −ηλ and cut-off
  c = 0.4 (Nat. Commun. 15:434, Eqs. 7–8). The paper writes a = −(Hessian eigenvalue) without η; we take a to be
  the eigenvalue of F1 = −ηH, so that 1 + a = 1 − ηλ is exactly the per-step GD factor (``eta=1`` reproduces the
  literal formula).

A spectrum is either an array of eigenvalues (uniform weights, or ``weights``) or any object with an
``all_nodes()`` method returning (nodes, weights) — e.g. the SLQ density :class:`pyqgd.models.SpectralDensity`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from pyqgd._checks import check_positive_float

__all__ = [
    "FLAT_TOL",
    "ModeFractions",
    "mode_fractions",
    "optimal_dissipation_number",
    "dissipation_number_from_norms",
    "error_proxy",
    "error_proxy_from_density",
    "suggest_eta",
]


#: Flat-mode tolerance on |ηλ| used by the report: over T = 100 steps such a mode moves by at most
#: 1 − (1 − 10⁻³)¹⁰⁰ ≈ 10 % — not a contraction the error bound can lean on.
FLAT_TOL = 1e-3


def _eta(eta, lr, default=None):
    """The learning rate under its one public name ``eta``; ``lr`` is a deprecated alias."""
    if lr is not None:
        warnings.warn("the keyword 'lr' is deprecated; pass eta=", DeprecationWarning, stacklevel=3)
        if eta is not None and eta != lr:
            raise TypeError("pass the learning rate once, as eta=")
        eta = lr
    if eta is None:
        if default is None:
            raise TypeError("missing the learning rate eta")
        eta = default
    return check_positive_float(eta, "eta")


def _nodes_weights(spectrum, weights=None):
    """(nodes, weights summing to 1) from eigenvalues (uniform weights) or a density with ``all_nodes()``."""
    if hasattr(spectrum, "all_nodes"):
        if weights is not None:
            raise TypeError("weights are given by the spectral density itself")
        return spectrum.all_nodes()
    lam = np.asarray(spectrum, dtype=float).reshape(-1)
    if lam.size == 0:
        raise ValueError("no eigenvalues given")
    if not np.all(np.isfinite(lam)):
        raise ValueError("eigenvalues contain NaN or inf")
    if weights is None:
        w = np.full(lam.size, 1.0 / lam.size)
    else:
        w = np.asarray(weights, dtype=float).reshape(-1)
        if w.shape != lam.shape or np.any(w < 0) or not np.all(np.isfinite(w)):
            raise ValueError("weights must be finite, ≥ 0 and of the same length as the eigenvalues")
        w = w / w.sum()
    return lam, w


@dataclass(frozen=True)
class ModeFractions:
    """Fractions of Hessian eigen-modes (weights of the density) by the value of ηλ."""

    dissipative: float  # τ ≤ ηλ < 2 (τ = 0: 0 < ηλ < 2, |1 − ηλ| < 1)
    divergent: float  # ηλ ≤ −τ (τ = 0: ηλ < 0)
    unstable: float  # ηλ ≥ 2
    marginal: float  # ηλ = 0 exactly
    spectral_radius: float  # max |1 − ηλ| over the nodes: the discrete-time contraction of the linear part
    flat: float = 0.0  # |ηλ| < τ (τ = 0: none; exact zeros are ``marginal``)
    flat_tol: float = 0.0  # τ


def mode_fractions(spectrum, eta: float | None = None, weights=None, *, lr: float | None = None,
                   flat_tol: float = 0.0) -> ModeFractions:
    """Fractions of dissipative / divergent / unstable / flat modes for eigenvalues (uniform) or an SLQ density.

    ``flat_tol`` τ ≥ 0: modes with |ηλ| < τ are flat (module docstring) and excluded from the dissipative and the
    divergent fraction; the five fractions dissipative + divergent + unstable + flat + (marginal when τ = 0) sum to 1.
    """
    eta = _eta(eta, lr)
    tau = float(flat_tol)
    if not (tau >= 0 and math.isfinite(tau)) or tau >= 2:
        raise ValueError(f"flat_tol must be a finite number in [0, 2), got {flat_tol}")
    lam, w = _nodes_weights(spectrum, weights)
    x = eta * lam
    flat = np.abs(x) < tau
    return ModeFractions(
        dissipative=float(w[(x > 0) & (x < 2) & ~flat].sum()),
        divergent=float(w[(x < 0) & ~flat].sum()),
        unstable=float(w[x >= 2].sum()),
        marginal=float(w[x == 0].sum()),
        spectral_radius=float(np.max(np.abs(1 - x))),
        flat=float(w[flat].sum()),
        flat_tol=tau,
    )


def suggest_eta(lambda_max: float, *, fraction: float = 1.0) -> float:
    """The learning rate η = fraction / λ_max: the stiffest mode then has ηλ_max = fraction < 2 (dissipative).

    With fraction = 1 the stiffest mode is removed in one step (1 − ηλ_max = 0) and every positive mode contracts;
    this is the classical choice η ≤ 1/L for an L-smooth loss (Nesterov, *Lectures on Convex Optimization*, 2018,
    §1.2.3) that makes GD monotone.
    """
    lam = float(lambda_max)
    if not math.isfinite(lam) or lam <= 0:
        raise ValueError(f"λ_max must be finite and > 0 to choose η from the spectrum, got {lambda_max}; pass eta")
    if not 0 < fraction < 2:
        raise ValueError(f"fraction must be in (0, 2) so that ηλ_max < 2, got {fraction}")
    return fraction / lam


def dissipation_number_from_norms(u_in_norm: float, F0_norm: float, F2_norm: float, re_lambda_1: float) -> float:
    """R = (‖u_in‖‖F2‖ + ‖F0‖/‖u_in‖) / |Re λ₁(F1)| (PNAS Eq. 2) from the norms alone.

    Returns ``inf`` when Re λ₁ ≥ 0 (F1 not dissipative, the bound does not apply) and when u_in = 0 with F0 ≠ 0;
    R = 0 for u_in = 0 and F0 = 0 (the trajectory stays at the fixed point). The same number from a map and a
    start vector is :func:`pyqgd.carleman.dissipation_number`.
    """
    vals = [float(u_in_norm), float(F0_norm), float(F2_norm)]
    if any(v < 0 or not math.isfinite(v) for v in vals):
        raise ValueError("norms must be finite and ≥ 0")
    r, f0, f2 = vals
    if not math.isfinite(re_lambda_1):
        raise ValueError("Re λ1 must be finite")
    if re_lambda_1 >= 0:
        return math.inf
    if r == 0:
        return 0.0 if f0 == 0 else math.inf
    return (r * f2 + f0 / r) / abs(re_lambda_1)


def optimal_dissipation_number(F0_norm: float, F2_norm: float, re_lambda_1: float) -> tuple:
    """(R_min, r*): the smallest R over ‖u_in‖ = r, R_min = 2√(‖F0‖‖F2‖)/|Re λ₁| at r* = √(‖F0‖/‖F2‖).

    R is invariant under the rescaling u → u/γ (F0 → F0/γ, F2 → γF2), so R_min is a property of the map alone:
    no choice of start point (at this expansion point) can bring R below it.
    """
    f0, f2 = float(F0_norm), float(F2_norm)
    if re_lambda_1 >= 0:
        return math.inf, math.nan
    if f0 == 0 or f2 == 0:
        return 0.0, (0.0 if f0 == 0 else math.inf)
    return 2 * math.sqrt(f0 * f2) / abs(re_lambda_1), math.sqrt(f0 / f2)


def error_proxy(t, spectrum, *, eta: float | None = None, cutoff: float = 0.4, weights=None,
                lr: float | None = None) -> np.ndarray:
    """E(t) of Nat. Commun. 15:434 Eqs. 7–8 for a discrete spectral measure (default η = 1: the literal formula).

    ``spectrum`` is Hessian eigenvalues λ_k (uniform weights 1/n, or ``weights``) or an SLQ density. With a = −ηλ:
    E(t) = Σ_{|a_k| ≥ c} w_k |1 + a_k|^t / Σ_{|a_k| ≥ c} w_k. ``t`` a scalar or array of steps (E(0) = 1).
    """
    eta = _eta(eta, lr, default=1.0)
    cutoff = float(cutoff)
    if not (cutoff >= 0 and math.isfinite(cutoff)):
        raise ValueError(f"cutoff must be finite and ≥ 0, got {cutoff}")
    lam, w = _nodes_weights(spectrum, weights)
    a = -eta * lam
    sel = np.abs(a) >= cutoff
    Nc = w[sel].sum()
    if Nc <= 0:
        raise ValueError(f"no spectral weight with |a| = η|λ| ≥ cutoff = {cutoff}: E(t) is undefined; lower the cutoff")
    tt = np.asarray(t, dtype=float)
    if np.any(tt < 0):
        raise ValueError("t must be ≥ 0")
    vals = np.abs(1 + a[sel])
    return np.sum(w[sel] * vals ** tt[..., None], axis=-1) / Nc


def error_proxy_from_density(t, density, *, eta: float | None = None, cutoff: float = 0.4,
                             sigma: float | None = None, grid_points: int = 4001, lr: float | None = None) -> np.ndarray:
    """E(t) (Eqs. 7–8) from an SLQ density (an object with ``all_nodes()`` and ``density(grid, sigma)``).

    ``sigma=None``: integrate the quadrature measure exactly (same as :func:`error_proxy`). ``sigma > 0``: integrate
    the Gaussian-broadened density ρ_σ (as the paper plots it) with the trapezoid rule on a grid in a = −ηλ.
    """
    eta = _eta(eta, lr, default=1.0)
    if sigma is None:
        return error_proxy(t, density, eta=eta, cutoff=cutoff)
    sigma = check_positive_float(sigma, "sigma")
    nodes, _ = density.all_nodes()
    lo, hi = nodes.min() - 8 * sigma, nodes.max() + 8 * sigma
    lam = np.linspace(lo, hi, grid_points)
    rho = density.density(lam, sigma)
    a = -eta * lam
    sel = np.abs(a) >= cutoff
    tt = np.asarray(t, dtype=float)
    integrand_n = np.where(sel, rho, 0.0)
    Nc = np.trapezoid(integrand_n, lam)
    if Nc <= 0:
        raise ValueError(f"no spectral weight with |a| ≥ cutoff = {cutoff}: E(t) is undefined; lower the cutoff")
    vals = np.abs(1 + a) ** tt[..., None]
    return np.trapezoid(integrand_n * vals, lam, axis=-1) / Nc
