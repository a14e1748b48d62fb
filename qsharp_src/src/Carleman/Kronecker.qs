// Block-encoding of the T-step Carleman matrix L = I ⊗ I − S_M ⊗ M' − S_idle ⊗ I from F0, F1, F2 alone
// (Liu et al. 2024 Eqs. 5–6; the register layout of Carleman.StructuredOracles: clock ⊗ level ⊗ N slots, big-endian).
//
// Building blocks (Gilyén, Su, Low, Wiebe, STOC 2019: Lemma 48 sparse access, Lemma 52 LCU, tensor products):
//
// * F1 (n × n, one slot → the same slot) and F2 (n × n², two adjacent slots → the first, the second left |0>) by
//   sparse access over their nonzero lists only. Each nonzero (r, c) is one record (row r, column c, its position l
//   among the nonzeros of column c, its position k among those of row r, its value as a b-bit angle). With
//   D_s |0> = s^{-1/2} Σ_{l<s} |l>:
//     |c>|0>_L  --D_sc-->  Σ_l |c>|l>  --lookup (c,l) ↦ (r,k) with the flag rotation by A_rc/max-->  |c>|l>|r>|k>
//     --lookup (r,k) ↦ (c,l) clears c and l-->  |0>|0>|r>|k>  --swap r into the output slot, D_sr† on k.
//   The lookups are either sparse QROMs (one address comparison per record, the forward one also rotating the flag
//   by the record's angle) or dense (row, position) tables read by QROM or QROAM, F2 mirrored by ∇³L's symmetry
//   (Carleman.KroneckerFactors); data and cost scale with nnz, never with n² (a missing record leaves the flag |1>).
//   Top-left block A / (√(s_r s_c)·max|A|): α = √(s_r s_c)·max|A| (GSLW Lemma 48 with the row/column split).
// * F0: a state preparation |0> → |F0/‖F0‖> on a slot known to be |0> (the sparse preparation of
//   Carleman.HistoryState): a block-encoding of |F0><0| with α = ‖F0‖.
// * I + F1 = G1 is never encoded directly: each G1 factor is split into I (α = 1) and F1 (α_1), so α(G1) = 1 + α_1.
// * M' (M embedded in level ⊗ slots): the LCU over terms t = (j, d) of discrete_carleman's block formula
//   Σ_{|d| = k} G_{d_1} ⊗ … ⊗ G_{d_j} (block (j, k)), each G1 expanded into I and F1. Term t is the Kronecker
//   product of its factors' encodings on the slots they consume (α multiplies, ancillas add), preceded by a check
//   (level = k − 1, slots k..N−1 zero: zero columns on padding) and followed by a level change k − 1 → j − 1 and a
//   classical slot permutation (factor i's output into slot i), α_t = Π_i α(d_i). PREPARE √(α_t/α_M) on a term
//   register by input level, SELECT the terms, PREPARE† by output level: α_M = the largest level sum of the α_t.
// * W = S_M ⊗ M' + S_idle ⊗ I: U_M on 0 ≤ t ≤ T − 1, a rotation to amplitude 1/α_M on T ≤ t ≤ K − 2 (the idle
//   copies), a flag elsewhere (zero rows), then clock += 1; α_W = α_M.
// * L = I − W: LCU of the identity and −W with a one-qubit PREPARE (√(1/α_L), √(α_M/α_L)): α_L = 1 + α_M.
//
// Garbage left alone: every operation that spreads amplitude over several basis states (the PREPAREs, the index
// superpositions D_s, the F0 preparation, the I/W rotation) acts only where the ancillas it does not own are |0>.
// On the block (ancillas |0> in and out) those ancillas are |0> at that point in both U and U†, so the block is
// unchanged; elsewhere the branch is already orthogonal to the block, and leaving it alone keeps U|0,x> and
// U†|0,x> on few basis states (what a QSVT simulation pays for). A factor is skipped where the check or another
// factor's flag or row-position register is set (those are not touched inside the factor, so its gate is constant).
// Term register value 0 means no term, so the I/W rotation's uncompute need only check wflag and the term register.
//
// Comparisons: every multiply-controlled condition is an AND chain (c − 1 Toffolis, uncomputed in a `within`) in one
// scratch register allocated per call, never fresh qubits per comparison; SELECT computes one membership bit per
// operation (term ∈ the terms that contain it) for all operations at once by unary iteration over the term values,
// and the PREPAREs are Ry trees over the nonzero amplitudes with their controls built by unary iteration too (two
// Toffolis per tree node, the sibling step a CNOT; a node with an empty 0-half a CNOT instead of a rotation). A
// record's rotation under its comparison bit is one Rzz with the flag held in the Y basis for the whole lookup.
import Std.Arrays.Reversed;
import Std.Canon.ApplyXorInPlace;
import Std.Diagnostics.DumpMachine;
import Std.Math.ArcCos;
import Std.Math.Sqrt;
import BlockEncoding.Core.ApplyBlockEncodingToRegister;
import BlockEncoding.Core.BlockEncoding;
import Diagnostics.Dumps.DumpBlockColumns;
import Oracles.AndChains.*;
import Oracles.SparseLookup.*;
import Oracles.PrepareTree.*;
import Carleman.KroneckerSelect.*;

