"""Carleman linearization of the gradient-descent map (layer 2).

``QuadraticMap`` holds (F0, F1, F2); ``discrete_carleman`` (the paper's exact one-step map, the default) and
``euler_carleman`` / ``continuous_carleman`` (PNAS 2021) build the truncated linear system; ``tstep_matrix`` /
``solve_history`` the T-step history-state system; ``diagnose`` its norms, dissipation numbers, κ and error bound.
"""

from pyqgd.carleman.bounds import AmplitudeBound, CarlemanBounds, InverseNormBound, carleman_bounds
from pyqgd.carleman.diagnostics import (
    CarlemanDiagnostics,
    MapNorms,
    NotDissipativeError,
    condition_number,
    contraction_factor,
    diagnose,
    discrete_dissipation_number,
    dissipation_number,
    re_lambda1,
    sparsity,
    spectral_norm,
    truncation_error_bound,
)
from pyqgd.carleman.history import (
    HistorySolution,
    backward_solve,
    forward_solve,
    solve_history,
    tstep_matrix,
    tstep_operator,
    tstep_rhs,
)
from pyqgd.carleman.quadratic import QuadraticMap
from pyqgd.carleman.system import CarlemanSystem, continuous_carleman, discrete_carleman, euler_carleman, level_offsets, lift

__all__ = [
    "QuadraticMap", "CarlemanSystem", "discrete_carleman", "continuous_carleman", "euler_carleman", "level_offsets", "lift",
    "tstep_matrix", "tstep_rhs", "tstep_operator", "solve_history", "forward_solve", "backward_solve", "HistorySolution",
    "CarlemanDiagnostics", "MapNorms", "NotDissipativeError", "diagnose", "sparsity", "spectral_norm", "re_lambda1",
    "contraction_factor", "dissipation_number", "discrete_dissipation_number", "condition_number",
    "truncation_error_bound",
    "carleman_bounds", "CarlemanBounds", "InverseNormBound", "AmplitudeBound",
]
