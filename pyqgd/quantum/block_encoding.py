"""Read the Q# sparse-access block-encoding back into numpy (unitary dumps in the package's private context)."""

from __future__ import annotations

import numpy as np

from pyqgd.quantum._context import choi_to_unitary, columns_from_dump, get_context, run_and_dump
from pyqgd.quantum.oracles import SparseOracleData

__all__ = ["block_encoding_columns", "block_encoding_block", "block_encoding_unitary", "qsvt_block"]


def block_encoding_columns(data: SparseOracleData) -> np.ndarray:
    """U[:, :2^m] of the table-lookup block-encoding (inputs with the m + 1 ancillas in |0>), layout [flag, idx, sys].

    Read from a Choi state over the system register only (``Diagnostics.Dumps.DumpBlockColumns``): the same method as
    qdk's ``dump_operation`` without its 6-digit rounding, and cheap enough for m = 4 (a 16 × 16 matrix).
    """
    m = data.num_system
    st, _ = run_and_dump(get_context().code.Bridge.DumpSparseBlockEncodingColumns, data.to_qsharp(), num_qubits=3 * m + 1)
    return columns_from_dump(st, m + 1, m)


def block_encoding_block(data: SparseOracleData) -> np.ndarray:
    """The top-left 2^m × 2^m block (≈ M/α) of the Q# block-encoding unitary."""
    return block_encoding_columns(data)[: data.dim]


def block_encoding_unitary(data: SparseOracleData) -> np.ndarray:
    """The full (2m+1)-qubit unitary via a Choi-state dump (2(2m+1) qubits: keep m ≤ 3)."""
    n = 2 * data.num_system + 1
    if n > 7:
        raise ValueError(f"the full unitary needs a {2 * n}-qubit Choi state; use block_encoding_columns for m > 3")
    st, _ = run_and_dump(get_context().code.Bridge.DumpSparseBlockEncodingUnitary, data.to_qsharp(), num_qubits=2 * n)
    return choi_to_unitary(st, n)


def qsvt_block(data: SparseOracleData, phases, *, transpose: bool = False) -> np.ndarray:
    """Top-left 2^m × 2^m block of the real-part QSVT circuit with reflection phases ``phases`` on the
    block-encoding of M (or Mᵀ): Re P^{(SV)}(M/α) (resp. of Mᵀ/α)."""
    m = data.num_system
    st, _ = run_and_dump(get_context().code.Bridge.DumpQsvtBlockColumns, data.to_qsharp(),
                         [float(p) for p in phases], bool(transpose), num_qubits=3 * m + 3)
    return columns_from_dump(st, m + 3, m)[: data.dim]
