// Structured sparse-access oracles of the T-step history-state matrix (Liu et al. 2024 Eq. 6; docs/math.md §4)
//
//     L = I ⊗ I − S_M ⊗ M' − S_idle ⊗ I,   S_M[t, t−1] = 1 for 1 ≤ t ≤ T,  S_idle[t, t−1] = 1 for T < t < K,
//
// on the register layout clock (m_t qubits) ⊗ Carleman (m_c qubits), both big-endian (pyqgd.quantum.structured_oracles
// documents the Carleman layout: level ⊗ N tensor slots, docs/math.md §14). Clock values t ≥ K = T + 1 + p are padding
// rows with L = I there (decoupled, zero right-hand side). M' is the Carleman one-step matrix M embedded in the
// padded layout (zero rows and columns on padding coordinates).
//
// The clock structure (identity diagonal, the shift, which steps carry M and which are idle) is computed by
// reversible arithmetic on the clock register: adders, comparators and equality tests. Only M's own sparse-access
// tables over the Carleman register are stored (4^m_c entries each, independent of T and p), never a table of L.
//
// Enumeration of the nonzeros of column (t', i') of L by l ∈ [0, 2^m), with l ↦ l + 2^m_c − 1 = (l_t, l_c):
//   l = 0            → (l_t, l_c) = (0, 1…1) → row (t', i')                    (the identity)
//   l = 1 + k        → (l_t, l_c) = (1, k)   → row (t' + 1, c_M(i', k))       (the shift block, k < s_M)
// and rows likewise with t − 1. Every map is a permutation of l for each column, as SparseAccess.qs requires.
import Std.Arrays.Reversed;
import Std.Arithmetic.IncByI;
import Std.Arithmetic.IncByLE;
import Std.Arithmetic.ApplyIfLessLE;
import Std.Math.ArcCos;
import Std.Math.PI;
import BlockEncoding.SparseAccess.SparseOracles;
import Oracles.TableLookup.BitTable;
import Oracles.TableLookup.XorLookup;
import Oracles.TableLookup.ApplyTableIndexOracle;

/// # Summary
/// Data of the structured oracles: the clock arithmetic is parametrized by (NumClock, Steps = T, Blocks = K), the
/// Carleman block by M's sparse-access tables on NumCarleman qubits (tables indexed `low + 2^NumCarleman·high`, as in
/// Oracles.TableLookup; index tables of the pattern of M' plus its diagonal, angle table of −M'/MaxAbs).
/// Sparsity = 1 + s_M, MaxAbs = max(1, max|M|).
struct CarlemanOracleData {
    NumClock : Int,
    NumCarleman : Int,
    Steps : Int,
    Blocks : Int,
    Sparsity : Int,
    MaxAbs : Double,
    AngleBits : Int,
    ColumnTable : Int[],
    ColumnInverse : Int[],
    RowTable : Int[],
    RowInverse : Int[],
    AngleTable : Int[],
}

/// # Summary
/// target ^= (lo ≤ x ≤ hi) for a big-endian register x and classical bounds (comparators against constant registers).
operation ApplyIfInRange(lo : Int, hi : Int, x : Qubit[], target : Qubit) : Unit is Adj + Ctl {
    let m = Length(x);
    use (cs, ext, below, under) = (Qubit[m + 1], Qubit(), Qubit(), Qubit());
    // one extra (zero) top bit so that hi + 1 = 2^m is representable
    let xe = Reversed(x) + [ext];
    within {
        if lo > 0 {
            within {
                Std.Canon.ApplyXorInPlace(lo, cs);
            } apply {
                ApplyIfLessLE(X, xe, cs, below);
            }
        }
        within {
            Std.Canon.ApplyXorInPlace(hi + 1, cs);
        } apply {
            ApplyIfLessLE(X, xe, cs, under);
        }
        X(below);
    } apply {
        CCNOT(below, under, target);
    }
}

/// # Summary
/// target ^= (a == b) for two big-endian registers of equal length (b is restored).
internal operation ApplyIfEqualRegisters(a : Qubit[], b : Qubit[], target : Qubit) : Unit is Adj + Ctl {
    within {
        for q in 0..Length(a) - 1 {
            CNOT(a[q], b[q]);
        }
    } apply {
        ApplyControlledOnInt(0, X, b, target);
    }
}

/// # Summary
/// The shared first half of the index oracles: |l>|j> → |l_t>|l_c'>|j> with (l_t, l_c) = l + 2^m_c − 1 and
/// l_c' = i' for l_t = 0 (the identity entry), l_c' = table(i', l_c) for l_t = 1 (the M block).
internal operation ApplyCarlemanIndexPart(table : Bool[][], inverse : Bool[][], mt : Int, idx : Qubit[], sys : Qubit[]) : Unit is Adj + Ctl {
    let m = Length(idx);
    let mc = m - mt;
    IncByI(2^mc - 1, Reversed(idx));
    let (lt, lc) = (idx[0..mt - 1], idx[mt...]);
    let sc = sys[mt...];
    ApplyControlledOnInt(0, ApplyXorNot, lt, (sc, lc));
    ApplyControlledOnInt(1, ApplyTableIndexOracle(table, inverse, _, _), Reversed(lt), (lc, sc));
}

