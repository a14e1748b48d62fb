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
from pyqgd.carleman._kernels import merge_kron_rows

__all__ = ["KronTerm", "assemble_csr", "apply_terms", "kron_csr", "predicted_nnz", "nnz_bound", "assembly_bytes"]

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


def _groups(terms) -> dict:
    """Terms grouped by block (same offsets and shape): entries of one row of one block are distinct columns."""
    groups: dict = {}
    for t in terms:
        groups.setdefault((t.row, t.col) + t.shape, []).append(t)
    return groups


def _row_bounds(terms, nrows: int) -> tuple[np.ndarray, int]:
    """(per-row bound on the entries of Σ terms, max raw entries of a row before duplicates are merged).

    Per block the bound is min(Σ_terms row count, block columns): several terms of one block that hit the same
    column count once, so a block never counts more than it has columns (duplicates are not counted beyond that).
    """
    bound = np.zeros(nrows, dtype=np.int64)
    raw = np.zeros(nrows, dtype=np.int64)
    for (row, _col, rows, cols), ts in _groups(terms).items():
        c = np.zeros(rows, dtype=np.int64)
        for t in ts:
            c += _term_row_counts(t)
        raw[row : row + rows] += c
        np.minimum(c, cols, out=c)
        bound[row : row + rows] += c
    return bound, int(raw.max(initial=0))


def row_bounds(terms, nrows: int) -> np.ndarray:
    """Per-row upper bound on the entries of Σ terms (block by block capped at the block's columns)."""
    return _row_bounds(terms, nrows)[0]


def _factor_stats(term: KronTerm, i: int) -> tuple[int, int]:
    f = term.factors[i]
    return (term.n, term.n) if f is None else (int(f.nnz), int(f.shape[0]))


def nnz_bound(terms, shape=None) -> int:
    """Upper bound on the nonzeros of Σ terms from the factors' nonzero counts alone (no array of the matrix's size):
    Σ_blocks min(Σ_terms Π_i nnz(A_i), rows × columns), since nnz(A ⊗ B) = nnz(A)·nnz(B) and a block holds at most
    rows × columns entries."""
    total = 0
    for (_row, _col, rows, cols), ts in _groups(terms).items():
        total += min(sum(prod(_factor_stats(t, i)[0] for i in range(len(t.factors))) for t in ts), rows * cols)
    return total


def predicted_nnz(terms, shape) -> int:
    """Entries the assembly allocates: Σ_rows of the per-row bound (:func:`row_bounds`), an upper bound on nnz."""
    return int(row_bounds(terms, shape[0]).sum())


def _split(term: KronTerm) -> int:
    """Split point h: the kernel reads the term as L ⊗ R with L = A_1 ⊗ … ⊗ A_h and R = A_{h+1} ⊗ … ⊗ A_j. A balanced
    split keeps both explicit factors near the square root of the term's size (the last factor alone as R would make
    L hold nnz(term)/nnz(A_j) entries)."""
    return len(term.factors) // 2


def _part_key(term: KronTerm, lo: int, hi: int) -> tuple:
    return (term.n, lo == 0) + tuple(None if f is None else id(f) for f in term.factors[lo:hi])


def assembly_bytes(terms, shape) -> float:
    """Peak bytes of :func:`assemble_csr` for these terms, from factor statistics only (nothing allocated).

    The final CSR arrays for :func:`nnz_bound` entries; three row-length int64 arrays (bounds, offsets); every
    distinct explicit partial product built for the L and R factors of the terms (memoised: terms share them); and
    the concatenated int64 copy of the distinct factors the kernel reads.
    """
    nnz = nnz_bound(terms, shape)
    idx = np.dtype(_index_dtype(shape, nnz)).itemsize
    total = nnz * (8 + idx) + (shape[0] + 1) * idx + 3 * 8 * shape[0]
    parts: dict = {}  # every distinct partial product built on the way (memoised), and the final L and R factors
    finals: dict = {}
    for t in terms:
        j, h = len(t.factors), _split(t)
        z, r = 1, 1
        for length in range(1, h + 1):  # L grows from the left
            fz, fr = _factor_stats(t, length - 1)
            z, r = z * fz, r * fr
            parts[_part_key(t, 0, length)] = (z, r)
        finals[_part_key(t, 0, h)] = (z, r)
        z, r = 1, 1
        for start in range(j - 1, h - 1, -1):  # R grows from the right
            fz, fr = _factor_stats(t, start)
            z, r = z * fz, r * fr
            parts[_part_key(t, start, j)] = (z, r)
        finals[_part_key(t, h, j)] = (z, r)
    # CSR of a partial product: nnz × (8 value + ≤ 8 index) + rows × 8; the kernel's int64 copy of the finals
    total += sum(z * 16 + r * 8 for z, r in parts.values())
    total += sum(z * 16 + (r + 1) * 8 for z, r in finals.values())
    return float(total)


def _index_dtype(shape, nnz):
    return np.int32 if max(shape[0], shape[1], nnz) < 2**31 - 1 else np.int64


def kron_csr(a: sp.csr_matrix, b: sp.csr_matrix, *, memory_limit: float | None = None) -> sp.csr_matrix:
    """a ⊗ b as canonical CSR, written directly (no COO intermediate)."""
    return assemble_csr([KronTerm(1.0, (a, b), 0, 0, 1)], (a.shape[0] * b.shape[0], a.shape[1] * b.shape[1]),
                        memory_limit=memory_limit)


