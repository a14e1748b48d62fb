"""Sums of Kronecker products, assembled straight into CSR or applied matrix-free.

A Carleman matrix is a block matrix whose blocks are sums of Kronecker products of a few small factors (F0, F1, F2,
I + F1, I). A :class:`KronTerm` is one such product placed at a (row, column) offset; :func:`assemble_csr` writes the
canonical CSR matrix of their sum in one compiled pass (no Python loop over rows or nonzeros). Peak memory is the final
arrays, instead of the COO triplets, format conversions and block copies of a ``scipy.sparse.kron`` + ``bmat``
construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

import numpy as np
import scipy.sparse as sp

from pyqgd._checks import check_memory

__all__ = ["KronTerm", "assemble_csr", "apply_terms", "kron_csr", "predicted_nnz"]

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


def row_bounds(terms, nrows: int) -> np.ndarray:
    """Per-row upper bound on the entries of Σ terms (the sum of the terms' row counts)."""
    bound = np.zeros(nrows, dtype=np.int64)
    for t in terms:
        c = _term_row_counts(t)
        bound[t.row : t.row + c.size] += c
    return bound


def predicted_nnz(terms, shape) -> int:
    """Entries the assembly writes before duplicates are merged (an upper bound on the final nnz)."""
    return int(row_bounds(terms, shape[0]).sum())


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


def assemble_csr(terms, shape, *, memory_limit: float | None = None, what: str = "the matrix",
                 threads: int | None = None) -> sp.csr_matrix:
    """Σ_terms coef·(⊗ factors) at their offsets, as a canonical float64 CSR matrix of the given shape.

    One sequential pass (:func:`pyqgd.carleman._kernels.merge_kron_rows`): each output row is the k-way merge of the
    terms' row segments, which are already sorted (the columns of a ⊗ b in row (i, k) are c_a·cols(b) + c_b, increasing
    in (c_a, c_b)), so entries are written once, in order, with duplicates summed — no COO, no sort, no conversion.
    Raises :class:`pyqgd._checks.TooLargeError` before allocating when the entries would exceed ``memory_limit``.
    ``threads`` row ranges are merged in parallel (default: all cores for ≥ 10⁶ entries).
    """
    from pyqgd.carleman._kernels import merge_kron_rows

    terms = sorted((t for t in terms if t.coef != 0), key=lambda t: (t.row, t.col))
    per_row = row_bounds(terms, shape[0])
    bound = int(per_row.sum())
    idx_dtype = _index_dtype(shape, bound)
    check_memory(bound * (8 + np.dtype(idx_dtype).itemsize), what, memory_limit,
                 "use the matrix-free form (matrix_free=True / the *_operator functions)")
    pairs = [_reduce_to_two(t) for t in terms]
    flat = {}
    for side, k in (("l", 0), ("r", 1)):
        mats = [p[k] for p in pairs]
        flat[side + "ptr_off"] = np.concatenate([[0], np.cumsum([m.indptr.size for m in mats])]).astype(np.int64)
        flat[side + "nz_off"] = np.concatenate([[0], np.cumsum([m.nnz for m in mats])]).astype(np.int64)
        flat[side + "ptr"] = np.concatenate([m.indptr.astype(np.int64) for m in mats]) if mats else np.zeros(0, np.int64)
        flat[side + "idx"] = np.concatenate([m.indices.astype(np.int64) for m in mats]) if mats else np.zeros(0, np.int64)
        flat[side + "val"] = np.concatenate([m.data for m in mats]) if mats else np.zeros(0)
    meta = np.array([[t.row, t.col, t.row + t.shape[0], p[1].shape[0], p[1].shape[1], t.shape[1]]
                     for t, p in zip(terms, pairs)], dtype=np.int64).reshape(-1, 6)
    coefs = np.array([t.coef for t in terms], dtype=float)
    indptr = np.zeros(shape[0] + 1, dtype=idx_dtype)
    indices = np.empty(bound, dtype=idx_dtype)
    data = np.empty(bound, dtype=float)
    nnz = merge_kron_rows(per_row, meta, coefs, flat["lptr_off"], flat["lnz_off"], flat["lptr"], flat["lidx"],
                          flat["lval"], flat["rptr_off"], flat["rnz_off"], flat["rptr"], flat["ridx"], flat["rval"],
                          indptr, indices, data, threads=threads)
    if nnz < 0.9 * bound:  # release the slack of merged duplicates and cancellations
        indices, data = indices[:nnz].copy(), data[:nnz].copy()
    out = sp.csr_matrix((data[:nnz], indices[:nnz], indptr), shape=shape)
    out.has_sorted_indices = True
    out.has_canonical_format = True
    return out


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
