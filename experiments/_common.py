"""Shared pieces of the experiments: the pruned digits model, evaluation at a survivor vector, output paths."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
FIGURES = HERE / "figures"
RESULTS = HERE / "results"


def out_paths(name: str, figures_dir=None, results_dir=None) -> tuple[Path, Path]:
    """(PNG path, JSON path) for an experiment called ``name``; directories are created."""
    f = Path(figures_dir) if figures_dir is not None else FIGURES
    r = Path(results_dir) if results_dir is not None else RESULTS
    f.mkdir(parents=True, exist_ok=True)
    r.mkdir(parents=True, exist_ok=True)
    return f / f"{name}.png", r / f"{name}.json"


def plotted(name: str, res: dict, plot) -> tuple[Path, Path]:
    """Draw ``plot(res, png)`` into the experiment's figure path; return (figure path, results path)."""
    png, js = out_paths(name)
    plot(res, png)
    return png, js


def finish(data: dict, js: Path, png: Path, seconds: float) -> None:
    """Save the experiment's results and say where the figure and results are."""
    save_json(data, js)
    print(f"figure: {png}\nresults: {js}\n({seconds:.1f} s)")


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    if isinstance(x, (np.floating,)):
        return float(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, float) and not np.isfinite(x):
        return None if np.isnan(x) else ("inf" if x > 0 else "-inf")
    return x


def save_json(data: dict, path) -> Path:
    path = Path(path)
    path.write_text(json.dumps(_jsonable(data), indent=1) + "\n", encoding="utf-8")
    return path


@dataclass
class PrunedSetup:
    """A dense-pre-trained, globally magnitude-pruned model, in float64, with everything needed to train it sparsely.

    ``dense`` is the pre-trained dense model (float64, never modified: it serves as the parameter container for
    :meth:`accuracy`); ``pruned`` the pruned copy (``torch.nn.utils.prune`` reparametrisation); ``mask`` its
    :class:`~pyqgd.models.ParameterMask`; ``theta0`` the survivor values right after pruning.
    """

    dense: object
    pruned: object
    mask: object
    loss_fn: object
    data: object
    dense_test_accuracy: float
    pruned_test_accuracy: float
    amount: float

    @property
    def theta0(self) -> np.ndarray:
        return self.mask.restrict(self.mask.layout.flatten(self.pruned))

    def full_vector(self, theta_surv) -> np.ndarray:
        """Full flat parameter vector with the survivors set to ``theta_surv`` and pruned entries exactly 0."""
        return self.mask.embed(theta_surv)

    def outputs(self, theta_surv, split: str = "train"):
        import torch

        from pyqgd.models.pruning import named_parameter_tensors  # noqa: F401  (layout order = named_parameters order)

        full = torch.as_tensor(self.full_vector(theta_surv), dtype=torch.float64)
        params = {k: torch.as_tensor(v) for k, v in self.mask.layout.unflatten(full).items()}
        X = self.data.X_train if split == "train" else self.data.X_test
        with torch.no_grad():
            return torch.func.functional_call(self.dense, params, (X,))

    def accuracy(self, theta_surv, split: str = "train") -> float:
        y = self.data.y_train if split == "train" else self.data.y_test
        return float((self.outputs(theta_surv, split).argmax(-1) == y).double().mean())

    def loss(self, theta_surv, split: str = "train") -> float:
        y = self.data.y_train if split == "train" else self.data.y_test
        return float(self.loss_fn(self.outputs(theta_surv, split), y))

    def expansion(self, theta_surv, lr: float, batch=None):
        """:class:`~pyqgd.models.GDExpansion` of the full-training-set loss (or ``batch``) at survivors ``theta_surv``."""
        from pyqgd.models import GDExpansion

        data = (self.data.X_train, self.data.y_train) if batch is None else batch
        return GDExpansion(self.pruned, self.loss_fn, data, eta=lr, mask=self.mask, theta_star=np.asarray(theta_surv, float))


def pruned_digits_mlp(*, hidden: int = 32, amount: float = 0.9, epochs: int = 30, seed: int = 0,
                      loss: str = "cross_entropy") -> PrunedSetup:
    """Dense pre-training of the digits MLP (Adam, float32, the zoo's recipe) → float64 → global magnitude pruning.

    ``amount`` is the pruned fraction over all parameters (the paper keeps the largest 10 %: ``amount=0.9``).
    """
    import torch

    from pyqgd.models import accuracy, digits_mlp, global_magnitude_prune

    model, loss_fn, data = digits_mlp(hidden=hidden, epochs=epochs, seed=seed, loss=loss)  # float32: ~8 s vs ~40 s
    model = model.double().eval()
    data = data.to(torch.float64)
    pruned, mask = global_magnitude_prune(model, amount)
    return PrunedSetup(dense=model, pruned=pruned, mask=mask, loss_fn=loss_fn, data=data,
                       dense_test_accuracy=accuracy(model, data), pruned_test_accuracy=accuracy(pruned, data),
                       amount=float(amount))
