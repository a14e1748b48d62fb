"""Classical cost of the same training, the read-out ("download") cost, and the quantum/classical break-even.

* Classical: T gradient steps of the sparse model on a GPU: FLOPs = c·n·B·T with c = 6 FLOPs per parameter per
  sample (forward + backward ≈ 2 + 4; Kaplan et al., "Scaling laws for neural language models", arXiv:2001.08361,
  §2.1), batch B = 2048 (the paper's minibatch, Fig. 2 caption), at R = 312 TFLOP/s (NVIDIA A100 dense BF16,
  A100 datasheet) × utilization 0.4 (typical model-FLOPs utilization; Chowdhery et al., PaLM, arXiv:2204.02311,
  Table 3 reports 46 %). Unstructured sparsity is *credited* to the GPU (n = surviving parameters), which favours
  the classical side.
* Read-out (README "Resource estimates"): projected-least-squares tomography of an s_w-sparse real state with known support needs
  ⌈s_w·ln(s_w)/δ²⌉ copies (Guţă, Kahn, Kueng, Tropp 2020, the paper's ref. 34, up to constants taken as 1), each a
  full run of the solver circuit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pyqgd.estimate.errors import check_epsilon, check_real, check_size

__all__ = ["ClassicalModel", "classical_gd_seconds", "classical_gd_flops", "tomography_samples", "STEP_OVERHEAD_S",
           "classical_wall_seconds"]

#: Fixed wall time of one GD step on a GPU, independent of n (≈ 10 kernel launches × 5 µs); docs/math.md Eq. (15).
STEP_OVERHEAD_S = 5e-5


@dataclass(frozen=True)
class ClassicalModel:
    """Parameters of the classical baseline (defaults and sources in the module docstring)."""

    flops_per_param_per_sample: float = 6.0
    batch: int = 2048
    gpu_flops: float = 312e12
    utilization: float = 0.4

    def __post_init__(self):
        check_real(self.flops_per_param_per_sample, "flops_per_param_per_sample", low=0.0, low_open=True)
        check_size(self.batch, "batch")
        check_real(self.gpu_flops, "gpu_flops", low=0.0, low_open=True)
        check_real(self.utilization, "utilization", low=0.0, high=1.0, low_open=True)


def classical_gd_flops(n: int, T: int, model: ClassicalModel = ClassicalModel()) -> float:
    """c·n·B·T FLOPs of T gradient steps."""
    n, T = check_size(n, "n"), check_size(T, "T")
    return model.flops_per_param_per_sample * n * model.batch * T


def classical_gd_seconds(n: int, T: int, model: ClassicalModel = ClassicalModel()) -> float:
    """Wall time of T gradient steps at the model's effective GPU throughput."""
    return classical_gd_flops(n, T, model) / (model.gpu_flops * model.utilization)


def classical_wall_seconds(n: int, T: int, flops_seconds: float | None = None, *,
                           step_overhead_s: float = STEP_OVERHEAD_S, model: ClassicalModel | None = None) -> float:
    """docs/math.md Eq. (15): T·t_step plus the FLOP-limited time (``flops_seconds`` if given, else the model's):
    the GPU time every output of pyqgd quotes (a step of a small network costs its kernel launches, not its
    arithmetic)."""
    if flops_seconds is None:
        flops_seconds = classical_gd_seconds(n, T, model or ClassicalModel())
    return check_size(T, "T") * step_overhead_s + float(flops_seconds)


def tomography_samples(s_w: int, tomography_precision: float) -> int:
    """⌈s_w·ln(max(s_w, 2))/δ²⌉ circuit runs to read out s_w nonzero weights at ℓ2 precision δ =
    ``tomography_precision`` (docs/math.md §12)."""
    s_w = check_size(s_w, "s_w")
    delta = check_epsilon(tomography_precision, "tomography_precision")
    return math.ceil(s_w * math.log(max(s_w, 2)) / delta**2)
