"""PyTorch ingestion: from a pruned model to the Taylor coefficients and spectra of its gradient-descent dynamics.

Needs the optional dependency torch (``pip install 'pyqgd[torch]'``). One module per concept:

* :mod:`~pyqgd.models.pruning`     global magnitude pruning, masks as index maps into the flat parameter vector;
* :mod:`~pyqgd.models.taylor`      :class:`GDExpansion`: F0 = −η∇L, F1 = −ηH, F2 = −(η/2)∇³L on the survivors
  (paper Eq. 4), exact dense / sparse extraction;
* :mod:`~pyqgd.models.operators`   matrix-free F1, F2 (scipy LinearOperators) and ‖F2‖ bounds for 10^6+ parameters;
* :mod:`~pyqgd.models.lanczos`     memory-bounded (3-vector) Lanczos extremes and SLQ spectral densities;
* :mod:`pyqgd.spectrum` (numpy only, re-exported here) dissipative-mode fractions, the optimal dissipation number
  (PNAS Eq. 2) and the paper's error proxy E(t) (Eqs. 7–8);
* :mod:`~pyqgd.models.trajectory`  true masked GD trajectories and the Carleman-vs-GD comparison;
* :mod:`~pyqgd.models.zoo`         small default models (digits MLP / CNN, tiny transformer) for demos and tests.
"""

try:
    import torch as _torch  # noqa: F401
except ImportError as _exc:  # pragma: no cover - exercised only without torch
    raise ImportError(
        "pyqgd.models needs PyTorch, an optional dependency of pyqgd: install it with `pip install 'pyqgd[torch]'`"
    ) from _exc

import importlib
import warnings

from pyqgd.models._torch import DeviceUnavailableError, resolve_device
from pyqgd.models.lanczos import (
    LanczosResult,
    SpectralDensity,
    TorchOperator,
    hessian_extremes,
    lanczos_tridiagonal,
    slq_density,
)
from pyqgd.models.operators import (
    F1_operator,
    F2_contract,
    F2_operator,
    F2NormBounds,
    f2_norm_bounds,
    hessian_operator,
)
from pyqgd.models.problem import (
    DEFAULT_MAX_PARAMS,
    DisconnectedModelError,
    PruneResult,
    as_batches,
    as_loss,
    dead_parameters,
    gd_problem,
    prune,
)
from pyqgd.models.pruning import ParameterLayout, ParameterMask, apply_mask, global_magnitude_prune
from pyqgd.models.taylor import (
    EXACT_HESSIAN_MAX_N,
    EXACT_THIRD_MAX_N,
    DroppedMass,
    GDExpansion,
    TaylorCoefficients,
    exact_third_max_n,
)
from pyqgd.models.trajectory import carleman_vs_gd, gd_trajectory, masked_gd_trajectory
from pyqgd.models.zoo import (
    TaskData,
    accuracy,
    digits_cnn,
    digits_mlp,
    mse_onehot,
    sequence_transformer,
    train,
)
from pyqgd.spectrum import (
    ModeFractions,
    error_proxy,
    error_proxy_from_density,
    mode_fractions,
    optimal_dissipation_number,
)

__all__ = [
    "gd_problem", "prune", "PruneResult", "as_batches", "as_loss", "dead_parameters", "DisconnectedModelError",
    "DEFAULT_MAX_PARAMS", "exact_third_max_n", "gd_trajectory",
    "DeviceUnavailableError", "resolve_device",
    "ParameterLayout", "ParameterMask", "apply_mask", "global_magnitude_prune",
    "GDExpansion", "TaylorCoefficients", "DroppedMass", "EXACT_HESSIAN_MAX_N", "EXACT_THIRD_MAX_N",
    "hessian_operator", "F1_operator", "F2_operator", "F2_contract", "F2NormBounds", "f2_norm_bounds",
    "lanczos_tridiagonal", "hessian_extremes", "LanczosResult", "slq_density", "SpectralDensity", "TorchOperator",
    "ModeFractions", "mode_fractions", "optimal_dissipation_number",
    "error_proxy", "error_proxy_from_density",
    "masked_gd_trajectory", "carleman_vs_gd",
    "TaskData", "digits_mlp", "digits_cnn", "sequence_transformer", "train", "accuracy", "mse_onehot",
]


_DEPRECATED = {
    "re_lambda1": ("pyqgd.models.dissipation", "re_lambda1"),
    "dissipation_number": ("pyqgd.models.dissipation", "dissipation_number"),
    "spectral_norm": ("pyqgd.carleman", "spectral_norm"),
}


def __getattr__(name):
    # names that pyqgd.carleman also exports: kept importable from here, with a warning, so old code keeps running
    if name in _DEPRECATED:

        mod, attr = _DEPRECATED[name]
        if name == "spectral_norm":
            warnings.warn("pyqgd.models.spectral_norm is deprecated: use pyqgd.carleman.spectral_norm",
                          DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(mod), attr)
    raise AttributeError(f"module 'pyqgd.models' has no attribute {name!r}")
