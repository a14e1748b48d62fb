// Optimal-scaling quantum linear-system solver by kernel reflection (D. Dalzell, "A shortcut to an optimal quantum
// linear system solver", arXiv:2406.12086, 2024, §3 and Eq. 62), on any BlockEncoding of A (block A/α).
//
// Augmented system (x = (A/α)⁻¹ b, ‖b‖ = 1, t > 0 a guess of ‖x‖):
//     A_t = |0><0|_a ⊗ A/α + t⁻¹ |1><1|_a ⊗ |0><0|_s,      b' ∝ |0>_a|b> + |1>_a|0>,      x_t ∝ |0>_a x + t |1>_a|0>.
// On span(|0>_a|s>, |1>_a|0>) (G_t vanishes on |1>_a|s ≠ 0>, which the start state never meets) G_t = (I − |b'><b'|) A_t
// has the one-dimensional kernel span(x_t), and its other singular values are ≥ σ_min(A_t) (for v ⊥ A_t†b',
// G_t v = A_t v). The even polynomial K ≈ sign-free reflection (K(0) = 1, K ≈ −1 on [δ, 1]) applied
// by QSVT to G_t reflects about x_t; started on |e> = |1>_a|0>, the output 2<x_t|e> x_t − e has, on a = 0, the
// component 2t/(‖x‖² + t²) · x: the solution, with probability 4r²/(1 + r²)² (r = t/‖x‖), 1 at r = 1.
//
// Every block-encoding call is counted inside Q# by the loops below (the returned Int), not by a formula.
import Std.Diagnostics.DumpMachine;
import Std.Math.ArcCos;
import Std.Math.PI;
import Std.StatePreparation.PreparePureStateD;
import BlockEncoding.Core.BlockEncoding;
import BlockEncoding.SparseAccess.SparseBlockEncoding;
import Qsvt.Qsvt.ApplyRealQsvtCounted;
import Amplification.FixedPoint.ApplyPhaseOnAllZero;
import Oracles.TableLookup.SparseTableData;
import Oracles.TableLookup.TableSparseOracles;

/// # Summary
/// |0>_a|0>_s → (|0>_a|b> + |1>_a|0>)/√2 on sys = [a] + s, with |b> = prepB|0>.
internal operation PrepareAugmentedRhs(prepB : Qubit[] => Unit is Adj + Ctl, sys : Qubit[]) : Unit is Adj + Ctl {
    H(sys[0]);
    ApplyControlledOnInt(0, prepB, [sys[0]], sys[1...]);
}

/// # Summary
/// I − 2|ψ><ψ| with |ψ> = prep|0> (a genuine reflection: prep† maps ψ to |0>, which gets the phase −1).
internal operation ApplyReflectionAboutState(prep : Qubit[] => Unit is Adj + Ctl, qs : Qubit[]) : Unit is Adj + Ctl {
    within {
        Adjoint prep(qs);
    } apply {
        ApplyPhaseOnAllZero(PI(), qs);
    }
}

/// # Summary
/// Block-encoding of A_t = |0><0|_a ⊗ A/α + invT |1><1|_a ⊗ |0><0|_s; anc = [w] + A's ancillas, sys = [a] + s.
/// On a = 1 the rotation of w gives the amplitude invT on w = |0>, and s ≠ 0 flips A's first ancilla out of the block.
internal operation ApplyAugmentedBlockEncoding(be : BlockEncoding, invT : Double, anc : Qubit[], sys : Qubit[]) : Unit is Adj + Ctl {
    let w = anc[0];
    let beAnc = anc[1...];
    let a = sys[0];
    let s = sys[1...];
    ApplyControlledOnInt(0, be.Apply, [a], (beAnc, s));
    Controlled Ry([a], (2.0 * ArcCos(invT), w));
    Controlled X([a], beAnc[0]);
    ApplyControlledOnBitString([true] + Repeated(false, Length(s)), X, [a] + s, beAnc[0]);
}

/// # Summary
/// Block-encoding of G_t = (I − |b'><b'|) A_t: the augmented encoding, then the projector I − |b'><b'| = (I + R)/2
/// (R the reflection about b') as a two-term LCU on one more ancilla q. anc = [q, w] + A's ancillas, sys = [a] + s.
internal operation ApplyKernelOperator(be : BlockEncoding, prepB : Qubit[] => Unit is Adj + Ctl, invT : Double, anc : Qubit[], sys : Qubit[]) : Unit is Adj + Ctl {
    ApplyAugmentedBlockEncoding(be, invT, anc[1...], sys);
    within {
        H(anc[0]);
    } apply {
        Controlled ApplyReflectionAboutState([anc[0]], (PrepareAugmentedRhs(prepB, _), sys));
    }
}

/// # Summary
/// The BlockEncoding value of G_t (one call = one call of A's encoding and two of prepB); Alpha is A's α (the block
/// is G_t with A/α inside it).
function KernelOperatorBlockEncoding(be : BlockEncoding, prepB : Qubit[] => Unit is Adj + Ctl, invT : Double) : BlockEncoding {
    new BlockEncoding {
        Alpha = be.Alpha,
        NumAncillas = be.NumAncillas + 2,
        NumSystem = be.NumSystem + 1,
        Apply = ApplyKernelOperator(be, prepB, invT, _, _),
    }
}

