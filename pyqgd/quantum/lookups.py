"""Dense (row, position) tables of the Kronecker encoding's factors and the block sizes of their QROAM reads
(Q#: ``qsharp_src/src/Carleman/KroneckerFactors.qs``, ``qsharp_src/src/Oracles/Qroam.qs``).

A factor A (F1: n × n; F2: n × n², column (a, b) at a·n + b) with records (row r, column c, position l among column
c's nonzeros, position k among row r's, b-bit angle x) is stored as two tables over E = n·2^⌈log₂ s⌉ addresses
(padded to the full 2^(w + ⌈log₂ s⌉), w = ⌈log₂ n⌉, so that no address aliases an entry):

* forward, index l + 2^{lc_f}·c, word r + 2^w·k + 2^{w+lr}·x;  reverse, index k + 2^{lr_f}·r, word c + 2^w·l + 2^{w+lc}·x
  (lc, lr: the widths of the encoding's shared position registers; lc_f, lr_f the factor's own).
* F2 with the symmetry of ∇³L (F2[i, (a, b)] = F2[a, (i, b)], as for F2 = −(η/2)∇³L of a loss) is stored
  *mirrored*: column (a, b)'s positions are those of row a's S = s_r records — the forward table is indexed by
  (l, a) with l < S the position of the record F2[a, (i', b')] in row a, word i' + 2^w·k' + 2^{w+lr}·x + 2^{w+lr+b}·b'
  with k' the position of its mirror F2[i', (a, b')] in row i'; the reverse one by (k, r), word a + 2^w·l + 2^{w+lc}·x
  for the record F2[r, (a, b)] at position k whose mirror sits at position l of row a. Both tables have n·S rows,
  never n² (α_2 = S·max|F2| instead of √(s_r s_c)·max|F2|). A non-symmetric F2 keeps the record path.
"""

from __future__ import annotations

import numpy as np

__all__ = ["KRONECKER_LOADINGS", "LOADING_CODES", "qroam_blocks", "mirror_positions", "dense_tables"]

#: The loadings of the Kronecker encoding's F tables and their Q# codes (SparseFactor.Loading).
LOADING_CODES = {"records": 0, "qrom": 1, "selectswap": 2}
KRONECKER_LOADINGS = tuple(LOADING_CODES)


def _sel(E: int) -> int:
    return max(int(E) - 2, 0)


def qroam_blocks(address_bits: int, width: int, *, max_extra_qubits: int | None = None) -> tuple[int, int]:
    """(λ, λ′) of a measured QROAM read of 2^a words of w bits: λ the power of two minimising E/λ − 2 + (λ − 1)·w
    (≈ √(E/w), Low–Kliuchnikov–Schaeffer arXiv:1812.00954 Thm 1), with λ·w ≤ ``max_extra_qubits`` when given (λ = 1
    always allowed: the space–time trade-off), and λ′ the one minimising the phase clean-up's 2(λ′ − 2) + E/λ′ − 2
    (≈ √(E/2), Berry et al., Quantum 3, 208 (2019), App. C)."""
    a, w = int(address_bits), int(width)
    if a < 0 or w < 1:
        raise ValueError(f"address_bits must be ≥ 0 and width ≥ 1, got {address_bits}, {width}")
    E = 2**a
    ok = [2**j for j in range(a + 1) if j == 0 or max_extra_qubits is None or 2**j * w <= max_extra_qubits]
    lam = min(ok, key=lambda x: (_sel(E // x) + (x - 1) * w, x))
    fix = min((2**j for j in range(a + 1)), key=lambda x: (2 * _sel(x) + _sel(E // x), x))
    return lam, fix


def mirror_positions(rows: np.ndarray, cols: np.ndarray, row_slots: np.ndarray, w: int,
                     angles: np.ndarray, angle_bits: int) -> tuple[np.ndarray, np.ndarray] | None:
    """For F2 records (row r, column key a·2^w + b, row position k, b-bit angle): (the row position of each record's
    mirror F2[a, (r, b)] in row a, the angles made equal within each mirror pair), or None when some mirror is missing
    or its encoded value differs by more than 10⁻⁹·max|F2| (F2 is then not ∇³L-symmetric). A pair's values may
    differ in their last bits (a symmetric tensor summed in two orders), and near ±max|F2| that moves the b-bit angle
    (arcsin is steep there) by many units; both take the smaller record's angle, so the forward and reverse tables
    carry the same one."""
    a, b = cols >> w, cols & (2**w - 1)
    where = {(int(r), int(c)): q for q, (r, c) in enumerate(zip(rows, cols))}
    out = np.zeros(len(rows), dtype=np.int64)
    sym = angles.copy()
    value = -np.sin(2.0 * np.pi * angles.astype(float) / 2.0**angle_bits)  # the encoded value / max|F2|
    for q in range(len(rows)):
        m = where.get((int(a[q]), (int(rows[q]) << w) | int(b[q])))
        if m is None or abs(value[m] - value[q]) > 1e-9:
            return None
        out[q] = row_slots[m]
        sym[q] = angles[min(q, m)]
    return out, sym


def dense_tables(f, w: int, lc: int, lr: int, angle_bits: int, mirror: np.ndarray | None) -> tuple[list, list]:
    """(forward, reverse) dense tables of a factor (module docstring) from its records ``f`` (a
    ``SparseFactorData``); ``mirror``: the mirror positions of a symmetric F2 (None for F1)."""
    lcf = max(0, int(f.column_sparsity - 1).bit_length())
    lrf = max(0, int(f.row_sparsity - 1).bit_length())
    fwd = np.zeros(2 ** (lcf + w), dtype=object)
    rev = np.zeros(2 ** (lrf + w), dtype=object)
    r, k, x = (v.astype(object) for v in (f.rows, f.row_slots, f.angles))
    by_row = (f.row_slots + (f.rows << lrf)).astype(np.int64)  # the reverse index (k, r) of every record
    if mirror is None:  # F1: forward index (l, c), reverse word (c, l, x)
        c, l_ = f.cols.astype(object), f.col_slots.astype(object)
        fwd[(f.col_slots + (f.cols << lcf)).astype(np.int64)] = r + (k << w) + (x << (w + lr))
    else:  # mirrored F2: record q = F2[r, (i', b')] at (k, r) gives column (r, b')'s entry at row i'
        ip, bp, m = (f.cols >> w).astype(object), (f.cols & (2**w - 1)).astype(object), mirror.astype(object)
        fwd[(f.row_slots + (f.rows << lcf)).astype(np.int64)] = ip + (m << w) + (x << (w + lr)) + (bp << (w + lr + angle_bits))
        c, l_ = ip, m  # reverse word of F2[r, (a, b)]: slot a and the position of its mirror F2[a, (r, b)] in row a
    rev[by_row] = c + (l_ << w) + (x << (w + lc))
    return [int(v) for v in fwd], [int(v) for v in rev]
