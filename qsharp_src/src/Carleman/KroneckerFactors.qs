// The sparse-access encoding of one Kronecker factor (F1, F2), see Carleman/Kronecker.qs's header, read either
// * by record comparisons (sparse QROMs keyed by the records, Oracles.SparseLookup: the general path), or
// * from dense tables addressed by (column, position l) and (row, position k), read by unary-iteration QROM
//   (Select) or QROAM with measurement-based clean-up (Oracles.Qroam): the forward table (l, c) ↦ (r, k, x) writes
//   the row, its position and the b-bit angle x, the flag is rotated by the angle register, the reverse table
//   (k, r) ↦ (c, l, x) clears the column, its position and the angle. Entries without a record are 0: no rotation,
//   the flag stays |1> (a zero of the block).
// * F2 = −(η/2)∇³L (symmetric in its three indices: F2[i, (a, b)] = F2[a, (i, b)]) by the mirrored scheme: column
//   (a, b)'s position l ranges over row a's S = s_r records; the forward table (l, a) ↦ (i', k', x, b') reads row a's
//   l-th record F2[a, (i', b')] = F2[i', (a, b')], XORs b' into slot b (|0> iff b' = b) and the flag rotates only
//   where slot b is |0>; the reverse table (k', i') ↦ (a, l, x) clears slot a and l. α_2 = S·max|F2|.
import Std.Arrays.Reversed;
import Std.Convert.IntAsDouble;
import Std.Math.PI;
import BlockEncoding.SparseAccess.PrepareIndexSuperposition;
import Oracles.AndChains.*;
import Oracles.SparseLookup.*;
import Carleman.Kronecker.*;
import Oracles.Qroam.*;
import Oracles.Qroam.WordTable;
import Oracles.TableLookup.XorLookup;

/// # Summary
/// The two lookups of a factor: forward (c + 2^InWidth·l ↦ r + 2^w·k) and reverse (the inverse map on the records).
internal function FactorLookupTables(f : SparseFactor, w : Int) : (Int[], Int[], Int[], Int[]) {
    let nrec = Length(f.Rows);
    mutable fwdKeys = [0, size = nrec];
    mutable fwdWords = [0, size = nrec];
    for q in 0..nrec - 1 {
        set fwdKeys w/= q <- f.Cols[q] + 2^f.InWidth * f.ColSlots[q];
        set fwdWords w/= q <- f.Rows[q] + 2^w * f.RowSlots[q];
    }
    (fwdKeys, fwdWords, fwdWords, fwdKeys)
}

/// # Summary
/// The sparse-access encoding of one factor (file header), applied when `gate` is |1> and the identity otherwise:
/// input = the slots it reads (big-endian), its output is the first slot of the input; flag and rowSlot are this
/// factor's own ancillas, colSlot/row/angle are shared and return to |0> on every path with flag |0>. The flag is
/// raised (gated), then the reads write (row, row position) and rotate the flag by Ry(4πx/2^b):
/// Ry(4πx)|1> = −sin(2πx)|0> + cos(2πx)|1>, amplitude value/MaxAbs on |0>, and 0 where no record matches.
@Config(Unrestricted)
internal operation ApplySparseFactor(f : SparseFactor, angleBits : Int, gate : Qubit, input : Qubit[], flag : Qubit,
                            rowSlot : Qubit[], colSlot : Qubit[], row : Qubit[], angle : Qubit[], aux : Qubit[]) : Unit is Adj + Ctl {
    let w = Length(row);
    ApplyIfGatesAndZeros([gate], [flag] + rowSlot + row, aux, PrepareIndexSuperposition(f.ColumnSparsity, _), colSlot);
    CNOT(gate, flag);
    if f.Loading == 0 {
        ApplyRecordReads(f, angleBits, gate, input, flag, rowSlot, colSlot, row, aux);
    } elif Length(f.FwdTable) > 0 {
        ApplyDenseReads(f, gate, input, flag, rowSlot, colSlot, row, angle, aux);
    }
    for q in 0..w - 1 {
        Controlled SWAP([gate], (row[q], input[q]));
    }
    ApplyIfGatesAndZeros([gate], [flag] + colSlot + row, aux, Adjoint PrepareIndexSuperposition(f.RowSparsity, _), rowSlot);
}

