// @Test() operations for the table-lookup oracles and the sparse-access block-encoding.
// Run from pytest (tests/test_qsharp.py collects every @Test callable) or qdk.test_utils.run_tests.
import Std.Arrays.Reversed;
import Std.Diagnostics.CheckAllZero;
import Std.Diagnostics.CheckOperationsAreEqual;
import Std.Diagnostics.Fact;
import Std.Math.AbsD;
import Std.Measurement.MeasureInteger;
import Std.StatePreparation.PreparePureStateD;
import BlockEncoding.SparseAccess.SparseBlockEncoding;
import Oracles.TableLookup.ApplyTableIndexOracle;
import Oracles.TableLookup.BitTable;
import Oracles.TableLookup.SparseTableData;
import Oracles.TableLookup.TableSparseOracles;

/// Permutation tables on m = 2 qubits: for each j, c(j, l) = (l + j) mod 4; inverse l = (i − j) mod 4.
internal function ShiftTables() : (Int[], Int[]) {
    mutable table = [];
    mutable inverse = [];
    for j in 0..3 {
        for l in 0..3 {
            table += [(l + j) % 4];
        }
    }
    for j in 0..3 {
        for i in 0..3 {
            inverse += [(i - j + 4) % 4];
        }
    }
    (table, inverse)
}

@Test()
operation TableIndexOracleMapsEveryBasisState() : Unit {
    let (table, inverse) = ShiftTables();
    for j in 0..3 {
        for l in 0..3 {
            use (idx, sys) = (Qubit[2], Qubit[2]);
            // big-endian registers: the integer is written into the reversed (little-endian) view
            ApplyXorInPlace(l, Reversed(idx));
            ApplyXorInPlace(j, Reversed(sys));
            ApplyTableIndexOracle(BitTable(table, 2), BitTable(inverse, 2), idx, sys);
            let got = MeasureInteger(Reversed(idx));
            let keep = MeasureInteger(Reversed(sys));
            Fact(got == (l + j) % 4, $"c({j}, {l}) = {got}, expected {(l + j) % 4}");
            Fact(keep == j, "the system register changed");
        }
    }
}

@Test()
operation BigEndianConventionMatchesPreparePureStateD() : Unit {
    // PreparePureStateD puts coefficient k on the big-endian integer k: |2> on 2 qubits is qs[0] = 1.
    use qs = Qubit[2];
    PreparePureStateD([0.0, 0.0, 1.0, 0.0], qs);
    Fact(MeasureInteger(Reversed(qs)) == 2, "big-endian read of PreparePureStateD(|2>) failed");
}

/// Identity matrix on m = 2 qubits: s = 1, every c(j, 0) = j, all entries 1 (angle 0).
internal function IdentityData() : SparseTableData {
    mutable table = [];
    mutable angles = [];
    for j in 0..3 {
        for l in 0..3 {
            table += [(l + j) % 4];
        }
    }
    let (_, inverse) = ShiftTables();
    for j in 0..3 {
        for i in 0..3 {
            angles += [i == j ? 0 | 2^(10 - 2)];
        }
    }
    new SparseTableData {
        NumSystem = 2, Sparsity = 1, MaxAbs = 1.0, AngleBits = 10,
        ColumnTable = table, ColumnInverse = inverse, RowTable = table, RowInverse = inverse, AngleTable = angles,
    }
}

@Test()
operation SparseBlockEncodingOfIdentityIsIdentityOnTheBlock() : Unit {
    let be = SparseBlockEncoding(TableSparseOracles(IdentityData()));
    Fact(AbsD(be.Alpha - 1.0) < 1e-12, "alpha of the identity should be 1");
    for j in 0..3 {
        use (anc, sys) = (Qubit[be.NumAncillas], Qubit[be.NumSystem]);
        ApplyXorInPlace(j, Reversed(sys));
        be.Apply(anc, sys);
        Fact(CheckAllZero(anc), "ancillas left |0> for the identity");
        Fact(MeasureInteger(Reversed(sys)) == j, "identity block-encoding moved a basis state");
    }
}

@Test()
operation SparseBlockEncodingIsInvertedByItsAdjoint() : Unit {
    let be = SparseBlockEncoding(TableSparseOracles(IdentityData()));
    Fact(CheckOperationsAreEqual(5, qs => {
        be.Apply(qs[0..2], qs[3...]);
        Adjoint be.Apply(qs[0..2], qs[3...]);
    }, qs => ()), "U† U != I");
}
