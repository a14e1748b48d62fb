// SELECT of the Kronecker M encoding: membership bits of the term register, level checks, factor gates, level change
// and slot permutations (Carleman/Kronecker.qs's header).
import Std.Arrays.Reversed;
import Std.Arrays.Excluding;
import Std.Convert.IntAsBoolArray;
import Carleman.HistoryState.PrepareSparseState;
import Oracles.AndChains.*;
import Oracles.UnaryIteration.*;
import Carleman.KroneckerFactors.*;
import Carleman.Kronecker.*;

/// # Summary
/// The terms (indices) that contain factor `choice` at slot `slot`.
internal function TermsWithFactor(data : KroneckerCarlemanData, choice : Int, slot : Int) : Int[] {
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
internal function TermsWithInputLevel(data : KroneckerCarlemanData, k : Int) : Int[] {
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
internal operation ApplyLevelCheck(u : Qubit, k : Int, level : Qubit[], slots : Qubit[][], aux : Qubit[], check : Qubit) : Unit is Adj + Ctl {
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
internal function SwapGroups(data : KroneckerCarlemanData) : (Int, Int)[][] {
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

internal function SameSwaps(a : (Int, Int)[], b : (Int, Int)[]) : Bool {
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
internal function SelectSets(data : KroneckerCarlemanData) : Int[][] {
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
internal function SelectBitIndices(sets : Int[][]) : (Int[], Int) {
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
/// SELECT of the M encoding (file header): every operation that some term contains is applied once, controlled on
/// one membership bit (term register ∈ the terms that contain it; all bits computed together by ComputeMembership),
/// so a gate carries one extra control, never the term register. Order: input checks, the consuming factors (F1,
/// F2, identity range checks) slot by slot, the F0 preparations into free slots, the level change, the slot
/// permutations.
@Config(Unrestricted)
internal operation ApplyKroneckerSelect(data : KroneckerCarlemanData, term : Qubit[], check : Qubit, flags : Qubit[], rowSlots : Qubit[][],
                               colSlot : Qubit[], row : Qubit[], angle : Qubit[], level : Qubit[], slots : Qubit[][], scratch : Qubit[]) : Unit is Adj + Ctl {
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
                    ApplySparseFactor(data.F1, data.AngleBits, g, slots[s], flags[s], rowSlots[s], colSlot, row, angle, aux);
                }
            }
            if Length(sets[2 * N + s]) > 0 {
                within {
                    XorIfPattern([true] + [false, size = Length(outer)], [sel[2 * N + s]] + outer, aux, g);
                } apply {
                    ApplySparseFactor(data.F2, data.AngleBits, g, slots[s] + slots[s + 1], flags[s], rowSlots[s], colSlot, row, angle, aux);
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
