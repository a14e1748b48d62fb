"""Sparse-access oracle data for the Q# block-encoding, built from any scipy.sparse (or dense) real matrix.

The Q# construction (``qsharp_src/src/BlockEncoding/SparseAccess.qs``; Gilyén–Su–Low–Wiebe 2019, Lemma 48) needs,
for an s-sparse 2^m × 2^m matrix M:

* column oracle c(j, l): the row of the l-th nonzero of column j, extended to a permutation of l ∈ [0, 2^m) by the
  remaining rows in increasing order (so the oracle is a permutation and its scratch register is always cleared);
* row oracle r(i, k): the same for rows;
* entry oracle: θ_ij = arccos(M_ij / max|M|) stored as a b-bit binary fraction x_ij = θ_ij / (2π) (``angle_bits``).

With them the top-left block of the unitary is M_q / α, α = s·max|M|, where M_q is M with every entry rounded
through its b-bit angle: |M_q − M|_max ≤ π·2^{−b}·max|M| (:meth:`SparseOracleData.entry_error_bound`).
A non-square or non-power-of-two matrix is zero-padded to the next 2^m × 2^m square.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from pyqgd._checks import TooLargeError, as_sparse_coefficient, check_positive_int

__all__ = ["SparseOracleData", "sparse_oracle_data", "MAX_SYSTEM_QUBITS", "DEFAULT_ANGLE_BITS", "qubits_needed"]

#: Largest m (matrix dimension 2^m) whose table-lookup oracles (4^m entries each) are built for the simulator.
MAX_SYSTEM_QUBITS = 6
#: Default precision of the entry angles: π·2^−40 ≈ 2.9e−12 relative entry error. (The local simulator prunes
#: amplitudes below ~1e−10 — measured: amplitude 5e−11 becomes 0 — so the entry oracle applies its largest
#: rotations first; with that order 50 bits still resolve, tested.)
DEFAULT_ANGLE_BITS = 40


def qubits_needed(m: int, angle_bits: int) -> dict:
    """Qubit counts of the block-encoding on m system qubits: those carrying superposition and all allocated."""
    return {
        "system": m,
        "ancillas": m + 1,  # flag + index register: the block-encoding's ancilla register
        "scratch": m + angle_bits,  # index-oracle scratch + entry-angle register (basis states, uncomputed)
        "block_encoding_total": 3 * m + 1 + angle_bits,
    }


@dataclass(frozen=True)
class OracleTables:
    """The tables of a sparse-access oracle set (``Oracles/TableLookup.qs`` layout): column and row index tables with
    their inverses, and the entry-angle table — flat int64 arrays indexed ``low + 2^m·high``."""

    column_table: np.ndarray
    column_inverse: np.ndarray
    row_table: np.ndarray
    row_inverse: np.ndarray
    angle_table: np.ndarray

    def tables_qsharp(self) -> dict:
        """The five tables as the Q# structs' fields."""
        return {"ColumnTable": self.column_table.tolist(), "ColumnInverse": self.column_inverse.tolist(),
                "RowTable": self.row_table.tolist(), "RowInverse": self.row_inverse.tolist(),
                "AngleTable": self.angle_table.tolist()}


@dataclass(frozen=True)
class SparseOracleData(OracleTables):
    """Table-lookup oracle data of a zero-padded real 2^m × 2^m matrix; passed to Q# by :meth:`to_qsharp`.

    Tables are flat int64 arrays of 4^m entries indexed ``low + 2^m·high`` (see Oracles/TableLookup.qs).
    """

    shape: tuple[int, int]
    num_system: int
    sparsity: int
    max_abs: float
    angle_bits: int
    matrix: sp.csr_matrix  # the padded 2^m × 2^m matrix (exact values)

    @property
    def dim(self) -> int:
        return 2**self.num_system

    @property
    def alpha(self) -> float:
        """Block-encoding normalization α = s·max|M_ij|."""
        return self.sparsity * self.max_abs

    def entry_error_bound(self) -> float:
        """max |M_q − M| ≤ max|M|·2π·2^{−b−1} from rounding each angle to b bits (|d cos θ| ≤ |dθ|)."""
        return self.max_abs * math.pi * 2.0 ** (-self.angle_bits)

    def quantized_matrix(self) -> np.ndarray:
        """M_q: the dense padded matrix the circuit encodes, entry (i, j) = max|M|·cos(2π·x_ij) (numpy, float64)."""
        N = self.dim
        x = self.angle_table.reshape(N, N).T.astype(float) / 2.0**self.angle_bits  # table[i + N j] -> [i, j]
        return self.max_abs * np.cos(2.0 * np.pi * x)

    def to_qsharp(self) -> dict:
        """The ``Oracles.TableLookup.SparseTableData`` struct as a dict (the bridge converts it)."""
        return {
            "NumSystem": self.num_system,
            "Sparsity": self.sparsity,
            "MaxAbs": self.max_abs,
            "AngleBits": self.angle_bits,
        } | self.tables_qsharp()


