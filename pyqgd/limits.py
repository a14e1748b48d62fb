"""The sizes pyqgd accepts, in one place: what the cost formulas, the QDK traces and the classical pipeline finish in
seconds and a few hundred MB (measured: ``tests/test_size_guards.py`` runs each refused case in a child process under
a memory ceiling; README "Errors and limits").

Every limit is checked before any work (``OdeProblem``, the CLI's options, :func:`pyqgd.report.analyze`); a size above
one raises :class:`SizeLimitError`, a ``ValueError`` whose message names the limit and what to do.

* ``MAX_PARAMS`` (n): the Q# programs and the QDK estimator hold counts in signed 64-bit integers; 10^15 parameters
  keep every register size, table length and product the traces see below 2^63 (n·s ≤ 2^63 is checked as well).
* ``MAX_ORDER`` (N, cost path): the Kronecker encoding enumerates its terms t = (j, d), whose number grows ~2.4^N
  (287 terms at N = 6; 1680 at N = 8): a whole estimate takes ~11 s at N = 4, 12 s at N = 6 and 77 s at N = 8
  (measured at n = 7·10^6, s = 8); Carleman orders used in practice are 2–4.
* ``MAX_PIPELINE_ORDER`` (N, the pipeline: demo / analyze / simulate): explicit Carleman systems, the Q# simulation
  and the estimates of every loading at order N: ``pyqgd demo`` takes ~20 s at N = 2, ~100 s at N = 4 and ~230 s at
  N = 6 (measured on 2 shared cores); the memory guard of :func:`pyqgd._checks.check_memory` covers large n.
* ``MAX_SPARSITY`` (s): nonzeros per row of F1 (and s² for F2): the record tables of the Kronecker encoding
  (n·s + n·s² entries).
* ``MAX_TRACED_SPARSITY`` (max(s, s_F2), default s_F2 = s²) for the Kronecker encoding (``block_encoding`` "auto" or
  "kronecker"): its skeleton is traced by the QDK, whose state preparation over s_F2 amplitudes takes ~2 ms per
  amplitude when s_F2 is not a power of two (20 s at 10^4, 166 s at 9·10^4, measured); the structured sparse encoding
  (closed form, ``block_encoding="sparse"``) has no such limit.
* ``MAX_STEPS`` (T): κ ∝ T stays below 10^15, where double-precision QSVT degrees stop being exact.
* ``MIN_EPSILON`` (ε): the QSVT degree grows as κ·log(1/ε); below 10^-12 the inverse polynomial's degree search and
  the double-precision phases stop being meaningful.
"""

from __future__ import annotations

import math
import numbers

from pyqgd._checks import EstimateInputError, InputTypeError, TooLargeError, check_positive_int

__all__ = ["MAX_PARAMS", "MAX_ORDER", "MAX_PIPELINE_ORDER", "MAX_SPARSITY", "MAX_TRACED_SPARSITY", "MAX_STEPS", "MIN_EPSILON",
           "MAX_INT64", "MAX_PIPELINE_STEPS", "MAX_PIPELINE_PARAMS", "MAX_TOY_PARAMS", "SizeLimitError",
           "check_cost_sizes", "check_pipeline_order", "check_pipeline_arguments", "check_max_params"]

MAX_PARAMS = 10**15
MAX_ORDER = 6
MAX_PIPELINE_ORDER = 4
MAX_SPARSITY = 10**6
MAX_TRACED_SPARSITY = 2**14
MAX_STEPS = 10**12
MIN_EPSILON = 1e-12
#: Largest count a Q# ``Int`` or a QDK estimator counter holds.
MAX_INT64 = 2**63 - 1


class SizeLimitError(TooLargeError, EstimateInputError):
    """A size is above what pyqgd computes in seconds and a few hundred MB; the message names the limit."""


def _int(x):
    """x as an int when it is an integral number (bools excluded), else None (the callers' own checks raise)."""
    if isinstance(x, bool):
        return None
    if isinstance(x, numbers.Integral):
        return int(x)
    if isinstance(x, numbers.Real) and math.isfinite(float(x)) and float(x).is_integer():
        return int(x)
    return None


def _above(value, limit, name: str, what: str, todo: str) -> None:
    v = _int(value)
    if v is not None and v > limit:
        raise SizeLimitError(f"{name} = {v:.3g} is above the limit of {limit:.3g} {what}; {todo}")


