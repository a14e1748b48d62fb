"""The sparse Carleman builders against literal dense Kronecker constructions written here from the formulas."""

from functools import reduce
from itertools import product

import numpy as np
import pytest
import scipy.sparse as sp

from pyqgd.carleman import (
    QuadraticMap,
    backward_solve,
    continuous_carleman,
    diagnose,
    discrete_carleman,
    euler_carleman,
    forward_solve,
    lift,
    solve_history,
    tstep_matrix,
    tstep_operator,
    tstep_rhs,
)
from pyqgd.dynamics import gd_map, toy_cubic


def random_map(n, rng, *, f0=True, scale=0.1, density=None):
    F1 = -scale * np.eye(n) + 0.2 * scale * rng.normal(size=(n, n))
    F2 = 0.5 * scale * rng.normal(size=(n, n * n))
    if density is not None:
        F1 *= rng.random(F1.shape) < density
        F2 *= rng.random(F2.shape) < density
    F0 = 0.1 * scale * rng.normal(size=n) if f0 else None
    return QuadraticMap(F0, F1, F2)


def kron_all(mats):
    return reduce(np.kron, mats, np.ones((1, 1)))


def dense_discrete(qm, N):
    """Literal M and b: block (j, k) = Σ_{d ∈ {0,1,2}^j, |d| = k} G_{d_1} ⊗ … ⊗ G_{d_j}; b_j = F0^⊗j."""
    n = qm.n
    G = {0: qm.F0.reshape(n, 1), 1: np.eye(n) + qm.F1.toarray(), 2: qm.F2.toarray()}
    rows = []
    for j in range(1, N + 1):
        blocks = []
        for k in range(1, N + 1):
            blk = np.zeros((n**j, n**k))
            for d in product((0, 1, 2), repeat=j):
                if sum(d) == k:
                    blk += kron_all([G[x] for x in d])
            blocks.append(blk)
        rows.append(np.hstack(blocks))
    b = np.concatenate([kron_all([G[0]] * j).ravel() for j in range(1, N + 1)])
    return np.vstack(rows), b


def dense_continuous(qm, N):
    """Literal PNAS A: A_j^{j+ℓ−1} = Σ_i I^⊗(i−1) ⊗ F_ℓ ⊗ I^⊗(j−i); b = [F0; 0; …]."""
    n = qm.n
    F = {0: qm.F0.reshape(n, 1), 1: qm.F1.toarray(), 2: qm.F2.toarray()}
    I = np.eye(n)
    rows = []
    for j in range(1, N + 1):
        blocks = []
        for k in range(1, N + 1):
            blk = np.zeros((n**j, n**k))
            ell = k - j + 1
            if ell in F:
                for i in range(1, j + 1):
                    blk += kron_all([I] * (i - 1) + [F[ell]] + [I] * (j - i))
            blocks.append(blk)
        rows.append(np.hstack(blocks))
    b = np.zeros(sum(n**j for j in range(1, N + 1)))
    b[:n] = qm.F0
    return np.vstack(rows), b


@pytest.mark.parametrize("N", [1, 2, 3, 4])
@pytest.mark.parametrize("f0", [True, False])
@pytest.mark.parametrize("density", [None, 0.4])
def test_discrete_matches_literal_kron(N, f0, density):
    rng = np.random.default_rng(N + 10 * f0)
    n = 3 if N < 4 else 2
    qm = random_map(n, rng, f0=f0, density=density)
    system = discrete_carleman(qm, N)
    M, b = dense_discrete(qm, N)
    assert sp.isspmatrix_csr(system.M) and system.M.has_canonical_format
    np.testing.assert_allclose(system.M.toarray(), M, atol=1e-14)
    np.testing.assert_allclose(system.b, b, atol=1e-15)


@pytest.mark.parametrize("N", [1, 2, 3, 4])
@pytest.mark.parametrize("f0", [True, False])
def test_continuous_matches_literal_kron(N, f0):
    rng = np.random.default_rng(100 + N)
    n = 3 if N < 4 else 2
    qm = random_map(n, rng, f0=f0)
    A, b = continuous_carleman(qm, N)
    Ad, bd = dense_continuous(qm, N)
    np.testing.assert_allclose(A.toarray(), Ad, atol=1e-14)
    np.testing.assert_allclose(b, bd)
    h = 0.05
    E = euler_carleman(qm, N, h)
    np.testing.assert_allclose(E.M.toarray(), np.eye(len(bd)) + h * Ad, atol=1e-14)
    np.testing.assert_allclose(E.b, h * bd)


