"""Closed-form logical counts of the Carleman T-step solver exactly as it is built in Q#.

The solver is ``Carleman.HistoryState.CarlemanQsvtSolve`` (``qsharp_src/src/Carleman``): prepare the history-state
right-hand side |B⟩ (``PrepareHistoryRhs``), apply the real-part QSVT (``Qsvt.ApplyRealQsvt``) of the adjoint of the
structured sparse-access block-encoding of L (``StructuredOracles.CarlemanSparseOracles``), then fixed-point
amplification (``ApplyPhaseOnFinalWindow`` / ``ApplyPhaseOnAllZero``). Every function below mirrors one Q# operation
and composes the costs of the Q# standard-library primitives it calls; the primitives' counts are those of the QDK
1.33 decompositions (stated in each docstring, and checked against ``qsharp.logical_counts`` at several sizes in
``tests/test_estimate_circuit.py``). Nothing here is fitted to the solver's trace: the whole-solver comparison
(:func:`pyqgd.estimate.validation.compare_with_trace`) is an independent check.

Rotation classification (the tracer's rule, measured): an angle φ of a Z-type rotation is free (Clifford) when φ is a
multiple of π/2, one T gate when an odd multiple of π/4, one arbitrary rotation otherwise. Counts that depend on
amplitudes or phases (``PreparePureStateD``, projector phases, amplification phases) are exact when the actual values
are passed and use *generic* values (no angle a multiple of π/4) otherwise — the model used at paper scale.

Register names follow :class:`pyqgd.quantum.structured_oracles.CarlemanLayout`: m_t clock, m_ℓ level, N slots of w
qubits, m_c = m_ℓ + N·w, m = m_t + m_c system qubits; the block-encoding adds 1 + m ancillas, the QSVT two more.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, replace
from functools import lru_cache

from pyqgd.estimate.errors import EstimateInputError, check_size
from pyqgd.estimate.logical import ZERO, LogicalCost

__all__ = [
    "rotation_kind", "mcx", "adder", "comparator", "in_range", "lookup", "controlled_ry", "controlled_r1",
    "prepare_pure_state", "generic_prepare_pure_state", "index_superposition", "carleman_column_oracle",
    "carleman_row_oracle", "carleman_entry_oracle", "carleman_block_encoding", "projector_phase", "real_qsvt",
    "TensorPowerSpec", "RhsSpec", "history_rhs_preparation", "final_window_phase", "SolverCircuit", "solver_qubits",
    "carleman_solver_circuit", "solver_circuit_from_qsharp", "solver_rotation_depth",
]

_PI = math.pi


def rotation_kind(phi: float | None) -> str:
    """'clifford', 'T' or 'rotation' for a Z-type rotation angle φ (``None`` = generic → 'rotation'), by the QDK
    tracer's rule (``LogicalCounter::rz``): k = round(φ/(π/4)); a multiple of π/4 when |k·π/4 − φ| ≤ the double
    precision epsilon (absolute: a tiny angle such as the φ/2^c of a many-controlled R1 is still a rotation), then
    a T gate for odd k, else Clifford."""
    if phi is None:
        return "rotation"
    k = math.copysign(math.floor(abs(phi / (_PI / 4.0)) + 0.5), phi)  # Rust's f64::round: half away from zero
    if abs(k * (_PI / 4.0) - phi) <= sys.float_info.epsilon:
        return "T" if int(k) % 2 == 1 else "clifford"
    return "rotation"


def _rot(phi: float | None, times: int = 1) -> LogicalCost:
    kind = rotation_kind(phi)
    if kind == "T":
        return LogicalCost(t_count=times)
    if kind == "rotation":
        return LogicalCost(rotation_count=times, rotation_depth=times)
    return ZERO


def mcx(controls: int) -> LogicalCost:
    """X with k controls (``Controlled X`` / ``ApplyControlledOnInt``): max(2k − 3, 0) CCZ (Toffoli ladder; k ≤ 1 is
    Clifford)."""
    return LogicalCost(ccz_count=max(2 * controls - 3, 0))


def adder(width: int) -> LogicalCost:
    """``IncByLE`` of two w-bit registers, or ``IncByI`` of an odd constant into w bits (Takahashi–Tani–Kunihiro ripple
    carry, the std default): 2(w − 1) CCZ, no measurements."""
    return LogicalCost(ccz_count=2 * max(width - 1, 0))


def comparator(width: int) -> LogicalCost:
    """``ApplyIfLessLE`` of two w-bit registers into one target: w CCZ (ANDs) and w measurements (their
    measurement-based uncomputation, Gidney arXiv:1709.06648)."""
    return LogicalCost(ccz_count=width, measurement_count=width)


def in_range(clock: int, lower: bool) -> LogicalCost:
    """``StructuredOracles.ApplyIfInRange`` on an m_t-qubit register: one (lo = 0) or two comparators of m_t + 1 bits,
    each computed and uncomputed, and one CCNOT."""
    k = 2 if lower else 1
    return comparator(clock + 1).repeat(2 * k).then(LogicalCost(ccz_count=1))


def lookup(entries: int, controls: int = 0) -> LogicalCost:
    """Std ``Select`` (unary-iteration QROM, Babbush et al. PRX 8, 041015, 2018) of E = 2^a entries with k extra
    controls: E − 2 + k CCZ and as many measurements."""
    E = check_size(entries, "entries")
    k = max(E - 2 + controls, 0)
    return LogicalCost(ccz_count=k, measurement_count=k)


def controlled_ry(controls: int, theta: float | None) -> LogicalCost:
    """``Controlled Ry(θ)`` with c ≥ 1 controls: 2(c − 1) CCZ and two rotations by θ/2 (Ry(θ/2)·CX·Ry(−θ/2)·CX)."""
    return LogicalCost(ccz_count=2 * max(controls - 1, 0)).then(_rot(None if theta is None else theta / 2, 2))


def controlled_r1(controls: int, phi: float | None) -> LogicalCost:
    """``Controlled R1(φ)`` with c controls (also ``Controlled Exp([PauliI], φ)`` with c + 1 controls): c(c − 1) CCZ;
    rotations 2 at φ/2^j for j = 1..c−1 and 3 at φ/2^c (c ≥ 1), one at φ for c = 0."""
    if controls == 0:
        return _rot(phi)
    c = LogicalCost(ccz_count=controls * (controls - 1))
    for j in range(1, controls):
        c = c.then(_rot(None if phi is None else phi / 2**j, 2))
    return c.then(_rot(None if phi is None else phi / 2**controls, 3))


# ------------------------------------------------------------------------------------------ PreparePureStateD


def _multiplex_leaves(coeffs: list[float]) -> list[float]:
    if len(coeffs) == 1:
        return [coeffs[0]]
    h = len(coeffs) // 2
    return (_multiplex_leaves([(coeffs[i] + coeffs[i + h]) / 2 for i in range(h)])
            + _multiplex_leaves([(coeffs[i] - coeffs[i + h]) / 2 for i in range(h)]))


def _multiplex_z(coeffs: list[float], k: int, controls: int) -> LogicalCost:
    """``ApproximatelyMultiplexZ`` with k multiplexer qubits: one e^{iθZ} per non-zero leaf of the Walsh recursion
    (a rotation by 2θ); controlled by c qubits it runs twice on ±θ/2 around two c-controlled X."""
    coeffs = list(coeffs) + [0.0] * (2**k - len(coeffs))
    if controls == 0:
        return _leaf_rotations(coeffs)
    half = [x / 2 for x in coeffs]
    return _leaf_rotations(half).then(mcx(controls).repeat(2)).then(_leaf_rotations([-x for x in half]))


def _leaf_rotations(coeffs: list[float]) -> LogicalCost:
    c = ZERO
    for a in _multiplex_leaves(coeffs):
        if abs(a) > 0:
            c = c.then(_rot(2 * a))
    return c


def _sbm(pairs):
    """Disentangling angles (Shende–Bullock–Markov) of amplitude pairs given as (|a|, arg a)."""
    dY, dZ, new = [], [], []
    for (r0, a0), (r1, a1) in pairs:
        new.append((math.hypot(r0, r1), (a0 + a1) / 2))
        dZ.append((a1 - a0) / 2)
        dY.append(math.atan2(r1, r0))
    return dY, dZ, new


def _unprepare(coeffs, k: int, controls: int) -> LogicalCost:
    dY, dZ, new = _sbm([(coeffs[2 * i], coeffs[2 * i + 1]) for i in range(len(coeffs) // 2)])
    c = _multiplex_z(dZ, k, controls).then(_multiplex_z(dY, k, controls))
    if k == 0:
        if abs(new[0][1]) > 0 and controls:
            c = c.then(controlled_r1(controls - 1, new[0][1]))
    elif any(r > 0 for r, _ in new):
        c = c.then(_unprepare(new, k - 1, controls))
    return c


def prepare_pure_state(amplitudes, num_qubits: int, controls: int = 0) -> LogicalCost:
    """Std ``PreparePureStateD(amplitudes, q)`` on n qubits with c controls, exact for the given real amplitudes.

    Mirrors the std implementation (Shende–Bullock–Markov, IEEE TCAD 25, 2006; QDK ``Std.StatePreparation``): per
    level, a Y- and a Z-multiplexor whose non-zero Walsh leaves are rotations, and the recursion on the pair norms;
    the final phase is global unless controlled (then a controlled R1). Amplitudes need not be normalised.
    """
    n = check_size(num_qubits, "num_qubits")
    amps = [float(a) for a in amplitudes]
    if len(amps) > 2**n:
        raise EstimateInputError(f"{len(amps)} amplitudes do not fit {n} qubits")
    pad = [(abs(a), _PI if a < 0 else 0.0) for a in amps + [0.0] * (2**n - len(amps))]
    dY, dZ, new = _sbm([(pad[2 * i], pad[2 * i + 1]) for i in range(2 ** (n - 1))])
    c = ZERO
    if n == 1:
        if abs(new[0][1]) > 0 and controls:
            c = c.then(controlled_r1(controls - 1, new[0][1]))
    elif any(r > 0 for r, _ in new):
        c = c.then(_unprepare(new, n - 2, controls))
    return c.then(_multiplex_z(dY, n - 1, controls)).then(_multiplex_z(dZ, n - 1, controls))


def generic_prepare_pure_state(num_qubits: int, controls: int = 0, *, signed: bool = True) -> LogicalCost:
    """``PreparePureStateD`` on n qubits for generic amplitudes (every Walsh leaf a generic angle): the model at sizes
    where the amplitudes are not known. Y-multiplexors: 2^n − 1 rotations; Z-multiplexors (signed): 2^n − 1 more;
    with c ≥ 1 controls every multiplexor runs twice and adds 2 c-controlled X, and the global phase becomes a
    controlled R1. Exact counts for given amplitudes: :func:`prepare_pure_state`."""
    n = check_size(num_qubits, "num_qubits")
    leaves = 2**n - 1
    per = 2 if controls else 1
    rot = per * leaves * (2 if signed else 1)
    c = LogicalCost(rotation_count=rot, rotation_depth=rot)
    if controls:
        c = c.then(mcx(controls).repeat(2 * 2 * n))
        if signed:
            c = c.then(controlled_r1(controls - 1, None))
    return c


# ------------------------------------------------------------------------------------------ block-encoding


def index_superposition(s: int, m: int) -> LogicalCost:
    """D_s (``SparseAccess.PrepareIndexSuperposition``): Hadamards when s is a power of two, else
    ``PreparePureStateD`` of s equal amplitudes on the m-qubit index register (exact, :func:`prepare_pure_state`)."""
    s = check_size(s, "s")
    if s & (s - 1) == 0:
        return ZERO
    return _uniform_prep(s, m)


@lru_cache(maxsize=256)
def _uniform_prep(s: int, m: int) -> LogicalCost:
    """``PreparePureStateD`` of s equal amplitudes on m qubits, exact, in O(m²) time and O(m) memory.

    The state-preparation recursion (:func:`prepare_pure_state`) sees, at every level, a vector that is a constant x
    on a prefix [0, a), one boundary value y at a and zeros beyond; its phases are all 0 (no Z-multiplexor leaves),
    and its Y-multiplexor angles have the same shape (π/4 on the pairs of equal values, atan2(y, x) at the boundary
    pair). :func:`_prefix_leaves` gives the multiset of Walsh leaves of such a vector from its halves, so the counts
    never list the 2^m amplitudes (checked against the enumeration of :func:`prepare_pure_state` in the tests)."""
    x, a, y = 1.0, s, 0.0
    c = ZERO
    for k in range(m - 1, -1, -1):  # the level with 2^k pairs; the vector has 2^(k+1) entries
        full = a >= 2 ** (k + 1)
        b, odd = a // 2, (a % 2 == 1) and not full
        beta = math.atan2(y, x) if odd else 0.0
        mean, rest = _prefix_leaves(_PI / 4, b, beta, k)
        for value, times in [(mean, 1), *rest.items()]:
            if abs(value) > 1e-12:
                c = c.then(_rot(2 * value, times))
        x, a, y = math.hypot(x, x), b, (math.hypot(x, y) if odd else y)
    return c


def _prefix_leaves(x: float, a: int, y: float, k: int) -> tuple[float, dict]:
    """Walsh leaves (:func:`_multiplex_leaves`) of v = x on [0, a), y at a (if a < 2^k), 0 beyond, length 2^k:
    (leaf 0 = the mean of v, {|leaf|: multiplicity} of the others). With h = 2^(k−1): a < h gives leaves(lo/2) twice
    (hi = 0); a ≥ h gives leaves of (x + w)/2 and (x − w)/2 with w = hi, i.e. w's leaves halved twice and two leaves
    0 at x/2 ± mean(w)/2."""
    if k == 0:
        return (x if a >= 1 else y), {}
    h = 2 ** (k - 1)
    if a >= 2**k:
        return x, {}
    if a < h:
        mean, rest = _prefix_leaves(x, a, y, k - 1)
        out = {v / 2: 2 * t for v, t in rest.items()}
        extra = abs(mean) / 2
        out[extra] = out.get(extra, 0) + 1
        return mean / 2, out
    mean, rest = _prefix_leaves(x, a - h, y, k - 1)
    out = {v / 2: 2 * t for v, t in rest.items()}
    extra = abs(x - mean) / 2
    out[extra] = out.get(extra, 0) + 1
    return (x + mean) / 2, out


def _select(entries: int, width: int, controls: int) -> LogicalCost:
    return lookup(entries, controls)


def carleman_column_oracle(clock: int, carleman: int, lookup_fn=None) -> LogicalCost:
    """``ApplyCarlemanColumnOracle``: IncByI on m qubits, the l_t = 0 copy (m_c controlled CNOT+X pairs under m_t
    controls), the m_t-controlled table-index oracle (two Selects of 4^{m_c} entries, m_c controlled SWAPs) and the
    clock adder IncByLE(m_t)."""
    mt, mc = clock, carleman
    lk = lookup_fn or _select
    copy = mcx(mt + 1).then(mcx(mt)).repeat(mc)
    index = lk(4**mc, mc, mt).repeat(2).then(mcx(mt + 1).repeat(mc))
    return adder(mt + mc).then(copy).then(index).then(adder(mt))


def carleman_row_oracle(clock: int, carleman: int, lookup_fn=None) -> LogicalCost:
    """``ApplyCarlemanRowOracle``: the column oracle's index part with the row tables, the negation IncByI(1) of l_t
    and the clock adder."""
    return carleman_column_oracle(clock, carleman, lookup_fn).then(adder(clock))


def carleman_entry_oracle(clock: int, carleman: int, angle_bits: int, *, idle: bool, max_abs: float | None = 1.0,
                          lookup_fn=None) -> LogicalCost:
    """``ApplyCarlemanEntryOracle``: computed (and uncomputed) case flags — two register equalities, the shifted
    equality (IncByI(1) around it), ApplyIfInRange for the M steps and (p > 0) the idle steps, two CCNOT, one CCCX —
    and the b-bit angle lookup (4^{m_c} entries); then the flag rotations: a 3-controlled Ry(π), Ry(2θ_id),
    Ry(2θ_idle) (θ = arccos(±1/max_abs); Clifford when max_abs = 1) and b doubly-controlled Ry(4π·2^{k−b}).
    ``max_abs=None`` means a generic max|L| > 1."""
    mt, mc, b = clock, carleman, angle_bits
    flags = (mcx(mt).then(mcx(mc)).then(adder(mt).repeat(2)).then(mcx(mt))
             .then(in_range(mt, True).repeat(2 if idle else 1))
             .then(mcx(2).repeat(2)).then(mcx(3)).then((lookup_fn or _select)(4**mc, b, 0)))
    if max_abs is None:
        th_id = th_idle = None
    else:
        th_id, th_idle = 2 * math.acos(1.0 / max_abs), 2 * math.acos(-1.0 / max_abs)
    rot = controlled_ry(3, _PI).then(controlled_ry(1, th_id)).then(controlled_ry(1, th_idle))
    for k in range(b - 1, -1, -1):
        rot = rot.then(controlled_ry(2, 4 * _PI * 2.0 ** (k - b)))
    return flags.repeat(2).then(rot)


def carleman_block_encoding(clock: int, carleman: int, angle_bits: int, sparsity: int, *, idle: bool,
                            max_abs: float | None = 1.0, lookup_fn=None) -> LogicalCost:
    """One call of the solver's block-encoding (``SparseBlockEncoding(CarlemanSparseOracles(data))`` or its adjoint,
    equal counts): D_s, column oracle, entry oracle, m SWAPs, row oracle†, D_s† (GSLW 2019, Lemma 48).

    ``lookup_fn(entries, width, controls)`` replaces the built std Select by another loading model (a circuit that
    is not built; see :mod:`pyqgd.estimate.loading`)."""
    m = clock + carleman
    ds = index_superposition(sparsity, m)
    return (ds.then(carleman_column_oracle(clock, carleman, lookup_fn))
            .then(carleman_entry_oracle(clock, carleman, angle_bits, idle=idle, max_abs=max_abs, lookup_fn=lookup_fn))
            .then(carleman_row_oracle(clock, carleman, lookup_fn)).then(ds))


# ------------------------------------------------------------------------------------------ QSVT, amplification


def projector_phase(ancillas: int, phase: float | None = None) -> LogicalCost:
    """``Qsvt.ApplyProjectorPhase``: the a-controlled X into sig, computed and uncomputed, and Rzz(2ψ)."""
    return mcx(ancillas).repeat(2).then(_rot(None if phase is None else 2 * phase))


def real_qsvt(block_encoding: LogicalCost, ancillas: int, degree: int, phases=None) -> LogicalCost:
    """``Qsvt.ApplyRealQsvt``: d block-encoding calls (U and U† alternate, equal counts) and d + 1 projector phases
    (the given phases, or generic)."""
    d = check_size(degree, "degree")
    if phases is not None and len(phases) != d + 1:
        raise EstimateInputError(f"a degree-{d} QSVT has {d + 1} phases, got {len(phases)}")
    if phases is None:
        pp = projector_phase(ancillas).repeat(d + 1)
    else:
        pp = ZERO
        for ph in phases:
            pp = pp.then(projector_phase(ancillas, float(ph)))
    return block_encoding.repeat(d).then(pp)


def final_window_phase(clock: int, ancillas: int, level: int, phase: float | None = None) -> LogicalCost:
    """``HistoryState.ApplyPhaseOnFinalWindow``: the flag (clock < T) by ApplyIfInRange(0, T − 1) computed and
    uncomputed, and the phase on all-zero of the a ancillas, level register and flag (R1 with a + m_ℓ controls)."""
    return in_range(clock, False).repeat(2).then(controlled_r1(ancillas + level, phase))


@dataclass(frozen=True)
class TensorPowerSpec:
    """What ``PrepareTensorPowers`` needs for costing: the level amplitudes, the slot amplitudes (``Values``) and the
    number of basis transpositions; ``None`` amplitudes mean generic values of the given size."""

    values: tuple | None
    num_values: int
    swaps: int
    level_amplitudes: tuple | None = None
    signed: bool = True


@dataclass(frozen=True)
class RhsSpec:
    """What ``PrepareHistoryRhs`` needs: register sizes, clock amplitudes (or ``None`` = generic on all clock
    values), the initial and constant tensor-power states."""

    clock: int
    level: int
    slot: int
    slots: int
    clock_amplitudes: tuple | None
    initial: TensorPowerSpec
    constant: TensorPowerSpec | None


def _prep(amplitudes, size: int, n: int, controls: int, signed: bool) -> LogicalCost:
    if amplitudes is not None:
        return prepare_pure_state(amplitudes, n, controls)
    return generic_prepare_pure_state(n, controls, signed=signed)


def _transposition(width: int, controls: int) -> LogicalCost:
    """``ApplyBasisTransposition`` on w qubits with c controls: CNOTs, then X controlled on the other w − 1 bits."""
    return mcx(width - 1 + controls) if width > 1 else mcx(controls)


def _sparse_state(st: TensorPowerSpec, slot: int, controls: int) -> LogicalCost:
    n = max(1, (st.num_values - 1).bit_length()) if st.num_values > 1 else 1
    return _prep(st.values, st.num_values, n, controls, st.signed).then(_transposition(slot, controls).repeat(st.swaps))


def _tensor_powers(st: TensorPowerSpec, rhs: RhsSpec, controls: int) -> LogicalCost:
    c = ZERO
    if rhs.level > 0:
        c = c.then(_prep(st.level_amplitudes, rhs.slots, rhs.level, controls, False))
    c = c.then(_sparse_state(st, rhs.slot, controls))
    pairs = rhs.slots * (rhs.slots - 1) // 2
    if pairs:
        c = c.then(_sparse_state(st, rhs.slot, controls + rhs.level).repeat(pairs))
    return c


def history_rhs_preparation(rhs: RhsSpec) -> LogicalCost:
    """``HistoryState.PrepareHistoryRhs``: PreparePureStateD of the clock amplitudes, then the tensor-power states of
    ŷ_in and (when F0 ≠ 0) of b, each controlled by the flag g = (clock = 0) (an m_t-controlled X, computed and
    uncomputed); slot k ≥ 1 of level j ≥ k + 1 is prepared under the level value (N(N−1)/2 controlled preparations)."""
    c = _prep(rhs.clock_amplitudes, 2**rhs.clock, rhs.clock, 0, False)
    if rhs.constant is None:
        return c.then(_tensor_powers(rhs.initial, rhs, 0))
    return (c.then(mcx(rhs.clock).repeat(2)).then(_tensor_powers(rhs.initial, rhs, 1))
            .then(_tensor_powers(rhs.constant, rhs, 1)))


# ------------------------------------------------------------------------------------------ the solver


@dataclass(frozen=True)
class SolverCircuit:
    """Parameters of one built solver run (``CarlemanQsvtSolve``) and its cost parts.

    ``block_encoding``: one call; ``inner``: |B⟩ preparation + QSVT (one ``PrepareAndInvertHistory``);
    ``total``: with L = 2l + 1 inner calls and l pairs of reflections."""

    clock: int
    carleman: int
    level: int
    sparsity: int
    angle_bits: int
    degree: int
    amplification_length: int
    block_encoding: LogicalCost
    rhs: LogicalCost
    inner: LogicalCost
    total: LogicalCost

    @property
    def system_qubits(self) -> int:
        return self.clock + self.carleman

    @property
    def block_encoding_calls(self) -> int:
        return self.degree * self.amplification_length


def solver_qubits(clock: int, carleman: int, angle_bits: int) -> int:
    """Peak live qubits (the tracer's count) of CarlemanQsvtSolve: the 2m + 3 solver qubits (lcu, sig, flag, m index,
    m system) plus the largest scratch of one block-encoding step: the entry oracle's 8 case flags and b angle qubits
    with either ApplyIfInRange's m_t + 4 qubits and its comparator's m_t + 1 helpers, or the angle lookup's 2m_c − 1
    unary-iteration helpers; or the index oracle's m_c scratch and its m_t-controlled lookup's 2m_c + m_t − 1
    helpers."""
    mt, mc, b = clock, carleman, angle_bits
    base = 2 * (mt + mc) + 3
    entry = 8 + b + max(2 * mt + 5, 2 * mc - 1)
    index = mt + 3 * mc - 1
    return base + max(entry, index)


def carleman_solver_circuit(*, clock: int, carleman: int, level: int, slot: int, slots: int, steps: int, blocks: int,
                            sparsity: int, angle_bits: int, degree: int, rhs: RhsSpec, max_abs: float | None = 1.0,
                            phases=None, alphas=None, betas=None, amplification_length: int = 1,
                            block_encoding: LogicalCost | None = None, ancillas: int | None = None) -> SolverCircuit:
    """Cost of ``CarlemanQsvtSolve`` (module docstring) from the parameters of the built circuit.

    ``phases`` (d + 1 QSVT phases), ``alphas``/``betas`` (the l amplification phase pairs) make the rotation counts
    exact; otherwise they are generic and ``amplification_length`` = 2l + 1 sets the number of rounds.

    ``block_encoding`` (one call, with ``num_qubits`` = its peak qubits *including* its ``ancillas`` and the system
    register) and ``ancillas`` replace the structured sparse encoding by another one plugged into the same solver
    (e.g. ``Solve.HistorySolve.HistorySolveKronecker`` / ``Solve.HistorySolve.HistorySolve``): the |B⟩ preparation, QSVT and amplification are
    unchanged, the projector phases act on its ancillas, and the peak qubits are its peak + 2 (lcu, sig).
    """
    mt, mc = clock, carleman
    m = mt + mc
    if blocks < steps + 1:
        raise EstimateInputError(f"K = {blocks} time blocks cannot hold T = {steps} steps")
    if block_encoding is None:
        be = carleman_block_encoding(mt, mc, angle_bits, sparsity, idle=blocks - 1 > steps, max_abs=max_abs)
        a = m + 1
    else:
        if ancillas is None:
            raise EstimateInputError("pass the number of ancillas of the given block-encoding")
        be, a = block_encoding, check_size(ancillas, "ancillas")
    prep = history_rhs_preparation(rhs)
    inner = prep.then(real_qsvt(be, a, degree, phases))
    if alphas is not None:
        if betas is None or len(alphas) != len(betas):
            raise EstimateInputError("alphas and betas must have the same length")
        rounds = len(alphas)
        refl = ZERO
        for al, bt in zip(alphas, betas):
            refl = refl.then(final_window_phase(mt, a + 2, level, float(bt))).then(controlled_r1(a + m + 1, -float(al)))
    else:
        L = check_size(amplification_length, "amplification_length")
        if L % 2 == 0:
            raise EstimateInputError(f"the fixed-point sequence length L = 2l + 1 is odd, got {L}")
        rounds = (L - 1) // 2
        refl = final_window_phase(mt, a + 2, level).then(controlled_r1(a + m + 1, None)).repeat(rounds)
    total = inner.repeat(2 * rounds + 1).then(refl)
    q = solver_qubits(mt, mc, angle_bits) if block_encoding is None else block_encoding.num_qubits + 2
    total = LogicalCost(num_qubits=q, qubits_allocated=q, t_count=total.t_count, ccz_count=total.ccz_count,
                        rotation_count=total.rotation_count, rotation_depth=total.rotation_depth,
                        measurement_count=total.measurement_count)
    return SolverCircuit(clock=mt, carleman=mc, level=level, sparsity=sparsity, angle_bits=angle_bits, degree=degree,
                         amplification_length=2 * rounds + 1, block_encoding=be, rhs=prep, inner=inner, total=total)


def _tensor_spec(st: dict, signed_values: bool = True) -> TensorPowerSpec:
    return TensorPowerSpec(values=tuple(st["Values"]), num_values=len(st["Values"]), swaps=len(st["Swaps"]),
                           level_amplitudes=tuple(st["LevelAmplitudes"]))


def solver_circuit_from_qsharp(data: dict, rhs: dict, phases, alphas=(), betas=(), *, layered_depth: bool = True
                               ) -> SolverCircuit:
    """The exact cost of ``CarlemanQsvtSolve(data, phases, rhs, alphas, betas)`` from the same Q# arguments (the
    dicts of ``CarlemanOracleData.to_qsharp()`` and ``history_rhs(...).qsharp``). Rotation depth: the layering of
    :func:`solver_rotation_depth` (``layered_depth=False``: the sequential sum, an upper bound, fast at any degree)."""
    spec = RhsSpec(clock=rhs["NumClock"], level=rhs["NumLevel"], slot=rhs["NumSlot"], slots=rhs["NumSlots"],
                   clock_amplitudes=tuple(rhs["ClockAmplitudes"]), initial=_tensor_spec(rhs["Initial"]),
                   constant=_tensor_spec(rhs["Constant"]) if rhs["HasConstant"] else None)
    sc = carleman_solver_circuit(
        clock=data["NumClock"], carleman=data["NumCarleman"], level=rhs["NumLevel"], slot=rhs["NumSlot"],
        slots=rhs["NumSlots"], steps=data["Steps"], blocks=data["Blocks"], sparsity=data["Sparsity"],
        angle_bits=data["AngleBits"], degree=len(phases) - 1, rhs=spec, max_abs=data["MaxAbs"], phases=list(phases),
        alphas=list(alphas), betas=list(betas))
    if not layered_depth:
        return sc
    depth = solver_rotation_depth(data, rhs, list(phases), list(alphas), list(betas))
    return replace(sc, total=replace(sc.total, rotation_depth=depth))


# ------------------------------------------------------------------------------------------ rotation depth


class _Layers:
    """A coarse form of the tracer's layering (its exact rule: :mod:`pyqgd.estimate.layering`): an arbitrary rotation
    on q adds one layer to q; a CNOT brings its two qubits to their common maximum; any gate with a Toffoli (CCZ) is
    a barrier for all qubits (T gates and Toffolis take no layer of their own). Used by the QSVT solver's depth
    (:func:`solver_rotation_depth`), which it keeps within 2 % of the tracer."""

    def __init__(self):
        self.d: dict = {}
        self.floor = 0

    def rot(self, q, phi):
        if rotation_kind(phi) == "rotation":
            self.d[q] = max(self.d.get(q, 0), self.floor) + 1

    def sync(self, qs):
        qs = list(qs)
        m = max([self.d.get(q, 0) for q in qs] + [self.floor])
        for q in qs:
            self.d[q] = m

    def barrier(self, rotations: int = 0):
        """A Toffoli-containing block (with ``rotations`` sequential rotations): everything before it finishes first."""
        self.floor = self.depth + rotations
        self.d = {}

    def sync_or_barrier(self, qs):
        """A multi-controlled operation on ``qs``: a barrier when it holds Toffolis (≥ 3 qubits), else a sync."""
        if mcx(len(qs) - 1).ccz_count:
            self.barrier()
        else:
            self.sync(qs)

    def projector_phase(self, ancillas, phase):
        """``Qsvt.ApplyProjectorPhase``: the ancillas' all-zero test into ``sig`` (both ways) around R(2φ) on lcu."""
        self.sync_or_barrier(ancillas + ["sig"])
        self.sync(["sig", "lcu"])
        self.rot("lcu", 2 * phase)
        self.sync(["sig", "lcu"])
        self.sync_or_barrier(ancillas + ["sig"])

    @property
    def depth(self) -> int:
        return max([self.floor] + list(self.d.values()))


