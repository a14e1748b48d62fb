// HHL (Harrow, Hassidim, Lloyd, PRL 103, 150502, 2009), the textbook baseline:
// quantum phase estimation of e^{2πiHt}, a rotation of a flag qubit by arcsin(C/λ) controlled on the
// estimated eigenvalue, and uncomputation of the phase estimation; success = flag |1>.
//
// The Hamiltonian-simulation oracle is exact and simulated in H's eigenbasis: `thetas[k]` = λ_k t is the
// eigenphase of basis state |k> (big-endian) and the caller supplies the system state in that basis
// (pyqgd.quantum.hhl rotates in and out with the eigenvectors, e^{iHt} = V e^{iΛt} Vᵀ). Phase estimation,
// the eigenvalue-controlled rotation and the uncomputation are real circuits; their errors are HHL's own.
import Std.Arrays.Most;
import Std.Arrays.Tail;
import Std.Canon.ApplyControlledOnInt;
import Std.Canon.ApplyQPE;
import Std.Diagnostics.DumpMachine;
import Std.Math.ArcSin;
import Std.Math.PI;
import Std.StatePreparation.PreparePureStateD;

/// # Summary
/// e^{2πi θ_k · power} on each big-endian basis state |k> of `sys` (the exact e^{2πiHt·power} in H's eigenbasis).
operation ApplyEigenphasePower(thetas : Double[], power : Int, sys : Qubit[]) : Unit is Adj + Ctl {
    let m = Length(sys);
    for k in 0..Length(thetas) - 1 {
        let phi = 2.0 * PI() * thetas[k] * Std.Convert.IntAsDouble(power);
        within {
            for q in 0..m - 1 {
                if (k >>> (m - 1 - q)) % 2 == 0 {
                    X(sys[q]);
                }
            }
        } apply {
            Controlled R1(Most(sys), (phi, Tail(sys)));
        }
    }
}

/// # Summary
/// Flag rotation Ry(2 arcsin(C/λ̃)) for every phase-register value p (little-endian, two's complement),
/// λ̃ = signed(p) / (2^n t); |C/λ̃| is clipped to 1; p = 0 (λ̃ = 0) is left unrotated.
operation ApplyInverseEigenvalueRotation(c : Double, t : Double, phase : Qubit[], flag : Qubit) : Unit is Adj + Ctl {
    let n = Length(phase);
    for p in 1..2^n - 1 {
        let s = p < 2^(n - 1) ? p | p - 2^n;
        let lam = Std.Convert.IntAsDouble(s) / (Std.Convert.IntAsDouble(2^n) * t);
        let r = Std.Math.MaxD(-1.0, Std.Math.MinD(1.0, c / lam));
        ApplyControlledOnInt(p, Ry(2.0 * ArcSin(r), _), phase, flag);
    }
}

/// # Summary
/// One HHL run on the eigenbasis amplitudes `bEig`; dumps [flag, phase, sys] (success branch: flag = 1,
/// phase = 0). Returns the number of controlled e^{2πiHt} applications, 2(2^n − 1).
operation HhlSolveEigenbasis(thetas : Double[], bEig : Double[], numPhase : Int, c : Double, t : Double) : Int {
    let m = Std.Math.BitSizeI(Length(thetas) - 1);
    use flag = Qubit();
    use phase = Qubit[numPhase];
    use sys = Qubit[m];
    PreparePureStateD(bEig, sys);
    let oracle = ApplyEigenphasePower(thetas, _, _);
    within {
        ApplyQPE(oracle, sys, phase);
    } apply {
        ApplyInverseEigenvalueRotation(c, t, phase, flag);
    }
    DumpMachine();
    ResetAll([flag] + phase + sys);
    2 * (2^numPhase - 1)
}
