// Level-controlled PREPARE trees: Ry rotations over a binary tree whose controls are built by unary iteration.
import Std.Arrays.Reversed;
import Std.Convert.IntAsBoolArray;
import Std.Math.Sqrt;
import Oracles.AndChains.*;
import Oracles.UnaryIteration.*;

/// # Summary
/// Where `cs` are all |1>: term |0> → Σ_t amplitudes[v][t] |t> for level register value v (amplitudes ≥ 0; both
/// registers big-endian). A binary tree of Ry rotations: bit k of the term is rotated by 2·atan(√w1/√w0) (w0, w1: the
/// weights of the two halves below the bits above k), controlled on one qubit that holds (cs, level = v, bits above
/// k = prefix); those controls are built by unary iteration (Babbush et al., PRX 8, 041015 (2018), Sec. III.A): one
/// AND per tree node from its parent's, so each node costs its rotation and two Toffolis. Subtrees of zero weight are
/// skipped, so the preparation and its adjoint keep the term register on few values (what a simulation pays for).
/// aux: clean scratch, at least Length(cs) + Length(level) + Length(term) qubits.
internal operation PrepareTermsTree(cs : Qubit[], amplitudes : Double[][], level : Qubit[], term : Qubit[], aux : Qubit[]) : Unit is Adj + Ctl {
    Std.Diagnostics.Fact(Length(cs) > 0, "PrepareTermsTree needs a control");
    let ml = Length(level);
    let nc = Length(cs) + ml;
    for v in 0..Length(amplitudes) - 1 {
        let lv = ml > 0 ? Reversed(IntAsBoolArray(v, ml)) | [];
        WithPattern([true, size = Length(cs)] + lv, cs + level, aux, PrepareSubtree(amplitudes[v], term, 0, 0, aux[nc - 1...], _));
    }
}

/// # Summary
/// The rotations of PrepareTermsTree below the node (k, prefix) where ctl is |1> (ctl = its controls' AND); scratch
/// aux[0] is the children's control, aux[1...] theirs. A node whose 0-half has zero weight rotates by π, which on
/// the fresh |0> bit is a CNOT (Ry(π)|0> = X|0>, Ry(−π)|1> = X|1>): only nodes with both halves nonzero rotate. The
/// children's controls follow the unary iteration's sibling step: aux = ctl ∧ ¬term[k] for child 0, then one CNOT
/// from ctl turns it into ctl ∧ term[k] for child 1 (Babbush et al. 2018, Fig. 5).
internal operation PrepareSubtree(a : Double[], term : Qubit[], k : Int, prefix : Int, aux : Qubit[], ctl : Qubit) : Unit is Adj + Ctl {
    let tb = Length(term);
    let span = 2^(tb - k - 1);
    let (w0, w1) = (SquaredNorm(a[2 * prefix * span..(2 * prefix + 1) * span - 1]),
                    SquaredNorm(a[(2 * prefix + 1) * span..(2 * prefix + 2) * span - 1]));
    if w1 > 0.0 {
        if w0 > 0.0 {
            Controlled Ry([ctl], (2.0 * Std.Math.ArcTan2(Sqrt(w1), Sqrt(w0)), term[k]));
        } else {
            CNOT(ctl, term[k]);
        }
    }
    if k + 1 < tb and span > 1 {
        UnaryChildren(w0 > 0.0, w1 > 0.0, ctl, term[k], aux[0], 2 * prefix, PrepareSubtree(a, term, k + 1, _, aux[1...], aux[0]));
    }
}

internal function SquaredNorm(xs : Double[]) : Double {
    mutable t = 0.0;
    for x in xs {
        set t += x * x;
    }
    t
}

/// # Summary
/// PrepareTermsTree controlled on the single qubit c.
internal operation PrepareTermsTreeOn(amplitudes : Double[][], level : Qubit[], term : Qubit[], aux : Qubit[], c : Qubit) : Unit is Adj + Ctl {
    PrepareTermsTree([c], amplitudes, level, term, aux);
}
