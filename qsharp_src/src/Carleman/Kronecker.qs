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
//   Lookups are sparse QROMs: one address comparison per record (the forward one also rotates the flag by the
//   record's angle), so the data and the cost scale with nnz, never with n² (a missing record leaves the flag |1>).
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
import Std.Arrays.Excluding;
import Std.Arrays.Subarray;
import Std.Canon.ApplyXorInPlace;
import Std.Convert.IntAsBoolArray;
import Std.Convert.IntAsDouble;
import Std.Diagnostics.DumpMachine;
import Std.Math.ArcCos;
import Std.Math.PI;
import Std.Math.Sqrt;
import Std.StatePreparation.PreparePureStateD;
import BlockEncoding.Core.AdjointBlockEncoding;
import BlockEncoding.Core.ApplyBlockEncodingToRegister;
import BlockEncoding.Core.BlockEncoding;
import BlockEncoding.SparseAccess.PrepareIndexSuperposition;
import Carleman.HistoryState.ApplyPhaseOnFinalWindow;
import Carleman.HistoryState.HistoryRhs;
import Carleman.HistoryState.PrepareAndInvertHistory;
import Carleman.HistoryState.PrepareSparseState;
import Amplification.FixedPoint.ApplyPhaseOnAllZero;
import Diagnostics.Dumps.DumpBlockColumns;

/// # Summary
/// The nonzero records of one sparse factor (F1: InWidth = w, F2: InWidth = 2w; rows always on one w-qubit slot).
/// Record q: row Rows[q], column Cols[q] (big-endian slot integer; for F2 the pair (a, b) is a·2^w + b), its
/// position ColSlots[q] < ColumnSparsity among column Cols[q]'s nonzeros, RowSlots[q] < RowSparsity among row
/// Rows[q]'s, and Angles[q] = round(x·2^AngleBits) with −sin(2πx) = value / MaxAbs.
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
function KroneckerStoredEntries(data : KroneckerCarlemanData) : Int {
    Length(data.F1.Rows) + Length(data.F2.Rows) + NonzeroCount(data.F0Values)
}

function NonzeroCount(xs : Double[]) : Int {
    mutable c = 0;
    for x in xs {
        if x != 0.0 {
            set c += 1;
        }
    }
    c
}

