"""Fault-tolerant resource estimation (layer 4): logical cost model validated against Q# traces, physical estimates
with the QDK estimator, classical cost, break-even, paper-scale instances.

* :mod:`~pyqgd.estimate.logical` — closed-form logical counts per component (``LogicalCost``);
* :mod:`~pyqgd.estimate.validation` — the same counts traced from ``qsharp_src/src/Estimation/Traces.qs``;
* :mod:`~pyqgd.estimate.circuit` — closed forms of the built Carleman solver circuit, validated against its trace;
* :mod:`~pyqgd.estimate.ode` — the T-step Carleman solver (``OdeProblem`` → ``OdeCost``);
* :mod:`~pyqgd.estimate.loading`, :mod:`~pyqgd.estimate.readout` — data-loading and read-out options;
* :mod:`~pyqgd.estimate.physical` — ``estimate_physical`` → ``PhysicalEstimates`` (JSON, table, DataFrame);
* :mod:`~pyqgd.estimate.classical` — GPU cost of T steps, tomography samples;
* :mod:`~pyqgd.estimate.scale` — paper-scale models, QRAM vs QROM, exponent fit, break-even, markdown table.
"""

from pyqgd.estimate.classical import ClassicalModel, classical_gd_flops, classical_gd_seconds, tomography_samples
from pyqgd.estimate.errors import (
    ErrorBudgetError,
    EstimateInputError,
    EstimationFailedError,
    UnknownPresetError,
)
from pyqgd.estimate.loading import BUILT_LOADINGS, LOADING_LABELS
from pyqgd.estimate.logical import LOADINGS, LogicalCost
from pyqgd.estimate.ode import BLOCK_ENCODINGS, SOLVERS, OdeCost, OdeProblem, ode_solver_cost
from pyqgd.estimate.physical import (
    QEC_SCHEMES,
    QUBIT_PRESETS,
    PhysicalEstimate,
    PhysicalEstimates,
    check_presets,
    estimate_physical,
    format_seconds,
)
from pyqgd.estimate.readout import READOUT_LABELS, READOUTS, readout_cost
from pyqgd.estimate.scale import (
    PAPER_MODELS,
    ModelEstimate,
    break_even,
    estimate_model,
    fit_exponents,
    markdown_table,
    paper_problem,
)

__all__ = [
    "LogicalCost", "LOADINGS", "BUILT_LOADINGS", "LOADING_LABELS", "READOUTS", "READOUT_LABELS", "readout_cost",
    "BLOCK_ENCODINGS", "SOLVERS", "OdeProblem", "OdeCost", "ode_solver_cost",
    "estimate_physical", "check_presets", "format_seconds", "PhysicalEstimate", "PhysicalEstimates", "QUBIT_PRESETS", "QEC_SCHEMES",
    "ClassicalModel", "classical_gd_flops", "classical_gd_seconds", "tomography_samples",
    "PAPER_MODELS", "paper_problem", "ModelEstimate", "estimate_model", "fit_exponents", "break_even", "markdown_table",
    "EstimateInputError", "UnknownPresetError", "ErrorBudgetError", "EstimationFailedError",
]