/// # Summary
/// The nonzero records of one sparse factor (F1: InWidth = w, F2: InWidth = 2w; rows always on one w-qubit slot).
/// Record q: row Rows[q], column Cols[q] (big-endian slot integer; for F2 the pair (a, b) is a·2^w + b), its
/// position ColSlots[q] < ColumnSparsity among column Cols[q]'s nonzeros, RowSlots[q] < RowSparsity among row
/// Rows[q]'s, and Angles[q] = round(x·2^AngleBits) with −sin(2πx) = value / MaxAbs.
/// Loading: 0 = the records read by comparisons, 1 = dense tables read by QROM, 2 = by QROAM (FwdBlocks, RevBlocks:
/// (λ, λ′) of each read); FwdTable/RevTable the dense tables (Carleman.KroneckerFactors; empty: no reads), Mirrored
/// the symmetric-F2 scheme (ColumnSparsity = RowSparsity then).
struct SparseFactor {
    InWidth : Int,
    ColumnSparsity : Int,
    RowSparsity : Int,
    MaxAbs : Double,
    Rows : Int[],
    Cols : Int[],
    ColSlots : Int[],
    RowSlots : Int[],
    Angles : Int[],
    Loading : Int,
    Mirrored : Bool,
    FwdTable : Int[],
    RevTable : Int[],
    FwdBlocks : (Int, Int),
    RevBlocks : (Int, Int),
}

/// # Summary
/// All data of the Kronecker block-encoding of L (built by pyqgd.quantum.kronecker).
/// Terms: TermLevels[t] = (k, j) (input level, output level), TermFactors[t][i] = (choice, slot) with choice 0 = F0
/// (prepared into that free slot), 1 = I, 2 = F1 on that slot, 3 = F2 on that slot and the next; factors are listed
/// consuming ones first; TermSwaps[t] the slot transpositions that move factor i's output into slot i.
/// Term register values: 0 = none (what PREPARE† leaves on the block), t + 1 = term t, nt + 1 = the null index,
/// nt + 2 = the do-nothing index (nt terms). TermAmplitudesIn[k − 1] (one per level register value) = √(α_t / α_M)
/// at t + 1 for the terms with input level k and √(1 − β_k/α_M) at the null index, β_k = Σ_{t: k_t = k} α_t;
/// TermAmplitudesOut likewise by output level; both padded with zeros to a power of two. SlotSize = n (slot values ≥ n are padding).
struct KroneckerCarlemanData {
    NumClock : Int,
    NumLevel : Int,
    SlotWidth : Int,
    NumSlots : Int,
    Steps : Int,
    Blocks : Int,
    AngleBits : Int,
    AlphaM : Double,
    F1 : SparseFactor,
    F2 : SparseFactor,
    F0Values : Double[],
    F0Swaps : (Int, Int)[],
    SlotSize : Int,
    TermAmplitudesIn : Double[][],
    TermAmplitudesOut : Double[][],
    TermLevels : (Int, Int)[],
    TermFactors : (Int, Int)[][],
    TermSwaps : (Int, Int)[][],
}