function BitsFor(k : Int) : Int {
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
/// Ancillas of the M encoding: term register, one check flag, per slot (flag + row-slot register), the shared
/// column-slot and row registers.
function KroneckerMAncillas(data : KroneckerCarlemanData) : Int {
    let (tb, nf, lc, lr, _) = KroneckerWidths(data);
    tb + 1 + nf * (1 + lr) + lc + data.SlotWidth
}

/// # Summary
/// aux[c − 2] ^= AND of the c ≥ 2 `controls` (a Toffoli chain through the clean scratch qubits aux[0..c − 2]; c − 1
/// Toffolis). Used inside `within` blocks, so each AND costs 2(c − 1) Toffolis with its uncomputation, and nothing is
/// allocated (a simulator pays for every allocation, and the library's multiply-controlled X allocates c − 2).
operation ComputeAndChain(controls : Qubit[], aux : Qubit[]) : Unit is Adj + Ctl {
    let c = Length(controls);
    Std.Diagnostics.Fact(c >= 2 and Length(aux) >= c - 1, "ComputeAndChain needs 2+ controls and c − 1 scratch qubits");
    CCNOT(controls[0], controls[1], aux[0]);
    for i in 2..c - 1 {
        CCNOT(controls[i], aux[i - 2], aux[i - 1]);
    }
}

/// # Summary
/// op(result) where result = AND over i of (controls[i] == pattern[i]), result being a qubit that holds that AND
/// (controls[0] itself for one control, else the end of ComputeAndChain through aux); controls and aux restored.
operation WithPattern(pattern : Bool[], controls : Qubit[], aux : Qubit[], op : (Qubit => Unit is Adj + Ctl)) : Unit is Adj + Ctl {
    let c = Length(controls);
    within {
        for i in 0..c - 1 {
            if not pattern[i] {
                X(controls[i]);
            }
        }
        if c >= 2 {
            ComputeAndChain(controls, aux);
        }
    } apply {
        op(c >= 2 ? aux[c - 2] | controls[0]);
    }
}

/// # Summary
/// Scratch qubits WithPattern needs for c controls.
function ChainScratch(c : Int) : Int {
    Std.Math.MaxI(c - 1, 0)
}

/// # Summary
/// target ^= AND over i of (controls[i] == pattern[i]): the library's multiply-controlled X (2c − 3 Toffolis for
/// c ≥ 2 controls: a chain of c − 2 ANDs, one Toffoli onto the target, the chain uncomputed), with the chain in the
/// given clean scratch qubits instead of fresh ones.
operation XorIfPattern(pattern : Bool[], controls : Qubit[], aux : Qubit[], target : Qubit) : Unit is Adj + Ctl {
    let c = Length(controls);
    within {
        for i in 0..c - 1 {
            if not pattern[i] {
                X(controls[i]);
            }
        }
    } apply {
        if c == 0 {
            X(target);
        } elif c == 1 {
            CNOT(controls[0], target);
        } elif c == 2 {
            CCNOT(controls[0], controls[1], target);
        } else {
            within {
                ComputeAndChain(controls[0..c - 2], aux);
            } apply {
                CCNOT(controls[c - 1], aux[c - 3], target);
            }
        }
    }
}

/// # Summary
/// target ^= (cs all |1> and x < bound) for a big-endian register x: one XorIfPattern per 1-bit i of the bound
/// (x agrees with the bound above bit i and has 0 there; the cases are exclusive).
operation XorIfLessThan(cs : Qubit[], bound : Int, x : Qubit[], aux : Qubit[], target : Qubit) : Unit is Adj + Ctl {
    let m = Length(x);
    let ones = [true, size = Length(cs)];
    if bound >= 2^m {
        XorIfPattern(ones, cs, aux, target);
    } elif bound > 0 {
        // big-endian bits of the bound
        let b = Reversed(IntAsBoolArray(bound, m));
        for i in 0..m - 1 {
            if b[i] {
                XorIfPattern(ones + b[0..i - 1] + [false], cs + x[0..i], aux, target);
            }
        }
    }
}

/// # Summary
/// x += 1 (mod 2^m) on a big-endian register where `ctl` is |1>: bit j (little-endian) flips where the bits below it
/// are all 1, highest bit first.
operation IncrementIf(ctl : Qubit, x : Qubit[], aux : Qubit[]) : Unit is Adj + Ctl {
    let xl = Reversed(x);
    for j in Length(xl) - 1..-1..0 {
        XorIfPattern([true, size = j + 1], [ctl] + xl[0..j - 1], aux, xl[j]);
    }
}

/// # Summary
/// op(target) where `gates` are all |1> and `zeros` all |0>: the condition is computed once (WithPattern through the
/// scratch `aux`), so op carries a single control.
operation ApplyIfGatesAndZeros(gates : Qubit[], zeros : Qubit[], aux : Qubit[], op : (Qubit[] => Unit is Adj + Ctl), target : Qubit[]) : Unit is Adj + Ctl {
    WithPattern([true, size = Length(gates)] + [false, size = Length(zeros)], gates + zeros, aux, ControlledOn(op, _, target));
}

/// # Summary
/// op(target) controlled on c.
operation ControlledOn(op : (Qubit[] => Unit is Adj + Ctl), c : Qubit, target : Qubit[]) : Unit is Adj + Ctl {
    Controlled op([c], target);
}

/// # Summary
/// target ^= words[i] where address = keys[i] (little-endian registers): a sparse QROM with one address comparison
/// per record (an AND chain of the address and the controls, fanned out by CNOTs, uncomputed); records with a zero
/// word are skipped. Self-inverse.
operation SparseXorLookup(keys : Int[], words : Int[], address : Qubit[], target : Qubit[]) : Unit is Adj + Ctl {
    body (...) {
        Controlled SparseXorLookup([], (keys, words, address, target));
    }
    adjoint self;
    controlled (cs, ...) {
        use aux = Qubit[ChainScratch(Length(cs) + Length(address))];
        SparseLookupAndRotateWith(cs, keys, words, [0.0, size = Length(keys)], address, target, target[0], aux);
    }
    controlled adjoint self;
}

/// # Summary
/// The forward lookup fused with the entry rotation: for each record with address keys[i], target ^= words[i] and
/// Ry(angles[i]) on the flag, both under one address comparison. A record whose word and angle are both zero is
/// skipped.
operation SparseLookupAndRotate(keys : Int[], words : Int[], angles : Double[], address : Qubit[], target : Qubit[],
                                flag : Qubit) : Unit is Adj + Ctl {
    body (...) {
        Controlled SparseLookupAndRotate([], (keys, words, angles, address, target, flag));
    }
    adjoint (...) {
        Controlled SparseLookupAndRotate([], (keys, words, Std.Arrays.Mapped(x -> -x, angles), address, target, flag));
    }
    controlled (cs, ...) {
        use aux = Qubit[ChainScratch(Length(cs) + Length(address))];
        SparseLookupAndRotateWith(cs, keys, words, angles, address, target, flag, aux);
    }
    controlled adjoint (cs, ...) {
        Controlled SparseLookupAndRotate(cs, (keys, words, Std.Arrays.Mapped(x -> -x, angles), address, target, flag));
    }
}

/// # Summary
/// The record loop of the two lookups with the controls `cs` explicit and the AND chain's scratch `aux` given (at
/// least Length(cs) + Length(address) − 1 clean qubits): per record one comparison of cs + address with
/// (1…1, keys[i]), c − 1 Toffolis computed and c − 1 uncomputed (c = controls + address bits), the word's CNOTs and
/// Ry(angles[i]) on `flag` where the comparison bit h is |1> (an angle of 0 applies nothing). Records are visited in
/// key order and the address is complemented where the key has a 0, toggling only the bits in which consecutive
/// keys differ. The controlled rotations: Ry(θ) = (S·H) Rz(θ) (S·H)†, and Rz(θ/2)_flag·Rzz(−θ/2)_{h,flag} =
/// exp(−iθ/4·Z_flag(1 − Z_h)) is Rz(θ) where h is |1> and the identity where |0>; the flag is conjugated into the Y
/// basis once for the whole loop and the records' Rz(θ_i/2) (diagonal, nothing else in the loop touches the flag)
/// merge into one Rz(Σθ_i/2): one Rzz per record instead of a controlled Ry (two rotations, two CNOTs and a
/// conjugation each). `flag` must not be in `target` or `address` when some angle is nonzero.
operation SparseLookupAndRotateWith(cs : Qubit[], keys : Int[], words : Int[], angles : Double[], address : Qubit[],
                                    target : Qubit[], flag : Qubit, aux : Qubit[]) : Unit is Adj + Ctl {
    let order = RecordOrder(keys, words, angles);
    let controls = cs + address;
    let total = Std.Arrays.Fold((acc, i) -> acc + angles[i], 0.0, order);
    let rotates = Std.Arrays.Any(x -> x != 0.0, angles);
    within {
        if rotates {
            // Ry(θ) = (S·H) Rz(θ) (S·H)†: the flag in the Y basis for the whole loop
            Adjoint S(flag);
            H(flag);
        }
    } apply {
        if total != 0.0 {
            // every record's h-independent half, Rz(θ_i/2), merged (all diagonal on the flag, which nothing else touches)
            Rz(total / 2.0, flag);
        }
        SparseRecordLoop(controls, keys, words, angles, order, address, target, flag, aux);
    }
}

/// # Summary
/// The record loop of SparseLookupAndRotateWith (the flag's rotations there as Rzz(−θ_i/2) with the comparison bit,
/// the flag already in the Y basis and the merged Rz applied).
operation SparseRecordLoop(controls : Qubit[], keys : Int[], words : Int[], angles : Double[], order : Int[], address : Qubit[],
                           target : Qubit[], flag : Qubit, aux : Qubit[]) : Unit is Adj + Ctl {
    let m = Length(address);
    let c = Length(controls);
    for idx in 0..Length(order) - 1 {
        let i = order[idx];
        // toggles: the bits of key XOR previous key (the address holds its complement where the key is 0)
        let toggle = IntAsBoolArray(keys[i] ^^^ (idx == 0 ? 2^m - 1 | keys[order[idx - 1]]), m);
        for q in 0..m - 1 {
            if toggle[q] {
                X(address[q]);
            }
        }
        let write = WriteRecord(IntAsBoolArray(words[i], Length(target)), angles[i], target, flag, _);
        if c >= 2 {
            within {
                ComputeAndChain(controls, aux);
            } apply {
                write(aux[c - 2]);
            }
        } else {
            write(controls[0]);
        }
    }
    if Length(order) > 0 {
        let last = IntAsBoolArray(keys[order[Length(order) - 1]] ^^^ (2^m - 1), m);
        for q in 0..m - 1 {
            if last[q] {
                X(address[q]);
            }
        }
    }
}

/// # Summary
/// The records a lookup visits (nonzero word or angle), sorted by key.
function RecordOrder(keys : Int[], words : Int[], angles : Double[]) : Int[] {
    mutable live = [];
    for i in 0..Length(keys) - 1 {
        if words[i] != 0 or angles[i] != 0.0 {
            set live += [i];
        }
    }
    Std.Arrays.Sorted((i, j) -> keys[i] <= keys[j], live)
}

/// # Summary
/// Under the record's comparison h: target ^= the word (bits), and Rzz(−angle/2) on (h, flag), which with the
/// loop's merged Rz and the flag's Y-basis conjugation is Ry(angle) on the flag where h is |1>
/// (SparseLookupAndRotateWith).
operation WriteRecord(bits : Bool[], angle : Double, target : Qubit[], flag : Qubit, h : Qubit) : Unit is Adj + Ctl {
    for q in 0..Length(target) - 1 {
        if bits[q] {
            CNOT(h, target[q]);
        }
    }
    if angle != 0.0 {
        // with Rz(θ/2) on the flag (applied once for all records), Rzz(−θ/2) = Rz(θ) where h is |1>, identity where |0>
        Rzz(-angle / 2.0, h, flag);
    }
}

/// # Summary
/// The two lookups of a factor: forward (c + 2^InWidth·l ↦ r + 2^w·k) and reverse (the inverse map on the records).
function FactorLookupTables(f : SparseFactor, w : Int) : (Int[], Int[], Int[], Int[]) {
    let nrec = Length(f.Rows);
    mutable fwdKeys = [0, size = nrec];
    mutable fwdWords = [0, size = nrec];
    for q in 0..nrec - 1 {
        set fwdKeys w/= q <- f.Cols[q] + 2^f.InWidth * f.ColSlots[q];
        set fwdWords w/= q <- f.Rows[q] + 2^w * f.RowSlots[q];
    }
    (fwdKeys, fwdWords, fwdWords, fwdKeys)
}

/// # Summary
/// The sparse-access encoding of one factor (file header), applied when `gate` is |1> and the identity otherwise:
/// input = the slots it reads (big-endian), its output is the first slot of the input; flag and rowSlot are this
/// factor's own ancillas, colSlot/row are shared and return to |0> on every path with flag |0>. The flag is raised
/// (gated), then each record's comparison writes (row, row position) and rotates the flag by Ry(4πx/2^b):
/// Ry(4πx)|1> = −sin(2πx)|0> + cos(2πx)|1>, amplitude value/MaxAbs on |0>, and 0 where no record matches.
operation ApplySparseFactor(f : SparseFactor, angleBits : Int, gate : Qubit, input : Qubit[], flag : Qubit,
                            rowSlot : Qubit[], colSlot : Qubit[], row : Qubit[], aux : Qubit[]) : Unit is Adj + Ctl {
    let w = Length(row);
    let wi = f.InWidth;
    let (fwdKeys, fwdWords, revKeys, revWords) = FactorLookupTables(f, w);
    let rotations = Std.Arrays.Mapped(x -> 4.0 * PI() * IntAsDouble(x) / 2.0^IntAsDouble(angleBits), f.Angles);
    let inLE = Reversed(input[0..wi - 1]);
    let fwdAddress = inLE + Reversed(colSlot);
    let revAddress = Reversed(row) + Reversed(rowSlot);
    ApplyIfGatesAndZeros([gate], [flag] + rowSlot + row, aux, PrepareIndexSuperposition(f.ColumnSparsity, _), colSlot);
    CNOT(gate, flag);
    SparseLookupAndRotateWith([gate], fwdKeys, fwdWords, rotations, fwdAddress, revAddress, flag, aux);
    SparseLookupAndRotateWith([gate], revKeys, revWords, [0.0, size = Length(revKeys)], revAddress, fwdAddress, flag, aux);
    for q in 0..w - 1 {
        Controlled SWAP([gate], (row[q], input[q]));
    }
    ApplyIfGatesAndZeros([gate], [flag] + colSlot + row, aux, Adjoint PrepareIndexSuperposition(f.RowSparsity, _), rowSlot);
}

/// # Summary
/// The terms (indices) that contain factor `choice` at slot `slot`.
function TermsWithFactor(data : KroneckerCarlemanData, choice : Int, slot : Int) : Int[] {
    mutable out = [];
    for t in 0..Length(data.TermFactors) - 1 {
        for (c, s) in data.TermFactors[t] {
            if c == choice and s == slot {
                set out += [t];
            }
        }
    }
    out
}

/// # Summary
/// The terms with input level k.
function TermsWithInputLevel(data : KroneckerCarlemanData, k : Int) : Int[] {
    mutable out = [];
    for t in 0..Length(data.TermLevels) - 1 {
        let (kt, _) = data.TermLevels[t];
        if kt == k {
            set out += [t];
        }
    }
    out
}

/// # Summary
/// check ^= NOT (level = k − 1 and slots k..N−1 all zero), where u is |1>: zero columns of M' on padding coordinates.
operation ApplyLevelCheck(u : Qubit, k : Int, level : Qubit[], slots : Qubit[][], aux : Qubit[], check : Qubit) : Unit is Adj + Ctl {
    let ml = Length(level);
    let watched = level + Std.Arrays.Flattened(slots[k...]);
    if Length(watched) > 0 {
        // IntAsBoolArray is little-endian; the level register is big-endian
        let levelBits = ml > 0 ? Reversed(IntAsBoolArray(k - 1, ml)) | [];
        XorIfPattern([true] + levelBits + [false, size = Length(watched) - ml], [u] + watched, aux, check);
        CNOT(u, check);
    }
}

/// # Summary
/// Scratch qubits of one call: enough for its largest comparison's AND chain (a term value, a gate with the other M
/// ancillas, the level check, a record address with its gate, the I/W split's ancillas), and for SELECT's chains
/// together with its membership bits and factor gate.
function KroneckerScratch(data : KroneckerCarlemanData) : Int {
    let (tb, nf, lc, lr, _) = KroneckerWidths(data);
    let w = data.SlotWidth;
    let largest = Std.Math.Max([tb, 1 + KroneckerMAncillas(data) - tb, 1 + data.NumLevel + (nf - 1) * w,
                                1 + 2 * w + lc, 1 + w + lr, 1 + KroneckerMAncillas(data), 1 + data.NumClock,
                                KroneckerMAncillas(data) + data.NumLevel + 1]);
    // inside SELECT: its comparisons' chains plus its membership bits and factor gate (ApplyKroneckerSelect)
    let inSelect = Std.Math.Max([tb, 1 + KroneckerMAncillas(data) - tb, 1 + data.NumLevel + (nf - 1) * w,
                                 1 + 2 * w + lc, 2 + w + lr, 2 + w + lc, 1 + w]);
    let (_, bits) = SelectBitIndices(SelectSets(data));
    Std.Math.MaxI(ChainScratch(largest), ChainScratch(inSelect) + bits + 1)
}

/// # Summary
/// The distinct slot-permutation lists of the terms (each applied under one membership bit).
function SwapGroups(data : KroneckerCarlemanData) : (Int, Int)[][] {
    mutable groups = [];
    for sw in data.TermSwaps {
        if Length(sw) > 0 {
            mutable found = false;
            for g in groups {
                if SameSwaps(g, sw) {
                    set found = true;
                }
            }
            if not found {
                set groups += [sw];
            }
        }
    }
    groups
}

function SameSwaps(a : (Int, Int)[], b : (Int, Int)[]) : Bool {
    mutable same = Length(a) == Length(b);
    if same {
        for i in 0..Length(a) - 1 {
            let ((a0, a1), (b0, b1)) = (a[i], b[i]);
            if a0 != b0 or a1 != b1 {
                set same = false;
            }
        }
    }
    same
}

/// # Summary
/// The term sets of SELECT's operations, one membership bit each: input level k (index k − 1), F1, F2, the
/// identity's padding check and F0 at slot s (indices N + s, 2N + s, 3N + s, 4N + s), the level change by XOR δ
/// (5N + δ − 1, δ = 1..2^NumLevel − 1), then the swap groups (SwapGroups order).
function SelectSets(data : KroneckerCarlemanData) : Int[][] {
    let N = data.NumSlots;
    let nt = Length(data.TermLevels);
    mutable sets = [];
    for k in 1..N {
        set sets += [TermsWithInputLevel(data, k)];
    }
    for choice in [2, 3, 1, 0] {
        for s in 0..N - 1 {
            set sets += [TermsWithFactor(data, choice, s)];
        }
    }
    for delta in 1..2^data.NumLevel - 1 {
        mutable ts = [];
        for t in 0..nt - 1 {
            let (k, j) = data.TermLevels[t];
            if (k - 1) ^^^ (j - 1) == delta {
                set ts += [t];
            }
        }
        set sets += [ts];
    }
    for g in SwapGroups(data) {
        mutable ts = [];
        for t in 0..nt - 1 {
            if SameSwaps(data.TermSwaps[t], g) {
                set ts += [t];
            }
        }
        set sets += [ts];
    }
    sets
}

/// # Summary
/// (bit index of each set's membership bit, number of bits): the nonempty sets numbered in order, an empty set
/// given bit 0 (its operation is never applied).
function SelectBitIndices(sets : Int[][]) : (Int[], Int) {
    mutable idx = [0, size = Length(sets)];
    mutable nb = 0;
    for i in 0..Length(sets) - 1 {
        if Length(sets[i]) > 0 {
            set idx w/= i <- nb;
            set nb += 1;
        }
    }
    (idx, nb)
}

/// # Summary
/// The indices of the sets that contain t.
function SetsContaining(sets : Int[][], t : Int) : Int[] {
    mutable out = [];
    for i in 0..Length(sets) - 1 {
        for x in sets[i] {
            if x == t {
                set out += [i];
            }
        }
    }
    out
}

/// # Summary
/// sel[i] ^= (term ∈ sets[i]) for every i at once, by unary iteration over the term values (Babbush et al., PRX 8,
/// 041015 (2018), Sec. III.A) on the big-endian term register: one AND per tree node from its parent's, through the
/// scratch aux; at the leaf of term t (register value t + 1) CNOTs to the bits of the sets that contain t. Subtrees
/// without such a term are skipped.
operation ComputeMembership(sets : Int[][], term : Qubit[], aux : Qubit[], sel : Qubit[]) : Unit is Adj + Ctl {
    // members[v]: the sets that contain the term with register value v
    let members = Std.Arrays.MappedOverRange(v -> v >= 1 ? SetsContaining(sets, v - 1) | [], 0..2^Length(term) - 1);
    let (has0, has1) = (SubtreeHasMembers(members, Length(term), 1, 0), SubtreeHasMembers(members, Length(term), 1, 1));
    // the root: term[0] itself is the control of child 1 and its complement that of child 0
    if has0 {
        within {
            X(term[0]);
        } apply {
            MembershipSubtree(members, term, 1, 0, aux, sel, term[0]);
        }
    }
    if has1 {
        MembershipSubtree(members, term, 1, 1, aux, sel, term[0]);
    }
}

/// # Summary
/// Whether the subtree of register values with the k-bit prefix `prefix` (of tb bits) holds a term in some set.
function SubtreeHasMembers(members : Int[][], tb : Int, k : Int, prefix : Int) : Bool {
    let span = 2^(tb - k);
    mutable found = false;
    for v in prefix * span..(prefix + 1) * span - 1 {
        if Length(members[v]) > 0 {
            set found = true;
        }
    }
    found
}

/// # Summary
/// ComputeMembership below the node (k, prefix), where ctl = (the top k bits of the term register equal prefix).
operation MembershipSubtree(members : Int[][], term : Qubit[], k : Int, prefix : Int, aux : Qubit[], sel : Qubit[], ctl : Qubit) : Unit is Adj + Ctl {
    let tb = Length(term);
    if k == tb {
        FanOut(Std.Arrays.Subarray(members[prefix], sel), ctl);
    } else {
        let (has0, has1) = (SubtreeHasMembers(members, tb, k + 1, 2 * prefix), SubtreeHasMembers(members, tb, k + 1, 2 * prefix + 1));
        UnaryChildren(has0, has1, ctl, term[k], aux[0], 2 * prefix, MembershipSubtree(members, term, k + 1, _, aux[1...], sel, aux[0]));
    }
}

/// # Summary
/// CNOT from h to every qubit of targets.
operation FanOut(targets : Qubit[], h : Qubit) : Unit is Adj + Ctl {
    for q in targets {
        CNOT(h, q);
    }
}

/// # Summary
/// SELECT of the M encoding (file header): every operation that some term contains is applied once, controlled on
/// one membership bit (term register ∈ the terms that contain it; all bits computed together by ComputeMembership),
/// so a gate carries one extra control, never the term register. Order: input checks, the consuming factors (F1,
/// F2, identity range checks) slot by slot, the F0 preparations into free slots, the level change, the slot
/// permutations.
operation ApplyKroneckerSelect(data : KroneckerCarlemanData, term : Qubit[], check : Qubit, flags : Qubit[], rowSlots : Qubit[][],
                               colSlot : Qubit[], row : Qubit[], level : Qubit[], slots : Qubit[][], scratch : Qubit[]) : Unit is Adj + Ctl {
    let N = data.NumSlots;
    let w = data.SlotWidth;
    let termLE = Reversed(term);
    let nt = Length(data.TermLevels);
    let sets = SelectSets(data);
    let swapGroups = SwapGroups(data);
    // the membership bits (one per nonempty set; an empty set's operation is never applied, its entry only aliases
    // a bit) and the factor gate live at the end of the call's scratch (KroneckerScratch reserves them; the
    // PREPAREs' chains, which need that room, are not running): no allocation, hence no release, per call
    let (bitOf, ns) = SelectBitIndices(sets);
    let na = Length(scratch);
    let (aux, bits, g) = (scratch[0..na - ns - 2], scratch[na - ns - 1..na - 2], scratch[na - 1]);
    let sel = Std.Arrays.Mapped(j -> bits[j], bitOf);
    within {
        ComputeMembership(sets, term, aux, sel);
    } apply {
        for k in 1..N {
            if Length(sets[k - 1]) > 0 {
                ApplyLevelCheck(sel[k - 1], k, level, slots, aux, check);
            }
        }
        // the null index of the PREPAREs: a flagged branch
        XorIfPattern(IntAsBoolArray(nt + 1, Length(termLE)), termLE, aux, check);
        for s in 0..N - 1 {
            // a factor acts only where the other factors' registers and the check are |0>: on every other branch the
            // block is already zero, and leaving it alone keeps U|0,x> (and U†|0,x>) supported on few basis states
            let outer = [check] + Excluding([s], flags) + Std.Arrays.Flattened(Excluding([s], rowSlots));
            if Length(sets[N + s]) > 0 {
                within {
                    XorIfPattern([true] + [false, size = Length(outer)], [sel[N + s]] + outer, aux, g);
                } apply {
                    ApplySparseFactor(data.F1, data.AngleBits, g, slots[s], flags[s], rowSlots[s], colSlot, row, aux);
                }
            }
            if Length(sets[2 * N + s]) > 0 {
                within {
                    XorIfPattern([true] + [false, size = Length(outer)], [sel[2 * N + s]] + outer, aux, g);
                } apply {
                    ApplySparseFactor(data.F2, data.AngleBits, g, slots[s] + slots[s + 1], flags[s], rowSlots[s], colSlot, row, aux);
                }
            }
            if Length(sets[3 * N + s]) > 0 and data.SlotSize < 2^w {
                // the identity factor: slot values ≥ n are padding columns
                XorIfLessThan([sel[3 * N + s]], data.SlotSize, slots[s], aux, flags[s]);
                CNOT(sel[3 * N + s], flags[s]);
            }
        }
        let garbage = [check] + flags + Std.Arrays.Flattened(rowSlots) + colSlot + row;
        for s in 0..N - 1 {
            if Length(sets[4 * N + s]) > 0 {
                ApplyIfGatesAndZeros([sel[4 * N + s]], garbage, aux, PrepareSparseState(data.F0Values, data.F0Swaps, _), slots[s]);
            }
        }
        let ml = Length(level);
        for delta in 1..2^ml - 1 {
            // the level register is big-endian
            let flips = IntAsBoolArray(delta, ml);
            for i in 0..ml - 1 {
                if flips[i] and Length(sets[5 * N + delta - 1]) > 0 {
                    CNOT(sel[5 * N + delta - 1], level[ml - 1 - i]);
                }
            }
        }
        for gi in 0..Length(swapGroups) - 1 {
            let u = sel[5 * N + 2^ml - 1 + gi];
            for (a, b) in swapGroups[gi] {
                for q in 0..w - 1 {
                    Controlled SWAP([u], (slots[a][q], slots[b][q]));
                }
            }
        }
    }
}

/// # Summary
/// The M encoding controlled on `active` (the LCU branch that applies M): PREPARE by input level, SELECT, PREPARE† by
/// output level (the row/column split: α_M is the largest level sum of term α's, not their total). With active |0>
/// the term register holds the do-nothing index nt + 2 during SELECT, so SELECT itself needs no control.
operation ApplyKroneckerMControlled(data : KroneckerCarlemanData, active : Qubit, anc : Qubit[], carleman : Qubit[], aux : Qubit[]) : Unit is Adj + Ctl {
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
        ApplyKroneckerSelect(data, term, check, flags, rowSlots, colSlot, row, level, slots, aux);
    }
    WithPattern(where, [active] + others, aux, Adjoint PrepareTermsTreeOn(data.TermAmplitudesOut, level, term, aux[no...], _));
}