def _explicit_parts(terms) -> tuple[list, list]:
    """(L, R) of every term as explicit CSR matrices (:func:`_split`); each distinct partial product is built once
    (terms of a Carleman matrix share most of theirs), L from the left and R from the right."""
    memo: dict = {}
    one = sp.csr_matrix(np.ones((1, 1)))

    def product(t: KronTerm, lo: int, hi: int):
        if lo == hi:
            return one
        key = _part_key(t, lo, hi)
        if key not in memo:
            if hi - lo == 1:
                memo[key] = t.factor(lo)
            elif lo == 0:  # L = (A_1 ⊗ … ⊗ A_{hi−1}) ⊗ A_hi
                left, f = product(t, lo, hi - 1), t.factors[hi - 1]
                memo[key] = (_identity(left.shape[0] * t.n) if f is None and _is_identity(left)
                             else kron_csr(left, t.factor(hi - 1), memory_limit=float("inf")))
            else:  # R = A_lo ⊗ (A_{lo+1} ⊗ … ⊗ A_j)
                f, right = t.factors[lo], product(t, lo + 1, hi)
                memo[key] = (_identity(right.shape[0] * t.n) if f is None and _is_identity(right)
                             else kron_csr(t.factor(lo), right, memory_limit=float("inf")))
            # (the workspace is in assembly_bytes' estimate of the outer assembly: no second limit here)
        return memo[key]

    lefts = [product(t, 0, _split(t)) for t in terms]
    rights = [product(t, _split(t), len(t.factors)) for t in terms]
    return lefts, rights


def _is_identity(a: sp.csr_matrix) -> bool:
    return a.shape[0] == a.shape[1] and a.nnz == a.shape[0] and np.array_equal(a.indices, np.arange(a.shape[0])) and np.all(a.data == 1)


def assemble_csr(terms, shape, *, memory_limit: float | None = None, what: str = "the matrix",
                 threads: int | None = None) -> sp.csr_matrix:
    """Σ_terms coef·(⊗ factors) at their offsets, as a canonical float64 CSR matrix of the given shape.

    One sequential pass (:func:`pyqgd.carleman._kernels.merge_kron_rows`): each output row is the k-way merge of the
    terms' row segments, which are already sorted (the columns of a ⊗ b in row (i, k) are c_a·cols(b) + c_b, increasing
    in (c_a, c_b)), so entries are written once, in order, with duplicates summed — no COO, no sort, no conversion.
    Raises :class:`pyqgd._checks.TooLargeError` before allocating anything of the matrix's size when
    :func:`assembly_bytes` exceeds ``memory_limit``.
    ``threads`` row ranges are merged in parallel (default: all cores for ≥ 10⁶ entries).
    """

    terms = sorted((t for t in terms if t.coef != 0), key=lambda t: (t.row, t.col))
    check_memory(assembly_bytes(terms, shape), what, memory_limit,
                 "use the matrix-free form (matrix_free=True / the *_operator functions)")
    per_row, raw_max = _row_bounds(terms, shape[0])
    bound = int(per_row.sum())
    idx_dtype = _index_dtype(shape, bound)
    lefts, rights = _explicit_parts(terms)
    flat = {}
    for side, mats in (("l", lefts), ("r", rights)):
        # distinct matrices are stored once; each term points at its matrix's segment
        slot: dict = {}
        uniq = [slot.setdefault(id(m), m) for m in mats if id(m) not in slot]
        pos = {id(m): i for i, m in enumerate(uniq)}
        ptr_off = np.concatenate([[0], np.cumsum([m.indptr.size for m in uniq])]).astype(np.int64)
        nz_off = np.concatenate([[0], np.cumsum([m.nnz for m in uniq])]).astype(np.int64)
        which = np.array([pos[id(m)] for m in mats], dtype=np.int64)
        flat[side + "ptr_off"], flat[side + "nz_off"] = ptr_off[which], nz_off[which]
        flat[side + "ptr"] = np.concatenate([m.indptr.astype(np.int64) for m in uniq]) if uniq else np.zeros(0, np.int64)
        flat[side + "idx"] = np.concatenate([m.indices.astype(np.int64) for m in uniq]) if uniq else np.zeros(0, np.int64)
        flat[side + "val"] = np.concatenate([m.data for m in uniq]) if uniq else np.zeros(0)
    meta = np.array([[t.row, t.col, t.row + t.shape[0], r.shape[0], r.shape[1], t.shape[1]]
                     for t, r in zip(terms, rights)], dtype=np.int64).reshape(-1, 6)
    del lefts, rights
    coefs = np.array([t.coef for t in terms], dtype=float)
    indptr = np.zeros(shape[0] + 1, dtype=idx_dtype)
    indices = np.empty(bound, dtype=idx_dtype)
    data = np.empty(bound, dtype=float)
    nnz = merge_kron_rows(per_row, meta, coefs, flat["lptr_off"], flat["lnz_off"], flat["lptr"], flat["lidx"],
                          flat["lval"], flat["rptr_off"], flat["rnz_off"], flat["rptr"], flat["ridx"], flat["rval"],
                          indptr, indices, data, threads=threads, scratch=raw_max)
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
