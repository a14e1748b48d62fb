"""Cost of one call of the Kronecker block-encoding of the T-step Carleman matrix (``pyqgd.quantum.kronecker``,
Q# ``Carleman/Kronecker.qs``), its α_L and its stored data, from sizes.

The call splits into two parts (reads of the F's, and the rest). With dense tables (``loading="qrom"`` or
``"selectswap"``, ``pyqgd.quantum.lookups``) each factor operation is :func:`dense_factor_reads`: a forward and a
reverse read (:func:`pyqgd.estimate.loading.qrom_read_cost` / :func:`~pyqgd.estimate.loading.qroam_read_cost`) and
the angle rotation between them (:func:`angle_rotation`). With ``loading="records"``:

* the **record lookups** (everything that scales with nnz(F1) + nnz(F2)): each factor operation (F1 at each of the N
  slots, F2 at each of the N − 1 slot pairs, every one present in some term) runs two sparse QROMs over the factor's
  records — forward (writes row and row position and rotates the flag by the record's angle) and reverse (column,
  column position) — and each record costs one address comparison per QROM: an AND chain over c = 1 + address bits
  controls (the factor's gate and the address) into scratch qubits the call holds, c − 1 Toffolis computed and
  c − 1 uncomputed, plus the forward one's rotation under the comparison (one Rzz per record and one merged Rz per
  lookup, :func:`record_lookups`). Forward addresses
  have w_in + ⌈log₂ s_c⌉ bits (w_in = w for F1, 2w for F2), reverse ones w + ⌈log₂ s_r⌉. This part is a closed form
  (:func:`record_lookups`).
* the **skeleton**: the same circuit with the records removed (clock comparators and increment, level checks, term
  PREPAREs, SELECT's term comparisons, gated index superpositions and output swaps, the F0 preparation, the slot
  permutations). It is independent of n's data (only of the register widths, N, T, p and the
  sparsities) and is traced from the Q# circuit itself at the full register sizes (``TraceKroneckerSkeleton``; a few
  thousand operations even at n = 10⁸). At model scale the F0 preparation is charged with the sparse state-preparation
  model of :func:`pyqgd.estimate.logical.sparse_state_preparation` per F0 operation instead (the skeleton then
  carries a 1-sparse F0).

The sum equals the traced counts of one call exactly (CCZ, T, rotations, measurements, qubits: the record
comparisons allocate nothing, their chains run in the scratch register the skeleton already holds), rotation depth
within 2 % (``tests/test_quantum_kronecker.py``).

α_L = 1 + α_M with the level-split LCU of ``pyqgd.quantum.kronecker``: α_M = max over levels of the term sums, each
term the product of α_0 = ‖F0‖, α_G1 = 1 + α_1, α_2; α_1 = √(s_r s_c)·max|F1|, α_2 = √(s_r s_c)·max|F2|. At model scale
the inputs are ``f1_alpha`` = α_1 and ``f2_alpha`` = α_2 (defaults 1 and 0.5: a GD step whose Jacobian rows have
ℓ1 norm ≤ 1, and a quadratic part half of it) — state them with the result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from pyqgd._bits import ceil_log2
from pyqgd.estimate import loading as ld
from pyqgd.estimate import logical as lg
from pyqgd.estimate.errors import EstimateInputError, check_size
from pyqgd.quantum._context import get_context
from pyqgd.quantum.kronecker import F0_CHOICE, F1_CHOICE, F2_CHOICE, IDENTITY_CHOICE, carleman_terms, level_split_alpha
from pyqgd.quantum.lookups import KRONECKER_LOADINGS, LOADING_CODES, qroam_blocks

__all__ = ["KroneckerCost", "record_lookups", "factor_operations", "kronecker_alpha", "kronecker_call_cost",
           "dense_factor_reads", "dense_reads_cache",
           "kronecker_block_encoding_cost", "skeleton_cost", "DEFAULT_F1_ALPHA", "DEFAULT_F2_ALPHA"]

DEFAULT_F1_ALPHA = 1.0
DEFAULT_F2_ALPHA = 0.5


def _and_chain(c: int) -> int:
    """CCZ of one comparison on c controls computed and uncomputed by the AND chain of ``Kronecker.qs``
    (``WithPattern``: c − 1 Toffolis each way, none for a single control)."""
    return 2 * max(c - 1, 0)


def factor_operations(N: int) -> tuple[int, int]:
    """(F1 operations, F2 operations) of one call: F1 at every slot 0..N−1, F2 at every slot pair (s, s+1)."""
    N = check_size(N, "N")
    return N, N - 1


def record_lookups(records: int, in_width: int, out_width: int, column_slot_bits: int, row_slot_bits: int, *,
                   skipped_forward: int = 0, zero_reverse: int = 0, clifford_angles: int = 0,
                   t_angles: int = 0, merged_angle: str = "rotation") -> lg.LogicalCost:
    """The two sparse QROMs of ONE factor operation over ``records`` nonzeros (module docstring).

    Forward (fused with the entry rotation): per record one comparison with c = 1 + w_in + ⌈log₂ s_c⌉ controls,
    computed and uncomputed by an AND chain (2(c − 1) CCZ), and the record's Ry(θ) = Ry(4πx/2^b) on the flag under
    the comparison bit h, written as Rzz_{h,flag}(−θ/2) inside one Y-basis conjugation of the flag per lookup, with
    the records' h-independent halves Rz(θ/2) merged into one Rz(Σθ/2) (Rz(θ/2)·Rzz(−θ/2) is Rz(θ) where h = 1 and
    the identity where h = 0): one rotation per record, or one T when θ/2 is an odd multiple of π/4 (``t_angles``),
    none for multiples of π/2, 0 included (``clifford_angles``: the Q# loop applies nothing for a zero angle), plus the merged rotation (``merged_angle``: "rotation", "t" or
    "clifford", the class of Σθ/2). Reverse: per record with a nonzero word one comparison with 1 + w + ⌈log₂ s_r⌉
    controls. ``skipped_forward``: records with a zero word and angle (none for real nonzeros), ``zero_reverse``:
    column 0 at column position 0.
    """
    E = check_size(records, "records", minimum=0)
    if merged_angle not in ("rotation", "t", "clifford"):
        raise EstimateInputError(f"merged_angle must be 'rotation', 't' or 'clifford'; got {merged_angle!r}")
    c_fwd = 1 + in_width + column_slot_bits
    c_rev = 1 + out_width + row_slot_bits
    ccz = _and_chain(c_fwd) * (E - skipped_forward) + _and_chain(c_rev) * (E - zero_reverse)
    rot = E - clifford_angles - t_angles + (merged_angle == "rotation")
    t = t_angles + (merged_angle == "t")
    return lg.LogicalCost(ccz_count=ccz, t_count=t, rotation_count=rot, rotation_depth=rot)


def _angle_class(num: int, den_log2: int) -> str:
    """Class of the angle 2π·num/2^den_log2 as the tracer counts it: "clifford" (a multiple of π/2), "t" (an odd
    multiple of π/4) or "rotation"."""
    if den_log2 <= 2 or num % 2 ** (den_log2 - 2) == 0:
        return "clifford"
    return "t" if num % 2 ** (den_log2 - 3) == 0 else "rotation"


def angle_rotation(angle_bits: int, *, conditioned: bool = False, condition_bits: int = 0) -> lg.LogicalCost:
    """The flag's Ry(4πx/2^b) by the b-bit angle register (``RotateFlagByAngle``): one Rzz(−θ_k/2) per bit,
    θ_k/2 = 2π·2^k/2^b (Clifford for the top two bits, T for the third), and one merged Rz(Σθ_k/2), each bit's Rzz
    under (bit AND condition): one Toffoli each way per bit; the condition is the factor's gate, and when
    ``conditioned`` (the mirrored F2) also the w = ``condition_bits`` qubits of slot b at |0> (an AND chain of
    w Toffolis each way)."""
    b = check_size(angle_bits, "angle_bits")
    classes = [_angle_class(2**k, b) for k in range(b)] + [_angle_class(2**b - 1, b)]
    rot = classes.count("rotation")
    c = 1 + (condition_bits if conditioned else 0)  # the factor's gate (and slot b's bits)
    ccz = 2 * (c - 1) + 2 * b
    return lg.LogicalCost(ccz_count=ccz, t_count=classes.count("t"), rotation_count=rot, rotation_depth=rot)


def dense_factor_reads(loading: str, fwd_bits: int, fwd_width: int, rev_bits: int, rev_width: int, angle_bits: int, *,
                       fwd_blocks: tuple = (1, 1), rev_blocks: tuple = (1, 1), mirrored: bool = False,
                       slot_bits: int = 0, cached: int = 1) -> lg.LogicalCost:
    """ONE factor operation read from dense tables (``ApplyDenseReads``): the forward read of 2^fwd_bits words of
    fwd_width bits and the reverse read, each under the factor's gate (:func:`pyqgd.estimate.loading.qrom_read_cost`
    or :func:`~pyqgd.estimate.loading.qroam_read_cost` with its (λ, λ′)), and the angle rotation between them
    (:func:`angle_rotation`). Scratch a read holds beyond the call's registers, the larger of the two:
    ``qubits_allocated`` in the circuit, ``num_qubits`` as the QDK tracer counts it with library Selects of up to
    ``cached`` words traced before (:func:`dense_reads_cache`)."""
    return _dense_reads(loading, fwd_bits, fwd_width, rev_bits, rev_width, angle_bits, fwd_blocks, rev_blocks,
                        mirrored, slot_bits, cached)[0]


def dense_reads_cache(loading: str, fwd_bits: int, rev_bits: int, *, fwd_blocks: tuple = (1, 1),
                      rev_blocks: tuple = (1, 1), cached: int = 1) -> int:
    """The QDK tracer's Select cache (the largest ``SinglyControlledSelect`` table size traced,
    :func:`pyqgd.estimate.loading.read_select_sizes`) after one :func:`dense_factor_reads` from ``cached``."""
    for bits, blocks in ((fwd_bits, fwd_blocks), (rev_bits, rev_blocks)):
        sizes = (ld.read_select_sizes(bits, 1) if loading == "qrom" else
                 ld.read_select_sizes(bits, 1, block=blocks[0], fix_block=blocks[1]))
        cached = max([cached] + sizes)
    return cached


def _dense_reads(loading, fwd_bits, fwd_width, rev_bits, rev_width, angle_bits, fwd_blocks, rev_blocks, mirrored,
                 slot_bits, cached, adjoint=False):
    if loading not in ("qrom", "selectswap"):
        raise EstimateInputError(f"dense tables are read by 'qrom' or 'selectswap'; got {loading!r}")

    def read(bits, width, blocks, c):
        if loading == "qrom":
            return ld.qrom_read_cost(bits, width, 1, cached=c)
        return ld.qroam_read_cost(bits, width, blocks[0], blocks[1], controls=1, cached=c)

    if adjoint:  # U†: the reverse read runs first
        rev = read(rev_bits, rev_width, rev_blocks, cached)
        mid = dense_reads_cache(loading, rev_bits, 0, fwd_blocks=rev_blocks, rev_blocks=(1, 1), cached=cached)
        fwd = read(fwd_bits, fwd_width, fwd_blocks, mid)
    else:
        fwd = read(fwd_bits, fwd_width, fwd_blocks, cached)
        mid = dense_reads_cache(loading, fwd_bits, 0, fwd_blocks=fwd_blocks, rev_blocks=(1, 1), cached=cached)
        rev = read(rev_bits, rev_width, rev_blocks, mid)
    rot = angle_rotation(angle_bits, conditioned=mirrored, condition_bits=slot_bits)
    total = fwd.then(rot).then(rev)
    after = dense_reads_cache(loading, fwd_bits, rev_bits, fwd_blocks=fwd_blocks, rev_blocks=rev_blocks,
                              cached=cached)
    return replace(total, num_qubits=max(fwd.num_qubits, rev.num_qubits),
                   qubits_allocated=max(fwd.qubits_allocated, rev.qubits_allocated)), after


def kronecker_alpha(N: int, f0_alpha: float, f1_alpha: float, f2_alpha: float) -> float:
    """α_L = 1 + α_M of the level-split LCU (module docstring), from α_0 = ‖F0‖, α_1, α_2 (0: that F is zero)."""
    for name, v in (("f0_alpha", f0_alpha), ("f1_alpha", f1_alpha), ("f2_alpha", f2_alpha)):
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
            raise EstimateInputError(f"{name} must be a finite number ≥ 0, got {v!r}")
    terms = carleman_terms(N, {F0_CHOICE: float(f0_alpha), IDENTITY_CHOICE: 1.0, F1_CHOICE: float(f1_alpha),
                               F2_CHOICE: float(f2_alpha)})
    return 1.0 + level_split_alpha(terms, N)


def skeleton_cost(data: dict) -> lg.LogicalCost:
    """Traced counts of ``Carleman.Kronecker.TraceKroneckerSkeleton`` (the call without F records) for a Q#
    ``KroneckerCarlemanData`` value."""

    ctx = get_context()
    c = dict(ctx.logical_counts(ctx.code.Carleman.Kronecker.TraceKroneckerSkeleton, data))
    return lg.LogicalCost(num_qubits=int(c["numQubits"]), t_count=int(c["tCount"]), ccz_count=int(c["cczCount"]),
                          rotation_count=int(c["rotationCount"]), rotation_depth=int(c["rotationDepth"]),
                          measurement_count=int(c["measurementCount"]), qubits_allocated=int(c["numQubits"]))


def _combine(skeleton: lg.LogicalCost, records: lg.LogicalCost, base: int | None = None) -> lg.LogicalCost:
    """Skeleton + records. Rotation depth: the record rotations act on one flag, serialized by the comparisons
    between them, after the skeleton's layers. Peak qubits: the skeleton's (the record comparisons run in the
    call's scratch register, which the skeleton holds at the same width), or the ``base`` qubits the call holds
    throughout (:func:`call_base_qubits`) plus the scratch a dense read allocates (``records.num_qubits``: the
    Select's, and QROAM's λ·w block) when larger."""
    out = skeleton.then(records)
    if base is None:
        return out
    return replace(out, num_qubits=max(skeleton.num_qubits, base + records.num_qubits),
                   qubits_allocated=max(skeleton.qubits_allocated, base + records.qubits_allocated))


def kronecker_call_cost(enc, *, adjoint: bool = False) -> lg.LogicalCost:
    """Cost of one call of the built encoding ``enc`` (a ``pyqgd.quantum.kronecker.KroneckerEncoding``): traced
    skeleton plus the closed-form record lookups with this instance's exact zero-word counts. ``adjoint``: the
    call U† (same counts; the tracer's qubit peak of a first call can differ, because its dense reads meet the
    tracer's Select cache in the other order: each factor's reverse read first)."""
    wd = enc.widths
    w, lc, lr = wd["row"], wd["column_slot"], wd["row_slot"]
    n1, n2 = factor_operations(enc.layout.N)
    used = {c for t in enc.terms for (c, _) in t["factors"]}
    rec, cached = lg.ZERO, 1
    for f, ops, ch in ((enc.f1, n1, 2), (enc.f2, n2, 3)):  # the order the call first reads them (slot 0)
        if ch not in used or f.nnz == 0:
            continue
        if f.loading != "records":
            one, cached = _built_dense_reads(enc, f, cached, adjoint)
            rec = rec.then(one.repeat(ops))
            continue
        fw = f.rows + (f.row_slots << w)
        rv = f.cols + (f.col_slots << f.in_width)
        b = enc.angle_bits
        x = f.angles.astype(object)
        quarter = [(int(v) % 2 ** max(b - 2, 0)) == 0 for v in x]  # θ/2 a multiple of π/2 (b ≥ 3)
        eighth = [(int(v) % 2 ** max(b - 3, 0)) == 0 for v in x]
        cliff = sum(quarter)  # 0 included: a record whose angle quantizes to 0 applies no rotation
        tgate = sum(1 for q, e in zip(quarter, eighth) if e and not q)
        total = int(sum(int(v) for v in x))  # the merged Rz(Σθ/2), Σθ/2 = 2π·total/2^b
        merged = ("clifford" if total % 2 ** max(b - 2, 0) == 0 else
                  "t" if total % 2 ** max(b - 3, 0) == 0 else "rotation")
        one = record_lookups(f.nnz, f.in_width, w, lc, lr,
                             skipped_forward=int(((fw == 0) & (f.angles == 0)).sum()),
                             zero_reverse=int((rv == 0).sum()), clifford_angles=cliff, t_angles=tgate,
                             merged_angle=merged)
        rec = rec.then(one.repeat(ops))
    data = enc.to_qsharp()
    return _combine(skeleton_cost(data), rec, call_base_qubits(data))


def call_base_qubits(data: dict) -> int:
    """Qubits one call holds throughout (``ApplyKroneckerCarleman``): ancillas and system of the block-encoding, the
    three branch qubits and the scratch register (Q# ``KroneckerScratch``), for a Q# ``KroneckerCarlemanData``."""

    ctx = get_context()
    scratch = int(ctx.run(ctx.code.Carleman.KroneckerSelect.KroneckerScratch, 1, data)[0])
    be = ctx.code.Carleman.Kronecker
    anc = int(ctx.run(be.KroneckerMAncillas, 1, data)[0]) + 2
    system = data["NumClock"] + data["NumLevel"] + data["NumSlots"] * data["SlotWidth"]
    return anc + system + 3 + scratch


def _built_dense_reads(enc, f, cached: int = 1, adjoint: bool = False) -> tuple[lg.LogicalCost, int]:
    """(:func:`dense_factor_reads` of one factor of a built encoding, from its tables' sizes and (λ, λ′), with the
    tracer's Select cache ``cached`` before it; the cache after it)."""
    wd = enc.widths
    w, lc, lr, b = wd["row"], wd["column_slot"], wd["row_slot"], enc.angle_bits
    return _dense_reads(f.loading, len(f.fwd_table).bit_length() - 1, w + lr + b + (w if f.mirrored else 0),
                        len(f.rev_table).bit_length() - 1, w + lc + b, b, f.fwd_blocks, f.rev_blocks, f.mirrored, w,
                        cached, adjoint)


@dataclass(frozen=True)
class KroneckerCost:
    """One call of the Kronecker encoding at model scale: ``cost`` (LogicalCost), ``alpha`` (α_L),
    ``stored_entries`` (nnz(F1) + nnz(F2) + nnz(F0)), ``num_ancillas``, and the α inputs used."""

    cost: lg.LogicalCost
    alpha: float
    stored_entries: int
    num_ancillas: int
    alpha_inputs: dict
    #: (name, count, cost of one) of the parts that compose ``cost`` (read by ``pyqgd.estimate.tree``).
    parts: tuple = ()


def kronecker_block_encoding_cost(n: int, s: int, N: int, *, T: int, p: int | None = None, s_F2: int | None = None,
                                  nnz_F0: int = 0, clock_qubits: int | None = None, angle_bits: int = 16,
                                  loading: str = "qrom", f1_alpha: float = DEFAULT_F1_ALPHA,
                                  f2_alpha: float = DEFAULT_F2_ALPHA, norm_F0: float = 0.0,
                                  max_extra_qubits: int | None = None, symmetric_F2: bool = True) -> KroneckerCost:
    """Model-scale cost of one call for n parameters, s nonzeros per row and column of F1, s_F2 per row of F2
    (default s², s per column pair), nnz_F0 nonzeros of F0 (‖F0‖ = ``norm_F0``), order N, T steps, p idle steps.

    ``loading``: "qrom" (dense tables read by unary-iteration QROM), "selectswap" (dense tables read by QROAM with
    measurement-based clean-up, λ from :func:`pyqgd.quantum.lookups.qroam_blocks` under ``max_extra_qubits``) or
    "records" (one comparison per record). Dense tables: F1's over n·2^⌈log₂ s⌉ entries; F2's mirrored when
    ``symmetric_F2`` (F2 = −(η/2)∇³L of a loss), over n·2^⌈log₂ s_F2⌉, with α_2 = s_F2·max|F2| — the input
    ``f2_alpha`` (= √(s_r s_c)·max|F2| with s_c = s) is scaled by √(s_F2/s); a non-symmetric F2 keeps its records.
    Records: nnz(F1) = n·s, nnz(F2) = n·s_F2, all words nonzero.
    """

    n, s, N, T = check_size(n, "n"), check_size(s, "s"), check_size(N, "N"), check_size(T, "T")
    p = T if p is None else check_size(p, "p", minimum=0)
    b = check_size(angle_bits, "angle_bits")
    s2 = s * s if s_F2 is None else check_size(s_F2, "s_F2")
    d0 = check_size(nnz_F0, "nnz_F0", minimum=0)
    if loading not in KRONECKER_LOADINGS:
        raise EstimateInputError(f"the Kronecker encoding reads its F tables by {', '.join(KRONECKER_LOADINGS)}; got "
                                 f"loading={loading!r} (use block_encoding='sparse' for {loading!r})")
    if d0 and not norm_F0 > 0:
        raise EstimateInputError("nnz_F0 > 0 needs norm_F0 = ‖F0‖ > 0 for α")
    w = max(1, ceil_log2(n))
    mt = max(1, ceil_log2(T + 1 + p)) if clock_qubits is None else check_size(clock_qubits, "clock_qubits")
    mirrored = loading != "records" and symmetric_F2 and N >= 2
    s2c = s2 if mirrored else s  # F2's column sparsity: row a's records (mirrored), else (a, b) taken s-sparse
    a2 = f2_alpha * math.sqrt(s2 / s) if mirrored else f2_alpha
    lc, lr = ceil_log2(max(s, s2c)), ceil_log2(max(s, s2))
    data = _skeleton_data(w, n, N, T, p, mt, b, s, s2, d0, f1_alpha, a2, norm_F0, loading, s2c)
    n1, n2 = factor_operations(N)
    sk = skeleton_cost(data)
    parts = [("skeleton (traced): clock, levels, PREPARE/SELECT, swaps", 1, sk)]
    parts += _model_reads(loading, n, w, s, s2, lc, lr, b, mirrored, max_extra_qubits, n1, n2)
    if d0 > 1:  # the skeleton carries a 1-sparse F0: charge the rest with the sparse state-preparation model
        f0_ops = len({sl for t in data["TermFactors"] for (c, sl) in t if c == 0})
        parts.append(("F0 state preparation (sparse model)", f0_ops, lg.sparse_state_preparation(w, min(d0, 2**w))))
    nt = len(data["TermLevels"])
    anc = 2 + ceil_log2(nt + 3) + 1 + N * (1 + lr) + lc + w + (b if loading != "records" else 0)
    rec = lg.ZERO
    for _, count, one in parts[1:]:
        rec = rec.then(one.repeat(count))
    cost = _combine(sk, rec, call_base_qubits(data))
    alpha = kronecker_alpha(N, norm_F0 if d0 else 0.0, f1_alpha, a2)
    return KroneckerCost(cost=cost, alpha=alpha, stored_entries=n * s + n * s2 + d0, num_ancillas=anc,
                         alpha_inputs={"f0_alpha": norm_F0 if d0 else 0.0, "f1_alpha": f1_alpha, "f2_alpha": a2},
                         parts=tuple(parts))


def _model_reads(loading, n, w, s, s2, lc, lr, b, mirrored, max_extra_qubits, n1, n2) -> list:
    """The F reads of one call at model scale as (name, count, cost of one read): records (:func:`record_lookups`)
    or dense tables (:func:`dense_factor_reads`, F2 mirrored or else by its records)."""

    if loading == "records":
        reads = [(f"F1 record lookups ({n * s:,} records)", n1, record_lookups(n * s, w, w, lc, lr))]
        if n2:
            reads.append((f"F2 record lookups ({n * s2:,} records)", n2, record_lookups(n * s2, 2 * w, w, lc, lr)))
        return reads

    def dense(pos_bits, fwd_width, rev_width, mir, cached):
        a = w + pos_bits
        blocks = [qroam_blocks(a, x, max_extra_qubits=max_extra_qubits) for x in (fwd_width, rev_width)]
        return _dense_reads(loading, a, fwd_width, a, rev_width, b, blocks[0], blocks[1], mir, w, cached)

    f1, cached = dense(ceil_log2(s), w + lr + b, w + lc + b, False, 1)
    reads = [(f"F1 dense {loading.upper()} reads ({n * 2**ceil_log2(s):,} entries)", n1, f1)]
    if n2:
        reads.append((f"F2 mirrored dense {loading.upper()} reads ({n * 2**ceil_log2(s2):,} entries)", n2,
                       dense(ceil_log2(s2), 2 * w + lr + b, w + lc + b, True, cached)[0]) if mirrored else
                      (f"F2 record lookups ({n * s2:,} records)", n2, record_lookups(n * s2, 2 * w, w, lc, lr)))
    return reads


def _skeleton_data(w, n, N, T, p, mt, b, s, s2, d0, f1_alpha, f2_alpha, norm_F0, loading="records", s2c=None) -> dict:
    """A KroneckerCarlemanData value with the model's register sizes and terms and no records."""
    a = {F0_CHOICE: norm_F0 if d0 else 0.0, IDENTITY_CHOICE: 1.0, F1_CHOICE: f1_alpha, F2_CHOICE: f2_alpha}
    terms = carleman_terms(N, a)
    aM = level_split_alpha(terms, N)
    nt = len(terms)
    ml = ceil_log2(N)
    amps = {}
    for side in (0, 1):
        rows = []
        for v in range(2**ml):
            x = [0.0] * (2 ** ceil_log2(nt + 3))  # the layout of KroneckerEncoding.to_qsharp
            for i, t in enumerate(terms):
                if t["levels"][side] == v + 1:
                    x[i + 1] = math.sqrt(t["alpha"] / aM)
            x[nt + 1] = math.sqrt(max(0.0, 1.0 - sum(y * y for y in x[1:nt + 1])))
            nrm = math.sqrt(sum(y * y for y in x))
            rows.append([y / nrm for y in x])
        amps[side] = rows


    def factor(in_width, sc, sr, code):
        return {"InWidth": in_width, "ColumnSparsity": sc, "RowSparsity": sr, "MaxAbs": 1.0, "Rows": [], "Cols": [],
                "ColSlots": [], "RowSlots": [], "Angles": [], "Loading": code, "Mirrored": False, "FwdTable": [],
                "RevTable": [], "FwdBlocks": (1, 1), "RevBlocks": (1, 1)}

    return {"NumClock": mt, "NumLevel": ml, "SlotWidth": w, "NumSlots": N, "Steps": T, "Blocks": T + 1 + p,
            "AngleBits": b, "AlphaM": aM, "F1": factor(w, s, s, LOADING_CODES[loading]),
            "F2": factor(2 * w, s if s2c is None else s2c, s2, LOADING_CODES[loading] if s2c == s2 else 0),
            "F0Values": [1.0, 0.0] if d0 else [0.0, 0.0], "F0Swaps": [], "SlotSize": n,
            "TermAmplitudesIn": amps[0], "TermAmplitudesOut": amps[1],
            "TermLevels": [tuple(t["levels"]) for t in terms],
            "TermFactors": [[tuple(f) for f in t["factors"]] for t in terms],
            "TermSwaps": [[tuple(x) for x in t["swaps"]] for t in terms]}
