"""The pipeline on PyTorch models as users bring them: zoo models, user-style architectures, common losses and data
containers, float32 spectra, and a PyTorch model through the Q# solver with u_in ≠ 0."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from pyqgd.models import DisconnectedModelError, as_batches, gd_problem, prune  # noqa: E402
from pyqgd.problem import GDProblem  # noqa: E402
from pyqgd.report.pipeline import analyze  # noqa: E402

VERDICTS = {"dissipative", "almost dissipative", "not applicable"}
FAST = dict(max_params=24, simulate=False, T=20, check_steps=3, presets=("qubit_gate_ns_e4",), loadings=("qrom",))


@pytest.fixture(autouse=True)
def _one_thread(torch_single_thread):
    yield


def _connected(report):
    assert report.stopped is None or "not applicable" in report.stopped
    assert report.n > 0 and report.problem["F1_nnz"] > 0
    assert report.verdict in VERDICTS
    assert report.problem["provenance"]["eta_source"].startswith("η = 1/λ_max")
    return report


@pytest.mark.parametrize("zoo", ["mlp", "cnn", pytest.param("transformer", marks=pytest.mark.slow)])
def test_analyze_zoo_models_connected_with_a_verdict(zoo):
    r = _connected(analyze(zoo, **FAST))
    assert r.n <= (24 if zoo != "transformer" else 24 + 64)  # + the transformer's LayerNorm parameters (kept)
    if r.verdict != "not applicable":
        assert r.estimates, "a verdict inside the regime comes with cost tables"
    else:
        assert r.estimates == [] and r.break_even == []


class LayerNormGeluMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(6, 8), nn.LayerNorm(8), nn.GELU(), nn.Linear(8, 3))

    def forward(self, x):
        return self.net(x)


class SmallBatchNormCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.BatchNorm2d(3), nn.Tanh(), nn.AvgPool2d(2),
                                 nn.Flatten(), nn.Linear(3 * 4 * 4, 2))

    def forward(self, x):
        return self.net(x)


def test_user_models_layernorm_gelu_and_batchnorm_cnn():
    g = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    X, y = torch.randn(64, 6, generator=g), torch.randint(0, 3, (64,), generator=g)
    r = _connected(analyze(LayerNormGeluMLP(), loss_fn=nn.CrossEntropyLoss(), data=(X, y), **FAST))
    assert r.problem["provenance"]["loss"] == "CrossEntropyLoss"
    # normalisation gains are kept, never pruned to 0 (which would cut the network)
    mask = prune(LayerNormGeluMLP(), max_params=24).mask
    assert mask.keep[mask.layout.offsets[2]:mask.layout.offsets[4]].all()
    Xi, yi = torch.randn(32, 1, 8, 8, generator=g), torch.randn(32, 2, generator=g)
    _connected(analyze(SmallBatchNormCNN().eval(), loss_fn=F.mse_loss, data=(Xi, yi), **FAST))


def _tiny_regression(n=48, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 3, generator=g)
    Y = torch.tanh(X @ torch.tensor([[0.5, -0.3], [0.2, 0.4], [-0.1, 0.3]])) + 0.05 * torch.randn(n, 2, generator=g)
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)), X, Y


@pytest.mark.parametrize("loss", [F.mse_loss, nn.MSELoss(), nn.MSELoss(reduction="sum")])
def test_mse_losses_work_through_third_order(loss):
    model, X, Y = _tiny_regression()
    p = gd_problem(model, loss, (X, Y), prune_amount=0, T=10, reference_steps=2)
    assert isinstance(p, GDProblem) and p.n == 26 and p.qmap.F2.nnz > 0
    # the rewritten loss is the same function: compare the map's F0 with torch autograd's gradient
    m64 = model.double()
    m64.zero_grad()
    loss(m64(X.double()), Y.double()).backward()
    g = torch.cat([q.grad.reshape(-1) for q in m64.parameters()]).numpy()
    np.testing.assert_allclose(p.qmap.F0, -p.eta * g, rtol=1e-9, atol=1e-12)


def test_data_containers_and_clear_mismatch_messages():
    model, X, Y = _tiny_regression()
    ds = torch.utils.data.TensorDataset(X, Y)
    loader = torch.utils.data.DataLoader(ds, batch_size=16)
    b1, d1 = as_batches((X.numpy(), Y.numpy()))
    b2, d2 = as_batches(ds)
    b3, d3 = as_batches(loader)
    b4, d4 = as_batches(loader, max_batches=2)
    assert len(b1) == len(b2) == 1 and len(b3) == 3 and len(b4) == 2
    assert "3 of 3 DataLoader batches, 48 examples" in d3 and "2 of 3" in d4
    p_full = gd_problem(model, F.mse_loss, ds, prune_amount=0, reference_steps=2, eta=0.1)
    p_loader = gd_problem(model, F.mse_loss, loader, prune_amount=0, reference_steps=2, eta=0.1)
    assert "DataLoader" in p_loader.provenance.data
    # equal batches weighted by their size: the same full-data mean loss
    np.testing.assert_allclose(p_loader.qmap.F0, p_full.qmap.F0, rtol=1e-9, atol=1e-13)
    with pytest.raises(ValueError, match=r"reshape\(48, 1\)"):
        gd_problem(nn.Linear(3, 1), F.mse_loss, (X, Y[:, 0]), prune_amount=0)
    with pytest.raises(ValueError, match="one-hot"):
        gd_problem(model, nn.MSELoss(), (X, torch.zeros(48, dtype=torch.long)), prune_amount=0)
    with pytest.raises(ValueError, match="≥ 2 outputs"):
        gd_problem(nn.Linear(3, 1), F.cross_entropy, (X, torch.zeros(48, dtype=torch.long)), prune_amount=0)
    with pytest.raises(ValueError, match="48 inputs but 40 targets"):
        gd_problem(model, F.mse_loss, (X, Y[:40]), prune_amount=0)
    with pytest.raises(TypeError, match="DataLoader"):
        gd_problem(model, F.mse_loss, {"x": X}, prune_amount=0)


LOSS_CASES = [  # (outputs, loss name, targets, message both the API and the CLI give)
    (2, "cross_entropy", torch.full((48,), 5), "labels must be in [0, 1] for a 2-output model, got [5, 5]"),
    (2, "cross_entropy", torch.zeros(48, 1), "float targets must be class probabilities of shape (48, 2)"),
    (2, "cross_entropy", torch.zeros(48, 1, dtype=torch.long), "integer targets must be class labels of shape (48,)"),
    (1, "mse", torch.zeros(48, 1, dtype=torch.long), "integers (class labels?) of shape (48, 1)"),
    (1, "mse", torch.zeros(48), "reshape the targets to the outputs' shape (y.reshape(48, 1))"),
]


@pytest.mark.parametrize("outputs,loss,y,message", LOSS_CASES, ids=[c[3][:30] for c in LOSS_CASES])
def test_one_loss_check_for_the_api_and_the_cli(outputs, loss, y, message):
    """gd_problem (as_loss) and the CLI's check of model and data files (check_model_data) run the same check:
    the same message, the loss named as the caller chose it."""
    from pyqgd.models.files import ModelFileError, check_model_data

    X = torch.randn(48, 3)
    with pytest.raises(ValueError) as api:
        gd_problem(nn.Linear(3, outputs), loss, (X, y), prune_amount=0)
    with pytest.raises(ModelFileError) as cli:
        check_model_data(nn.Linear(3, outputs), (X, y), loss)
    assert message in str(api.value) and message in str(cli.value)
    assert str(cli.value).startswith(f"--loss {loss}") and "--loss" not in str(api.value)


def test_a_frozen_model_is_refused_before_any_derivative():
    model = nn.Linear(3, 1).requires_grad_(False)
    with pytest.raises(ValueError, match="requires_grad=False"):
        gd_problem(model, "mse", (torch.randn(8, 3), torch.randn(8, 1)), prune_amount=0)


def test_disconnected_network_stops_before_expensive_stages():
    model, X, Y = _tiny_regression()
    with torch.no_grad():
        model[2].weight.zero_()  # no path from the hidden layer to the outputs
        model[2].bias.zero_()
    keep = np.zeros(26, bool)
    keep[:12] = True  # only first-layer weights survive
    from pyqgd.models import ParameterMask

    mask = ParameterMask(prune(model, 0.0).mask.layout, keep)
    with pytest.raises(DisconnectedModelError, match="disconnected"):
        gd_problem(model, F.mse_loss, (X, Y), mask=mask)


def test_float32_lanczos_matches_eigvalsh_of_the_exact_hessian():
    from pyqgd.models import GDExpansion, digits_mlp, global_magnitude_prune, hessian_extremes

    model, loss_fn, data = digits_mlp(hidden=16, epochs=10)
    pruned, mask = global_magnitude_prune(model, 0.9)
    batch = data.batch(256)
    ex32 = GDExpansion(pruned, loss_fn, batch, eta=0.5)
    assert ex32.dtype == torch.float32
    ev = np.linalg.eigvalsh(GDExpansion(pruned, loss_fn, batch, eta=0.5, dtype=torch.float64).hessian())
    r = hessian_extremes(ex32, k=5)
    top, bottom = ev[::-1][:5], ev[:5]
    assert r.converged
    assert np.max(np.abs(r.largest - top) / np.abs(top)) <= 1e-4
    assert np.max(np.abs(r.smallest - bottom) / np.abs(bottom)) <= 1e-4


def test_pytorch_model_with_nonzero_u_in_through_the_qsharp_solver():
    from pyqgd.carleman import discrete_carleman
    from pyqgd.quantum import solve_gd

    g = torch.Generator().manual_seed(1)
    X = torch.randn(32, 1, generator=g)
    Y = torch.tanh(0.8 * X + 0.1)
    model = nn.Sequential(nn.Linear(1, 1), nn.Tanh())
    with torch.no_grad():
        model[0].weight.fill_(0.7)  # near the teacher (0.8, 0.1): the GD map is dissipative (R ≈ 0.86 < 1)
        model[0].bias.fill_(0.0)
    p = gd_problem(model, F.mse_loss, (X, Y), prune_amount=0, expansion_steps=3, T=4, reference_steps=4)
    assert p.n == 2 and np.linalg.norm(p.u_in) > 1e-3
    assert "3 true GD steps" in p.provenance.expansion_point
    # parameters="exact": precision from the classical history solution (a simulation study at this tiny size)
    res = solve_gd(discrete_carleman(p.qmap, 2), p.u_in, 4, epsilon=0.05, amplify=False, angle_bits=24,
                   parameters="exact")
    assert res.fidelity_carleman >= 0.99
    # the reference trajectory is true GD on the model: it ends near the classical Carleman solution
    assert np.linalg.norm(res.u_carleman - p.reference[4]) <= 0.05 * np.linalg.norm(p.u_in)


def test_analyze_stops_on_a_disconnected_network_without_cost_tables():
    model, X, Y = _tiny_regression()
    with torch.no_grad():  # the smallest entries are the whole output layer: global pruning removes it
        model[2].weight.zero_()
        model[2].bias.zero_()
    r = analyze(model, loss_fn=F.mse_loss, data=(X, Y), prune=0.5, prune_scope="global", keep=(), **{
        k: v for k, v in FAST.items() if k != "max_params"})
    assert r.verdict == "not applicable" and r.stopped.startswith("disconnected")
    assert r.estimates == [] and r.break_even == [] and "disconnected" in r.verdict_reasons[0]
