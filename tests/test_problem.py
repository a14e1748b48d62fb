"""GDProblem: the typed, numpy-only hand-off from a loss or model to the Carleman / quantum pipeline."""

import dataclasses
import warnings

import numpy as np
import pytest

from pyqgd.dynamics import gd_map, gd_problem, gd_trajectory, toy_cubic
from pyqgd.problem import GDProblem, Provenance, QuadraticMap, SpectrumSummary


def test_quadratic_map_lives_in_problem_and_is_re_exported():
    from pyqgd.carleman import QuadraticMap as Q1
    from pyqgd.carleman.quadratic import QuadraticMap as Q2

    assert Q1 is QuadraticMap and Q2 is QuadraticMap


def test_from_derivatives_is_the_gd_map_of_a_cubic_loss():
    loss = toy_cubic(3, cubic=0.4, seed=2)
    th = np.array([0.1, -0.2, 0.05])
    _, g, H, K = loss.derivatives(th)
    qm = QuadraticMap.from_derivatives(0.3, g, H, K)
    # independent reference: one true GD step from θ* + u equals u + f(u) for a cubic loss (exact)
    u = np.array([0.02, 0.01, -0.03])
    step = (th + u - 0.3 * loss.grad(th + u)) - th
    np.testing.assert_allclose(qm.step(u), step, atol=1e-14)
    np.testing.assert_allclose(gd_map(loss, 0.3, th).F2.toarray(), qm.F2.toarray())


def test_dynamics_gd_problem_eta_from_spectrum_and_reference():
    loss = toy_cubic(4, cubic=0.5)
    p = gd_problem(loss, T=30, reference_steps=6)
    lam = np.linalg.eigvalsh(loss.hessian(np.zeros(4)))
    assert p.eta == pytest.approx(1 / lam.max()) and "1/λ_max" in p.provenance.eta_source
    np.testing.assert_allclose(p.spectrum.eigenvalues, lam)
    np.testing.assert_allclose(p.reference, gd_trajectory(loss, p.u_in, p.eta, 6))
    assert p.T == 30 and p.n == 4 and p.connected and p.reference_steps == 6
    assert gd_problem(loss, 0.2).provenance.eta_source == "given"
    s = p.summary()
    assert s["n"] == 4 and s["provenance"]["model"] == "CubicLoss"


