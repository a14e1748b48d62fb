"""Model families a PyTorch user brings, each as ``(model, loss_fn, data)`` ready for :func:`pyqgd.report.analyze`.

Used by ``benchmarks/verdicts.py``, the tests and notebook 04 to check that the verdict and the cost of the analysis
behave on typical architectures, not only on the zoo's digits models:

* :func:`tanh_mlp` — the zoo's digits MLP 64 → 16 → 10 (tanh) with the one-hot MSE loss (``analyze("mlp")``);
* :func:`bn_dropout_cnn` — a small CNN with BatchNorm and Dropout on the 8×8 digits (analysed in eval mode);
* :func:`gru_regressor` — a one-layer GRU reading a sequence, a linear head, MSE;
* :func:`converged_logistic` — logistic regression (8 features, one logit) trained to convergence on data that
  are not separable: a strictly convex loss at its minimum, the paper's dissipative regime;
* :func:`sparse_trained_mlp` — the paper's setting (Liu et al. 2024, §4) on a small scale: a pruned tanh MLP
  trained *sparse* (the pruned entries held at 0) to convergence, so the checkpoint is a minimum of the loss on
  the survivors (4 of them: small enough for the Q# simulator);
* :func:`transformer_block` — the zoo's one-layer transformer;
* :func:`readme_model` — the README's quick-start model (Linear, LayerNorm, GELU, Linear, 200 Adam steps).
"""

from __future__ import annotations

from pyqgd.models._torch import torch
from pyqgd.models.zoo import digits_data, digits_mlp, sequence_transformer

__all__ = ["FAMILIES", "tanh_mlp", "bn_dropout_cnn", "gru_regressor", "converged_logistic", "sparse_trained_mlp",
           "transformer_block", "readme_model"]

nn = torch.nn
F = torch.nn.functional


def _logistic_loss(outputs, targets):
    """Binary logistic loss log(1 + exp(−y z)) for labels y ∈ {0, 1} and one logit z (softplus: forward-mode AD)."""
    return F.softplus(-(2 * targets - 1) * outputs).mean()


def _mse(outputs, targets):
    return ((outputs - targets) ** 2).mean()


def tanh_mlp(seed: int = 0):
    """The zoo's digits MLP (hidden 16, tanh, one-hot MSE), 256 training examples."""
    model, loss_fn, task = digits_mlp(hidden=16, loss="mse", seed=seed)
    return model, loss_fn, task.batch(256, seed=seed)


class _BNDropoutCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.Tanh(), nn.AvgPool2d(2),
                                 nn.Dropout(0.2), nn.Flatten(), nn.Linear(4 * 4 * 4, 10))

    def forward(self, x):
        return self.net(x)


def bn_dropout_cnn(seed: int = 0):
    """Conv 3×3 (1 → 4), BatchNorm, tanh, average pool, Dropout(0.2), linear 64 → 10 on the digits images
    (698 parameters), trained 15 epochs with cross-entropy; 64 examples."""
    from pyqgd.models.zoo import train

    torch.manual_seed(seed)
    model = _BNDropoutCNN()
    task = digits_data(image=True, seed=seed)
    train(model, F.cross_entropy, task, epochs=15, lr=1e-2, seed=seed)
    model.eval()
    return model, F.cross_entropy, task.batch(64, seed=seed)


