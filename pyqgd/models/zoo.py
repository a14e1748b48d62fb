"""Small embedded models for demos and tests: an MLP and a CNN on scikit-learn's digits, a tiny transformer.

Each factory returns ``(model, loss_fn, data)``: a ``torch.nn.Module``, a loss ``loss_fn(outputs, targets)`` and a
:class:`TaskData` with train/test tensors. Nothing is downloaded: the digits ship with scikit-learn
(``sklearn.datasets.load_digits``: 1797 8×8 images, 10 classes) and the transformer's sequences are generated.
With ``pretrained=True`` (default) the model is trained for a few seconds with a fixed seed (Adam), so demos and
tests start from a sensible checkpoint; :func:`train` and :func:`accuracy` are exposed for reuse.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from pyqgd._checks import check_positive_float, check_positive_int
from pyqgd.models._torch import resolve_dtype, torch

__all__ = [
    "TaskData",
    "digits_data",
    "sequence_data",
    "digits_mlp",
    "digits_cnn",
    "sequence_transformer",
    "SequenceTransformer",
    "mse_onehot",
    "train",
    "accuracy",
]


@dataclass(frozen=True)
class TaskData:
    """A classification task as tensors: inputs X (float or token ids) and integer labels y, train and test."""

    X_train: "torch.Tensor"
    y_train: "torch.Tensor"
    X_test: "torch.Tensor"
    y_test: "torch.Tensor"
    n_classes: int

    def batch(self, size: int | None = None, *, seed: int = 0, split: str = "train") -> tuple:
        """One batch (X, y): the first ``size`` samples of a seeded permutation of the split (all if None)."""
        X, y = (self.X_train, self.y_train) if split == "train" else (self.X_test, self.y_test)
        if size is None or size >= len(y):
            return X, y
        size = check_positive_int(size, "size")
        perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))[:size]
        return X[perm], y[perm]

    def to(self, dtype=None) -> "TaskData":
        """The same data with floating inputs cast to ``dtype``."""
        dt = resolve_dtype(dtype, torch.float32)

        def cast(t):
            return t.to(dt) if t.is_floating_point() else t

        return TaskData(cast(self.X_train), self.y_train, cast(self.X_test), self.y_test, self.n_classes)


def mse_onehot(outputs: "torch.Tensor", targets: "torch.Tensor") -> "torch.Tensor":
    """Mean squared error between outputs and one-hot targets (mean over samples and classes)."""
    onehot = torch.nn.functional.one_hot(targets, outputs.shape[-1]).to(outputs.dtype)
    return torch.mean((outputs - onehot) ** 2)


def digits_data(*, image: bool = False, test_fraction: float = 0.2, seed: int = 0, dtype=torch.float32) -> TaskData:
    """scikit-learn's digits, pixel values scaled to [0, 1]; (N, 64) or (N, 1, 8, 8) when ``image``."""
    from sklearn.datasets import load_digits

    d = load_digits()
    X = torch.as_tensor(d.data / 16.0, dtype=resolve_dtype(dtype, torch.float32))
    y = torch.as_tensor(d.target, dtype=torch.long)
    if image:
        X = X.reshape(-1, 1, 8, 8)
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    n_test = int(round(test_fraction * len(y)))
    te, tr = perm[:n_test], perm[n_test:]
    return TaskData(X[tr], y[tr], X[te], y[te], 10)


def sequence_data(*, n_samples: int = 2000, length: int = 10, vocab: int = 8, seed: int = 0,
                  test_fraction: float = 0.2) -> TaskData:
    """Generated token sequences; label 1 iff token 1 occurs more often than token 2 (ties removed)."""
    rng = np.random.default_rng(seed)
    out_x, out_y = [], []
    while len(out_y) < n_samples:
        x = rng.integers(0, vocab, size=(2 * n_samples, length))
        c1, c2 = (x == 1).sum(1), (x == 2).sum(1)
        ok = c1 != c2
        out_x.append(x[ok])
        out_y.append((c1 > c2)[ok].astype(np.int64))
    X = torch.as_tensor(np.concatenate(out_x)[:n_samples])
    y = torch.as_tensor(np.concatenate(out_y)[:n_samples])
    n_test = int(round(test_fraction * n_samples))
    return TaskData(X[n_test:], y[n_test:], X[:n_test], y[:n_test], 2)


class SequenceTransformer(torch.nn.Module):
    """Token + position embedding, ``n_layers`` ``nn.TransformerEncoderLayer`` (dropout 0), mean pooling, linear head.

    Parameters ≈ n_layers·(4d² + 2·d·dim_feedforward) + (vocab + length)·d: with dim_feedforward = 4d,
    d = 64 / 2 layers ≈ 10^5, d = 128 / 5 layers ≈ 10^6, d = 256 / 9 layers ≈ 7×10^6 (benchmarks/hvp.py).
    """

    def __init__(self, vocab: int = 8, length: int = 10, d_model: int = 16, nhead: int = 2, dim_feedforward: int = 32,
                 n_classes: int = 2, n_layers: int = 1):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, d_model)
        self.pos = torch.nn.Parameter(0.1 * torch.randn(length, d_model))
        self.layers = torch.nn.ModuleList(
            torch.nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout=0.0, batch_first=True)
            for _ in range(check_positive_int(n_layers, "n_layers"))
        )
        self.head = torch.nn.Linear(d_model, n_classes)

    def forward(self, x):
        h = self.embed(x) + self.pos[: x.shape[1]]
        for layer in self.layers:
            h = layer(h)
        return self.head(h.mean(dim=1))


