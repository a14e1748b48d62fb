// Right-hand side of the history-state system and the end-to-end solver (Liu et al. 2024 Eq. 6; docs/math.md §4, §9, §11).
//
//   |B> ∝ ‖ŷ_in‖ |0>_clock |ŷ_in> + ‖b‖ Σ_{t=1..T} |t>_clock |b>,   ŷ_in = [u, u⊗u, …, u^⊗N],  b = [F0, F0⊗F0, …]
//
// Both Carleman vectors are tensor-power states Σ_j a_j |j−1>_level |v̂>^{⊗j} |0>^{⊗(N−j)} with a_j ∝ ‖v‖^j (F11): the
// level register is prepared first, then slot k receives |v̂> controlled on level ≥ k − 1. |v̂> itself is a sparse
// state preparation: PreparePureStateD of the d nonzeros on ⌈log2 d⌉ qubits, then ≤ d basis transpositions
// |k> ↔ |support[k]> (O(d log n) gates, the Gleinig–Hoefler / Mao et al. order; docs/math.md §11).
import Std.Arrays.Reversed;
import Std.Diagnostics.DumpMachine;
import Std.StatePreparation.PreparePureStateD;
import BlockEncoding.Core.BlockEncoding;
import Qsvt.Qsvt.ApplyRealQsvt;
import Amplification.FixedPoint.ApplyPhaseOnAllZero;
import Carleman.StructuredOracles.CarlemanOracleData;
import Carleman.StructuredOracles.ApplyIfInRange;

/// # Summary
/// A sparse vector v̂ on a slot register: Values (its d nonzeros, normalized, padded with zeros to 2^⌈log2 d⌉), the
/// basis transpositions taking |k> to |support[k]>, and the level amplitudes of its tensor-power state.
struct TensorPowerState {
    LevelAmplitudes : Double[],
    Values : Double[],
    Swaps : (Int, Int)[],
}

/// # Summary
/// The history-state right-hand side: clock amplitudes (length 2^NumClock), ŷ_in and b as tensor-power states.
struct HistoryRhs {
    NumClock : Int,
    NumLevel : Int,
    NumSlot : Int,
    NumSlots : Int,
    ClockAmplitudes : Double[],
    Initial : TensorPowerState,
    HasConstant : Bool,
    Constant : TensorPowerState,
}

/// # Summary
/// Swaps the basis states |a> and |b> of a big-endian register, identity elsewhere (a genuine unitary on all inputs):
/// CNOTs from a pivot bit q (where a and b differ) make b differ from a in bit q only, then a multi-controlled X on q.
operation ApplyBasisTransposition(a : Int, b : Int, qs : Qubit[]) : Unit is Adj + Ctl {
    let w = Length(qs);
    let le = Reversed(qs);
    let diff = Std.Convert.IntAsBoolArray(a ^^^ b, w);
    let q = PivotBit(diff);
    let aBits = Std.Convert.IntAsBoolArray(a, w);
    let others = Std.Arrays.Filtered(r -> r != q, Std.Arrays.SequenceI(0, w - 1));
    within {
        for r in others {
            if diff[r] {
                // flip bit r when bit q equals b's bit q (= not a's)
                ApplyControlledOnInt(aBits[q] ? 0 | 1, X, [le[q]], le[r]);
            }
        }
    } apply {
        if Length(others) == 0 {
            X(le[q]);
        } else {
            ApplyControlledOnBitString(Std.Arrays.Mapped(r -> aBits[r], others), X, Std.Arrays.Mapped(r -> le[r], others), le[q]);
        }
    }
}

/// # Summary
/// The first set bit of a difference pattern.
internal function PivotBit(diff : Bool[]) : Int {
    mutable q = 0;
    while not diff[q] {
        set q += 1;
    }
    q
}

/// # Summary
/// Sparse state preparation |0> → Σ_k v_k |support[k]> on a big-endian register (docs/math.md §11): PreparePureStateD of the d
/// values on the low ⌈log2 d⌉ qubits, then ≤ d basis-state transpositions moving |k> to |support[k]> (computed in
/// Python, pyqgd.quantum.structured_oracles). O(d·log n) gates besides the d-amplitude preparation; no n-sized table.
internal operation PrepareSparseState(values : Double[], swaps : (Int, Int)[], target : Qubit[]) : Unit is Adj + Ctl {
    let md = Length(values) > 1 ? Std.Math.BitSizeI(Length(values) - 1) | 1;
    PreparePureStateD(values, target[Length(target) - md...]);
    for (a, b) in swaps {
        ApplyBasisTransposition(a, b, target);
    }
}

