// @Test() operations for the QSVT building blocks and fixed-point amplitude amplification.
import Std.Diagnostics.CheckOperationsAreEqual;
import Std.Diagnostics.Fact;
import Amplification.FixedPoint.ApplyPhaseOnAllZero;
import BlockEncoding.Core.BlockEncoding;
import Qsvt.Qsvt.ApplyProjectorPhase;
import Qsvt.Qsvt.ApplyRealQsvt;

@Test()
operation ProjectorPhaseIsPhaseOnAllZeroUpToGlobalPhase() : Unit {
    for psi in [0.3, -1.1, 2.5] {
        Fact(CheckOperationsAreEqual(3, qs => {
            use (sig, lcu) = (Qubit(), Qubit());
            ApplyProjectorPhase(psi, qs, sig, lcu);
        }, qs => ApplyPhaseOnAllZero(2.0 * psi, qs)), $"e^(iψ(2Π−I)) != e^(2iψ) on |000> (ψ = {psi})");
    }
}

/// A 1-ancilla block-encoding of cos(t)·Z-like reflections: Ry(2t) on the ancilla controlled nothing,
/// followed by CNOT; any unitary is a block-encoding, this one is small and real.
internal operation ToyBlockEncoding(t : Double, anc : Qubit[], sys : Qubit[]) : Unit is Adj + Ctl {
    Ry(2.0 * t, anc[0]);
    CNOT(anc[0], sys[0]);
    Ry(t, sys[0]);
}

@Test()
operation QsvtWithZeroPhasesIsTheBlockEncodingItself() : Unit {
    // degree 1 with reflection phases (0, 0) is P(x) = x: the circuit is exactly U (and H·H on lcu)
    let be = new BlockEncoding { Alpha = 1.0, NumAncillas = 1, NumSystem = 1, Apply = ToyBlockEncoding(0.4, _, _) };
    Fact(CheckOperationsAreEqual(2, qs => {
        use (lcu, sig) = (Qubit(), Qubit());
        ApplyRealQsvt([0.0, 0.0], be, lcu, sig, [qs[0]], [qs[1]]);
    }, qs => ToyBlockEncoding(0.4, [qs[0]], [qs[1]])), "QSVT with phases (0, 0) differs from U");
}

@Test()
operation QsvtAppliesUAndAdjointAlternately() : Unit {
    // degree 3 with all-zero phases: U U† U = U
    let be = new BlockEncoding { Alpha = 1.0, NumAncillas = 1, NumSystem = 1, Apply = ToyBlockEncoding(0.7, _, _) };
    Fact(CheckOperationsAreEqual(2, qs => {
        use (lcu, sig) = (Qubit(), Qubit());
        ApplyRealQsvt([0.0, 0.0, 0.0, 0.0], be, lcu, sig, [qs[0]], [qs[1]]);
    }, qs => ToyBlockEncoding(0.7, [qs[0]], [qs[1]])), "U U† U != U");
}
