"""QSVT inversion: polynomial, phases, the Q# QSVT block and solver against numpy; HHL on the block-encoding; bad input."""

import os

import numpy as np
import pytest
import scipy.optimize
import scipy.sparse as sp

os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")

from pyqgd._checks import TooLargeError  # noqa: E402
from pyqgd.quantum import (  # noqa: E402
    DegreeTooLargeError,
    fixed_point_schedule,
    fixed_point_success,
    inverse_polynomial,
    optimal_inverse_degree,
    postselection_tolerance,
    prepare_system,
    pyqsp_one_over_x_degree,
    qsvt_angles,
    qsvt_block,
    reflection_response,
    relative_error_at_degree,
    solve_hhl,
    solve_qsvt,
    sparse_oracle_data,
    wx_to_reflection,
)
from pyqgd.quantum.amplification import simulate_two_level  # noqa: E402
from pyqgd.quantum.qsp import wx_phases, wx_response  # noqa: E402


# ---------------------------------------------------------------- polynomial
@pytest.mark.parametrize("kappa,eps", [(3, 0.1), (10, 1e-2), (20, 1e-2), (10, 1e-4), (50, 1e-3)])
def test_polynomial_meets_relative_error_and_bound(kappa, eps):
    p = inverse_polynomial(kappa, eps)
    x = np.linspace(1 / kappa, 1, 50001)
    rel = np.max(np.abs(x * p(x) / p.scale - 1))
    assert rel <= eps
    assert np.allclose(p(-x), -p(x))  # odd
    assert np.all(p.coef[0::2] == 0)
    grid = np.linspace(-1, 1, 200001)
    assert np.max(np.abs(p(grid))) <= p.bound + 1e-9
    # the degree is minimal for the closed form and one step lower would not reach eps
    assert p.degree == optimal_inverse_degree(kappa, eps)
    assert relative_error_at_degree(kappa, p.degree) <= eps
    if p.degree > 1:
        assert relative_error_at_degree(kappa, p.degree - 2) > eps


def _lp_best_relative_error(kappa, degree, npts=2000):
    """Independent check of optimality: min over odd P of degree `degree` of max |x P(x) − 1| on a grid (LP)."""
    x = np.cos(np.linspace(0, np.pi / 2, npts)) * (1 - 1 / kappa) + 1 / kappa  # dense near both ends
    x = np.unique(np.concatenate([x, np.linspace(1 / kappa, 1, npts)]))
    k = np.arange(1, degree + 1, 2)
    V = x[:, None] * np.polynomial.chebyshev.chebvander(x, degree)[:, k]  # x·T_k(x)
    nv = len(k)
    c = np.zeros(nv + 1)
    c[-1] = 1.0  # minimize t
    A = np.block([[V, -np.ones((len(x), 1))], [-V, -np.ones((len(x), 1))]])
    ub = np.concatenate([np.ones(len(x)), -np.ones(len(x))])
    res = scipy.optimize.linprog(c, A_ub=A, b_ub=ub, bounds=[(None, None)] * nv + [(0, None)], method="highs")
    assert res.success
    return res.fun


@pytest.mark.parametrize("kappa", [5, 10])
def test_optimal_degree_agrees_with_a_linear_program(kappa):
    for d in (9, 15, 21):
        lp = _lp_best_relative_error(kappa, d)
        closed = relative_error_at_degree(kappa, d)
        assert closed == pytest.approx(lp, rel=2e-3)


def test_pyqsp_degree_formula_matches_pyqsp():
    import contextlib
    import io

    from pyqsp.poly import PolyOneOverX

    with contextlib.redirect_stdout(io.StringIO()):
        coef = PolyOneOverX().generate(kappa=4, epsilon=0.1, return_coef=True, ensure_bounded=True)
    assert len(coef) - 1 == pyqsp_one_over_x_degree(4, 0.1)


