// @Test() operations for the counted QSVT sequence (used by the kernel-reflection and Carleman solvers).
import Std.Diagnostics.CheckOperationsAreEqual;
import Std.Diagnostics.Fact;
import BlockEncoding.Core.BlockEncoding;
import Qsvt.Qsvt.ApplyRealQsvt;
import Qsvt.Qsvt.ApplyRealQsvtCounted;

/// A small real 1-ancilla unitary used as a block-encoding (any unitary is one).
internal operation ToyEncoding(t : Double, anc : Qubit[], sys : Qubit[]) : Unit is Adj + Ctl {
    Ry(2.0 * t, anc[0]);
    CNOT(anc[0], sys[0]);
    Ry(t, sys[0]);
}

/// qs = [lcu, sig, anc, sys] (lcu and sig stay entangled for nonzero phases, so they are part of the compared register).
internal operation CountedQsvtOnRegister(phases : Double[], be : BlockEncoding, inverse : Bool, qs : Qubit[]) : Unit {
    let calls = ApplyRealQsvtCounted(phases, be, qs[0], qs[1], [qs[2]], [qs[3]], inverse);
    Fact(calls == Length(phases) - 1, $"counted {calls} calls for {Length(phases) - 1} phases after the first");
}

@Test()
operation CountedQsvtEqualsRealQsvtForOddAndEvenDegrees() : Unit {
    let be = new BlockEncoding { Alpha = 1.0, NumAncillas = 1, NumSystem = 1, Apply = ToyEncoding(0.45, _, _) };
    for phases in [[0.3, -0.7, 1.1, 0.2], [0.5, -0.2, 0.9], [0.1, 0.4, -0.6, 0.8, -1.2]] {
        Fact(CheckOperationsAreEqual(4, qs => CountedQsvtOnRegister(phases, be, false, qs),
            qs => ApplyRealQsvt(phases, be, qs[0], qs[1], [qs[2]], [qs[3]])),
            $"counted QSVT differs from ApplyRealQsvt for {Length(phases)} phases");
        Fact(CheckOperationsAreEqual(4, qs => CountedQsvtOnRegister(phases, be, true, qs),
            qs => Adjoint ApplyRealQsvt(phases, be, qs[0], qs[1], [qs[2]], [qs[3]])),
            $"inverse counted QSVT differs from the adjoint for {Length(phases)} phases");
    }
}
