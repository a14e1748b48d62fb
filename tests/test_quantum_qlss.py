"""Kernel-reflection QLSS (Dalzell 2024) in Q#: block against numpy, polynomial, solves on random systems with calls
counted by the Q# program, amplified success by closed form and simulation, cost model against traced counts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pyqgd.estimate.logical import LogicalCost
from pyqgd.estimate.solvers import (
    carleman_solver_options,
    cheapest_rigorous,
    compare_solvers,
    dalzell_published_calls,
    kernel_reflection_calls,
    kernel_reflection_cost,
    qsvt_calls,
)
from pyqgd.quantum import fixed_point_schedule, fixed_point_success
from pyqgd.quantum.qlss import (
    KERNEL_SCALE,
    kernel_operator_matrix,
    kernel_reflection_degree,
    kernel_reflection_polynomial,
    solve_kernel_reflection,
)
from pyqgd.quantum.solvers import prepare_system


def _random_system(m: int, seed: int, symmetric: bool = False):
    rng = np.random.default_rng(seed)
    n = 2**m
    M = np.eye(n) + 0.35 * rng.standard_normal((n, n))
    if symmetric:
        M = 0.5 * (M + M.T) - 0.8 * np.diag(rng.choice([0.0, 2.0], n))  # indefinite
    return M, rng.standard_normal(n)


def _counts(d: dict) -> LogicalCost:
    return LogicalCost(num_qubits=d["numQubits"], t_count=d["tCount"], ccz_count=d["cczCount"],
                       rotation_count=d["rotationCount"], rotation_depth=d["rotationDepth"],
                       measurement_count=d["measurementCount"])


def test_kernel_operator_block_matches_numpy_and_gap_lemma():
    from pyqgd.quantum._context import columns_from_dump, get_context, run_and_dump

    M, b = _random_system(2, 3)
    data, bp, _ = prepare_system(M, b)
    t = 1.7
    st, _ = run_and_dump(get_context().code.Solvers.KernelReflection.DumpKernelOperatorColumns, data.to_qsharp(),
                         bp.tolist(), 1.0 / t, num_qubits=11)
    block = columns_from_dump(st, 5, 3)[:8]
    A = data.quantized_matrix() / data.alpha
    G = kernel_operator_matrix(A, bp, t)
    assert np.max(np.abs(block - G)) < 1e-10
    # on span(|0,s>, |1,0>) (G_t is zero on |1, s ≠ 0>, which |e> = |1,0> never meets): kernel = span(x_t), the other
    # singular values ≥ σ_min(A_t) (independent numpy check of the lemma the solver relies on)
    assert np.all(G[:, 5:] == 0) and np.all(G[5:, :] == 0)
    sv = np.linalg.svd(G[:5, :5], compute_uv=False)
    x = np.linalg.solve(A, bp)
    xt = np.concatenate([x, [t]])
    assert sv[-1] < 1e-12 and np.linalg.norm(G[:5, :5] @ xt) < 1e-12
    assert sv[-2] >= min(np.linalg.svd(A, compute_uv=False).min(), 1.0 / t) * (1 - 1e-12)


@pytest.mark.parametrize("kappa,eps_k", [(5.0, 1e-2), (20.0, 1e-3)])
def test_kernel_polynomial_is_a_reflection_on_the_gap(kappa, eps_k):
    poly = kernel_reflection_polynomial(kappa, eps_k)
    x = np.linspace(1.0 / kappa, 1.0, 5001)
    assert abs(poly(0.0) - KERNEL_SCALE) < 1e-12
    assert np.max(np.abs(poly(x) + KERNEL_SCALE)) <= KERNEL_SCALE * eps_k * (1 + 1e-9)
    assert np.max(np.abs(poly(np.linspace(-1, 1, 4001)))) <= KERNEL_SCALE + 1e-12
    # the degree is minimal for this family: one step lower misses ε_K
    assert poly.degree == kernel_reflection_degree(kappa, eps_k)
    assert poly.degree <= kappa * math.log(8.0 / eps_k) + 2


def _solve_and_check(m, seed, symmetric, amplify=True):
    M, b = _random_system(m, seed, symmetric)
    r = solve_kernel_reflection(M, b, epsilon=0.05, delta=0.1, amplify=amplify)
    assert r.kappa <= 50
    assert r.fidelity >= 0.99
    # counted by the Q# loops vs the estimator's formula (a separate module)
    expected = kernel_reflection_calls(r.kappa, 0.05, delta=0.1)
    assert r.block_encoding_calls == (expected.calls if amplify else expected.degree)
    assert r.degree == expected.degree
    # unamplified success: the numpy value β²·4r²/(1+r²)² up to the polynomial error, above the rigorous bound
    assert abs(r.success_probability - KERNEL_SCALE**2 * r.details["success_ideal"]) < 4 * r.details["eps_k"]
    assert r.success_probability >= expected.success_lower_bound
    if not amplify:
        return
    # amplified: simulated run = YLC closed form, ≥ 1 − δ²
    sched = fixed_point_schedule(expected.success_lower_bound, 0.1)
    assert abs(r.amplified_success_probability - fixed_point_success(r.success_probability, sched)) < 1e-8
    assert r.amplified_success_probability >= 1 - 0.1**2


@pytest.mark.parametrize("seed,symmetric", [(1, False), (7, True), (4, False)])
def test_kernel_reflection_solver_on_random_systems(seed, symmetric):
    """Three random 4 × 4 systems (κ = α/σ_min from 5 to 20), one symmetric indefinite (~5 s each)."""
    _solve_and_check(2, seed, symmetric)


@pytest.mark.slow
def test_kernel_reflection_solver_on_an_8x8_system():
    """m = 3 (12 qubits, κ = 25), unamplified and amplified runs (about a minute on 2 cores)."""
    _solve_and_check(3, 1, False)


def test_kernel_reflection_with_a_tight_norm_bracket_needs_no_amplification_rounds():
    M, b = _random_system(2, 11)
    data, bp, _ = prepare_system(M, b)
    xn = float(np.linalg.norm(np.linalg.solve(data.quantized_matrix() / data.alpha, bp)))
    r = solve_kernel_reflection(M, b, epsilon=0.02, norm_bounds=(xn / 1.1, xn * 1.1), amplify=False)
    assert r.fidelity >= 0.999
    assert r.success_probability > 0.99


def test_kernel_reflection_cost_equals_traced_counts():
    from pyqgd.quantum._context import get_context

    ctx = get_context()
    K = ctx.code.Solvers.KernelReflection
    M, b = _random_system(2, 1)
    data, bp, _ = prepare_system(M, b)
    kappa = data.alpha / np.linalg.svd(data.quantized_matrix(), compute_uv=False).min() * (1 + 1e-6)
    calls = kernel_reflection_calls(kappa, 0.05)
    poly = kernel_reflection_polynomial(kappa, calls.precision)
    sched = fixed_point_schedule(calls.success_lower_bound, 0.1)
    traced = dict(ctx.logical_counts(K.TraceKernelReflectionSolve, data.to_qsharp(), bp.tolist(), 0.4321,
                                     poly.phases.tolist(), sched.alphas.tolist(), sched.betas.tolist()))
    cbe = _counts(dict(ctx.logical_counts(K.TraceControlledBlockEncoding, data.to_qsharp())))
    cprep = _counts(dict(ctx.logical_counts(K.TraceControlledPreparation, bp.tolist())))  # b has signs: T gates
    f = kernel_reflection_cost(cbe, 2, calls, controlled_preparation=cprep).traced_view()
    for k in ("numQubits", "tCount", "rotationCount", "cczCount", "measurementCount"):
        assert f[k] == traced[k], k
    assert traced["rotationDepth"] <= f["rotationDepth"] <= 1.03 * traced["rotationDepth"]


def test_solver_comparison_scaling():
    eps = 1e-2
    q5 = qsvt_calls(1e5, eps)
    k5 = kernel_reflection_calls(1e5, eps, norm_ratio=2.0)
    assert q5.calls / k5.calls >= 100
    # kernel reflection with a constant bracket is O(κ log 1/ε): within the published unknown-norm bound × small factor
    assert k5.calls <= 10 * dalzell_published_calls(1e5, eps)
    # the [1, κ] bracket costs √κ more, still far below QSVT+AA
    kk = kernel_reflection_calls(1e5, eps)
    assert k5.calls < kk.calls < q5.calls
    opts = compare_solvers(1e3, eps, norm_ratio=2.0)
    assert cheapest_rigorous(opts).method == "kernel"
    assert not opts["hhl"].rigorous
    # Carleman history system with a loose amplitude bound (window share ≤ 1e-4): the kernel solver's success carries
    # both the norm bracket and the share, QSVT's only the amplitude, so QSVT is the cheaper rigorous choice there
    loose = carleman_solver_options(7.0, 25.6, 0.0035, eps)
    assert cheapest_rigorous(loose).method == "qsvt"
    with pytest.raises(ValueError, match="vacuous"):
        carleman_solver_options(7.0, 25.6, 0.0, eps)


def test_bad_input_before_qsharp(monkeypatch):
    import pyqgd.quantum._context as c

    monkeypatch.setattr(c, "get_context", lambda: (_ for _ in ()).throw(AssertionError("Q# must not run")))
    M, b = _random_system(2, 1)
    with pytest.raises(ValueError, match="norm_bounds"):
        solve_kernel_reflection(M, b, norm_bounds=(2.0, 1.0))
    with pytest.raises(ValueError, match="kappa"):
        solve_kernel_reflection(M, b, kappa=1.01)
    with pytest.raises(ValueError, match="singular"):
        solve_kernel_reflection(np.zeros((4, 4)) + np.diag([1.0, 1.0, 1.0, 0.0]), b)
    with pytest.raises(ValueError, match="epsilon"):
        solve_kernel_reflection(M, b, epsilon=1.5)


# --- kernel reflection on the Carleman history system (Solvers/HistoryKernel.qs) ---------------------------------

def _history_toy(N=1, f0=0.0):
    from pyqgd.carleman import discrete_carleman
    from pyqgd.dynamics import gd_map, toy_cubic

    return discrete_carleman(gd_map(toy_cubic(2, seed=1), 0.2, f0 * np.ones(2)), N)


@pytest.mark.parametrize("bracket", ["a-priori", "instance-exact"])
def test_history_kernel_solve_kronecker(bracket):
    """The Q# kernel-reflection solve of L Y = B on the Kronecker encoding: the final-window level-1 state against
    the classical Carleman solution u(T) (fidelity ≥ 0.99; measured 0.999999), the amplified success probability
    ≥ 1 − δ², the calls counted by Q# = degree × L, and the rigorous good-amplitude bound below the exact one."""
    from pyqgd.quantum.qlss import history_kernel_setup, solve_history_kernel

    s, u = _history_toy(1, 0.1), np.array([-0.2, 0.3])
    r = solve_history_kernel(s, u, 2, 2, encoding="kronecker", epsilon=0.05, bracket=bracket)
    assert r.fidelity >= 0.99
    assert abs(np.vdot(r.classical, r.state)) ** 2 >= 0.99
    assert r.success_probability >= 1 - 0.3**2
    assert r.block_encoding_calls == r.degree * r.details["amplification_length"]
    exact = history_kernel_setup(s, u, 2, 2, encoding="kronecker", epsilon=0.05, bracket="instance-exact")
    assert r.details["good_amplitude_lower_bound"] <= exact.good_amplitude * (1 + 1e-9)