def _gen(c, control, target, adjoint):
    c = list(c) + [0.0] * (2 ** len(control) - len(c))
    if len(c) == 1:
        return [("r", target, c[0])]
    h = len(c) // 2
    c0 = [(c[i] + c[i + h]) / 2 for i in range(h)]
    c1 = [(c[i] - c[i + h]) / 2 for i in range(h)]
    x = ("x", control[-1], target)
    if not adjoint:
        return _gen(c0, control[:-1], target, False) + [x] + _gen(c1, control[:-1], target, False) + [x]
    return [x] + _gen(c1, control[:-1], target, True) + [x] + _gen(c0, control[:-1], target, True)


def _mz_gates(c, control, target, ctrl, adjoint):
    def plain(cc, adj):
        seq = _gen(cc, control, target, adj)
        if adj:
            seq = seq[::-1]
        return [g for g in seq if not (g[0] == "r" and abs(g[2]) == 0)]

    if not ctrl:
        return plain(c, adjoint)
    c = list(c) + [0.0] * (2 ** len(control) - len(c))
    m = ("m", tuple(ctrl) + (target,))
    c0, c1 = [x / 2 for x in c], [-x / 2 for x in c]
    if not adjoint:
        return plain(c0, False) + [m] + plain(c1, False) + [m]
    return [m] + plain(c1, True) + [m] + plain(c0, True)


