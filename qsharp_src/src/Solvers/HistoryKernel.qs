// Kernel reflection (D. Dalzell, arXiv:2406.12086, 2024) on the Carleman history system L Y = B, without a controlled
// block-encoding and without an extra system qubit (docs/math.md, "Kernel reflection on the history system").
//
// The padded clock values c ≥ K = T + p + 1 are identity blocks of L (padded_tstep_matrix), so on the pad L/α acts as
// 1/α. With one pad value c* = K, a start state |e> = |c*>|φ> (φ the tensor-power state PrepareHistoryRhs puts on
// that clock value) and
//     |b'> = cos θ |B̂> + sin θ |e>,      (L/α)⁻¹ b' = cos θ · x + sin θ · α |e>,    x = (L/α)⁻¹ B̂,
// the kernel of G = (I − |b'><b'|) L/α is span(x + t e) with t = α tan θ: Dalzell's augmented system with the
// augmentation qubit replaced by the pad block. Both |b'> and |e> are PrepareHistoryRhs with other clock amplitudes,
// so the reflection about b' needs the structured preparation only (uncontrolled: Controlled of a within/apply
// controls the phase alone), and the encoding of L is called uncontrolled. The kernel reflection started on |e>
// leaves 2t/(‖x‖² + t²) · x on the history blocks; the good subspace is ancillas |0>, clock in [T, K − 1], level 1.
//
// Every block-encoding call is counted inside Q# by the loops (the returned Int), not by a formula.
import Std.Diagnostics.DumpMachine;
import BlockEncoding.Core.BlockEncoding;
import BlockEncoding.SparseAccess.SparseBlockEncoding;
import Qsvt.Qsvt.ApplyRealQsvtCounted;
import Amplification.FixedPoint.ApplyPhaseOnAllZero;
import Carleman.HistoryState.HistoryRhs;
import Carleman.HistoryState.PrepareHistoryRhs;
import Carleman.StructuredOracles.ApplyIfInRange;
import Carleman.StructuredOracles.CarlemanOracleData;
import Carleman.StructuredOracles.CarlemanSparseOracles;
import Carleman.Kronecker.KroneckerCarlemanData;
import Carleman.Kronecker.*;
import Solvers.KernelReflection.ApplyReflectionAboutState;

/// # Summary
/// Block-encoding of G = (I − |b'><b'|) L/α: `be` (block L/α, uncontrolled), then the projector I − |b'><b'| =
/// (I + R)/2 (R the reflection about b' = rhs'|0>) as a two-term LCU on one more ancilla q. anc = [q] + be's.
internal operation ApplyHistoryKernelOperator(be : BlockEncoding, rhs : HistoryRhs, anc : Qubit[], sys : Qubit[]) : Unit is Adj + Ctl {
    be.Apply(anc[1...], sys);
    within {
        H(anc[0]);
    } apply {
        Controlled ApplyReflectionAboutState([anc[0]], (PrepareHistoryRhs(rhs, _), sys));
    }
}

/// # Summary
/// The BlockEncoding value of G (one call = one call of `be` and two preparations of b').
internal function HistoryKernelOperator(be : BlockEncoding, rhs : HistoryRhs) : BlockEncoding {
    new BlockEncoding {
        Alpha = be.Alpha,
        NumAncillas = be.NumAncillas + 1,
        NumSystem = be.NumSystem,
        Apply = ApplyHistoryKernelOperator(be, rhs, _, _),
    }
}

/// # Summary
/// e^{i phase} on the good subspace of qs = ancillas (numAnc) + clock + level + slots: ancillas |0>, level |0>
/// (Carleman level 1) and steps ≤ clock ≤ blocks − 1 (the final window; the pad value c* of |e> is outside it).
internal operation ApplyPhaseOnHistoryWindow(phase : Double, steps : Int, blocks : Int, numAnc : Int, rhs : HistoryRhs, qs : Qubit[]) : Unit is Adj {
    let mt = rhs.NumClock;
    let clock = qs[numAnc..numAnc + mt - 1];
    let level = qs[numAnc + mt..numAnc + mt + rhs.NumLevel - 1];
    use outside = Qubit();
    within {
        ApplyIfInRange(steps, blocks - 1, clock, outside);
        X(outside);
    } apply {
        ApplyPhaseOnAllZero(phase, qs[0..numAnc - 1] + level + [outside]);
    }
}

/// # Summary
/// |e> = rhsE|0> then the kernel reflection K^{(SV)}(G) (or the adjoint of both, `inverse`) on
/// qs = [lcu, sig] + G's ancillas + sys. Returns the block-encoding calls made.
internal operation ApplyHistoryKernelReflectionCounted(phases : Double[], g : BlockEncoding, rhsE : HistoryRhs, qs : Qubit[], inverse : Bool) : Int {
    let nA = g.NumAncillas;
    let anc = qs[2..nA + 1];
    let sys = qs[nA + 2...];
    if not inverse {
        PrepareHistoryRhs(rhsE, sys);
        ApplyRealQsvtCounted(phases, g, qs[0], qs[1], anc, sys, false)
    } else {
        let calls = ApplyRealQsvtCounted(phases, g, qs[0], qs[1], anc, sys, true);
        Adjoint PrepareHistoryRhs(rhsE, sys);
        calls
    }
}