@pytest.mark.parametrize("N", [1, 2, 3])
def test_discrete_map_is_exact_before_truncation(N):
    """Independent of the block formula: with order 2N, levels ≤ N of M·lift(u) + b equal lift(g(u)) exactly."""
    rng = np.random.default_rng(7)
    qm = random_map(2, rng, scale=0.5)
    big = discrete_carleman(qm, 2 * N)
    u = rng.normal(size=2)
    y = big.M @ lift(u, 2 * N) + big.b
    np.testing.assert_allclose(y[: big.offsets[N]], lift(qm.step(u), N), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("N", [1, 2, 3])
def test_continuous_field_is_exact_before_truncation(N):
    """Levels ≤ N of A·lift(u) + b at order N+1 equal d/dt u^⊗j = Σ_i u⊗…⊗f(u)⊗…⊗u."""
    rng = np.random.default_rng(8)
    qm = random_map(2, rng, scale=0.5)
    A, b = continuous_carleman(qm, N + 1)
    u = rng.normal(size=2)
    y = A @ lift(u, N + 1) + b
    f = qm.f(u)
    for j in range(1, N + 1):
        expect = sum(kron_all([u[:, None]] * (i - 1) + [f[:, None]] + [u[:, None]] * (j - i)) for i in range(1, j + 1))
        o = sum(2**k for k in range(1, j))
        np.testing.assert_allclose(y[o : o + 2**j], expect.ravel(), rtol=1e-12, atol=1e-14)


def test_euler_form_is_discrete_map_to_first_order_in_h():
    """‖M_discrete(h·f) − (I + hA)‖ = O(h²): halving h divides the difference by ~4."""
    rng = np.random.default_rng(3)
    qm = random_map(3, rng, scale=1.0)
    diffs = []
    for h in (0.02, 0.01, 0.005):
        D = discrete_carleman(qm.scaled(h), 3)
        E = euler_carleman(qm, 3, h)
        diffs.append(abs(D.M - E.M).max() + np.abs(D.b - E.b).max())
    ratios = np.array(diffs[:-1]) / np.array(diffs[1:])
    assert np.all((ratios > 3.6) & (ratios < 4.4)), ratios


@pytest.mark.parametrize("matrix_free", [False, True])
def test_history_solution_equals_quadratic_map_for_large_N(matrix_free):
    """A contractive toy map: the Carleman trajectory converges to the true iterates as N grows."""
    rng = np.random.default_rng(5)
    qm = random_map(3, rng, scale=0.2)
    u = 0.3 * rng.normal(size=3)
    true = qm.trajectory(u, 12)
    errs = [np.abs(solve_history(discrete_carleman(qm, N, matrix_free=matrix_free), u, 12).u - true).max()
            for N in (1, 2, 3, 4)]
    assert all(a > b for a, b in zip(errs, errs[1:])), errs
    assert errs[-1] < 0.05 * errs[0]


@pytest.mark.parametrize("p", [0, 3])
def test_tstep_matrix_matches_literal_and_forward_substitution(p):
    rng = np.random.default_rng(11)
    qm = random_map(2, rng)
    system = discrete_carleman(qm, 2)
    T, D = 4, system.dim
    K = T + 1 + p
    M = system.M.toarray()
    S_M = np.eye(K, k=-1)
    S_M[T + 1 :, :] = 0  # padding rows shift the identity, not M
    S_I = np.eye(K, k=-1) - S_M
    L_dense = np.kron(np.eye(K), np.eye(D)) - np.kron(S_M, M) - np.kron(S_I, np.eye(D))
    L = tstep_matrix(system, T, p)
    np.testing.assert_array_equal(L.toarray(), L_dense)
    assert L.has_canonical_format
    L_check = L.copy()
    L_check.has_sorted_indices = False
    L_check.sort_indices()
    np.testing.assert_array_equal(L_check.indices, L.indices)

    u = rng.normal(size=2) * 0.2
    B = tstep_rhs(system, u, T, p)
    Y = forward_solve(system, B, T, p)
    np.testing.assert_allclose(L_dense @ Y, B, atol=1e-14)
    np.testing.assert_allclose(Y, np.linalg.solve(L_dense, B), atol=1e-12)
    W = rng.normal(size=K * D)
    np.testing.assert_allclose(backward_solve(system, W, T, p), np.linalg.solve(L_dense.T, W), atol=1e-12)
    sol = solve_history(system, u, T, p, keep_states=True)
    np.testing.assert_allclose(sol.Y.ravel(), Y, atol=1e-14)
    np.testing.assert_allclose(sol.u, Y.reshape(K, D)[: T + 1, :2], atol=1e-14)

    op = tstep_operator(system, T, p)
    x = rng.normal(size=K * D)
    np.testing.assert_allclose(op.matvec(x), L_dense @ x, atol=1e-13)
    np.testing.assert_allclose(op.rmatvec(x), L_dense.T @ x, atol=1e-13)


@pytest.mark.parametrize("form", ["discrete", "continuous", "euler"])
def test_matrix_free_operators_equal_explicit(form):
    rng = np.random.default_rng(12)
    qm = random_map(4, rng, density=0.5)
    build = {
        "discrete": lambda mf: discrete_carleman(qm, 3, matrix_free=mf).M,
        "continuous": lambda mf: continuous_carleman(qm, 3, matrix_free=mf)[0],
        "euler": lambda mf: euler_carleman(qm, 3, 0.1, matrix_free=mf).M,
    }[form]
    explicit, op = build(False), build(True)
    for _ in range(3):
        x = rng.normal(size=explicit.shape[1])
        np.testing.assert_allclose(op @ x, explicit @ x, rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(op.rmatvec(x), explicit.T @ x, rtol=1e-12, atol=1e-13)


def test_inputs_are_not_mutated():
    rng = np.random.default_rng(0)
    F0, F1, F2 = rng.normal(size=2), rng.normal(size=(2, 2)), rng.normal(size=(2, 4))
    copies = [a.copy() for a in (F0, F1, F2)]
    qm = QuadraticMap(F0, F1, F2)
    discrete_carleman(qm, 2)
    with pytest.raises(ValueError, match="read-only"):
        qm.F1.data[:] = 0  # validated coefficients are read-only copies
    for a, c in zip((F0, F1, F2), copies):
        np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_parallel_assembly_equals_serial(threads):
    """Row ranges merged in parallel threads, then compacted, give the same canonical CSR matrix."""
    from pyqgd.carleman.kron import assemble_csr
    from pyqgd.carleman.system import _discrete_terms

    rng = np.random.default_rng(21)
    qm = random_map(5, rng, density=0.5)
    terms, _ = _discrete_terms(qm, 3)
    D = 5 + 25 + 125
    ref = discrete_carleman(qm, 3).M
    got = assemble_csr(terms, (D, D), threads=threads)
    assert got.has_canonical_format
    np.testing.assert_array_equal(got.indptr, ref.indptr)
    np.testing.assert_array_equal(got.indices, ref.indices)
    np.testing.assert_allclose(got.data, ref.data, rtol=1e-15)
    np.testing.assert_allclose(got.toarray(), dense_discrete(qm, 3)[0], atol=1e-14)


def test_complex_sparse_coefficients_raise_type_error():
    """Casting would silently drop the imaginary part; the README promises TypeError."""
    with pytest.raises(TypeError, match="F1 must be real"):
        QuadraticMap(np.zeros(2), sp.csr_matrix(np.eye(2) * (1 + 1j)), sp.csr_matrix((2, 4)))
    with pytest.raises(TypeError, match="F2 must be real"):
        QuadraticMap(np.zeros(2), sp.csr_matrix(np.eye(2)), sp.csr_matrix(np.ones((2, 4)) * 1j))


def test_diagnose_refuses_negative_padding():
    qm = gd_map(toy_cubic(2, cubic=0.5), 0.3, np.zeros(2))
    with pytest.raises(ValueError, match="p"):
        diagnose(discrete_carleman(qm, 2), np.full(2, 0.1), T=3, p=-1)


def test_diagnose_non_dissipative_large_system_reports_infinite_kappa():
    """> 1,500 unknowns (ARPACK path) on a divergent map: κ(L) overflows; reported as inf, not an ArpackError."""
    qm = gd_map(toy_cubic(2, cubic=0.5), 1.5, np.zeros(2))  # ηλ up to 3 > 2: divergent
    d = diagnose(discrete_carleman(qm, 2), np.full(2, 0.1), T=300)
    assert d.unknowns > 1500 and d.rho > 1
    assert d.kappa_L == float("inf") and d.to_dict()["kappa_L"] is None