@pytest.mark.slow
def test_history_kernel_solve_sparse_and_order_two():
    """The same solve on the structured sparse encoding, and on the Kronecker encoding at N = 2 with F0 ≠ 0."""
    from pyqgd.quantum.qlss import solve_history_kernel

    r = solve_history_kernel(_history_toy(1, 0.1), np.array([-0.2, 0.3]), 2, 2, encoding="sparse", epsilon=0.05)
    assert r.fidelity >= 0.99 and r.success_probability >= 0.9
    r = solve_history_kernel(_history_toy(2, 0.05), np.array([-0.2, 0.1]), 3, 1, encoding="kronecker", epsilon=0.05)
    assert r.fidelity >= 0.99 and r.success_probability >= 0.9


def test_history_kernel_needs_a_pad_block():
    """T + p + 1 a power of two leaves no padded clock value for |e⟩: a clear error before any Q# runs."""
    from pyqgd.quantum.qlss import history_kernel_setup

    with pytest.raises(ValueError, match="power of two"):
        history_kernel_setup(_history_toy(), np.array([-0.2, 0.3]), 2, 1)
    with pytest.raises(ValueError, match="bracket"):
        history_kernel_setup(_history_toy(), np.array([-0.2, 0.3]), 2, 2, bracket="guess")
