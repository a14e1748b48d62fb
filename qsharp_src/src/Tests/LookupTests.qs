// @Test() operations for the dense lookups (Oracles.Qroam) and the dense-table factor path
// (Carleman.KroneckerFactors): basis-state checks; the unitaries are compared with numpy in tests/test_lookups.py.
import Std.Arrays.Reversed;
import Std.Diagnostics.CheckAllZero;
import Std.Diagnostics.Fact;
import Std.Measurement.MeasureInteger;
import Oracles.Qroam.*;
import Oracles.Qroam.WordTable;
import Oracles.TableLookup.XorLookup;
import Carleman.Kronecker.SparseFactor;
import Carleman.KroneckerFactors.*;

@Test()
@Config(Unrestricted)
operation DenseLookupsReadEveryAddress() : Unit {
    let words = [5, 0, 7, 3, 1, 6, 2, 4];
    let data = WordTable(words, 3);
    for loading in 0..2 {
        for a in 0..7 {
            use (address, target) = (Qubit[3], Qubit[3]);
            ApplyXorInPlace(a, address);
            ApplyXorInPlace(1, target);
            if loading == 0 {
                XorLookup(data, address, target);
            } else {
                QroamXor(4, 2, loading == 1, data, address, target);
            }
            let got = MeasureInteger(target);
            Fact(got == (1 ^^^ words[a]), $"loading {loading}: address {a} gave {got}");
            Fact(MeasureInteger(address) == a, "the address register changed");
        }
    }
}

/// The 4 × 4 cyclic shift P|c> = |c + 1 mod 4> as dense tables (s_c = s_r = 1, no position registers): forward
/// c ↦ r + 4x, reverse r ↦ c + 4x with −sin(2πx/2^bits) = 1 (x = 3·2^(bits − 2)).
internal function DenseShiftFactor(bits : Int, loading : Int) : SparseFactor {
    let x = 3 * 2^(bits - 2);
    new SparseFactor {
        InWidth = 2, ColumnSparsity = 1, RowSparsity = 1, MaxAbs = 1.0, Rows = [1, 2, 3, 0], Cols = [0, 1, 2, 3],
        ColSlots = [0, 0, 0, 0], RowSlots = [0, 0, 0, 0], Angles = [x, x, x, x], Loading = loading, Mirrored = false,
        FwdTable = [1 + 4 * x, 2 + 4 * x, 3 + 4 * x, 0 + 4 * x], RevTable = [3 + 4 * x, 0 + 4 * x, 1 + 4 * x, 2 + 4 * x],
        FwdBlocks = (2, 2), RevBlocks = (2, 1),
    }
}

@Test()
@Config(Unrestricted)
operation DenseFactorOfAPermutationIsThePermutation() : Unit {
    let bits = 6;
    for loading in 1..2 {
        for c in 0..3 {
            use (gate, flag, slot, row, angle, aux) = (Qubit(), Qubit(), Qubit[2], Qubit[2], Qubit[bits], Qubit[3]);
            X(gate);
            ApplyXorInPlace(c, Reversed(slot));
            ApplySparseFactor(DenseShiftFactor(bits, loading), bits, gate, slot, flag, [], [], row, angle, aux);
            Fact(MeasureInteger(Reversed(slot)) == (c + 1) % 4, $"column {c} did not map to row {(c + 1) % 4}");
            Fact(CheckAllZero([flag] + row + angle + aux), "flag, row, angle or scratch left dirty");
            X(gate);
        }
        // gate off: the identity
        use (gate, flag, slot, row, angle, aux) = (Qubit(), Qubit(), Qubit[2], Qubit[2], Qubit[bits], Qubit[3]);
        ApplyXorInPlace(2, Reversed(slot));
        ApplySparseFactor(DenseShiftFactor(bits, loading), bits, gate, slot, flag, [], [], row, angle, aux);
        Fact(MeasureInteger(Reversed(slot)) == 2, "the factor acted with its gate off");
        Fact(CheckAllZero([flag] + row + angle + aux), "flag, row, angle or scratch left dirty");
        ResetAll(slot);
    }
}