/// # Summary
/// Σ_j a_j |j−1>_level |v̂>^{⊗j} |0>^{⊗(N−j)} on level + slots (slot k = slots[k·w .. (k+1)·w − 1]).
operation PrepareTensorPowers(st : TensorPowerState, numSlots : Int, level : Qubit[], slots : Qubit[]) : Unit is Adj + Ctl {
    let w = Length(slots) / numSlots;
    if Length(level) > 0 {
        PreparePureStateD(st.LevelAmplitudes, level);
    }
    for k in 0..numSlots - 1 {
        let slot = slots[k * w..(k + 1) * w - 1];
        if k == 0 {
            PrepareSparseState(st.Values, st.Swaps, slot);
        } else {
            for j in k..numSlots - 1 {
                ApplyControlledOnInt(j, PrepareSparseState(st.Values, st.Swaps, _), Reversed(level), slot);
            }
        }
    }
}

/// # Summary
/// |0> → |B> on sys = clock + level + slots (big-endian).
operation PrepareHistoryRhs(rhs : HistoryRhs, sys : Qubit[]) : Unit is Adj + Ctl {
    let mt = rhs.NumClock;
    let clock = sys[0..mt - 1];
    let level = sys[mt..mt + rhs.NumLevel - 1];
    let slots = sys[mt + rhs.NumLevel...];
    PreparePureStateD(rhs.ClockAmplitudes, clock);
    if rhs.HasConstant {
        use g = Qubit();
        within {
            ApplyControlledOnInt(0, X, clock, g);
        } apply {
            Controlled PrepareTensorPowers([g], (rhs.Initial, rhs.NumSlots, level, slots));
            within {
                X(g);
            } apply {
                Controlled PrepareTensorPowers([g], (rhs.Constant, rhs.NumSlots, level, slots));
            }
        }
    } else {
        // all clock amplitude is on t = 0
        PrepareTensorPowers(rhs.Initial, rhs.NumSlots, level, slots);
    }
}

/// # Summary
/// Prepare |B> then the real-part QSVT of P ≈ c/x on L^T/α, on qs = [lcu, sig] + anc + sys.
operation PrepareAndInvertHistory(phases : Double[], be : BlockEncoding, rhs : HistoryRhs, qs : Qubit[]) : Unit is Adj {
    let a = be.NumAncillas;
    PrepareHistoryRhs(rhs, qs[a + 2...]);
    ApplyRealQsvt(phases, be, qs[0], qs[1], qs[2..a + 1], qs[a + 2...]);
}

/// # Summary
/// e^{i phase} on the good subspace: solver ancillas all |0>, clock ≥ T (the final window t = T..T+p), level 1.
operation ApplyPhaseOnFinalWindow(phase : Double, steps : Int, numAnc : Int, rhs : HistoryRhs, qs : Qubit[]) : Unit is Adj {
    let mt = rhs.NumClock;
    let clock = qs[numAnc..numAnc + mt - 1];
    let level = qs[numAnc + mt..numAnc + mt + rhs.NumLevel - 1];
    use early = Qubit();
    within {
        // early = (clock < T) = (0 ≤ clock ≤ T − 1)
        ApplyIfInRange(0, steps - 1, clock, early);
    } apply {
        ApplyPhaseOnAllZero(phase, qs[0..numAnc - 1] + level + [early]);
    }
}

/// # Summary
/// Solve.HistorySolve.HistorySolveStructured under the name the resource estimator traces. Dumps
/// [lcu, sig, flag, idx, sys] and returns the number of block-encoding calls, counted in the loops.
operation CarlemanQsvtSolve(data : CarlemanOracleData, phases : Double[], rhs : HistoryRhs, alphas : Double[], betas : Double[]) : Int {
    Solve.HistorySolve.HistorySolveStructured(data, phases, rhs, alphas, betas)
}

/// # Summary
/// Dumps |B> alone (for checking the state preparation against numpy), layout sys = clock + level + slots.
operation DumpHistoryRhs(rhs : HistoryRhs, numSystem : Int) : Unit {
    use sys = Qubit[numSystem];
    PrepareHistoryRhs(rhs, sys);
    DumpMachine();
    ResetAll(sys);
}
