"""Analytic losses and the gradient-descent map they define (layer 1 for losses given in closed form).

For a loss L with exact gradient g, Hessian H and third-derivative tensor K at an expansion point θ*, one GD step
θ ← θ − η∇L(θ) in the shifted variable u = θ − θ* is, to third order in the loss (Liu et al. 2024, Eq. 4),

    u(t+1) = u(t) + F0 + F1 u + F2 (u⊗u),   F0 = −η g,  F1 = −η H,  F2 = −(η/2) K.reshape(n, n²).

It is exact when L is cubic (:class:`CubicLoss`); otherwise the quadratic map differs from true GD by O(η‖u‖³) per
step (the *model* error, reported next to the Carleman truncation error).

**Expansion point.** ``gd_map`` takes θ* explicitly. Our default, θ* = θ(0) (the pruned checkpoint, u_in = 0), makes
the Taylor model exact to third order where training starts — the early-stage window in which the paper expects a
speed-up — and needs no knowledge of the optimum. The paper's alternative (θ* = 0, u = θ) keeps ‖u_in‖ = ‖θ(0)‖ large
and is rarely dissipative. With u_in = 0 the PNAS R is undefined (its ‖F0‖/‖u_in‖ term); the discrete bound of
:func:`pyqgd.carleman.truncation_error_bound` uses the smallest invariant ball around 0 instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pyqgd._checks import as_finite_vector, check_positive_float, check_positive_int
from pyqgd.problem import GDProblem, Provenance, QuadraticMap, SpectrumSummary
from pyqgd.spectrum import suggest_eta

__all__ = ["AnalyticLoss", "CubicLoss", "LogisticRegression", "TwoLayerNet", "Jet", "gd_map", "gd_trajectory", "gd_problem",
           "toy_cubic"]


class AnalyticLoss:
    """A loss with exact derivatives up to third order. Subclasses implement :meth:`derivatives`."""
    n: int

    def derivatives(self, theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        """(L, ∇L (n), ∇²L (n, n), ∇³L (n, n, n)) at θ."""
        raise NotImplementedError

    def _theta(self, theta) -> np.ndarray:
        return as_finite_vector(theta, "theta", self.n)

    def value(self, theta) -> float:
        return self.derivatives(self._theta(theta))[0]

    def grad(self, theta) -> np.ndarray:
        return self.derivatives(self._theta(theta))[1]

    def hessian(self, theta) -> np.ndarray:
        return self.derivatives(self._theta(theta))[2]

    def third(self, theta) -> np.ndarray:
        return self.derivatives(self._theta(theta))[3]


@dataclass(frozen=True, eq=False)
class CubicLoss(AnalyticLoss):
    """L(θ) = c + gᵀθ + ½ θᵀHθ + (1/6) K(θ, θ, θ), with H and K symmetrised on construction.

    Its GD map is exactly quadratic, so the Carleman system is the only approximation.
    """

    g: np.ndarray
    H: np.ndarray
    K: np.ndarray
    c: float = 0.0

    def __post_init__(self):
        n = np.asarray(self.g).shape[0]
        H = np.asarray(self.H, dtype=float)
        K = np.asarray(self.K, dtype=float)
        if H.shape != (n, n) or K.shape != (n, n, n):
            raise ValueError(f"need g (n,), H (n, n), K (n, n, n) with n = {n}; got H {H.shape}, K {K.shape}")
        Ks = sum(K.transpose(p) for p in [(0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)]) / 6
        object.__setattr__(self, "g", as_finite_vector(self.g, "g", n))
        object.__setattr__(self, "H", (H + H.T) / 2)
        object.__setattr__(self, "K", Ks)

    @property
    def n(self) -> int:
        return self.g.shape[0]

    def derivatives(self, theta):
        Kt = np.einsum("ijk,k->ij", self.K, theta)
        value = self.c + self.g @ theta + 0.5 * theta @ self.H @ theta + theta @ Kt @ theta / 6
        return value, self.g + self.H @ theta + 0.5 * Kt @ theta, self.H + Kt, self.K.copy()


def toy_cubic(n: int = 2, *, seed: int = 0, lam_min: float = 1.0, lam_max: float = 2.0, cubic: float = 0.3) -> CubicLoss:
    """A quadratic + cubic toy loss with a known positive-definite Hessian spectrum in [lam_min, lam_max] at 0.

    θ = 0 is a critical point (g = 0), so with θ* = 0 the GD map is homogeneous and dissipative for 0 < η < 2/lam_max.
    """
    n = check_positive_int(n, "n")
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    H = Q @ np.diag(np.linspace(lam_min, lam_max, n)) @ Q.T
    return CubicLoss(np.zeros(n), H, cubic * rng.normal(size=(n, n, n)))


@dataclass(frozen=True, eq=False)
class LogisticRegression(AnalyticLoss):
    """L(w) = mean_i log(1 + exp(−y_i x_iᵀw)) + (l2/2)‖w‖², labels y ∈ {−1, +1}; derivatives in closed form.

    With φ(m) = log(1 + e^{−m}), m_i = y_i x_iᵀw: ∇L = mean φ'(m_i) y_i x_i + l2·w, ∇²L = mean φ''(m_i) x_i x_iᵀ + l2·I,
    ∇³L = mean φ'''(m_i) y_i x_i⊗x_i⊗x_i, with φ' = −σ(−m), φ'' = σ(m)σ(−m), φ''' = σ(m)σ(−m)(σ(−m) − σ(m)).
    """

    X: np.ndarray
    y: np.ndarray
    l2: float = 0.0

    def __post_init__(self):
        X, y = _data(self.X, self.y)
        if not np.all(np.isin(y, (-1.0, 1.0))):
            raise ValueError("labels y must be −1 or +1 (map {0, 1} labels with 2y − 1)")
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "y", y)

    @property
    def n(self) -> int:
        return self.X.shape[1]

    def derivatives(self, w):
        X, y, m = self.X, self.y, self.y * (self.X @ w)
        sp_, sm = _sigmoid(m), _sigmoid(-m)
        d1, d2, d3 = -sm, sp_ * sm, sp_ * sm * (sm - sp_)
        k = len(y)
        value = np.mean(np.logaddexp(0.0, -m)) + 0.5 * self.l2 * w @ w
        grad = X.T @ (d1 * y) / k + self.l2 * w
        hess = (X.T * d2) @ X / k + self.l2 * np.eye(self.n)
        third = np.einsum("i,ia,ib,ic->abc", d3 * y / k, X, X, X)
        return value, grad, hess, third


def _data(X, y) -> tuple[np.ndarray, np.ndarray]:
    """Float copies of a design matrix X (m, d) and targets y (m,), finite and of matching length."""
    X = np.array(X, dtype=float)
    y = np.array(y, dtype=float)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"need X (m, d) and y (m,), got {X.shape} and {y.shape}")
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
        raise ValueError("X or y contains NaN or inf")
    return X, y


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class Jet:
    """Value and derivatives up to third order (w.r.t. n parameters) of an array of scalars: forward-mode Taylor
    arithmetic, exact to round-off. Shapes: v (...), g (..., n), H (..., n, n), K (..., n, n, n).
    """

    __slots__ = ("v", "g", "H", "K")

    def __init__(self, v, g, H, K):
        self.v, self.g, self.H, self.K = v, g, H, K

    @classmethod
    def linear(cls, values: np.ndarray, jac: np.ndarray) -> "Jet":
        """A function linear in the parameters: value ``values`` and constant Jacobian ``jac`` (..., n)."""
        n = jac.shape[-1]
        return cls(values, jac, np.zeros(values.shape + (n, n)), np.zeros(values.shape + (n, n, n)))

    def __add__(self, other):
        if isinstance(other, Jet):
            return Jet(self.v + other.v, self.g + other.g, self.H + other.H, self.K + other.K)
        return Jet(self.v + other, self.g, self.H, self.K)

    def __sub__(self, other):
        return self + (other * -1.0 if isinstance(other, Jet) else -other)

    def __mul__(self, o):
        if not isinstance(o, Jet):
            o = np.asarray(o, dtype=float)
            return Jet(self.v * o, self.g * o[..., None], self.H * o[..., None, None], self.K * o[..., None, None, None])
        a, b = self, o
        g = a.v[..., None] * b.g + b.v[..., None] * a.g
        ab = np.einsum("...i,...j->...ij", a.g, b.g)
        H = a.v[..., None, None] * b.H + b.v[..., None, None] * a.H + ab + np.swapaxes(ab, -1, -2)
        # ∂ijk(ab) = a b_ijk + a_ijk b + Σ_{3 cyclic} (a_i b_jk + a_jk b_i)
        c = np.einsum("...i,...jk->...ijk", a.g, b.H) + np.einsum("...i,...jk->...ijk", b.g, a.H)
        K = (a.v[..., None, None, None] * b.K + b.v[..., None, None, None] * a.K
             + c + np.moveaxis(c, -3, -2) + np.moveaxis(c, -3, -1))
        return Jet(a.v * b.v, g, H, K)

    __rmul__ = __mul__

    def apply(self, f0, f1, f2, f3) -> "Jet":
        """φ(self) given φ and its first three derivatives evaluated at self.v (Faà di Bruno to third order)."""
        a = self
        gg = np.einsum("...i,...j->...ij", a.g, a.g)
        c = np.einsum("...i,...jk->...ijk", a.g, a.H)
        K = (f3[..., None, None, None] * np.einsum("...ij,...k->...ijk", gg, a.g)
             + f2[..., None, None, None] * (c + np.moveaxis(c, -3, -2) + np.moveaxis(c, -3, -1))
             + f1[..., None, None, None] * a.K)
        return Jet(f0, f1[..., None] * a.g, f2[..., None, None] * gg + f1[..., None, None] * a.H, K)

    def tanh(self) -> "Jet":
        t = np.tanh(self.v)
        s = 1 - t**2
        return self.apply(t, s, -2 * t * s, s * (6 * t**2 - 2))

    def square(self) -> "Jet":
        return self * self

    def sum(self, axis) -> "Jet":
        ax = axis % self.v.ndim
        return Jet(self.v.sum(ax), self.g.sum(ax), self.H.sum(ax), self.K.sum(ax))


@dataclass(frozen=True, eq=False)
class TwoLayerNet(AnalyticLoss):
    """MSE loss of a 2-layer tanh network f(x) = vᵀ tanh(W x), θ = [vec(W) (hidden × d, row-major), v (hidden)]:
    L(θ) = (1/2m) Σ_i (f(x_i) − y_i)². Exact derivatives through :class:`Jet` (third-order forward mode).
    """

    X: np.ndarray
    y: np.ndarray
    hidden: int = 3

    def __post_init__(self):
        X, y = _data(self.X, self.y)
        check_positive_int(self.hidden, "hidden")
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "y", y)

    @property
    def n(self) -> int:
        return self.hidden * (self.X.shape[1] + 1)

    def derivatives(self, theta):
        m, d = self.X.shape
        h, n = self.hidden, self.n
        W, v = theta[: h * d].reshape(h, d), theta[h * d :]
        # pre-activations z[i, k] = Σ_a W[k, a] x[i, a]: linear in θ, ∂z[i,k]/∂W[k,a] = x[i,a]
        jz = np.zeros((m, h, n))
        for k in range(h):
            jz[:, k, k * d : (k + 1) * d] = self.X
        act = Jet.linear(self.X @ W.T, jz).tanh()
        jv = np.zeros((m, h, n))
        jv[:, np.arange(h), h * d + np.arange(h)] = 1.0
        vj = Jet.linear(np.broadcast_to(v, (m, h)).copy(), jv)
        residual = (act * vj).sum(axis=1) - self.y
        loss = residual.square().sum(axis=0) * (0.5 / m)
        return float(loss.v), loss.g, loss.H, loss.K


def gd_map(loss: AnalyticLoss, eta: float, theta_star) -> QuadraticMap:
    """The quadratic GD map of ``loss`` around θ*: F0 = −η∇L(θ*), F1 = −η∇²L(θ*), F2 = −(η/2)∇³L(θ*) (Liu et al. 2024, Eq. 4)."""
    eta = check_positive_float(eta, "eta (learning rate)")
    theta_star = as_finite_vector(theta_star, "theta_star", loss.n)
    value, g, H, K = loss.derivatives(theta_star)
    if not np.isfinite(value):
        raise ValueError(f"the loss is not finite at the expansion point ({value}); choose another theta_star")
    return QuadraticMap.from_derivatives(eta, g, H, K)


def gd_trajectory(loss: AnalyticLoss, theta0, eta: float, T: int) -> np.ndarray:
    """True nonlinear gradient descent θ(t+1) = θ(t) − η∇L(θ(t)), t = 0..T, as a (T+1, n) array."""
    eta = check_positive_float(eta, "eta (learning rate)")
    T = check_positive_int(T, "T")
    theta = as_finite_vector(theta0, "theta0", loss.n)
    out = np.empty((T + 1, loss.n))
    out[0] = theta
    for t in range(T):
        theta = theta - eta * loss.grad(theta)
        if not np.all(np.isfinite(theta)):
            raise FloatingPointError(f"gradient descent diverged at step {t + 1}; reduce eta")
        out[t + 1] = theta
    return out


def gd_problem(loss: AnalyticLoss, eta: float | None = None, theta_star=None, *, u_in=None, T: int = 100,
               reference_steps: int = 5, name: str | None = None) -> GDProblem:
    """The :class:`~pyqgd.problem.GDProblem` of gradient descent on an analytic loss.

    The map is :func:`gd_map` at θ* (default 0); GD starts at θ* + u_in (default u_in = 0.1·1, so that the
    trajectory moves and the quantum solver has a nonzero state to encode). ``eta=None`` chooses η = 1/λ_max(H(θ*))
    (:func:`pyqgd.spectrum.suggest_eta`) and records that choice. The reference trajectory is true GD on the loss
    (:func:`gd_trajectory`) for ``reference_steps`` steps, shifted to u = θ − θ*.
    """

    theta_star = np.zeros(loss.n) if theta_star is None else as_finite_vector(theta_star, "theta_star", loss.n)
    u = np.full(loss.n, 0.1) if u_in is None else as_finite_vector(u_in, "u_in", loss.n)
    lam = np.linalg.eigvalsh(loss.hessian(theta_star))
    if eta is None:
        eta = suggest_eta(lam.max())
        source = f"η = 1/λ_max = 1/{lam.max():.4g} (chosen from the spectrum)"
    else:
        source = "given"
    eta = check_positive_float(eta, "eta")
    ref = gd_trajectory(loss, theta_star + u, eta, check_positive_int(reference_steps, "reference_steps")) - theta_star
    prov = Provenance(model=name or type(loss).__name__, n_total=loss.n, pruning="none", loss=type(loss).__name__,
                      data="closed form", expansion_point=("θ* = 0" if not np.any(theta_star) else "given θ*")
                      + f", u_in = θ(0) − θ* with ‖u_in‖ = {np.linalg.norm(u):.3g}", eta_source=source)
    return GDProblem(gd_map(loss, eta, theta_star), u, eta, T, SpectrumSummary(lam), ref, prov)
