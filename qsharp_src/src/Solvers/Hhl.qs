// HHL (Harrow, Hassidim, Lloyd, PRL 103, 150502, 2009) on a block-encoding: phase estimation of the qubitized walk
// (Low & Chuang, Quantum 3, 163, 2019; Babbush et al., PRX 8, 041015, 2018, §II), the eigenvalue-inversion rotation of
// a flag qubit, and uncomputation of the phase estimation.
//
// For a real symmetric H with block-encoding U (block H/α), U_H = |1><0|_e ⊗ U + |0><1|_e ⊗ U† is Hermitian and
// self-inverse and block-encodes (H + Hᵀ)/2α = H/α with Π = |+><+|_e ⊗ |0><0|_anc. The walk W = −(2Π − I)·U_H (the
// sign is that of the phase-on-|0…0> reflection below) has, on the 2-D invariant subspace of |+,0>|v_λ>, the
// eigenvalues e^{iθ} with cos θ = −λ/α. Phase estimation with n qubits writes θ ≈ 2πk/2^n; the rotation angles per
// register value k come from Python (pyqgd.quantum.hhl), where the register convention is checked. Both walk
// eigenvectors of one λ give the same cos θ, so uncomputing the estimation returns |+,0>|v_λ> with amplitude
// C/λ̃ on flag |1>. Each walk step calls U once and U† once (both controlled by e): 2 block-encoding calls.
import Std.Diagnostics.DumpMachine;
import Std.Math.PI;
import Std.StatePreparation.PreparePureStateD;
import BlockEncoding.Core.BlockEncoding;
import BlockEncoding.SparseAccess.SparseBlockEncoding;
import Amplification.FixedPoint.ApplyPhaseOnAllZero;
import Oracles.TableLookup.SparseTableData;
import Oracles.TableLookup.TableSparseOracles;

/// # Summary
/// U_H = |1><0|_e ⊗ U + |0><1|_e ⊗ U† (Hermitian, self-inverse) on e, A's ancillas and the system.
internal operation ApplyHermitianEncoding(be : BlockEncoding, e : Qubit, anc : Qubit[], sys : Qubit[]) : Unit is Adj + Ctl {
    ApplyControlledOnInt(0, be.Apply, [e], (anc, sys));
    ApplyControlledOnInt(1, Adjoint be.Apply, [e], (anc, sys));
    X(e);
}

/// # Summary
/// One step of the walk −(2Π − I)·U_H on qs = [e] + A's ancillas + system.
internal operation ApplyQubitizedWalk(be : BlockEncoding, qs : Qubit[]) : Unit is Adj + Ctl {
    let a = be.NumAncillas;
    ApplyHermitianEncoding(be, qs[0], qs[1..a], qs[a + 1...]);
    within {
        H(qs[0]);
    } apply {
        ApplyPhaseOnAllZero(PI(), qs[0..a]);
    }
}

/// # Summary
/// Inverse QFT for a register whose qubit j carries the phase e^{2πi x 2^j / 2^n} (phase[j] controlled W^(2^j)):
/// qubit n−1 first (it holds the least significant bit of x), removing the phases of the bits already read; leaves
/// x big-endian (q[0] the most significant bit), the order of state dumps.
internal operation ApplyInverseQftToBigEndian(q : Qubit[]) : Unit is Adj + Ctl {
    let n = Length(q);
    for j in n - 1..-1..0 {
        for k in j + 1..n - 1 {
            Controlled R1([q[k]], (-PI() / Std.Convert.IntAsDouble(2^(k - j)), q[j]));
        }
        H(q[j]);
    }
}

/// # Summary
/// Phase estimation of the walk on the phase register (phase[j] controls W^(2^j)), or its inverse; returns the
/// block-encoding calls made (2 per walk step), counted in the loops. The estimate k (θ ≈ 2πk/2^n) is big-endian.
internal operation ApplyWalkPhaseEstimationCounted(be : BlockEncoding, phase : Qubit[], qs : Qubit[], inverse : Bool) : Int {
    let n = Length(phase);
    mutable calls = 0;
    if not inverse {
        for q in phase {
            H(q);
        }
        for j in 0..n - 1 {
            for _ in 1..2^j {
                Controlled ApplyQubitizedWalk([phase[j]], (be, qs));
                set calls += 2;
            }
        }
        ApplyInverseQftToBigEndian(phase);
    } else {
        Adjoint ApplyInverseQftToBigEndian(phase);
        for j in n - 1..-1..0 {
            for _ in 1..2^j {
                Controlled Adjoint ApplyQubitizedWalk([phase[j]], (be, qs));
                set calls += 2;
            }
        }
        for q in phase {
            H(q);
        }
    }
    calls
}

/// # Summary
/// HHL on any block-encoding `be` of a real symmetric H and preparation `prepB` of |b>: `angles[k]` is the Ry angle
/// of the flag for the phase estimate k (big-endian register value, θ ≈ 2πk/2^n). Dumps [flag, phase, e, A's ancillas,
/// sys] (success: flag 1, everything else but sys 0) and returns the block-encoding calls counted in the loops.
operation HhlSolveWith(be : BlockEncoding, prepB : Qubit[] => Unit is Adj + Ctl, numPhase : Int, angles : Double[]) : Int {
    use flag = Qubit();
    use phase = Qubit[numPhase];
    use e = Qubit();
    use anc = Qubit[be.NumAncillas];
    use sys = Qubit[be.NumSystem];
    let qs = [e] + anc + sys;
    prepB(sys);
    H(e);
    mutable calls = ApplyWalkPhaseEstimationCounted(be, phase, qs, false);
    for k in 0..2^numPhase - 1 {
        ApplyControlledOnInt(k, Ry(angles[k], _), Std.Arrays.Reversed(phase), flag);
    }
    set calls += ApplyWalkPhaseEstimationCounted(be, phase, qs, true);
    H(e);
    DumpMachine();
    ResetAll([flag] + phase + qs);
    calls
}

/// # Summary
/// HhlSolveWith on the table-lookup sparse-access encoding of H and PreparePureStateD(b).
operation HhlSolve(data : SparseTableData, b : Double[], numPhase : Int, angles : Double[]) : Int {
    HhlSolveWith(SparseBlockEncoding(TableSparseOracles(data)), PreparePureStateD(b, _), numPhase, angles)
}

/// # Summary
/// Dumps [phase, e, A's ancillas, sys] after the forward phase estimation alone (checks the register convention).
operation DumpWalkPhaseEstimation(data : SparseTableData, b : Double[], numPhase : Int) : Unit {
    let be = SparseBlockEncoding(TableSparseOracles(data));
    use phase = Qubit[numPhase];
    use e = Qubit();
    use anc = Qubit[be.NumAncillas];
    use sys = Qubit[be.NumSystem];
    PreparePureStateD(b, sys);
    H(e);
    let _ = ApplyWalkPhaseEstimationCounted(be, phase, [e] + anc + sys, false);
    DumpMachine();
    ResetAll(phase + [e] + anc + sys);
}
