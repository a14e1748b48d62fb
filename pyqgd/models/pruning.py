"""Pruning masks as index maps into the flat parameter vector.

The *flat parameter vector* of a model is the concatenation, in ``named_parameters()`` order, of every parameter
tensor flattened row-major (``tensor.reshape(-1)``). A module pruned with ``torch.nn.utils.prune`` stores its tensor
as ``<name>_orig`` plus a buffer ``<name>_mask``; here such a tensor is listed under its plain name ``<name>`` with
value ``<name>_orig * <name>_mask`` (what the forward pass uses). A :class:`ParameterMask` marks which entries of that
vector survive; its :attr:`~ParameterMask.indices` are the flat indices of the survivors (sorted), and
:attr:`~ParameterMask.position` maps a flat index back to its survivor position (−1 if pruned). The dynamics of
:mod:`pyqgd.models.taylor` live on the survivors only: u ∈ R^n with n = ``mask.n_surviving``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from pyqgd.models._torch import torch

__all__ = [
    "ParameterLayout",
    "ParameterMask",
    "global_magnitude_prune",
    "apply_mask",
    "named_parameter_tensors",
    "deepcopy_module",
]


def _module_param_entries(model: "torch.nn.Module"):
    """Yield (clean name, module, attribute, tensor value) for every parameter, pruning reparametrisation resolved."""
    seen = set()
    for mod_name, module in model.named_modules():
        for pname, p in module.named_parameters(recurse=False):
            if p is None or id(p) in seen:
                continue
            seen.add(id(p))
            prefix = f"{mod_name}." if mod_name else ""
            if pname.endswith("_orig") and isinstance(getattr(module, pname[:-5] + "_mask", None), torch.Tensor):
                base = pname[:-5]
                mask = getattr(module, base + "_mask")
                yield prefix + base, module, base, (p.detach() * mask.to(p.dtype)), mask.detach()
            else:
                yield prefix + pname, module, pname, p.detach(), None


def named_parameter_tensors(model: "torch.nn.Module") -> dict:
    """{clean name: detached parameter value} in flat-vector order (pruned tensors as orig × mask)."""
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return {name: value for name, _, _, value, _ in _module_param_entries(model)}


@dataclass(frozen=True)
class ParameterLayout:
    """Names and shapes of a model's parameters, and how they are laid out in the flat parameter vector."""

    names: tuple
    shapes: tuple

    @classmethod
    def from_model(cls, model: "torch.nn.Module") -> "ParameterLayout":
        tensors = named_parameter_tensors(model)
        if not tensors:
            raise ValueError("the model has no parameters")
        return cls(tuple(tensors), tuple(tuple(t.shape) for t in tensors.values()))

    @property
    def numels(self) -> tuple:
        return tuple(int(np.prod(s, dtype=np.int64)) for s in self.shapes)

    @property
    def offsets(self) -> np.ndarray:
        """Start of each tensor in the flat vector (length len(names) + 1, last entry = total)."""
        return np.concatenate([[0], np.cumsum(self.numels, dtype=np.int64)])

    @property
    def total(self) -> int:
        return int(sum(self.numels))

    def flatten(self, model: "torch.nn.Module") -> np.ndarray:
        """The model's flat parameter vector (float64 numpy), in this layout's order."""
        tensors = named_parameter_tensors(model)
        # torch.nn.utils.prune re-registers a pruned tensor as <name>_orig at the end of its module, so the
        # registration order of a partly pruned model differs from the layout's: match by name
        if set(tensors) != set(self.names):
            missing = set(self.names) ^ set(tensors)
            raise ValueError(f"model parameters do not match this layout (differing names: {sorted(missing)[:5]})")
        return np.concatenate([tensors[name].reshape(-1).to("cpu", torch.float64).numpy() for name in self.names])

    def unflatten(self, vector) -> dict:
        """{name: array of the tensor's shape} from a flat vector (numpy or torch; views where possible)."""
        if len(vector) != self.total:
            raise ValueError(f"flat vector must have length {self.total}, got {len(vector)}")
        off = self.offsets
        return {name: vector[off[i]:off[i + 1]].reshape(shape) for i, (name, shape) in enumerate(zip(self.names, self.shapes))}

    def locate(self, flat_index: int) -> tuple:
        """(tensor name, index tuple inside that tensor) of one flat index."""
        if not 0 <= flat_index < self.total:
            raise IndexError(f"flat index {flat_index} out of range [0, {self.total})")
        i = int(np.searchsorted(self.offsets, flat_index, side="right") - 1)
        return self.names[i], tuple(int(k) for k in np.unravel_index(flat_index - self.offsets[i], self.shapes[i]))


