// Fixed-point amplitude amplification (Yoder, Low, Chuang, PRL 113, 210501, 2014).
//
// With A|0> = √λ |good> + √(1−λ) |bad>, S_t(β) = I − (1 − e^{iβ}) Π_good and
// S_s(α) = A (I − (1 − e^{−iα}) |0><0|) A†, the state S_s(α_l) S_t(β_l) ⋯ S_s(α_1) S_t(β_1) A|0> has success
// probability 1 − δ² T_L(T_{1/L}(1/δ) √(1−λ))² ≥ 1 − δ² for every λ ≥ w (L = 2l + 1 calls of A or A†).
// The phases α_j = −β_{l−j+1} = 2 arccot(tan(2πj/L) √(1−γ²)), γ⁻¹ = T_{1/L}(1/δ), come from Python
// (pyqgd.quantum.amplification), where the convention is checked against the closed-form success probability.
import Std.Arrays.Most;
import Std.Arrays.Tail;

/// # Summary
/// Multiplies the all-|0> basis state of `qs` by e^{i phase}; identity elsewhere.
operation ApplyPhaseOnAllZero(phase : Double, qs : Qubit[]) : Unit is Adj + Ctl {
    within {
        for q in qs {
            X(q);
        }
    } apply {
        Controlled R1(Most(qs), (phase, Tail(qs)));
    }
}

/// # Summary
/// Fixed-point amplitude amplification of the "all of `good` in |0>" subspace of prepare|0> on `all`.
/// `good` must be a sub-register of `all`; alphas and betas have length l = (L − 1)/2.
operation ApplyFixedPointAmplification(prepare : Qubit[] => Unit is Adj, good : Qubit[], all : Qubit[], alphas : Double[], betas : Double[]) : Unit is Adj {
    prepare(all);
    for j in 0..Length(alphas) - 1 {
        ApplyPhaseOnAllZero(betas[j], good);
        within {
            Adjoint prepare(all);
        } apply {
            ApplyPhaseOnAllZero(-alphas[j], all);
        }
    }
}

/// # Summary
/// The l = Length(alphas) rounds S_s(α_j) S_t(β_j) of ApplyFixedPointAmplification after A|0> has been applied, for a
/// counted A: `applyA(qs, inverse)` applies A (or A† when `inverse`) and returns the block-encoding calls it made;
/// `phaseOnGood(β, qs)` multiplies the good subspace by e^{iβ}. Returns the calls of the 2l applications of A and A†,
/// counted while they run (the solvers add the first A's calls).
internal operation FixedPointRoundsCounted(applyA : (Qubit[], Bool) => Int, phaseOnGood : (Double, Qubit[]) => Unit, qs : Qubit[], alphas : Double[], betas : Double[]) : Int {
    mutable calls = 0;
    for j in 0..Length(alphas) - 1 {
        phaseOnGood(betas[j], qs);
        set calls += applyA(qs, true);
        ApplyPhaseOnAllZero(-alphas[j], qs);
        set calls += applyA(qs, false);
    }
    calls
}
