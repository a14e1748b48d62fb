// The history-state solve on the circuit, one operation for every block-encoding of L (Liu et al. 2024 Eqs. 6–9;
// docs/math.md §9): prepare |B>, apply the real-part QSVT of P ≈ c/x to the adjoint encoding (Gilyén, Su, Low, Wiebe,
// STOC 2019, Thm 17 / Cor. 18), then fixed-point amplitude amplification (Yoder, Low, Chuang, PRL 113, 210501, 2014)
// of the final-window, level-1 subspace. The number of block-encoding calls is counted by a mutable counter in the
// QSVT loops while the program runs and returned with the final state (a dump), so the number the Python side
// reports is the one the program executed, on every encoding.
import Std.Diagnostics.DumpMachine;
import BlockEncoding.Core.AdjointBlockEncoding;
import BlockEncoding.Core.BlockEncoding;
import BlockEncoding.SparseAccess.SparseBlockEncoding;
import Carleman.HistoryState.ApplyPhaseOnFinalWindow;
import Carleman.HistoryState.HistoryRhs;
import Carleman.HistoryState.PrepareHistoryRhs;
import Carleman.Kronecker.*;
import Carleman.Kronecker.KroneckerCarlemanData;
import Carleman.StructuredOracles.CarlemanOracleData;
import Carleman.StructuredOracles.CarlemanSparseOracles;
import Amplification.FixedPoint.FixedPointRoundsCounted;
import Qsvt.Qsvt.ApplyRealQsvtCounted;

/// # Summary
/// |B> then the real-part QSVT on `be` (or the adjoint of both, `inverse`) on qs = [lcu, sig] + anc + sys; returns
/// the block-encoding calls made, counted in Qsvt.ApplyRealQsvtCounted's loop.
internal operation PrepareAndInvertHistoryCounted(phases : Double[], be : BlockEncoding, rhs : HistoryRhs, qs : Qubit[], inverse : Bool) : Int {
    let a = be.NumAncillas;
    let sys = qs[a + 2...];
    if not inverse {
        PrepareHistoryRhs(rhs, sys);
        ApplyRealQsvtCounted(phases, be, qs[0], qs[1], qs[2..a + 1], sys, false)
    } else {
        let calls = ApplyRealQsvtCounted(phases, be, qs[0], qs[1], qs[2..a + 1], sys, true);
        Adjoint PrepareHistoryRhs(rhs, sys);
        calls
    }
}

/// # Summary
/// The solve on any block-encoding `be` of L^T/α (the adjoint of an encoding of L): A = (QSVT ∘ prepare |B>), then
/// S_s(α_j) S_t(β_j) for j = 1..l (none when `alphas` is empty), S_t = e^{iβ} on the final window (clock ≥ `steps`,
/// level 1, solver ancillas |0>), S_s = A (e^{−iα} on |0…0>) A†. Dumps [lcu, sig] + be's ancillas + sys after A
/// (the state before amplification) and, when amplifying, again at the end; returns the block-encoding calls,
/// counted while running: degree·(2l + 1) when every loop ran as planned.
operation HistorySolve(be : BlockEncoding, steps : Int, phases : Double[], rhs : HistoryRhs, alphas : Double[], betas : Double[]) : Int {
    let numAnc = be.NumAncillas + 2;
    use qs = Qubit[numAnc + be.NumSystem];
    mutable calls = PrepareAndInvertHistoryCounted(phases, be, rhs, qs, false);
    if Length(alphas) > 0 {
        DumpMachine();
    }
    let applyA = PrepareAndInvertHistoryCounted(phases, be, rhs, _, _);
    set calls += FixedPointRoundsCounted(applyA, ApplyPhaseOnFinalWindow(_, steps, numAnc, rhs, _), qs, alphas, betas);
    DumpMachine();
    ResetAll(qs);
    calls
}

/// # Summary
/// HistorySolve on the Kronecker block-encoding of L (Carleman.Kronecker, built from F0, F1, F2 alone).
@Config(Unrestricted)
operation HistorySolveKronecker(data : KroneckerCarlemanData, phases : Double[], rhs : HistoryRhs, alphas : Double[], betas : Double[]) : Int {
    HistorySolve(AdjointBlockEncoding(KroneckerCarlemanBlockEncoding(data)), data.Steps, phases, rhs, alphas, betas)
}

/// # Summary
/// HistorySolve on the structured sparse-access encoding of L (Carleman.StructuredOracles).
operation HistorySolveStructured(data : CarlemanOracleData, phases : Double[], rhs : HistoryRhs, alphas : Double[], betas : Double[]) : Int {
    HistorySolve(AdjointBlockEncoding(SparseBlockEncoding(CarlemanSparseOracles(data))), data.Steps, phases, rhs, alphas, betas)
}

/// # Summary
/// Does nothing on (anc, sys): the `Apply` of IdleBlockEncoding.
internal operation ApplyNothing(anc : Qubit[], sys : Qubit[]) : Unit is Adj + Ctl {}

/// # Summary
/// A stand-in with `be`'s registers whose unitary is the identity: HistorySolve on it costs everything except the
/// block-encoding calls (the |B> preparations, projector phases and reflections), so that a trace of the solve minus
/// a trace of this one is the cost of the calls alone.
internal function IdleBlockEncoding(be : BlockEncoding) : BlockEncoding {
    new BlockEncoding { ...be, Apply = ApplyNothing }
}

/// # Summary
/// HistorySolveKronecker with the encoding replaced by IdleBlockEncoding (for traces: the solve's cost without its
/// calls; the dump and the returned count are those of the identity circuit).
@Config(Unrestricted)
operation HistorySolveKroneckerWithoutCalls(data : KroneckerCarlemanData, phases : Double[], rhs : HistoryRhs, alphas : Double[], betas : Double[]) : Int {
    HistorySolve(IdleBlockEncoding(KroneckerCarlemanBlockEncoding(data)), data.Steps, phases, rhs, alphas, betas)
}

/// # Summary
/// HistorySolveStructured with the encoding replaced by IdleBlockEncoding (for traces, as above).
operation HistorySolveStructuredWithoutCalls(data : CarlemanOracleData, phases : Double[], rhs : HistoryRhs, alphas : Double[], betas : Double[]) : Int {
    HistorySolve(IdleBlockEncoding(SparseBlockEncoding(CarlemanSparseOracles(data))), data.Steps, phases, rhs, alphas, betas)
}
