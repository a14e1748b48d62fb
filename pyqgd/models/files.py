"""Loading a user's model and data files without running code from them, and checking that they fit together.

A pickled ``nn.Module`` (``torch.save(model)``) is a program: unpickling it can run any command (the pickle
protocol calls arbitrary callables), before any check. A TorchScript archive (``torch.jit.save``) is a program too
(PyTorch's security guidance treats it as executable code: its methods, including ``__setstate__`` at load time, can
read and write files). So by default:

* **model files** hold **weights only**: a state_dict (``torch.save(model.state_dict(), path)``) read with
  ``torch.load(weights_only=True)`` — tensors and plain containers only — into a class the user names as
  ``module:Class`` (imported from the user's own code, built with no arguments, ``load_state_dict(strict=True)``);
* **data files** are read with ``torch.load(weights_only=True)``: an ``(inputs, targets)`` pair of tensors (a tuple,
  a list or a dict with those keys).

Code from a file runs only when asked for, separately for each file: ``load_model_file(..., unsafe=True)`` (the
CLI's ``--unsafe-load``) accepts a pickled module (used as it is) and a TorchScript archive, whose *weights* go into
the user's class (``model_class`` is then required: the eager class is what pyqgd differentiates, so pruning with
``keep="norm"`` and every other option give the same answer as the state_dict path — and no private torch API is
needed); ``load_data_file(..., unsafe=True)`` (``--unsafe-load-data``) unpickles a data file. Every problem raises
:class:`ModelFileError` (a ``ValueError``) whose one-line message says what to do. :func:`check_model_data` then
validates the pair the way the pipeline will use it (shapes, dtypes, loss), so that a mistake is reported before
the minutes-long pipeline starts instead of as a wrong answer after it.

Needs torch (imported lazily, so that importing this module never requires it).
"""

from __future__ import annotations

import importlib
import pickle
import zipfile
from pathlib import Path

__all__ = ["ModelFileError", "check_readable", "load_model_file", "load_data_file", "check_model_data", "import_class"]


class ModelFileError(ValueError):
    """A model or data file cannot be used; the message says how to save it so that it can."""


_SAVE_HINT = "save the model's weights (torch.save(model.state_dict(), path)) and pass --model-class module:Class"


def check_readable(path, what: str) -> Path:
    """``path`` as a Path if it is a non-empty readable file; else :class:`ModelFileError` saying what is wrong."""
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"{what} {path}: no such file")
    if not path.is_file():
        raise ModelFileError(f"{what} {path} is not a file")
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise ModelFileError(f"{what} {path} cannot be read ({exc.strerror}); check its permissions") from None
    if not head:
        raise ModelFileError(f"{what} {path} is empty; save it again with torch.save / torch.jit.save")
    return path


