// The sparse-access encodings of one Kronecker factor (F1, F2): the record path (sparse QROMs) and the dense
// (row, position) table path (QROM or QROAM reads), see Carleman/Kronecker.qs's header.
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
import Oracles.AndChains.*;
import Oracles.SparseLookup.*;
import Oracles.UnaryIteration.*;
import Oracles.PrepareTree.*;
import Carleman.KroneckerSelect.*;
import Carleman.Kronecker.*;

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