/// # Summary
/// The kernel-reflection history solve on any block-encoding `be` of L/α (padded layout), |b'> = rhsB|0>,
/// |e> = rhsE|0>, then fixed-point amplification (Yoder–Low–Chuang 2014; none when `alphas` is empty) of the final
/// window. Dumps [lcu, sig, q] + be's ancillas + sys when `dump` (after the first reflection when amplifying, and
/// at the end); returns the calls of `be`, counted in the loops.
operation HistoryKernelSolveWith(be : BlockEncoding, steps : Int, blocks : Int, rhsB : HistoryRhs, rhsE : HistoryRhs, phases : Double[], alphas : Double[], betas : Double[], dump : Bool) : Int {
    let g = HistoryKernelOperator(be, rhsB);
    let numAnc = g.NumAncillas + 2;
    use qs = Qubit[numAnc + g.NumSystem];
    mutable calls = ApplyHistoryKernelReflectionCounted(phases, g, rhsE, qs, false);
    if dump and Length(alphas) > 0 {
        DumpMachine();
    }
    for j in 0..Length(alphas) - 1 {
        ApplyPhaseOnHistoryWindow(betas[j], steps, blocks, numAnc, rhsB, qs);
        set calls += ApplyHistoryKernelReflectionCounted(phases, g, rhsE, qs, true);
        ApplyPhaseOnAllZero(-alphas[j], qs);
        set calls += ApplyHistoryKernelReflectionCounted(phases, g, rhsE, qs, false);
    }
    if dump {
        DumpMachine();
    }
    ResetAll(qs);
    calls
}

/// # Summary
/// The kernel-reflection history solve on the Kronecker encoding of L (dumps the state).
@Config(Unrestricted)
operation CarlemanKernelSolveKronecker(data : KroneckerCarlemanData, rhsB : HistoryRhs, rhsE : HistoryRhs, phases : Double[], alphas : Double[], betas : Double[]) : Int {
    HistoryKernelSolveWith(KroneckerCarlemanBlockEncoding(data), data.Steps, data.Blocks, rhsB, rhsE, phases, alphas, betas, true)
}

/// # Summary
/// The same circuit without the dump, for resource tracing (`logical_counts`).
@Config(Unrestricted)
operation TraceCarlemanKernelSolveKronecker(data : KroneckerCarlemanData, rhsB : HistoryRhs, rhsE : HistoryRhs, phases : Double[], alphas : Double[], betas : Double[]) : Int {
    HistoryKernelSolveWith(KroneckerCarlemanBlockEncoding(data), data.Steps, data.Blocks, rhsB, rhsE, phases, alphas, betas, false)
}

/// # Summary
/// The kernel-reflection history solve on the structured sparse-access encoding of L (dumps the state).
operation CarlemanKernelSolve(data : CarlemanOracleData, rhsB : HistoryRhs, rhsE : HistoryRhs, phases : Double[], alphas : Double[], betas : Double[]) : Int {
    HistoryKernelSolveWith(SparseBlockEncoding(CarlemanSparseOracles(data)), data.Steps, data.Blocks, rhsB, rhsE, phases, alphas, betas, true)
}

/// # Summary
/// The same circuit without the dump, for resource tracing (`logical_counts`).
operation TraceCarlemanKernelSolve(data : CarlemanOracleData, rhsB : HistoryRhs, rhsE : HistoryRhs, phases : Double[], alphas : Double[], betas : Double[]) : Int {
    HistoryKernelSolveWith(SparseBlockEncoding(CarlemanSparseOracles(data)), data.Steps, data.Blocks, rhsB, rhsE, phases, alphas, betas, false)
}

/// # Summary
/// TraceCarlemanKernelSolveKronecker with the encoding replaced by the identity (Solve.HistorySolve.IdleBlockEncoding):
/// the solve's cost without its block-encoding calls (the |b'> preparations of every call stay), for traces.
@Config(Unrestricted)
operation TraceCarlemanKernelSolveKroneckerWithoutCalls(data : KroneckerCarlemanData, rhsB : HistoryRhs, rhsE : HistoryRhs, phases : Double[], alphas : Double[], betas : Double[]) : Int {
    HistoryKernelSolveWith(Solve.HistorySolve.IdleBlockEncoding(KroneckerCarlemanBlockEncoding(data)), data.Steps, data.Blocks, rhsB, rhsE, phases, alphas, betas, false)
}
