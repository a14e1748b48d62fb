"""Amplitude amplification phases: fixed-point (Yoder, Low, Chuang, PRL 113, 210501, 2014) or, when the success
probability is bracketed, standard (Brassard, Høyer, Mosca, Tapp, Contemp. Math. 305, 53, 2002).

The Q# side (``Amplification/FixedPoint.qs``) applies S_s(α_l) S_t(β_l) ⋯ S_s(α_1) S_t(β_1) A|0> with
S_t(β) = I − (1 − e^{iβ})Π_good and S_s(α) = A(I − (1 − e^{−iα})|0><0|)A†. With the YLC phases, any initial
success probability λ ≥ w ends ≥ 1 − δ²: the fixed-point schedule needs only a lower bound on λ
(``pyqgd.carleman.bounds.carleman_bounds``), at L ≈ ln(2/δ)/√λ calls. With all phases π the same circuit is Grover's
iterate, whose success after L = 2k + 1 calls is sin²(L·arcsin√λ) (BHMT Thm 1); when λ is known to lie in
[λ_lo, λ_hi] and some L puts L·arcsin√λ inside [arcsin√(1 − δ²), π − arcsin√(1 − δ²)] for the whole bracket, that L
(≈ 1.27/√λ at δ = 0.3) is the rigorous choice (:func:`amplification_schedule` takes the shorter).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["FixedPointSchedule", "fixed_point_schedule", "fixed_point_success", "simulate_two_level", "fixed_point_length",
           "standard_length", "amplification_schedule", "amplification_length"]


@dataclass(frozen=True)
class FixedPointSchedule:
    """Phases of an L = 2l + 1 query amplification with error δ and width w (λ ≥ w ⇒ success ≥ 1 − δ²); with
    ``bracket`` = (λ_lo, λ_hi) it is standard amplification (all phases π), valid on that bracket only."""

    length: int
    delta: float
    width: float
    alphas: np.ndarray
    betas: np.ndarray
    bracket: tuple[float, float] | None = None


def _approx(n: int) -> str:
    """An integer of any size, briefly (float formatting overflows past 10³⁰⁸)."""
    return f"{n:,}" if n < 10**9 else f"{float(n):.3g}" if n < 10**300 else f"~10^{len(str(n)) - 1}"


def _gamma(L: int, delta: float) -> float:
    return 1.0 / math.cosh(math.acosh(1.0 / delta) / L)


def fixed_point_length(lambda_min: float, delta: float = 0.1) -> int:
    """The schedule length L of :func:`fixed_point_schedule` without its phases (any λ_min > 0, any length).

    Yoder, Low, Chuang, PRL 113, 210501 (2014): L ≥ ln(2/δ)/√λ; exactly L = ⌈arccosh(1/δ)/arccosh(1/√(1 − λ_min))⌉
    rounded up to odd, with arccosh(1/√(1 − λ)) = artanh(√λ), which stays accurate for tiny λ.
    """
    if not (0.0 < lambda_min <= 1.0):
        raise ValueError(f"lambda_min must be in (0, 1], got {lambda_min}")
    if not (0.0 < delta < 1.0):
        raise ValueError(f"delta must be in (0, 1), got {delta}")
    if lambda_min >= 1.0:
        return 1
    L = math.ceil(math.acosh(1.0 / delta) / math.atanh(math.sqrt(lambda_min)))
    return L + 1 - L % 2


def fixed_point_schedule(lambda_min: float, delta: float = 0.1, *, max_length: int = 10_001) -> FixedPointSchedule:
    """The shortest odd L with width w = 1 − γ² ≤ ``lambda_min`` (YLC Eq. for γ), and its phases."""
    if not (0.0 < lambda_min <= 1.0):
        raise ValueError(f"lambda_min must be in (0, 1], got {lambda_min}")
    if not (0.0 < delta < 1.0):
        raise ValueError(f"delta must be in (0, 1), got {delta}")
    L = fixed_point_length(lambda_min, delta)
    if L > max_length:
        raise ValueError(f"fixed-point amplification would need L = {_approx(L)} > {max_length} calls of the solve: the "
                         f"success probability bound λ = {lambda_min:.3g} is too small (shorten T, or raise ε)")
    g = _gamma(L, delta)
    l = (L - 1) // 2
    j = np.arange(1, l + 1)
    alphas = 2.0 * np.arctan2(1.0, np.tan(2.0 * np.pi * j / L) * math.sqrt(1.0 - g * g))
    betas = -alphas[::-1]
    return FixedPointSchedule(length=L, delta=delta, width=1.0 - g * g, alphas=alphas, betas=betas.copy())


def standard_length(lambda_min: float, lambda_max: float, delta: float) -> int | None:
    """The fewest odd calls L with sin²(L·arcsin√λ) ≥ 1 − δ² for every λ in [λ_min, λ_max] (module docstring), or
    None when the bracket is too wide for any L (θ_hi/θ_lo above (π − φ)/φ·(L_lo/L) for every L; φ = arcsin√(1−δ²))."""
    if not (0.0 < lambda_min <= lambda_max <= 1.0):
        raise ValueError(f"need 0 < lambda_min ≤ lambda_max ≤ 1, got [{lambda_min}, {lambda_max}]")
    if not (0.0 < delta < 1.0):
        raise ValueError(f"delta must be in (0, 1), got {delta}")
    phi = math.asin(math.sqrt(1.0 - delta * delta))
    lo, hi = math.asin(math.sqrt(lambda_min)), math.asin(math.sqrt(lambda_max))
    L = math.ceil(phi / lo - 1e-12)
    L += 1 - L % 2
    return L if L * hi <= math.pi - phi else None


def _shorter_standard_length(lambda_min: float, delta: float, lambda_max: float | None) -> int | None:
    """:func:`standard_length` where ``lambda_max`` is given and it beats :func:`fixed_point_length`, else None."""
    std = None if lambda_max is None else standard_length(lambda_min, min(lambda_max, 1.0), delta)
    return std if std is not None and std < fixed_point_length(lambda_min, delta) else None


def amplification_schedule(lambda_min: float, delta: float = 0.1, lambda_max: float | None = None, *,
                           max_length: int = 10_001) -> FixedPointSchedule:
    """The shorter of :func:`fixed_point_schedule` (needs only λ ≥ ``lambda_min``) and, when ``lambda_max`` brackets
    λ from above, standard amplification of :func:`standard_length` calls (all phases π)."""
    std = _shorter_standard_length(lambda_min, delta, lambda_max)
    if std is None:
        return fixed_point_schedule(lambda_min, delta, max_length=max_length)
    if std > max_length:
        raise ValueError(f"amplitude amplification would need L = {_approx(std)} > {max_length} calls of the solve: the "
                         f"success probability bound λ = {lambda_min:.3g} is too small (shorten T, or raise ε)")
    l = (std - 1) // 2
    return FixedPointSchedule(length=std, delta=delta, width=lambda_min, alphas=np.full(l, math.pi),
                              betas=np.full(l, math.pi), bracket=(float(lambda_min), float(min(lambda_max, 1.0))))


def amplification_length(lambda_min: float, delta: float = 0.1, lambda_max: float | None = None) -> int:
    """The length of :func:`amplification_schedule` without its phases (any λ_min > 0, any length)."""
    std = _shorter_standard_length(lambda_min, delta, lambda_max)
    return fixed_point_length(lambda_min, delta) if std is None else std


def fixed_point_success(lam: float, sched: FixedPointSchedule) -> float:
    """Success after the schedule from initial success λ: the YLC closed form 1 − δ² T_L(T_{1/L}(1/δ)√(1−λ))², or
    sin²(L·arcsin√λ) for standard amplification (``sched.bracket`` set)."""
    if sched.bracket is not None:
        return math.sin(sched.length * math.asin(math.sqrt(min(max(lam, 0.0), 1.0)))) ** 2
    z = math.cosh(math.acosh(1.0 / sched.delta) / sched.length) * math.sqrt(1.0 - lam)
    t = math.cos(sched.length * math.acos(z)) if z <= 1.0 else math.cosh(sched.length * math.acosh(z))
    return 1.0 - sched.delta**2 * t * t


def simulate_two_level(lam: float, sched: FixedPointSchedule) -> float:
    """Success probability of the schedule on the 2-D (good, bad) plane, by explicit 2×2 products (reference)."""
    s = np.array([math.sqrt(lam), math.sqrt(1.0 - lam)])
    P = np.outer(s, s)
    v = s.astype(complex)
    for a, b in zip(sched.alphas, sched.betas):
        St = np.diag([np.exp(1j * b), 1.0])
        Ss = np.eye(2) - (1.0 - np.exp(-1j * a)) * P
        v = Ss @ St @ v
    return float(abs(v[0]) ** 2)