# ---------------------------------------------------------------- phases
def test_wx_phases_reproduce_polynomial_and_reflection_map():
    p = inverse_polynomial(10, 0.01)
    phi = wx_phases(p.coef)
    x = np.linspace(-1, 1, 301)
    assert np.max(np.abs(wx_response(phi, x).imag - p(x))) < 1e-10
    psi = wx_to_reflection(phi)
    # reflection response by explicit 2x2 matrices (independent of the vectorized helper)
    for xi in (-0.9, -0.3, 0.05, 0.5, 1.0):
        s = np.sqrt(1 - xi**2)
        R = np.array([[xi, s], [s, -xi]])
        U = np.diag([np.exp(1j * psi[0]), np.exp(-1j * psi[0])])
        for ph in psi[1:]:
            U = U @ R @ np.diag([np.exp(1j * ph), np.exp(-1j * ph)])
        assert U[0, 0].real == pytest.approx(p(xi), abs=1e-10)
        assert reflection_response(psi, xi)[0] == pytest.approx(U[0, 0], abs=1e-12)


def test_wx_phases_fall_back_to_pyqsp_when_the_own_newton_does_not_converge(monkeypatch):
    """The fallback path: pyqsp's solver (imported only there) gives phases that reproduce the polynomial too."""
    import pyqgd.quantum.qsp as qsp

    monkeypatch.setattr(qsp, "_sym_qsp_newton", lambda coef, d, tol, maxiter: (None, float("inf")))
    p = inverse_polynomial(10, 0.01)
    phi = wx_phases(p.coef)
    x = np.linspace(-1, 1, 301)
    assert np.max(np.abs(wx_response(phi, x).imag - p(x))) < 1e-10


def test_qsvt_angles_reports_its_error():
    a = qsvt_angles(inverse_polynomial(20, 0.01))
    assert a.max_error < 1e-9 and a.degree == optimal_inverse_degree(20, 0.01)


@pytest.mark.parametrize("eps", [0.01, 0.05, 0.3, 1.0])
def test_postselection_tolerance_is_the_worst_case_of_normalising(eps):
    """η(ε) against the geometry it claims: the tangent perturbation of norm η reaches distance ε exactly, and no
    perturbation of norm ≤ η (random complex ones, scaled to norm η) goes beyond ε; above ε/2, the old tolerance."""
    eta = postselection_tolerance(eps)
    assert eps / 2 < eta <= eps
    a = np.zeros(6, dtype=complex)
    a[0] = 3.0  # ‖a‖ = 3: the tolerance is relative
    f = 3.0 * np.array([-eta**2, eta * np.sqrt(1 - eta**2), 0, 0, 0, 0])  # b = a + f tangent to the ball
    b = a + f
    assert np.linalg.norm(f) == pytest.approx(eta * 3.0)
    assert np.linalg.norm(b / np.linalg.norm(b) - a / 3.0) == pytest.approx(eps, rel=1e-9)
    rng = np.random.default_rng(5)
    for _ in range(2000):
        g = rng.normal(size=6) + 1j * rng.normal(size=6)
        g *= eta * 3.0 / np.linalg.norm(g)
        c = a + g
        assert np.linalg.norm(c / np.linalg.norm(c) - a / 3.0) <= eps + 1e-12
    with pytest.raises(ValueError, match="< 2"):
        postselection_tolerance(2.0)


def test_angles_at_the_solve_polynomial_bound():
    """The solve's P ≈ c/x has max |P| = POLYNOMIAL_BOUND; the angle finder still reaches 10⁻¹² up to degree 1037."""
    from pyqgd.quantum.ode import POLYNOMIAL_BOUND

    for kappa, eps in ((14.9, 0.009), (150, 0.002)):
        poly = inverse_polynomial(kappa, eps, bound=POLYNOMIAL_BOUND)
        assert np.max(np.abs(poly(np.linspace(-1, 1, 200001)))) == pytest.approx(POLYNOMIAL_BOUND, abs=1e-6)
        assert qsvt_angles(poly).max_error < 1e-12


# ---------------------------------------------------------------- Q# QSVT block
def _psv(A, poly, transpose):
    U, S, Vt = np.linalg.svd(A)
    return Vt.T @ np.diag(poly(S)) @ U.T if transpose else U @ np.diag(poly(S)) @ Vt


def _qsvt_case(M, eps=0.01):
    data = sparse_oracle_data(M)
    A = data.quantized_matrix() / data.alpha
    S = np.linalg.svd(A, compute_uv=False)
    kappa = 1.0001 / S.min()
    return data, A, S, inverse_polynomial(kappa, eps)