/// # Summary
/// Numbers stored for the F's: records of F1 and F2 (one per nonzero) and the values of F0 (one per nonzero).
internal function KroneckerStoredEntries(data : KroneckerCarlemanData) : Int {
    Length(data.F1.Rows) + Length(data.F2.Rows) + Std.Arrays.Count(x -> x != 0.0, data.F0Values)
}

internal function BitsFor(k : Int) : Int {
    k <= 1 ? 0 | Std.Math.BitSizeI(k - 1)
}

/// # Summary
/// Ancilla register widths of the M encoding: (term, factors, column slot, row slot, angle).
function KroneckerWidths(data : KroneckerCarlemanData) : (Int, Int, Int, Int, Int) {
    let tb = BitsFor(Length(data.TermAmplitudesIn[0]));
    let lc = Std.Math.MaxI(BitsFor(data.F1.ColumnSparsity), BitsFor(data.F2.ColumnSparsity));
    let lr = Std.Math.MaxI(BitsFor(data.F1.RowSparsity), BitsFor(data.F2.RowSparsity));
    (tb, data.NumSlots, lc, lr, data.AngleBits)
}

/// # Summary
/// Qubits of the shared angle register: b when a factor is read from dense tables, else none.
internal function AngleRegister(data : KroneckerCarlemanData) : Int {
    data.F1.Loading > 0 or data.F2.Loading > 0 ? data.AngleBits | 0
}

/// # Summary
/// Ancillas of the M encoding: term register, one check flag, per slot (flag + row-slot register), the shared
/// column-slot, row and angle registers.
function KroneckerMAncillas(data : KroneckerCarlemanData) : Int {
    let (tb, nf, lc, lr, _) = KroneckerWidths(data);
    tb + 1 + nf * (1 + lr) + lc + data.SlotWidth + AngleRegister(data)
}

/// # Summary
/// The M encoding controlled on `active` (the LCU branch that applies M): PREPARE by input level, SELECT, PREPARE† by
/// output level (the row/column split: α_M is the largest level sum of term α's, not their total). With active |0>
/// the term register holds the do-nothing index nt + 2 during SELECT, so SELECT itself needs no control.
@Config(Unrestricted)
internal operation ApplyKroneckerMControlled(data : KroneckerCarlemanData, active : Qubit, anc : Qubit[], carleman : Qubit[], aux : Qubit[]) : Unit is Adj + Ctl {
    let (tb, nf, lc, lr, b) = KroneckerWidths(data);
    let w = data.SlotWidth;
    let term = anc[0..tb - 1];
    let check = anc[tb];
    let flags = anc[tb + 1..tb + nf];
    let rs0 = tb + 1 + nf;
    let rowSlots = lr == 0 ? [[], size = nf] | Std.Arrays.Chunks(lr, anc[rs0..rs0 + nf * lr - 1]);
    let c0 = rs0 + nf * lr;
    let colSlot = anc[c0..c0 + lc - 1];
    let row = anc[c0 + lc..c0 + lc + w - 1];
    let angle = anc[c0 + lc + w..c0 + lc + w + AngleRegister(data) - 1];
    let level = carleman[0..data.NumLevel - 1];
    let slots = Std.Arrays.Chunks(w, carleman[data.NumLevel...]);
    let idle = Length(data.TermLevels) + 2;
    // the PREPAREs act only where every other M ancilla is |0> (the block's branches; see ApplyKroneckerSelect)
    let others = anc[tb...];
    let no = Length(others);
    let where = [true] + [false, size = no];
    WithPattern(where, [active] + others, aux, PrepareTermsTreeOn(data.TermAmplitudesIn, level, term, aux[no...], _));
    within {
        ApplyControlledOnInt(0, ApplyXorInPlace(idle, _), [active], Reversed(term));
    } apply {
        ApplyKroneckerSelect(data, term, check, flags, rowSlots, colSlot, row, angle, level, slots, aux);
    }
    WithPattern(where, [active] + others, aux, Adjoint PrepareTermsTreeOn(data.TermAmplitudesOut, level, term, aux[no...], _));
}

