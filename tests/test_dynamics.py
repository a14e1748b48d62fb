"""Analytic losses, the GD map, and the Carleman trajectory against true nonlinear gradient descent."""

import numpy as np
import pytest

from pyqgd.carleman import (
    NotDissipativeError,
    QuadraticMap,
    diagnose,
    discrete_carleman,
    discrete_dissipation_number,
    dissipation_number,
    solve_history,
    truncation_error_bound,
)
from pyqgd.dynamics import CubicLoss, LogisticRegression, TwoLayerNet, gd_map, gd_trajectory, toy_cubic


def finite_differences(loss, theta, eps=1e-5):
    basis = np.eye(loss.n)
    g = np.array([(loss.value(theta + eps * e) - loss.value(theta - eps * e)) / (2 * eps) for e in basis])
    H = np.array([(loss.grad(theta + eps * e) - loss.grad(theta - eps * e)) / (2 * eps) for e in basis])
    K = np.array([(loss.hessian(theta + eps * e) - loss.hessian(theta - eps * e)) / (2 * eps) for e in basis])
    return g, H, K


def losses():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 3))
    yield toy_cubic(3, seed=2), rng.normal(size=3)
    yield LogisticRegression(X, np.where(X @ [1.0, -1.0, 0.5] > 0, 1.0, -1.0), l2=0.1), rng.normal(size=3)
    yield TwoLayerNet(X, np.tanh(X @ [0.5, -1.0, 0.2]), hidden=2), 0.5 * rng.normal(size=8)


@pytest.mark.parametrize("loss,theta", list(losses()), ids=["cubic", "logistic", "two_layer"])
def test_exact_derivatives_match_finite_differences(loss, theta):
    _, g, H, K = loss.derivatives(theta)
    g_fd, H_fd, K_fd = finite_differences(loss, theta)
    np.testing.assert_allclose(g, g_fd, atol=1e-6)
    np.testing.assert_allclose(H, H_fd, atol=1e-6)
    np.testing.assert_allclose(K, K_fd, atol=1e-6)
    for perm in [(1, 0, 2), (0, 2, 1), (2, 1, 0)]:
        np.testing.assert_allclose(K, K.transpose(perm), atol=1e-12)


