"""Time and memory of the exact Hessian and third-order stages, predicted before they start, and the layers whose
derivatives torch cannot take.

**Memory.** A vmapped forward-over-reverse pass over k tangent vectors keeps about k copies of the forward
activations (and their tangents): peak ≈ c_H · 8 bytes · A · k for k Hessian rows, where A is the number of
activation entries of one forward pass over the largest batch. A
third-order row is the forward-mode derivative of the whole Hessian (``torch.func.hessian`` vmaps over all n
basis vectors), so k rows take ≈ c_K · 8 · A · n · k. A counts the entries autograd saves for one backward pass
(:func:`activation_entries`). The constants (c_H = c_K = 6, plus a fixed 64 MiB) are upper envelopes of the
resident-memory growth measured on an MLP, a BatchNorm CNN, a GRU and a transformer block (2-CPU machine, float64); the sparse third-order tensor adds 40 bytes per stored entry, n³ in the worst case.
:func:`plan_exact_stages` picks the largest chunks that fit ``budget`` bytes, or raises :class:`MemoryBudgetError`
— before anything is allocated — with the ``max_params`` / batch size that would fit.

**Time.** One probe pass of each stage is timed before the stage starts (one chunk of Hessian rows, one
third-order row) and scaled to the n rows; vmapping several rows per pass is usually faster than that, so the
prediction tends to be high (within a factor of ~4 either way on the model families of ``benchmarks/verdicts.py``,
on a shared machine). The measured times are reported next to it.

**Unsupported layers.** Modules with no forward-mode derivative in torch (needed for the Hessian rows and the
third-order tensor) are refused with :class:`UnsupportedLayerError`, which names the module and a workaround.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from pyqgd._checks import TooLargeError
from pyqgd.models._torch import torch

__all__ = ["MemoryBudgetError", "UnsupportedLayerError", "StagePlan", "plan_exact_stages", "check_supported_layers",
           "DEFAULT_MEMORY_BUDGET_GB", "activation_entries", "raise_unsupported"]

#: Memory the derivative stages may use by default (GiB): with torch and the QDK loaded (~0.7 GiB) a run stays < 3 GiB.
DEFAULT_MEMORY_BUDGET_GB = 1.5
_C_HESSIAN, _C_THIRD, _FIXED = 6.0, 6.0, 64 * 2**20
_THIRD_BYTES_PER_ENTRY = 40

#: module type name → workaround for layers whose derivatives torch cannot take in forward mode.
UNSUPPORTED = {
    "EmbeddingBag": "replace nn.EmbeddingBag(num, dim, mode='mean') by nn.Embedding(num, dim) followed by .mean(dim=1) "
                    "over the bag (same output for bags of equal length; use padding_idx and a masked mean otherwise)",
}


class MemoryBudgetError(TooLargeError):
    """An exact derivative stage would need more memory than the budget allows (raised before any allocation)."""


class UnsupportedLayerError(TypeError):
    """The model contains a layer whose higher derivatives torch cannot compute (no forward-mode AD)."""


def check_supported_layers(model) -> None:
    """Raise :class:`UnsupportedLayerError` naming the first module of a type in :data:`UNSUPPORTED`."""
    for name, module in model.named_modules():
        kind = getattr(module, "original_name", None) or type(module).__name__  # TorchScript keeps the eager name
        if kind in UNSUPPORTED:
            raise UnsupportedLayerError(
                f"module '{name}' ({kind}) has no forward-mode derivative in torch, which the Hessian and the "
                f"third-order Taylor coefficients need; workaround: {UNSUPPORTED[kind]}")


def raise_unsupported(model, exc: BaseException, run) -> None:
    """Re-raise a torch "not implemented for forward AD" error ``exc`` as :class:`UnsupportedLayerError` naming the
    leaf module that was running: ``run()`` is called again with forward pre-hooks recording the modules entered."""
    text = str(exc)
    if "forward AD" not in text and "forward-mode" not in text and "jvp" not in text.lower():
        raise exc
    entered = []
    hooks = [m.register_forward_pre_hook(lambda mod, _args, name=name: entered.append((name, mod)))
             for name, m in model.named_modules() if not list(m.children())]
    try:
        run()
    except (NotImplementedError, RuntimeError):
        pass
    finally:
        for h in hooks:
            h.remove()
    name, mod = entered[-1] if entered else ("?", None)
    kind = type(mod).__name__ if mod is not None else "unknown"
    raise UnsupportedLayerError(
        f"module '{name}' ({kind}) has no forward-mode derivative in torch ({text.splitlines()[0]}); the Hessian and "
        f"the third-order coefficients need one. Workaround: {UNSUPPORTED.get(kind, 'replace it by layers built from differentiable elementwise / matmul operations')}"
    ) from exc


def activation_entries(expansion) -> int:
    """Entries of the tensors autograd saves for the backward pass of one loss evaluation over the largest batch
    (counted with ``torch.autograd.graph.saved_tensors_hooks``): the activations a derivative pass keeps alive,
    including those inside fused modules (a GRU's gates at every time step, attention weights)."""
    count = [0]

    def pack(t):
        count[0] += t.numel()
        return t

    best = 0
    u = expansion._u(None).clone().requires_grad_(True)
    with torch.enable_grad(), torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        for xs, y, _w in expansion._batches:
            count[0] = 0
            expansion._loss_batch(u, xs, y)
            best = max(best, count[0])
    return best


@dataclass(frozen=True)
class StagePlan:
    """Predicted cost of the exact stages and the chunks chosen within the memory budget."""

    n: int
    activations: int
    budget_bytes: float
    hessian_chunk: int
    third_rows: int
    hessian_bytes: float
    third_bytes: float
    hessian_seconds: float
    third_seconds: float
    gradient_seconds: float

    def describe(self) -> str:
        gib = 2**30
        return (f"n = {self.n}: Hessian ≈ {_secs(self.hessian_seconds)}, ≤ {self.hessian_bytes / gib:.2f} GiB "
                f"({self.hessian_chunk} rows per pass); third order ≈ {_secs(self.third_seconds)}, ≤ "
                f"{self.third_bytes / gib:.2f} GiB ({self.third_rows} rows per pass); budget "
                f"{self.budget_bytes / gib:.2g} GiB (time from one probe pass each)")

    def to_dict(self) -> dict:
        return {"n": self.n, "activation_entries": self.activations, "budget_gb": self.budget_bytes / 2**30,
                "hessian_rows_per_pass": self.hessian_chunk, "third_rows_per_pass": self.third_rows,
                "predicted_hessian_gb": self.hessian_bytes / 2**30, "predicted_third_gb": self.third_bytes / 2**30,
                "predicted_hessian_seconds": self.hessian_seconds, "predicted_third_seconds": self.third_seconds}


def _secs(s):
    return f"{s:.0f} s" if s >= 10 else f"{s:.2g} s"


def plan_exact_stages(expansion, budget_gb: float = DEFAULT_MEMORY_BUDGET_GB, *, third: bool = True) -> StagePlan:
    """Chunks and predicted time / memory of the exact Hessian and third-order stages of ``expansion`` (a
    :class:`~pyqgd.models.taylor.GDExpansion`) within ``budget_gb`` GiB (module docstring). Raises
    :class:`MemoryBudgetError` when one row of a stage alone exceeds the budget, saying which ``max_params`` or
    batch size fits."""
    if not (isinstance(budget_gb, (int, float)) and math.isfinite(budget_gb) and budget_gb > 0):
        raise ValueError(f"memory_budget_gb must be a positive number of GiB, got {budget_gb!r}")
    budget = float(budget_gb) * 2**30
    n = expansion.n
    A = activation_entries(expansion)
    bytes_per = 8 if expansion.dtype == torch.float64 else 4
    per_h = _C_HESSIAN * bytes_per * A
    per_k = _C_THIRD * bytes_per * A * n
    store = _THIRD_BYTES_PER_ENTRY * float(n) ** 3 if third else 0.0
    room = budget - _FIXED
    if per_h > room or (third and per_k + store > room):
        fit_n = max(1, int((room / (_C_THIRD * bytes_per * A)))) if third else n
        examples = sum(int(y.shape[0]) if y.dim() > 0 else 1 for _, y, _ in expansion._batches)
        fit_m = max(0, int(examples * room / (per_k if third else per_h)))
        raise MemoryBudgetError(
            f"the exact {'third-order tensor' if third else 'Hessian'} of n = {n} surviving parameters over "
            f"{A:,} activation entries needs ≈ {(_FIXED + (per_k + store if third else per_h)) / 2**30:.2f} GiB for a "
            f"single row, above the memory budget of {budget_gb:g} GiB; nothing was allocated. Options that fit: "
            f"max_params={fit_n} (fewer survivors), or ≈ {fit_m} examples instead of {examples} (a smaller batch / "
            "max_batches), or a larger memory_budget_gb if the machine has the memory")
    h_chunk = int(max(1, min(64, n, room // per_h)))
    k_rows = int(max(1, min(n, (room - store) // per_k))) if third else 0
    # time: one probe pass of each kind (within the budget, by the checks above) scaled to the whole stage
    u0 = expansion._u(None)
    eye = torch.eye(n, dtype=expansion.dtype, device=expansion.device)
    t0 = time.perf_counter()
    expansion._hvp_t(u0, eye[:h_chunk])
    t_h = time.perf_counter() - t0
    t_k = 0.0
    if third:
        t0 = time.perf_counter()
        expansion._third_rows_t(u0, eye[:1])
        t_k = time.perf_counter() - t0
    return StagePlan(n=n, activations=A, budget_bytes=budget, hessian_chunk=h_chunk, third_rows=k_rows,
                     hessian_bytes=_FIXED + per_h * h_chunk, third_bytes=_FIXED + per_k * k_rows + store,
                     hessian_seconds=t_h * math.ceil(n / h_chunk), third_seconds=t_k * n, gradient_seconds=t_h)
