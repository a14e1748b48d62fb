"""Deprecated location of the spectral diagnostics: they need only numpy and live in :mod:`pyqgd.spectrum`.

``re_lambda1(lambda_min, lr)`` and ``dissipation_number(norms...)`` of this module had the same names as, but other
arguments than, :func:`pyqgd.carleman.re_lambda1` / :func:`pyqgd.carleman.dissipation_number`; they are kept only as
deprecated aliases (Re λ₁(F1) = −η λ_min(H) and :func:`pyqgd.spectrum.dissipation_number_from_norms`).
"""

from __future__ import annotations

import warnings

from pyqgd._checks import check_positive_float
from pyqgd.spectrum import (  # noqa: F401  (re-exported for old imports)
    ModeFractions,
    dissipation_number_from_norms,
    error_proxy,
    error_proxy_from_density,
    mode_fractions,
    optimal_dissipation_number,
)

__all__ = ["ModeFractions", "mode_fractions", "optimal_dissipation_number", "error_proxy", "error_proxy_from_density"]


def re_lambda1(lambda_min: float, lr: float) -> float:
    """Deprecated: Re λ₁(F1) = −η λ_min(H) for F1 = −ηH; compute it directly (``pyqgd.carleman.re_lambda1`` takes F1)."""
    warnings.warn("pyqgd.models.re_lambda1(lambda_min, lr) is deprecated: use -eta * lambda_min, or "
                  "pyqgd.carleman.re_lambda1(F1)", DeprecationWarning, stacklevel=2)
    return -check_positive_float(lr, "lr") * float(lambda_min)


def dissipation_number(u_in_norm, F0_norm, F2_norm, re_lambda_1) -> float:
    """Deprecated alias of :func:`pyqgd.spectrum.dissipation_number_from_norms`."""
    warnings.warn("pyqgd.models.dissipation_number(norms...) is deprecated: use "
                  "pyqgd.spectrum.dissipation_number_from_norms, or pyqgd.carleman.dissipation_number(qmap, u_in)",
                  DeprecationWarning, stacklevel=2)
    return dissipation_number_from_norms(u_in_norm, F0_norm, F2_norm, re_lambda_1)
