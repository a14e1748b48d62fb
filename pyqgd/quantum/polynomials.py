"""Odd polynomials approximating the scaled inverse c/x on D_κ = [−1, −1/κ] ∪ [1/κ, 1], and degree references.

The polynomial used by the QSVT linear solver is the *degree-optimal* one for the relative error
max_{x∈D_κ} |x·P(x)/c − 1|. Writing y = x², any odd P of degree 2k+1 gives a residual R(y) = 1 − x·P(x)/c of degree
k+1 in y with R(0) = 1, and the relative error is max_{y∈[1/κ², 1]} |R(y)|. By Chebyshev's extremal property
(Rivlin, *Chebyshev Polynomials*, Thm 2.20; the same bound as the conjugate-gradient bound, Saad, *Iterative
Methods*, Thm 6.29) the smallest such maximum is 1/T_{k+1}(z₀), z₀ = (κ²+1)/(κ²−1), attained by

    R*(y) = T_{k+1}((κ² + 1 − 2κ²y)/(κ² − 1)) / T_{k+1}(z₀),        P*(x) = c·(1 − R*(x²))/x.

So the minimal odd degree reaching relative error ε is d*(κ, ε) = 2·⌈arccosh(1/ε)/arccosh(z₀)⌉ − 1 ≈ κ·ln(2/ε),
and P* reaches it: there is no better polynomial, the benchmark's "best known degree" is this number (a lower
bound, not an estimate), and the ratio degree_used / d* is 1 by construction. Relative error ε also implies the
absolute error |P − c/x| ≤ ε·c·κ < ε on D_κ used by Gilyén–Su–Low–Wiebe (GSLW, STOC 2019, Cor. 69) and Childs–
Kothari–Somma (CKS, SIAM J. Comput. 46, 2017, Lemmas 17–19), whose degree bounds are given here for comparison.

The scale c is chosen so that max_{[−1,1]} |P| = ``bound`` (default 0.9 < 1, as QSP requires |P| ≤ 1 on [−1, 1]).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.fft

from pyqgd._checks import check_positive_float

__all__ = [
    "InversePolynomial",
    "inverse_polynomial",
    "optimal_inverse_degree",
    "relative_error_at_degree",
    "cks_degree",
    "gslw_degree_bound",
    "pyqsp_one_over_x_degree",
    "MAX_DEGREE",
    "DegreeTooLargeError",
    "postselection_tolerance",
]

#: Largest polynomial degree :func:`inverse_polynomial` builds (the angle finder and the simulator are the limits).
MAX_DEGREE = 20_000


class DegreeTooLargeError(ValueError):
    """The requested (κ, ε) needs a polynomial degree above the limit."""


def _z0(kappa: float) -> float:
    k2 = kappa * kappa
    return (k2 + 1.0) / (k2 - 1.0)


def _acosh_z0(kappa: float) -> float:
    """arccosh(z₀) = arccosh(1 + x), x = 2/(κ² − 1), as log1p(x + √(x(x+2))): z₀ rounds to 1.0 in floating point for
    κ ≳ 1e8, where arccosh(z₀) would be 0; this form keeps full relative accuracy up to κ = 1e150 (≈ 2/κ for large κ)."""
    x = 2.0 / ((kappa - 1.0) * (kappa + 1.0))
    return math.log1p(x + math.sqrt(x * (x + 2.0)))


def _inv_cosh(y: float) -> float:
    """1/cosh(y) without overflow (0 for y beyond float range)."""
    y = abs(y)
    return 0.0 if y > 700 else 1.0 / math.cosh(y)


def _check_kappa_eps(kappa, epsilon) -> tuple[float, float]:
    kappa = check_positive_float(kappa, "kappa")
    epsilon = check_positive_float(epsilon, "epsilon")
    if kappa <= 1.0:
        raise ValueError(f"kappa must be > 1 (the domain is [1/κ, 1]), got {kappa}")
    if epsilon >= 1.0:
        raise ValueError(f"epsilon must be in (0, 1), got {epsilon}")
    return kappa, epsilon


def postselection_tolerance(epsilon: float) -> float:
    """η(ε) = ε·√(1 − ε²/4): the largest relative error ‖f‖/‖a‖ ≤ η of a vector b = a + f whose normalisation stays
    within ε of a/‖a‖, ‖b/‖b‖ − a/‖a‖‖ ≤ ε, with no phase alignment.

    Proof: viewing ℂⁿ as ℝ²ⁿ, b lies in the ball of radius η‖a‖ about a (η < 1), so the angle θ between a and b has
    sin θ ≤ η, and the unit vectors are √(2 − 2 cos θ) ≤ √(2 − 2√(1 − η²)) apart, which is ε exactly at
    η = ε√(1 − ε²/4). The triangle-inequality form of the same lemma ("within 2η") gives η = ε/2, half this tolerance."""
    epsilon = check_positive_float(epsilon, "epsilon")
    if epsilon >= 2.0:
        raise ValueError(f"epsilon must be < 2 (the largest distance of two unit vectors), got {epsilon}")
    return epsilon * math.sqrt(1.0 - epsilon * epsilon / 4.0)


def relative_error_at_degree(kappa: float, degree: int) -> float:
    """The optimal relative error 1/T_{k+1}(z₀) of an odd polynomial of degree ``degree`` = 2k+1 to c/x on D_κ."""
    kappa, _ = _check_kappa_eps(kappa, 0.5)
    if degree < 1 or degree % 2 == 0:
        raise ValueError(f"degree must be a positive odd integer, got {degree}")
    n = (degree + 1) // 2
    return _inv_cosh(n * _acosh_z0(kappa))


def optimal_inverse_degree(kappa: float, epsilon: float) -> int:
    """d*(κ, ε): the minimal odd degree with relative error ≤ ε to c/x on D_κ (Chebyshev extremal property)."""
    kappa, epsilon = _check_kappa_eps(kappa, epsilon)
    a = _acosh_z0(kappa)
    if a == 0.0:  # κ beyond ~1e154: (κ − 1)(κ + 1) overflows and the degree ~κ·ln(2/ε) has no float meaning
        raise ValueError(f"kappa = {kappa:.3g} is too large for a degree (κ must stay below 1e150); check max_entry "
                         "and the sizes: κ = α·‖L⁻¹‖ grows with both")
    n = math.ceil(math.acosh(1.0 / epsilon) / a - 1e-12)
    n = max(n, 1)
    while _inv_cosh(n * a) > epsilon:  # guard the ceil against rounding
        n += max(1, n >> 50)  # beyond 2^50, +1 would not change n·a in floating point (an endless loop)
    return 2 * n - 1


def cks_degree(kappa: float, epsilon: float) -> int:
    """Degree 2·j₀+1 of the truncated Childs–Kothari–Somma Chebyshev series (CKS 2017, Lemma 19):
    b = ⌈κ² ln(κ/ε)⌉, j₀ = ⌈√(b ln(4b/ε))⌉; its error is ≤ 2ε on D_κ (absolute, for the unscaled 1/x)."""
    kappa, epsilon = _check_kappa_eps(kappa, epsilon)
    b = math.ceil(kappa**2 * math.log(kappa / epsilon))
    j0 = math.ceil(math.sqrt(b * math.log(4 * b / epsilon)))
    return 2 * j0 + 1


def gslw_degree_bound(kappa: float, epsilon: float) -> int:
    """The explicit degree of GSLW Cor. 69 / CKS for 3/(4κx) to absolute ε:
    b = ⌈κ² ln(κ/ε)⌉, d = 2⌈√(b ln(4b/ε))⌉ + 1 — identical to :func:`cks_degree` (GSLW builds on CKS's series and
    states only the O(κ log(κ/ε)) order; this is its explicit instance)."""
    return cks_degree(kappa, epsilon)


def pyqsp_one_over_x_degree(kappa: float, epsilon: float) -> int:
    """Degree of pyqsp 0.2.0 ``PolyOneOverX().generate(kappa, epsilon)``: it expands (1 − (1 − x²)^b)/x without
    truncation, b = int(κ² ln(κ/ε)), so the degree is 2b − 1 (checked against pyqsp itself in the tests)."""
    kappa, epsilon = _check_kappa_eps(kappa, epsilon)
    b = int(kappa**2 * np.log(kappa / epsilon))
    return 2 * b - 1


def _chebyshev_t(n: int, z: np.ndarray) -> np.ndarray:
    """T_n(z) for real z of any magnitude (cos / cosh forms, stable for large n)."""
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    inside = np.abs(z) <= 1.0
    out[inside] = np.cos(n * np.arccos(z[inside]))
    big = z > 1.0
    out[big] = np.cosh(n * np.arccosh(z[big]))
    small = z < -1.0
    out[small] = (-1) ** n * np.cosh(n * np.arccosh(-z[small]))
    return out


def _unscaled(x: np.ndarray, kappa: float, n: int) -> np.ndarray:
    """g(x) = (1 − R*(x²))/x for the optimal residual R* of degree n = k+1 in y = x² (odd in x, g(x) ≈ 1/x on D_κ)."""
    x = np.asarray(x, dtype=float)
    k2 = kappa * kappa
    z = (k2 + 1.0 - 2.0 * k2 * x * x) / (k2 - 1.0)
    r = _chebyshev_t(n, z) / math.cosh(n * _acosh_z0(kappa))
    with np.errstate(divide="ignore", invalid="ignore"):
        g = (1.0 - r) / x
    return np.where(x == 0.0, 0.0, g)


@dataclass(frozen=True)
class InversePolynomial:
    """An odd polynomial P(x) = Σ_k coef[k]·T_k(x) with |x·P(x)/scale − 1| ≤ epsilon on D_κ and |P| ≤ bound on [−1, 1].

    ``coef`` are Chebyshev coefficients (even entries exactly 0); ``degree`` = len(coef) − 1 is odd.
    """

    kappa: float
    epsilon: float
    degree: int
    scale: float
    bound: float
    coef: np.ndarray

    def __call__(self, x) -> np.ndarray:
        """P(x) by Clenshaw recursion (numpy.polynomial.chebyshev.chebval)."""
        return np.polynomial.chebyshev.chebval(np.asarray(x, dtype=float), self.coef)

    def target(self, x) -> np.ndarray:
        """The scaled inverse c/x it approximates on D_κ."""
        return self.scale / np.asarray(x, dtype=float)

    def relative_error(self, num: int = 20001) -> float:
        """max |x·P(x)/c − 1| on a grid of D_κ (both halves; P is odd so one half suffices numerically)."""
        x = np.linspace(1.0 / self.kappa, 1.0, num)
        return float(np.max(np.abs(x * self(x) / self.scale - 1.0)))

    def sup_norm(self, num: int = 20001) -> float:
        """max |P| on a grid of [0, 1] refined near the gap edge (P odd)."""
        x = np.concatenate([np.linspace(0.0, 1.0, num), np.linspace(0.0, 2.0 / self.kappa, num)])
        return float(np.max(np.abs(self(x))))


def inverse_polynomial(kappa: float, epsilon: float, *, bound: float = 0.9, max_degree: int = MAX_DEGREE) -> InversePolynomial:
    """The degree-optimal odd polynomial P* ≈ c/x on D_κ with relative error ≤ ε (module docstring), |P*| ≤ bound.

    Raises ``DegreeTooLargeError`` (a ValueError) when d*(κ, ε) > ``max_degree``, before building anything.
    Chebyshev coefficients come from interpolation at d+1 Chebyshev nodes (exact for a degree-d polynomial; DCT).
    """
    kappa, epsilon = _check_kappa_eps(kappa, epsilon)
    bound = check_positive_float(bound, "bound")
    if bound > 1.0:
        raise ValueError(f"bound must be ≤ 1 (QSP implements only |P| ≤ 1), got {bound}")
    d = optimal_inverse_degree(kappa, epsilon)
    if d > max_degree:
        raise DegreeTooLargeError(
            f"κ = {kappa:g}, ε = {epsilon:g} needs an odd polynomial of degree {d} (≈ κ·ln(2/ε)), above max_degree = "
            f"{max_degree}: that many block-encoding calls and QSP angles cannot be simulated here; lower κ "
            "(precondition / rescale the system) or relax ε"
        )
    n = (d + 1) // 2
    N = d + 1
    nodes = np.cos(np.pi * (np.arange(N) + 0.5) / N)
    vals = _unscaled(nodes, kappa, n)
    coef = scipy.fft.dct(vals, type=2) / N
    coef[0] /= 2.0
    coef[0::2] = 0.0
    # scale so that max |P| on [-1, 1] equals `bound`; the max is near the gap edge or at x = 1
    grid = np.concatenate([np.linspace(0.0, 1.0, 20001), np.linspace(0.0, 2.0 / kappa, 20001)])
    on_grid = np.abs(np.polynomial.chebyshev.chebval(grid, coef))
    gmax = float(np.max(on_grid))
    # refine the maximum locally (the grid can miss the peak by O(grid step²))
    xs = grid[np.argmax(on_grid)]
    fine = np.clip(np.linspace(xs - 1e-3, xs + 1e-3, 4001), 0.0, 1.0)
    gmax = max(gmax, float(np.max(np.abs(np.polynomial.chebyshev.chebval(fine, coef)))))
    c = bound / gmax
    return InversePolynomial(kappa=kappa, epsilon=epsilon, degree=d, scale=c, bound=bound, coef=c * coef)
