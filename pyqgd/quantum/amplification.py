"""Fixed-point amplitude amplification phases (Yoder, Low, Chuang, PRL 113, 210501, 2014).

The Q# side (``Amplification/FixedPoint.qs``) applies S_s(α_l) S_t(β_l) ⋯ S_s(α_1) S_t(β_1) A|0> with
S_t(β) = I − (1 − e^{iβ})Π_good and S_s(α) = A(I − (1 − e^{−iα})|0><0|)A†; for any initial success probability
λ ≥ w the final one is ≥ 1 − δ². Fixed-point (not exact) AA is used because the success probability of the QSVT
inversion is not known in advance, only a lower bound (``pyqgd.carleman.bounds.carleman_bounds``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["FixedPointSchedule", "fixed_point_schedule", "fixed_point_success", "simulate_two_level", "fixed_point_length"]


@dataclass(frozen=True)
class FixedPointSchedule:
    """Phases of an L = 2l + 1 query fixed-point search with error δ and width w (λ ≥ w ⇒ success ≥ 1 − δ²)."""

    length: int
    delta: float
    width: float
    alphas: np.ndarray
    betas: np.ndarray


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
    if lambda_min >= 1.0:
        L = 1
    else:
        L = math.ceil(math.acosh(1.0 / delta) / math.acosh(1.0 / math.sqrt(1.0 - lambda_min)))
        L += 1 - L % 2  # odd
    if L > max_length:
        raise ValueError(f"fixed-point amplification would need L = {L} > {max_length} calls; lambda_min is too small")
    g = _gamma(L, delta)
    l = (L - 1) // 2
    j = np.arange(1, l + 1)
    alphas = 2.0 * np.arctan2(1.0, np.tan(2.0 * np.pi * j / L) * math.sqrt(1.0 - g * g))
    betas = -alphas[::-1]
    return FixedPointSchedule(length=L, delta=delta, width=1.0 - g * g, alphas=alphas, betas=betas.copy())


def fixed_point_success(lam: float, sched: FixedPointSchedule) -> float:
    """YLC closed form 1 − δ² T_L(T_{1/L}(1/δ)√(1−λ))²."""
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