/// # Summary
/// The M encoding (always active).
@Config(Unrestricted)
internal operation ApplyKroneckerM(data : KroneckerCarlemanData, anc : Qubit[], carleman : Qubit[]) : Unit is Adj + Ctl {
    use (active, aux) = (Qubit(), Qubit[KroneckerScratch(data)]);
    within {
        X(active);
    } apply {
        ApplyKroneckerMControlled(data, active, anc, carleman, aux);
    }
}

/// # Summary
/// The block-encoding of M' alone on level ⊗ slots (α = AlphaM).
@Config(Unrestricted)
internal function KroneckerMBlockEncoding(data : KroneckerCarlemanData) : BlockEncoding {
    new BlockEncoding {
        Alpha = data.AlphaM,
        NumAncillas = KroneckerMAncillas(data),
        NumSystem = data.NumLevel + data.NumSlots * data.SlotWidth,
        Apply = ApplyKroneckerM(data, _, _),
    }
}

/// # Summary
/// The block-encoding unitary of L = I − W (file header), W = S_M ⊗ M' + S_idle ⊗ I, anc = [lcu, wflag] + M ancillas,
/// sys = clock + level + slots. Only the parts that differ between the branches are controlled on lcu: M through
/// its PREPAREs (ApplyKroneckerMControlled), the idle rotation, the zero-row flag and the clock increment.
@Config(Unrestricted)
operation ApplyKroneckerCarleman(data : KroneckerCarlemanData, anc : Qubit[], sys : Qubit[]) : Unit is Adj + Ctl {
    let lcu = anc[0];
    let wflag = anc[1];
    let mt = data.NumClock;
    let clock = sys[0..mt - 1];
    let alphaL = 1.0 + data.AlphaM;
    use (inM, inIdle, doM) = (Qubit(), Qubit(), Qubit());
    use aux = Qubit[KroneckerScratch(data)];
    // both rotations of the I/W split act only where wflag and the term register are |0>: true on the block's
    // branches; every other branch of the M encoding keeps a nonzero term value (its PREPARE† acts only where the
    // other M ancillas are |0>, and 0 is no term)
    let (tb, _, _, _, _) = KroneckerWidths(data);
    let split = ApplyIfGatesAndZeros([], anc[1..2 + tb - 1], aux, ApplyToEachCA(Ry(2.0 * ArcCos(Sqrt(1.0 / alphaL)), _), _), _);
    split([lcu]);
    {
        within {
            XorIfLessThan([], data.Steps, clock, aux, inM);
            if data.Blocks - 2 >= data.Steps {
                // T ≤ t ≤ K − 2: (t < K − 1) xor (t < T)
                XorIfLessThan([], data.Blocks - 1, clock, aux, inIdle);
                XorIfLessThan([], data.Steps, clock, aux, inIdle);
            }
        } apply {
            within {
                CCNOT(lcu, inM, doM);
            } apply {
                ApplyKroneckerMControlled(data, doM, anc[2...], sys[mt...], aux);
            }
            // idle copies: amplitude 1/α_M on wflag |0>; elsewhere (t ≥ K − 1) a zero row of W
            ApplyIfGatesAndZeros([lcu, inIdle], [], aux, ApplyToEachCA(Ry(2.0 * ArcCos(1.0 / data.AlphaM), _), _), [wflag]);
            XorIfPattern([true, false, false], [lcu, inM, inIdle], aux, wflag);
        }
        IncrementIf(lcu, clock, aux);
        Z(lcu);
    }
    Adjoint split([lcu]);
}

/// # Summary
/// The Kronecker block-encoding of L: top-left block L / α_L, α_L = 1 + α_M (file header).
@Config(Unrestricted)
internal function KroneckerCarlemanBlockEncoding(data : KroneckerCarlemanData) : BlockEncoding {
    new BlockEncoding {
        Alpha = 1.0 + data.AlphaM,
        NumAncillas = 2 + KroneckerMAncillas(data),
        NumSystem = data.NumClock + data.NumLevel + data.NumSlots * data.SlotWidth,
        Apply = ApplyKroneckerCarleman(data, _, _),
    }
}

