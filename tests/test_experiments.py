"""Smoke tests of the paper experiments (experiments/) at tiny sizes: each checks a property that could fail."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def setup(torch_single_thread):
    from experiments._common import pruned_digits_mlp

    # 64 -> 8 -> 10 MLP (610 parameters), 3 epochs of Adam, 90 % pruned: 61 survivors
    return pruned_digits_mlp(hidden=8, epochs=3, amount=0.9)


def test_setup_prunes_ninety_percent(setup):
    assert setup.mask.n_total == 610
    assert setup.mask.n_surviving == 61
    full = setup.full_vector(setup.theta0)
    assert np.all(full[~setup.mask.keep] == 0)
    # the evaluation path (functional_call on the dense container) agrees with the pruned model itself
    from pyqgd.models import accuracy

    assert setup.accuracy(setup.theta0, "test") == pytest.approx(accuracy(setup.pruned, setup.data, "test"))


def test_sparse_training_holds_mask_and_matches_autograd_gd(setup):
    from experiments.sparse_training_spectra import sparse_training
    from pyqgd.models import gd_trajectory

    tr = sparse_training(setup, lr=1.0, steps=6, record_every=2, spectrum_every=3)
    assert np.all(tr["full_final"][~setup.mask.keep] == 0)
    ref = gd_trajectory(setup.pruned, setup.loss_fn, (setup.data.X_train, setup.data.y_train), eta=1.0, T=6,
                        mask=setup.mask)
    np.testing.assert_allclose(tr["theta_final"], setup.theta0 + ref[-1], atol=1e-10)
    assert list(tr["spectrum_steps"]) == [0, 3, 6]
    assert all(len(ev) == setup.mask.n_surviving for ev in tr["spectra"])
    for f in tr["fractions"]:
        assert f["dissipative"] + f["divergent"] + f["unstable"] + f["marginal"] == pytest.approx(1.0)
    assert tr["loss"][-1] < tr["loss"][0]  # GD at a stable step decreases the loss


def test_error_proxy_curves_and_window():
    from experiments.sparse_training_spectra import error_proxy_curves, window_close

    t = np.arange(60)
    dissipative = np.array([0.5, 0.6, 0.01])          # ηλ = 0.5, 0.6 (kept), 0.01 (below cut-off)
    mixed = np.array([0.5, 0.6, 0.7, -0.45])           # one divergent mode with |a| = 0.45 ≥ 0.4
    for spectra in ([dissipative], [mixed]):
        E = error_proxy_curves(spectra, [0], t, lr=1.0, cutoff=0.4)
        assert E[0] == pytest.approx(1.0)
    E_d = error_proxy_curves([dissipative], [0], t, lr=1.0)
    assert np.all(np.diff(E_d) < 0)
    assert window_close(t, E_d) == {"t_min": None, "t_back": None}
    E_m = error_proxy_curves([mixed], [0], t, lr=1.0)
    w = window_close(t, E_m)
    assert w["t_min"] is not None and 0 < w["t_min"] < w["t_back"] < 60
    assert E_m[w["t_back"]] >= 1 > E_m[w["t_back"] - 1]
    # running mode switches spectra at the checkpoints
    E_r = error_proxy_curves([dissipative, mixed], [0, 30], t, lr=1.0, mode="running")
    np.testing.assert_allclose(E_r[:30], E_d[:30])
    np.testing.assert_allclose(E_r[30:], E_m[30:])


def test_tomography_noise_has_the_stated_l2_size():
    from experiments.download_reupload import tomography_noise

    rng = np.random.default_rng(0)
    theta = rng.normal(size=200)
    for delta in (1e-3, 1e-2, 0.1):
        e = tomography_noise(theta, delta, rng)
        assert np.linalg.norm(e) == pytest.approx(delta * np.linalg.norm(theta), rel=1e-12)
    assert not np.any(tomography_noise(theta, 0.0, rng))
    # uniformly random direction: the average of many draws is close to zero
    mean = np.mean([tomography_noise(theta, 1.0, rng) for _ in range(400)], axis=0)
    assert np.linalg.norm(mean) < 0.2 * np.linalg.norm(theta)


def test_emulators_taylor_vs_carleman_vs_gd(setup):
    from experiments.download_reupload import _gd, emulate_segment

    lr, K = 1.0, 3
    th0 = setup.theta0
    gd = _gd(setup, setup.expansion(th0, lr), th0, lr, K)
    taylor = emulate_segment(setup, th0, lr, K, emulator="taylor")
    c1 = emulate_segment(setup, th0, lr, K, emulator="carleman", N=1)
    c2 = emulate_segment(setup, th0, lr, K, emulator="carleman", N=2)
    moved = np.linalg.norm(gd[-1] - gd[0])

    def err(a, b):
        return np.linalg.norm(a[-1] - b[-1]) / moved

    assert taylor.shape == (K + 1, setup.mask.n_surviving)
    assert err(taylor, gd) < 0.05                     # the quadratic Taylor map follows true GD over a short segment
    assert err(c2, taylor) < 0.5 * err(c1, taylor)    # Carleman N = 2 is closer to its N → ∞ limit than N = 1
    np.testing.assert_allclose(c1[1], gd[1], atol=1e-10)  # one step of the linear part from u = 0 is exact GD


def test_reupload_schemes(setup):
    from experiments.download_reupload import run_scheme

    kw = dict(lr=1.0, total_steps=14, K=4, classical_steps=2, delta=0.05, record_every=1)
    re = run_scheme(setup, "reupload", **kw)
    qr = run_scheme(setup, "qram", **kw)
    sp = run_scheme(setup, "sparse", **kw)
    assert list(re["download_steps"]) == [4, 8, 12, 14]
    assert list(qr["download_steps"]) == [4, 10, 14]   # 4 quantum steps, download, 2 classical steps; last one cut short
    assert re["steps"][-1] == qr["steps"][-1] == sp["steps"][-1] == 14
    for r in (re, qr, sp):
        assert np.all(r["full_final"][~setup.mask.keep] == 0)
    for g in re["segments"]:
        assert g["noise_l2"] == pytest.approx(0.05 * g["theta_norm"])
    assert len(sp["download_steps"]) == 0 and sp["segments"] == []


def test_complexity_fit_exponents():
    from experiments.complexity_fit import sweep

    small = dict(Ts=(10, 100, 1000), ns=(10**4, 10**6, 10**8), ss=(4, 8, 16), epsilons=(1e-1, 1e-2, 1e-3))
    qram = sweep("qram", **small)
    qrom = sweep("qrom", **small)
    for r in (qram, qrom):
        # block-encoding calls ∝ degree (κ ∝ T) × amplification rounds (∝ T^{1/2} from the rigorous amplitude bound)
        att = r["attribution_T"]
        assert 0.95 < att["kappa_degree"] < 1.1 and 0.4 < att["amplification"] < 0.6
        assert r["total_n_exponent"] > 1.0 - 1e-9     # read-out of n weights: at least linear in n
    assert 0.8 < qram["T_exponent"] < 1.2             # per-call cost flat in T with (F-tables) QRAM loading
    assert 1.4 < qrom["T_exponent"] < 1.7             # degree × rounds with the built circuit's QROM tables
    assert qram["n_exponent"] < 0.2                   # polylog n with QRAM
    assert 0.9 < qrom["n_exponent"] < 1.1             # linear in n with QROM
    assert qram["inv_eps_exponent"] < 1.0             # per run only log(1/ε); the 1/δ² is in the read-out


def test_plots_write_pngs(setup, tmp_path):
    from experiments import complexity_fit, sparse_training_spectra

    res = sparse_training_spectra.run(setup=setup, lr=1.0, steps=4, spectrum_every=2, record_every=2, cutoffs=(0.4, 0.02))
    assert res["E"][0.02]["frozen"][0] == pytest.approx(1.0)
    p = tmp_path / "a.png"
    sparse_training_spectra.plot(res, p)
    cf = complexity_fit.run(Ts=(10, 100), ns=(10**4, 10**6), ss=(4, 8), epsilons=(1e-1, 1e-2))
    q = tmp_path / "c.png"
    complexity_fit.plot(cf, q)
    assert p.stat().st_size > 10_000 and q.stat().st_size > 10_000
    import matplotlib.pyplot as plt

    plt.close("all")
