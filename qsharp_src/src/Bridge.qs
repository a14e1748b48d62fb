// Entry points called from Python (pyqgd.quantum): they take plain data (tables, phases, amplitudes),
// build the oracles and block-encodings, run, and dump states for the bridge to read back.
import BlockEncoding.Core.ApplyBlockEncodingToRegister;
import BlockEncoding.Core.AdjointBlockEncoding;
import Amplification.FixedPoint.ApplyPhaseOnAllZero;
import Amplification.FixedPoint.FixedPointRoundsCounted;
import Qsvt.Qsvt.ApplyRealQsvtCounted;
import BlockEncoding.Core.BlockEncoding;
import Qsvt.Qsvt.ApplyRealQsvtToRegister;
import Std.Diagnostics.DumpMachine;
import Std.StatePreparation.PreparePureStateD;
import BlockEncoding.SparseAccess.SparseBlockEncoding;
import Diagnostics.Dumps.DumpBlockColumns;
import Diagnostics.Dumps.DumpChoiState;
import Oracles.TableLookup.SparseTableData;
import Oracles.TableLookup.TableSparseOracles;

/// # Summary
/// Dumps the columns (ancillas = |0>) of the table-lookup sparse block-encoding unitary, layout [flag, idx, sys].
operation DumpSparseBlockEncodingColumns(data : SparseTableData) : Unit {
    let be = SparseBlockEncoding(TableSparseOracles(data));
    DumpBlockColumns(ApplyBlockEncodingToRegister(be, _), be.NumAncillas, be.NumSystem);
}

/// # Summary
/// Dumps the Choi state of the whole table-lookup sparse block-encoding unitary (2m + 1 qubits; small m only).
operation DumpSparseBlockEncodingUnitary(data : SparseTableData) : Unit {
    let be = SparseBlockEncoding(TableSparseOracles(data));
    DumpChoiState(ApplyBlockEncodingToRegister(be, _), be.NumAncillas + be.NumSystem);
}

/// # Summary
/// Dumps the columns (all ancillas |0>) of the real-part QSVT circuit on the table-lookup block-encoding of M
/// (or of M^T when `transpose`), register layout [lcu, sig, flag, idx, sys].
operation DumpQsvtBlockColumns(data : SparseTableData, phases : Double[], transpose : Bool) : Unit {
    let be0 = SparseBlockEncoding(TableSparseOracles(data));
    let be = transpose ? AdjointBlockEncoding(be0) | be0;
    DumpBlockColumns(ApplyRealQsvtToRegister(phases, be, _), be.NumAncillas + 2, be.NumSystem);
}

/// # Summary
/// QSVT linear solver: prepares |b> (big-endian amplitudes, normalized), applies Re P^{(SV)}(M^T/α) with P ≈ c/x
/// (so the good block holds ≈ c α M^{-1} b), and dumps [lcu, sig, flag, idx, sys]; the success branch is the
/// first 2^m amplitudes. Returns the number of block-encoding calls, counted in the QSVT loop.
operation QsvtSolve(data : SparseTableData, phases : Double[], b : Double[]) : Int {
    let be = AdjointBlockEncoding(SparseBlockEncoding(TableSparseOracles(data)));
    use (lcu, sig) = (Qubit(), Qubit());
    use anc = Qubit[be.NumAncillas];
    use sys = Qubit[be.NumSystem];
    PreparePureStateD(b, sys);
    let calls = ApplyRealQsvtCounted(phases, be, lcu, sig, anc, sys, false);
    DumpMachine();
    ResetAll([lcu, sig] + anc + sys);
    calls
}

/// # Summary
/// PreparePureStateD(b) then the real-part QSVT on M^T, on the register [lcu, sig] + anc + sys.
internal operation PrepareAndInvert(phases : Double[], be : BlockEncoding, b : Double[], qs : Qubit[]) : Unit is Adj {
    let a = be.NumAncillas;
    PreparePureStateD(b, qs[a + 2...]);
    ApplyRealQsvtToRegister(phases, be, qs);
}

/// # Summary
/// PrepareAndInvert (or its adjoint, `inverse`) returning the block-encoding calls counted in the QSVT loop.
internal operation PrepareAndInvertCounted(phases : Double[], be : BlockEncoding, b : Double[], qs : Qubit[], inverse : Bool) : Int {
    let a = be.NumAncillas;
    let sys = qs[a + 2...];
    if not inverse {
        PreparePureStateD(b, sys);
        ApplyRealQsvtCounted(phases, be, qs[0], qs[1], qs[2..a + 1], sys, false)
    } else {
        let calls = ApplyRealQsvtCounted(phases, be, qs[0], qs[1], qs[2..a + 1], sys, true);
        Adjoint PreparePureStateD(b, sys);
        calls
    }
}

/// # Summary
/// QsvtSolve followed by fixed-point amplitude amplification of the success flags [lcu, sig, flag, idx] = 0 (the
/// gate sequence of Amplification.FixedPoint.ApplyFixedPointAmplification); dumps [lcu, sig, flag, idx, sys]. Returns
/// the number of block-encoding calls, counted in the loops.
operation QsvtSolveAmplified(data : SparseTableData, phases : Double[], b : Double[], alphas : Double[], betas : Double[]) : Int {
    let be = AdjointBlockEncoding(SparseBlockEncoding(TableSparseOracles(data)));
    let n = be.NumAncillas + 2 + be.NumSystem;
    use qs = Qubit[n];
    mutable calls = PrepareAndInvertCounted(phases, be, b, qs, false);
    let flags = be.NumAncillas + 2;
    set calls += FixedPointRoundsCounted(PrepareAndInvertCounted(phases, be, b, _, _), ApplyPhaseOnFirst(flags, _, _), qs, alphas, betas);
    DumpMachine();
    ResetAll(qs);
    calls
}

/// # Summary
/// e^{i phase} where the first `count` qubits of `qs` are all |0> (the success flags [lcu, sig, flag, idx]).
internal operation ApplyPhaseOnFirst(count : Int, phase : Double, qs : Qubit[]) : Unit {
    ApplyPhaseOnAllZero(phase, qs[0..count - 1]);
}

/// # Summary
/// Dumps the columns (ancillas = |0>) of the structured sparse block-encoding of the T-step Carleman matrix L,
/// layout [flag, idx, sys] (compare with DumpSparseBlockEncodingColumns on the explicit data of the same L).
operation DumpCarlemanBlockEncodingColumns(data : Carleman.StructuredOracles.CarlemanOracleData) : Unit {
    let be = SparseBlockEncoding(Carleman.StructuredOracles.CarlemanSparseOracles(data));
    DumpBlockColumns(ApplyBlockEncodingToRegister(be, _), be.NumAncillas, be.NumSystem);
}