@dataclass(frozen=True, eq=False)
class ParameterMask:
    """Which entries of the flat parameter vector survive pruning, as an index map both ways.

    ``keep`` is a read-only boolean array over the flat vector; ``indices`` the sorted flat indices of the survivors
    (survivor k ↔ flat index ``indices[k]``); ``position`` the inverse map (flat index → survivor k, −1 if pruned).
    """

    layout: ParameterLayout
    keep: np.ndarray

    def __post_init__(self):
        keep = np.array(self.keep, dtype=bool, copy=True).reshape(-1)
        if keep.shape[0] != self.layout.total:
            raise ValueError(f"mask has {keep.shape[0]} entries but the model has {self.layout.total} parameters")
        if not keep.any():
            raise ValueError(
                "no parameters are left after pruning (the mask keeps 0 of "
                f"{self.layout.total} parameters); prune a smaller fraction"
            )
        keep.setflags(write=False)
        object.__setattr__(self, "keep", keep)
        idx = np.flatnonzero(keep).astype(np.int64)
        idx.setflags(write=False)
        object.__setattr__(self, "_indices", idx)

    # --- constructors -------------------------------------------------------------------------------------------
    @classmethod
    def full(cls, model: "torch.nn.Module") -> "ParameterMask":
        """Every parameter survives."""
        layout = ParameterLayout.from_model(model)
        return cls(layout, np.ones(layout.total, dtype=bool))

    @classmethod
    def from_model(cls, model: "torch.nn.Module") -> "ParameterMask":
        """The mask stored in a model pruned with ``torch.nn.utils.prune`` (all-ones for unpruned tensors)."""
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        names, shapes, parts = [], [], []
        for name, _, _, value, mask in _module_param_entries(model):
            names.append(name)
            shapes.append(tuple(value.shape))
            parts.append(np.ones(value.numel(), bool) if mask is None else mask.reshape(-1).cpu().numpy() != 0)
        if not names:
            raise ValueError("the model has no parameters")
        return cls(ParameterLayout(tuple(names), tuple(shapes)), np.concatenate(parts))

    @classmethod
    def from_tensors(cls, model: "torch.nn.Module", masks: dict) -> "ParameterMask":
        """A user-supplied mask: {parameter name: boolean/0-1 array of that parameter's shape}.

        Names missing from ``masks`` are kept whole. Raises ValueError for unknown names or wrong shapes.
        """
        layout = ParameterLayout.from_model(model)
        if not isinstance(masks, dict):
            raise TypeError("masks must be a dict {parameter name: array of the parameter's shape}")
        unknown = set(masks) - set(layout.names)
        if unknown:
            raise ValueError(f"mask names {sorted(unknown)} are not parameters of the model; known: {list(layout.names)}")
        parts = []
        for name, shape in zip(layout.names, layout.shapes):
            if name not in masks:
                parts.append(np.ones(int(np.prod(shape, dtype=np.int64)), bool))
                continue
            m = masks[name]
            m = m.detach().cpu().numpy() if isinstance(m, torch.Tensor) else np.asarray(m)
            if m.shape != shape:
                raise ValueError(f"mask for {name!r} has shape {m.shape} but the parameter has shape {shape}")
            parts.append(m.reshape(-1) != 0)
        return cls(layout, np.concatenate(parts))

    @classmethod
    def from_flat(cls, model: "torch.nn.Module", keep) -> "ParameterMask":
        """A user-supplied mask as one boolean/0-1 array over the flat parameter vector."""
        layout = ParameterLayout.from_model(model)
        k = keep.detach().cpu().numpy() if isinstance(keep, torch.Tensor) else np.asarray(keep)
        if k.ndim != 1 or k.shape[0] != layout.total:
            raise ValueError(
                f"a flat mask must be 1-D of length {layout.total} (the number of model parameters), got shape {k.shape}; "
                "pass a dict of per-tensor masks to ParameterMask.from_tensors instead"
            )
        return cls(layout, k != 0)

    # --- index maps ---------------------------------------------------------------------------------------------
    @property
    def indices(self) -> np.ndarray:
        """Sorted flat indices of the surviving parameters (length n_surviving, int64, read-only)."""
        return self._indices

    @property
    def position(self) -> np.ndarray:
        """Inverse map: flat index → survivor position, −1 for pruned entries (length n_total)."""
        pos = np.full(self.layout.total, -1, dtype=np.int64)
        pos[self._indices] = np.arange(self._indices.size)
        return pos

    @property
    def n_surviving(self) -> int:
        return int(self._indices.size)

    @property
    def n_total(self) -> int:
        return self.layout.total

    @property
    def density(self) -> float:
        """Fraction of parameters that survive."""
        return self.n_surviving / self.n_total

    def restrict(self, full) -> np.ndarray:
        """Survivor entries of a flat vector (or of the last axis of a batch), as float64 numpy."""
        a = full.detach().cpu().numpy() if isinstance(full, torch.Tensor) else np.asarray(full, dtype=float)
        if a.shape[-1] != self.n_total:
            raise ValueError(f"expected a flat parameter vector of length {self.n_total}, got shape {a.shape}")
        return np.array(a[..., self._indices], dtype=float)

    def embed(self, survivors, fill: float = 0.0) -> np.ndarray:
        """Flat vector(s) with ``survivors`` at the surviving positions and ``fill`` (default 0) at pruned ones."""
        s = survivors.detach().cpu().numpy() if isinstance(survivors, torch.Tensor) else np.asarray(survivors, dtype=float)
        if s.shape[-1] != self.n_surviving:
            raise ValueError(f"expected {self.n_surviving} survivor values on the last axis, got shape {s.shape}")
        out = np.full(s.shape[:-1] + (self.n_total,), fill, dtype=float)
        out[..., self._indices] = s
        return out

    def tensor_masks(self) -> dict:
        """{parameter name: boolean array of the parameter's shape}."""
        return {k: v.copy() for k, v in self.layout.unflatten(self.keep).items()}

    def describe(self, k: int) -> tuple:
        """(tensor name, index in that tensor) of survivor k."""
        return self.layout.locate(int(self._indices[k]))


