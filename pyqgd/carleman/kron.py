"""Sums of Kronecker products, assembled straight into CSR or applied matrix-free.

A Carleman matrix is a block matrix whose blocks are sums of Kronecker products of a few small factors (F0, F1, F2,
I + F1, I). A :class:`KronTerm` is one such product placed at a (row, column) offset; :func:`assemble_csr` writes all
terms' entries directly into preallocated CSR arrays (positions computed with numpy, in chunks of bounded size, no
Python loop over rows or nonzeros) and merges duplicates in place with scipy's compiled ``sum_duplicates``. Peak
memory is the final arrays plus one chunk, instead of the COO triplets, format conversions and block copies of a
``scipy.sparse.kron`` + ``bmat`` construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

import numpy as np
import scipy.sparse as sp

from pyqgd._checks import check_memory

__all__ = ["KronTerm", "assemble_csr", "apply_terms", "kron_csr", "predicted_nnz"]

#: Entries generated per vectorized chunk (bounds the temporaries to ~40 bytes × this).
CHUNK = 1 << 22


@dataclass(frozen=True)
class KronTerm:
    """coef · (A_1 ⊗ A_2 ⊗ … ⊗ A_j) placed with its top-left corner at (row, col).

    A factor is a CSR matrix, or ``None`` for the n × n identity (so that identities are never materialised by the
    matrix-free path). ``n`` is the size of the identity factors.
    """

    coef: float
    factors: tuple
    row: int
    col: int
    n: int

    def factor(self, i: int) -> sp.csr_matrix:
        f = self.factors[i]
        return _identity(self.n) if f is None else f

    @property
    def shape(self) -> tuple[int, int]:
        rows = prod(self.n if f is None else f.shape[0] for f in self.factors)
        cols = prod(self.n if f is None else f.shape[1] for f in self.factors)
        return rows, cols


def _identity(n: int) -> sp.csr_matrix:
    return sp.identity(n, format="csr", dtype=float)


def _row_counts(a: sp.csr_matrix) -> np.ndarray:
    return np.diff(a.indptr).astype(np.int64)


def _term_row_counts(term: KronTerm) -> np.ndarray:
    counts = np.ones(1, dtype=np.int64)
    for i in range(len(term.factors)):
        counts = np.multiply.outer(counts, _row_counts(term.factor(i))).ravel()
    return counts


def predicted_nnz(terms, shape) -> int:
    """Entries the assembly writes before duplicates are merged (an upper bound on the final nnz)."""
    return int(sum(int(_term_row_counts(t).sum()) for t in terms))


def _index_dtype(shape, nnz):
    return np.int32 if max(shape[0], shape[1], nnz) < 2**31 - 1 else np.int64


def kron_csr(a: sp.csr_matrix, b: sp.csr_matrix) -> sp.csr_matrix:
    """a ⊗ b as canonical CSR, written directly (no COO intermediate)."""
    return assemble_csr([KronTerm(1.0, (a, b), 0, 0, 1)], (a.shape[0] * b.shape[0], a.shape[1] * b.shape[1]))


def _reduce_to_two(term: KronTerm) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Collapse all but the last factor into one explicit CSR matrix: A_1 ⊗ … ⊗ A_{j−1}, and A_j."""
    if len(term.factors) == 1:
        return sp.csr_matrix(np.ones((1, 1))), term.factor(0)
    left = term.factor(0)
    for i in range(1, len(term.factors) - 1):
        f = term.factors[i]
        left = _identity(left.shape[0] * term.n) if (f is None and _is_identity(left)) else kron_csr(left, term.factor(i))
    return left, term.factor(len(term.factors) - 1)


def _is_identity(a: sp.csr_matrix) -> bool:
    return a.shape[0] == a.shape[1] and a.nnz == a.shape[0] and np.array_equal(a.indices, np.arange(a.shape[0])) and np.all(a.data == 1)


