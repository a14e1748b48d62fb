// A block-encoding as a value: U on (ancilla, system) registers with
// (<0|_anc ⊗ I) U (|0>_anc ⊗ I) = A / Alpha.
// Registers are big-endian as in state dumps and PreparePureStateD: sys[0] is the
// most significant bit of the matrix index. Gilyén, Su, Low, Wiebe (STOC 2019), Def. 43.

/// # Summary
/// An (Alpha, NumAncillas, ε)-block-encoding of a 2^NumSystem × 2^NumSystem matrix A.
/// `Apply(anc, sys)` is the unitary; its top-left block (anc = |0...0>) is A / Alpha.
struct BlockEncoding {
    Alpha : Double,
    NumAncillas : Int,
    NumSystem : Int,
    Apply : (Qubit[], Qubit[]) => Unit is Adj + Ctl,
}

/// # Summary
/// Applies the adjoint of a block-encoding's unitary (a block-encoding of A† with the same Alpha).
internal operation ApplyAdjointBlockEncoding(be : BlockEncoding, anc : Qubit[], sys : Qubit[]) : Unit is Adj + Ctl {
    Adjoint be.Apply(anc, sys);
}

/// # Summary
/// The block-encoding of A† obtained from one of A (same Alpha and registers).
internal function AdjointBlockEncoding(be : BlockEncoding) : BlockEncoding {
    new BlockEncoding {
        Alpha = be.Alpha,
        NumAncillas = be.NumAncillas,
        NumSystem = be.NumSystem,
        Apply = ApplyAdjointBlockEncoding(be, _, _),
    }
}

/// # Summary
/// Applies a block-encoding to one register laid out as ancillas first, then system
/// (the layout the Python bridge and the unitary dumps use).
internal operation ApplyBlockEncodingToRegister(be : BlockEncoding, qs : Qubit[]) : Unit is Adj + Ctl {
    be.Apply(qs[0..be.NumAncillas - 1], qs[be.NumAncillas...]);
}
