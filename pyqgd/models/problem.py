"""From a PyTorch model, a loss and data to a :class:`~pyqgd.problem.GDProblem`: inputs as users have them, pruning
that leaves a trainable network, a connectivity check before the expensive stages, η from the spectrum and an
expansion point with u_in ≠ 0.

:func:`gd_problem` runs, in order (cheap checks first):

1. **Inputs.** :func:`as_batches` accepts ``(X, y)`` / ``[X, y]`` tuples of tensors or numpy arrays, a list of such
   batches, a ``TensorDataset`` or a ``DataLoader`` (all of its batches, or the first ``max_batches``);
   :func:`as_loss` accepts any callable ``loss(outputs, targets)`` incl. ``F.mse_loss``, ``nn.MSELoss()``,
   ``nn.CrossEntropyLoss()`` and checks the shapes on the first batch, with a message that says how to fix them.
2. **Pruning** (:func:`prune`): ``"per_layer"`` (default: every layer keeps the same fraction of its largest-magnitude
   entries, so no layer is emptied) or ``"global"`` (one magnitude threshold over all tensors, the paper's §4
   recipe); normalisation gains and biases are kept by default (``keep=("norm", "bias")``): a pruned LayerNorm gain
   is held at 0 and cuts the network. ``amount=None`` chooses the fraction that leaves about ``max_params``
   survivors, the size at which the exact third-order tensor takes seconds.
3. **Connectivity** (:func:`dead_parameters`): a survivor whose loss gradient vanishes at the checkpoint and at
   random nearby points cannot influence training (e.g. a first-layer weight into a hidden unit with no surviving
   outgoing weight); such survivors are dropped and counted in the provenance notes. If none is left, or F1 = 0,
   :class:`DisconnectedModelError` is raised before any third-order work.
4. **η**: given, or 1/λ_max of the Hessian on the survivors (:func:`pyqgd.spectrum.suggest_eta`), recorded.
5. **Expansion point**: ``expansion_steps = k`` expands at θ* = θ_k, the point k true GD steps after the
   checkpoint θ_0, so GD starts at u_in = θ_0 − θ_k ≠ 0 and passes through u = 0 at step k: the Taylor series is
   accurate along that stretch and the quantum solver has a nonzero state to encode. ``k = 0`` expands at the
   checkpoint (u_in = 0).
6. The exact coefficients (F0, F1, F2) at θ* (:class:`~pyqgd.models.taylor.GDExpansion`), the exact spectrum, and a
   true GD reference trajectory with torch autograd (:func:`~pyqgd.models.trajectory.gd_trajectory`).
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np
from tqdm.auto import tqdm

from pyqgd._checks import check_positive_int
from pyqgd.models._torch import torch
from pyqgd.models.budget import DEFAULT_MEMORY_BUDGET_GB, check_supported_layers, plan_exact_stages, raise_unsupported
from pyqgd.models.pruning import ParameterLayout, ParameterMask, _module_param_entries, deepcopy_module
from pyqgd.problem import GDProblem, Provenance, SpectrumSummary
from pyqgd.spectrum import suggest_eta

__all__ = ["as_batches", "as_loss", "check_loss", "prune", "PruneResult", "dead_parameters", "gd_problem",
           "DisconnectedModelError", "DEFAULT_MAX_PARAMS", "NORM_TYPES"]

#: Survivors targeted by ``amount=None``: the exact ∇³L then takes seconds (n(n+1)/2 third-order passes).
DEFAULT_MAX_PARAMS = 100

NORM_TYPES = (torch.nn.LayerNorm, torch.nn.GroupNorm, torch.nn.modules.batchnorm._BatchNorm,
              torch.nn.modules.instancenorm._InstanceNorm) + ((torch.nn.RMSNorm,) if hasattr(torch.nn, "RMSNorm") else ())


class DisconnectedModelError(ValueError):
    """The pruned network cannot train: no surviving parameter changes the loss (F1 = 0)."""


# ---- inputs --------------------------------------------------------------------------------------------------------

def _tensor(x, name):
    if isinstance(x, torch.Tensor):
        return x
    if isinstance(x, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(x))
    raise TypeError(f"{name} must be a torch tensor or a numpy array, got {type(x).__name__}")


def _pair(b, where):
    if isinstance(b, dict):
        raise TypeError(f"{where} is a dict; pass (inputs, targets) pairs, e.g. [(d['x'], d['y']) for d in loader]")
    if not isinstance(b, (tuple, list)) or len(b) != 2:
        raise TypeError(f"{where} must be a pair (inputs, targets); got {type(b).__name__}"
                        + (f" of length {len(b)}" if isinstance(b, (tuple, list)) else ""))
    x, y = b
    xs = tuple(_tensor(t, "inputs") for t in x) if isinstance(x, (tuple, list)) else _tensor(x, "inputs")
    return xs, _tensor(y, "targets")


def as_batches(data, *, max_batches: int | None = None) -> tuple:
    """``(batches, description)``: ``data`` as a list of ``(inputs, targets)`` tensor pairs and a sentence saying
    how many batches and examples are used.

    Accepted: one pair ``(X, y)`` or ``[X, y]`` (tensors or numpy arrays; ``X`` may be a tuple of tensors passed as
    ``model(*X)``), a list of pairs, a ``torch.utils.data.TensorDataset`` (one full batch) or a ``DataLoader`` (its
    batches, at most ``max_batches``; the loss is the example-weighted mean over them).
    """
    from torch.utils.data import DataLoader, TensorDataset

    if max_batches is not None:
        max_batches = check_positive_int(max_batches, "max_batches")
    if isinstance(data, TensorDataset):
        if len(data.tensors) != 2:
            raise TypeError(f"a TensorDataset must hold (inputs, targets), got {len(data.tensors)} tensors")
        batches = [(data.tensors[0], data.tensors[1])]
        source = "the TensorDataset as one batch"
    elif isinstance(data, DataLoader):
        batches = []
        for i, b in enumerate(data):
            if max_batches is not None and i >= max_batches:
                break
            batches.append(_pair(b, f"batch {i} of the DataLoader"))
        if not batches:
            raise ValueError("the DataLoader yielded no batches; check the dataset is not empty")
        total = len(data) if hasattr(data.dataset, "__len__") else None
        source = f"{len(batches)} of {total if total is not None else '?'} DataLoader batches"
    elif isinstance(data, (tuple, list)) and len(data) == 2 and not _looks_like_pair(data[0]) and \
            isinstance(data[1], (torch.Tensor, np.ndarray)):
        batches = [_pair(data, "data")]
        source = "one batch"
    elif isinstance(data, (tuple, list)) and data and all(_looks_like_pair(b) for b in data):
        batches = [_pair(b, f"batch {i}") for i, b in enumerate(data)]
        if max_batches is not None:
            batches = batches[:max_batches]
        source = f"{len(batches)} batches"
    else:
        raise TypeError("data must be (inputs, targets) — tensors or numpy arrays —, a list of such pairs, a "
                        f"TensorDataset or a DataLoader; got {type(data).__name__}")
    out = []
    for i, (x, y) in enumerate(batches):
        xs = x if isinstance(x, tuple) else (x,)
        m = xs[0].shape[0] if xs[0].dim() > 0 else 1
        if y.dim() > 0 and y.shape[0] != m:
            raise ValueError(f"batch {i}: {m} inputs but {y.shape[0]} targets; inputs and targets need the same first "
                             "(batch) dimension")
        if m == 0:
            raise ValueError(f"batch {i} is empty")
        out.append((x, y))
    n_ex = sum(int(y.shape[0]) if y.dim() > 0 else 1 for _, y in out)
    return out, f"{source}, {n_ex} examples"


def _looks_like_pair(b) -> bool:
    return isinstance(b, (tuple, list)) and len(b) == 2 and isinstance(b[1], (torch.Tensor, np.ndarray))


def _mse(reduction):
    def mse(outputs, targets):
        d = (outputs - targets) ** 2
        return d.mean() if reduction == "mean" else d.sum()

    mse.__name__ = "mse_loss"
    return mse


def _huber(reduction, delta):
    def huber(outputs, targets):
        a = (outputs - targets).abs()
        d = torch.where(a < delta, 0.5 * a * a, delta * (a - 0.5 * delta))
        return d.mean() if reduction == "mean" else d.sum()

    huber.__name__ = "huber_loss"
    return huber


def _loss_name(loss_fn) -> str:
    return getattr(loss_fn, "__name__", None) or type(loss_fn).__name__


def as_loss(loss_fn, model=None, batch=None, *, option: str | None = None):
    """``(loss, name)``: a callable ``loss(outputs, targets) -> scalar`` that torch.func can differentiate three
    times, checked on ``batch`` when ``model`` and ``batch`` are given (:func:`check_loss`).

    ``loss_fn``: a callable, or the name ``"mse"`` / ``"cross_entropy"``. ``F.mse_loss``/``nn.MSELoss`` and
    ``F.huber_loss``/``nn.HuberLoss`` are replaced by the same formula written with elementwise operations: torch's
    fused kernels for them have no usable forward-mode derivative (torch raises "ZeroTensors are immutable" /
    "forward AD not implemented"), which third-order Taylor coefficients need. Other callables are used as they are.
    ``option``: the command-line option that chose the loss by name (the CLI's ``"--loss"``), so that the check's
    messages name the losses as the user can choose them.
    """
    import torch.nn.functional as F

    if loss_fn is None:
        raise TypeError("pass loss_fn, e.g. torch.nn.MSELoss() or torch.nn.functional.cross_entropy")
    if isinstance(loss_fn, str):
        names = {"mse": F.mse_loss, "cross_entropy": F.cross_entropy}
        if loss_fn not in names:
            raise ValueError(f"loss {loss_fn!r} unknown; pass 'mse', 'cross_entropy' or a callable")
        loss_fn = names[loss_fn]
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable as loss_fn(outputs, targets), got {type(loss_fn).__name__}")
    name = _loss_name(loss_fn)
    fn = loss_fn
    red = getattr(loss_fn, "reduction", "mean")
    if loss_fn is F.mse_loss or isinstance(loss_fn, torch.nn.MSELoss):
        fn, kind = _mse(red), "mse"
    elif loss_fn is F.huber_loss or isinstance(loss_fn, torch.nn.HuberLoss):
        fn, kind = _huber(red, float(getattr(loss_fn, "delta", 1.0))), "mse"
    elif loss_fn is F.cross_entropy or isinstance(loss_fn, torch.nn.CrossEntropyLoss):
        kind = "cross_entropy"
    else:
        kind = "other"
    if red not in ("mean", "sum"):
        raise ValueError(f"the loss must reduce to a scalar (reduction 'mean' or 'sum'), got reduction={red!r}")
    if model is not None and batch is not None:
        check_loss(model, fn, batch, kind, name if option is None else f"{option} {kind}", option=option)
    return fn, name


def check_loss(model, fn, batch, kind: str, name: str, *, option: str | None = None) -> None:
    """Check, with one forward pass without gradients, that ``fn`` can train ``model`` on ``batch`` = (inputs,
    targets), before any derivative is taken: the model has trainable parameters and maps the inputs to one
    floating-point tensor; for ``kind`` "mse" the targets are floats of exactly the outputs' shape (torch would
    broadcast (B,) against (B, 1) into a wrong loss); for "cross_entropy" the outputs are (batch, classes ≥ 2) and
    the targets integer labels in [0, classes) of shape (batch,) or class probabilities of the outputs' shape; the
    loss is a finite scalar. ``name`` names the loss in the messages, ``option`` the command-line option that
    chooses one (the suggested alternative is then spelled ``{option} cross_entropy``). Raises ValueError, or
    TypeError for a model or loss that returns something else than a tensor, with what to change."""
    params = list(model.parameters())
    if not params:
        raise ValueError("the model has no parameters: there is nothing to train")
    if not any(p.requires_grad for p in params):
        raise ValueError("every parameter of the model has requires_grad=False (frozen): unfreeze the parameters to "
                         "train (model.requires_grad_(True); for a model file, before saving it)")
    x, y = batch
    xs = tuple(t.to(params[0].dtype) if t.is_floating_point() else t for t in (x if isinstance(x, tuple) else (x,)))
    with torch.no_grad():
        try:
            out = model(*xs)
        except Exception as exc:  # the user's forward may fail in any way on inputs that do not fit
            first = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
            raise ValueError(f"the model rejects inputs of shape {[tuple(t.shape) for t in xs]} "
                             f"({type(exc).__name__}: {first}); check the number of input features and the dtype "
                             "the model expects") from None
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"the model returns a {type(out).__name__}, not one tensor; wrap it to return the output tensor")
    if not out.is_floating_point():
        raise ValueError(f"the model's output is a {out.dtype} tensor, not a floating-point one")
    cross_entropy = f"{option} cross_entropy" if option else "torch.nn.functional.cross_entropy"
    if kind == "mse":
        if not y.is_floating_point():
            raise ValueError(f"{name} needs float targets of the outputs' shape {tuple(out.shape)}, but the targets are "
                             f"integers (class labels?) of shape {tuple(y.shape)}: one-hot encode them "
                             f"(F.one_hot(y, {out.shape[-1]}).float()) or use {cross_entropy}")
        if tuple(y.shape) != tuple(out.shape):
            hint = (f" (y.reshape({out.shape[0]}, 1))" if out.dim() == 2 and out.shape[1] == 1 and y.dim() == 1 else "")
            raise ValueError(f"{name}: outputs have shape {tuple(out.shape)} but targets {tuple(y.shape)}; torch would "
                             f"broadcast them into a wrong loss: reshape the targets to the outputs' shape{hint}")
    if kind == "cross_entropy":
        if out.dim() != 2 or out.shape[1] < 2:
            raise ValueError(f"{name} needs ≥ 2 outputs, (batch, classes ≥ 2), but the model outputs "
                             f"{tuple(out.shape)}: with one output the loss is constant; use MSE / binary cross-entropy, "
                             "or a model with one output per class")
        classes = out.shape[1]
        if y.is_floating_point() and tuple(y.shape) != tuple(out.shape):
            raise ValueError(f"{name}: float targets must be class probabilities of shape {tuple(out.shape)}, got "
                             f"{tuple(y.shape)}; or pass integer class labels of shape ({out.shape[0]},)")
        if not y.is_floating_point() and y.dim() != 1:
            raise ValueError(f"{name}: integer targets must be class labels of shape ({out.shape[0]},), got "
                             f"{tuple(y.shape)}")
        if not y.is_floating_point() and (int(y.min()) < 0 or int(y.max()) >= classes):
            raise ValueError(f"{name}: labels must be in [0, {classes - 1}] for a {classes}-output model, got "
                             f"[{int(y.min())}, {int(y.max())}]")
    with torch.no_grad():
        val = fn(out, y.to(out.dtype) if y.is_floating_point() else y)
    if not isinstance(val, torch.Tensor) or val.numel() != 1:
        raise TypeError(f"{name} must return a scalar tensor (a mean- or sum-reduced loss), got "
                        f"{getattr(val, 'shape', type(val).__name__)}")
    if not math.isfinite(float(val)):
        raise ValueError(f"{name} is {float(val)} on the data: check for NaN/inf inputs")


# ---- pruning -------------------------------------------------------------------------------------------------------

class PruneResult:
    """The mask of a pruning and a sentence describing it."""
    def __init__(self, mask: ParameterMask, description: str):
        self.mask, self.description = mask, description


def _groups(model, keep):
    """[(clean name, numel, kept_always)] in flat order, grouped by owning module (one group per layer)."""
    keep = set(keep)
    bad = keep - {"norm", "bias"}
    if bad:
        raise ValueError(f"keep may hold 'norm' and 'bias', got {sorted(bad)}")
    out = []
    for name, module, attr, value, _ in _module_param_entries(model):
        always = ("norm" in keep and isinstance(module, NORM_TYPES)) or ("bias" in keep and attr.endswith("bias"))
        out.append((name, module, value, always))
    return out


def prune(model, amount=None, *, scope: str = "per_layer", keep=("norm", "bias"),
          max_params: int = DEFAULT_MAX_PARAMS, exclude=None) -> PruneResult:
    """Magnitude pruning as a :class:`ParameterMask` (the model is not modified).

    ``amount``: fraction in [0, 1) of the prunable entries to remove, or ``None`` for the fraction that leaves
    about ``max_params`` survivors in total. ``scope="per_layer"``: every parameter tensor keeps its own largest
    entries (at least one), so no layer is emptied; ``"global"``: one magnitude threshold over all prunable entries
    (``torch.nn.utils.prune.global_unstructured`` semantics). ``keep``: parameter kinds never pruned — ``"norm"``
    (gains and shifts of LayerNorm / BatchNorm / GroupNorm / RMSNorm: held at 0 they would cut the signal) and
    ``"bias"``. ``exclude``: a boolean flat vector of entries never kept (e.g. found disconnected); the next
    largest entries of the same tensors take their place.
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if scope not in ("per_layer", "global"):
        raise ValueError(f"scope must be 'per_layer' or 'global', got {scope!r}")
    groups = _groups(model, keep)
    layout = ParameterLayout.from_model(model)
    fixed = sum(v.numel() for _, _, v, a in groups if a)
    prunable = sum(v.numel() for _, _, v, a in groups if not a)
    if prunable == 0:
        return PruneResult(ParameterMask.full(model), "nothing prunable (all parameters kept by policy)")
    if amount is None:
        max_params = check_positive_int(max_params, "max_params")
        budget = max_params - fixed
        if budget < sum(1 for g in groups if not g[3]):
            if "bias" in keep:
                return prune(model, None, scope=scope, keep=tuple(k for k in keep if k != "bias"), max_params=max_params)
            budget = max(budget, sum(1 for g in groups if not g[3]))
        amount = max(0.0, 1.0 - budget / prunable)
        how = f"auto: ≈ {max_params} survivors"
    else:
        if isinstance(amount, bool) or not isinstance(amount, (int, float, np.floating)) or not 0 <= amount < 1:
            raise ValueError(f"amount must be a fraction in [0, 1) or None (auto), got {amount!r}")
        how = "given"
    flat_keep = []
    excl = np.zeros(layout.total, bool) if exclude is None else np.asarray(exclude, bool).reshape(-1)
    if excl.shape[0] != layout.total:
        raise ValueError(f"exclude must have one entry per parameter ({layout.total}), got {excl.shape[0]}")
    offs = layout.offsets
    mags_all = [np.where(excl[offs[i]:offs[i + 1]], -1.0, v.detach().abs().reshape(-1).double().cpu().numpy())
                for i, (_, _, v, _) in enumerate(groups)]
    if scope == "per_layer":
        for (_, _, v, always), a in zip(groups, mags_all):
            if always:
                flat_keep.append(np.ones(a.size, bool))
                continue
            k = min(max(1, int(round((1 - amount) * a.size))), int(np.sum(a >= 0)))
            m = np.zeros(a.size, bool)
            m[np.argsort(-a, kind="stable")[:k]] = True
            flat_keep.append(m)
    else:
        mags = np.concatenate([a for (_, _, _, always), a in zip(groups, mags_all) if not always])
        k = min(max(1, int(round((1 - amount) * mags.size))), int(np.sum(mags >= 0)))
        thresh_keep = np.zeros(mags.size, bool)
        thresh_keep[np.argsort(-mags, kind="stable")[:k]] = True
        pos = 0
        for _, _, v, always in groups:
            if always:
                flat_keep.append(np.ones(v.numel(), bool))
            else:
                flat_keep.append(thresh_keep[pos:pos + v.numel()])
                pos += v.numel()
    mask = ParameterMask(layout, np.concatenate(flat_keep))
    kept_kinds = " and ".join({"norm": "normalisation parameters", "bias": "biases"}[k] for k in keep) or "nothing"
    desc = (f"{scope.replace('_', ' ')} magnitude pruning of {amount:.1%} of the prunable entries ({how}); "
            f"{kept_kinds} kept; {mask.n_surviving} of {mask.n_total} parameters survive")
    return PruneResult(mask, desc)


