// Unary iteration (Babbush et al., PRX 8, 041015 (2018), Sec. III.A): one AND per tree node from its parent's, the
// sibling step a CNOT. Used for SELECT's membership bits over the term register.
import Std.Arrays.Subarray;

/// # Summary
/// sel[i] ^= (term ∈ sets[i]) for every i at once, by unary iteration over the term values (Babbush et al., PRX 8,
/// 041015 (2018), Sec. III.A) on the big-endian term register: one AND per tree node from its parent's, through the
/// scratch aux; at the leaf of term t (register value t + 1) CNOTs to the bits of the sets that contain t. Subtrees
/// without such a term are skipped.
internal operation ComputeMembership(sets : Int[][], term : Qubit[], aux : Qubit[], sel : Qubit[]) : Unit is Adj + Ctl {
    // members[v]: the sets that contain the term with register value v
    let members = Std.Arrays.MappedOverRange(v -> v >= 1 ? SetsContaining(sets, v - 1) | [], 0..2^Length(term) - 1);
    let (has0, has1) = (SubtreeHasMembers(members, Length(term), 1, 0), SubtreeHasMembers(members, Length(term), 1, 1));
    // the root: term[0] itself is the control of child 1 and its complement that of child 0
    if has0 {
        within {
            X(term[0]);
        } apply {
            MembershipSubtree(members, term, 1, 0, aux, sel, term[0]);
        }
    }
    if has1 {
        MembershipSubtree(members, term, 1, 1, aux, sel, term[0]);
    }
}

/// # Summary
/// Whether the subtree of register values with the k-bit prefix `prefix` (of tb bits) holds a term in some set.
internal function SubtreeHasMembers(members : Int[][], tb : Int, k : Int, prefix : Int) : Bool {
    let span = 2^(tb - k);
    mutable found = false;
    for v in prefix * span..(prefix + 1) * span - 1 {
        if Length(members[v]) > 0 {
            set found = true;
        }
    }
    found
}

/// # Summary
/// ComputeMembership below the node (k, prefix), where ctl = (the top k bits of the term register equal prefix).
internal operation MembershipSubtree(members : Int[][], term : Qubit[], k : Int, prefix : Int, aux : Qubit[], sel : Qubit[], ctl : Qubit) : Unit is Adj + Ctl {
    let tb = Length(term);
    if k == tb {
        FanOut(Std.Arrays.Subarray(members[prefix], sel), ctl);
    } else {
        let (has0, has1) = (SubtreeHasMembers(members, tb, k + 1, 2 * prefix), SubtreeHasMembers(members, tb, k + 1, 2 * prefix + 1));
        UnaryChildren(has0, has1, ctl, term[k], aux[0], 2 * prefix, MembershipSubtree(members, term, k + 1, _, aux[1...], sel, aux[0]));
    }
}

/// # Summary
/// CNOT from h to every qubit of targets.
internal operation FanOut(targets : Qubit[], h : Qubit) : Unit is Adj + Ctl {
    for q in targets {
        CNOT(h, q);
    }
}

/// # Summary
/// One node of a unary iteration (Babbush et al., PRX 8, 041015 (2018), Sec. III.A and Fig. 5): visit(base) where
/// h = ctl ∧ ¬q (if has0), visit(base + 1) where h = ctl ∧ q (if has1), h clean before and after. h = ctl ∧ ¬q is
/// computed as CNOT(ctl, h) then Toffoli(ctl, q, h) (ctl ⊕ ctl∧q), moved to child 1 by one CNOT from ctl
/// (ctl ∧ ¬q ⊕ ctl = ctl ∧ q) and uncomputed by one Toffoli: two Toffolis and two CNOTs per node with both children
/// (one child: two Toffolis, and two CNOTs for child 0). The visits must leave ctl, q and h unchanged.
internal operation UnaryChildren(has0 : Bool, has1 : Bool, ctl : Qubit, q : Qubit, h : Qubit, base : Int, visit : (Int => Unit is Adj + Ctl)) : Unit is Adj + Ctl {
    if has0 {
        CNOT(ctl, h);
        CCNOT(ctl, q, h);
        visit(base);
        if has1 {
            CNOT(ctl, h);
            visit(base + 1);
            CCNOT(ctl, q, h);
        } else {
            CCNOT(ctl, q, h);
            CNOT(ctl, h);
        }
    } elif has1 {
        within {
            CCNOT(ctl, q, h);
        } apply {
            visit(base + 1);
        }
    }
}

/// # Summary
/// The indices of the sets that contain t.
internal function SetsContaining(sets : Int[][], t : Int) : Int[] {
    Std.Arrays.Where(s -> Std.Arrays.Any(x -> x == t, s), sets)
}
