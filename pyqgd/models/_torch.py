"""Import guard, device and dtype resolution shared by the models layer.

torch is an optional dependency of pyqgd (the ``torch`` extra); everything in ``pyqgd.models`` needs it, and this
module is the one place that turns its absence (or a request for a device the machine lacks) into a clear error.
"""

from __future__ import annotations

import contextlib
import warnings

try:  # pragma: no cover - exercised only where torch is missing
    import torch
    import torch.func  # noqa: F401
    import torch.nn.utils.prune  # noqa: F401
except ImportError as exc:  # pragma: no cover
    raise ImportError(
        "pyqgd.models needs PyTorch, which is an optional dependency of pyqgd: install it with "
        "`pip install 'pyqgd[torch]'`"
    ) from exc

def _warm_up_forward_ad() -> None:
    """Run one tiny forward-mode derivative with torch's one-time ``torch.jit.script`` deprecation warning muted.

    torch.func.jvp lazily registers its decompositions through ``torch.jit.script`` on first use, which emits a
    DeprecationWarning from inside torch (not actionable by pyqgd users); doing it once here keeps it out of their logs.
    """

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        x = torch.ones(1)
        torch.func.jvp(lambda t: t * t, (x,), (x,))


_warm_up_forward_ad()

__all__ = ["DeviceUnavailableError", "resolve_device", "resolve_dtype", "math_attention"]


class DeviceUnavailableError(RuntimeError):
    """A device (e.g. CUDA) was requested that this machine / this torch build does not have."""


def resolve_device(device=None) -> "torch.device":
    """``device`` (None, a string such as ``"cpu"``/``"cuda"``/``"cuda:1"``, or a ``torch.device``) as a torch.device.

    None means CPU. Asking for CUDA where ``torch.cuda.is_available()`` is False raises
    :class:`DeviceUnavailableError` (a RuntimeError) instead of failing later inside torch.
    """
    if device is None:
        return torch.device("cpu")
    if isinstance(device, str):
        try:
            dev = torch.device(device)
        except RuntimeError as exc:
            raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:<index>', got {device!r}") from exc
    elif isinstance(device, torch.device):
        dev = device
    else:
        raise TypeError(f"device must be None, a string or a torch.device, got {type(device).__name__}")
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceUnavailableError(
                f"device={device!r} was requested but CUDA is not available here (torch {torch.__version__}, "
                f"torch.cuda.is_available() is False: no GPU or a CPU-only torch build); pass device='cpu'"
            )
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise DeviceUnavailableError(
                f"device={device!r} was requested but only {torch.cuda.device_count()} CUDA device(s) exist"
            )
    elif dev.type != "cpu":
        raise ValueError(f"device type {dev.type!r} is not supported; use 'cpu' or 'cuda'")
    return dev


def resolve_dtype(dtype, default: "torch.dtype") -> "torch.dtype":
    """A floating torch dtype: ``dtype`` if given (torch dtype or 'float32'/'float64'), else ``default``."""
    if dtype is None:
        return default
    if isinstance(dtype, str):
        mapping = {"float32": torch.float32, "float64": torch.float64, "float": torch.float32, "double": torch.float64}
        if dtype not in mapping:
            raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
        return mapping[dtype]
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating torch dtype, got {dtype!r}")
    return dtype


@contextlib.contextmanager
def math_attention():
    """Route ``scaled_dot_product_attention`` to its composite "math" kernel.

    The fused CPU/GPU attention kernels have no forward-mode derivative, so forward-over-reverse
    Hessian-vector products and third-order contractions of a transformer fail inside them; the math
    kernel is differentiable to any order.
    """
    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel
    except ImportError:  # pragma: no cover - very old torch
        yield
        return
    with sdpa_kernel([SDPBackend.MATH]):
        yield
