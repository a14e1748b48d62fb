// Sparse-access block-encoding (Gilyén, Su, Low, Wiebe, STOC 2019, Lemma 48; Lin Lin,
// "Lecture notes on quantum algorithms for scientific computation", §6.3; the construction
// Qualtran's `SparseMatrix` bloq follows).
//
//   anc = [flag] + idx (m qubits), sys (m qubits); s = sparsity (max nonzeros per row and column).
//
//   |0>|0>|j>  --D_s-->  s^{-1/2} Σ_{l<s} |0>|l>|j>
//              --O_col-> s^{-1/2} Σ_l |0>|c(j,l)>|j>                (c(j,l): row of the l-th nonzero of column j)
//              --O_M---> s^{-1/2} Σ_l (A_{c,j}|0> + √(1-A²)|1>)|c(j,l)>|j>   (A = M / max|M|)
//              --SWAP(idx, sys), O_row†, D_s†
//   so that <0|<0|<i| U |0>|0>|j> = A_ij / s, i.e. U is an (s·max|M|, m+1, ε)-block-encoding of M,
//   with ε set by the entry oracle's precision.
import Std.StatePreparation.PreparePureStateD;
import BlockEncoding.Core.BlockEncoding;

/// # Summary
/// The three sparse-access oracles of an s-sparse 2^m × 2^m real matrix, as operation values so that
/// table-lookup oracles (Oracles.TableLookup) and structured, arithmetic oracles are interchangeable.
///
/// - `Column(idx, sys)`: |l>|j> -> |c(j,l)>|j>, for each j a permutation of l whose first s images are
///   the rows of the nonzeros of column j (padded with zero-entry rows).
/// - `Row(idx, sys)`: |k>|i> -> |r(i,k)>|i>, the same for rows.
/// - `Entry(idx, sys, flag)`: |i>|j>|0> -> |i>|j>(A_ij|0> + √(1 - A_ij²)|1>), A = M / MaxAbs.
///
/// All integers in idx and sys are big-endian (register[0] is the most significant bit).
struct SparseOracles {
    NumSystem : Int,
    Sparsity : Int,
    MaxAbs : Double,
    Column : (Qubit[], Qubit[]) => Unit is Adj + Ctl,
    Row : (Qubit[], Qubit[]) => Unit is Adj + Ctl,
    Entry : (Qubit[], Qubit[], Qubit) => Unit is Adj + Ctl,
}

/// # Summary
/// D_s: |0> -> s^{-1/2} Σ_{l<s} |l> on a big-endian register, as a genuine unitary on all inputs
/// (Hadamards on the low qubits when s is a power of two, otherwise PreparePureStateD's multiplexed
/// rotations; std PrepareUniformSuperposition is not usable here: its adjoint leaves a dirty ancilla on
/// inputs outside its image, which the block-encoding produces).
operation PrepareIndexSuperposition(s : Int, idx : Qubit[]) : Unit is Adj + Ctl {
    let m = Length(idx);
    let k = Std.Math.BitSizeI(s - 1);
    if 2^k == s {
        for q in idx[m - k...] {
            H(q);
        }
    } else {
        let amp = 1.0 / Std.Math.Sqrt(Std.Convert.IntAsDouble(s));
        PreparePureStateD(Repeated(amp, s), idx);
    }
}

/// # Summary
/// The sparse-access block-encoding unitary; anc = [flag] + idx (1 + m qubits), sys (m qubits).
internal operation ApplySparseBlockEncoding(oracles : SparseOracles, anc : Qubit[], sys : Qubit[]) : Unit is Adj + Ctl {
    let m = oracles.NumSystem;
    Std.Diagnostics.Fact(Length(anc) == m + 1 and Length(sys) == m, "sparse block-encoding needs 1 + m ancillas and m system qubits");
    let flag = anc[0];
    let idx = anc[1...];
    PrepareIndexSuperposition(oracles.Sparsity, idx);
    oracles.Column(idx, sys);
    oracles.Entry(idx, sys, flag);
    for q in 0..m - 1 {
        SWAP(idx[q], sys[q]);
    }
    Adjoint oracles.Row(idx, sys);
    Adjoint PrepareIndexSuperposition(oracles.Sparsity, idx);
}

/// # Summary
/// The BlockEncoding value of the sparse-access construction: Alpha = s · MaxAbs, m + 1 ancillas.
function SparseBlockEncoding(oracles : SparseOracles) : BlockEncoding {
    new BlockEncoding {
        Alpha = Std.Convert.IntAsDouble(oracles.Sparsity) * oracles.MaxAbs,
        NumAncillas = oracles.NumSystem + 1,
        NumSystem = oracles.NumSystem,
        Apply = ApplySparseBlockEncoding(oracles, _, _),
    }
}
