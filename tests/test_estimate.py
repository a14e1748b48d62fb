"""Physical estimates (JSON round-trip, presets, errors), the T-step solver cost, classical cost and paper scale."""

import json
import math
import os
from dataclasses import replace

import numpy as np
import pytest

os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")

from pyqgd.estimate import (
    QUBIT_PRESETS,
    ClassicalModel,
    ErrorBudgetError,
    EstimateInputError,
    OdeProblem,
    PhysicalEstimates,
    UnknownPresetError,
    classical_gd_flops,
    classical_gd_seconds,
    estimate_model,
    estimate_physical,
    fit_exponents,
    markdown_table,
    ode_solver_cost,
    paper_problem,
    tomography_samples,
)
from pyqgd.estimate import logical as lg


@pytest.fixture(scope="module")
def small_cost():
    return lg.qsvt_solve_amplified(3, 2, 10, 11, 13)


@pytest.fixture(scope="module")
def all_presets(small_cost):
    return estimate_physical(small_cost, frontier=True, label="small")


def test_all_presets_and_schemes(all_presets):
    pairs = {(e.preset, e.qec_scheme) for e in all_presets.estimates}
    assert {p for p, _ in pairs} == set(QUBIT_PRESETS)
    assert ("qubit_maj_ns_e6", "floquet_code") in pairs and ("qubit_gate_ns_e3", "floquet_code") not in pairs
    for e in all_presets.estimates:
        assert e.physical_qubits > 0 and e.runtime_seconds > 0 and e.code_distance >= 3
        assert len(e.frontier) >= 1
        # frontier: more qubits never means a longer runtime
        qs = [p[0] for p in e.frontier]
        rs = [p[1] for p in e.frontier]
        order = sorted(range(len(qs)), key=qs.__getitem__)
        assert all(rs[order[i]] >= rs[order[i + 1]] - 1e-12 for i in range(len(order) - 1))
    # better qubits: fewer physical qubits at the same counts
    assert all_presets.get("qubit_gate_ns_e4").physical_qubits < all_presets.get("qubit_gate_ns_e3").physical_qubits


def test_json_round_trip(all_presets):
    s = all_presets.to_json()
    back = PhysicalEstimates.from_json(s)
    assert back == all_presets
    assert json.loads(back.to_json()) == json.loads(s)
    assert "qubit_gate_ns_e3" in all_presets.table()
    with pytest.raises(ValueError):
        bad = json.loads(s)
        bad["estimates"][0].pop("code_distance")
        PhysicalEstimates.from_json(json.dumps(bad))


def test_estimate_matches_direct_qdk_call(small_cost):
    import warnings

    from qdk.estimator import LogicalCounts

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        r = LogicalCounts(small_cost.to_counts()).estimate({"qubitParams": {"name": "qubit_gate_us_e4"}, "errorBudget": 0.01})
    e = estimate_physical(small_cost, "qubit_gate_us_e4", error_budget=0.01).estimates[0]
    assert e.physical_qubits == r["physicalCounts"]["physicalQubits"]
    assert math.isclose(e.runtime_seconds, r["physicalCounts"]["runtime"] * 1e-9)


def test_chunking_is_consistent(small_cost):
    # a program too long for one estimator call: chunked runtime ≈ linear extrapolation of the unchunked one
    k1, k2 = 10**3, 10**6
    e1 = estimate_physical(small_cost.repeat(k1), "qubit_gate_ns_e4").estimates[0]
    e2 = estimate_physical(small_cost.repeat(k2), "qubit_gate_ns_e4").estimates[0]
    assert e1.chunks == 1 and e2.chunks > 1
    per_cycle = e2.runtime_seconds / e2.logical_depth
    assert math.isclose(per_cycle, e2.logical_cycle_seconds, rel_tol=1e-6)
    assert e2.logical_depth == pytest.approx(e1.logical_depth * k2 / k1, rel=0.05)