def dead_parameters(expansion, *, probes: int = 3, scale: float = 0.1, seed: int = 0) -> np.ndarray:
    """Indices (into the survivors) whose loss gradient is exactly 0 at θ* and at ``probes`` random points
    θ* + δ, δ ~ scale·rms(θ*)·N(0, 1) on the survivors: parameters that cannot influence GD (disconnected)."""
    rng = np.random.default_rng(seed)
    alive = expansion.gradient() != 0
    theta = expansion.theta_star[expansion.mask.indices]
    s = scale * max(float(np.sqrt(np.mean(theta ** 2))), 1e-3)
    for _ in range(probes):
        if alive.all():
            break
        alive |= expansion.gradient(rng.normal(scale=s, size=expansion.n)) != 0
    return np.flatnonzero(~alive)


# ---- the problem ---------------------------------------------------------------------------------------------------

def gd_problem(model, loss_fn, data, *, eta: float | None = None, T: int = 100, prune_amount=None,
               prune_scope: str = "per_layer", keep=("norm", "bias"), max_params: int = DEFAULT_MAX_PARAMS,
               mask: ParameterMask | None = None, expansion_steps: int | str = 0, reference_steps: int = 5,
               max_batches: int | None = None, dtype=None, name: str | None = None,
               max_n: int | None = None, progress: bool = False,
               memory_budget_gb: float = DEFAULT_MEMORY_BUDGET_GB, work: dict | None = None) -> GDProblem:
    """The :class:`~pyqgd.problem.GDProblem` of full-batch GD on a (pruned) PyTorch model (module docstring).

    ``mask`` (a :class:`ParameterMask`) replaces the pruning step; ``prune_amount=0`` keeps every parameter.
    ``dtype`` of the derivatives (default float64: exact coefficients, spectra and reference trajectory).
    ``max_n`` overrides the ceiling on survivors for the exact third-order tensor (default: the memory limit).
    ``expansion_steps``: k ≥ 0 GD steps to θ*, or ``"auto"`` (:func:`_expansion_steps`). ``memory_budget_gb``:
    memory the Hessian and third-order stages may use; their time and memory are predicted before they start
    (:func:`pyqgd.models.budget.plan_exact_stages`, printed when ``progress``) and chunked within it, or refused
    with :class:`~pyqgd.models.budget.MemoryBudgetError` before any allocation. ``work``: a dict filled with the
    plan and the measured seconds of the derivative stages.
    Raises :class:`DisconnectedModelError` when the pruned network cannot train, before any third-order work, and
    :class:`~pyqgd.models.budget.UnsupportedLayerError` for layers torch cannot differentiate in forward mode.
    """
    from pyqgd.models.taylor import GDExpansion, exact_third_max_n
    from pyqgd.models.trajectory import gd_trajectory

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    T = check_positive_int(T, "T")
    reference_steps = check_positive_int(reference_steps, "reference_steps")
    if expansion_steps != "auto" and (isinstance(expansion_steps, bool) or not isinstance(expansion_steps, (int, np.integer))
                                      or expansion_steps < 0):
        raise ValueError(f"expansion_steps must be an integer ≥ 0 or 'auto', got {expansion_steps!r}")
    check_supported_layers(model)
    dtype = torch.float64 if dtype is None else dtype
    batches, data_desc = as_batches(data, max_batches=max_batches)
    base = deepcopy_module(model).to(dtype)
    base.eval()
    loss, loss_name = as_loss(loss_fn, base, batches[0])
    notes = []
    ex, mask, prune_desc = _connected_expansion(model, base, loss, batches, mask, prune_amount, prune_scope, keep,
                                                max_params, dtype, notes)
    limit = exact_third_max_n() if max_n is None else int(max_n)
    if ex.n > limit:
        raise ValueError(f"{ex.n} surviving parameters: the exact third-order tensor fits in memory up to n = {limit}; "
                         f"prune more (e.g. max_params={min(limit, DEFAULT_MAX_PARAMS)}), or use pyqgd.models' "
                         "matrix-free operators (hessian_extremes, slq_density) for the spectrum at this size")
    plan = plan_exact_stages(ex, memory_budget_gb)  # refuses here, before the Hessian, when a row exceeds the budget
    if progress:
        _say(f"{name or type(model).__name__}: {plan.describe()}")
    if work is not None:
        work.update(plan.to_dict())

    t0 = time.perf_counter()
    H0 = _guarded(base, lambda: ex.hessian(progress=progress, chunk_size=plan.hessian_chunk))
    if not np.any(H0):
        raise DisconnectedModelError("F1 = 0: the Hessian on the survivors vanishes, GD cannot move (disconnected)")
    lam0 = np.linalg.eigvalsh(H0)
    eta0 = suggest_eta(lam0.max()) if eta is None else eta
    theta0 = ex.theta_star  # full flat, masked checkpoint
    k, traj = _expansion_steps(expansion_steps, base, loss, batches, eta0, lam0, mask, dtype)
    theta_star = mask.embed(traj[k] + theta0[mask.indices]) if k else theta0
    # the coefficients at η = 1 (F0 = −∇L, F1 = −H, F2 = −∇³L/2), then η from the spectrum at θ* and the map scaled
    exs = GDExpansion(base, loss, batches, eta=1.0, mask=mask, theta_star=theta_star, dtype=dtype)
    coeffs = exs.coefficients(sparse=True, max_n=limit, progress=progress, chunk_size=plan.hessian_chunk,
                              third_rows_per_pass=plan.third_rows)
    if work is not None:
        work["measured_derivatives_seconds"] = time.perf_counter() - t0
    qm1 = coeffs.quadratic_map()
    lam = lam0 if not k else np.linalg.eigvalsh(-qm1.F1.toarray())
    if eta is None:
        eta = suggest_eta(lam.max())
        eta_source = (f"η = 1/λ_max = 1/{lam.max():.4g} = {eta:.4g} (chosen from the Hessian spectrum at the expansion "
                      f"point θ*{'' if not k else f'; the {k} GD steps to θ* used η₀ = 1/λ_max(checkpoint) = {eta0:.4g}'})")
    else:
        eta_source = "given"
    qm = qm1.scaled(eta)
    where = (f"θ* = {k} true GD steps after the pruned checkpoint ({_why_steps(expansion_steps, k, lam0)}); GD "
             "starts at the checkpoint, u_in = θ_0 − θ* ≠ 0" if k else "θ* = the pruned checkpoint (u_in = 0)")
    u_in = (theta0 - theta_star)[mask.indices]
    ref = gd_trajectory(base, loss, batches, eta=eta, T=reference_steps, mask=mask, theta_star=theta_star, dtype=dtype)
    n_total = sum(p.numel() for p in model.parameters())
    notes.extend(_mode_notes(model))
    prov = Provenance(model=name or type(model).__name__, n_total=int(n_total), pruning=prune_desc, loss=loss_name,
                      data=data_desc, expansion_point=where, eta_source=eta_source, notes=tuple(notes))
    return GDProblem(qm, u_in, eta, T, SpectrumSummary(lam), ref, prov)