/// # Summary
/// X on a (|0> → |e> = |1>_a|0>) then the kernel reflection K^{(SV)}(G_t) (or the adjoint of both, `inverse`), on
/// qs = [lcu, sig] + G's ancillas + [a] + s. Returns the block-encoding calls made.
internal operation ApplyKernelReflectionCounted(phases : Double[], g : BlockEncoding, qs : Qubit[], inverse : Bool) : Int {
    let nA = g.NumAncillas;
    let anc = qs[2..nA + 1];
    let sys = qs[nA + 2...];
    if not inverse {
        X(sys[0]);
        ApplyRealQsvtCounted(phases, g, qs[0], qs[1], anc, sys, false)
    } else {
        let calls = ApplyRealQsvtCounted(phases, g, qs[0], qs[1], anc, sys, true);
        X(sys[0]);
        calls
    }
}

/// # Summary
/// The kernel-reflection solver on any block-encoding `be` of A and preparation `prepB` of |b>, followed by
/// fixed-point amplitude amplification (Yoder–Low–Chuang 2014; none when `alphas` is empty) of the good subspace
/// "all ancillas and a in |0>". Dumps [lcu, sig, q, w, A's ancillas, a, s] (good block: the first 2^m amplitudes)
/// and returns the number of calls of `be` (each call of G_t is one call of `be`), counted in the loops.
operation KernelReflectionSolveWith(be : BlockEncoding, prepB : Qubit[] => Unit is Adj + Ctl, invT : Double, phases : Double[], alphas : Double[], betas : Double[]) : Int {
    let g = KernelOperatorBlockEncoding(be, prepB, invT);
    let nA = g.NumAncillas;
    use qs = Qubit[2 + nA + g.NumSystem];
    mutable calls = ApplyKernelReflectionCounted(phases, g, qs, false);
    for j in 0..Length(alphas) - 1 {
        ApplyPhaseOnAllZero(betas[j], qs[0..nA + 2]);
        set calls += ApplyKernelReflectionCounted(phases, g, qs, true);
        ApplyPhaseOnAllZero(-alphas[j], qs);
        set calls += ApplyKernelReflectionCounted(phases, g, qs, false);
    }
    DumpMachine();
    ResetAll(qs);
    calls
}

/// # Summary
/// KernelReflectionSolveWith on the table-lookup sparse-access block-encoding of M and PreparePureStateD(b).
operation KernelReflectionSolve(data : SparseTableData, b : Double[], invT : Double, phases : Double[], alphas : Double[], betas : Double[]) : Int {
    KernelReflectionSolveWith(SparseBlockEncoding(TableSparseOracles(data)), PreparePureStateD(b, _), invT, phases, alphas, betas)
}

/// # Summary
/// The same circuit without the dump, for resource tracing (`logical_counts`); returns the counted calls.
operation TraceKernelReflectionSolve(data : SparseTableData, b : Double[], invT : Double, phases : Double[], alphas : Double[], betas : Double[]) : Int {
    let g = KernelOperatorBlockEncoding(SparseBlockEncoding(TableSparseOracles(data)), PreparePureStateD(b, _), invT);
    let nA = g.NumAncillas;
    use qs = Qubit[2 + nA + g.NumSystem];
    mutable calls = ApplyKernelReflectionCounted(phases, g, qs, false);
    for j in 0..Length(alphas) - 1 {
        ApplyPhaseOnAllZero(betas[j], qs[0..nA + 2]);
        set calls += ApplyKernelReflectionCounted(phases, g, qs, true);
        ApplyPhaseOnAllZero(-alphas[j], qs);
        set calls += ApplyKernelReflectionCounted(phases, g, qs, false);
    }
    ResetAll(qs);
    calls
}

/// # Summary
/// Dumps the columns (ancillas |0>) of the G_t block-encoding on the table-lookup encoding of M, layout
/// [q, w, A's ancillas, a, s] (for checking its block against numpy).
operation DumpKernelOperatorColumns(data : SparseTableData, b : Double[], invT : Double) : Unit {
    let g = KernelOperatorBlockEncoding(SparseBlockEncoding(TableSparseOracles(data)), PreparePureStateD(b, _), invT);
    Diagnostics.Dumps.DumpBlockColumns(qs => g.Apply(qs[0..g.NumAncillas - 1], qs[g.NumAncillas...]), g.NumAncillas, g.NumSystem);
}

/// # Summary
/// One call of the table-lookup sparse block-encoding of M controlled on one qubit (the per-call cost the
/// kernel-reflection cost model takes as input), for resource tracing.
operation TraceControlledBlockEncoding(data : SparseTableData) : Unit {
    let be = SparseBlockEncoding(TableSparseOracles(data));
    use c = Qubit();
    use anc = Qubit[be.NumAncillas];
    use sys = Qubit[be.NumSystem];
    ApplyControlledOnInt(0, be.Apply, [c], (anc, sys));
}

/// # Summary
/// One preparation of |b> controlled on one qubit (the per-call cost of the right-hand side), for tracing.
operation TraceControlledPreparation(b : Double[]) : Unit {
    use c = Qubit();
    use sys = Qubit[Std.Math.BitSizeI(Length(b) - 1)];
    ApplyControlledOnInt(0, PreparePureStateD(b, _), [c], sys);
}

/// # Summary
/// One call of G_t on the table-lookup encoding of M, for resource tracing (per-call overhead over A's encoding).
operation TraceKernelOperator(data : SparseTableData, b : Double[], invT : Double) : Unit {
    let g = KernelOperatorBlockEncoding(SparseBlockEncoding(TableSparseOracles(data)), PreparePureStateD(b, _), invT);
    use anc = Qubit[g.NumAncillas];
    use sys = Qubit[g.NumSystem];
    g.Apply(anc, sys);
}