/// # Summary
/// Dumps the columns (ancillas |0>) of the Kronecker block-encoding of L; returns the stored-entry count.
@Config(Unrestricted)
operation DumpKroneckerColumns(data : KroneckerCarlemanData) : Int {
    let be = KroneckerCarlemanBlockEncoding(data);
    DumpBlockColumns(ApplyBlockEncodingToRegister(be, _), be.NumAncillas, be.NumSystem);
    KroneckerStoredEntries(data)
}

/// # Summary
/// Dumps the columns of the M' encoding alone (level ⊗ slots); returns the stored-entry count.
@Config(Unrestricted)
operation DumpKroneckerMColumns(data : KroneckerCarlemanData) : Int {
    let be = KroneckerMBlockEncoding(data);
    DumpBlockColumns(ApplyBlockEncodingToRegister(be, _), be.NumAncillas, be.NumSystem);
    KroneckerStoredEntries(data)
}

/// # Summary
/// Applies the block-encoding of L (`ofL`) or of M' alone to one basis column |0>_anc |col>_sys and dumps
/// (single-column read-out for sizes whose Choi state is too large).
@Config(Unrestricted)
operation DumpKroneckerColumn(data : KroneckerCarlemanData, ofL : Bool, col : Int) : Unit {
    let be = ofL ? KroneckerCarlemanBlockEncoding(data) | KroneckerMBlockEncoding(data);
    use (anc, sys) = (Qubit[be.NumAncillas], Qubit[be.NumSystem]);
    ApplyXorInPlace(col, Reversed(sys));
    be.Apply(anc, sys);
    DumpMachine();
    ResetAll(anc + sys);
}

/// # Summary
/// One call of the Kronecker block-encoding of L without dumps (traced by the resource estimator).
@Config(Unrestricted)
operation TraceKroneckerBlockEncoding(data : KroneckerCarlemanData) : Unit {
    let be = KroneckerCarlemanBlockEncoding(data);
    use (anc, sys) = (Qubit[be.NumAncillas], Qubit[be.NumSystem]);
    be.Apply(anc, sys);
    ResetAll(anc + sys);
}

/// # Summary
/// One sparse lookup of `keys`/`words` (traced by the resource estimator to validate its cost formula).
operation TraceSparseLookup(keys : Int[], words : Int[], addressBits : Int, width : Int) : Unit {
    use (address, target) = (Qubit[addressBits], Qubit[width]);
    SparseXorLookup(keys, words, address, target);
    ResetAll(address + target);
}

/// # Summary
/// One call of the Kronecker block-encoding of L with the F records removed (the n- and nnz-independent part of
/// its cost: clock arithmetic, level checks, term PREPAREs and SELECT lookups, F0 preparation, slot permutations),
/// traced at full register sizes by pyqgd.estimate.kronecker.
@Config(Unrestricted)
operation TraceKroneckerSkeleton(data : KroneckerCarlemanData) : Unit {
    let strip = (f) -> new SparseFactor { ...f, Rows = [], Cols = [], ColSlots = [], RowSlots = [], Angles = [], FwdTable = [], RevTable = [] };
    TraceKroneckerBlockEncoding(new KroneckerCarlemanData { ...data, F1 = strip(data.F1), F2 = strip(data.F2) });
}

/// # Summary
/// One call of the existing structured sparse-access encoding of L (Carleman.StructuredOracles), traced side by side
/// with TraceKroneckerBlockEncoding in benchmarks/block_encoding.py.
operation TraceStructuredBlockEncoding(data : Carleman.StructuredOracles.CarlemanOracleData) : Unit {
    let be = BlockEncoding.SparseAccess.SparseBlockEncoding(Carleman.StructuredOracles.CarlemanSparseOracles(data));
    use (anc, sys) = (Qubit[be.NumAncillas], Qubit[be.NumSystem]);
    be.Apply(anc, sys);
    ResetAll(anc + sys);
}