def _gphase_gates(arg, ctrl):
    return [("g", tuple(ctrl), arg)] if ctrl and abs(arg) > 0 else []


def _unprepare_gates(coeffs, control, target, ctrl, adjoint):
    dY, dZ, new = _sbm([(coeffs[2 * i], coeffs[2 * i + 1]) for i in range(len(coeffs) // 2)])
    if not control:
        rest = _gphase_gates(new[0][1], ctrl)
    elif any(r > 0 for r, _ in new):
        rest = _unprepare_gates(new, control[1:], control[0], ctrl, adjoint)
    else:
        rest = []
    if not adjoint:
        return _mz_gates(dZ, control, target, ctrl, False) + _mz_gates(dY, control, target, ctrl, False) + rest
    return rest + _mz_gates(dY, control, target, ctrl, True) + _mz_gates(dZ, control, target, ctrl, True)


def _ppsd_gates(amplitudes, qubits, ctrl=(), adjoint=False) -> tuple:
    """The gate order of ``PreparePureStateD`` (or its adjoint: the std adjoint is not the reversed gate list) on
    named qubits: rotations, CNOTs and controlled X (memoized: a solver's layering replays the same preparations)."""
    return _ppsd_gates_cached(tuple(amplitudes), tuple(qubits), tuple(ctrl), bool(adjoint))


@lru_cache(maxsize=4096)
def _ppsd_gates_cached(amplitudes: tuple, qubits: tuple, ctrl: tuple, adjoint: bool) -> tuple:
    return tuple(_ppsd_gate_list(amplitudes, qubits, ctrl, adjoint))


def _ppsd_gate_list(amplitudes, qubits, ctrl, adjoint):
    n = len(qubits)
    qr = list(reversed(qubits))
    amps = list(amplitudes) + [0.0] * (2**n - len(amplitudes))
    pad = [(abs(x), _PI if x < 0 else 0.0) for x in amps]
    dY, dZ, new = _sbm([(pad[2 * i], pad[2 * i + 1]) for i in range(2 ** (n - 1))])
    if n == 1:
        first = _gphase_gates(new[0][1], list(ctrl))
    elif any(r > 0 for r, _ in new):
        first = _unprepare_gates(new, qr[2:], qr[1], list(ctrl), not adjoint)
    else:
        first = []
    if not adjoint:
        return first + _mz_gates(dY, qr[1:], qr[0], list(ctrl), True) + _mz_gates(dZ, qr[1:], qr[0], list(ctrl), True)
    return _mz_gates(dZ, qr[1:], qr[0], list(ctrl), False) + _mz_gates(dY, qr[1:], qr[0], list(ctrl), False) + first


def _run_gates(lay: _Layers, gates):
    for g in gates:
        if g[0] == "r":
            lay.rot(g[1], 2 * g[2])
        elif g[0] == "x":
            lay.sync([g[1], g[2]])
        elif g[0] == "m":
            if len(g[1]) > 2:
                lay.barrier()
            else:
                lay.sync(g[1])
        else:  # controlled global phase = R1 with one control fewer
            ctrl, th = list(g[1]), g[2]
            if len(ctrl) == 1:
                lay.rot(ctrl[0], th)
            else:
                lay.barrier(controlled_r1(len(ctrl) - 1, th).rotation_count)


def _rhs_layers(lay: _Layers, rhs: dict, sys: list, adjoint: bool = False):
    mt, ml, w, N = rhs["NumClock"], rhs["NumLevel"], rhs["NumSlot"], rhs["NumSlots"]
    clock, level, slots = sys[:mt], sys[mt:mt + ml], sys[mt + ml:]
    steps = []  # closures in body order; the adjoint runs them reversed, each adjointed

    def ppsd(amps, qs, ctrl=()):
        steps.append(lambda adj: _run_gates(lay, _ppsd_gates(amps, qs, ctrl, adj)))

    def sync_or_barrier(qs, ccz):
        steps.append(lambda adj: lay.barrier() if ccz else lay.sync(qs))

    ppsd(rhs["ClockAmplitudes"], clock)

    def sparse(st, slot, ctrl):
        vals = st["Values"]
        md = max(1, (len(vals) - 1).bit_length()) if len(vals) > 1 else 1
        ppsd(vals, slot[w - md:], ctrl)
        for _ in st["Swaps"]:
            sync_or_barrier(list(slot) + list(ctrl), _transposition(w, len(ctrl)).ccz_count > 0)

    def powers(st, ctrl):
        if ml > 0:
            ppsd(st["LevelAmplitudes"], level, ctrl)
        for k in range(N):
            slot = slots[k * w:(k + 1) * w]
            if k == 0:
                sparse(st, slot, ctrl)
            else:
                for _ in range(k, N):
                    sparse(st, slot, tuple(ctrl) + tuple(level))

    if rhs["HasConstant"]:
        sync_or_barrier(list(clock) + ["g"], mcx(mt).ccz_count > 0)
        powers(rhs["Initial"], ("g",))
        powers(rhs["Constant"], ("g",))
        sync_or_barrier(list(clock) + ["g"], mcx(mt).ccz_count > 0)
    else:
        powers(rhs["Initial"], ())
    for step in (steps[::-1] if adjoint else steps):
        step(adjoint)


def _be_layers(lay: _Layers, data: dict, idx: list):
    s, b = data["Sparsity"], data["AngleBits"]
    pow2 = s & (s - 1) == 0
    # U (the adjoint of the sparse encoding) and U† both start with D_s and end with D_s†
    _run_gates(lay, [] if pow2 else _ppsd_gates([1.0] * s, idx))
    ent = carleman_entry_oracle(data["NumClock"], data["NumCarleman"], b, idle=data["Blocks"] - 1 > data["Steps"],
                                max_abs=data["MaxAbs"])
    lay.barrier(ent.rotation_count)  # the oracles hold Toffolis; the flag rotations are doubly controlled
    lay.barrier()
    _run_gates(lay, [] if pow2 else _ppsd_gates([1.0] * s, idx, (), True))


def qsvt_phase_order(phases, adjoint: bool = False) -> list:
    """The QSVT phases in the order ``Qsvt.ApplyRealQsvt`` applies them (φ_d first), reversed for its adjoint."""
    return list(phases) if adjoint else list(phases)[::-1]


def solver_rotation_depth(data: dict, rhs: dict, phases, alphas=(), betas=()) -> int:
    """Rotation depth of ``CarlemanQsvtSolve`` by layering (:class:`_Layers`: the std gate order inside every state
    preparation and D_s, CNOTs synchronising their two qubits, every Toffoli-containing block — oracles, multi-
    controlled phases, the flag rotations — a barrier): within 2 % of the tracer's layering on the validation
    instances (within 1.7 % measured; the parallelism inside the oracles is not resolved)."""
    mt, mc = data["NumClock"], data["NumCarleman"]
    m = mt + mc
    idx = [("i", k) for k in range(m)]
    sys = [("s", k) for k in range(m)]
    anc = ["flag"] + idx
    lay = _Layers()
    level = sys[mt:mt + rhs["NumLevel"]]

    def projector(phase):
        lay.projector_phase(anc, phase)

    def inner(adjoint=False):
        order = qsvt_phase_order(phases, adjoint)
        if not adjoint:
            _rhs_layers(lay, rhs, sys)
        projector(order[0])
        for ph in order[1:]:
            _be_layers(lay, data, idx)
            projector(ph)
        if adjoint:
            _rhs_layers(lay, rhs, sys, adjoint=True)

    inner()
    for a, bt in zip(alphas, betas):
        lay.barrier(controlled_r1(m + 3 + len(level), bt).rotation_count)
        lay.barrier()
        inner(adjoint=True)
        lay.barrier(controlled_r1(2 * m + 2, -a).rotation_count)
        inner()
    return lay.depth
