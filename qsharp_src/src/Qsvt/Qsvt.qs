// Quantum singular value transformation (Gilyén, Su, Low, Wiebe, STOC 2019, Thm 17 and Cor. 18).
//
// For a block-encoding U of A/α (projector Π = |0><0|_anc on both sides) and reflection-convention phases
// ψ_0..ψ_d (d odd), the sequence, in time order,
//     e^{iψ_d(2Π−I)}, U, e^{iψ_{d−1}(2Π−I)}, U†, ..., U, e^{iψ_0(2Π−I)}
// has top-left block P^{(SV)}(A/α) with P(x) = <0| e^{iψ_0 Z} R(x) e^{iψ_1 Z} ... R(x) e^{iψ_d Z} |0>.
// The real part Re P (the polynomial the Python side targets) is the average of the sequences with ψ and
// −ψ, implemented with one extra qubit `lcu` in |+> that flips the sign of every phase (Cor. 18).
import BlockEncoding.Core.BlockEncoding;

/// # Summary
/// e^{iψ(2Π−I)} on the ancilla register (Π: all ancillas |0>), with the sign of ψ flipped when `lcu` is |1>.
/// `sig` is a scratch qubit in |0>, returned to |0>.
operation ApplyProjectorPhase(phase : Double, anc : Qubit[], sig : Qubit, lcu : Qubit) : Unit is Adj + Ctl {
    within {
        ApplyControlledOnInt(0, X, anc, sig);
    } apply {
        // sig = |1> exactly on Π; Rzz(2ψ) gives e^{+iψ} there and e^{−iψ} off Π (lcu = |0>), signs swapped for lcu = |1>
        Rzz(2.0 * phase, sig, lcu);
    }
}

/// # Summary
/// The QSVT sequence for phases of length d + 1: U and U† alternate, starting with U (ending with U for odd d,
/// with U† for even d; GSLW 2019 Def. 15 with Π = Π̃).
internal operation ApplyQsvtSequence(phases : Double[], be : BlockEncoding, anc : Qubit[], sys : Qubit[], sig : Qubit, lcu : Qubit) : Unit is Adj + Ctl {
    let d = Length(phases) - 1;
    Std.Diagnostics.Fact(d >= 1, "ApplyQsvtSequence needs a polynomial of degree ≥ 1");
    ApplyProjectorPhase(phases[d], anc, sig, lcu);
    for k in 1..d {
        if k % 2 == 1 {
            be.Apply(anc, sys);
        } else {
            Adjoint be.Apply(anc, sys);
        }
        ApplyProjectorPhase(phases[d - k], anc, sig, lcu);
    }
}

/// # Summary
/// Block-encoding of Re P^{(SV)}(A/α): ancillas are [lcu, sig] + anc, all |0> on the block.
operation ApplyRealQsvt(phases : Double[], be : BlockEncoding, lcu : Qubit, sig : Qubit, anc : Qubit[], sys : Qubit[]) : Unit is Adj + Ctl {
    within {
        H(lcu);
    } apply {
        ApplyQsvtSequence(phases, be, anc, sys, sig, lcu);
    }
}

/// # Summary
/// ApplyRealQsvt on one register laid out [lcu, sig] + anc + sys (for dumps).
internal operation ApplyRealQsvtToRegister(phases : Double[], be : BlockEncoding, qs : Qubit[]) : Unit is Adj + Ctl {
    let a = be.NumAncillas;
    ApplyRealQsvt(phases, be, qs[0], qs[1], qs[2..a + 1], qs[a + 2...]);
}

/// # Summary
/// The real-part QSVT sequence (any degree d ≥ 1; U first, alternating with U†, phases applied ψ_d first) or, with
/// `inverse`, its adjoint; returns the number of block-encoding calls it made (counted in the loop).
/// Layout as Qsvt.ApplyRealQsvt: lcu in |+> selects the sign of every phase.
internal operation ApplyRealQsvtCounted(phases : Double[], be : BlockEncoding, lcu : Qubit, sig : Qubit, anc : Qubit[], sys : Qubit[], inverse : Bool) : Int {
    let d = Length(phases) - 1;
    mutable calls = 0;
    H(lcu);
    if not inverse {
        ApplyProjectorPhase(phases[d], anc, sig, lcu);
        for k in 1..d {
            if k % 2 == 1 {
                be.Apply(anc, sys);
            } else {
                Adjoint be.Apply(anc, sys);
            }
            set calls += 1;
            ApplyProjectorPhase(phases[d - k], anc, sig, lcu);
        }
    } else {
        for k in d..-1..1 {
            Adjoint ApplyProjectorPhase(phases[d - k], anc, sig, lcu);
            if k % 2 == 1 {
                Adjoint be.Apply(anc, sys);
            } else {
                be.Apply(anc, sys);
            }
            set calls += 1;
        }
        Adjoint ApplyProjectorPhase(phases[d], anc, sig, lcu);
    }
    H(lcu);
    calls
}
