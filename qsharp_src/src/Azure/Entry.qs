// Entry points for hardware / Azure Quantum submission (pyqgd.quantum.azure.compile_qir and compile_carleman_qir).
//
// QIR generation needs every callable argument to be known at compile time (defunctionalization), so the
// operation-valued structs of BlockEncoding.Core / BlockEncoding.SparseAccess cannot be used here. The operations
// below compose the same table-lookup sparse-access block-encoding (BlockEncoding.SparseAccess.ApplySparseBlockEncoding
// with Oracles.TableLookup.TableSparseOracles) and the same real-part QSVT sequence (Qsvt.Qsvt.ApplyRealQsvt on
// BlockEncoding.Core.AdjointBlockEncoding) from direct calls; `QsvtSolveDirectState` lets the tests check, on the
// simulator, that the result equals Bridge.QsvtSolve amplitude by amplitude. The Carleman GD solver is rebuilt the
// same way: the structured oracles of Carleman.StructuredOracles called directly instead of through
// CarlemanSparseOracles, and `CarlemanSolveDirectState` equals Carleman.HistoryState.CarlemanQsvtSolve (without
// amplification) amplitude by amplitude.
//
// The table lookups (std `Select`) uncompute their AND gates with mid-circuit measurements and classically
// controlled corrections, so these programs need an adaptive profile (Adaptive_RI), not Base.
import BlockEncoding.SparseAccess.PrepareIndexSuperposition;
import Oracles.TableLookup.ApplyTableEntryOracle;
import Oracles.TableLookup.ApplyTableIndexOracle;
import Oracles.TableLookup.BitTable;
import Oracles.TableLookup.SparseTableData;
import Qsvt.Qsvt.ApplyProjectorPhase;
import Std.StatePreparation.PreparePureStateD;
import Carleman.StructuredOracles.CarlemanOracleData;
import Carleman.StructuredOracles.ApplyCarlemanColumnOracle;
import Carleman.StructuredOracles.ApplyCarlemanRowOracle;
import Carleman.StructuredOracles.ApplyCarlemanEntryOracle;
import Carleman.HistoryState.HistoryRhs;
import Carleman.HistoryState.PrepareHistoryRhs;

/// # Summary
/// The table-lookup sparse-access block-encoding of `data` (an (s·MaxAbs, m + 1)-block-encoding of M), with
/// anc = [flag] + idx (1 + m qubits) and sys (m qubits); the same circuit as
/// `ApplySparseBlockEncoding(TableSparseOracles(data), anc, sys)`, built from direct calls.
internal operation ApplyTableSparseBlockEncoding(data : SparseTableData, anc : Qubit[], sys : Qubit[]) : Unit is Adj + Ctl {
    let m = data.NumSystem;
    Std.Diagnostics.Fact(Length(anc) == m + 1 and Length(sys) == m, "the block-encoding needs 1 + m ancillas and m system qubits");
    let flag = anc[0];
    let idx = anc[1...];
    PrepareIndexSuperposition(data.Sparsity, idx);
    ApplyTableIndexOracle(BitTable(data.ColumnTable, m), BitTable(data.ColumnInverse, m), idx, sys);
    ApplyTableEntryOracle(BitTable(data.AngleTable, data.AngleBits), data.AngleBits, idx, sys, flag);
    for q in 0..m - 1 {
        SWAP(idx[q], sys[q]);
    }
    Adjoint ApplyTableIndexOracle(BitTable(data.RowTable, m), BitTable(data.RowInverse, m), idx, sys);
    Adjoint PrepareIndexSuperposition(data.Sparsity, idx);
}

/// # Summary
/// Block-encoding of Re P^{(SV)}(M^T/α) for reflection phases ψ_0..ψ_d (d odd): the sequence of
/// Qsvt.Qsvt.ApplyQsvtSequence with U = (table block-encoding of M)†, inside H on `lcu`.
internal operation ApplyRealQsvtOnTransposeDirect(phases : Double[], data : SparseTableData, lcu : Qubit, sig : Qubit, anc : Qubit[], sys : Qubit[]) : Unit is Adj + Ctl {
    let d = Length(phases) - 1;
    Std.Diagnostics.Fact(d % 2 == 1, "the QSVT solver needs an odd polynomial degree (an even number of phases)");
    within {
        H(lcu);
    } apply {
        ApplyProjectorPhase(phases[d], anc, sig, lcu);
        for k in 1..d {
            if k % 2 == 1 {
                Adjoint ApplyTableSparseBlockEncoding(data, anc, sys);
            } else {
                ApplyTableSparseBlockEncoding(data, anc, sys);
            }
            ApplyProjectorPhase(phases[d - k], anc, sig, lcu);
        }
    }
}

/// # Summary
/// The QSVT linear solver of `Bridge.QsvtSolve`, measured: prepares |b> (big-endian amplitudes, normalized), applies
/// Re P^{(SV)}(M^T/α) with P ≈ c/x, and measures every qubit.
///
/// # Output
/// Results of `[lcu, sig, flag] + idx + sys` (idx and sys: m qubits each, big-endian). A shot succeeded when the
/// first 3 + m results are all `Zero`; the last m results are then distributed as |<i|x>|², x ∝ M^{-1} b.
operation QsvtSolveMeasured(data : SparseTableData, phases : Double[], b : Double[]) : Result[] {
    let m = data.NumSystem;
    use (lcu, sig) = (Qubit(), Qubit());
    use anc = Qubit[m + 1];
    use sys = Qubit[m];
    PreparePureStateD(b, sys);
    ApplyRealQsvtOnTransposeDirect(phases, data, lcu, sig, anc, sys);
    MResetEachZ([lcu, sig] + anc + sys)
}

