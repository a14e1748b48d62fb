"""Embedded default models, the transformer path (forward-mode AD through attention), and Carleman vs true GD."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import pyqgd.models as M  # noqa: E402

pytestmark = pytest.mark.usefixtures("torch_single_thread")



@pytest.mark.parametrize("factory, min_acc", [(M.digits_mlp, 0.9), (M.digits_cnn, 0.9), (M.sequence_transformer, 0.85)])
def test_default_models_train_to_sensible_accuracy(factory, min_acc):
    model, loss_fn, data = factory()
    assert isinstance(model, torch.nn.Module) and callable(loss_fn) and isinstance(data, M.TaskData)
    assert M.accuracy(model, data, "test") >= min_acc
    X, y = data.batch(16)
    assert torch.isfinite(loss_fn(model(X), y))


@pytest.mark.parametrize("factory, kw, amount", [(M.digits_cnn, {"activation": "tanh", "pool": "avg"}, 0.9),
                                                 (M.sequence_transformer, {}, 0.9)])
def test_hvp_and_third_order_of_cnn_and_transformer_match_finite_differences(factory, kw, amount):
    # smooth activations and pooling: finite differences must not straddle kinks (ReLU, max-pool ties)
    model, loss_fn, data = factory(pretrained=False, dtype=torch.float64, **kw)
    pm, mask = M.global_magnitude_prune(model, amount)
    X, y = data.batch(32)
    ex = M.GDExpansion(pm, loss_fn, (X, y), eta=0.1)
    rng = np.random.default_rng(0)
    v, w = rng.standard_normal(ex.n), rng.standard_normal(ex.n)
    h = 1e-5
    fd_h = (ex.gradient(h * v) - ex.gradient(-h * v)) / (2 * h)
    for mode in ("fwd-rev", "rev-rev"):
        exm = M.GDExpansion(pm, loss_fn, (X, y), eta=0.1, hvp_mode=mode)
        assert np.max(np.abs(exm.hvp(v) - fd_h)) < 1e-6 * max(1, np.max(np.abs(fd_h)))
    h = 1e-4
    fd_k = (ex.hvp(w, u=h * v) - ex.hvp(w, u=-h * v)) / (2 * h)
    assert np.max(np.abs(ex.third(v, w) - fd_k)) < 1e-6 * max(1, np.max(np.abs(fd_k)))


def test_carleman_reproduces_true_gd_of_the_mlp():
    """Carleman (pyqgd.carleman) from the MLP's exact coefficients vs masked torch GD, over N and η."""
    model, loss_fn, data = M.digits_mlp(hidden=8, dtype=torch.float64, epochs=10)
    pm, mask = M.global_magnitude_prune(model, 0.95)
    X, y = data.batch(128)
    rows = M.carleman_vs_gd(pm, loss_fn, (X, y), eta=0.5, etas=(0.05, 0.5), orders=(1, 2, 3), T=4)
    by = {(r["eta"], r["N"]): r for r in rows}
    n = rows[0]["n"]
    assert 10 <= n <= 40
    assert all(r["gd_displacement"] > 1e-3 for r in rows)
    for eta in (0.05, 0.5):
        e = [by[(eta, N)]["err_vs_quadratic"] for N in (1, 2, 3)]
        assert e[0] > e[1] > e[2]  # truncation error falls with N
        assert e[2] < 1e-4
        # against true GD the error is floored by the cubic Taylor remainder, which N cannot remove
        r3 = by[(eta, 3)]
        assert r3["err_vs_gd"] <= r3["taylor_err"] + r3["err_vs_quadratic"] + 1e-12
    assert by[(0.05, 3)]["err_vs_gd"] < 1e-4
    assert by[(0.05, 2)]["err_vs_gd"] < by[(0.5, 2)]["err_vs_gd"]  # smaller η, smaller error