class _GRURegressor(nn.Module):
    def __init__(self, hidden: int = 6):
        super().__init__()
        self.gru = nn.GRU(1, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        out, _ = self.gru(x)
        return self.head(out[:, -1])


def gru_regressor(seed: int = 0):
    """GRU(1 → 6) over sequences of length 12, linear head, MSE on the sequence's running mean (169 parameters),
    100 Adam steps; 128 sequences."""
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    X = torch.randn(128, 12, 1, generator=g)
    y = X.mean(dim=1)
    model = _GRURegressor()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(100):
        opt.zero_grad()
        _mse(model(X), y).backward()
        opt.step()
    return model, F.mse_loss, (X, y)


def _lbfgs(model, loss_fn, X, y, masks=None, rounds: int = 5):
    """Train to convergence (gradient norm → 10⁻¹²) by L-BFGS; ``masks`` hold pruned entries at 0 (sparse training)."""
    opt = torch.optim.LBFGS(model.parameters(), lr=1, max_iter=500, tolerance_grad=1e-12, tolerance_change=0,
                            history_size=20, line_search_fn="strong_wolfe")

    def closure():
        if masks is not None:
            with torch.no_grad():
                for p, m in zip(model.parameters(), masks):
                    p.mul_(m)
        opt.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        if masks is not None:
            for p, m in zip(model.parameters(), masks):
                p.grad.mul_(m)
        return loss

    for _ in range(rounds):
        opt.step(closure)
    if masks is not None:
        with torch.no_grad():
            for p, m in zip(model.parameters(), masks):
                p.mul_(m)


def converged_logistic(seed: int = 0, features: int = 8):
    """Logistic regression (``nn.Linear(features, 1)``, one logit, 9 parameters) on 256 noisy, not separable points,
    trained by L-BFGS to a gradient norm ~10⁻¹²: the loss is strictly convex, the checkpoint its minimum."""
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    X = torch.randn(256, features, generator=g, dtype=torch.float64)
    w = torch.randn(features, generator=g, dtype=torch.float64)
    y = ((X @ w + 1.0 * torch.randn(256, generator=g, dtype=torch.float64)) > 0).double().reshape(-1, 1)
    model = nn.Linear(features, 1).double()
    _lbfgs(model, _logistic_loss, X, y)
    return model, _logistic_loss, (X, y)


def sparse_trained_mlp(seed: int = 0):
    """The paper's setting on a small scale: a tanh MLP 3 → 2 → 1 (11 parameters) pruned to a sparse pattern of 4
    weights (hidden unit k reads input k only, both feed the output; biases pruned) and trained *sparse* (pruned
    entries held at 0) by L-BFGS to convergence on a teacher of the same pattern plus noise. Exact zeros mark the
    pruned entries, so ``analyze(..., max_params=4, keep=(), prune_scope="global")`` analyses exactly the survivors."""
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    X = torch.randn(128, 3, generator=g, dtype=torch.float64)
    y = 0.8 * torch.tanh(0.9 * X[:, :1]) - 0.6 * torch.tanh(0.7 * X[:, 1:2])
    y = y + 0.05 * torch.randn(128, 1, generator=g, dtype=torch.float64)
    model = nn.Sequential(nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 1)).double()
    masks = [torch.tensor([[1.0, 0, 0], [0, 1.0, 0]], dtype=torch.float64), torch.zeros(2, dtype=torch.float64),
             torch.ones(1, 2, dtype=torch.float64), torch.zeros(1, dtype=torch.float64)]
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[0.5, 0, 0], [0, 0.5, 0]]))
        model[2].weight.copy_(torch.tensor([[0.5, -0.5]]))
    _lbfgs(model, _mse, X, y, masks=masks)
    return model, F.mse_loss, (X, y)


def transformer_block(seed: int = 0):
    """The zoo's one-layer transformer (d = 16, 2 heads) on 64 generated sequences."""
    model, loss_fn, task = sequence_transformer(seed=seed)
    return model, loss_fn, task.batch(64, seed=seed)


def readme_model(seed: int = 0):
    """The README quick-start model: Linear(8, 16), LayerNorm, GELU, Linear(16, 2), 200 Adam steps, cross-entropy."""
    torch.manual_seed(seed)
    X = torch.randn(256, 8)
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).long()
    model = nn.Sequential(nn.Linear(8, 16), nn.LayerNorm(16), nn.GELU(), nn.Linear(16, 2))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(200):
        opt.zero_grad()
        F.cross_entropy(model(X), y).backward()
        opt.step()
    return model, nn.CrossEntropyLoss(), (X, y)


#: name → factory, in the order benchmarks/verdicts.py measures them.
FAMILIES = {"tanh_mlp": tanh_mlp, "bn_dropout_cnn": bn_dropout_cnn, "gru": gru_regressor,
            "converged_logistic": converged_logistic, "sparse_trained_mlp": sparse_trained_mlp,
            "transformer_block": transformer_block, "readme_model": readme_model}
