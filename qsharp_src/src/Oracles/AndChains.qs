// AND chains and the comparisons built from them: every multiply-controlled condition is a Toffoli chain through
// clean scratch qubits the caller holds (c − 1 Toffolis each way), never fresh qubits per comparison.
import Std.Arrays.Reversed;
import Std.Convert.IntAsBoolArray;

/// # Summary
/// aux[c − 2] ^= AND of the c ≥ 2 `controls` (a Toffoli chain through the clean scratch qubits aux[0..c − 2]; c − 1
/// Toffolis). Used inside `within` blocks, so each AND costs 2(c − 1) Toffolis with its uncomputation, and nothing is
/// allocated (a simulator pays for every allocation, and the library's multiply-controlled X allocates c − 2).
internal operation ComputeAndChain(controls : Qubit[], aux : Qubit[]) : Unit is Adj + Ctl {
    let c = Length(controls);
    Std.Diagnostics.Fact(c >= 2 and Length(aux) >= c - 1, "ComputeAndChain needs 2+ controls and c − 1 scratch qubits");
    CCNOT(controls[0], controls[1], aux[0]);
    for i in 2..c - 1 {
        CCNOT(controls[i], aux[i - 2], aux[i - 1]);
    }
}

/// # Summary
/// op(result) where result = AND over i of (controls[i] == pattern[i]), result being a qubit that holds that AND
/// (controls[0] itself for one control, else the end of ComputeAndChain through aux); controls and aux restored.
operation WithPattern(pattern : Bool[], controls : Qubit[], aux : Qubit[], op : (Qubit => Unit is Adj + Ctl)) : Unit is Adj + Ctl {
    let c = Length(controls);
    within {
        for i in 0..c - 1 {
            if not pattern[i] {
                X(controls[i]);
            }
        }
        if c >= 2 {
            ComputeAndChain(controls, aux);
        }
    } apply {
        op(c >= 2 ? aux[c - 2] | controls[0]);
    }
}

/// # Summary
/// Scratch qubits WithPattern needs for c controls.
internal function ChainScratch(c : Int) : Int {
    Std.Math.MaxI(c - 1, 0)
}

/// # Summary
/// target ^= AND over i of (controls[i] == pattern[i]): the library's multiply-controlled X (2c − 3 Toffolis for
/// c ≥ 2 controls: a chain of c − 2 ANDs, one Toffoli onto the target, the chain uncomputed), with the chain in the
/// given clean scratch qubits instead of fresh ones.
internal operation XorIfPattern(pattern : Bool[], controls : Qubit[], aux : Qubit[], target : Qubit) : Unit is Adj + Ctl {
    let c = Length(controls);
    within {
        for i in 0..c - 1 {
            if not pattern[i] {
                X(controls[i]);
            }
        }
    } apply {
        if c == 0 {
            X(target);
        } elif c == 1 {
            CNOT(controls[0], target);
        } elif c == 2 {
            CCNOT(controls[0], controls[1], target);
        } else {
            within {
                ComputeAndChain(controls[0..c - 2], aux);
            } apply {
                CCNOT(controls[c - 1], aux[c - 3], target);
            }
        }
    }
}

/// # Summary
/// target ^= (cs all |1> and x < bound) for a big-endian register x: one XorIfPattern per 1-bit i of the bound
/// (x agrees with the bound above bit i and has 0 there; the cases are exclusive).
internal operation XorIfLessThan(cs : Qubit[], bound : Int, x : Qubit[], aux : Qubit[], target : Qubit) : Unit is Adj + Ctl {
    let m = Length(x);
    let ones = [true, size = Length(cs)];
    if bound >= 2^m {
        XorIfPattern(ones, cs, aux, target);
    } elif bound > 0 {
        // big-endian bits of the bound
        let b = Reversed(IntAsBoolArray(bound, m));
        for i in 0..m - 1 {
            if b[i] {
                XorIfPattern(ones + b[0..i - 1] + [false], cs + x[0..i], aux, target);
            }
        }
    }
}

/// # Summary
/// x += 1 (mod 2^m) on a big-endian register where `ctl` is |1>: bit j (little-endian) flips where the bits below it
/// are all 1, highest bit first.
internal operation IncrementIf(ctl : Qubit, x : Qubit[], aux : Qubit[]) : Unit is Adj + Ctl {
    let xl = Reversed(x);
    for j in Length(xl) - 1..-1..0 {
        XorIfPattern([true, size = j + 1], [ctl] + xl[0..j - 1], aux, xl[j]);
    }
}

/// # Summary
/// op(target) where `gates` are all |1> and `zeros` all |0>: the condition is computed once (WithPattern through the
/// scratch `aux`), so op carries a single control.
internal operation ApplyIfGatesAndZeros(gates : Qubit[], zeros : Qubit[], aux : Qubit[], op : (Qubit[] => Unit is Adj + Ctl), target : Qubit[]) : Unit is Adj + Ctl {
    WithPattern([true, size = Length(gates)] + [false, size = Length(zeros)], gates + zeros, aux, ControlledOn(op, _, target));
}

/// # Summary
/// op(target) controlled on c.
internal operation ControlledOn(op : (Qubit[] => Unit is Adj + Ctl), c : Qubit, target : Qubit[]) : Unit is Adj + Ctl {
    Controlled op([c], target);
}