def _index_tables(a: sp.csr_matrix, N: int) -> tuple[np.ndarray, np.ndarray]:
    """For each row i of CSR ``a``: perm_i = (columns of its nonzeros, then the other columns), both ascending.

    Returns table[k + N i] = perm_i[k] and inverse[j + N i] = k with perm_i[k] = j.
    """
    table = np.empty(N * N, dtype=np.int64)
    inverse = np.empty(N * N, dtype=np.int64)
    allidx = np.arange(N)
    for i in range(N):
        nz = np.sort(a.indices[a.indptr[i] : a.indptr[i + 1]])
        rest = np.setdiff1d(allidx, nz, assume_unique=True)
        perm = np.concatenate([nz, rest])
        table[N * i : N * (i + 1)] = perm
        inverse[N * i + perm] = allidx
    return table, inverse


def _reject_complex(M) -> None:
    """TypeError for complex input (the dense path of ``as_sparse_coefficient`` would silently drop Im)."""
    dtype = M.dtype if sp.issparse(M) else getattr(M, "dtype", None)
    if dtype is None and not isinstance(M, str):
        try:
            dtype = np.asarray(M).dtype
        except Exception:  # noqa: BLE001 - any failure is reported by as_sparse_coefficient below
            dtype = None
    if dtype is not None and np.issubdtype(dtype, np.complexfloating):
        raise TypeError("M must be real: the block-encoding loads real entries (split complex M into real blocks)")


def sparse_oracle_data(
    M, *, angle_bits: int = DEFAULT_ANGLE_BITS, max_system_qubits: int = MAX_SYSTEM_QUBITS
) -> SparseOracleData:
    """Oracle tables for the sparse-access block-encoding of a real matrix (scipy.sparse, or anything 2-D).

    Raises TypeError for non-real input, ValueError for NaN/inf, an all-zero matrix or bad ``angle_bits``, and
    ``TooLargeError`` when the padded dimension needs more than ``max_system_qubits`` system qubits (the message
    gives the qubit counts), all before any Q# runs.
    """
    _reject_complex(M)
    a = as_sparse_coefficient(M, "M")
    angle_bits = check_positive_int(angle_bits, "angle_bits", minimum=2)
    if angle_bits > 60:
        raise ValueError(f"angle_bits must be ≤ 60 (stored as 64-bit integers), got {angle_bits}")
    if a.nnz == 0:
        raise ValueError("M is the zero matrix: nothing to block-encode (and no linear system to solve)")
    r, c = a.shape
    m = max(1, math.ceil(math.log2(max(r, c))))
    if m > max_system_qubits:
        q = qubits_needed(m, angle_bits)
        raise TooLargeError(
            f"a {r}×{c} matrix pads to 2^{m} × 2^{m}: the block-encoding needs {q['system']} system + "
            f"{q['ancillas']} ancilla qubits in superposition ({2 * m + 3} with the QSVT solver's two extra qubits) "
            f"and {q['block_encoding_total']} qubits in all, with 4^{m} = {4**m} -entry lookup tables; this "
            f"simulator path allows m ≤ {max_system_qubits}. Use the resource estimator (pyqgd.estimate) for "
            "larger systems, or raise max_system_qubits"
        )
    N = 2**m
    a = sp.csr_matrix((a.data, a.indices, a.indptr), shape=(r, c))
    a.resize((N, N))
    a = sp.csr_matrix(a)
    at = sp.csr_matrix(a.T)
    row_nnz = np.diff(a.indptr)
    col_nnz = np.diff(at.indptr)
    s = int(max(row_nnz.max(), col_nnz.max()))
    max_abs = float(np.max(np.abs(a.data)))
    # column oracle: rows of column j  <=> "row" tables of the transpose
    column_table, column_inverse = _index_tables(at, N)
    row_table, row_inverse = _index_tables(a, N)
    scale = 2.0**angle_bits
    angles = np.full(N * N, 2 ** (angle_bits - 2), dtype=np.int64)  # x = 1/4: cos(π/2) = 0 for zero entries
    coo = a.tocoo()
    v = np.clip(coo.data / max_abs, -1.0, 1.0)
    angles[coo.row + N * coo.col] = np.rint(np.arccos(v) / (2.0 * np.pi) * scale).astype(np.int64)
    return SparseOracleData(
        shape=(r, c),
        num_system=m,
        sparsity=s,
        max_abs=max_abs,
        angle_bits=angle_bits,
        matrix=a,
        column_table=column_table,
        column_inverse=column_inverse,
        row_table=row_table,
        row_inverse=row_inverse,
        angle_table=angles,
    )