def deepcopy_module(model: "torch.nn.Module") -> "torch.nn.Module":
    """``copy.deepcopy`` that also works for models pruned with ``torch.nn.utils.prune``.

    A pruned module holds ``<name> = <name>_orig * <name>_mask`` as a non-leaf tensor attribute, which
    ``deepcopy`` refuses; it is swapped for a detached copy during the copy and put back afterwards (the pruning
    hook recomputes it on every forward anyway), so the caller's model is unchanged.
    """
    swapped = []
    try:
        for _, module in model.named_modules():
            for pname, _ in list(module.named_parameters(recurse=False)):
                if pname.endswith("_orig") and hasattr(module, pname[:-5] + "_mask"):
                    base = pname[:-5]
                    val = module.__dict__.get(base)
                    if isinstance(val, torch.Tensor) and val.grad_fn is not None:
                        swapped.append((module, base, val))
                        module.__dict__[base] = val.detach()
        return copy.deepcopy(model)
    finally:
        for module, base, val in swapped:
            module.__dict__[base] = val


def _prunable(model: "torch.nn.Module", scope: str):
    out = []
    for _, module in model.named_modules():
        for pname, p in list(module.named_parameters(recurse=False)):
            base = pname[:-5] if pname.endswith("_orig") and hasattr(module, pname[:-5] + "_mask") else pname
            if scope == "weights" and p.dim() < 2:
                continue
            out.append((module, base))
    return out