/// # Summary
/// The M encoding (always active).
operation ApplyKroneckerM(data : KroneckerCarlemanData, anc : Qubit[], carleman : Qubit[]) : Unit is Adj + Ctl {
    use (active, aux) = (Qubit(), Qubit[KroneckerScratch(data)]);
    within {
        X(active);
    } apply {
        ApplyKroneckerMControlled(data, active, anc, carleman, aux);
    }
}

/// # Summary
/// Where `cs` are all |1>: term |0> → Σ_t amplitudes[v][t] |t> for level register value v (amplitudes ≥ 0; both
/// registers big-endian). A binary tree of Ry rotations: bit k of the term is rotated by 2·atan(√w1/√w0) (w0, w1: the
/// weights of the two halves below the bits above k), controlled on one qubit that holds (cs, level = v, bits above
/// k = prefix); those controls are built by unary iteration (Babbush et al., PRX 8, 041015 (2018), Sec. III.A): one
/// AND per tree node from its parent's, so each node costs its rotation and two Toffolis. Subtrees of zero weight are
/// skipped, so the preparation and its adjoint keep the term register on few values (what a simulation pays for).
/// aux: clean scratch, at least Length(cs) + Length(level) + Length(term) qubits.
operation PrepareTermsTree(cs : Qubit[], amplitudes : Double[][], level : Qubit[], term : Qubit[], aux : Qubit[]) : Unit is Adj + Ctl {
    Std.Diagnostics.Fact(Length(cs) > 0, "PrepareTermsTree needs a control");
    let ml = Length(level);
    let nc = Length(cs) + ml;
    for v in 0..Length(amplitudes) - 1 {
        let lv = ml > 0 ? Reversed(IntAsBoolArray(v, ml)) | [];
        WithPattern([true, size = Length(cs)] + lv, cs + level, aux, PrepareSubtree(amplitudes[v], term, 0, 0, aux[nc - 1...], _));
    }
}