@pytest.mark.parametrize(
    "name,M",
    [
        ("diagonal", sp.diags([1.0, 0.5, -0.2, 0.08])),
        ("random", sp.csr_matrix(np.array([[1.0, 0.3, 0, 0], [0, -0.8, 0.2, 0], [0.4, 0, 0.9, 0.1], [0, 0, -0.3, 0.7]]))),
    ],
)
@pytest.mark.parametrize("transpose", [False, True])
def test_qsvt_block_is_polynomial_of_singular_values(name, M, transpose):
    data, A, S, poly = _qsvt_case(M)
    assert poly.kappa <= 20.01
    ang = qsvt_angles(poly)
    B = qsvt_block(data, ang.phases, transpose=transpose)
    ref = _psv(A, poly, transpose)
    assert np.max(np.abs(B - ref)) < 1e-9
    # singular values of the block = P(σ) within ε of the target c/σ (relative)
    got = np.sort(np.linalg.svd(B, compute_uv=False))
    want = np.sort(poly.scale / S)
    assert np.max(np.abs(got / want - 1)) <= 0.01


# ---------------------------------------------------------------- solver
SYSTEMS = {
    "diag3": (sp.diags([1.0, 0.5, -0.2]), np.array([1.0, 1.0, 1.0])),
    "random4": (
        sp.csr_matrix(np.array([[1.0, 0.3, 0, 0], [0, -0.8, 0.2, 0], [0.4, 0, 0.9, 0.1], [0, 0, -0.3, 0.7]])),
        np.array([0.3, -1.0, 0.5, 0.2]),
    ),
}


@pytest.mark.parametrize("name", sorted(SYSTEMS))
def test_qsvt_solver_fidelity(name):
    M, b = SYSTEMS[name]
    r = solve_qsvt(M, b, epsilon=0.01)
    x = np.linalg.solve(M.toarray(), b)
    x /= np.linalg.norm(x)
    assert r.fidelity >= 0.99
    assert r.fidelity == pytest.approx(abs(np.vdot(x, r.state)) ** 2)
    assert r.kappa <= 20.1 and r.block_encoding_calls == r.degree
    # success probability = ‖P(Mᵀ/α) b‖² from numpy
    data, bp, n = prepare_system(M, b)
    assert n == len(b) and np.allclose(data.matrix.toarray()[:n, :n], M.toarray()) and np.allclose(bp[:n], b / np.linalg.norm(b))
    poly = inverse_polynomial(r.kappa, 0.01)
    want = np.linalg.norm(_psv(data.quantized_matrix() / data.alpha, poly, True) @ bp) ** 2
    assert r.success_probability == pytest.approx(want, rel=1e-8)


def test_walk_phase_estimation_reads_the_spectrum():
    """Phase estimation of the qubitized walk of diag(0.5, −0.3): the estimate peaks at k ≈ 2^n·arccos(−λ/α)/2π."""
    from pyqgd.quantum._context import get_context, run_and_dump

    data = sparse_oracle_data(sp.csr_matrix(np.diag([0.5, -0.3])))
    n = 5
    for j, lam in enumerate([0.5, -0.3]):
        b = [1.0 - j, float(j)]
        st, _ = run_and_dump(get_context().code.Solvers.Hhl.DumpWalkPhaseEstimation, data.to_qsharp(), b, n,
                             num_qubits=n + 4)
        pk = np.sum(np.abs(st.reshape(2**n, -1)) ** 2, axis=1)
        theta = np.arccos(-lam / data.alpha) * 2**n / (2 * np.pi)
        expected = {round(theta) % 2**n, round(2**n - theta) % 2**n}
        assert set(np.argsort(pk)[-len(expected):]) == expected


def test_hhl_on_the_block_encoding():
    """HHL (qubitized-walk phase estimation) on a symmetric indefinite system: fidelity rises with the phase qubits,
    the success probability approaches numpy's ‖(α/κ)H⁻¹b‖², calls are counted by the Q# loops."""
    M = np.array([[1.0, 0.3], [0.3, -0.6]])
    b = np.array([0.4, 1.0])
    coarse = solve_hhl(M, b, phase_qubits=4)
    fine = solve_hhl(M, b, phase_qubits=6)
    assert fine.fidelity >= 0.998 and fine.fidelity > coarse.fidelity
    for r, n in ((coarse, 4), (fine, 6)):
        assert r.block_encoding_calls == 4 * (2**n - 1)  # 2 calls per walk step, 2(2^n − 1) steps
    ideal = fine.details["ideal_success_probability"]
    assert abs(fine.success_probability - ideal) < abs(coarse.success_probability - ideal)