def _is_torchscript(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return any(n.split("/", 1)[-1].startswith("code/") or n.endswith("/constants.pkl") for n in names)


def _not_a_torch_file(path: Path, what: str, exc: BaseException) -> ModelFileError:
    detail = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
    return ModelFileError(f"{what} {path} is not a readable torch file (truncated, text or another format: "
                          f"{detail}); save it again with torch.save / torch.jit.save")


def _safe_load(path: Path, what: str, unsafe: bool):
    import torch

    try:
        return torch.load(path, map_location="cpu", weights_only=not unsafe)
    except pickle.UnpicklingError as exc:
        if unsafe:
            raise _not_a_torch_file(path, what, exc) from None
        msg = str(exc)
        if "weights_only" in msg or "Unsupported global" in msg or "Weights only load failed" in msg:
            raise ModelFileError(
                f"{what} {path} contains pickled Python objects, which can run code when loaded: "
                + (_SAVE_HINT if what == "model file" else "save (inputs, targets) as plain tensors")
                + f", or pass {'--unsafe-load' if what == 'model file' else '--unsafe-load-data'} if you trust the "
                "file") from None
        raise _not_a_torch_file(path, what, exc) from None
    except (RuntimeError, EOFError, ValueError, OSError, zipfile.BadZipFile, UnicodeDecodeError, AttributeError,
            KeyError, IndexError, TypeError, ImportError) as exc:
        raise _not_a_torch_file(path, what, exc) from None


def import_class(spec: str):
    """The class named by ``"module:Class"`` (or ``"package.module:Outer.Inner"``), imported from the user's code."""
    if not isinstance(spec, str) or spec.count(":") != 1 or not all(spec.split(":")):
        raise ModelFileError(f"--model-class must look like module:Class (e.g. mypkg.nets:Net), got {spec!r}")
    mod_name, attr = spec.split(":")
    try:
        obj = importlib.import_module(mod_name)
    except Exception as exc:  # the user's module may fail in any way while importing
        raise ModelFileError(f"cannot import {mod_name!r} for --model-class {spec} ({type(exc).__name__}: "
                             f"{str(exc).splitlines()[0] if str(exc) else ''}); put its folder on PYTHONPATH") from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ModelFileError(f"module {mod_name!r} has no {attr!r} (--model-class {spec}); check the class name")
        obj = getattr(obj, part)
    if not isinstance(obj, type):
        raise ModelFileError(f"--model-class {spec} is not a class")
    return obj


def load_model_file(path, *, model_class: str | None = None, unsafe: bool = False):
    """An ``nn.Module`` from ``path``: a state_dict loaded into ``model_class`` (module docstring).

    ``unsafe=True`` additionally accepts a fully pickled module (``torch.save(model)``) and a TorchScript archive
    (its weights into ``model_class``) — both run code from the file and must only be used for trusted files.
    """
    import torch

    path = check_readable(path, "model file")
    if _is_torchscript(path):
        if not unsafe:
            raise ModelFileError(f"model file {path} is TorchScript, which is code (loading it runs the program it "
                                 f"holds); {_SAVE_HINT}, or pass --unsafe-load with --model-class if you trust the file")
        if not model_class:
            raise ModelFileError(f"model file {path} is TorchScript: pass --model-class module:Class as well; pyqgd "
                                 "loads the file's weights into your class and differentiates that")
        try:
            scripted = torch.jit.load(str(path), map_location="cpu")
        except Exception as exc:  # torch raises RuntimeError and various others for damaged archives
            raise _not_a_torch_file(path, "model file", exc) from None
        return _into_class({k: v.detach().clone() for k, v in scripted.state_dict().items()}, model_class, path)
    obj = _safe_load(path, "model file", unsafe)
    if isinstance(obj, torch.nn.Module):
        if model_class:
            raise ModelFileError(f"model file {path} holds a whole module: drop --model-class")
        return obj
    if isinstance(obj, dict) and obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
        if not model_class:
            raise ModelFileError(f"model file {path} is a state_dict (weights only): name the model's class with "
                                 "--model-class module:Class")
        return _into_class(obj, model_class, path)
    raise ModelFileError(f"model file {path} holds a {type(obj).__name__}, not a model; {_SAVE_HINT}")


def _into_class(state: dict, model_class: str, path: Path):
    """``model_class()`` with ``state`` loaded strictly; a :class:`ModelFileError` saying what does not fit."""
    import torch

    cls = import_class(model_class)
    try:
        module = cls()
    except Exception as exc:
        raise ModelFileError(f"--model-class {model_class}() failed ({type(exc).__name__}: {exc}); the class "
                             "must be constructible without arguments") from None
    if not isinstance(module, torch.nn.Module):
        raise ModelFileError(f"--model-class {model_class} is not a torch.nn.Module")
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0]
        raise ModelFileError(f"the state_dict in {path} does not fit {model_class} ({first}); check that the "
                             "class matches the saved weights") from None
    return module


def load_data_file(path, *, unsafe: bool = False):
    """``(inputs, targets)`` tensors from ``path`` (a tuple/list of two tensors or a dict with those keys)."""
    import torch

    path = check_readable(path, "data file")
    obj = _safe_load(path, "data file", unsafe)
    if isinstance(obj, dict) and {"inputs", "targets"} <= set(obj):
        obj = (obj["inputs"], obj["targets"])
    if not (isinstance(obj, (tuple, list)) and len(obj) == 2 and all(isinstance(t, torch.Tensor) for t in obj)):
        raise ModelFileError(f"data file {path} must hold (inputs, targets) as two tensors, e.g. "
                             f"torch.save((X, y), path); it holds a {type(obj).__name__}")
    X, y = obj
    if X.ndim == 0 or y.ndim == 0:
        raise ModelFileError(f"data file {path}: inputs and targets need a batch dimension; got shapes "
                             f"{tuple(X.shape)} and {tuple(y.shape)}")
    if X.shape[0] == 0:
        raise ModelFileError(f"data file {path} holds an empty batch (0 samples); save at least one sample")
    if X.shape[0] != y.shape[0]:
        raise ModelFileError(f"data file {path}: {X.shape[0]} inputs but {y.shape[0]} targets; they must match")
    for name, t in (("inputs", X), ("targets", y)):
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            raise ModelFileError(f"data file {path}: the {name} contain NaN or inf; clean the data")
        if t.is_complex():
            raise ModelFileError(f"data file {path}: the {name} are complex; pyqgd needs real data")
    return X, y


def check_model_data(model, data, loss: str) -> None:
    """Validate a (model, (inputs, targets), loss name) triple the way the pipeline will use it, before it runs:
    :func:`pyqgd.models.problem.check_loss` (through ``as_loss``, the check the pipeline applies) on an eval-mode
    copy of the model, as the pipeline's (so a BatchNorm's running statistics are not moved by the check), its
    messages naming the losses as ``--loss mse`` / ``--loss cross_entropy``; a failure is a :class:`ModelFileError`.
    ``loss`` is ``"mse"`` (float targets of exactly the outputs' shape) or ``"cross_entropy"`` (outputs (B, C) with
    C ≥ 2; integer class targets in [0, C) of shape (B,), or probabilities of shape (B, C))."""
    from pyqgd.models.problem import as_loss
    from pyqgd.models.pruning import deepcopy_module

    if loss not in ("mse", "cross_entropy"):
        raise ModelFileError(f"unknown loss {loss!r}; use mse or cross_entropy")
    try:
        as_loss(loss, deepcopy_module(model).eval(), data, option="--loss")
    except (ValueError, TypeError) as exc:
        raise ModelFileError(str(exc)) from None
