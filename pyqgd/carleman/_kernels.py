"""Compiled inner loop of the Carleman assembly (numba): the row-by-row k-way merge of Kronecker-product terms.

Written by hand because no sparse library offers "canonical CSR of a sum of Kronecker products" in one pass:
scipy's kron + add + bmat materialises COO triplets and converts and merges several times (~100 ns per entry here,
against a few ns for this loop). Correctness is checked against literal dense np.kron constructions in the tests.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit

__all__ = ["merge_kron_rows", "plan_segments"]

_NONE = np.iinfo(np.int64).max


def plan_segments(meta: np.ndarray):
    """Split the rows into segments with a constant set of active terms, and those terms into column clusters.

    meta[t] = (row0, col0, row_end, rows_right, cols_right, cols_total), terms sorted by (row0, col0). Returns flat arrays
    (seg_bounds, seg_cluster_ptr, cluster_term_ptr, cluster_terms) consumed by :func:`merge_kron_rows`.
    """
    cuts = np.unique(np.concatenate([meta[:, 0], meta[:, 2]])) if len(meta) else np.zeros(0, np.int64)
    seg_bounds, seg_cluster_ptr, cluster_term_ptr, cluster_terms = [], [0], [0], []
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        active = [t for t in range(len(meta)) if meta[t, 0] <= lo and hi <= meta[t, 2]]
        if not active:
            continue
        active.sort(key=lambda t: meta[t, 1])
        clusters, end = [], -1
        for t in active:
            width = meta[t, 5]
            if clusters and meta[t, 1] < end:
                clusters[-1].append(t)
            else:
                clusters.append([t])
            end = max(end, meta[t, 1] + width)
        seg_bounds.append((lo, hi))
        for c in clusters:
            cluster_terms.extend(c)
            cluster_term_ptr.append(len(cluster_terms))
        seg_cluster_ptr.append(len(cluster_term_ptr) - 1)
    as64 = lambda x: np.asarray(x, dtype=np.int64)  # noqa: E731
    return as64(seg_bounds).reshape(-1, 2), as64(seg_cluster_ptr), as64(cluster_term_ptr), as64(cluster_terms)


@njit(cache=True, nogil=True)
def _merge_runs(ca, va, a0, a1, cb, vb, b0, b1, co, vo, o):
    """Merge two sorted runs into co/vo from position o, summing equal columns; returns the end position."""
    start = o
    i, j = a0, b0
    while i < a1 and j < b1:
        if ca[i] < cb[j]:
            c, v = ca[i], va[i]
            i += 1
        elif cb[j] < ca[i]:
            c, v = cb[j], vb[j]
            j += 1
        else:
            c, v = ca[i], va[i] + vb[j]
            i += 1
            j += 1
        if o > start and co[o - 1] == c:
            vo[o - 1] += v
        else:
            co[o] = c
            vo[o] = v
            o += 1
    while i < a1:
        co[o] = ca[i]
        vo[o] = va[i]
        i += 1
        o += 1
    while j < b1:
        co[o] = cb[j]
        vo[o] = vb[j]
        j += 1
        o += 1
    return o


@njit(cache=True, nogil=True)
def _write_product(lidx, lval, x0, x1, ridx, rval, y0, y1, scale, col0, cf, out_idx, out_val, o):
    """Write cf·(row segment x0:x1 of L ⊗ row segment y0:y1 of R) at column offset col0 into out[o:]; return the end."""
    for x in range(x0, x1):
        base = lidx[x] * scale + col0
        lv = cf * lval[x]
        for y in range(y0, y1):
            out_idx[o] = base + ridx[y]
            out_val[o] = lv * rval[y]
            o += 1
    return o


@njit(cache=True, nogil=True)
def _merge_cluster_runs(sc, sv, tc, tv, run_lo, run_hi, nruns, w, indices, data, pos):
    """Merge a cluster's ``nruns`` sorted runs (scratch ``sc``/``sv``, bounds ``run_lo``/``run_hi``, free tail from
    ``w``) into the output at ``pos``, two shortest first (duplicates summed); return the new ``pos``."""
    # merge the two shortest runs into the free tail of the other scratch buffer until one run is left
    while nruns > 1:
        m1 = 0
        for q in range(1, nruns):
            if run_hi[q] - run_lo[q] < run_hi[m1] - run_lo[m1]:
                m1 = q
        m2 = 1 if m1 == 0 else 0
        for q in range(nruns):
            if q != m1 and run_hi[q] - run_lo[q] < run_hi[m2] - run_lo[m2]:
                m2 = q
        if nruns == 2:
            return _merge_runs(sc, sv, run_lo[m1], run_hi[m1], sc, sv, run_lo[m2], run_hi[m2], indices, data, pos)
        e = _merge_runs(sc, sv, run_lo[m1], run_hi[m1], sc, sv, run_lo[m2], run_hi[m2], tc, tv, 0)
        # the merged run replaces run m1 at the end of the scratch row; run m2 is dropped
        for z in range(e):
            sc[w + z] = tc[z]
            sv[w + z] = tv[z]
        run_lo[m1], run_hi[m1] = w, w + e
        w += e
        run_lo[m2], run_hi[m2] = run_lo[nruns - 1], run_hi[nruns - 1]
        if m1 == nruns - 1:
            run_lo[m2], run_hi[m2] = w - e, w
        nruns -= 1
    for z in range(run_lo[0], run_hi[0]):
        indices[pos] = sc[z]
        data[pos] = sv[z]
        pos += 1
    return pos


@njit(cache=True, nogil=True)
def _merge(row_lo, row_hi, pos0, maxrow, meta, coefs, seg_bounds, seg_cluster_ptr, cluster_term_ptr, cluster_terms,
           lptr_off, lnz_off, lptr, lidx, lval, rptr_off, rnz_off, rptr, ridx, rval, indptr, indices, data):
    """Rows [row_lo, row_hi): per cluster, write each term's (sorted) row segment as a run into a scratch row, merge
    the runs smallest-first, the last merge straight into the output; single-term clusters are copied directly."""
    kmax = 1
    for c in range(cluster_term_ptr.size - 1):
        kmax = max(kmax, cluster_term_ptr[c + 1] - cluster_term_ptr[c])
    sc = np.empty(maxrow, np.int64)
    sv = np.empty(maxrow, np.float64)
    tc = np.empty(maxrow, np.int64)
    tv = np.empty(maxrow, np.float64)
    run_lo = np.empty(kmax, np.int64)
    run_hi = np.empty(kmax, np.int64)
    pos = pos0
    row_done = row_lo
    for s in range(seg_bounds.shape[0]):
        lo, hi = max(seg_bounds[s, 0], row_lo), min(seg_bounds[s, 1], row_hi)
        if lo >= hi:
            continue
        for g in range(row_done, lo):  # rows with no active term
            indptr[g + 1] = pos
        for g in range(lo, hi):
            row_begin = pos
            for c in range(seg_cluster_ptr[s], seg_cluster_ptr[s + 1]):
                k = cluster_term_ptr[c + 1] - cluster_term_ptr[c]
                w = 0
                nruns = 0
                for q in range(k):
                    t = cluster_terms[cluster_term_ptr[c] + q]
                    local = g - meta[t, 0]
                    a = local // meta[t, 3]
                    b = local - a * meta[t, 3]
                    x0 = lnz_off[t] + lptr[lptr_off[t] + a]
                    x1 = lnz_off[t] + lptr[lptr_off[t] + a + 1]
                    y0 = rnz_off[t] + rptr[rptr_off[t] + b]
                    y1 = rnz_off[t] + rptr[rptr_off[t] + b + 1]
                    if x0 == x1 or y0 == y1:
                        continue
                    scale, col0, cf = meta[t, 4], meta[t, 1], coefs[t]
                    if k == 1:  # the segment is sorted and duplicate-free: write it straight out
                        pos = _write_product(lidx, lval, x0, x1, ridx, rval, y0, y1, scale, col0, cf, indices, data, pos)
                        continue
                    run_lo[nruns] = w
                    w = _write_product(lidx, lval, x0, x1, ridx, rval, y0, y1, scale, col0, cf, sc, sv, w)
                    run_hi[nruns] = w
                    nruns += 1
                if nruns == 0:
                    continue
                pos = _merge_cluster_runs(sc, sv, tc, tv, run_lo, run_hi, nruns, w, indices, data, pos)
            # drop entries that cancelled exactly (rare: compaction within the row)
            o = row_begin
            for z in range(row_begin, pos):
                if data[z] != 0.0:
                    indices[o] = indices[z]
                    data[o] = data[z]
                    o += 1
            pos = o
            indptr[g + 1] = pos
        row_done = hi
    for g in range(row_done, row_hi):
        indptr[g + 1] = pos
    return pos


def merge_kron_rows(row_bound, meta, coefs, lptr_off, lnz_off, lptr, lidx, lval, rptr_off, rnz_off, rptr, ridx, rval,
                    indptr, indices, data, *, threads: int | None = None, scratch: int | None = None) -> int:
    """Fill canonical CSR arrays (indptr, indices, data) with Σ_t coef_t (L_t ⊗ R_t) at the offsets in meta.

    meta[t] = (row0, col0, row_end, rows(R_t), cols(R_t), cols(L_t)·cols(R_t)); the factor arrays of all terms are
    concatenated, term t's starting at lptr_off[t] / lnz_off[t] (and likewise for R). ``row_bound`` is an upper bound
    of each row's entries after merging (it sizes the output); ``scratch`` the most entries a row has before merging
    (it sizes the per-row work buffers; default ``row_bound.max()``, right when no row holds duplicates). Row ranges of equal work run in parallel threads (the kernel releases the GIL), each
    writing from its range's upper-bound offset; the gaps left by merged duplicates are closed afterwards.
    Returns the number of entries.
    """
    plan = plan_segments(meta)
    nrows = row_bound.size
    raw = int(row_bound.max(initial=0)) if scratch is None else max(int(scratch), int(row_bound.max(initial=0)))
    maxrow = 2 * raw + 1  # scratch: the runs plus the merged runs appended after them
    starts = np.concatenate([[0], np.cumsum(row_bound)])
    if threads is None:
        threads = 1 if starts[-1] < 1_000_000 else min(os.cpu_count() or 1, 4)
    cuts = np.searchsorted(starts, np.linspace(0, starts[-1], threads + 1)[1:-1]).tolist()
    ranges = list(zip([0] + cuts, cuts + [nrows]))

    def run(r):
        lo, hi = r
        return int(_merge(lo, hi, int(starts[lo]), maxrow, meta, coefs, *plan, lptr_off, lnz_off, lptr, lidx, lval,
                          rptr_off, rnz_off, rptr, ridx, rval, indptr, indices, data))

    if len(ranges) == 1:
        ends = [run(ranges[0])]
    else:
        with ThreadPoolExecutor(len(ranges)) as pool:
            ends = list(pool.map(run, ranges))
    pos = ends[0]
    for (lo, hi), end in zip(ranges[1:], ends[1:]):
        shift = int(starts[lo]) - pos
        if shift:
            indices[pos : end - shift] = indices[starts[lo] : end]
            data[pos : end - shift] = data[starts[lo] : end]
            indptr[lo + 1 : hi + 1] -= shift
        pos = end - shift
    indptr[0] = 0
    return pos
