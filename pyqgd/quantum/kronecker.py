"""Kronecker block-encoding of the T-step Carleman matrix L = I − S⊗M from F0, F1, F2 alone (Q#:
``qsharp_src/src/Carleman/Kronecker.qs``).

Construction (Gilyén, Su, Low, Wiebe, STOC 2019: Lemma 48 sparse access, Lemma 52 linear combinations, tensor products
of block-encodings), on the register layout of :class:`pyqgd.quantum.structured_oracles.CarlemanLayout`
(clock ⊗ level ⊗ N slots of w = ⌈log2 n⌉ qubits):

* **F1** (n × n) and **F2** (n × n², two slots → one) by sparse access over their nonzero lists only: one record per
  nonzero (row, column, position in its column, position in its row, b-bit angle), read by sparse QROMs keyed by the
  (column, column-position) and (row, row-position) of the records, so data and lookup cost scale with nnz; the
  forward lookup also rotates the entry flag by the record's angle under the same address comparison.
  α_1 = √(s_r s_c)·max|F1|, α_2 = √(s_r s_c)·max|F2| (s_r, s_c: the largest row and column counts).
* **F0** by sparse state preparation onto a slot in |0⟩: a block-encoding of |F0⟩⟨0| with α_0 = ‖F0‖₂.
* **G1 = I + F1** as two LCU branches (α = 1 + α_1), never as a table.
* **M** as the LCU over the terms t = (j, d) of ``pyqgd.carleman.discrete_carleman`` (block (j, k) of M is
  Σ_{|d| = k} G_{d_1} ⊗ … ⊗ G_{d_j}, every G1 expanded into I and F1): each term is the Kronecker product of its
  factors' encodings (α multiplies) with a level change k−1 → j−1 and a classical slot permutation, α_t = Π_i α(d_i).
  The LCU prepares its coefficient state controlled on the input level and unprepares it controlled on the output
  level (a row/column split, as GSLW Lemma 48 does for entries), so α_M = max over levels ℓ of Σ_{t: k_t = ℓ} α_t and
  Σ_{t: j_t = ℓ} α_t. For N = 2 with α_G1 = 1 + α_1: α_M = max(α_G1(1 + 2α_0), α_2 + α_G1² + 2α_0α_2,
  α_G1 + α_2, α_G1(2α_0 + α_G1) + 2α_0α_2).
* **L = I − S_M ⊗ M' − S_idle ⊗ I** as the LCU of I and the clock shift times (M' on steps 1..T, I on the idle
  steps): α_L = 1 + α_M.

Every operation that spreads amplitude (the PREPAREs, the index superpositions, the F0 preparation, the I/W
rotation) acts only where the ancillas it does not own are |0⟩: true on the block in both U and U†, so the block and α
are unchanged, while the branches already orthogonal to the block are left alone. U|0,x⟩ and U†|0,x⟩ then stay on
few basis states, which is what a QSVT simulation pays for (the n = 2, N = 2, T = 4 solve's final state: 1,096
nonzero amplitudes instead of 11,472). Comparisons are AND chains in one scratch register per call.

Stored data: nnz(F1) + nnz(F2) records (each with its angle) and nnz(F0) amplitudes, plus rotation angles that depend
on N alone, not on n or T: the term amplitudes √(α_t/α_M) of the two level-controlled PREPAREs (2·2^{⌈log2 N⌉}·
2^{⌈log2(terms + 3)⌉} values: the term register holds 0 = no term, the terms, a null and a do-nothing index; 13 terms
for N = 2, 58 for N = 3 when F0, F1, F2 ≠ 0) and the two angles of the I/W split and the idle steps.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp

from pyqgd._bits import ceil_log2
from pyqgd.carleman import CarlemanSystem, QuadraticMap, discrete_carleman
from pyqgd.quantum import ode
from pyqgd.quantum._context import get_context
from pyqgd.quantum.lookups import KRONECKER_LOADINGS, LOADING_CODES, dense_tables, mirror_positions, qroam_blocks
from pyqgd.quantum.oracles import DEFAULT_ANGLE_BITS
from pyqgd.quantum.structured_oracles import CarlemanLayout, carleman_layout, padded_tstep_matrix, sparse_swaps

__all__ = ["KroneckerEncoding", "kronecker_encoding", "SparseFactorData", "carleman_terms", "DEFAULT_ANGLE_BITS",
           "F0_CHOICE", "IDENTITY_CHOICE", "F1_CHOICE", "F2_CHOICE", "level_split_alpha", "kronecker_block", "kronecker_column"]

#: Factor choices of a term (the Q# TermFactors codes) and the number of slots each consumes.
F0_CHOICE, IDENTITY_CHOICE, F1_CHOICE, F2_CHOICE = 0, 1, 2, 3
_DEGREE = {F0_CHOICE: 0, IDENTITY_CHOICE: 1, F1_CHOICE: 1, F2_CHOICE: 2}


@dataclass(frozen=True)
class SparseFactorData:
    """The nonzero records of F1 or F2 (Q# ``SparseFactor``) and the matrix the circuit encodes with b-bit angles."""
    in_width: int
    column_sparsity: int
    row_sparsity: int
    max_abs: float
    rows: np.ndarray
    cols: np.ndarray
    col_slots: np.ndarray
    row_slots: np.ndarray
    angles: np.ndarray
    quantized: sp.csr_matrix
    loading: str = "records"
    mirrored: bool = False
    fwd_table: list = field(default_factory=list, repr=False)
    rev_table: list = field(default_factory=list, repr=False)
    fwd_blocks: tuple = (1, 1)
    rev_blocks: tuple = (1, 1)

    @property
    def alpha(self) -> float:
        """√(s_r s_c)·max|A| (GSLW Lemma 48, row/column split); 0 for a zero matrix."""
        return math.sqrt(self.row_sparsity * self.column_sparsity) * self.max_abs if self.nnz else 0.0

    @property
    def nnz(self) -> int:
        return len(self.rows)

    def to_qsharp(self) -> dict:
        return {"InWidth": self.in_width, "ColumnSparsity": max(1, self.column_sparsity),
                "RowSparsity": max(1, self.row_sparsity), "MaxAbs": self.max_abs if self.nnz else 1.0,
                "Rows": self.rows.tolist(), "Cols": self.cols.tolist(), "ColSlots": self.col_slots.tolist(),
                "RowSlots": self.row_slots.tolist(), "Angles": self.angles.tolist(),
                "Loading": LOADING_CODES[self.loading], "Mirrored": self.mirrored, "FwdTable": self.fwd_table,
                "RevTable": self.rev_table, "FwdBlocks": tuple(self.fwd_blocks), "RevBlocks": tuple(self.rev_blocks)}


def _sparse_factor(A: sp.csr_matrix, n: int, w: int, slots_in: int, angle_bits: int) -> SparseFactorData:
    """Records of A (n × n^slots_in); column c = (a, b) of F2 (index a·n + b) sits at key a·2^w + b."""
    coo = sp.coo_matrix(A)
    keep = coo.data != 0
    r, c, v = coo.row[keep].astype(np.int64), coo.col[keep].astype(np.int64), coo.data[keep].astype(float)
    order = np.lexsort((r, c))  # by column, then row: position in column
    r, c, v = r[order], c[order], v[order]
    col_slot = np.zeros(len(r), dtype=np.int64)
    row_slot = np.zeros(len(r), dtype=np.int64)
    seen_c, seen_r = {}, {}
    for q in range(len(r)):
        col_slot[q] = seen_c.get(c[q], 0)
        seen_c[c[q]] = col_slot[q] + 1
    for q in np.lexsort((c, r)):
        row_slot[q] = seen_r.get(r[q], 0)
        seen_r[r[q]] = row_slot[q] + 1
    s_c = int(max(seen_c.values(), default=0))
    s_r = int(max(seen_r.values(), default=0))
    max_abs = float(np.max(np.abs(v))) if len(v) else 0.0
    scale = 2.0**angle_bits
    if len(v):
        theta = -np.arcsin(np.clip(v / max_abs, -1.0, 1.0))
        angles = np.mod(np.rint(theta / (2.0 * np.pi) * scale).astype(np.int64), 2**angle_bits)
        vq = -np.sin(2.0 * np.pi * angles / scale) * max_abs
    else:
        angles = np.zeros(0, dtype=np.int64)
        vq = np.zeros(0)
    key = np.zeros(len(c), dtype=np.int64)
    rem = c.copy()
    for s in range(slots_in):  # row-major digits of the column index, most significant slot first
        digit = rem // n ** (slots_in - 1 - s)
        rem = rem % n ** (slots_in - 1 - s)
        key |= digit << ((slots_in - 1 - s) * w)
    quantized = sp.csr_matrix((vq, (r, c)), shape=A.shape)
    return SparseFactorData(in_width=slots_in * w, column_sparsity=s_c, row_sparsity=s_r, max_abs=max_abs, rows=r,
                            cols=key, col_slots=col_slot, row_slots=row_slot, angles=angles, quantized=quantized)


def _dense_factors(f1: SparseFactorData, f2: SparseFactorData, w: int, angle_bits: int, loading: str,
                   qroam_block: int | None, max_extra_qubits: int | None) -> tuple[SparseFactorData, SparseFactorData]:
    """F1 and F2 with their dense tables (``pyqgd.quantum.lookups``) for a dense ``loading``: F1 always, F2 when it
    has ∇³L's symmetry (then mirrored, column sparsity = row sparsity); F's without records keep no tables."""
    if loading == "records":
        return f1, f2
    found = mirror_positions(f2.rows, f2.cols, f2.row_slots, w, f2.angles, angle_bits) if f2.nnz else None
    mirror = None
    if found is not None:
        mirror, angles = found
        n = f2.quantized.shape[0]
        vq = -np.sin(2.0 * np.pi * angles / 2.0**angle_bits) * f2.max_abs
        cols = (f2.cols >> w) * n + (f2.cols & (2**w - 1))
        f2 = replace(f2, column_sparsity=f2.row_sparsity, mirrored=True, angles=angles,
                     quantized=sp.csr_matrix((vq, (f2.rows, cols)), shape=f2.quantized.shape))
    lc = max(ceil_log2(max(1, f1.column_sparsity)), ceil_log2(max(1, f2.column_sparsity)))
    lr = max(ceil_log2(max(1, f1.row_sparsity)), ceil_log2(max(1, f2.row_sparsity)))
    out = []
    for f, m in ((f1, None), (f2, mirror)):
        if f.nnz == 0 or (f is f2 and m is None):
            out.append(f)
            continue
        fwd, rev = dense_tables(f, w, lc, lr, angle_bits, m)
        fwd_w = w + lr + angle_bits + (w if m is not None else 0)
        rev_w = w + lc + angle_bits
        blocks = []
        for table, width in ((fwd, fwd_w), (rev, rev_w)):
            a = len(table).bit_length() - 1
            lam, fix = qroam_blocks(a, width, max_extra_qubits=max_extra_qubits)
            blocks.append((min(qroam_block, 2**a) if qroam_block else lam, fix))
        out.append(replace(f, loading=loading, fwd_table=fwd, rev_table=rev, fwd_blocks=blocks[0],
                           rev_blocks=blocks[1]))
    return out[0], out[1]


def carleman_terms(N: int, alphas: dict) -> list[dict]:
    """The terms t = (j, d) of the M encoding (module docstring) with their factor slots and slot swaps.

    ``alphas`` maps each choice (F0_CHOICE, IDENTITY_CHOICE, F1_CHOICE, F2_CHOICE) to its α; choices with α = 0
    (a zero F) are left out, as ``discrete_carleman`` leaves out Kronecker terms with a zero factor.
    """
    terms = []
    for j in range(1, N + 1):
        for ch in itertools.product((F0_CHOICE, IDENTITY_CHOICE, F1_CHOICE, F2_CHOICE), repeat=j):
            k = sum(_DEGREE[c] for c in ch)
            if not 1 <= k <= N or any(alphas[c] == 0.0 for c in ch):
                continue
            pos = np.concatenate([[0], np.cumsum([_DEGREE[c] for c in ch])])[:-1]
            free = list(range(k, N)) + [int(pos[i]) + 1 for i, c in enumerate(ch) if c == F2_CHOICE]
            slot = {}
            factors = []
            for i, c in enumerate(ch):  # consuming factors first: F2's freed slot may then receive an F0
                if c != F0_CHOICE:
                    slot[i] = int(pos[i])
                    factors.append((c, slot[i]))
            for i, c in enumerate(ch):
                if c == F0_CHOICE:
                    slot[i] = free.pop(0)
                    factors.append((c, slot[i]))
            where = {slot[i]: i for i in range(j)}
            label = [where.get(s) for s in range(N)]  # factor whose output sits at slot s
            swaps = []
            for i in range(j):
                s = label.index(i)
                if s != i:
                    label[i], label[s] = label[s], label[i]
                    swaps.append((i, s))
            terms.append({"levels": (k, j), "choices": ch, "factors": factors, "swaps": swaps,
                          "alpha": float(np.prod([alphas[c] for c in ch]))})
    return terms


def level_split_alpha(terms: list[dict], N: int) -> float:
    """α_M of the level-split LCU: max over levels of Σ α_t over the terms leaving (input level k) or entering
    (output level j) it. PREPARE by input level and PREPARE† by output level give the block Σ_t A_t / α_M as long
    as every level's sum is ≤ α_M (the rest of each PREPARE goes to a null term), because M's columns of
    different input levels, and its rows of different output levels, are orthogonal."""
    sums = [sum(t["alpha"] for t in terms if t["levels"][side] == lv) for side in (0, 1) for lv in range(1, N + 1)]
    return float(max(sums))


@dataclass(frozen=True)
class KroneckerEncoding:
    """The Kronecker block-encoding of L for one system, T and p (module docstring).

    ``alpha`` is α_L = 1 + α_M, ``alpha_M`` the M encoding's, ``alpha_factors`` α_0, α_1, α_2;
    ``stored_entries`` = nnz(F1) + nnz(F2) + nnz(F0); ``num_ancillas`` of the block-encoding of L.
    """

    layout: CarlemanLayout
    angle_bits: int
    alpha_M: float
    alpha_factors: dict
    f1: SparseFactorData
    f2: SparseFactorData
    f0_values: np.ndarray
    f0_swaps: list
    terms: list
    quantized_qmap: QuadraticMap = field(repr=False)
    loading: str = "records"

    @property
    def alpha(self) -> float:
        return 1.0 + self.alpha_M

    @property
    def num_terms(self) -> int:
        return len(self.terms)

    @property
    def stored_entries(self) -> int:
        return self.f1.nnz + self.f2.nnz + int(np.count_nonzero(self.f0_values))

    @property
    def fixed_angles(self) -> int:
        """Rotation angles besides the F data (module docstring): the term amplitudes of the two PREPAREs and the
        two angles of L's LCU and of the idle steps; a function of N and of which F's are zero."""
        return 2 * 2**self.layout.level_qubits * 2 ** ceil_log2(self.num_terms + 3) + 2

    @property
    def widths(self) -> dict:
        """Ancilla register widths (the Q# KroneckerWidths)."""
        tb = ceil_log2(self.num_terms + 3)
        lc = max(ceil_log2(max(1, self.f1.column_sparsity)), ceil_log2(max(1, self.f2.column_sparsity)))
        lr = max(ceil_log2(max(1, self.f1.row_sparsity)), ceil_log2(max(1, self.f2.row_sparsity)))
        return {"term": tb, "factors": self.layout.N, "column_slot": lc, "row_slot": lr, "angle": self.angle_bits,
                "row": self.layout.slot_qubits}

    @property
    def num_ancillas(self) -> int:
        w = self.widths
        return (2 + w["term"] + 1 + w["factors"] * (1 + w["row_slot"]) + w["column_slot"] + w["row"]
                + self.angle_register)

    @property
    def angle_register(self) -> int:
        """Qubits of the shared angle register (b when a factor is read from dense tables)."""
        return self.angle_bits if self.f1.loading != "records" or self.f2.loading != "records" else 0

    @property
    def num_system(self) -> int:
        return self.layout.system_qubits

    def to_qsharp(self) -> dict:
        """The Q# ``Carleman.Kronecker.KroneckerCarlemanData`` value."""
        lay = self.layout
        nt = self.num_terms
        amps = {}
        for side, idx in (("in", 0), ("out", 1)):
            rows = []
            for v in range(2**lay.level_qubits):
                # 0 = no term (the block's value after PREPARE†), term i at i + 1, the null index nt + 1, the
                # do-nothing index nt + 2
                a = np.zeros(2 ** ceil_log2(nt + 3))
                for i, t in enumerate(self.terms):
                    if t["levels"][idx] == v + 1:
                        a[i + 1] = math.sqrt(t["alpha"] / self.alpha_M)
                a[nt + 1] = math.sqrt(max(0.0, 1.0 - float(np.sum(a[1:nt + 1] ** 2))))
                rows.append((a / np.linalg.norm(a)).tolist())
            amps[side] = rows
        return {
            "NumClock": lay.clock_qubits, "NumLevel": lay.level_qubits, "SlotWidth": lay.slot_qubits,
            "NumSlots": lay.N, "Steps": lay.T, "Blocks": lay.blocks, "AngleBits": self.angle_bits,
            "AlphaM": self.alpha_M, "F1": self.f1.to_qsharp(), "F2": self.f2.to_qsharp(),
            "F0Values": self.f0_values.tolist(), "F0Swaps": [tuple(s) for s in self.f0_swaps],
            "SlotSize": lay.n, "TermAmplitudesIn": amps["in"], "TermAmplitudesOut": amps["out"], "TermLevels": [tuple(t["levels"]) for t in self.terms],
            "TermFactors": [[tuple(f) for f in t["factors"]] for t in self.terms],
            "TermSwaps": [[tuple(s) for s in t["swaps"]] for t in self.terms],
        }

    def quantized_system(self) -> CarlemanSystem:
        """The discrete Carleman system of the F's the circuit encodes (F1, F2 through their b-bit angles)."""
        return discrete_carleman(self.quantized_qmap, self.layout.N)

    def quantized_matrix(self) -> np.ndarray:
        """The dense padded L (``padded_tstep_matrix`` layout) the circuit block-encodes, times α_L (F1, F2 through
        their b-bit angles; dense like ``CarlemanOracleData.quantized_matrix``)."""
        return padded_tstep_matrix(self.quantized_system(), self.layout.T, self.layout.p).toarray()


def kronecker_encoding(system: CarlemanSystem, T: int, p: int, angle_bits: int = DEFAULT_ANGLE_BITS, *,
                       loading: str = "records", qroam_block: int | None = None,
                       max_extra_qubits: int | None = None) -> KroneckerEncoding:
    """The Kronecker block-encoding data of L = I − S⊗M for a discrete Carleman ``system`` (module docstring).

    ``loading``: how F1 and F2 are read — "qrom" (dense tables, unary-iteration QROM), "selectswap" (dense tables,
    QROAM with measurement-based clean-up; λ from :func:`pyqgd.quantum.lookups.qroam_blocks` under
    ``max_extra_qubits``, or ``qroam_block`` forced, capped at the table size) or "records" (one comparison per
    record; the default, because the dense loadings add a b-qubit angle register, too many for the solvers that
    read the whole simulated state densely). F2 uses dense tables only when it has ∇³L's symmetry
    (``pyqgd.quantum.lookups``), else its records.
    """
    if not isinstance(system, CarlemanSystem):
        raise TypeError(f"expected a CarlemanSystem (pyqgd.carleman.discrete_carleman), got {type(system).__name__}")
    if system.form != "discrete":
        raise ValueError("the Kronecker encoding builds M from discrete_carleman's block formula; pass a system from "
                         "discrete_carleman (the Euler form's M = I + hA has a different structure)")
    if not isinstance(angle_bits, int) or not 2 <= angle_bits <= 52:
        raise ValueError(f"angle_bits must be an int in 2..52 (double precision), got {angle_bits!r}")
    if loading not in KRONECKER_LOADINGS:
        raise ValueError(f"loading must be one of {', '.join(KRONECKER_LOADINGS)} for the Kronecker encoding; got "
                         f"{loading!r} (QRAM is a cost model only: pyqgd.estimate)")
    lay = carleman_layout(system, T, p)
    qm = system.qmap
    n, w = qm.n, lay.slot_qubits
    f1, f2 = _dense_factors(_sparse_factor(qm.F1, n, w, 1, angle_bits), _sparse_factor(qm.F2, n, w, 2, angle_bits),
                            w, angle_bits, loading, qroam_block, max_extra_qubits)
    F0 = np.asarray(qm.F0, dtype=float)
    a0 = float(np.linalg.norm(F0))
    support = np.flatnonzero(F0)
    d = len(support)
    width = 2 ** max(1, ceil_log2(d))
    values = np.zeros(width)
    if d:
        values[:d] = F0[support] / a0
        swaps = sparse_swaps(support.tolist())
    else:
        values[0] = 1.0
        swaps = []
    alphas = {F0_CHOICE: a0, IDENTITY_CHOICE: 1.0, F1_CHOICE: f1.alpha, F2_CHOICE: f2.alpha}
    terms = carleman_terms(lay.N, alphas)
    alpha_M = level_split_alpha(terms, lay.N)
    qq = QuadraticMap(F0, f1.quantized, f2.quantized)
    return KroneckerEncoding(layout=lay, angle_bits=angle_bits, alpha_M=alpha_M,
                             alpha_factors={"F0": a0, "F1": f1.alpha, "G1": 1.0 + f1.alpha, "F2": f2.alpha},
                             f1=f1, f2=f2, f0_values=values if d else np.zeros(width), f0_swaps=swaps, terms=terms,
                             quantized_qmap=qq, loading=loading)


def _last_dump(callable_, *args):
    """(the sparse amplitudes {index: amplitude} of the LAST state dump, its qubit count, the operation's result)."""
    res = get_context().run(callable_, 1, *args, save_events=True)[0]
    dumps = [e.state_dump() for e in res["events"] if e.is_state_dump()]
    if not dumps:
        raise RuntimeError("the Q# operation produced no state dump")
    d = dumps[-1]
    return {int(k): complex(a) for k, a in d.get_dict().items()}, int(d.qubit_count), res["result"]


def _block_from_choi(amps: dict, num_qubits: int, num_sys: int) -> np.ndarray:
    """Top-left block (ancillas |0⟩ in and out) from a DumpBlockColumns state over [anc, sys, copy], read sparsely."""
    Ns = 2**num_sys
    B = np.zeros((Ns, Ns), dtype=complex)
    low = num_sys  # copy register
    for k, a in amps.items():
        row = k >> low
        if row < Ns:  # every ancilla |0>
            B[row, k & (Ns - 1)] = a
    return np.sqrt(Ns) * B


def kronecker_column(enc: KroneckerEncoding, col: int, *, which: str = "L") -> np.ndarray:
    """Column ``col`` of the top-left block (ancillas |0⟩) of the encoding of L or of M' (one basis input, for
    sizes whose Choi dump is too large)."""

    if which not in ("L", "M"):
        raise ValueError(f"which must be 'L' or 'M', got {which!r}")
    ns = enc.num_system if which == "L" else enc.layout.carleman_qubits
    if not 0 <= int(col) < 2**ns:
        raise ValueError(f"column {col} is outside 0..{2**ns - 1}")
    amps, _, _ = _last_dump(get_context().code.Carleman.Kronecker.DumpKroneckerColumn, enc.to_qsharp(), which == "L",
                            int(col))
    out = np.zeros(2**ns, dtype=complex)
    for k, a in amps.items():
        if k < 2**ns:  # ancillas (most significant) all |0>
            out[k] = a
    return out


def kronecker_block(enc: KroneckerEncoding, *, which: str = "L") -> tuple[np.ndarray, int]:
    """(top-left block of the Q# Kronecker block-encoding of L (``which="L"``) or of M' alone (``"M"``), the
    stored-entry count the Q# side reports). α_L·block(L) = L and α_M·block(M) = M' (padded layouts)."""

    ctx = get_context()
    if which == "L":
        op, ns = ctx.code.Carleman.Kronecker.DumpKroneckerColumns, enc.num_system
    elif which == "M":
        op, ns = ctx.code.Carleman.Kronecker.DumpKroneckerMColumns, enc.layout.carleman_qubits
    else:
        raise ValueError(f"which must be 'L' or 'M', got {which!r}")
    amps, nq, stored = _last_dump(op, enc.to_qsharp())
    return _block_from_choi(amps, nq, ns), int(stored)


def __getattr__(name: str):
    """``kronecker_solve`` moved to :mod:`pyqgd.quantum.ode` (the one solve driver); the old import still works."""
    if name == "kronecker_solve":

        return ode.kronecker_solve
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