def check_cost_sizes(n=None, s=None, N=None, T=None, epsilon=None, *, s_F2=None, block_encoding=None) -> None:
    """Raise :class:`SizeLimitError` when a size of a cost estimate is beyond the limits (module docstring).

    Values that are not numbers are left to the callers' type checks (this runs first, on raw input)."""
    _above(n, MAX_PARAMS, "n (parameters)", "parameters (64-bit counters in Q# and the QDK estimator)",
           "estimate a smaller model or split it into blocks")
    _above(s, MAX_SPARSITY, "s (nonzeros per row)", "nonzeros per row", "pass the sparsity of the pruned model")
    _above(s_F2, MAX_SPARSITY**2, "s_F2 (nonzeros per row of F2)", "", "pass the sparsity of the pruned model")
    _above(N, MAX_ORDER, "N (Carleman order)", "for the cost estimate (the encoding's terms grow ~2.4^N)",
           f"use N ≤ {MAX_ORDER} (orders 2–4 are the useful ones)")
    _above(T, MAX_STEPS, "T (steps)", "steps (κ ∝ T would pass 10^15)",
           "split training into segments (download/re-upload) of at most 10^12 steps")
    ni, si = _int(n), _int(s)
    traced = max(si or 0, _int(s_F2) or (si or 0) ** 2)
    if block_encoding in ("auto", "kronecker") and traced > MAX_TRACED_SPARSITY:
        raise SizeLimitError(f"max(s, s_F2) = {traced:.3g} is above the limit of {MAX_TRACED_SPARSITY} for the Kronecker "
                             "encoding, whose QDK trace grows with s_F2 (s² by default); use block_encoding='sparse' "
                             "(--block-encoding sparse) for larger sparsities")
    if ni is not None and si is not None and ni * si > MAX_INT64:
        raise SizeLimitError(f"n·s = {ni * si:.3g} nonzeros exceed the 64-bit counters of Q# and the QDK estimator; "
                             "reduce n or s")
    if isinstance(epsilon, numbers.Real) and not isinstance(epsilon, bool) and 0 < float(epsilon) < MIN_EPSILON:
        raise SizeLimitError(f"epsilon = {float(epsilon):.3g} is below the limit of {MIN_EPSILON:g} (double-precision "
                             f"QSVT phases); use epsilon ≥ {MIN_EPSILON:g}")


def check_pipeline_order(N, n: int | None = None) -> None:
    """Refuse a Carleman order the classical pipeline (explicit Carleman matrices, the Q# simulation, the cost path)
    cannot handle in seconds: N ≤ :data:`MAX_PIPELINE_ORDER`."""
    _above(N, MAX_PIPELINE_ORDER, "N (Carleman order)", "for the pipeline (explicit Carleman systems, cost traces)",
           f"use N ≤ {MAX_PIPELINE_ORDER} (orders 2–4 are the useful ones), or `pyqgd estimate` for costs alone")


#: Largest number of true GD steps the pipeline takes (expansion steps, reference / check steps): each is a forward
#: and backward pass of the model, and the reference trajectory is kept in memory.
MAX_PIPELINE_STEPS = 10**5
#: Largest number of surviving parameters the pipeline differentiates (dense Hessian n × n, third derivatives n × n²).
MAX_PIPELINE_PARAMS = 2000
#: Largest toy loss (``toy_n``): its explicit Carleman checks hold Σ_j n^j entries per order.
MAX_TOY_PARAMS = 64


def check_pipeline_arguments(*, T, N, epsilon, tomography_precision, error_budget, check_steps, expansion_steps, almost_fraction,
                             toy_n, seed, max_params, max_batches, check_orders, simulate) -> None:
    """Type and range of every argument of :func:`pyqgd.report.analyze` that is not a model, before any work: a
    ``TypeError`` / ``ValueError`` of pyqgd's (:class:`SizeLimitError` for sizes) saying what to pass."""

    N = check_positive_int(N, "N")
    T = None if T is None else check_positive_int(T, "T")   # None: the GDProblem's own T (or the default)
    for name, v in (("epsilon", epsilon), ("tomography_precision", tomography_precision), ("error_budget", error_budget)):
        _check_unit(v, name, open_low=True)
    _check_unit(almost_fraction, "almost_fraction", open_low=False)
    check_pipeline_order(N)
    check_cost_sizes(N=N, T=T, epsilon=epsilon)
    _above(check_positive_int(check_steps, "check_steps"), MAX_PIPELINE_STEPS, "check_steps", "true GD steps",
           "compare fewer steps")
    if expansion_steps is not None and not (isinstance(expansion_steps, str) and expansion_steps == "auto"):
        _above(check_positive_int(expansion_steps, "expansion_steps", minimum=0), MAX_PIPELINE_STEPS,
               "expansion_steps", "true GD steps", "expand after fewer steps")
    _above(check_positive_int(toy_n, "toy_n"), MAX_TOY_PARAMS, "toy_n", "toy parameters", "use a smaller toy loss")
    check_positive_int(seed, "seed", minimum=0)
    check_max_params(max_params)
    if max_batches is not None:
        check_positive_int(max_batches, "max_batches")
    if check_orders is not None:
        if isinstance(check_orders, (str, bytes)) or not hasattr(check_orders, "__iter__"):
            raise InputTypeError(f"check_orders must be a sequence of Carleman orders such as (1, 2, 3), got {check_orders!r}")
        for order in check_orders:
            check_pipeline_order(check_positive_int(order, "check_orders entry"))
    if not isinstance(simulate, bool):
        raise InputTypeError(f"simulate must be True or False, got {simulate!r}")


def check_max_params(max_params) -> None:
    """``max_params`` (surviving parameters of the pipeline) is None or an int in [1, MAX_PIPELINE_PARAMS]."""
    if max_params is not None:
        _above(check_positive_int(max_params, "max_params"), MAX_PIPELINE_PARAMS, "max_params",
               "surviving parameters (dense Hessians)", "prune harder, or use `pyqgd estimate` for the cost alone")


def _check_unit(v, name: str, *, open_low: bool) -> float:
    """v in (0, 1) (``open_low``) or [0, 1]; a TypeError for non-numbers (strings included)."""
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise InputTypeError(f"{name} must be a number, got {type(v).__name__} {v!r}")
    x = float(v)
    ok = (0 < x < 1) if open_low else (0 <= x <= 1)
    if not ok:  # NaN fails both
        raise ValueError(f"{name} must lie in {'(0, 1)' if open_low else '[0, 1]'}, got {v!r}")
    return x