@pytest.mark.slow
def test_hhl_on_a_non_symmetric_system_through_the_dilation():
    r = solve_hhl(np.array([[1.0, 0.3], [-0.2, 0.8]]), np.array([0.4, 1.0]), phase_qubits=6)
    assert r.details["dilated"] and r.fidelity >= 0.999


def test_qsvt_solver_with_fixed_point_amplification():
    M, b = sp.diags([1.0, 0.6, -0.4, 0.3]), np.array([1.0, 0.5, -0.5, 1.0])
    r = solve_qsvt(M, b, epsilon=0.01, amplify=True, delta=0.2)
    assert r.fidelity >= 0.99
    assert r.amplified_success_probability >= 1 - 0.2**2 - 1e-9
    assert r.amplified_success_probability > r.success_probability
    assert r.block_encoding_calls == r.degree * r.details["amplification_length"]


def test_fixed_point_schedule_matches_closed_form():
    sched = fixed_point_schedule(0.05, 0.1)
    assert sched.width <= 0.05
    for lam in (sched.width, 0.1, 0.5, 0.99):
        assert simulate_two_level(lam, sched) == pytest.approx(fixed_point_success(lam, sched), abs=1e-12)
        assert simulate_two_level(lam, sched) >= 1 - 0.1**2 - 1e-12


# ---------------------------------------------------------------- bad input
def test_solver_rejects_bad_input_before_qsharp(monkeypatch):
    import pyqgd.quantum._context as qc

    def boom():  # any Q# use in this test is a failure
        raise AssertionError("Q# was started for bad input")

    monkeypatch.setattr(qc, "get_context", boom)
    M = sp.diags([1.0, 0.5])
    with pytest.raises(TooLargeError, match=r"qubits"):
        solve_qsvt(sp.identity(1024, format="csr"), np.ones(1024))
    with pytest.raises(DegreeTooLargeError, match="degree"):
        solve_qsvt(sp.diags([1.0, 1e-5]), np.ones(2))
    with pytest.raises(ValueError, match="zero vector"):
        solve_qsvt(M, np.zeros(2))
    with pytest.raises(ValueError, match="NaN"):
        solve_qsvt(sp.csr_matrix(np.array([[1.0, np.nan], [0.0, 1.0]])), np.ones(2))
    with pytest.raises(ValueError, match="NaN"):
        solve_qsvt(M, np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="square"):
        solve_qsvt(sp.csr_matrix(np.ones((2, 3))), np.ones(2))
    with pytest.raises(ValueError, match="singular"):
        solve_qsvt(sp.csr_matrix(np.array([[1.0, 1.0], [1.0, 1.0]])), np.ones(2))
    with pytest.raises(ValueError, match="below"):
        solve_qsvt(M, np.ones(2), kappa=1.5)
    with pytest.raises(TypeError):
        solve_qsvt(M, np.array([1.0 + 1j, 0.0]))


@pytest.mark.parametrize("lo,ratio,delta", [(0.0067, 1.15, 0.3), (0.04, 1.3, 0.3), (0.1, 1.1, 0.3), (1e-4, 1.05, 0.1)])
def test_standard_amplification_holds_on_its_bracket(lo, ratio, delta):
    """Phases all π: explicit 2 × 2 products give ≥ 1 − δ² on a grid of the bracket [lo, lo·ratio] (BHMT), with
    fewer calls than the fixed-point schedule from lo; a bracket too wide falls back to the fixed-point one."""
    from pyqgd.quantum.amplification import amplification_length, amplification_schedule, fixed_point_length

    sched = amplification_schedule(lo, delta, lo * ratio)
    assert sched.bracket is not None and sched.length < fixed_point_length(lo, delta)
    assert amplification_length(lo, delta, lo * ratio) == sched.length
    for lam in np.linspace(lo, lo * ratio, 41):
        assert simulate_two_level(lam, sched) >= 1 - delta**2 - 1e-12
    wide = amplification_schedule(lo, delta, min(1.0, lo * 9))
    assert wide.bracket is None and wide.length == fixed_point_length(lo, delta)