def test_cubic_gd_map_is_exact_gd():
    loss = toy_cubic(3, seed=4)
    theta_star = np.array([0.1, -0.2, 0.05])
    theta0 = theta_star + np.array([0.2, 0.1, -0.1])
    qm = gd_map(loss, 0.3, theta_star)
    np.testing.assert_allclose(qm.trajectory(theta0 - theta_star, 20) + theta_star, gd_trajectory(loss, theta0, 0.3, 20),
                               rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("n", [2, 3])
def test_carleman_error_shrinks_with_N_and_stays_within_bound(n):
    """R_d < 1: the truncation error decays with N, and the rigorous discrete bound holds at every step."""
    loss = toy_cubic(n, seed=0, cubic=0.5)
    eta, T = 0.3, 15
    qm = gd_map(loss, eta, np.zeros(n))
    u_in = np.full(n, 0.15)
    assert dissipation_number(qm, u_in) < 1 and discrete_dissipation_number(qm, u_in) < 1
    true = gd_trajectory(loss, u_in, eta, T)  # θ* = 0, so u = θ
    errors, bounds = [], []
    for N in (1, 2, 3, 4):
        traj = solve_history(discrete_carleman(qm, N), u_in, T).u
        err = np.linalg.norm(traj - true, axis=1)
        per_step_bound = np.array([truncation_error_bound(qm, u_in, N, t) for t in range(T + 1)])
        assert np.all(err <= per_step_bound + 1e-15), (N, err, per_step_bound)
        errors.append(err.max())
        bounds.append(per_step_bound.max())
    assert all(a > 5 * b for a, b in zip(errors, errors[1:])), errors
    assert all(a > b for a, b in zip(bounds, bounds[1:])), bounds


def test_bound_handles_zero_initial_offset():
    """θ* = θ(0) (u_in = 0, F0 ≠ 0): the bound uses the smallest invariant ball around 0."""
    loss = toy_cubic(2, seed=1, cubic=0.5)
    theta0 = np.array([0.05, -0.04])
    qm = gd_map(loss, 0.2, theta0)
    true = gd_trajectory(loss, theta0, 0.2, 10) - theta0
    for N in (1, 2, 3):
        err = np.linalg.norm(solve_history(discrete_carleman(qm, N), np.zeros(2), 10).u[-1] - true[-1])
        assert err <= truncation_error_bound(qm, np.zeros(2), N, 10)


def test_logistic_regression_carleman_tracks_gd():
    """Non-polynomial loss: Carleman error (vs the quadratic map) shrinks with N; model error is separate."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(50, 3))
    loss = LogisticRegression(X, np.where(X[:, 0] > 0, 1.0, -1.0), l2=0.5)
    theta0 = 0.1 * rng.normal(size=3)
    qm = gd_map(loss, 0.5, theta0)
    true = gd_trajectory(loss, theta0, 0.5, 10) - theta0
    quad = qm.trajectory(np.zeros(3), 10)
    carleman_errs = [np.abs(solve_history(discrete_carleman(qm, N), np.zeros(3), 10).u - quad).max() for N in (1, 2, 3)]
    assert carleman_errs[0] > carleman_errs[1] > carleman_errs[2]
    assert np.abs(quad - true).max() < 0.05 * np.abs(true).max()
    # the model error of one step is the third-order Taylor remainder: halving u divides it by ~8
    direction = rng.normal(size=3)

    def one_step_error(scale):
        u = scale * direction
        return np.linalg.norm(qm.step(u) - (u - 0.5 * loss.grad(theta0 + u)))

    ratio = one_step_error(0.02) / one_step_error(0.01)
    assert 7.0 < ratio < 9.0, ratio


def test_diagnostics_numbers_match_direct_computation():
    loss = toy_cubic(2, seed=0, cubic=0.5)
    qm = gd_map(loss, 0.3, np.zeros(2))
    u_in = np.array([0.1, -0.1])
    system = discrete_carleman(qm, 2)
    d = diagnose(system, u_in, T=5, p=2)
    F1 = qm.F1.toarray()
    F2 = qm.F2.toarray()
    lam = np.max(np.linalg.eigvals(F1).real)
    f2 = np.linalg.svd(F2, compute_uv=False)[0]
    assert d.re_lambda1 == pytest.approx(lam)
    assert d.norm_F2 == pytest.approx(f2)
    assert d.R == pytest.approx(np.linalg.norm(u_in) * f2 / abs(lam))
    rho = np.linalg.svd(np.eye(2) + F1, compute_uv=False)[0]
    assert d.R_discrete == pytest.approx(np.linalg.norm(u_in) * f2 / (1 - rho))
    M = system.M.toarray()
    assert d.max_row_nnz_M == np.max((M != 0).sum(1)) and d.max_col_nnz_M == np.max((M != 0).sum(0))
    assert d.kappa_exact and d.kappa_L > 1
    # the estimated κ (Lanczos with exact block substitutions) agrees with the dense SVD
    from pyqgd.carleman import condition_number

    est = condition_number(None, system=system, T=5, p=2, exact=False)
    assert est == pytest.approx(d.kappa_L, rel=1e-4)


# ---------------------------------------------------------------- bad input
def test_bad_inputs_say_what_to_do():
    rng = np.random.default_rng(0)
    F1 = -0.1 * np.eye(2)
    with pytest.raises(ValueError, match="shape"):
        QuadraticMap(np.zeros(2), F1, np.zeros((2, 3)))
    with pytest.raises(ValueError, match="length 2"):
        QuadraticMap(np.zeros(3), F1, np.zeros((2, 4)))
    with pytest.raises(ValueError, match="NaN"):
        QuadraticMap(np.zeros(2), np.array([[np.nan, 0], [0, 1]]), None)
    with pytest.raises(TypeError):
        QuadraticMap(np.zeros(2), "F1", None)
    qm = QuadraticMap(np.zeros(2), F1, 0.1 * rng.normal(size=(2, 4)))
    with pytest.raises(ValueError, match="N"):
        discrete_carleman(qm, 0)
    with pytest.raises(TypeError, match="integer"):
        discrete_carleman(qm, 2.5)
    with pytest.raises(ValueError, match="T"):
        solve_history(discrete_carleman(qm, 2), np.ones(2), 0)
    with pytest.raises(ValueError, match="eta"):
        gd_map(toy_cubic(2), 0.0, np.zeros(2))
    with pytest.raises(ValueError, match="eta"):
        gd_map(toy_cubic(2), -1.0, np.zeros(2))
    with pytest.raises(ValueError, match="NaN"):
        solve_history(discrete_carleman(qm, 2), np.array([np.nan, 0.0]), 3)


def test_too_large_points_to_matrix_free():
    from pyqgd._checks import TooLargeError

    qm = QuadraticMap(None, -0.1 * np.eye(30), None)
    with pytest.raises(TooLargeError, match="matrix-free|reduce N or n"):
        discrete_carleman(qm, 3, memory_limit=1e5)
    assert issubclass(TooLargeError, ValueError)
    system = discrete_carleman(qm, 3, matrix_free=True)  # the suggested alternative works
    assert system.matrix_free and (system.M @ np.ones(system.dim)).shape == (system.dim,)


def test_not_dissipative_bound_explains_and_suggests():
    loss = CubicLoss(np.zeros(2), np.diag([1.0, -0.5]), np.zeros((2, 2, 2)))
    qm = gd_map(loss, 0.1, np.zeros(2))
    with pytest.raises(NotDissipativeError, match="not dissipative"):
        truncation_error_bound(qm, np.ones(2), 2, 10)
    with pytest.raises(NotDissipativeError, match="Hessian"):
        dissipation_number(qm, np.ones(2))
    big = gd_map(toy_cubic(2, cubic=5.0), 0.1, np.zeros(2))
    with pytest.raises(NotDissipativeError, match="R_d"):
        truncation_error_bound(big, np.full(2, 2.0), 2, 10)
    d = diagnose(discrete_carleman(qm, 2), np.ones(2), 3)
    assert d.truncation_bound is None and d.R == float("inf")


def test_estimated_norms_and_spectra_match_dense(monkeypatch):
    """The Lanczos/ARPACK paths used above DENSE_LIMIT agree with dense LAPACK on a matrix forced onto them."""
    import scipy.sparse as sp

    from pyqgd.carleman import contraction_factor, re_lambda1, spectral_norm
    from pyqgd.carleman import diagnostics as dg

    rng = np.random.default_rng(9)
    n = 40
    F1 = sp.random(n, n, density=0.2, random_state=rng) * 0.1 - 0.3 * sp.identity(n)
    F2 = sp.random(n, n * n, density=0.01, random_state=rng)
    qm = QuadraticMap(rng.normal(size=n), F1, F2)
    exact = (spectral_norm(F1), spectral_norm(F2), re_lambda1(F1), contraction_factor(qm))
    monkeypatch.setattr(dg, "DENSE_LIMIT", 5)
    est = (spectral_norm(F1), spectral_norm(F2), re_lambda1(F1), contraction_factor(qm))
    np.testing.assert_allclose(est, exact, rtol=1e-6)
    np.testing.assert_allclose(exact[:2], [np.linalg.norm(F1.toarray(), 2), np.linalg.norm(F2.toarray(), 2)], rtol=1e-10)


def test_matrix_free_diagnostics_bound_the_explicit_sparsity():
    rng = np.random.default_rng(2)
    qm = QuadraticMap(0.01 * rng.normal(size=3), -0.2 * np.eye(3) + 0.02 * rng.normal(size=(3, 3)),
                      0.05 * rng.normal(size=(3, 9)))
    u = np.full(3, 0.1)
    explicit = diagnose(discrete_carleman(qm, 2), u, T=4)
    free = diagnose(discrete_carleman(qm, 2, matrix_free=True), u, T=4)
    assert free.max_row_nnz_M >= explicit.max_row_nnz_M and free.max_col_nnz_M >= explicit.max_col_nnz_M
    assert free.kappa_L == pytest.approx(explicit.kappa_L, rel=1e-4)
    assert free.R_discrete == pytest.approx(explicit.R_discrete)


def test_tstep_matrix_too_large_points_to_operator():
    from pyqgd._checks import TooLargeError
    from pyqgd.carleman import tstep_matrix

    qm = QuadraticMap(None, -0.1 * np.eye(10), None)
    with pytest.raises(TooLargeError, match="tstep_operator"):
        tstep_matrix(discrete_carleman(qm, 2), 1000, memory_limit=1e6)