/// # Summary
/// The rotations of PrepareTermsTree below the node (k, prefix) where ctl is |1> (ctl = its controls' AND); scratch
/// aux[0] is the children's control, aux[1...] theirs. A node whose 0-half has zero weight rotates by π, which on
/// the fresh |0> bit is a CNOT (Ry(π)|0> = X|0>, Ry(−π)|1> = X|1>): only nodes with both halves nonzero rotate. The
/// children's controls follow the unary iteration's sibling step: aux = ctl ∧ ¬term[k] for child 0, then one CNOT
/// from ctl turns it into ctl ∧ term[k] for child 1 (Babbush et al. 2018, Fig. 5).
operation PrepareSubtree(a : Double[], term : Qubit[], k : Int, prefix : Int, aux : Qubit[], ctl : Qubit) : Unit is Adj + Ctl {
    let tb = Length(term);
    let span = 2^(tb - k - 1);
    let (w0, w1) = (SquaredNorm(a[2 * prefix * span..(2 * prefix + 1) * span - 1]),
                    SquaredNorm(a[(2 * prefix + 1) * span..(2 * prefix + 2) * span - 1]));
    if w1 > 0.0 {
        if w0 > 0.0 {
            Controlled Ry([ctl], (2.0 * Std.Math.ArcTan2(Sqrt(w1), Sqrt(w0)), term[k]));
        } else {
            CNOT(ctl, term[k]);
        }
    }
    if k + 1 < tb and span > 1 {
        UnaryChildren(w0 > 0.0, w1 > 0.0, ctl, term[k], aux[0], 2 * prefix, PrepareSubtree(a, term, k + 1, _, aux[1...], aux[0]));
    }
}

