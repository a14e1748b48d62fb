"""Loading and read-out options against their source formulas (computed here from the papers' statements), large κ and
T, and bad input."""

import math

import pytest

from pyqgd.estimate import LOADINGS, READOUTS, EstimateInputError, OdeProblem, estimate_model, ode_solver_cost, paper_problem
from pyqgd.estimate.circuit import lookup
from pyqgd.estimate.loading import extra_qubits, lookup_cost, qram_router_error_needed, selectswap_block
from pyqgd.estimate.readout import readout_cost
from pyqgd.quantum.polynomials import optimal_inverse_degree, relative_error_at_degree


@pytest.mark.parametrize("E,w", [(2**10, 8), (2**20, 16)])
def test_loadings_against_source_formulas(E, w):
    # QROM (Babbush et al. 2018): E − 2 Toffolis (+ k controls), the traced std Select
    assert lookup_cost("qrom", E, w, 3).ccz_count == E - 2 + 3 == lookup(E, 3).ccz_count
    # SelectSwap (LKS Thm 1 / Berry et al. 2019): ⌈E/λ⌉ + (λ − 1)w Toffolis (− 2 of unary iteration), (λ − 1)w qubits,
    # λ the power of two minimising it — found here by brute force over all powers of two
    best = min((math.ceil(E / 2**k) + (2**k - 1) * w, 2**k) for k in range(0, int(math.log2(E)) + 1))[1]
    assert selectswap_block(E, w) == best
    ss = lookup_cost("selectswap", E, w)
    assert ss.ccz_count == math.ceil(E / best) - 2 + (best - 1) * w
    assert ss.qubits_allocated == extra_qubits("selectswap", E, w) == (best - 1) * w
    assert ss.ccz_count < E - 2  # cheaper in Toffolis than QROM, paid in qubits
    capped = selectswap_block(E, w, max_extra_qubits=3 * w)
    assert capped == 4 and lookup_cost("selectswap", E, w, max_extra_qubits=3 * w).qubits_allocated == 3 * w
    # bucket-brigade QRAM (GLM 2008): 2⌈log₂E⌉ + w routing steps, E cells, no Toffolis
    ram = lookup_cost("qram", E, w)
    assert ram.ccz_count == 0 and ram.measurement_count == 2 * int(math.log2(E)) + w and ram.qram_cells == E
    free = lookup_cost("qram_free", E, w)
    assert free.measurement_count == 0 and free.ccz_count == 0  # lower bound only
    # Hann et al. 2021: Q queries × ε_r log²E ≤ budget
    assert qram_router_error_needed(1000, E, 1e-3) == pytest.approx(1e-3 / (1000 * math.log2(E) ** 2))


@pytest.mark.parametrize("d,delta", [(1000, 0.1), (10**6, 0.01)])
def test_readouts_against_source_formulas(d, delta):
    lam, L = 1e-3, 21
    norm = math.ceil(math.ceil(2 * math.pi / (delta * math.sqrt(lam))) / L)
    l2 = readout_cost("l2_sampling", d, delta, success_probability=lam, amplification_length=L)
    assert l2.amplitude_runs == l2.sign_runs == math.ceil(36 * d * math.log(d) / delta**2)  # Kerenidis–Prakash
    assert l2.norm_runs == norm and l2.runs == 2 * l2.amplitude_runs + norm
    hb = readout_cost("heisenberg", d, delta, success_probability=lam, amplification_length=L)
    assert hb.amplitude_runs == math.ceil(d * math.log(d) / delta)  # van Apeldoorn et al.: d log d / δ
    assert hb.runs < l2.runs


def test_every_loading_and_readout_reaches_the_report():
    """Each loading's estimate prices both read-outs with the source formulas (computed here: Kerenidis–Prakash
    2·⌈36·d·ln d/δ²⌉, van Apeldoorn et al. 2·⌈d·ln d/δ⌉, each + ⌈⌈2π/(δ√λ)⌉/L⌉ norm runs), takes the cheaper as its
    samples, and for QRAM the router error of Hann et al. 2021, budget/(Q·runs·log²E)."""
    d, delta = 10**5, 1e-2
    for ld in LOADINGS:
        me = estimate_model(paper_problem(d, 100, loading=ld, block_encoding="f_tables_model"), "qubit_gate_ns_e4",
                            readout="all")
        s = me.summary()
        lam, L = me.cost.success_probability, me.cost.amplification_length
        norm = math.ceil(math.ceil(2 * math.pi / (delta * math.sqrt(lam))) / L)
        runs = {"l2_sampling": 2 * math.ceil(36 * d * math.log(d) / delta**2) + norm,
                "heisenberg": 2 * math.ceil(d * math.log(d) / delta) + norm}
        assert set(runs) == set(READOUTS) and {r: v["runs"] for r, v in s["readouts"].items()} == runs
        assert s["readout"] == "heisenberg" and me.samples == runs["heisenberg"] and s["loading_label"]
        if ld == "qram":
            Q, E = me.cost.total.qram_queries, max(me.cost.total.qram_cells, 2)
            assert s["qram_router_error_needed"] == pytest.approx(1e-3 / (Q * me.samples * math.log2(E) ** 2))
        else:
            assert s["qram_router_error_needed"] is None
        assert "not built" in s["circuit"]  # the f_tables_model is not built