/// # Summary
/// target ^= NOT source, bitwise.
internal operation ApplyXorNot(source : Qubit[], target : Qubit[]) : Unit is Adj + Ctl {
    for q in 0..Length(source) - 1 {
        CNOT(source[q], target[q]);
        X(target[q]);
    }
}

/// # Summary
/// Column oracle of L: |l>|(t', i')> → |(t' + l_t, c)>|(t', i')> (see the file header).
operation ApplyCarlemanColumnOracle(data : CarlemanOracleData, idx : Qubit[], sys : Qubit[]) : Unit is Adj + Ctl {
    let mt = data.NumClock;
    let mc = data.NumCarleman;
    ApplyCarlemanIndexPart(BitTable(data.ColumnTable, mc), BitTable(data.ColumnInverse, mc), mt, idx, sys);
    IncByLE(Reversed(sys[0..mt - 1]), Reversed(idx[0..mt - 1]));
}

/// # Summary
/// Row oracle of L: |k>|(t, i)> → |(t − k_t, r)>|(t, i)>.
operation ApplyCarlemanRowOracle(data : CarlemanOracleData, idx : Qubit[], sys : Qubit[]) : Unit is Adj + Ctl {
    let mt = data.NumClock;
    let mc = data.NumCarleman;
    ApplyCarlemanIndexPart(BitTable(data.RowTable, mc), BitTable(data.RowInverse, mc), mt, idx, sys);
    let lt = Reversed(idx[0..mt - 1]);
    // l_t ← t − l_t (two's complement negation, then add t)
    for q in lt {
        X(q);
    }
    IncByI(1, lt);
    IncByLE(Reversed(sys[0..mt - 1]), lt);
}

/// # Summary
/// Entry oracle of L: |(t, i)>|(t', i')>|0> → (L_{(t,i),(t',i')}/MaxAbs |0> + …|1>). The case (identity, M block,
/// idle copy or zero) is computed from the clock and index registers; only the M block reads a table.
operation ApplyCarlemanEntryOracle(data : CarlemanOracleData, idx : Qubit[], sys : Qubit[], flag : Qubit) : Unit is Adj + Ctl {
    let mt = data.NumClock;
    let (rt, rc) = (idx[0..mt - 1], idx[mt...]);
    let (ct, cc) = (sys[0..mt - 1], sys[mt...]);
    let bits = data.AngleBits;
    let angles = BitTable(data.AngleTable, bits);
    let thetaId = ArcCos(1.0 / data.MaxAbs);
    let thetaIdle = ArcCos(-1.0 / data.MaxAbs);
    use (eqT, eqC, sh, mstep, idle, cId, cM, cIdle) = (Qubit(), Qubit(), Qubit(), Qubit(), Qubit(), Qubit(), Qubit(), Qubit());
    use a = Qubit[bits];
    within {
        ApplyIfEqualRegisters(ct, rt, eqT);
        ApplyIfEqualRegisters(cc, rc, eqC);
        within {
            IncByI(1, Reversed(ct));
        } apply {
            ApplyIfEqualRegisters(ct, rt, sh);
        }
        ApplyIfInRange(1, data.Steps, rt, mstep);
        if data.Blocks - 1 > data.Steps {
            ApplyIfInRange(data.Steps + 1, data.Blocks - 1, rt, idle);
        }
        CCNOT(eqT, eqC, cId);
        CCNOT(sh, mstep, cM);
        Controlled X([sh, idle, eqC], cIdle);
        XorLookup(angles, Reversed(rc) + Reversed(cc), a);
    } apply {
        Z(flag);
        ApplyControlledOnInt(0, Ry(PI(), _), [cId, cM, cIdle], flag);
        Controlled Ry([cId], (2.0 * thetaId, flag));
        Controlled Ry([cIdle], (2.0 * thetaIdle, flag));
        for k in bits - 1..-1..0 {
            Controlled Ry([cM, a[k]], (4.0 * PI() * 2.0^Std.Convert.IntAsDouble(k - bits), flag));
        }
    }
}

/// # Summary
/// The structured SparseOracles of the T-step matrix L (plug into BlockEncoding.SparseAccess.SparseBlockEncoding).
function CarlemanSparseOracles(data : CarlemanOracleData) : SparseOracles {
    new SparseOracles {
        NumSystem = data.NumClock + data.NumCarleman,
        Sparsity = data.Sparsity,
        MaxAbs = data.MaxAbs,
        Column = ApplyCarlemanColumnOracle(data, _, _),
        Row = ApplyCarlemanRowOracle(data, _, _),
        Entry = ApplyCarlemanEntryOracle(data, _, _, _),
    }
}