/// # Summary
/// One node of a unary iteration (Babbush et al., PRX 8, 041015 (2018), Sec. III.A and Fig. 5): visit(base) where
/// h = ctl ∧ ¬q (if has0), visit(base + 1) where h = ctl ∧ q (if has1), h clean before and after. h = ctl ∧ ¬q is
/// computed as CNOT(ctl, h) then Toffoli(ctl, q, h) (ctl ⊕ ctl∧q), moved to child 1 by one CNOT from ctl
/// (ctl ∧ ¬q ⊕ ctl = ctl ∧ q) and uncomputed by one Toffoli: two Toffolis and two CNOTs per node with both children
/// (one child: two Toffolis, and two CNOTs for child 0). The visits must leave ctl, q and h unchanged.
operation UnaryChildren(has0 : Bool, has1 : Bool, ctl : Qubit, q : Qubit, h : Qubit, base : Int, visit : (Int => Unit is Adj + Ctl)) : Unit is Adj + Ctl {
    if has0 {
        CNOT(ctl, h);
        CCNOT(ctl, q, h);
        visit(base);
        if has1 {
            CNOT(ctl, h);
            visit(base + 1);
            CCNOT(ctl, q, h);
        } else {
            CCNOT(ctl, q, h);
            CNOT(ctl, h);
        }
    } elif has1 {
        within {
            CCNOT(ctl, q, h);
        } apply {
            visit(base + 1);
        }
    }
}

