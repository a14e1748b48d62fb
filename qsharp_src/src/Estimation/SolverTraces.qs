// Entry points that trace the Carleman T-step solver and its parts (pyqgd.estimate.circuit, pyqgd.estimate.validation).
// Each calls the solver's own operations (Carleman.HistoryState, Carleman.StructuredOracles, Qsvt, Amplification)
// without state dumps; the "cached" solver traces one block-encoding call (BeginEstimateCaching) and the QSVT and
// amplification loops once (RepeatEstimates), so that degrees in the hundreds trace in milliseconds.
import Std.ResourceEstimation.BeginEstimateCaching;
import Std.ResourceEstimation.EndEstimateCaching;
import Std.ResourceEstimation.RepeatEstimates;
import BlockEncoding.Core.BlockEncoding;
import BlockEncoding.Core.AdjointBlockEncoding;
import BlockEncoding.SparseAccess.SparseBlockEncoding;
import Qsvt.Qsvt.ApplyProjectorPhase;
import Amplification.FixedPoint.ApplyPhaseOnAllZero;
import Carleman.StructuredOracles.CarlemanOracleData;
import Carleman.StructuredOracles.CarlemanSparseOracles;
import Carleman.StructuredOracles.ApplyCarlemanColumnOracle;
import Carleman.StructuredOracles.ApplyCarlemanRowOracle;
import Carleman.StructuredOracles.ApplyCarlemanEntryOracle;
import Carleman.HistoryState.HistoryRhs;
import Carleman.HistoryState.PrepareHistoryRhs;
import Carleman.HistoryState.ApplyPhaseOnFinalWindow;

/// # Summary
/// The solver's block-encoding of L (as CarlemanQsvtSolve builds it: the adjoint of the structured sparse encoding).
internal function CarlemanSolverEncoding(data : CarlemanOracleData) : BlockEncoding {
    AdjointBlockEncoding(SparseBlockEncoding(CarlemanSparseOracles(data)))
}

/// # Summary
/// One call of the solver's block-encoding (`inverse` = false) or of its adjoint.
operation TraceCarlemanBlockEncoding(data : CarlemanOracleData, inverse : Bool) : Unit {
    let be = CarlemanSolverEncoding(data);
    use anc = Qubit[be.NumAncillas];
    use sys = Qubit[be.NumSystem];
    if inverse {
        Adjoint be.Apply(anc, sys);
    } else {
        be.Apply(anc, sys);
    }
    ResetAll(anc + sys);
}

/// # Summary
/// One oracle of the structured encoding: 0 = column, 1 = row, 2 = entry.
operation TraceCarlemanOracle(data : CarlemanOracleData, which : Int) : Unit {
    let m = data.NumClock + data.NumCarleman;
    use idx = Qubit[m];
    use sys = Qubit[m];
    use flag = Qubit();
    if which == 0 {
        ApplyCarlemanColumnOracle(data, idx, sys);
    } elif which == 1 {
        ApplyCarlemanRowOracle(data, idx, sys);
    } else {
        ApplyCarlemanEntryOracle(data, idx, sys, flag);
    }
    ResetAll(idx + sys + [flag]);
}

/// # Summary
/// The solver's block-encoding traced once and replayed (estimate caching); U and U† are cached separately.
internal operation ApplyCachedSolverEncoding(be : BlockEncoding, anc : Qubit[], sys : Qubit[]) : Unit is Adj {
    body (...) {
        if BeginEstimateCaching("pyqgd.Estimation.SolverEncoding", 0) {
            be.Apply(anc, sys);
            EndEstimateCaching();
        }
    }
    adjoint (...) {
        if BeginEstimateCaching("pyqgd.Estimation.SolverEncodingAdjoint", 0) {
            Adjoint be.Apply(anc, sys);
            EndEstimateCaching();
        }
    }
}

/// # Summary
/// HistoryState.PrepareAndInvertHistory with all d + 1 QSVT phases equal to `phase` (ApplyRealQsvt's sequence with
/// the (d − 1)/2 pairs (U, phase, U†, phase) as one RepeatEstimates body and cached block-encoding calls).
internal operation PrepareAndInvertCached(be : BlockEncoding, degree : Int, phase : Double, rhs : HistoryRhs, qs : Qubit[]) : Unit is Adj {
    let a = be.NumAncillas;
    let (lcu, sig, anc, sys) = (qs[0], qs[1], qs[2..a + 1], qs[a + 2...]);
    PrepareHistoryRhs(rhs, sys);
    within {
        H(lcu);
    } apply {
        ApplyProjectorPhase(phase, anc, sig, lcu);
        ApplyCachedSolverEncoding(be, anc, sys);
        ApplyProjectorPhase(phase, anc, sig, lcu);
        if degree > 1 {
            within {
                RepeatEstimates((degree - 1) / 2);
            } apply {
                Adjoint ApplyCachedSolverEncoding(be, anc, sys);
                ApplyProjectorPhase(phase, anc, sig, lcu);
                ApplyCachedSolverEncoding(be, anc, sys);
                ApplyProjectorPhase(phase, anc, sig, lcu);
            }
        }
    }
}

/// # Summary
/// HistoryState.CarlemanQsvtSolve (without the dump) with equal QSVT phases and `rounds` equal amplification rounds
/// (alpha, beta), the rounds as one RepeatEstimates body: counts equal CarlemanQsvtSolve with those phase lists
/// (checked in tests/test_estimate_solver.py), traced in milliseconds at any degree.
operation TraceCarlemanSolveCached(data : CarlemanOracleData, degree : Int, phase : Double, rhs : HistoryRhs, rounds : Int, alpha : Double, beta : Double) : Unit {
    Std.Diagnostics.Fact(degree % 2 == 1, "the QSVT degree must be odd");
    let be = CarlemanSolverEncoding(data);
    let numAnc = be.NumAncillas + 2;
    use qs = Qubit[numAnc + be.NumSystem];
    let prep = PrepareAndInvertCached(be, degree, phase, rhs, _);
    prep(qs);
    if rounds > 0 {
        within {
            RepeatEstimates(rounds);
        } apply {
            ApplyPhaseOnFinalWindow(beta, data.Steps, numAnc, rhs, qs);
            within {
                Adjoint prep(qs);
            } apply {
                ApplyPhaseOnAllZero(-alpha, qs);
            }
        }
    }
    ResetAll(qs);
}
