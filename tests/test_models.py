"""pyqgd.models: pruning index maps, exact / sparse / matrix-free Taylor coefficients, bad input.

Independent references: torch.func.hessian / nested jacfwd-jacrev of a flat loss written here (not the library's),
finite differences, numpy dense algebra.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import pyqgd.models as M  # noqa: E402

pytestmark = pytest.mark.usefixtures("torch_single_thread")

from pyqgd._checks import TooLargeError  # noqa: E402


# ----------------------------------------------------------------------------------------------- fixtures
def _tiny_model(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 3)).double()


@pytest.fixture(scope="module")
def tiny():
    """A float64 tanh MLP 5-4-3 (39 parameters) pruned by 50%, cross-entropy on random data."""
    model = _tiny_model()
    g = torch.Generator().manual_seed(1)
    X = torch.randn(24, 5, generator=g, dtype=torch.float64)
    y = torch.randint(0, 3, (24,), generator=g)
    pm, mask = M.global_magnitude_prune(model, 0.5)
    ex = M.GDExpansion(pm, torch.nn.functional.cross_entropy, (X, y), eta=0.3)
    return dict(model=model, pm=pm, mask=mask, X=X, y=y, ex=ex, loss=torch.nn.functional.cross_entropy)


def _reference_flat_loss(model, mask, X, y, loss_fn):
    """L as a function of the survivor vector, built independently of pyqgd.models.taylor."""
    names, shapes, values = [], [], []
    for name, p in model.named_parameters():
        names.append(name)
        shapes.append(p.shape)
        values.append(p.detach().reshape(-1))
    full0 = torch.cat(values) * torch.as_tensor(np.array(mask.keep), dtype=torch.float64)
    idx = torch.as_tensor(np.array(mask.indices))
    sizes = [int(np.prod(s)) for s in shapes]

    def f(w):
        full = full0.scatter(0, idx, w)
        params = {n: t.reshape(s) for n, t, s in zip(names, torch.split(full, sizes), shapes)}
        return loss_fn(torch.func.functional_call(model, params, (X,)), y)

    return f, full0[idx].clone()


# ----------------------------------------------------------------------------------------------- pruning
def test_global_magnitude_prune_keeps_largest_and_leaves_caller_alone():
    model = _tiny_model()
    before = [p.detach().clone() for p in model.parameters()]
    pm, mask = M.global_magnitude_prune(model, 0.6)
    for a, b in zip(before, model.parameters()):
        assert torch.equal(a, b)  # caller's model untouched
    assert not any(hasattr(m, "weight_mask") for m in model.modules())
    flat = np.concatenate([p.detach().reshape(-1).numpy() for p in model.parameters()])
    assert mask.n_total == flat.size == 39
    assert mask.n_surviving == 39 - round(0.6 * 39)
    assert np.min(np.abs(flat[mask.keep])) >= np.max(np.abs(flat[~mask.keep]))
    # the pruned model's forward uses zeros at pruned entries, and its stored mask equals ours
    assert np.array_equal(M.ParameterMask.from_model(pm).keep, mask.keep)
    assert np.all(mask.layout.flatten(pm)[~mask.keep] == 0)
    # inplace pruning mutates, as documented
    m2 = _tiny_model()
    out, _ = M.global_magnitude_prune(m2, 0.5, inplace=True)
    assert out is m2 and hasattr(m2[0], "weight_mask")


def test_mask_index_maps_round_trip():
    model = _tiny_model()
    _, mask = M.global_magnitude_prune(model, 0.5)
    pos = mask.position
    assert np.array_equal(pos[mask.indices], np.arange(mask.n_surviving))
    assert np.all(pos[~mask.keep] == -1)
    x = np.random.default_rng(0).standard_normal(mask.n_total)
    s = mask.restrict(x)
    assert np.array_equal(s, x[mask.keep])
    e = mask.embed(s)
    assert np.array_equal(e[mask.keep], s) and np.all(e[~mask.keep] == 0)
    # flat index -> (tensor, index) agrees with the per-tensor masks
    tm = mask.tensor_masks()
    for k in range(mask.n_surviving):
        name, ix = mask.describe(k)
        assert tm[name][ix]
    # user-supplied masks: per-tensor dict and flat array give the same map
    m_dict = M.ParameterMask.from_tensors(model, tm)
    m_flat = M.ParameterMask.from_flat(model, mask.keep.astype(int))
    assert np.array_equal(m_dict.indices, mask.indices) and np.array_equal(m_flat.indices, mask.indices)
    # weights-only scope keeps every bias
    _, mw = M.global_magnitude_prune(model, 0.5, scope="weights")
    assert all(v.all() for k, v in mw.tensor_masks().items() if k.endswith("bias"))


def test_bad_masks_and_pruning_amounts():
    model = _tiny_model()
    with pytest.raises(ValueError, match="shape"):
        M.ParameterMask.from_tensors(model, {"0.weight": np.ones((5, 4))})
    with pytest.raises(ValueError, match="length 39"):
        M.ParameterMask.from_flat(model, np.ones(38))
    with pytest.raises(ValueError, match="not parameters"):
        M.ParameterMask.from_tensors(model, {"nope": np.ones(3)})
    with pytest.raises(ValueError, match="no parameters"):
        M.ParameterMask.from_flat(model, np.zeros(39))
    with pytest.raises(ValueError, match="no parameters would be left"):
        M.global_magnitude_prune(model, 1.0)
    with pytest.raises(ValueError):
        M.global_magnitude_prune(model, 1.5)
    other = torch.nn.Linear(3, 2).double()
    with pytest.raises(ValueError, match="does not match"):
        M.GDExpansion(other, torch.nn.functional.mse_loss, (torch.randn(4, 3).double(), torch.randn(4, 2).double()),
                      eta=0.1, mask=M.ParameterMask.full(model))


# ----------------------------------------------------------------------------------------------- exact coefficients
def test_hessian_matches_torch_func_hessian(tiny):
    f, w0 = _reference_flat_loss(tiny["model"], tiny["mask"], tiny["X"], tiny["y"], tiny["loss"])
    H_ref = torch.func.hessian(f)(w0).numpy()
    H = tiny["ex"].hessian(chunk_size=7)
    assert H.shape == (tiny["ex"].n,) * 2
    assert np.max(np.abs(H - H_ref)) < 1e-6 * max(1.0, np.max(np.abs(H_ref)))
    assert np.array_equal(H, H.T)
    g_ref = torch.func.grad(f)(w0).numpy()
    assert np.max(np.abs(tiny["ex"].gradient() - g_ref)) < 1e-12
    assert abs(tiny["ex"].loss() - float(f(w0))) < 1e-13


def test_hvp_modes_agree(tiny):
    V = np.random.default_rng(3).standard_normal((4, tiny["ex"].n))
    H = tiny["ex"].hessian()
    for mode in ("auto", "fwd-rev", "rev-rev"):
        ex2 = M.GDExpansion(tiny["pm"], tiny["loss"], (tiny["X"], tiny["y"]), eta=0.3, hvp_mode=mode)
        assert np.max(np.abs(ex2.hvp(V) - V @ H)) < 1e-12  # vmapped
        assert np.max(np.abs(ex2.hvp(V[0]) - H @ V[0])) < 1e-12  # single vector


def test_third_order_matches_nested_autodiff_and_finite_differences(tiny):
    ex = tiny["ex"]
    n = ex.n
    f, w0 = _reference_flat_loss(tiny["model"], tiny["mask"], tiny["X"], tiny["y"], tiny["loss"])
    K_ref = torch.func.jacfwd(torch.func.jacrev(torch.func.jacrev(f)))(w0).numpy()
    K = ex.third_order(chunk_size=50)
    assert K.shape == (n, n * n)
    assert np.max(np.abs(K - K_ref.reshape(n, n * n))) < 1e-6 * max(1.0, np.max(np.abs(K_ref)))
    # central finite differences of the (independent) Hessian: K[:, a, :] = ∂_a H
    h = 1e-4
    for a in (0, n // 2, n - 1):
        e = torch.zeros(n, dtype=torch.float64)
        e[a] = h
        dH = (torch.func.hessian(f)(w0 + e) - torch.func.hessian(f)(w0 - e)).numpy() / (2 * h)
        assert np.max(np.abs(K.reshape(n, n, n)[:, a, :] - dH)) < 1e-6
    # symmetric in (a, b) exactly, and in all three indices to rounding
    K3 = K.reshape(n, n, n)
    assert np.array_equal(K3, K3.transpose(0, 2, 1))
    assert np.max(np.abs(K3 - K3.transpose(1, 0, 2))) < 1e-12


def test_sparse_extraction_equals_masked_dense(tiny):
    ex = tiny["ex"]
    H = ex.hessian()
    K = ex.third_order()
    for dense, (S, dropped), tol in ((H, ex.hessian(sparse=True, tol=2e-3, chunk_size=5), 2e-3),
                                     (K, ex.third_order(sparse=True, tol=1e-3, chunk_size=33), 1e-3)):
        masked = np.where(np.abs(dense) >= tol, dense, 0.0)
        assert np.array_equal(S.toarray(), masked)
        gone = dense[np.abs(dense) < tol]
        assert dropped.count == np.count_nonzero(np.abs(dense) < tol) and dropped.count > 0
        assert dropped.frobenius == pytest.approx(np.linalg.norm(gone), rel=1e-12)
        assert dropped.kept_frobenius == pytest.approx(np.linalg.norm(masked), rel=1e-12)
        assert dropped.max_abs == pytest.approx(np.max(np.abs(gone)), rel=1e-12)
    # tol = 0 keeps every nonzero
    S0, d0 = ex.hessian(sparse=True)
    assert np.array_equal(S0.toarray(), H) and d0.frobenius == 0


def test_coefficients_are_the_taylor_terms_of_the_gd_map(tiny):
    ex = tiny["ex"]
    eta = ex.eta
    c = ex.coefficients(tol=1e-4)
    d = ex.coefficients(sparse=False)
    H, K = ex.hessian(), ex.third_order()
    assert np.allclose(d.F0, -eta * ex.gradient(), rtol=0, atol=1e-15)
    assert np.allclose(d.F1, -eta * H, rtol=0, atol=1e-15)
    assert np.allclose(d.F2, -0.5 * eta * K, rtol=0, atol=1e-15)
    assert np.array_equal(c.F1.toarray(), np.where(np.abs(d.F1) >= 1e-4, d.F1, 0))
    assert np.array_equal(c.F2.toarray(), np.where(np.abs(d.F2) >= 1e-4, d.F2, 0))
    assert c.dropped["F2"].tol == pytest.approx(1e-4)
    # the quadratic map reproduces −η∇L(θ*+u) up to O(‖u‖³): halving u divides the remainder by ~8
    qm = d.quadratic_map()
    dirn = np.random.default_rng(5).standard_normal(ex.n)
    errs = []
    for s in (1e-2, 5e-3):
        u = s * dirn
        errs.append(np.linalg.norm(qm.f(u) - (-eta * ex.gradient(u))))
    assert 6.0 < errs[0] / errs[1] < 10.0


def test_multiple_batches_equal_the_concatenated_batch(tiny):
    X, y = tiny["X"], tiny["y"]
    ex2 = M.GDExpansion(tiny["pm"], tiny["loss"], [(X[:10], y[:10]), (X[10:], y[10:])], eta=0.3)
    assert ex2.loss() == pytest.approx(tiny["ex"].loss(), rel=1e-13)
    assert np.max(np.abs(ex2.hessian() - tiny["ex"].hessian())) < 1e-13
    v = np.random.default_rng(0).standard_normal(ex2.n)
    assert np.max(np.abs(ex2.third(v, v) - tiny["ex"].third(v, v))) < 1e-12


def test_user_expansion_point(tiny):
    ex = tiny["ex"]
    shift = 0.05 * np.random.default_rng(2).standard_normal(ex.n)
    ts = ex.theta_star + tiny["mask"].embed(shift)
    ex2 = M.GDExpansion(tiny["pm"], tiny["loss"], (tiny["X"], tiny["y"]), eta=0.3, theta_star=ts)
    assert np.allclose(ex2.u_checkpoint, -shift, atol=1e-15)
    assert np.max(np.abs(ex2.gradient() - ex.gradient(u=shift))) < 1e-13
    assert np.max(np.abs(ex2.hessian() - ex.hessian(u=shift))) < 1e-12
    ex3 = M.GDExpansion(tiny["pm"], tiny["loss"], (tiny["X"], tiny["y"]), eta=0.3, theta_star=ts[tiny["mask"].keep])
    assert np.array_equal(ex3.theta_star, ex2.theta_star)
    bad = ts.copy()
    bad[np.flatnonzero(~tiny["mask"].keep)[0]] = 1.0
    with pytest.raises(ValueError, match="pruned coordinates"):
        M.GDExpansion(tiny["pm"], tiny["loss"], (tiny["X"], tiny["y"]), eta=0.3, theta_star=bad)


def test_user_mask_on_unpruned_model_zeroes_masked_entries():
    model = _tiny_model()
    keep = np.random.default_rng(4).random(39) < 0.5
    mask = M.ParameterMask.from_flat(model, keep)
    X, y = torch.randn(8, 5, dtype=torch.float64), torch.randint(0, 3, (8,))
    ex = M.GDExpansion(model, torch.nn.functional.cross_entropy, (X, y), eta=0.1, mask=mask)
    pm = M.apply_mask(model, mask)
    ref = M.GDExpansion(pm, torch.nn.functional.cross_entropy, (X, y), eta=0.1)
    assert np.all(ex.theta_star[~keep] == 0)
    assert np.array_equal(ex.theta_star, ref.theta_star)
    assert np.max(np.abs(ex.hessian() - ref.hessian())) < 1e-14


# ----------------------------------------------------------------------------------------------- matrix-free
def test_matrix_free_operators_equal_dense(tiny):
    ex = tiny["ex"]
    n, eta = ex.n, ex.eta
    d = ex.coefficients(sparse=False)
    rng = np.random.default_rng(7)
    v, w, X = rng.standard_normal(n), rng.standard_normal(n * n), rng.standard_normal((n, 5))
    Hop, F1op, F2op = M.hessian_operator(ex, chunk_size=2), M.F1_operator(ex), M.F2_operator(ex, chunk_size=9)
    assert np.max(np.abs(Hop @ v + d.F1 @ v / eta)) < 1e-12
    assert np.max(np.abs(Hop @ X + d.F1 @ X / eta)) < 1e-12
    assert np.max(np.abs(F1op @ v - d.F1 @ v)) < 1e-13
    assert np.max(np.abs(F2op @ w - d.F2 @ w)) < 1e-13
    assert np.max(np.abs(F2op.rmatvec(v) - d.F2.T @ v)) < 1e-13
    a, b = rng.standard_normal(n), rng.standard_normal(n)
    assert np.max(np.abs(M.F2_contract(ex, a, b) - d.F2 @ np.kron(a, b))) < 1e-13
    A, B = rng.standard_normal((3, n)), rng.standard_normal((3, n))
    ref = np.stack([d.F2 @ np.kron(A[i], B[i]) for i in range(3)])
    assert np.max(np.abs(M.F2_contract(ex, A, B) - ref)) < 1e-13


def test_f2_norm_bounds_bracket_the_exact_norm(tiny):
    ex = tiny["ex"]
    F2 = ex.coefficients(sparse=True).F2
    from pyqgd.carleman import spectral_norm
    exact = spectral_norm(F2)
    fro = np.linalg.norm(F2.toarray())
    assert exact == pytest.approx(np.linalg.svd(F2.toarray(), compute_uv=False)[0], rel=1e-10)
    b = M.f2_norm_bounds(ex, n_power=15, n_samples=200, seed=1)
    assert b.lower <= exact * (1 + 1e-12)
    assert b.lower >= 0.3 * exact  # the power iteration finds a sizeable fraction of the norm
    assert abs(b.frobenius - fro) < 5 * b.frobenius_stderr + 1e-12
    assert exact <= fro


# ----------------------------------------------------------------------------------------------- dynamics
def test_pruned_coordinates_stay_zero_and_dynamics_match_masked_gd(tiny):
    ex, mask = tiny["ex"], tiny["mask"]
    c = ex.coefficients(sparse=True)
    qm = c.quadratic_map()
    traj = qm.trajectory(np.zeros(ex.n), 4)
    full = c.embed(traj)
    assert np.all(full[:, ~mask.keep] == 0)
    gd = M.gd_trajectory(tiny["pm"], tiny["loss"], (tiny["X"], tiny["y"]), eta=ex.eta, T=4)
    gd_full = c.embed(gd)
    assert np.all(gd_full[:, ~mask.keep] == 0)
    # ...which is not automatic: the unmasked gradient does not vanish at pruned coordinates
    full_ex = M.GDExpansion(tiny["pm"], tiny["loss"], (tiny["X"], tiny["y"]), eta=ex.eta,
                            mask=M.ParameterMask.full(tiny["model"]))
    assert np.max(np.abs(full_ex.gradient()[~mask.keep])) > 1e-3
    # the quadratic map follows true GD up to the cubic remainder
    scale = np.max(np.linalg.norm(gd, axis=1))
    assert scale > 1e-3
    assert np.max(np.linalg.norm(traj - gd, axis=1)) < 1e-3 * scale


def test_caller_model_is_not_mutated(tiny):
    before = {k: v.detach().clone() for k, v in tiny["pm"].state_dict().items()}
    ex = M.GDExpansion(tiny["pm"], tiny["loss"], (tiny["X"], tiny["y"]), eta=0.3)
    ex.coefficients()
    M.gd_trajectory(tiny["pm"], tiny["loss"], (tiny["X"], tiny["y"]), eta=0.3, T=2)
    after = tiny["pm"].state_dict()
    assert before.keys() == after.keys()
    assert all(torch.equal(before[k], after[k]) for k in before)


# ----------------------------------------------------------------------------------------------- bad input
def test_bad_input_errors(tiny):
    X, y = tiny["X"].clone(), tiny["y"]
    X[0, 0] = float("nan")
    with pytest.raises(ValueError, match="loss is nan"):
        M.GDExpansion(tiny["pm"], tiny["loss"], (X, y), eta=0.1)
    with pytest.raises(TooLargeError, match="matrix-free"):
        tiny["ex"].hessian(max_n=5)
    with pytest.raises(TooLargeError, match="matrix-free"):
        tiny["ex"].coefficients(max_n=5)
    with pytest.raises(ValueError):
        M.GDExpansion(tiny["pm"], tiny["loss"], (tiny["X"], y), eta=-1.0)
    with pytest.raises(TypeError, match="batch"):
        M.GDExpansion(tiny["pm"], tiny["loss"], [1, 2], eta=0.1)
    with pytest.raises(ValueError, match="length"):
        tiny["ex"].hvp(np.ones(3))
    with pytest.raises(TypeError, match="scalar"):
        M.GDExpansion(tiny["pm"], lambda o, t: o, (tiny["X"], y), eta=0.1)
    with pytest.raises(ValueError, match="memory"):
        tiny["ex"].hessian(memory_limit=10)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised where CUDA is missing")
def test_cuda_requested_without_cuda_is_a_clear_error(tiny):
    with pytest.raises(M.DeviceUnavailableError, match="device='cpu'"):
        M.GDExpansion(tiny["pm"], tiny["loss"], (tiny["X"], tiny["y"]), eta=0.1, device="cuda")
    assert issubclass(M.DeviceUnavailableError, RuntimeError)
    with pytest.raises(ValueError):
        M.resolve_device("tpu")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu(tiny):  # pragma: no cover - runs only on a GPU machine
    exg = M.GDExpansion(tiny["pm"], tiny["loss"], (tiny["X"], tiny["y"]), eta=0.3, device="cuda")
    assert np.max(np.abs(exg.hessian() - tiny["ex"].hessian())) < 1e-10
    assert np.max(np.abs(exg.third_order() - tiny["ex"].third_order())) < 1e-10


def test_missing_torch_gives_an_actionable_import_error():
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import pyqgd\n"
        "try:\n"
        "    import pyqgd.models\n"
        "except ImportError as e:\n"
        "    print('IMPORT-ERROR:', e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "pip install 'pyqgd[torch]'" in out.stdout
