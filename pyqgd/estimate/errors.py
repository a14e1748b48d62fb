"""Errors and input checks of the estimation layer: each error says what to do.

All derive from ``ValueError`` or ``TypeError`` (never from ``BaseException`` like the QDK's ``EstimatorError``,
which :mod:`pyqgd.estimate.physical` catches and re-raises as :class:`EstimationFailedError`).
"""

from __future__ import annotations

import math
import numbers

# defined with the shared input checks, so that the size limits (pyqgd.limits, below this layer) derive from it
from pyqgd._checks import EstimateInputError

__all__ = [
    "EstimateInputError",
    "UnknownPresetError",
    "ErrorBudgetError",
    "EstimationFailedError",
    "check_size",
    "check_count",
    "check_epsilon",
    "check_real",
]




class UnknownPresetError(ValueError):
    """A qubit preset or QEC scheme name the QDK estimator does not know (or a QEC scheme invalid for it)."""


class ErrorBudgetError(ValueError):
    """The error budget is out of (0, 1) or cannot be met (code distance above the estimator's maximum)."""


class EstimationFailedError(RuntimeError):
    """The QDK estimator failed for another reason (its message is attached)."""


def check_size(x, name: str, *, minimum: int = 1) -> int:
    """An int ≥ ``minimum`` (bools and non-integral floats rejected with TypeError)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        if isinstance(x, numbers.Real) and not isinstance(x, bool) and float(x).is_integer() and math.isfinite(x):
            x = int(x)
        else:
            raise TypeError(f"{name} must be an integer, got {type(x).__name__} {x!r}")
    x = int(x)
    if x < minimum:
        raise EstimateInputError(f"{name} must be ≥ {minimum}, got {x}; pass a positive size (e.g. {name}={max(minimum, 1)})")
    return x


def check_count(x, name: str) -> int:
    """A non-negative int."""
    return check_size(x, name, minimum=0)


def check_real(x, name: str, *, low: float | None = None, high: float | None = None,
               low_open: bool = False, high_open: bool = False) -> float:
    """A finite float inside the given interval."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(x).__name__} {x!r}")
    x = float(x)
    if not math.isfinite(x):
        raise EstimateInputError(f"{name} must be finite, got {x}")
    if low is not None and (x < low or (low_open and x == low)):
        raise EstimateInputError(f"{name} must be {'>' if low_open else '≥'} {low}, got {x}")
    if high is not None and (x > high or (high_open and x == high)):
        raise EstimateInputError(f"{name} must be {'<' if high_open else '≤'} {high}, got {x}")
    return x


def check_epsilon(eps, name: str = "epsilon") -> float:
    """ε ∈ (0, 1)."""
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real):
        raise TypeError(f"{name} must be a real number in (0, 1), got {type(eps).__name__} {eps!r}")
    e = float(eps)
    if not (math.isfinite(e) and 0.0 < e < 1.0):
        raise EstimateInputError(f"{name} must lie in (0, 1) (a precision such as 1e-3), got {eps!r}")
    return e