function SquaredNorm(xs : Double[]) : Double {
    mutable t = 0.0;
    for x in xs {
        set t += x * x;
    }
    t
}

/// # Summary
/// PrepareTermsTree controlled on the single qubit c.
operation PrepareTermsTreeOn(amplitudes : Double[][], level : Qubit[], term : Qubit[], aux : Qubit[], c : Qubit) : Unit is Adj + Ctl {
    PrepareTermsTree([c], amplitudes, level, term, aux);
}

/// # Summary
/// The block-encoding of M' alone on level ⊗ slots (α = AlphaM).
function KroneckerMBlockEncoding(data : KroneckerCarlemanData) : BlockEncoding {
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
function KroneckerCarlemanBlockEncoding(data : KroneckerCarlemanData) : BlockEncoding {
    new BlockEncoding {
        Alpha = 1.0 + data.AlphaM,
        NumAncillas = 2 + KroneckerMAncillas(data),
        NumSystem = data.NumClock + data.NumLevel + data.NumSlots * data.SlotWidth,
        Apply = ApplyKroneckerCarleman(data, _, _),
    }
}

/// # Summary
/// HistoryState.CarlemanQsvtSolve with the Kronecker block-encoding: |B>, QSVT inversion of L (on the adjoint
/// encoding, as there), fixed-point amplification of the final-window level-1 subspace (none when alphas is empty).
/// Dumps [lcu, sig] + ancillas + sys and returns the number of block-encoding calls.
operation CarlemanQsvtSolveKronecker(data : KroneckerCarlemanData, phases : Double[], rhs : HistoryRhs, alphas : Double[], betas : Double[]) : Int {
    let be = AdjointBlockEncoding(KroneckerCarlemanBlockEncoding(data));
    let numAnc = be.NumAncillas + 2;
    use qs = Qubit[numAnc + be.NumSystem];
    let prep = PrepareAndInvertHistory(phases, be, rhs, _);
    prep(qs);
    for j in 0..Length(alphas) - 1 {
        ApplyPhaseOnFinalWindow(betas[j], data.Steps, numAnc, rhs, qs);
        within {
            Adjoint prep(qs);
        } apply {
            ApplyPhaseOnAllZero(-alphas[j], qs);
        }
    }
    DumpMachine();
    ResetAll(qs);
    (Length(phases) - 1) * (2 * Length(alphas) + 1)
}

/// # Summary
/// Dumps the columns (ancillas |0>) of the Kronecker block-encoding of L; returns the stored-entry count.
operation DumpKroneckerColumns(data : KroneckerCarlemanData) : Int {
    let be = KroneckerCarlemanBlockEncoding(data);
    DumpBlockColumns(ApplyBlockEncodingToRegister(be, _), be.NumAncillas, be.NumSystem);
    KroneckerStoredEntries(data)
}

/// # Summary
/// Dumps the columns of the M' encoding alone (level ⊗ slots); returns the stored-entry count.
operation DumpKroneckerMColumns(data : KroneckerCarlemanData) : Int {
    let be = KroneckerMBlockEncoding(data);
    DumpBlockColumns(ApplyBlockEncodingToRegister(be, _), be.NumAncillas, be.NumSystem);
    KroneckerStoredEntries(data)
}

/// # Summary
/// Applies the block-encoding of L (`ofL`) or of M' alone to one basis column |0>_anc |col>_sys and dumps
/// (single-column read-out for sizes whose Choi state is too large).
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
operation TraceKroneckerSkeleton(data : KroneckerCarlemanData) : Unit {
    let strip = (f) -> new SparseFactor { ...f, Rows = [], Cols = [], ColSlots = [], RowSlots = [], Angles = [] };
    TraceKroneckerBlockEncoding(new KroneckerCarlemanData { ...data, F1 = strip(data.F1), F2 = strip(data.F2) });
}

/// # Summary
/// A multiply-controlled X with `controls` controls on the value `value` (ApplyControlledOnInt), for cost rules.
operation TraceControlledOnInt(value : Int, controls : Int) : Unit {
    use (cs, t) = (Qubit[controls], Qubit());
    ApplyControlledOnInt(value, X, cs, t);
    ResetAll(cs + [t]);
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
