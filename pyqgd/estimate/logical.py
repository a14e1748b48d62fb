"""Logical cost model: closed-form logical counts of every circuit component, one function per component.

Each function returns a :class:`LogicalCost` — the same seven numbers the QDK tracer reports
(``qsharp.logical_counts``: numQubits, tCount, cczCount, rotationCount, rotationDepth, measurementCount; ccix is
always 0 here) — as an exact function of the sizes (m = ⌈log₂ dim⌉, sparsity s, angle bits b, QSVT degree d,
amplification length L, number of stored table entries E, …). Functions marked *traced* are derived from our Q#
circuits (``qsharp_src/src``) and are checked for equality with the traced counts in
``tests/test_estimate_validation.py``; functions marked *literature* are not traceable here (no such circuit in the
Q# standard library or in this project) and cite their source.

Conventions of the tracer that the formulas reproduce (measured, qdk 1.33.1):

* a Toffoli/AND is one CCZ; the measurement-based uncomputation of an AND (Gidney, arXiv:1709.06648) is one
  measurement; single-qubit rotations by multiples of π/4 are Clifford or T gates, other angles are rotations;
* the std ``Select`` caches its singly-controlled recursion (``BeginEstimateCaching``), and a replayed cache entry
  does not re-allocate the 2m − 1 unary-iteration helper qubits, so ``num_qubits`` (the tracer's peak) can be lower
  than the true allocation; ``qubits_allocated`` is the allocation-true peak and is what the physical estimate uses.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

from pyqgd import registry
from pyqgd._bits import ceil_log2
from pyqgd.estimate.errors import EstimateInputError, check_count, check_size
from pyqgd.quantum.amplification import fixed_point_length

__all__ = [
    "LogicalCost",
    "ZERO",
    "select_lookup",
    "selectswap_lookup",
    "qram_lookup",
    "table_index_oracle",
    "table_entry_oracle",
    "entry_rotations",
    "index_superposition",
    "sparse_block_encoding",
    "projector_phase",
    "qsvt_inversion",
    "phase_on_all_zero",
    "fixed_point_amplification",
    "fixed_point_length",
    "dense_state_preparation",
    "sparse_state_preparation",
    "qram_state_preparation",
    "qsvt_solve",
    "qsvt_solve_amplified",
    "hhl_solve",
    "LOADINGS",
]

#: Data-loading models (pyqgd.estimate.loading documents each; only "qrom" is a built circuit).
LOADINGS = registry.names("loading")


@dataclass(frozen=True)
class LogicalCost:
    """Pre-layout logical counts of a circuit (the QDK ``LogicalCounts`` fields, Python ints of any size).

    ``num_qubits``: peak live qubits as the QDK tracer counts them; ``qubits_allocated`` ≥ it: the allocation-true
    peak (see module docstring). ``qram_queries`` counts QRAM lookups (each also charged ``qram_depth`` logical time
    steps inside ``measurement_count``, see :func:`qram_lookup`), ``qram_cells`` the QRAM's stored entries (hardware
    outside the surface-code layout).
    """

    num_qubits: int = 0
    t_count: int = 0
    ccz_count: int = 0
    rotation_count: int = 0
    rotation_depth: int = 0
    measurement_count: int = 0
    qubits_allocated: int = 0
    qram_queries: int = 0
    qram_cells: int = 0

    def then(self, other: "LogicalCost") -> "LogicalCost":
        """Sequential composition on the same qubits: counts add, peaks take the maximum."""
        return LogicalCost(
            num_qubits=max(self.num_qubits, other.num_qubits),
            t_count=self.t_count + other.t_count,
            ccz_count=self.ccz_count + other.ccz_count,
            rotation_count=self.rotation_count + other.rotation_count,
            rotation_depth=self.rotation_depth + other.rotation_depth,
            measurement_count=self.measurement_count + other.measurement_count,
            qubits_allocated=max(self.qubits_allocated, other.qubits_allocated),
            qram_queries=self.qram_queries + other.qram_queries,
            qram_cells=max(self.qram_cells, other.qram_cells),
        )

    __add__ = then

    def repeat(self, k: int) -> "LogicalCost":
        """k sequential repetitions (k = 0 gives the zero cost on the same qubits)."""
        k = check_count(k, "k")
        return replace(self, t_count=k * self.t_count, ccz_count=k * self.ccz_count,
                       rotation_count=k * self.rotation_count, rotation_depth=k * self.rotation_depth,
                       measurement_count=k * self.measurement_count, qram_queries=k * self.qram_queries)

    def with_qubits(self, extra: int) -> "LogicalCost":
        """The same circuit with ``extra`` more live qubits (registers idle during it)."""
        return replace(self, num_qubits=self.num_qubits + extra, qubits_allocated=self.qubits_allocated + extra)

    @property
    def toffoli_count(self) -> int:
        return self.ccz_count

    @property
    def non_clifford_count(self) -> int:
        """CCZ + T + rotations: the work measure of the exponent fits, the reports and ``block_encoding="auto"``."""
        return self.ccz_count + self.t_count + self.rotation_count

    def to_counts(self, *, allocated: bool = True) -> dict:
        """The QDK ``LogicalCounts`` dict (camelCase); ``allocated`` uses ``qubits_allocated`` as numQubits."""
        return {
            "numQubits": int(max(self.qubits_allocated, self.num_qubits) if allocated else self.num_qubits),
            "tCount": int(self.t_count),
            "rotationCount": int(self.rotation_count),
            "rotationDepth": int(self.rotation_depth),
            "cczCount": int(self.ccz_count),
            "ccixCount": 0,
            "measurementCount": int(self.measurement_count),
        }

    def traced_view(self) -> dict:
        """The fields compared with ``qsharp.logical_counts`` (tracer convention for qubits)."""
        return self.to_counts(allocated=False)

    def as_dict(self) -> dict:
        return asdict(self)


ZERO = LogicalCost()


def _q(n: int, alloc: int | None = None) -> LogicalCost:
    return LogicalCost(num_qubits=n, qubits_allocated=n if alloc is None else alloc)


# --------------------------------------------------------------------------------------------- data loading


def select_lookup(num_entries: int, address_bits: int, width: int) -> LogicalCost:
    """One std ``Select`` (QROM by unary iteration) of E entries of ``width`` bits: E − 2 CCZ and E − 2 measurements.

    *Traced.* Source: Babbush et al., PRX 8, 041015 (2018), §III.A (unary iteration, E − 1 Toffolis for a
    controlled lookup); derived from our Q# circuit: std ``Select`` splits on the top address bit into two
    singly-controlled selects, each a binary tree of E_i − 1 ANDs (compute: 1 CCZ, uncompute: 1 measurement), so
    E − 2 in all (E ≥ 2; 0 for E = 1). Qubits: address + width + (⌈log₂ E⌉ − 1) unary-iteration helpers.
    """
    E = check_size(num_entries, "num_entries")
    a = check_size(address_bits, "address_bits", minimum=0)
    w = check_size(width, "width")
    if a < ceil_log2(E):
        raise EstimateInputError(f"{E} table entries need ≥ {ceil_log2(E)} address bits, got {a}")
    k = max(E - 2, 0)
    q = a + w + max(ceil_log2(E) - 1, 0)
    return LogicalCost(num_qubits=q, qubits_allocated=q, ccz_count=k, measurement_count=k)


def selectswap_lookup(num_entries: int, width: int, *, block: int | None = None, uncompute: bool = True) -> LogicalCost:
    """SelectSwap QROM (QROAM) lookup of E entries of ``width`` bits with λ = ``block`` parallel outputs.

    *Literature* (no SelectSwap in the Q# std library): Low, Kliuchnikov, Schaeffer, arXiv:1812.00954, Thm 1, and
    Berry, Gidney, Motta, McClean, Babbush, Quantum 3, 208 (2019), App. B/C: the lookup costs ⌈E/λ⌉ − 2 + w(λ − 1)
    Toffolis with (λ − 1)·w extra qubits; the measurement-based unlookup ⌈E/λ'⌉ + λ' Toffolis (λ' = ⌈√E⌉) and
    ⌈E/λ'⌉ measurements. λ defaults to the power of two nearest √(E/w) (the Toffoli-optimal choice).
    With λ = 1 the lookup reduces to :func:`select_lookup`.
    """
    E = check_size(num_entries, "num_entries")
    w = check_size(width, "width")
    if block is None:
        block = 1 << max(0, round(math.log2(max(1.0, math.sqrt(E / w)))))
    lam = check_size(block, "block")
    fwd = max(-(-E // lam) - 2, 0) + w * (lam - 1)
    lam2 = max(1, math.isqrt(E - 1) + 1) if uncompute else 0
    un = (-(-E // lam2) + lam2) if uncompute else 0
    q = ceil_log2(E) + w * lam + max(ceil_log2(-(-E // lam)) - 1, 0)
    return LogicalCost(num_qubits=q, qubits_allocated=q, ccz_count=fwd + un,
                       measurement_count=max(-(-E // lam) - 2, 0) + ((-(-E // lam2)) if uncompute else 0))


def qram_lookup(num_entries: int, width: int, *, depth: int | None = None) -> LogicalCost:
    """One QRAM query of an E-entry table: a single oracle call at an assumed depth (``qram_depth`` time steps).

    *Literature / assumption*: bucket-brigade QRAM (Giovannetti, Lloyd, Maccone, PRL 100, 160501, 2008) answers a
    query in O(log E) time with O(E) routing elements; the paper (Liu et al. 2024) treats QRAM as an optional
    resource ("no hidden resources"). We charge no T/CCZ, ⌈log₂ E⌉ (or ``depth``) logical time steps — entered as
    ``measurement_count`` because the QDK layout charges one logical cycle per measurement — and record the E
    routing cells in ``qram_cells`` (hardware outside the surface-code layout, reported separately).
    """
    E = check_size(num_entries, "num_entries")
    w = check_size(width, "width")
    d = ceil_log2(E) if depth is None else check_size(depth, "depth")
    q = ceil_log2(E) + w
    return LogicalCost(num_qubits=q, qubits_allocated=q, measurement_count=d, qram_queries=1, qram_cells=E)


def _lookup(loading: str, E: int, address_bits: int, width: int, qram_depth: int | None) -> LogicalCost:
    if loading == "qrom":
        return select_lookup(E, address_bits, width)
    if loading == "selectswap":
        return selectswap_lookup(E, width, uncompute=False)
    if loading == "qram":
        return qram_lookup(E, width, depth=qram_depth)
    if loading == "qram_free":
        return replace(qram_lookup(E, width, depth=qram_depth), measurement_count=0)
    raise EstimateInputError(f"unknown loading {loading!r}; use one of {LOADINGS}")


# --------------------------------------------------------------------------------------------- oracles


def table_index_oracle(m: int, *, table_entries: int | None = None, loading: str = "qrom",
                       qram_depth: int | None = None) -> LogicalCost:
    """In-place index oracle |l⟩|j⟩ → |f(j,l)⟩|j⟩ (``Oracles/TableLookup.qs: ApplyTableIndexOracle``).

    *Traced.* Derived from our Q# circuit: two lookups (f, then f⁻¹ to clear the index) of E = 4^m entries on 2m
    address bits with m-bit outputs, plus m SWAPs (Clifford); the adjoint is the same circuit. Qubits in use:
    the m-qubit scratch t besides the caller's 2m: the tracer peak 2m + m + (2m − 1) helpers = 5m − 1 relative to
    the caller's flag-less registers. ``table_entries`` replaces 4^m for compressed tables (model scale).
    """
    m = check_size(m, "m")
    E = 4**m if table_entries is None else check_size(table_entries, "table_entries")
    one = _lookup(loading, E, max(2 * m, ceil_log2(E)), m, qram_depth)
    c = one.repeat(2)
    q = 2 * m + m + max(ceil_log2(E) - 1, 0)  # idx + sys + t + helpers
    return replace(c, num_qubits=q, qubits_allocated=q)


def entry_rotations(angle_bits: int) -> LogicalCost:
    """The flag rotation Ry(2θ) from a b-bit angle register: b controlled Ry(4π·2^{k−b}), k = b−1 … 0.

    *Traced.* Derived from our Q# circuit (``ApplyTableEntryOracle``): Controlled Ry(θ) = Ry(θ/2)·CNOT·Ry(−θ/2)·CNOT;
    for k = b−1, b−2 the half-angles π, π/2 are Clifford, for k = b−3 (π/4) two T gates, for k < b−3 two arbitrary
    rotations, all on the flag (rotation depth = count). So T = 2·[b ≥ 3], rotations = 2·max(b − 3, 0).
    """
    b = check_size(angle_bits, "angle_bits")
    r = 2 * max(b - 3, 0)
    return LogicalCost(t_count=2 if b >= 3 else 0, rotation_count=r, rotation_depth=r)


def table_entry_oracle(m: int, angle_bits: int, *, table_entries: int | None = None, loading: str = "qrom",
                       qram_depth: int | None = None) -> LogicalCost:
    """Entry oracle |i⟩|j⟩|0⟩ → |i⟩|j⟩(A_ij|0⟩ + √(1−A_ij²)|1⟩) (``ApplyTableEntryOracle``).

    *Traced.* Derived from our Q# circuit: lookup of the b-bit angle (E = 4^m entries, 2m address bits), the
    rotations of :func:`entry_rotations`, and the same forward lookup again to unload (the Q# adjoint is the
    forward lookup, see ``XorLookup``). Qubits: 2m + 1 + b (tracer; the cached lookups do not re-count helpers)
    and 2m + 1 + b + (2m − 1) allocated.
    """
    m = check_size(m, "m")
    b = check_size(angle_bits, "angle_bits")
    E = 4**m if table_entries is None else check_size(table_entries, "table_entries")
    one = _lookup(loading, E, max(2 * m, ceil_log2(E)), b, qram_depth)
    c = one.repeat(2).then(entry_rotations(b))
    return replace(c, num_qubits=2 * m + 1 + b, qubits_allocated=2 * m + 1 + b + max(ceil_log2(E) - 1, 0))


def index_superposition(s: int) -> LogicalCost:
    """D_s: |0⟩ → s^{−1/2} Σ_{l<s}|l⟩ (``PrepareIndexSuperposition``) for s a power of two: ⌈log₂ s⌉ Hadamards.

    *Traced.* Derived from our Q# circuit (Clifford only: zero counts). Other s use ``PreparePureStateD`` whose
    counts depend on the angles; the cost model pads s to the next power of two (:func:`sparse_block_encoding`).
    """
    s = check_size(s, "s")
    if s & (s - 1):
        raise EstimateInputError(f"index_superposition is exact for s a power of two, got s = {s}; pad s up to {1 << ceil_log2(s)}")
    return ZERO


def sparse_block_encoding(m: int, s: int, angle_bits: int, *, table_entries: int | None = None,
                          loading: str = "qrom", qram_depth: int | None = None) -> LogicalCost:
    """The sparse-access block-encoding (``BlockEncoding/SparseAccess.qs``; GSLW 2019 Lemma 48).

    *Traced.* Derived from our Q# circuit: D_s, column oracle, entry oracle, m SWAPs, row oracle†, D_s†, i.e.
    6 lookups of E = 4^m entries: CCZ = measurements = 6(E − 2); T = 2·[b ≥ 3]; rotations = rotation depth =
    2·max(b − 3, 0). Qubits (tracer): max(5m, 2m + 1 + b); allocated: max(5m, 4m + b).
    s that is not a power of two is padded up (α = s_pad·max|M|; the oracles pad with zero entries).
    ``table_entries`` (model scale) replaces the dense 4^m tables by E stored entries per table (compressed
    tables of the nonzeros: E = dim·s), and ``loading`` selects QROM (std Select), SelectSwap or QRAM lookups.
    """
    m = check_size(m, "m")
    s = check_size(s, "s")
    b = check_size(angle_bits, "angle_bits")
    if s > 2**m:
        raise EstimateInputError(f"sparsity s = {s} exceeds the dimension 2^{m}")
    s_pad = 1 << ceil_log2(s)
    col = table_index_oracle(m, table_entries=table_entries, loading=loading, qram_depth=qram_depth)
    ent = table_entry_oracle(m, b, table_entries=table_entries, loading=loading, qram_depth=qram_depth)
    c = index_superposition(s_pad).then(col).then(ent).then(col).then(index_superposition(s_pad))
    E = 4**m if table_entries is None else table_entries
    h = max(ceil_log2(E) - 1, 0)
    alloc = max(3 * m + 1 + h, 2 * m + 1 + b + h)  # index phase: anc + sys + t + helpers; entry phase: + b
    traced = max(5 * m, 2 * m + 1 + b) if (loading == "qrom" and table_entries is None) else alloc
    return replace(c, num_qubits=traced, qubits_allocated=alloc)


# --------------------------------------------------------------------------------------------- QSVT / AA


def projector_phase(num_ancillas: int) -> LogicalCost:
    """e^{iψ(2Π − I)} on a ancillas with the LCU sign qubit (``Qsvt.qs: ApplyProjectorPhase``).

    *Traced.* Derived from our Q# circuit: ``ApplyControlledOnInt(0, X, anc, sig)`` computed and uncomputed
    (a Toffoli ladder of 2a − 3 CCZ each way for a ≥ 2, no measurements) and one Rzz (1 rotation).
    """
    a = check_size(num_ancillas, "num_ancillas")
    k = 2 * (2 * a - 3) if a >= 2 else 0
    return LogicalCost(num_qubits=a + 2 + max(a - 2, 0), qubits_allocated=a + 2 + max(a - 2, 0),
                       ccz_count=k, rotation_count=1, rotation_depth=1)


def qsvt_inversion(block_encoding: LogicalCost, num_ancillas: int, degree: int) -> LogicalCost:
    """Real-part QSVT of odd degree d (``Qsvt.qs: ApplyRealQsvt``; GSLW 2019 Thm 17, Cor. 18).

    *Traced.* Derived from our Q# circuit: d block-encoding calls (U, U† alternating; U† costs the same as U
    here because every lookup's adjoint is a forward lookup), d + 1 projector phases, 2 Hadamards on the LCU
    qubit; 2 extra qubits (lcu, sig). The degree comes from :func:`pyqgd.quantum.optimal_inverse_degree`.
    """
    d = check_size(degree, "degree")
    if d % 2 == 0:
        raise EstimateInputError(f"the QSVT inversion polynomial is odd: degree must be odd, got {d}")
    a = check_size(num_ancillas, "num_ancillas")
    c = block_encoding.repeat(d).then(projector_phase(a).repeat(d + 1))
    return c.with_qubits(2)


def phase_on_all_zero(num_qubits: int) -> LogicalCost:
    """e^{iφ} on |0…0⟩ of k qubits (``FixedPoint.qs: ApplyPhaseOnAllZero``: Controlled R1 with c = k − 1 controls).

    *Traced.* Derived from the Q# std decomposition of a multiply-controlled R1 as measured by the tracer:
    c(c − 1) CCZ, 2c + 1 rotations (depth 2c + 1), 2c qubits (c helpers).
    """
    k = check_size(num_qubits, "num_qubits")
    c = k - 1
    return LogicalCost(num_qubits=max(2 * c, k), qubits_allocated=max(2 * c, k), ccz_count=c * (c - 1),
                       rotation_count=2 * c + 1, rotation_depth=2 * c + 1)


def fixed_point_amplification(inner: LogicalCost, length: int, good_qubits: int, all_qubits: int) -> LogicalCost:
    """Fixed-point amplitude amplification with L = 2l + 1 calls of the inner circuit (``ApplyFixedPointAmplification``).

    *Traced.* Derived from our Q# circuit: L inner calls (A or A†, equal cost), l phases on the good register and
    l on the whole register (:func:`phase_on_all_zero`). Rotation depth is added sequentially: an upper bound on
    the tracer's greedy layering (see ``pyqgd.estimate.validation.ValidationResult`` for the stated tolerance).
    """
    L = check_size(length, "length")
    if L % 2 == 0:
        raise EstimateInputError(f"the fixed-point sequence length L = 2l + 1 is odd, got {L}")
    l = (L - 1) // 2
    rounds = phase_on_all_zero(good_qubits).then(phase_on_all_zero(all_qubits))
    return inner.repeat(L).then(rounds.repeat(l))


# --------------------------------------------------------------------------------------------- state preparation


def dense_state_preparation(m: int, *, signed: bool = False) -> LogicalCost:
    """``PreparePureStateD`` of a generic real vector on m qubits (Shende–Bullock–Markov 2006 multiplexed Ry).

    *Traced* (generic amplitudes: no angle a multiple of π/4). Positive amplitudes: 2^m − 1 rotations, rotation
    depth 2^m − m; signed amplitudes (m ≥ 4): 2(2^m − 1) rotations, depth 2^{m+1} − m − 1 (the sign multiplexer).
    """
    m = check_size(m, "m")
    if signed:
        r, dep = 2 * (2**m - 1), 2 ** (m + 1) - m - 1
    else:
        r, dep = 2**m - 1, 2**m - m
    return LogicalCost(num_qubits=m, qubits_allocated=m, rotation_count=r, rotation_depth=dep)


def sparse_state_preparation(m: int, nonzeros: int) -> LogicalCost:
    """Sparse state preparation of a d-sparse state on q = m qubits.

    *Literature*: Mao, Tian, Sun (arXiv:2404.05147): O(q·d/log q + q) gates; Gleinig–Hoefler
    (DAC 2021, the paper's ref. 33): O(q·d) CNOTs and d rotations. Model: d − 1 rotations (one Ry per merge),
    and one m-controlled NOT per merge, m − 1 CCZ each (Toffoli ladder with m − 2 helpers; Barenco et al. 1995).
    """
    m = check_size(m, "m")
    d = check_size(nonzeros, "nonzeros")
    if d > 2**m:
        raise EstimateInputError(f"{d} nonzeros do not fit 2^{m} amplitudes")
    merges = d - 1
    return LogicalCost(num_qubits=2 * m, qubits_allocated=2 * m, ccz_count=merges * max(2 * (m - 1) - 1, 0),
                       rotation_count=merges, rotation_depth=merges)


def qram_state_preparation(m: int, num_entries: int, angle_bits: int, *, qram_depth: int | None = None) -> LogicalCost:
    """QRAM-assisted state preparation (Kerenidis–Prakash tree, ITCS 2017; Grover–Rudolph 2002).

    *Literature*: m levels, each one QRAM query of the level's partial norms (b-bit angle), a b-bit controlled
    rotation (:func:`entry_rotations`) and the query again to unload: 2m queries, m·(rotations of b bits).
    """
    m = check_size(m, "m")
    E = check_size(num_entries, "num_entries")
    b = check_size(angle_bits, "angle_bits")
    lv = qram_lookup(E, b, depth=qram_depth).repeat(2).then(entry_rotations(b))
    return replace(lv.repeat(m), num_qubits=m + b + ceil_log2(E), qubits_allocated=m + b + ceil_log2(E))


# --------------------------------------------------------------------------------------------- solvers


def qsvt_solve(m: int, s: int, angle_bits: int, degree: int) -> LogicalCost:
    """``Estimation/Traces.qs: TraceQsvtSolve`` (= Bridge.QsvtSolve without the dump): prepare |b⟩ (positive
    amplitudes) on m qubits, then the real-part QSVT of degree d on the table-lookup block-encoding. *Traced.*"""
    be = sparse_block_encoding(m, s, angle_bits)
    return dense_state_preparation(m).then(qsvt_inversion(be, m + 1, degree))


def qsvt_solve_amplified(m: int, s: int, angle_bits: int, degree: int, length: int) -> LogicalCost:
    """``TraceQsvtSolveAmplified``: fixed-point amplification (L calls) of :func:`qsvt_solve`; good register =
    [lcu, sig, flag, idx] (m + 3 qubits), whole register 2m + 3. *Traced.*"""
    return fixed_point_amplification(qsvt_solve(m, s, angle_bits, degree), length, m + 3, 2 * m + 3)


def hhl_solve(block_encoding: LogicalCost, num_ancillas: int, kappa: float, epsilon: float) -> LogicalCost:
    """HHL with qubitized phase estimation (the textbook baseline; Harrow–Hassidim–Lloyd 2009).

    *Literature model, not traced*: ``Solvers/Hhl.qs`` builds HHL by phase estimation of the qubitized walk (each
    walk step calls U and U† controlled: 4(2^{n_p} − 1) calls per run, counted by its Q# loops); this formula is
    the textbook composition below and is not checked against that circuit's trace:
    n_p = ⌈log₂(2κ/ε)⌉ phase bits (HHL: t₀ = O(κ/ε)); QPE on the qubitization walk W = (2Π − I)·U (Babbush et al.
    PRX 8, 041015, §II) costs 2(2^{n_p} − 1) walk steps for compute + uncompute (our Q#'s count of controlled
    powers), each a controlled block-encoding (+1 CCZ for the control) and a reflection on the ancillas
    (:func:`projector_phase` without rotation); the eigenvalue inversion is 2^{n_p} − 1 rotations each controlled on
    n_p qubits (``ApplyInverseEigenvalueRotation``: 2(n_p − 1) − 1 CCZ each).
    """
    if not kappa > 1.0:
        raise EstimateInputError(f"kappa must be > 1, got {kappa}")
    if not (0.0 < epsilon < 1.0):
        raise EstimateInputError(f"epsilon must be in (0, 1), got {epsilon}")
    n_p = math.ceil(math.log2(2.0 * kappa / epsilon))
    steps = 2 * (2**n_p - 1)
    refl = replace(projector_phase(num_ancillas), rotation_count=0, rotation_depth=0)
    walk = block_encoding.then(LogicalCost(ccz_count=1)).then(refl)
    rot = LogicalCost(ccz_count=max(2 * (n_p - 1) - 1, 0), rotation_count=2, rotation_depth=2).repeat(2**n_p - 1)
    return walk.repeat(steps).then(rot).with_qubits(n_p + 1)
