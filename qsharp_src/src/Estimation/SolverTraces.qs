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
import BlockEncoding.SparseAccess.PrepareIndexSuperposition;
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
function CarlemanSolverEncoding(data : CarlemanOracleData) : BlockEncoding {
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
/// D_s on an m-qubit index register (SparseAccess.PrepareIndexSuperposition).
operation TraceIndexSuperposition(s : Int, m : Int) : Unit {
    use idx = Qubit[m];
    PrepareIndexSuperposition(s, idx);
    ResetAll(idx);
}

/// # Summary
/// |0> → |B> (HistoryState.PrepareHistoryRhs) on numSystem qubits.
operation TraceHistoryRhs(rhs : HistoryRhs, numSystem : Int) : Unit {
    use sys = Qubit[numSystem];
    PrepareHistoryRhs(rhs, sys);
    ResetAll(sys);
}

/// # Summary
/// The amplification's reflection about the good subspace (HistoryState.ApplyPhaseOnFinalWindow) on numQubits qubits.
operation TraceFinalWindowPhase(steps : Int, numAnc : Int, rhs : HistoryRhs, numQubits : Int) : Unit {
    use qs = Qubit[numQubits];
    ApplyPhaseOnFinalWindow(0.123, steps, numAnc, rhs, qs);
    ResetAll(qs);
}

/// # Summary
/// ApplyPhaseOnAllZero on k qubits (generic phase).
operation TracePhaseOnAllZero(k : Int) : Unit {
    use qs = Qubit[k];
    ApplyPhaseOnAllZero(0.123, qs);
    ResetAll(qs);
}
