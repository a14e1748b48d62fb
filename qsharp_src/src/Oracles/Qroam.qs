// Dense table lookups target ^= data[address] over a table of E = 2^a words of w bits:
//
// * QROM by unary iteration: the standard library's Select (Babbush et al., PRX 8, 041015 (2018), Sec. III.A):
//   E − 2 + k Toffolis under k controls (Oracles.TableLookup.XorLookup).
// * QROAM / SelectSwap (Low, Kliuchnikov, Schaeffer, arXiv:1812.00954; Berry, Gidney, Motta, McClean, Babbush,
//   Quantum 3, 208 (2019), App. B): Select over the E/λ blocks of λ words (high address bits) into λ·w fresh
//   qubits, a swap network on the low log₂λ bits moving the addressed word to position 0 ((λ − 1)·w controlled
//   SWAPs), a copy into the target (CNOTs, Toffolis under a control), then the λ·w qubits are cleared either
//   * by measurement (Berry et al. 2019, App. C): each measured in the X basis, leaving the phase (−1)^{f(x)} with
//     f(x) = Σ m·(the block's contents for address x); f is computed classically from the outcomes and removed by a
//     phase lookup split at λ′: a one-hot register of the low log₂λ′ bits (a Select of λ′ one-hot words, computed and
//     uncomputed) and a Select of E/λ′ rows of f in the Hadamard basis of that register;
//   * or unitarily: the swap network undone and the Select run again.
//   Toffolis of one read: E/λ − 2 + (λ − 1)·w + k·w, plus 2(λ′ − 2) + E/λ′ − 2 (measured) or (λ − 1)·w + E/λ − 2
//   (unitary); λ·w extra qubits (pyqgd.estimate.loading.qroam_read_cost).
// The XOR is its own inverse, so every lookup here is declared self-adjoint (the measurement-based clean-up is not
// the inverse of a unitary, it restores the same state).
import Std.Arrays.Chunks;
import Std.Arrays.Mapped;
import Std.Arrays.MappedOverRange;
import Std.Convert.IntAsBoolArray;
import Std.Diagnostics.Fact;
import Std.Math.BitSizeI;
import Std.TableLookup.Select;
import Oracles.TableLookup.XorLookup;

/// # Summary
/// Little-endian bit table of the integer words (w bits each), as Select takes it.
internal function WordTable(words : Int[], w : Int) : Bool[][] {
    Mapped(v -> IntAsBoolArray(v, w), words)
}

/// # Summary
/// log₂ of a power of two (fails otherwise).
internal function Log2Exact(x : Int) : Int {
    let b = BitSizeI(x) - 1;
    Fact(x >= 1 and 2^b == x, $"{x} is not a power of two");
    b
}

/// # Summary
/// The E/λ block words of QROAM: word h holds data[hλ + j] at bits j·w..(j + 1)·w − 1.
internal function BlockTable(data : Bool[][], lambda : Int, w : Int) : Bool[][] {
    MappedOverRange(h -> Std.Arrays.Flattened(data[h * lambda..(h + 1) * lambda - 1]), 0..Length(data) / lambda - 1)
}

/// # Summary
/// The swap network of QROAM: where low = l (little-endian), word l moves to position 0; level j swaps the words at
/// distance 2^j in aligned pairs under bit j, (λ − 1) word swaps in all, one Toffoli per qubit swapped.
internal operation SwapNetwork(low : Qubit[], words : Qubit[][]) : Unit is Adj + Ctl {
    let lambda = Length(words);
    for j in 0..Length(low) - 1 {
        let step = 2^j;
        for i in 0..lambda / (2 * step) - 1 {
            for q in 0..Length(words[0]) - 1 {
                Controlled SWAP([low[j]], (words[2 * step * i][q], words[2 * step * i + step][q]));
            }
        }
    }
}

/// # Summary
/// The word index at each position after SwapNetwork for low address l (classical).
internal function SwapPositions(lambda : Int, l : Int) : Int[] {
    mutable perm = MappedOverRange(p -> p, 0..lambda - 1);
    let lb = Log2Exact(lambda);
    for j in 0..lb - 1 {
        let step = 2^j;
        if (l >>> j) % 2 == 1 {
            for i in 0..lambda / (2 * step) - 1 {
                let (a, b) = (2 * step * i, 2 * step * i + step);
                let pa = perm[a];
                set perm w/= a <- perm[b];
                set perm w/= b <- pa;
            }
        }
    }
    perm
}

/// # Summary
/// f(x) = parity of Σ over the block's positions p and bits q of m[p·w + q]·(word at p for address x)[q]: the phase
/// left by measuring the λ·w block qubits in the X basis with outcomes m (all false: f = 0).
internal function FixupPhases(data : Bool[][], lambda : Int, w : Int, m : Bool[]) : Bool[] {
    mutable f = [false, size = Length(data)];
    if Std.Arrays.Any(b -> b, m) {
        for l in 0..lambda - 1 {
            let perm = SwapPositions(lambda, l);
            for h in 0..Length(data) / lambda - 1 {
                mutable par = false;
                for p in 0..lambda - 1 {
                    let word = data[h * lambda + perm[p]];
                    for q in 0..w - 1 {
                        if m[p * w + q] and word[q] {
                            set par = not par;
                        }
                    }
                }
                set f w/= h * lambda + l <- par;
            }
        }
    }
    f
}