def test_errors(small_cost):
    with pytest.raises(UnknownPresetError, match="choose from"):
        estimate_physical(small_cost, "qubit_gate_ns_e5")
    with pytest.raises(UnknownPresetError, match="Majorana"):
        estimate_physical(small_cost, "qubit_gate_ns_e3", qec_schemes="floquet_code")
    with pytest.raises(TypeError):
        estimate_physical(small_cost, [3])
    for eb in (0.0, 1.0, -0.1, 2.0, float("nan")):
        with pytest.raises(EstimateInputError, match=r"\(0, 1\)"):
            estimate_physical(small_cost, error_budget=eb)
    with pytest.raises(ErrorBudgetError, match="increase the error budget"):
        estimate_physical(small_cost.repeat(10**9), "qubit_gate_ns_e3", error_budget=1e-15)
    assert issubclass(ErrorBudgetError, ValueError) and issubclass(UnknownPresetError, ValueError)
    with pytest.raises(EstimateInputError, match="≥ 1"):
        OdeProblem(n=-5, s=2, N=2, T=10, epsilon=0.1)
    with pytest.raises(EstimateInputError):
        OdeProblem(n=100, s=2, N=2, T=0, epsilon=0.1)
    for eps in (0.0, 1.0, 1.5, -1e-3):
        with pytest.raises(EstimateInputError, match=r"\(0, 1\)"):
            OdeProblem(n=100, s=2, N=2, T=10, epsilon=eps)
    with pytest.raises(TypeError):
        OdeProblem(n=100.5, s=2, N=2, T=10, epsilon=0.1)
    with pytest.raises(EstimateInputError, match="loading"):
        OdeProblem(n=100, s=2, N=2, T=10, epsilon=0.1, loading="tape")
    with pytest.raises(EstimateInputError):
        lg.sparse_block_encoding(-1, 2, 8)
    with pytest.raises(EstimateInputError):
        tomography_samples(10, 1.0)


def test_ode_cost_structure():
    """Registers, sparsity, κ and the QSVT degree of the built circuit, computed here from their definitions and the
    published closed form of the degree-optimal inverse polynomial. (The calls, degree × amplification rounds, are
    checked against the Q#-traced whole solver in tests/test_estimate_solver.py and test_estimate_validation.py.)"""
    pr = OdeProblem(n=1024, s=4, N=2, T=50, epsilon=1e-2, solver="qsvt")  # the QSVT solve's structure
    c = ode_solver_cost(pr)

    # clock ⌈log2 101⌉ = 7, level 1, two slots of 10 qubits
    assert c.m_sys == 7 + 1 + 2 * 10
    # F0 = 0, I + F1 has 5 nonzeros per row and column, F2 16 per row and 4 per column. Rows: level 1 has 5 + 16,
    # level 2 the x² coefficient of (5x + 16x²)² = 25. Block column 2: F2's 4 plus (I+F1)⊗(I+F1)'s 25 = 29.
    assert c.s_L == 1 + 29
    assert c.inverse_norm == 50 + 50 + 1 and c.inverse_norm_method == "worst case T+p+1"
    assert c.kappa == pytest.approx(c.alpha * 101)
    # a-priori amplitude bound A = √(p+1)(1 − ε)/√2 (F0 = 0, ‖u_in‖ = 1, ‖B‖ = √2 at N = 2, p = T = 50), the
    # polynomial's precision ε_P = min(ε/2, ε·A/(2‖L⁻¹‖)), and the minimal odd degree of relative error ε_P on
    # [1/κ, 1]: 2⌈arccosh(1/ε_P)/arccosh((κ²+1)/(κ²−1))⌉ − 1 (Chebyshev extremal property, Rivlin Thm 2.20)
    A = math.sqrt(51) * 0.99 / math.sqrt(2)
    assert c.amplitude == pytest.approx(A, rel=1e-12)
    eps_p = min(0.005, 0.01 * A / (2 * 101))
    k = c.kappa
    assert c.degree == 2 * math.ceil(math.acosh(1 / eps_p) / math.acosh((k * k + 1) / (k * k - 1))) - 1
    assert c.total.ccz_count > c.block_encoding.ccz_count * c.block_encoding_calls
    assert c.built and "built" in c.label
    c2 = ode_solver_cost(OdeProblem(n=1024, s=4, N=2, T=100, epsilon=1e-2, solver="qsvt"))
    assert c2.total.ccz_count > 2 * c.total.ccz_count
    # the loadings at one size: QRAM charges no Toffolis for lookups; SelectSwap trades Toffolis for qubits
    rom, ss = (ode_solver_cost(OdeProblem(n=10**4, s=4, N=2, T=50, epsilon=1e-2, loading=ld,
                                          block_encoding="f_tables_model")) for ld in ("qrom", "selectswap"))
    ram = ode_solver_cost(OdeProblem(n=10**4, s=4, N=2, T=50, epsilon=1e-2, loading="qram", block_encoding="f_tables_model"))
    assert ram.total.ccz_count < ss.total.ccz_count < rom.total.ccz_count
    assert ss.total.qubits_allocated > rom.total.qubits_allocated
    assert not ss.built and "not built" in ss.label


