// @Test() operations for Carleman.Kronecker: the sparse lookup, one sparse factor on a permutation matrix (a unitary
// block, so every outcome is deterministic), the identity-only Carleman M, and the registers/α of the encoding of L.
// The full blocks are compared with numpy in tests/test_quantum_kronecker.py.
import Std.Arrays.Reversed;
import Std.Diagnostics.CheckAllZero;
import Std.Diagnostics.Fact;
import Std.Math.AbsD;
import Std.Measurement.MeasureInteger;
import Carleman.KroneckerFactors.*;
import Carleman.Kronecker.KroneckerCarlemanData;
import Carleman.Kronecker.*;
import Carleman.Kronecker.KroneckerStoredEntries;
import Carleman.Kronecker.SparseFactor;
import Oracles.SparseLookup.SparseXorLookup;

@Test()
operation SparseLookupWritesOnlyListedKeys() : Unit {
    let keys = [1, 5, 6];
    let words = [3, 7, 0];
    for a in 0..7 {
        use (address, target) = (Qubit[3], Qubit[3]);
        ApplyXorInPlace(a, address);
        SparseXorLookup(keys, words, address, target);
        let want = a == 1 ? 3 | (a == 5 ? 7 | 0);
        let got = MeasureInteger(target);
        Fact(got == want, $"lookup of address {a} gave {got}, expected {want}");
        Fact(MeasureInteger(address) == a, "the address register changed");
    }
}

/// The 4 × 4 cyclic shift P|c> = |c + 1 mod 4> as sparse records (one per column and row, value 1 = MaxAbs).
internal function ShiftFactor(bits : Int) : SparseFactor {
    // −sin(2πx) = 1 at x = 3/4
    let x = 3 * 2^(bits - 2);
    new SparseFactor {
        InWidth = 2, ColumnSparsity = 1, RowSparsity = 1, MaxAbs = 1.0,
        Rows = [1, 2, 3, 0], Cols = [0, 1, 2, 3], ColSlots = [0, 0, 0, 0], RowSlots = [0, 0, 0, 0], Angles = [x, x, x, x],
        Loading = 0, Mirrored = false, FwdTable = [], RevTable = [], FwdBlocks = (1, 1), RevBlocks = (1, 1),
    }
}

@Test()
@Config(Unrestricted)
operation SparseFactorOfAPermutationIsThePermutation() : Unit {
    let bits = 8;
    for c in 0..3 {
        use (gate, flag, slot, row, aux) = (Qubit(), Qubit(), Qubit[2], Qubit[2], Qubit[3]);
        X(gate);
        ApplyXorInPlace(c, Reversed(slot));
        ApplySparseFactor(ShiftFactor(bits), bits, gate, slot, flag, [], [], row, [], aux);
        Fact(MeasureInteger(Reversed(slot)) == (c + 1) % 4, $"column {c} did not map to row {(c + 1) % 4}");
        Fact(CheckAllZero([flag] + row + aux), "flag, row or scratch left dirty");
        X(gate);
    }
    // gate off: the identity
    use (gate, flag, slot, row, aux) = (Qubit(), Qubit(), Qubit[2], Qubit[2], Qubit[3]);
    ApplyXorInPlace(2, Reversed(slot));
    ApplySparseFactor(ShiftFactor(bits), bits, gate, slot, flag, [], [], row, [], aux);
    Fact(MeasureInteger(Reversed(slot)) == 2, "the factor acted with its gate off");
    Fact(CheckAllZero([flag] + row + aux), "flag, row or scratch left dirty");
}

/// N = 1, n = 2, F0 = F1 = F2 = 0: M = I (the identity term alone), α_M = 1, T = 1, p = 0.
internal function IdentityCarlemanData() : KroneckerCarlemanData {
    let empty = new SparseFactor {
        InWidth = 1, ColumnSparsity = 1, RowSparsity = 1, MaxAbs = 1.0, Rows = [], Cols = [], ColSlots = [], RowSlots = [], Angles = [],
        Loading = 0, Mirrored = false, FwdTable = [], RevTable = [], FwdBlocks = (1, 1), RevBlocks = (1, 1),
    };
    new KroneckerCarlemanData {
        NumClock = 1, NumLevel = 0, SlotWidth = 1, NumSlots = 1, Steps = 1, Blocks = 2, AngleBits = 8, AlphaM = 1.0,
        F1 = empty, F2 = new SparseFactor { ...empty, InWidth = 2 }, F0Values = [0.0, 0.0], F0Swaps = [], SlotSize = 2,
        // term register values: 0 = none, 1 = the identity, 2 = null, 3 = do-nothing
        TermAmplitudesIn = [[0.0, 1.0, 0.0, 0.0]], TermAmplitudesOut = [[0.0, 1.0, 0.0, 0.0]],
        TermLevels = [(1, 1)], TermFactors = [[(1, 0)]], TermSwaps = [[]],
    }
}

@Test()
@Config(Unrestricted)
operation IdentityCarlemanMIsTheIdentity() : Unit {
    let be = KroneckerMBlockEncoding(IdentityCarlemanData());
    Fact(AbsD(be.Alpha - 1.0) < 1e-15 and be.NumSystem == 1, "M encoding registers");
    for c in 0..1 {
        use (anc, sys) = (Qubit[be.NumAncillas], Qubit[be.NumSystem]);
        ApplyXorInPlace(c, sys);
        be.Apply(anc, sys);
        Fact(CheckAllZero(anc), "ancillas left dirty");
        Fact(MeasureInteger(sys) == c, "M = I moved a basis state");
        ResetAll(sys);
    }
}

@Test()
@Config(Unrestricted)
operation KroneckerEncodingOfLHasAlphaOnePlusAlphaM() : Unit {
    let data = IdentityCarlemanData();
    let be = KroneckerCarlemanBlockEncoding(data);
    Fact(AbsD(be.Alpha - 2.0) < 1e-15, "α_L = 1 + α_M");
    Fact(be.NumSystem == 2 and be.NumAncillas == 2 + KroneckerMBlockEncoding(data).NumAncillas, "L encoding registers");
    Fact(KroneckerStoredEntries(data) == 0, "no F data stored for zero F's");
}