def assemble_csr(terms, shape, *, memory_limit: float | None = None, what: str = "the matrix") -> sp.csr_matrix:
    """Σ_terms coef·(⊗ factors) at their offsets, as a canonical float64 CSR matrix of the given shape.

    Raises :class:`pyqgd._checks.TooLargeError` before allocating when the entries would exceed ``memory_limit``.
    """
    nrows = shape[0]
    counts = np.zeros(nrows + 1, dtype=np.int64)
    term_counts = []
    for t in terms:
        c = _term_row_counts(t)
        term_counts.append(c)
        counts[t.row + 1 : t.row + 1 + c.size] += c
    indptr = np.cumsum(counts)
    total = int(indptr[-1])
    idx_dtype = _index_dtype(shape, total)
    check_memory(total * (8 + np.dtype(idx_dtype).itemsize), what, memory_limit,
                 "use the matrix-free form (matrix_free=True / the *_operator functions)")
    indices = np.empty(total, dtype=idx_dtype)
    data = np.empty(total, dtype=float)
    cursor = indptr[:-1].copy()  # next free slot of each row
    for t, c in zip(terms, term_counts):
        rows = slice(t.row, t.row + c.size)
        start = cursor[rows].copy()
        cursor[rows] += c
        _write_term(t, start, indices, data)
    out = sp.csr_matrix((data, indices, indptr.astype(idx_dtype)), shape=shape)
    out.has_canonical_format = False
    out.sum_duplicates()
    out.eliminate_zeros()
    return out


def _write_term(t: KronTerm, start: np.ndarray, indices: np.ndarray, data: np.ndarray) -> None:
    """Write the entries of one term (left ⊗ right) into the CSR arrays; row r's entries begin at start[r].

    Within an output row (a, b) the entries are ordered (left entry, right entry), so the slot of the pair (ia, ib) is
    (ia − left.indptr[a])·count_right(b) + (ib − right.indptr[b]).
    """
    left, right = _reduce_to_two(t)
    r_rows, r_cols = right.shape
    r_row_of = np.repeat(np.arange(r_rows, dtype=np.int64), _row_counts(right))
    r_cnt = _row_counts(right)[r_row_of]
    r_off = np.arange(right.nnz, dtype=np.int64) - right.indptr[r_row_of]
    l_row_of = np.repeat(np.arange(left.shape[0], dtype=np.int64), _row_counts(left))
    l_off = np.arange(left.nnz, dtype=np.int64) - left.indptr[l_row_of]
    step_l = max(1, CHUNK // max(right.nnz, 1))
    step_r = min(right.nnz, CHUNK) or 1
    for l0 in range(0, left.nnz, step_l):
        ls = slice(l0, min(l0 + step_l, left.nnz))
        for r0 in range(0, right.nnz, step_r):
            rs = slice(r0, min(r0 + step_r, right.nnz))
            out_row = l_row_of[ls, None] * r_rows + r_row_of[None, rs]
            dest = start[out_row] + l_off[ls, None] * r_cnt[None, rs] + r_off[None, rs]
            indices[dest] = left.indices[ls, None].astype(np.int64) * r_cols + right.indices[None, rs] + t.col
            data[dest] = t.coef * left.data[ls, None] * right.data[None, rs]


def _apply_factor(x: np.ndarray, axis: int, f: sp.csr_matrix) -> np.ndarray:
    """Apply f (rows × cols) to axis ``axis`` of the tensor x, whose size along that axis is f's column count."""
    xm = np.moveaxis(x, axis, 0)
    rest = xm.shape[1:]
    y = f @ xm.reshape(f.shape[1], -1)
    return np.moveaxis(np.asarray(y).reshape((f.shape[0],) + rest), 0, axis)


def apply_terms(terms, x: np.ndarray, nrows: int) -> np.ndarray:
    """y = Σ_terms coef·(⊗ factors) x[col block], without forming any Kronecker product (matrix-free matvec).

    Each factor acts on its own tensor axis of the reshaped input block: cost Σ_factors nnz(A_i)·(other dims).
    """
    y = np.zeros(nrows, dtype=np.result_type(x.dtype, float))
    for t in terms:
        rows, cols = t.shape
        dims = [t.n if f is None else f.shape[1] for f in t.factors]
        block = x[t.col : t.col + cols].reshape(dims)
        for i, f in enumerate(t.factors):
            if f is not None:
                block = _apply_factor(block, i, f)
        y[t.row : t.row + rows] += t.coef * block.reshape(-1)
    return y