def test_success_probability_is_not_the_old_kappa_squared_bound():
    """At the paper instance the bound c·α·‖Π_good L⁻¹B‖/‖B‖ needs hundreds of rounds, not millions (QSVT)."""
    c = ode_solver_cost(paper_problem(7_000_000, 1000), solver="qsvt")
    assert 100 < c.amplification_length < 2000
    old_lambda = ((1 - 1e-2) * 0.9 / c.kappa) ** 2 * (1001 / (9 * 2001 * 2))
    assert c.success_probability > 1e3 * old_lambda


def test_contraction_lowers_kappa_and_rounds():
    # short padding: the p idle identity steps alone make ‖L⁻¹‖ ≥ p, dissipation or not
    base = paper_problem(10**6, 1000, block_encoding="f_tables_model", p=10)
    worst = ode_solver_cost(base)
    contr = ode_solver_cost(replace(base, contraction=0.9))
    assert contr.inverse_norm_method == "contraction" and contr.kappa < worst.kappa / 5
    assert contr.amplification_length < worst.amplification_length


def test_exponent_fit_and_claims():
    qram = fit_exponents(paper_problem(10**6, 100, loading="qram", block_encoding="f_tables_model"), Ts=(10, 100, 1000),
                         ns=(10**4, 10**6, 10**8))
    assert 1.3 < qram["T_exponent"] < 2.2  # κ ∝ T: degree ∝ T; rounds ∝ 1/√λ ∝ √T with the new bound
    assert 0.9 < qram["attribution_T"]["kappa_degree"] < 1.1
    assert 0.3 < qram["attribution_T"]["amplification"] < 0.7
    assert qram["n_exponent"] < 0.2  # polylog in n with QRAM
    built = fit_exponents(paper_problem(10**6, 100, block_encoding="sparse"), Ts=(10, 100, 1000), ns=(10**2, 10**3, 10**4))
    assert built["n_exponent"] > 1.5  # the built tables span 4^{m_c} Carleman addresses
    kron = fit_exponents(paper_problem(10**6, 100, block_encoding="kronecker"), Ts=(10, 100, 1000), ns=(10**2, 10**3, 10**4))
    assert 0.8 < kron["n_exponent"] < 1.3  # each sparse-QROM lookup compares the address with all n·s records


def test_classical_flops_equal_torchs_count_of_a_training_step():
    """6 FLOPs per parameter per sample (forward 2, backward 4) against torch's own FLOP counter of one training step
    (forward, loss, backward) of a bias-free MLP; the time is those FLOPs at the model's sustained throughput."""
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    net = torch.nn.Sequential(torch.nn.Linear(32, 64, bias=False), torch.nn.Tanh(), torch.nn.Linear(64, 64, bias=False),
                              torch.nn.Tanh(), torch.nn.Linear(64, 8, bias=False))
    n, B = sum(p.numel() for p in net.parameters()), 16
    x = torch.randn(B, 32, requires_grad=True)  # every layer's input gradient counted, as in the 6·n rule
    with FlopCounterMode(display=False) as count:
        net(x).square().sum().backward()
    m = ClassicalModel(batch=B)
    assert classical_gd_flops(n, 3, m) == 3 * count.get_total_flops()
    assert classical_gd_seconds(n, 3, m) == pytest.approx(3 * count.get_total_flops() / (m.gpu_flops * m.utilization))
    with pytest.raises(EstimateInputError):
        ClassicalModel(utilization=1.5)


def test_tomography_samples_reach_the_precision():
    """⌈s·ln s/δ²⌉ computational-basis runs (Guţă, Kahn, Kueng, Tropp 2020, constant 1) read the magnitudes of s
    nonzero amplitudes to ℓ2 error ≤ δ: simulated here by sampling the measurement outcomes."""
    assert tomography_samples(1000, 0.1) == 690_776  # 1000·ln 1000/0.01 = 690775.5
    rng = np.random.default_rng(0)
    for s, delta in ((40, 0.1), (200, 0.05)):
        runs = tomography_samples(s, delta)
        for _ in range(20):
            a = rng.normal(size=s)
            a /= np.linalg.norm(a)
            counts = rng.multinomial(runs, a * a)
            assert np.linalg.norm(np.sqrt(counts / runs) - np.abs(a)) <= delta