def _connected_expansion(model, base, loss, batches, mask, prune_amount, prune_scope, keep, max_params, dtype, notes):
    """(GDExpansion at the checkpoint with η = 1, mask, pruning sentence) after pruning and the connectivity check:
    cheap gradients only, before any Hessian or third-order pass. Survivors that cannot move the loss are excluded
    and (when pyqgd pruned) replaced by the next largest entries of the same tensors; ``notes`` gets what was dropped."""
    from pyqgd.models.taylor import GDExpansion

    auto = mask is None and prune_amount != 0
    if mask is None:
        if prune_amount == 0:
            pr = PruneResult(ParameterMask.full(model), "no pruning")
        else:
            pr = prune(model, prune_amount, scope=prune_scope, keep=keep, max_params=max_params)
        mask, prune_desc = pr.mask, pr.description
    else:
        prune_desc = f"given mask: {mask.n_surviving} of {mask.n_total} parameters"

    ex = GDExpansion(base, loss, batches, eta=1.0, mask=mask, dtype=dtype)
    dead = dead_parameters(ex)
    excluded = np.zeros(mask.n_total, bool)
    for _ in range(4 if auto else 0):
        if not dead.size or dead.size == ex.n:
            break
        excluded[mask.indices[dead]] = True
        pr = prune(model, prune_amount, scope=prune_scope, keep=keep, max_params=max_params, exclude=excluded)
        mask, prune_desc = pr.mask, pr.description + f"; {int(excluded.sum())} disconnected entries replaced"
        ex = GDExpansion(base, loss, batches, eta=1.0, mask=mask, dtype=dtype)
        dead = dead_parameters(ex)
    if dead.size == ex.n:
        raise DisconnectedModelError(
            f"the pruned network is disconnected: none of its {ex.n} surviving parameters changes the loss ({prune_desc})."
            " Prune less, use scope='per_layer', or keep=('norm', 'bias')")
    if dead.size:
        keep_flat = np.array(mask.keep)
        keep_flat[mask.indices[dead]] = False
        mask = ParameterMask(mask.layout, keep_flat)
        notes.append(f"{dead.size} surviving parameters do not influence the loss (disconnected) and were dropped")
        ex = GDExpansion(base, loss, batches, eta=1.0, mask=mask, dtype=dtype)
    return ex, mask, prune_desc