def test_gd_problem_is_frozen_and_validated():
    p = gd_problem(toy_cubic(2), 0.3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.eta = 0.1
    with pytest.raises(ValueError):
        p.u_in[0] = 1.0  # read-only arrays
    with pytest.raises(ValueError, match="reference\\[0\\] must equal u_in"):
        GDProblem(p.qmap, p.u_in + 1, p.eta, 10, p.spectrum, p.reference, p.provenance)
    with pytest.raises(ValueError, match="eta"):
        GDProblem(p.qmap, p.u_in, -1.0, 10, p.spectrum, p.reference, p.provenance)
    with pytest.raises(TypeError, match="QuadraticMap"):
        GDProblem("map", p.u_in, 0.3, 10, p.spectrum, p.reference, p.provenance)
    with pytest.raises(ValueError, match="finite"):
        SpectrumSummary([np.nan])
    q = p.with_T(7)
    assert q.T == 7 and q.qmap is p.qmap
    assert isinstance(p.provenance, Provenance)


def test_analyze_accepts_a_ready_problem():
    from pyqgd.report.pipeline import analyze

    p = gd_problem(toy_cubic(2, cubic=0.5), 0.3, u_in=np.full(2, 0.1), T=10, reference_steps=3)
    r = analyze(p, simulate=False, presets=("qubit_gate_ns_e4",), loadings=("qrom",))
    assert r.verdict == "dissipative" and r.n == 2 and r.eta == 0.3 and r.problem["reference_steps"] == 3
    assert r.carleman_check.steps == 3


def test_spectrum_names_and_deprecated_aliases():
    from pyqgd.spectrum import error_proxy, mode_fractions

    lam = np.array([0.5, 1.0, 3.0, -0.1])
    assert mode_fractions(lam, eta=0.5).dissipative == pytest.approx(0.75)
    with pytest.warns(DeprecationWarning, match="eta"):
        old = error_proxy([0, 3], lam, lr=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(error_proxy([0, 3], lam, eta=0.5), old)


def test_gd_problem_is_the_hand_off_to_carleman_quantum_and_estimate():
    """discrete_carleman, solve_gd and OdeProblem take the GDProblem itself: the Carleman map equals the one built from
    its QuadraticMap, the quantum solve reproduces the classical Carleman u_T of its u_in, and the estimate's sizes are
    the nonzero counts of its coefficients."""
    import scipy.sparse as sp

    from pyqgd.carleman import discrete_carleman, solve_history
    from pyqgd.estimate import OdeProblem
    from pyqgd.quantum import solve_gd

    prob = gd_problem(toy_cubic(2, cubic=0.5, seed=0), eta=0.3, T=3)
    sys_p, sys_q = discrete_carleman(prob, 2), discrete_carleman(prob.qmap, 2)
    assert (sys_p.M != sys_q.M).nnz == 0 and np.array_equal(sys_p.b, sys_q.b)
    r = solve_gd(prob, N=2, simulate="block")
    u_T = solve_history(sys_q, prob.u_in, prob.T).u[-1]
    assert r.T == 3 and r.fidelity_carleman >= 0.99
    assert abs(np.dot(r.state, u_T / np.linalg.norm(u_T))) ** 2 >= 0.99
    op = OdeProblem.from_gd_problem(prob, loading="qram")
    F1, F2 = sp.csr_matrix(prob.qmap.F1), sp.csr_matrix(prob.qmap.F2)
    assert (op.n, op.T, op.loading) == (2, 3, "qram")
    assert op.s == max(np.count_nonzero(F1.toarray(), axis=1)) and op.s_F2 == max(np.count_nonzero(F2.toarray(), axis=1))
    assert op.norm_u_in == pytest.approx(float(np.linalg.norm(prob.u_in)))
    with pytest.raises(TypeError, match="GDProblem"):
        discrete_carleman("not a map", 2)
    with pytest.raises(TypeError, match="u_in and T"):
        solve_gd(sys_q)


# ---- validated objects are immutable, contradictions refused -------------------------------------------------------

def _consistent(n=3, eta=0.1, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, n))
    H = A @ A.T + np.eye(n)
    u = rng.normal(size=n)
    return QuadraticMap(np.zeros(n), -eta * H), u, eta, np.linalg.eigvalsh(H), np.vstack([u, u])


def test_validated_arrays_are_read_only_copies():
    F0, F1 = np.array([0.1, 0.2]), np.array([[-0.5, 0.0], [0.1, -0.4]])
    qm = QuadraticMap(F0, F1)
    with pytest.raises(ValueError, match="read-only"):
        qm.F0[0] = np.nan  # would otherwise reach the right-hand side b of every later solve
    with pytest.raises(ValueError, match="read-only"):
        qm.F1.data[0] = np.nan
    F0[0] = np.nan  # the caller's arrays stay the caller's
    assert np.isfinite(qm.F0).all()
    qm2, u, eta, lam, ref = _consistent()
    p = GDProblem(qm2, u, eta, 4, SpectrumSummary(lam), ref)
    for arr in (p.u_in, p.reference, p.spectrum.eigenvalues):
        assert not arr.flags.writeable


def test_gd_problem_refuses_a_spectrum_or_eta_that_contradicts_F1():
    qm, u, eta, lam, ref = _consistent()
    GDProblem(qm, u, eta, 4, SpectrumSummary(lam), ref)  # consistent: accepted
    GDProblem(qm, u, eta, 4, SpectrumSummary(lam[[0, -1]], method="lanczos"), ref)  # the extremes only
    with pytest.raises(ValueError, match="contradicts F1"):
        GDProblem(qm, u, eta, 4, SpectrumSummary(lam * 3), ref)  # another spectrum
    with pytest.raises(ValueError, match="contradicts F1"):
        GDProblem(qm, u, 2 * eta, 4, SpectrumSummary(lam), ref)  # another η: −F1/η has half the eigenvalues
    with pytest.raises(ValueError, match="contradicts F1"):
        GDProblem(qm, u, eta, 4, SpectrumSummary(np.r_[lam[0] - 1, lam[1:]], method="slq"), ref)  # a node outside


def test_bad_arrays_are_pyqgd_errors_that_say_what_to_do():
    with pytest.raises(ValueError, match="rows have different lengths"):
        QuadraticMap(None, [[1.0, 2.0], [3.0]])
    with pytest.raises(ValueError, match="n = 0"):
        QuadraticMap(None, np.zeros((0, 0)))
    with pytest.raises(ValueError, match="hessian must be n × n"):
        QuadraticMap.from_derivatives(0.1, [1.0, 2.0], np.eye(3), None)
    with pytest.raises(ValueError, match="third must be"):
        QuadraticMap.from_derivatives(0.1, [1.0, 2.0], np.eye(2), np.ones(5))
    qm, u, eta, lam, ref = _consistent()
    bad = ref.copy()
    bad[1, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        GDProblem(qm, u, eta, 4, SpectrumSummary(lam), bad)


def test_memory_limit_accepts_sizes_and_refuses_nonsense():
    from pyqgd._checks import as_memory_limit

    assert as_memory_limit("8G") == 8 * 2**30 and as_memory_limit("512M") == 2**29 and as_memory_limit(None) == 8 * 2**30
    assert as_memory_limit("2GiB") == 2 * 2**30 and as_memory_limit(1e9) == 1e9 and as_memory_limit(float("inf"))
    for bad in (float("nan"), 0, -1, "-1G", "lots"):
        with pytest.raises(ValueError, match="memory_limit"):
            as_memory_limit(bad)
    with pytest.raises(TypeError, match="memory_limit"):
        as_memory_limit([8])