def test_paper_scale_model_estimate():
    """At n = 1.03e8: the read-out runs from Kerenidis–Prakash's ℓ2-sampling count (computed here: 2·⌈36·d·ln d/δ²⌉
    amplitude and sign runs + ⌈⌈2π/(δ√λ)⌉/L⌉ norm runs), the total = those runs × the QDK runtime of one run."""
    n, T, d = 103_000_000, 1000, 0.01
    me = estimate_model(paper_problem(n, T, loading="qram", block_encoding="f_tables_model"),
                        ("qubit_gate_ns_e4", "qubit_maj_ns_e6"))
    lam, L = me.cost.success_probability, me.cost.amplification_length
    runs = 2 * math.ceil(36 * n * math.log(n) / d**2) + math.ceil(math.ceil(2 * math.pi / (d * math.sqrt(lam))) / L)
    assert me.readout == "l2_sampling" and me.samples == runs
    assert me.physical is not None and len(me.physical.estimates) == 2
    for preset in ("qubit_gate_ns_e4", "qubit_maj_ns_e6"):
        assert me.total_seconds[preset] == pytest.approx(runs * me.physical.get(preset).runtime_seconds, rel=1e-12)
    assert me.classical_seconds == classical_gd_seconds(n, T)
    md = markdown_table([me])
    assert md.count("\n") == 3 and "qubit_maj_ns_e6" in md


def test_break_even_reports_crossover_or_none():
    from pyqgd.estimate import break_even

    be = break_even(paper_problem(10**6, 100, loading="qram"), "qubit_gate_ns_e4", ns=(10**4, 10**8))
    for r in be["rows"]:
        assert r["classical_seconds"] > 0 and (r["quantum_seconds"] is None or r["quantum_seconds"] > 0)
    # quantum is slower than classical at every n here: the crossover is reported as None
    assert be["crossover_n"] is None
    # against a GPU 10²⁵ times slower the quantum run wins where its total is below 6·n·B·T/(R·u), computed here
    slow = ClassicalModel(gpu_flops=312e12 / 1e25)
    be = break_even(paper_problem(10**6, 100, loading="qram"), "qubit_gate_ns_e4", ns=(10**4, 10**8), classical=slow)
    classical = {n: 6 * n * 2048 * 100 / (312e12 / 1e25 * 0.4) for n in (10**4, 10**8)}
    wins = [r["n"] for r in be["rows"] if r["quantum_seconds"] < classical[r["n"]]]
    assert wins == [10**8] and be["crossover_n"] == 10**8


def test_dataframe_when_pandas_present(all_presets):
    pytest.importorskip("pandas")
    df = all_presets.to_dataframe()
    assert len(df) == len(all_presets.estimates) and "physical_qubits" in df.columns


def test_astronomical_runs_get_estimates_or_a_quick_reason():
    """A 10^42-Toffoli run (the structured oracles' QROM at n = 1.03e8) is estimated by chunking on presets that can
    hold the budget and refused with the needed code distance on the others, in seconds (the QDK's T-factory search
    would run for minutes at distances near 100)."""
    import time

    from pyqgd.estimate.physical import ErrorBudgetError, estimate_physical

    cost = lg.LogicalCost(num_qubits=310, t_count=10**9, rotation_count=10**29, rotation_depth=10**29,
                          ccz_count=7 * 10**42, measurement_count=7 * 10**42)
    t0 = time.perf_counter()
    est = estimate_physical(cost, "qubit_gate_ns_e4").estimates[0]
    assert est.chunks > 10**30 and est.runtime_seconds > 1e30
    with pytest.raises(ErrorBudgetError, match="code distance above 80"):
        estimate_physical(cost, "qubit_maj_ns_e4")
    assert time.perf_counter() - t0 < 30


def test_counts_beyond_64_bits_are_a_clear_failure():
    """3·10^20 logical qubits (SelectSwap's extra qubits at n = 10^12) cannot be passed to the QDK estimator, whose
    counters are unsigned 64-bit: a clear EstimationFailedError, which estimate_model records as infeasible."""
    from pyqgd.estimate.errors import EstimationFailedError
    from pyqgd.estimate.physical import estimate_physical

    cost = lg.LogicalCost(num_qubits=3 * 10**20, ccz_count=10**12, measurement_count=10**12)
    with pytest.raises(EstimationFailedError, match="64-bit"):
        estimate_physical(cost, "qubit_gate_ns_e4")
    me = estimate_model(paper_problem(10**12, 1000, loading="selectswap", block_encoding="sparse"), "qubit_gate_ns_e4")
    assert "64-bit" in me.infeasible["qubit_gate_ns_e4"]
