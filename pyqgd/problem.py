"""The typed hand-off from a model to the quantum pipeline: :class:`QuadraticMap` and :class:`GDProblem`.

Gradient descent on a loss expanded to third order around an expansion point θ* is the map (Liu et al.,
Nat. Commun. 15, 434, 2024, Eq. 4 with q = 2)

    u(t+1) = u(t) + F0 + F1 u(t) + F2 (u(t) ⊗ u(t)),      u = θ − θ*,

with F0 = −η ∇L(θ*) (n), F1 = −η ∇²L(θ*) (n × n) and F2 = −(η/2) ∇³L(θ*) (n × n², row-major Kronecker order:
column a·n + b multiplies u_a u_b). Its η → 0 limit, divided by η, is gradient flow du/dt = F0 + F1 u + F2 (u ⊗ u).

A :class:`GDProblem` is that map together with everything a consumer needs and nothing it must recompute: the start
u_in, the learning rate η, the number of steps T, the Hessian spectrum on the surviving parameters, a true
(nonlinear) GD reference trajectory from u_in, and where it all came from. It is produced by
:func:`pyqgd.dynamics.gd_problem` (analytic losses) and :func:`pyqgd.models.gd_problem` (PyTorch models) and consumed
by :func:`pyqgd.report.analyze`. This module needs numpy and scipy only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from pyqgd._checks import as_finite_vector, as_sparse_coefficient, check_positive_float, check_positive_int

__all__ = ["QuadraticMap", "SpectrumSummary", "Provenance", "GDProblem"]


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
        if n == 0:
            raise ValueError("F1 is empty (n = 0 variables); a map needs at least one variable")
        if F1c.shape != (n, n):
            raise ValueError(f"F1 must be square n × n, got shape {F1c.shape}")
        F0c = np.zeros(n) if F0 is None else as_finite_vector(F0, "F0", n)
        F2c = sp.csr_matrix((n, n * n)) if F2 is None else as_sparse_coefficient(F2, "F2")
        if F2c.shape != (n, n * n):
            raise ValueError(
                f"F2 must have shape (n, n²) = ({n}, {n * n}) in row-major Kronecker order, got {F2c.shape}; "
                "reshape a third-order tensor K[i, a, b] with K.reshape(n, n * n)"
            )
        # validated copies made read-only: writing F0[0] = nan after validation raises instead of reaching b
        F0c.setflags(write=False)
        for m in (F1c, F2c):
            for arr in (m.data, m.indices, m.indptr):
                arr.setflags(write=False)
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

    @classmethod
    def from_derivatives(cls, eta: float, gradient, hessian, third) -> "QuadraticMap":
        """The GD map of a loss around θ*: F0 = −η∇L(θ*), F1 = −η∇²L(θ*), F2 = −(η/2) mat(∇³L(θ*)).

        The single place where a loss's derivatives become a map (Liu et al. 2024, Eq. 4 with q = 2):
        ``gradient`` (n,), ``hessian`` (n, n) and ``third`` either (n, n, n) or the (n, n²) matrix
        K̃[i, a·n + b] = ∂³L/∂θ_i∂θ_a∂θ_b (dense or scipy.sparse); ``third=None`` gives the linear map.
        """
        from pyqgd._checks import check_positive_float

        eta = check_positive_float(eta, "eta")
        g = as_finite_vector(gradient, "gradient")
        n = g.shape[0]
        H = as_sparse_coefficient(hessian, "hessian")
        if H.shape != (n, n):
            raise ValueError(f"hessian must be n × n = {n} × {n} (n from the gradient), got shape {H.shape}")
        K = None
        if third is not None:
            if sp.issparse(third):
                K = as_sparse_coefficient(third, "third")
            else:
                arr = np.asarray(as_finite_vector(np.ravel(np.asarray(third, dtype=object)), "third"))
                if arr.size != n**3:
                    raise ValueError(f"third must be (n, n, n) or (n, n²) with n = {n} ({n**3} entries), got "
                                     f"{arr.size} entries")
                K = arr.reshape(n, n * n)
            if K.shape != (n, n * n):
                raise ValueError(f"third must have shape (n, n²) = ({n}, {n * n}), got {K.shape}")
        return cls(-eta * g, -eta * H, None if K is None else -0.5 * eta * K)

    def scaled(self, h: float) -> "QuadraticMap":
        """The map h·f: coefficients multiplied by a step h (forward-Euler step of du/dt = f(u))."""
        return QuadraticMap(h * self.F0, h * self.F1, h * self.F2)


@dataclass(frozen=True)
class SpectrumSummary:
    """Hessian eigenvalues on the surviving parameters: exact (``method="exact"``, all n values, uniform weights) or
    a quadrature rule (``"slq"``: nodes and weights summing to 1; ``"lanczos"``: the extremes only)."""

    eigenvalues: np.ndarray
    weights: np.ndarray | None = None
    method: str = "exact"

    def __post_init__(self):
        lam = np.array(self.eigenvalues, dtype=float).reshape(-1)
        if lam.size == 0 or not np.all(np.isfinite(lam)):
            raise ValueError("the spectrum needs at least one finite eigenvalue")
        lam.setflags(write=False)
        object.__setattr__(self, "eigenvalues", lam)
        if self.weights is not None:
            w = np.array(self.weights, dtype=float).reshape(-1)
            if w.shape != lam.shape or np.any(w < 0) or not np.isfinite(w.sum()) or w.sum() <= 0:
                raise ValueError("spectrum weights must be ≥ 0, finite and as many as the eigenvalues")
            w = w / w.sum()
            w.setflags(write=False)
            object.__setattr__(self, "weights", w)
        if self.method not in ("exact", "slq", "lanczos"):
            raise ValueError(f"method must be 'exact', 'slq' or 'lanczos', got {self.method!r}")

    @property
    def lambda_min(self) -> float:
        return float(self.eigenvalues.min())

    @property
    def lambda_max(self) -> float:
        return float(self.eigenvalues.max())

    def all_nodes(self) -> tuple:
        """(nodes, weights summing to 1): the measure used by :mod:`pyqgd.spectrum`."""
        lam = self.eigenvalues
        return lam, (np.full(lam.size, 1.0 / lam.size) if self.weights is None else self.weights)


@dataclass(frozen=True)
class Provenance:
    """Where a :class:`GDProblem` came from, in words and numbers a report can quote."""

    model: str  # e.g. "mlp", "MyNet", "toy cubic loss"
    n_total: int  # parameters before pruning
    pruning: str = "none"  # e.g. "per layer, 90 % of weights, biases and norm gains kept"
    loss: str = ""  # e.g. "MSELoss", "cross_entropy"
    data: str = ""  # e.g. "1 batch of 256 examples"
    expansion_point: str = ""  # e.g. "the pruned checkpoint (u_in = 0)", "3 GD steps ahead of the start"
    eta_source: str = "given"  # "given" or how η was chosen from the spectrum
    notes: tuple = ()  # warnings found while building (dropped dead parameters, …)

    def to_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class GDProblem:
    """A gradient-descent problem ready for Carleman linearization: u(t+1) = u(t) + f(u(t)), u(0) = u_in, t < T.

    ``qmap`` the quadratic map (F0, F1, F2) at learning rate ``eta``; ``u_in`` the start (u = θ − θ*);
    ``T`` the number of GD steps to simulate / cost; ``spectrum`` the Hessian spectrum on the survivors at θ*;
    ``reference`` the true nonlinear GD iterates u(0..k) from u_in (k = ``reference.shape[0] − 1``, computed from
    the loss itself, not from the quadratic map, so it measures the Taylor remainder too); ``provenance`` the origin.
    Frozen and numpy-only: it can be pickled, compared and handed to any later layer.
    """

    qmap: QuadraticMap
    u_in: np.ndarray
    eta: float
    T: int
    spectrum: SpectrumSummary
    reference: np.ndarray
    provenance: Provenance = field(default_factory=lambda: Provenance(model="unnamed", n_total=0))

    def __post_init__(self):
        if not isinstance(self.qmap, QuadraticMap):
            raise TypeError(f"qmap must be a QuadraticMap, got {type(self.qmap).__name__}")
        n = self.qmap.n
        u = as_finite_vector(self.u_in, "u_in", n)
        u.setflags(write=False)
        object.__setattr__(self, "u_in", u)
        object.__setattr__(self, "eta", check_positive_float(self.eta, "eta"))
        object.__setattr__(self, "T", check_positive_int(self.T, "T"))
        if not isinstance(self.spectrum, SpectrumSummary):
            object.__setattr__(self, "spectrum", SpectrumSummary(self.spectrum))
        try:
            ref = np.array(self.reference, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError("reference must be a (k+1, n) array of numbers (the true GD iterates)") from exc
        if ref.ndim != 2 or ref.shape[1] != n or ref.shape[0] < 1:
            raise ValueError(f"reference must be a (k+1, n) = (·, {n}) trajectory, got shape {ref.shape}")
        if not np.all(np.isfinite(ref)):
            raise ValueError("reference contains NaN or inf: the true GD run diverged or was not computed; use a "
                             "smaller η or fewer reference steps")
        if not np.allclose(ref[0], u, rtol=1e-9, atol=1e-12 * max(1.0, float(np.abs(u).max(initial=0)))):
            raise ValueError("reference[0] must equal u_in (the true GD trajectory starts at u_in)")
        ref.setflags(write=False)
        object.__setattr__(self, "reference", ref)
        if not isinstance(self.provenance, Provenance):
            raise TypeError("provenance must be a Provenance")
        self._check_spectrum()

    def _check_spectrum(self) -> None:
        """The spectrum and η must be those of F1 = −η∇²L: the eigenvalues of −F1/η lie in [λ_min, λ_max] of the
        spectrum (up to 10⁻⁶ relative; Lanczos/SLQ nodes lie inside the true range) and the extremes are matched when
        the spectrum is exact. Checked on the dense F1 up to n = 2000 (beyond, the caller's spectrum is trusted)."""
        n = self.n
        if n > 2000 or self.qmap.F1.nnz == 0:
            return
        H = -self.qmap.F1.toarray() / self.eta
        if not np.allclose(H, H.T, rtol=1e-8, atol=1e-12 * max(1.0, float(np.abs(H).max()))):
            return  # a non-symmetric F1 (not a gradient map) has no Hessian spectrum to compare
        lam = np.linalg.eigvalsh((H + H.T) / 2)
        spec = self.spectrum
        tol = 1e-6 * max(1.0, float(np.abs(lam).max()), abs(spec.lambda_max), abs(spec.lambda_min))
        ok = spec.lambda_min >= lam[0] - tol and spec.lambda_max <= lam[-1] + tol
        if spec.method == "exact":
            ok = ok and abs(spec.lambda_min - lam[0]) <= tol and abs(spec.lambda_max - lam[-1]) <= tol
        if not ok:
            raise ValueError(f"the spectrum [{spec.lambda_min:.4g}, {spec.lambda_max:.4g}] contradicts F1 and η = "
                             f"{self.eta:.4g}: −F1/η has eigenvalues in [{lam[0]:.4g}, {lam[-1]:.4g}]; pass the Hessian "
                             "spectrum of the same map and the η it was built with")

    @property
    def n(self) -> int:
        """Number of variables (surviving parameters)."""
        return self.qmap.n

    @property
    def reference_steps(self) -> int:
        return self.reference.shape[0] - 1

    @property
    def connected(self) -> bool:
        """False when F1 = 0: no parameter moves the loss to second order (a disconnected pruned network)."""
        return bool(np.any(self.qmap.F1.data))

    def with_T(self, T: int) -> "GDProblem":
        """The same problem for another number of steps."""
        return GDProblem(self.qmap, self.u_in, self.eta, T, self.spectrum, self.reference, self.provenance)

    def summary(self) -> dict:
        """Plain numbers (JSON-ready) describing the problem."""
        return {"n": self.n, "eta": self.eta, "T": self.T, "u_in_norm": float(np.linalg.norm(self.u_in)),
                "lambda_min": self.spectrum.lambda_min, "lambda_max": self.spectrum.lambda_max,
                "spectrum_method": self.spectrum.method, "F1_nnz": int(self.qmap.F1.nnz),
                "F2_nnz": int(self.qmap.F2.nnz), "reference_steps": self.reference_steps,
                "provenance": self.provenance.to_dict()}
