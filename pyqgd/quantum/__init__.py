"""Q# bridge (layer 3): block-encodings, QSVT matrix inversion, the kernel-reflection QLSS, fixed-point amplification.

The Q# project ``qsharp_src/`` is loaded into a private ``qdk.Context`` (``get_context``), never the global one.

* ``sparse_oracle_data(M)`` — table-lookup oracle data of any real scipy.sparse matrix (padded to 2^m);
  ``block_encoding_block(data)`` reads α⁻¹M back from the Q# unitary.
* ``inverse_polynomial(κ, ε)`` — the degree-optimal odd polynomial ≈ c/x (relative error ε on [1/κ, 1]);
  ``qsvt_angles(poly)`` its QSVT phases (pyqsp sym_qsp + convention map).
* ``solve_qsvt(M, b)`` / ``solve_kernel_reflection(M, b)`` (Dalzell's optimal-scaling QLSS) / ``solve_hhl(M, b)``
  (phase estimation of the qubitized walk) — simulated solvers returning ``QuantumSolveResult``, their
  block-encoding calls counted by the Q# programs.
* ``solve_gd(system, u_in, T, p)`` — the paper's algorithm on a Carleman GD system (structured oracles of the T-step
  matrix, history-state |B⟩, QSVT inversion, amplification of the final-time block), returning ``GdSolveResult``.
"""

from pyqgd.quantum._context import get_context, qsharp_project_root
from pyqgd.quantum.amplification import FixedPointSchedule, fixed_point_length, fixed_point_schedule, fixed_point_success
from pyqgd.quantum.block_encoding import block_encoding_block, block_encoding_columns, block_encoding_unitary, qsvt_block
from pyqgd.quantum.hhl import solve_hhl
from pyqgd.quantum.ode import (
    MAX_SIMULATED_QUBITS,
    GdSolveResult,
    SparseEncoding,
    check_gd_input,
    default_padding,
    gd_solver_parameters,
    solve_gd,
)
from pyqgd.quantum.oracles import DEFAULT_ANGLE_BITS, MAX_SYSTEM_QUBITS, SparseOracleData, qubits_needed, sparse_oracle_data
from pyqgd.quantum.polynomials import (
    DegreeTooLargeError,
    InversePolynomial,
    cks_degree,
    inverse_polynomial,
    optimal_inverse_degree,
    postselection_tolerance,
    pyqsp_one_over_x_degree,
    relative_error_at_degree,
)
from pyqgd.quantum.qlss import kernel_reflection_degree, kernel_reflection_polynomial, solve_kernel_reflection
from pyqgd.quantum.qsp import AngleFindingError, QsvtAngles, qsvt_angles, reflection_response, wx_to_reflection
from pyqgd.quantum.solvers import QuantumSolveResult, normalized_solution, prepare_system, solve_qsvt
from pyqgd.quantum.structured_oracles import (
    CarlemanLayout,
    CarlemanOracleData,
    HistoryRhsData,
    carleman_layout,
    carleman_oracle_data,
    history_rhs,
    padded_tstep_matrix,
)

__all__ = [
    "get_context", "qsharp_project_root",
    "SparseOracleData", "sparse_oracle_data", "qubits_needed", "DEFAULT_ANGLE_BITS", "MAX_SYSTEM_QUBITS",
    "block_encoding_block", "block_encoding_columns", "block_encoding_unitary", "qsvt_block",
    "InversePolynomial", "inverse_polynomial", "optimal_inverse_degree", "relative_error_at_degree", "cks_degree",
    "pyqsp_one_over_x_degree", "DegreeTooLargeError", "postselection_tolerance",
    "QsvtAngles", "qsvt_angles", "reflection_response", "wx_to_reflection", "AngleFindingError",
    "FixedPointSchedule", "fixed_point_schedule", "fixed_point_success", "fixed_point_length",
    "QuantumSolveResult", "solve_qsvt", "solve_hhl", "prepare_system", "normalized_solution",
    "solve_kernel_reflection", "kernel_reflection_polynomial", "kernel_reflection_degree",
    "CarlemanLayout", "carleman_layout", "CarlemanOracleData", "carleman_oracle_data", "padded_tstep_matrix",
    "HistoryRhsData", "history_rhs",
    "GdSolveResult", "solve_gd", "check_gd_input", "default_padding", "MAX_SIMULATED_QUBITS", "SparseEncoding",
    "gd_solver_parameters",
]