#: GD step counts tried by ``expansion_steps="auto"`` (a doubling schedule, capped: steps cost one gradient each).
AUTO_STEPS = (3, 6, 12, 25, 50, 100, 200)


def _expansion_steps(steps, base, loss, batches, eta0, lam0, mask, dtype):
    """(k, GD trajectory u(0..k) from the checkpoint at η₀) for ``expansion_steps`` (an int or ``"auto"``).

    ``"auto"``: on a positive-definite checkpoint Hessian the smallest k of :data:`AUTO_STEPS` with
    ‖F0(θ_k)‖/‖u_in‖ ≤ ½ |Re λ₁(F1)| = ½ η₀ λ_min, where F0(θ_k) = −η₀∇L(θ_k) = θ_{k+1} − θ_k and u_in = θ_0 − θ_k:
    the ‖F0‖/‖u_in‖ term of R (PNAS Eq. 2) then uses at most half of the room R < 1 that Theorem 1 and the quantum
    solver need (the k minimising that ratio when none reaches it). Otherwise (a non-convex checkpoint, where no k
    brings R below 1) k = 3. The rule reads only the model, never whether a simulation follows.
    """
    from pyqgd.models.trajectory import gd_trajectory

    if steps == "auto":
        lmin = float(lam0.min())
        if eta0 * lmin < 1e-3:
            steps = AUTO_STEPS[0]
        else:
            traj = gd_trajectory(base, loss, batches, eta=eta0, T=AUTO_STEPS[-1] + 1, mask=mask, dtype=dtype)
            ratios = []
            for k in AUTO_STEPS:
                u = np.linalg.norm(traj[0] - traj[k])
                ratios.append(np.linalg.norm(traj[k + 1] - traj[k]) / u if u > 0 else np.inf)
                if ratios[-1] <= 0.5 * eta0 * lmin:
                    return k, traj
            return AUTO_STEPS[int(np.argmin(ratios))], traj
    elif isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"expansion_steps must be an integer ≥ 0 or 'auto', got {steps!r}")
    steps = int(steps)
    if not steps:
        return 0, None
    return steps, gd_trajectory(base, loss, batches, eta=eta0, T=steps, mask=mask, dtype=dtype)


