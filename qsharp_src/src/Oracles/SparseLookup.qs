// Sparse QROMs keyed by record: one address comparison per stored record (an AND chain of the address and the
// controls), optionally fused with a rotation of a flag by the record's angle. The general path of the Kronecker
// encoding for factors without a dense (row, position) table.
import Std.Convert.IntAsBoolArray;
import Oracles.AndChains.*;

/// # Summary
/// target ^= words[i] where address = keys[i] (little-endian registers): a sparse QROM with one address comparison
/// per record (an AND chain of the address and the controls, fanned out by CNOTs, uncomputed); records with a zero
/// word are skipped. Self-inverse.
internal operation SparseXorLookup(keys : Int[], words : Int[], address : Qubit[], target : Qubit[]) : Unit is Adj + Ctl {
    body (...) {
        Controlled SparseXorLookup([], (keys, words, address, target));
    }
    adjoint self;
    controlled (cs, ...) {
        use aux = Qubit[ChainScratch(Length(cs) + Length(address))];
        SparseLookupAndRotateWith(cs, keys, words, [0.0, size = Length(keys)], address, target, target[0], aux);
    }
    controlled adjoint self;
}

/// # Summary
/// The forward lookup fused with the entry rotation: for each record with address keys[i], target ^= words[i] and
/// Ry(angles[i]) on the flag, both under one address comparison. A record whose word and angle are both zero is
/// skipped.
internal operation SparseLookupAndRotate(keys : Int[], words : Int[], angles : Double[], address : Qubit[], target : Qubit[],
                                flag : Qubit) : Unit is Adj + Ctl {
    body (...) {
        Controlled SparseLookupAndRotate([], (keys, words, angles, address, target, flag));
    }
    adjoint (...) {
        Controlled SparseLookupAndRotate([], (keys, words, Std.Arrays.Mapped(x -> -x, angles), address, target, flag));
    }
    controlled (cs, ...) {
        use aux = Qubit[ChainScratch(Length(cs) + Length(address))];
        SparseLookupAndRotateWith(cs, keys, words, angles, address, target, flag, aux);
    }
    controlled adjoint (cs, ...) {
        Controlled SparseLookupAndRotate(cs, (keys, words, Std.Arrays.Mapped(x -> -x, angles), address, target, flag));
    }
}

/// # Summary
/// The record loop of the two lookups with the controls `cs` explicit and the AND chain's scratch `aux` given (at
/// least Length(cs) + Length(address) − 1 clean qubits): per record one comparison of cs + address with
/// (1…1, keys[i]), c − 1 Toffolis computed and c − 1 uncomputed (c = controls + address bits), the word's CNOTs and
/// Ry(angles[i]) on `flag` where the comparison bit h is |1> (an angle of 0 applies nothing). Records are visited in
/// key order and the address is complemented where the key has a 0, toggling only the bits in which consecutive
/// keys differ. The controlled rotations: Ry(θ) = (S·H) Rz(θ) (S·H)†, and Rz(θ/2)_flag·Rzz(−θ/2)_{h,flag} =
/// exp(−iθ/4·Z_flag(1 − Z_h)) is Rz(θ) where h is |1> and the identity where |0>; the flag is conjugated into the Y
/// basis once for the whole loop and the records' Rz(θ_i/2) (diagonal, nothing else in the loop touches the flag)
/// merge into one Rz(Σθ_i/2): one Rzz per record instead of a controlled Ry (two rotations, two CNOTs and a
/// conjugation each). `flag` must not be in `target` or `address` when some angle is nonzero.
internal operation SparseLookupAndRotateWith(cs : Qubit[], keys : Int[], words : Int[], angles : Double[], address : Qubit[],
                                    target : Qubit[], flag : Qubit, aux : Qubit[]) : Unit is Adj + Ctl {
    let order = RecordOrder(keys, words, angles);
    let controls = cs + address;
    let total = Std.Arrays.Fold((acc, i) -> acc + angles[i], 0.0, order);
    let rotates = Std.Arrays.Any(x -> x != 0.0, angles);
    within {
        if rotates {
            // Ry(θ) = (S·H) Rz(θ) (S·H)†: the flag in the Y basis for the whole loop
            Adjoint S(flag);
            H(flag);
        }
    } apply {
        if total != 0.0 {
            // every record's h-independent half, Rz(θ_i/2), merged (all diagonal on the flag, which nothing else touches)
            Rz(total / 2.0, flag);
        }
        SparseRecordLoop(controls, keys, words, angles, order, address, target, flag, aux);
    }
}

/// # Summary
/// The record loop of SparseLookupAndRotateWith (the flag's rotations there as Rzz(−θ_i/2) with the comparison bit,
/// the flag already in the Y basis and the merged Rz applied).
internal operation SparseRecordLoop(controls : Qubit[], keys : Int[], words : Int[], angles : Double[], order : Int[], address : Qubit[],
                           target : Qubit[], flag : Qubit, aux : Qubit[]) : Unit is Adj + Ctl {
    let m = Length(address);
    let c = Length(controls);
    for idx in 0..Length(order) - 1 {
        let i = order[idx];
        // toggles: the bits of key XOR previous key (the address holds its complement where the key is 0)
        let toggle = IntAsBoolArray(keys[i] ^^^ (idx == 0 ? 2^m - 1 | keys[order[idx - 1]]), m);
        for q in 0..m - 1 {
            if toggle[q] {
                X(address[q]);
            }
        }
        let write = WriteRecord(IntAsBoolArray(words[i], Length(target)), angles[i], target, flag, _);
        if c >= 2 {
            within {
                ComputeAndChain(controls, aux);
            } apply {
                write(aux[c - 2]);
            }
        } else {
            write(controls[0]);
        }
    }
    if Length(order) > 0 {
        let last = IntAsBoolArray(keys[order[Length(order) - 1]] ^^^ (2^m - 1), m);
        for q in 0..m - 1 {
            if last[q] {
                X(address[q]);
            }
        }
    }
}

/// # Summary
/// The records a lookup visits (nonzero word or angle), sorted by key.
internal function RecordOrder(keys : Int[], words : Int[], angles : Double[]) : Int[] {
    mutable live = [];
    for i in 0..Length(keys) - 1 {
        if words[i] != 0 or angles[i] != 0.0 {
            set live += [i];
        }
    }
    Std.Arrays.Sorted((i, j) -> keys[i] <= keys[j], live)
}

/// # Summary
/// Under the record's comparison h: target ^= the word (bits), and Rzz(−angle/2) on (h, flag), which with the
/// loop's merged Rz and the flag's Y-basis conjugation is Ry(angle) on the flag where h is |1>
/// (SparseLookupAndRotateWith).
internal operation WriteRecord(bits : Bool[], angle : Double, target : Qubit[], flag : Qubit, h : Qubit) : Unit is Adj + Ctl {
    for q in 0..Length(target) - 1 {
        if bits[q] {
            CNOT(h, target[q]);
        }
    }
    if angle != 0.0 {
        // with Rz(θ/2) on the flag (applied once for all records), Rzz(−θ/2) = Rz(θ) where h is |1>, identity where |0>
        Rzz(-angle / 2.0, h, flag);
    }
}