def accuracy(model, data: TaskData, split: str = "test") -> float:
    """Fraction of correctly classified samples of a split (model in eval mode, no gradients)."""
    X, y = (data.X_train, data.y_train) if split == "train" else (data.X_test, data.y_test)
    was = model.training
    model.eval()
    with torch.no_grad():
        pred = model(X.to(next(model.parameters()).dtype) if X.is_floating_point() else X).argmax(-1)
    model.train(was)
    return float((pred == y).double().mean())


def train(model, loss_fn, data: TaskData, *, epochs: int = 30, lr: float = 1e-2, batch_size: int = 64,
          seed: int = 0, progress: bool = False) -> dict:
    """Train in place with Adam (mini-batches, seeded shuffling); returns {"loss", "train_accuracy", "test_accuracy"}.

    Works on pruned models too (``torch.nn.utils.prune`` keeps the masked entries at zero).
    """

    epochs = check_positive_int(epochs, "epochs")
    lr = check_positive_float(lr, "lr")
    batch_size = check_positive_int(batch_size, "batch_size")
    g = torch.Generator().manual_seed(seed)
    dtype = next(model.parameters()).dtype
    X = data.X_train.to(dtype) if data.X_train.is_floating_point() else data.X_train
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    last = float("nan")
    for _ in tqdm(range(epochs), disable=not progress, desc="training"):
        perm = torch.randperm(len(data.y_train), generator=g)
        for i in range(0, len(perm), batch_size):
            idx = perm[i:i + batch_size]
            opt.zero_grad()
            loss = loss_fn(model(X[idx]), data.y_train[idx])
            loss.backward()
            opt.step()
            last = float(loss.detach())
    model.eval()
    return {"loss": last, "train_accuracy": accuracy(model, data, "train"), "test_accuracy": accuracy(model, data, "test")}


def _loss(name):
    if name == "cross_entropy":
        return torch.nn.functional.cross_entropy
    if name == "mse":
        return mse_onehot
    raise ValueError(f"loss must be 'cross_entropy' or 'mse', got {name!r}")


def digits_mlp(*, hidden: int = 32, loss: str = "cross_entropy", pretrained: bool = True, epochs: int = 30,
               seed: int = 0, dtype=torch.float32):
    """MLP 64 → hidden → 10 (tanh) on the digits: (model, loss_fn, data). ~95% test accuracy in ~2 s when trained.

    ``hidden=0`` gives the linear model 64 → 10 (650 parameters).
    """
    dtype = resolve_dtype(dtype, torch.float32)
    torch.manual_seed(seed)
    if hidden:
        model = torch.nn.Sequential(torch.nn.Linear(64, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, 10))
    else:
        model = torch.nn.Sequential(torch.nn.Linear(64, 10))
    model = model.to(dtype)
    data = digits_data(seed=seed, dtype=dtype)
    loss_fn = _loss(loss)
    if pretrained:
        train(model, loss_fn, data, epochs=epochs, lr=1e-2, seed=seed)
    model.eval()
    return model, loss_fn, data


def digits_cnn(*, channels: int = 8, activation: str = "relu", pool: str = "max", loss: str = "cross_entropy", pretrained: bool = True,
               epochs: int = 15, seed: int = 0, dtype=torch.float32):
    """CNN on 8×8 digits: conv3×3(1→c) act pool, conv3×3(c→2c) act pool, linear(8c → 10): (model, loss_fn, data).

    ``activation``: "relu" (default) or "tanh"; ``pool``: "max" (default) or "avg". ReLU and max-pooling make the
    loss piecewise smooth: the Taylor coefficients hold inside one activation / argmax pattern, and max-pool windows
    over the digits' blank borders hold exact ties, so finite differences there disagree with them. Use
    ``activation="tanh", pool="avg"`` where smoothness matters (tests of ∇³L against finite differences).
    """
    dtype = resolve_dtype(dtype, torch.float32)
    torch.manual_seed(seed)
    c = check_positive_int(channels, "channels")
    acts = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}
    if activation not in acts:
        raise ValueError(f"activation must be 'relu' or 'tanh', got {activation!r}")
    act = acts[activation]
    pools = {"max": torch.nn.MaxPool2d, "avg": torch.nn.AvgPool2d}
    if pool not in pools:
        raise ValueError(f"pool must be 'max' or 'avg', got {pool!r}")
    pl = pools[pool]
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, c, 3, padding=1), act(), pl(2),
        torch.nn.Conv2d(c, 2 * c, 3, padding=1), act(), pl(2),
        torch.nn.Flatten(), torch.nn.Linear(2 * c * 4, 10),
    ).to(dtype)
    data = digits_data(image=True, seed=seed, dtype=dtype)
    loss_fn = _loss(loss)
    if pretrained:
        train(model, loss_fn, data, epochs=epochs, lr=1e-2, seed=seed)
    model.eval()
    return model, loss_fn, data


def sequence_transformer(*, d_model: int = 16, nhead: int = 2, dim_feedforward: int = 32, n_layers: int = 1,
                         length: int = 10, vocab: int = 8, n_samples: int = 2000, pretrained: bool = True,
                         epochs: int = 20, seed: int = 0, dtype=torch.float32):
    """Tiny transformer (one ``TransformerEncoderLayer``) classifying generated sequences: (model, loss_fn, data).

    Task: is token 1 more frequent than token 2? (:func:`sequence_data`).
    """
    dtype = resolve_dtype(dtype, torch.float32)
    torch.manual_seed(seed)
    model = SequenceTransformer(vocab, length, d_model, nhead, dim_feedforward, 2, n_layers).to(dtype)
    data = sequence_data(n_samples=n_samples, length=length, vocab=vocab, seed=seed)
    loss_fn = torch.nn.functional.cross_entropy
    if pretrained:
        train(model, loss_fn, data, epochs=epochs, lr=3e-3, seed=seed)
    model.eval()
    return model, loss_fn, data