def global_magnitude_prune(model: "torch.nn.Module", amount, *, scope: str = "all", inplace: bool = False):
    """Global magnitude (L1-unstructured) pruning with ``torch.nn.utils.prune.global_unstructured``.

    Removes the ``amount`` smallest-magnitude entries across all tensors in ``scope`` together ("all": every
    parameter, as in the paper's "keep the largest 10% of learned parameters", §4; "weights": tensors with ≥ 2
    dimensions only, biases and norms kept). ``amount`` is a fraction in [0, 1) or an integer count.

    Returns ``(pruned_model, mask)``. With ``inplace=False`` (default) the caller's model is left untouched and a
    pruned deep copy is returned; with ``inplace=True`` the caller's model itself gets the pruning
    reparametrisation (``<name>_orig`` + ``<name>_mask``) and is returned.
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if scope not in ("all", "weights"):
        raise ValueError(f"scope must be 'all' or 'weights', got {scope!r}")
    target = model if inplace else deepcopy_module(model)
    params = _prunable(target, scope)
    if not params:
        raise ValueError(f"the model has no parameters in scope {scope!r} to prune")
    n_scope = sum(getattr(m, name).numel() for m, name in params)
    if isinstance(amount, bool) or not isinstance(amount, (int, float, np.integer, np.floating)):
        raise TypeError(f"amount must be a fraction in [0, 1) or an integer count, got {amount!r}")
    if isinstance(amount, (float, np.floating)):
        if not 0.0 <= amount <= 1.0:
            raise ValueError(f"amount as a fraction must lie in [0, 1), got {amount}")
        n_prune = int(round(float(amount) * n_scope))
    else:
        if amount < 0:
            raise ValueError(f"amount as a count must be ≥ 0, got {amount}")
        n_prune = int(amount)
    n_total = ParameterLayout.from_model(target).total
    if n_prune >= n_scope and n_scope == n_total:
        raise ValueError(
            f"no parameters would be left after pruning (amount={amount!r} removes {n_prune} of the model's "
            f"{n_total} parameters); use a smaller amount"
        )
    if n_prune > n_scope:
        raise ValueError(f"amount={amount!r} asks to prune {n_prune} entries but scope {scope!r} holds only {n_scope}")
    torch.nn.utils.prune.global_unstructured(params, pruning_method=torch.nn.utils.prune.L1Unstructured, amount=n_prune)
    mask = ParameterMask.from_model(target)
    return target, mask


def apply_mask(model: "torch.nn.Module", mask: ParameterMask, *, inplace: bool = False) -> "torch.nn.Module":
    """Prune ``model`` with a given mask (``torch.nn.utils.prune.custom_from_mask`` per tensor).

    Tensors whose mask is all ones are left unpruned. Returns a pruned deep copy unless ``inplace=True``.
    """
    if not isinstance(mask, ParameterMask):
        raise TypeError("mask must be a ParameterMask (see ParameterMask.from_tensors / from_flat)")
    layout = ParameterLayout.from_model(model)
    if layout.names != mask.layout.names or layout.shapes != mask.layout.shapes:
        raise ValueError("mask was built for a model with different parameters")
    target = model if inplace else deepcopy_module(model)
    tm = mask.tensor_masks()
    for name, module, attr, value, _ in list(_module_param_entries(target)):
        m = tm[name]
        if m.all():
            continue
        torch.nn.utils.prune.custom_from_mask(module, attr, torch.as_tensor(m, device=value.device))
    return target
