// Entry points traced by the resource estimator (pyqgd.estimate.validation): the same circuits as Bridge.qs
// (the table-lookup block-encoding, real-part QSVT, fixed-point amplification) without state dumps,
// plus "fast" variants that trace the block-encoding once (BeginEstimateCaching) and the QSVT / amplification
// loops once (RepeatEstimates) so that mid sizes trace in milliseconds. The analytic cost model
// (pyqgd.estimate.logical) must equal the counts traced from these operations.
import Std.ResourceEstimation.BeginEstimateCaching;
import Std.ResourceEstimation.EndEstimateCaching;
import Std.ResourceEstimation.RepeatEstimates;
import Std.StatePreparation.PreparePureStateD;
import BlockEncoding.Core.BlockEncoding;
import BlockEncoding.Core.AdjointBlockEncoding;
import BlockEncoding.SparseAccess.SparseBlockEncoding;
import Oracles.TableLookup.SparseTableData;
import Oracles.TableLookup.TableSparseOracles;
import Qsvt.Qsvt.ApplyRealQsvt;
import Qsvt.Qsvt.ApplyProjectorPhase;
import Qsvt.Qsvt.ApplyRealQsvtToRegister;
import Amplification.FixedPoint.ApplyFixedPointAmplification;

/// # Summary
/// One application of the table-lookup sparse block-encoding (Bridge.DumpSparseBlockEncodingColumns without the dump).
operation TraceBlockEncoding(data : SparseTableData) : Unit {
    let be = SparseBlockEncoding(TableSparseOracles(data));
    use anc = Qubit[be.NumAncillas];
    use sys = Qubit[be.NumSystem];
    be.Apply(anc, sys);
    ResetAll(anc + sys);
}

/// # Summary
/// Bridge.QsvtSolve without the dump: PreparePureStateD(b), then the real-part QSVT on the block-encoding of M^T.
operation TraceQsvtSolve(data : SparseTableData, phases : Double[], b : Double[]) : Unit {
    let be = AdjointBlockEncoding(SparseBlockEncoding(TableSparseOracles(data)));
    use (lcu, sig) = (Qubit(), Qubit());
    use anc = Qubit[be.NumAncillas];
    use sys = Qubit[be.NumSystem];
    PreparePureStateD(b, sys);
    ApplyRealQsvt(phases, be, lcu, sig, anc, sys);
    ResetAll([lcu, sig] + anc + sys);
}

internal operation PrepareAndInvertForTrace(phases : Double[], be : BlockEncoding, b : Double[], qs : Qubit[]) : Unit is Adj {
    let a = be.NumAncillas;
    PreparePureStateD(b, qs[a + 2...]);
    ApplyRealQsvtToRegister(phases, be, qs);
}

/// # Summary
/// Bridge.QsvtSolveAmplified without the dump.
operation TraceQsvtSolveAmplified(data : SparseTableData, phases : Double[], b : Double[], alphas : Double[], betas : Double[]) : Unit {
    let be = AdjointBlockEncoding(SparseBlockEncoding(TableSparseOracles(data)));
    let n = be.NumAncillas + 2 + be.NumSystem;
    use qs = Qubit[n];
    ApplyFixedPointAmplification(PrepareAndInvertForTrace(phases, be, b, _), qs[0..be.NumAncillas + 1], qs, alphas, betas);
    ResetAll(qs);
}

/// # Summary
/// The block-encoding traced once and replayed (estimate caching); U and U† are cached separately.
internal operation ApplyCachedBlockEncoding(be : BlockEncoding, anc : Qubit[], sys : Qubit[]) : Unit is Adj {
    body (...) {
        if BeginEstimateCaching("pyqgd.Estimation.BlockEncoding", 0) {
            be.Apply(anc, sys);
            EndEstimateCaching();
        }
    }
    adjoint (...) {
        if BeginEstimateCaching("pyqgd.Estimation.AdjointBlockEncoding", 0) {
            Adjoint be.Apply(anc, sys);
            EndEstimateCaching();
        }
    }
}

/// # Summary
/// The real-part QSVT of odd degree d with the block-encoding of M^T, traced with one pass through the loop:
/// the (d − 1)/2 pairs (U, phase, U†, phase) are one RepeatEstimates body. All phases take the value `phase`
/// (a generic angle: the counts of a projector phase do not depend on its value unless it is a Clifford angle).
/// Counts equal TraceQsvtSolve with d + 1 generic phases (checked in tests/test_estimate_validation.py).
operation TraceQsvtSolveFast(data : SparseTableData, degree : Int, phase : Double, b : Double[]) : Unit {
    Std.Diagnostics.Fact(degree % 2 == 1, "the QSVT degree must be odd");
    let be = AdjointBlockEncoding(SparseBlockEncoding(TableSparseOracles(data)));
    use (lcu, sig) = (Qubit(), Qubit());
    use anc = Qubit[be.NumAncillas];
    use sys = Qubit[be.NumSystem];
    PreparePureStateD(b, sys);
    within {
        H(lcu);
    } apply {
        ApplyProjectorPhase(phase, anc, sig, lcu);
        ApplyCachedBlockEncoding(be, anc, sys);
        ApplyProjectorPhase(phase, anc, sig, lcu);
        if degree > 1 {
            within {
                RepeatEstimates((degree - 1) / 2);
            } apply {
                Adjoint ApplyCachedBlockEncoding(be, anc, sys);
                ApplyProjectorPhase(phase, anc, sig, lcu);
                ApplyCachedBlockEncoding(be, anc, sys);
                ApplyProjectorPhase(phase, anc, sig, lcu);
            }
        }
    }
    ResetAll([lcu, sig] + anc + sys);
}

/// # Summary
/// One std `Select` of `data` on an `addressBits`-qubit address (checks the QROM formula).
operation TraceSelect(data : Bool[][], addressBits : Int) : Unit {
    use address = Qubit[addressBits];
    use target = Qubit[Length(data[0])];
    Std.TableLookup.Select(data, address, target);
    ResetAll(address + target);
}
