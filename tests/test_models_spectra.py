"""pyqgd.models spectra and dissipation: memory-bounded Lanczos, SLQ on the surviving subspace, R and E(t).

References: numpy.linalg.eigvalsh of the exact (dense) survivor Hessian, direct loops over eigenvalues.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import pyqgd.models as M  # noqa: E402

pytestmark = pytest.mark.usefixtures("torch_single_thread")



@pytest.fixture(scope="module")
def pruned_mlp():
    """A float64 tanh MLP 64-8-10 on digits (cross-entropy, briefly trained), 85% pruned: 92 survivors."""
    model, loss_fn, data = M.digits_mlp(hidden=8, dtype=torch.float64, epochs=3)
    pm, mask = M.global_magnitude_prune(model, 0.85)
    X, y = data.batch(100)
    ex = M.GDExpansion(pm, loss_fn, (X, y), eta=0.5)
    H = ex.hessian()
    return dict(ex=ex, H=H, eig=np.linalg.eigvalsh(H), mask=mask, pm=pm, loss=loss_fn, X=X, y=y)


def test_lanczos_extremes_equal_eigvalsh(pruned_mlp):
    ex, ev = pruned_mlp["ex"], pruned_mlp["eig"]
    r = M.hessian_extremes(ex, k=3, tol=1e-10, max_iter=400, eigenvectors=True)
    assert r.converged and r.stored_vectors == 3 + 6
    scale = np.max(np.abs(ev))
    assert np.max(np.abs(r.largest - ev[::-1][:3])) < 1e-8 * scale
    assert np.max(np.abs(r.smallest - ev[:3])) < 1e-8 * scale
    assert np.max(r.largest_vector_residuals) < 1e-6 * scale
    assert np.max(r.smallest_vector_residuals) < 1e-6 * scale
    # the eigenvectors are those of the dense Hessian
    H = pruned_mlp["H"]
    assert np.allclose(H @ r.largest_vectors, r.largest_vectors * r.largest, atol=1e-6 * scale)
    # scipy eigsh with bounded ncv agrees
    s = M.hessian_extremes(ex, k=3, method="eigsh", ncv=20)
    assert s.stored_vectors == 20
    assert np.max(np.abs(s.largest - ev[::-1][:3])) < 1e-8 * scale
    assert np.max(np.abs(s.smallest - ev[:3])) < 1e-8 * scale


def test_three_vector_lanczos_filters_ghosts_on_a_known_spectrum():
    # well-separated extremes, a dense interior; run far past n so ghosts appear without reorthogonalisation
    lam = np.concatenate([[-3.0, -2.0, -1.5], np.linspace(-1, 1, 60), [1.5, 2.0, 3.0]])
    Q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((lam.size, lam.size)))
    A = (Q * lam) @ Q.T
    alpha, beta = M.lanczos_tridiagonal(A, m=250, seed=1)
    theta = np.linalg.eigvalsh(np.diag(alpha) + np.diag(beta[:-1], 1) + np.diag(beta[:-1], -1))
    assert np.sum(np.abs(theta - 3.0) < 1e-8) >= 2  # ghosts exist in the raw Ritz values...
    r = M.hessian_extremes(A, k=3, max_iter=250, tol=1e-10, check_every=250)
    assert np.allclose(r.largest, [3.0, 2.0, 1.5], atol=1e-9)  # ...but not in the filtered result
    assert np.allclose(r.smallest, [-3.0, -2.0, -1.5], atol=1e-9)
    # full reorthogonalisation (the stores-every-vector variant) gives the same extremes without ghosts
    a2, b2 = M.lanczos_tridiagonal(A, m=66, seed=1, reorthogonalize=True)
    t2 = np.linalg.eigvalsh(np.diag(a2) + np.diag(b2[:-1], 1) + np.diag(b2[:-1], -1))
    assert np.allclose(t2, lam, atol=1e-9)


def test_slq_density_has_no_spike_from_pruned_coordinates(pruned_mlp):
    ex, ev, mask, H = pruned_mlp["ex"], pruned_mlp["eig"], pruned_mlp["mask"], pruned_mlp["H"]
    delta = 1e-2 * np.max(np.abs(ev))
    exact_zero_mass = np.mean(np.abs(ev) <= delta)  # genuine (near-)zero modes of the survivor Hessian
    d = M.slq_density(ex, n_probes=16, n_steps=25, seed=3)  # HVPs on the survivors
    assert d.n == mask.n_surviving
    survivor_mass = d.mass(-delta, delta)
    # the masked full-space Hessian P^T H P, what a mask-unaware implementation would see
    E = np.zeros((mask.n_total, mask.n_surviving))
    E[mask.indices, np.arange(mask.n_surviving)] = 1
    full = M.slq_density(E @ H @ E.T, n_probes=16, n_steps=25, seed=3)
    pruned_fraction = 1 - mask.density
    # on the survivors: only the genuine zero modes (e.g. units whose outgoing weights were all pruned)
    assert abs(survivor_mass - exact_zero_mass) < 0.1
    # in full space the pruned coordinates add a spike of weight ≈ the pruned fraction
    full_exact = pruned_fraction + mask.density * exact_zero_mass
    assert abs(full.mass(-delta, delta) - full_exact) < 0.1
    assert full.mass(-delta, delta) - survivor_mass > 0.5


def test_slq_moments_match_traces(pruned_mlp):
    H, n = pruned_mlp["H"], pruned_mlp["ex"].n
    d = M.slq_density(H, n_probes=60, n_steps=30, seed=0)  # the algorithm, on the exact survivor Hessian
    for k in (1, 2, 3):
        est = d.expect(lambda t: t ** k)
        exact = np.trace(np.linalg.matrix_power(H, k)) / n
        spread = np.sqrt(2 * np.sum(np.linalg.matrix_power(H, k) ** 2) / n ** 2 / 60)  # Hutchinson std / n
        assert abs(est - exact) < 5 * spread
    grid = np.linspace(-5, 5, 20001)
    assert np.trapezoid(d.density(grid, 0.05), grid) == pytest.approx(1.0, abs=1e-6)


def test_error_proxy_equals_direct_computation(pruned_mlp):
    ev, eta = pruned_mlp["eig"], 0.5
    cutoff = 0.01
    ts = [0, 1, 2, 5, 10, 30]
    got = M.error_proxy(ts, ev, eta=eta, cutoff=cutoff)
    for t, g in zip(ts, got):
        num = den = 0.0
        for lam in ev:  # paper Eqs. 7–8 with a = −ηλ, uniform density 1/n
            a = -eta * lam
            if abs(a) >= cutoff:
                num += abs(1 + a) ** t
                den += 1
        assert g == pytest.approx(num / den, rel=1e-12)
    assert got[0] == pytest.approx(1.0)
    # literal paper formula (η absorbed) is lr = 1 with the default cut-off 0.4
    lit = M.error_proxy(3, 4 * ev)
    sel = np.abs(4 * ev) >= 0.4
    assert lit == pytest.approx(np.mean(np.abs(1 - 4 * ev[sel]) ** 3), rel=1e-12)
    # SLQ estimate of E(t) is close to the exact-eigenvalue one; broadened-density integral close to both
    d = M.slq_density(pruned_mlp["H"], n_probes=60, n_steps=60, seed=2)
    e_slq = M.error_proxy_from_density(ts, d, eta=eta, cutoff=cutoff)
    assert np.allclose(e_slq, got, rtol=0.1)
    e_smooth = M.error_proxy_from_density(ts[:4], d, eta=eta, cutoff=cutoff, sigma=1e-3)
    assert np.allclose(e_smooth, e_slq[:4], rtol=0.05)
    with pytest.raises(ValueError, match="cutoff"):
        M.error_proxy(1, ev, eta=eta, cutoff=1e6)


def test_mode_fractions_and_dissipation_number(pruned_mlp):
    ev, eta = pruned_mlp["eig"], 0.5
    f = M.mode_fractions(ev, eta)
    assert f.dissipative == pytest.approx(np.mean((eta * ev > 0) & (eta * ev < 2)))
    assert f.divergent == pytest.approx(np.mean(eta * ev < 0))
    assert f.dissipative + f.divergent + f.unstable + f.marginal == pytest.approx(1.0)
    assert f.spectral_radius == pytest.approx(np.max(np.abs(1 - eta * ev)))
    d = M.slq_density(pruned_mlp["H"], n_probes=40, n_steps=40, seed=1)
    fd = M.mode_fractions(d, eta)
    assert abs(fd.dissipative - f.dissipative) < 0.15
    # R (PNAS Eq. 2) against its formula, and its minimum over ‖u_in‖
    from pyqgd.spectrum import dissipation_number_from_norms as dn

    R = dn(0.3, 0.2, 1.5, -0.9)
    assert R == pytest.approx((0.3 * 1.5 + 0.2 / 0.3) / 0.9)
    assert dn(0.0, 0.2, 1.5, -0.9) == math.inf
    assert dn(0.0, 0.0, 1.5, -0.9) == 0.0
    assert dn(0.3, 0.2, 1.5, 0.1) == math.inf
    Rmin, r = M.optimal_dissipation_number(0.2, 1.5, -0.9)
    grid = np.linspace(1e-3, 3, 30001)
    vals = [(x * 1.5 + 0.2 / x) / 0.9 for x in grid]
    assert Rmin == pytest.approx(min(vals), rel=1e-6)
    assert r == pytest.approx(grid[int(np.argmin(vals))], abs=2e-4)


def test_dissipation_from_the_model_end_to_end(pruned_mlp):
    """Re λ₁(F1), ‖F0‖, ‖F2‖ bounds and R computed matrix-free agree with the exact coefficients."""
    ex = pruned_mlp["ex"]
    c = ex.coefficients(sparse=True)
    ext = M.hessian_extremes(ex, k=1, tol=1e-10)
    from pyqgd.carleman import spectral_norm
    from pyqgd.spectrum import dissipation_number_from_norms as dn

    re1 = -ex.eta * ext.smallest[0]
    assert re1 == pytest.approx(np.max(np.linalg.eigvalsh(c.F1.toarray())), rel=1e-8)
    b = M.f2_norm_bounds(ex, n_power=5, n_samples=20)
    exact = spectral_norm(c.F2)
    assert b.lower <= exact * (1 + 1e-12)
    r_hi = dn(0.1, np.linalg.norm(c.F0), b.lower, -abs(re1))
    r_ex = dn(0.1, np.linalg.norm(c.F0), exact, -abs(re1))
    assert r_hi <= r_ex