/// # Summary
/// The phase (−1)^{f[address]} (E = 2^a entries), split at λ′ = lambdaFix: a one-hot register of the low log₂λ′
/// address bits, a Select of the E/λ′ rows of f on it in the Hadamard basis (X there is Z on the one-hot bit), the
/// one-hot register cleared by the same Select. 2(λ′ − 2) + E/λ′ − 2 Toffolis (Berry et al. 2019, App. C).
internal operation PhaseLookup(f : Bool[], lambdaFix : Int, address : Qubit[]) : Unit {
    let lb = Log2Exact(lambdaFix);
    let (low, high) = (address[0..lb - 1], address[lb...]);
    let oneHot = MappedOverRange(j -> MappedOverRange(i -> i == j, 0..lambdaFix - 1), 0..lambdaFix - 1);
    let rows = MappedOverRange(h -> f[h * lambdaFix..(h + 1) * lambdaFix - 1], 0..Length(f) / lambdaFix - 1);
    use hot = Qubit[lambdaFix];
    // cleared by the forward Select again (the library's adjoint is itself a measurement-based unlookup)
    Select(oneHot, low, hot);
    within {
        ApplyToEachA(H, hot);
    } apply {
        Select(rows, high, hot);
    }
    Select(oneHot, low, hot);
}

/// # Summary
/// target ^= data[address] by QROAM with blocks of λ = lambda words (module header); E = Length(data) = 2^a. The
/// block register is cleared by measurement and a phase lookup split at λ′ = lambdaFix (`measured`), or unitarily.
// @Config(Unrestricted): measurement-based uncomputation branches on measurement results, which base-profile
// QIR (pyqgd.quantum.azure) cannot express; it and the Kronecker encoding built on it compile for simulation and
// estimation only.
@Config(Unrestricted)
operation QroamXor(lambda : Int, lambdaFix : Int, measured : Bool, data : Bool[][], address : Qubit[], target : Qubit[]) : Unit is Adj + Ctl {
    body (...) {
        Controlled QroamXor([], (lambda, lambdaFix, measured, data, address, target));
    }
    adjoint self;
    controlled (cs, ...) {
        let w = Length(target);
        let lb = Log2Exact(lambda);
        Fact(Length(data) == 2^Length(address) and lb <= Length(address), "QroamXor needs 2^a words and λ ≤ 2^a");
        let (low, high) = (address[0..lb - 1], address[lb...]);
        let blocks = BlockTable(data, lambda, w);
        mutable m = [];
        {
            use block = Qubit[lambda * w];
            let words = Chunks(w, block);
            Select(blocks, high, block);
            SwapNetwork(low, words);
            for q in 0..w - 1 {
                Controlled CNOT(cs, (words[0][q], target[q]));
            }
            if measured {
                for q in block {
                    set m += [MResetX(q) == One];
                }
            } else {
                Adjoint SwapNetwork(low, words);
                Select(blocks, high, block);
            }
        }
        if measured {
            PhaseLookup(FixupPhases(data, lambda, w, m), lambdaFix, address);
        }
    }
    controlled adjoint self;
}

/// # Summary
/// One QROM read (Select) of E = 2^a words of w bits under `controls` controls, for the cost rules.
operation TraceQromRead(a : Int, w : Int, controls : Int) : Unit {
    use (cs, address, target) = (Qubit[controls], Qubit[a], Qubit[w]);
    Controlled XorLookup(cs, (WordTable(MappedOverRange(i -> i % 2^w, 0..2^a - 1), w), address, target));
    ResetAll(cs + address + target);
}

/// # Summary
/// One QROAM read (QroamXor) of E = 2^a words of w bits under `controls` controls, for the cost rules.
@Config(Unrestricted)
operation TraceQroamRead(a : Int, w : Int, lambda : Int, lambdaFix : Int, measured : Bool, controls : Int) : Unit {
    use (cs, address, target) = (Qubit[controls], Qubit[a], Qubit[w]);
    Controlled QroamXor(cs, (lambda, lambdaFix, measured, WordTable(MappedOverRange(i -> i % 2^w, 0..2^a - 1), w), address, target));
    ResetAll(cs + address + target);
}

/// # Summary
/// The lookup of DumpLookupUnitary on qs = address ⊗ target (big-endian registers).
@Config(Unrestricted)
internal operation ApplyLookupOn(loading : Int, data : Bool[][], a : Int, lambda : Int, lambdaFix : Int, cs : Qubit[], qs : Qubit[]) : Unit {
    let (address, target) = (Std.Arrays.Reversed(qs[0..a - 1]), Std.Arrays.Reversed(qs[a...]));
    if loading == 1 {
        Controlled XorLookup(cs, (data, address, target));
    } else {
        Controlled QroamXor(cs, (lambda, lambdaFix, loading == 2, data, address, target));
    }
}

/// # Summary
/// Dumps the unitary (Choi state) of the lookup of `words` (E = 2^a, w bits) on address ⊗ target (big-endian dump:
/// address register first): loading 1 = QROM, 2 = QROAM measured, 3 = QROAM unitary; under one control held |1>
/// when `gated` (the control is the dump's most significant qubit).
@Config(Unrestricted)
operation DumpLookupUnitary(loading : Int, words : Int[], a : Int, w : Int, lambda : Int, lambdaFix : Int, gated : Bool) : Unit {
    use c = Qubit();
    if gated {
        X(c);
    }
    Diagnostics.Dumps.DumpChoiState(ApplyLookupOn(loading, WordTable(words, w), a, lambda, lambdaFix, gated ? [c] | [], _), a + w);
    Reset(c);
}