/// # Summary
/// The sparse-access block-encoding applied to |0>_anc|b>, measured (the smallest QIR program of the package).
/// Results of `[flag] + idx + sys`; the ancillas read all `Zero` with probability ‖M b‖² / α².
operation BlockEncodingMeasured(data : SparseTableData, b : Double[]) : Result[] {
    let m = data.NumSystem;
    use anc = Qubit[m + 1];
    use sys = Qubit[m];
    PreparePureStateD(b, sys);
    ApplyTableSparseBlockEncoding(data, anc, sys);
    MResetEachZ(anc + sys)
}

/// # Summary
/// For tests on the simulator: the state of `QsvtSolveMeasured` before measurement, dumped in the layout of
/// `Bridge.QsvtSolve` ([lcu, sig, flag, idx, sys]).
operation QsvtSolveDirectState(data : SparseTableData, phases : Double[], b : Double[]) : Unit {
    let m = data.NumSystem;
    use (lcu, sig) = (Qubit(), Qubit());
    use anc = Qubit[m + 1];
    use sys = Qubit[m];
    PreparePureStateD(b, sys);
    ApplyRealQsvtOnTransposeDirect(phases, data, lcu, sig, anc, sys);
    Std.Diagnostics.DumpMachine();
    ResetAll([lcu, sig] + anc + sys);
}

// ---------------------------------------------------------------- the Carleman GD solver

/// # Summary
/// The structured sparse-access block-encoding of the T-step Carleman matrix L (system = clock + Carleman register),
/// with anc = [flag] + idx (1 + m qubits): the circuit of
/// `ApplySparseBlockEncoding(CarlemanSparseOracles(data), anc, sys)`, built from direct calls.
internal operation ApplyCarlemanBlockEncodingDirect(data : CarlemanOracleData, anc : Qubit[], sys : Qubit[]) : Unit is Adj + Ctl {
    let m = data.NumClock + data.NumCarleman;
    Std.Diagnostics.Fact(Length(anc) == m + 1 and Length(sys) == m, "the block-encoding needs 1 + m ancillas and m system qubits");
    let flag = anc[0];
    let idx = anc[1...];
    PrepareIndexSuperposition(data.Sparsity, idx);
    ApplyCarlemanColumnOracle(data, idx, sys);
    ApplyCarlemanEntryOracle(data, idx, sys, flag);
    for q in 0..m - 1 {
        SWAP(idx[q], sys[q]);
    }
    Adjoint ApplyCarlemanRowOracle(data, idx, sys);
    Adjoint PrepareIndexSuperposition(data.Sparsity, idx);
}

/// # Summary
/// Re P^{(SV)}(L^T/α) for reflection phases ψ_0..ψ_d (d odd), on the Carleman block-encoding (as
/// `ApplyRealQsvtOnTransposeDirect` on the table block-encoding).
internal operation ApplyRealQsvtOnCarlemanDirect(phases : Double[], data : CarlemanOracleData, lcu : Qubit, sig : Qubit, anc : Qubit[], sys : Qubit[]) : Unit is Adj + Ctl {
    let d = Length(phases) - 1;
    Std.Diagnostics.Fact(d % 2 == 1, "the QSVT solver needs an odd polynomial degree (an even number of phases)");
    within {
        H(lcu);
    } apply {
        ApplyProjectorPhase(phases[d], anc, sig, lcu);
        for k in 1..d {
            if k % 2 == 1 {
                Adjoint ApplyCarlemanBlockEncodingDirect(data, anc, sys);
            } else {
                ApplyCarlemanBlockEncodingDirect(data, anc, sys);
            }
            ApplyProjectorPhase(phases[d - k], anc, sig, lcu);
        }
    }
}

/// # Summary
/// The quantum Carleman GD solver of `Carleman.HistoryState.CarlemanQsvtSolve` (without amplification), measured:
/// prepares the history-state right-hand side |B>, applies the QSVT inverse of L, and measures every qubit.
///
/// # Output
/// Results of `[lcu, sig, flag] + idx + sys` (idx and sys: m = clock + Carleman qubits each, big-endian). A shot
/// succeeded when the first 3 + m results are all `Zero`; the last m results are then a sample of the history state
/// |Y>/‖Y‖ (clock, level, tensor slots); post-selecting clock ≥ T and level 1 gives |u(T)|².
operation CarlemanSolveMeasured(data : CarlemanOracleData, phases : Double[], rhs : HistoryRhs) : Result[] {
    let m = data.NumClock + data.NumCarleman;
    use (lcu, sig) = (Qubit(), Qubit());
    use anc = Qubit[m + 1];
    use sys = Qubit[m];
    PrepareHistoryRhs(rhs, sys);
    ApplyRealQsvtOnCarlemanDirect(phases, data, lcu, sig, anc, sys);
    MResetEachZ([lcu, sig] + anc + sys)
}

/// # Summary
/// For tests on the simulator: the state of `CarlemanSolveMeasured` before measurement, in the layout of
/// `Carleman.HistoryState.CarlemanQsvtSolve` ([lcu, sig, flag, idx, sys]).
operation CarlemanSolveDirectState(data : CarlemanOracleData, phases : Double[], rhs : HistoryRhs) : Unit {
    let m = data.NumClock + data.NumCarleman;
    use (lcu, sig) = (Qubit(), Qubit());
    use anc = Qubit[m + 1];
    use sys = Qubit[m];
    PrepareHistoryRhs(rhs, sys);
    ApplyRealQsvtOnCarlemanDirect(phases, data, lcu, sig, anc, sys);
    Std.Diagnostics.DumpMachine();
    ResetAll([lcu, sig] + anc + sys);
}