def _why_steps(asked, k, lam0):
    if asked != "auto":
        return "expansion_steps given"
    if k == AUTO_STEPS[0] and lam0.min() <= 0:
        return "automatic: the checkpoint Hessian is not positive definite, the default 3 steps"
    return "automatic: the fewest steps of 3, 6, …, 200 with ‖F0‖/‖u_in‖ ≤ ½ η λ_min, so R < 1 is within reach"


def _mode_notes(model) -> list:
    """What eval mode changes in this model (BatchNorm uses running statistics, Dropout is off), in words."""
    bn = [n for n, m in model.named_modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    do = [n for n, m in model.named_modules() if isinstance(m, torch.nn.modules.dropout._DropoutNd)]
    if not bn and not do:
        return []
    parts = ([f"BatchNorm ({', '.join(bn)}) uses its running statistics"] if bn else []) + \
            ([f"Dropout ({', '.join(do)}) is off"] if do else [])
    return ["analysed in eval mode (module.eval()): " + " and ".join(parts)
            + "; the GD map is that of the deterministic eval-mode loss"]


def _say(text: str) -> None:

    tqdm.write(text, file=sys.stderr)


def _guarded(model, run):
    """``run()``, with torch's "not implemented for forward AD" turned into an UnsupportedLayerError naming the layer."""
    try:
        return run()
    except (NotImplementedError, RuntimeError) as exc:
        raise_unsupported(model, exc, run)
