// Sparse-access oracles from explicit data, loaded by table lookup (std `Select`, a QROM).
// Tables are indexed by the little-endian address `low + 2^m * high` where `low` is the first register
// passed and `high` the second; stored values are big-endian register integers (the Python bridge
// pyqgd.quantum.oracles builds them and documents the layout).
import Std.Arrays.Mapped;
import Std.Arrays.Reversed;
import Std.Convert.IntAsBoolArray;
import Std.Math.PI;
import Std.TableLookup.Select;
import BlockEncoding.SparseAccess.SparseOracles;

/// # Summary
/// Explicit oracle data of a 2^NumSystem × 2^NumSystem matrix (all tables have 4^NumSystem entries).
/// - ColumnTable[l + N j] = c(j, l), ColumnInverse[i + N j] = l with c(j, l) = i  (N = 2^NumSystem);
/// - RowTable[k + N i] = r(i, k),    RowInverse[j + N i] = k with r(i, k) = j;
/// - AngleTable[i + N j] = round(arccos(M_ij / MaxAbs) / (2π) · 2^AngleBits)  (a b-bit binary fraction).
struct SparseTableData {
    NumSystem : Int,
    Sparsity : Int,
    MaxAbs : Double,
    AngleBits : Int,
    ColumnTable : Int[],
    ColumnInverse : Int[],
    RowTable : Int[],
    RowInverse : Int[],
    AngleTable : Int[],
}

internal function BitTable(values : Int[], width : Int) : Bool[][] {
    Mapped(v -> IntAsBoolArray(v, width), values)
}

/// # Summary
/// target ^= data[address] as a self-inverse operation. `Adjoint Select` is a measurement-based
/// *unlookup* that is only valid when the target already holds data[address]; the index oracles below
/// also run the lookup backwards on other targets, so their adjoint must use the forward lookup.
operation XorLookup(data : Bool[][], address : Qubit[], target : Qubit[]) : Unit is Adj + Ctl {
    body (...) {
        Select(data, address, target);
    }
    adjoint self;
}

/// # Summary
/// In-place index oracle |l>|j> -> |f(j, l)>|j> from a table of f and of its inverse in l:
/// t ^= f(j, l); idx ^= f^{-1}(j, t) (= l, clearing idx); swap idx <-> t. Two lookups and m SWAPs.
operation ApplyTableIndexOracle(table : Bool[][], inverse : Bool[][], idx : Qubit[], sys : Qubit[]) : Unit is Adj + Ctl {
    let m = Length(idx);
    use t = Qubit[m];
    XorLookup(table, Reversed(idx) + Reversed(sys), Reversed(t));
    XorLookup(inverse, Reversed(t) + Reversed(sys), Reversed(idx));
    for q in 0..m - 1 {
        SWAP(idx[q], t[q]);
    }
}

/// # Summary
/// Entry oracle: load the b-bit angle x_ij (θ_ij = 2π x_ij) into a scratch register, rotate the flag by
/// Ry(2θ_ij) bit by bit after a Z, and unload; on flag |0> this gives cos θ_ij |0> + sin θ_ij |1>.
/// The Z makes the 2×2 action [[cos, sin], [sin, -cos]] Hermitian, so the block-encoding of a symmetric
/// matrix with symmetric tables is itself Hermitian (needed for qubitization).
operation ApplyTableEntryOracle(angles : Bool[][], bits : Int, idx : Qubit[], sys : Qubit[], flag : Qubit) : Unit is Adj + Ctl {
    use a = Qubit[bits];
    // Forward lookup on both sides: the measurement-based `Adjoint Select` leaves a random global phase (−1)
    // in simulation, which would make dumped blocks sign-ambiguous.
    within {
        XorLookup(angles, Reversed(idx) + Reversed(sys), a);
    } apply {
        Z(flag);
        // bit k of the little-endian integer X has weight 2^k; total rotation Ry(4π X / 2^bits) = Ry(2θ).
        // Largest angles first: the simulator prunes amplitudes below ~1e-10, so a tiny rotation applied
        // to a flag still exactly in |0> would be lost.
        for k in bits - 1..-1..0 {
            Controlled Ry([a[k]], (4.0 * PI() * 2.0^Std.Convert.IntAsDouble(k - bits), flag));
        }
    }
}

/// # Summary
/// The table-lookup SparseOracles for explicit data.
internal function TableSparseOracles(data : SparseTableData) : SparseOracles {
    let m = data.NumSystem;
    new SparseOracles {
        NumSystem = m,
        Sparsity = data.Sparsity,
        MaxAbs = data.MaxAbs,
        Column = ApplyTableIndexOracle(BitTable(data.ColumnTable, m), BitTable(data.ColumnInverse, m), _, _),
        Row = ApplyTableIndexOracle(BitTable(data.RowTable, m), BitTable(data.RowInverse, m), _, _),
        Entry = ApplyTableEntryOracle(BitTable(data.AngleTable, data.AngleBits), data.AngleBits, _, _, _),
    }
}