def test_large_kappa_and_T():
    for k in (1e8, 1e10, 1e12):
        d = optimal_inverse_degree(k, 1e-2)
        # the degree-optimal Chebyshev degree is ≈ κ ln(2/ε) (within 1 %) and meets ε exactly at d, not at d − 2
        assert d == pytest.approx(k * math.log(2 / 1e-2), rel=0.01)
        assert relative_error_at_degree(k, d) <= 1e-2 < relative_error_at_degree(k, d - 2)
    for T in (10**6, 10**9):
        c = ode_solver_cost(OdeProblem(n=7_000_000, s=8, N=2, T=T, epsilon=1e-2))
        assert math.isfinite(c.kappa) and c.degree > 0 and c.amplification_length > 0 and c.total.ccz_count > 0
    # T = 1e10 is a correct answer too (κ ~ 1e12), T beyond 1e12 a clear error
    c = ode_solver_cost(OdeProblem(n=7_000_000, s=8, N=2, T=10**10, epsilon=1e-2, block_encoding="f_tables_model"))
    assert c.kappa > 1e12 and c.degree > 1e12
    with pytest.raises(EstimateInputError, match="segments"):
        OdeProblem(n=10, s=2, N=2, T=10**13, epsilon=1e-2)


@pytest.mark.parametrize("kw,match", [
    ({"n": -3}, "≥ 1"), ({"T": 0}, "≥ 1"), ({"epsilon": 0.0}, r"\(0, 1\)"), ({"epsilon": 1.0}, r"\(0, 1\)"),
    ({"loading": "tape"}, "loading"), ({"readout": "guess"}, "read-out"), ({"block_encoding": "dense"}, "block_encoding"),
    ({"contraction": -0.5}, "contraction"), ({"nnz_F0": 20}, "nnz_F0"), ({"amplitude": 0.0}, "amplitude"),
])
def test_bad_input_is_a_clear_error(kw, match):
    args = {"n": 10, "s": 2, "N": 2, "T": 10, "epsilon": 0.1} | kw
    with pytest.raises(EstimateInputError, match=match):
        OdeProblem(**args)


def test_unknown_readout_in_estimate_model_and_divergent_map():
    with pytest.raises(EstimateInputError, match="read-out"):
        estimate_model(paper_problem(10**4, 10), "qubit_gate_ns_e4", readout="guess")
    with pytest.raises(EstimateInputError, match="dissipative"):
        ode_solver_cost(OdeProblem(n=10, s=2, N=2, T=10**6, epsilon=0.1, contraction=1.5))


def test_solver_choices():
    """solver='kernel' is the built kernel-reflection history solve; its degree and rounds from the published forms,
    computed here: good amplitude a = A/U with A = √(p+1)(1 − ε)/√2 (F0 = 0, ‖u_in‖ = 1, N = 2) and U = √(T+p+1)
    (‖M‖ ≤ 1, docs/math.md Eq. 17); ε_K = ε·a/2; degree 2⌈arccosh(4/ε_K − 1)/arccosh((1+κ⁻²)/(1−κ⁻²))⌉ (Dalzell
    Eq. 62); λ = (β(a − ε_K))², rounds the odd ⌈arccosh(1/δ)/artanh(√λ)⌉ (Yoder–Low–Chuang 2014). 'auto' takes the
    cheaper built solver; the not-built F-tables model has no kernel solve."""
    from dataclasses import replace

    pr = paper_problem(10**5, 100, block_encoding="sparse")
    q = ode_solver_cost(pr, solver="qsvt")
    k = ode_solver_cost(pr, solver="kernel")
    a = ode_solver_cost(pr, solver="auto")
    good = math.sqrt(101) * (1 - pr.epsilon) / math.sqrt(2) / math.sqrt(201)
    eps_k, kappa = pr.epsilon * good / 2, k.kappa
    degree = 2 * math.ceil(math.acosh(4 / eps_k - 1) / math.acosh((1 + kappa**-2) / (1 - kappa**-2)))
    rounds = math.ceil(math.acosh(1 / pr.delta_aa) / math.atanh(0.999 * (good - eps_k)))
    assert (k.degree, k.amplification_length) == (degree, rounds + 1 - rounds % 2)
    assert k.built and "kernel reflection (built)" in k.label
    best = min((q, k), key=lambda c: c.total.non_clifford_count)
    assert a.total == best.total and a.solver == best.solver
    with pytest.raises(EstimateInputError, match="kernel"):
        ode_solver_cost(replace(pr, block_encoding="f_tables_model"), solver="kernel")


def test_kronecker_encoding_in_the_solver_composition():
    """block_encoding='kronecker' plugs one call of pyqgd.estimate.kronecker into the same solver composition:
    κ = α_L‖L⁻¹‖, every call pays the encoding's Toffolis, two qubits beyond the encoding's peak."""
    from pyqgd.estimate import kronecker as kr

    pr = paper_problem(10**4, 10, block_encoding="kronecker")
    c = ode_solver_cost(pr, solver="qsvt")
    clock = (2 * pr.T).bit_length()  # ⌈log₂(T + p + 1)⌉ with p = T
    ref = kr.kronecker_block_encoding_cost(pr.n, pr.s, pr.N, T=pr.T, p=pr.T, clock_qubits=clock, angle_bits=pr.angle_bits)
    assert c.alpha == pytest.approx(ref.alpha) and c.block_encoding == ref.cost
    # peak: the encoding's + lcu, sig, or the amplification's phase on all k = anc + 2 + m qubits with its k − 2
    # helpers (logical.phase_on_all_zero, traced), m = clock + level + N slots
    k = ref.num_ancillas + 2 + clock + 1 + 2 * (pr.n - 1).bit_length()
    assert c.total.num_qubits == max(ref.cost.num_qubits + 2, 2 * k - 2) and c.table_entries == ref.stored_entries
    assert c.kappa == pytest.approx(ref.alpha * c.inverse_norm)
    assert c.total.ccz_count >= c.block_encoding_calls * ref.cost.ccz_count