/// # Summary
/// The record path: forward sparse QROM fused with the rotation, reverse sparse QROM (one comparison per record).
internal operation ApplyRecordReads(f : SparseFactor, angleBits : Int, gate : Qubit, input : Qubit[], flag : Qubit,
                           rowSlot : Qubit[], colSlot : Qubit[], row : Qubit[], aux : Qubit[]) : Unit is Adj + Ctl {
    let w = Length(row);
    let (fwdKeys, fwdWords, revKeys, revWords) = FactorLookupTables(f, w);
    let rotations = Std.Arrays.Mapped(x -> 4.0 * PI() * IntAsDouble(x) / 2.0^IntAsDouble(angleBits), f.Angles);
    let fwdAddress = Reversed(input[0..f.InWidth - 1]) + Reversed(colSlot);
    let revAddress = Reversed(row) + Reversed(rowSlot);
    SparseLookupAndRotateWith([gate], fwdKeys, fwdWords, rotations, fwdAddress, revAddress, flag, aux);
    SparseLookupAndRotateWith([gate], revKeys, revWords, [0.0, size = Length(revKeys)], revAddress, fwdAddress, flag, aux);
}

/// # Summary
/// The dense path (file header): forward read, the flag's rotation by the angle register (under slot b = |0> for
/// the mirrored F2), reverse read. Table layouts (pyqgd.quantum.kronecker): forward index l + 2^lc_f·c, word
/// r + 2^w·k + 2^(w + lr)·x (+ 2^(w + lr + b)·b' mirrored); reverse index k + 2^lr_f·r, word c + 2^w·l + 2^(w + lc)·x
/// (lc_f, lr_f: the factor's own position bits; lc, lr: the shared registers').
@Config(Unrestricted)
internal operation ApplyDenseReads(f : SparseFactor, gate : Qubit, input : Qubit[], flag : Qubit, rowSlot : Qubit[],
                          colSlot : Qubit[], row : Qubit[], angle : Qubit[], aux : Qubit[]) : Unit is Adj + Ctl {
    let w = Length(row);
    let (lcf, lrf) = (BitsFor(f.ColumnSparsity), BitsFor(f.RowSparsity));
    let colLE = Reversed(colSlot);
    let rowSlotLE = Reversed(rowSlot);
    let first = Reversed(input[0..w - 1]);
    let second = f.Mirrored ? Reversed(input[w..2 * w - 1]) | [];
    DenseRead(f, true, gate, colLE[0..lcf - 1] + first, Reversed(row) + rowSlotLE + angle + second);
    RotateFlagByAngle(angle, gate, second, flag, aux);
    DenseRead(f, false, gate, rowSlotLE[0..lrf - 1] + Reversed(row), first + colLE + angle);
}

/// # Summary
/// target ^= table[address] under `gate`, by QROM (Loading 1) or measured QROAM (Loading 2) over the factor's
/// forward or reverse table.
@Config(Unrestricted)
internal operation DenseRead(f : SparseFactor, forward : Bool, gate : Qubit, address : Qubit[], target : Qubit[]) : Unit is Adj + Ctl {
    let data = WordTable(forward ? f.FwdTable | f.RevTable, Length(target));
    if f.Loading == 1 {
        Controlled XorLookup([gate], (data, address, target));
    } else {
        let (lambda, lambdaFix) = forward ? f.FwdBlocks | f.RevBlocks;
        Controlled QroamXor([gate], (lambda, lambdaFix, true, data, address, target));
    }
}

/// # Summary
/// Ry(4πx/2^b) on the flag for the little-endian angle register x (b bits), only where `gate` is |1> and `zeros`
/// are all |0> (the gate matters: on a branch where an earlier factor left garbage in the shared angle register, a
/// factor that is off must not rotate its flag). As in Oracles.SparseLookup: the flag held in the Y basis, one
/// Rzz(−θ_k/2) per bit k (θ_k = 4π·2^k/2^b) with the bit AND the condition (one Toffoli each way), and the bits'
/// condition-independent halves merged into one Rz(Σθ_k/2): b + 1 rotations, none of them controlled.
operation RotateFlagByAngle(angle : Qubit[], gate : Qubit, zeros : Qubit[], flag : Qubit, aux : Qubit[]) : Unit is Adj + Ctl {
    let b = Length(angle);
    let thetas = Std.Arrays.MappedOverRange(k -> 4.0 * PI() * 2.0^IntAsDouble(k - b), 0..b - 1);
    within {
        Adjoint S(flag);
        H(flag);
    } apply {
        Rz(Std.Arrays.Fold((acc, x) -> acc + x, 0.0, thetas) / 2.0, flag);
        let c = 1 + Length(zeros);
        WithPattern([true] + [false, size = c - 1], [gate] + zeros, aux, RzzUnderAnd(angle, thetas, flag, aux[ChainScratch(c)], _));
    }
}

/// # Summary
/// Rzz(−θ_k/2) on (m AND angle[k], flag) for each k, the AND in the clean qubit t.
internal operation RzzUnderAnd(angle : Qubit[], thetas : Double[], flag : Qubit, t : Qubit, m : Qubit) : Unit is Adj + Ctl {
    for k in 0..Length(angle) - 1 {
        within {
            CCNOT(m, angle[k], t);
        } apply {
            Rzz(-thetas[k] / 2.0, t, flag);
        }
    }
}
