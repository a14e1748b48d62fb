"""Input validation shared by every layer: one place that turns bad input into an error that says what to do."""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp

__all__ = [
    "as_finite_vector",
    "as_sparse_coefficient",
    "check_positive_int",
    "check_positive_float",
    "check_memory",
    "as_memory_limit",
    "TooLargeError",
]


class EstimateInputError(ValueError):
    """A size, count or precision passed to the cost model is out of range."""


class TooLargeError(ValueError):
    """An explicit object (matrix, state vector) would not fit the memory or qubit budget; the message says what to use instead."""


#: Default ceiling for an explicit sparse matrix, in bytes; larger systems must use the matrix-free forms.
DEFAULT_MEMORY_LIMIT = 8 * 2**30


def _ragged(exc: ValueError) -> bool:
    """True when numpy refused a nested sequence because its rows differ in length (not because of a string)."""
    return "inhomogeneous" in str(exc) or "sequence" in str(exc)


def _complex(x) -> bool:
    """np.iscomplexobj, False for what numpy cannot make an array of (ragged lists: the conversion says why)."""
    try:
        return bool(np.iscomplexobj(x))
    except (ValueError, TypeError):
        return False


def as_finite_vector(x, name: str, n: int | None = None) -> np.ndarray:
    """A float64 copy of a 1-D array; raise if it is complex, not finite or not of length n."""
    if _complex(x):
        raise TypeError(f"{name} must be real, got a complex array")
    try:
        v = np.array(x, dtype=float, copy=True)
    except ValueError as exc:
        if not _ragged(exc):
            raise TypeError(f"{name} must be a real 1-D array, got {type(x).__name__}") from exc
        raise ValueError(f"{name} must be a real 1-D array: its entries have different lengths") from exc
    except TypeError as exc:
        raise TypeError(f"{name} must be a real 1-D array, got {type(x).__name__}") from exc
    if v.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {v.shape}")
    if n is not None and v.shape[0] != n:
        raise ValueError(f"{name} must have length {n}, got {v.shape[0]}")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} contains NaN or inf; check the loss and the expansion point")
    return v


def as_sparse_coefficient(a, name: str) -> sp.csr_matrix:
    """A float64 CSR copy with canonical (sorted, summed) indices and explicit zeros dropped."""
    if sp.issparse(a):
        # checked before the conversion: casting to float would drop the imaginary part with only a warning
        if np.issubdtype(a.dtype, np.complexfloating):
            raise TypeError(f"{name} must be real, got a complex {a.dtype} sparse matrix; pass its real part "
                            "explicitly if that is what you mean")
        if not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer) or a.dtype == bool):
            raise TypeError(f"{name} must hold real numbers, got a sparse matrix of dtype {a.dtype}")
        m = sp.csr_matrix(a, dtype=float, copy=True)
    else:
        if _complex(a):
            raise TypeError(f"{name} must be real, got a complex array")
        try:
            arr = np.asarray(a, dtype=float)
        except ValueError as exc:
            if not _ragged(exc):
                raise TypeError(f"{name} must be a real matrix (numpy array or scipy.sparse), got "
                                f"{type(a).__name__}") from exc
            raise ValueError(f"{name} must be a rectangular real matrix: its rows have different lengths") from exc
        except TypeError as exc:
            raise TypeError(f"{name} must be a real matrix (numpy array or scipy.sparse), got {type(a).__name__}") from exc
        if arr.ndim != 2:
            raise ValueError(f"{name} must be 2-D, got shape {arr.shape}")
        m = sp.csr_matrix(arr)
    if np.iscomplexobj(m.data):
        raise TypeError(f"{name} must be real")
    if not np.all(np.isfinite(m.data)):
        raise ValueError(f"{name} contains NaN or inf; check the loss and the expansion point")
    m.sum_duplicates()
    m.eliminate_zeros()
    return m


def check_positive_int(v, name: str, minimum: int = 1) -> int:
    """v as int, raising TypeError for non-integers and ValueError below ``minimum``."""
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {v!r}")
    if v < minimum:
        raise ValueError(f"{name} must be ≥ {minimum}, got {v}")
    return int(v)


def check_positive_float(v, name: str) -> float:
    """v as a finite float > 0."""
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {v!r}")
    v = float(v)
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be finite and > 0, got {v}")
    return v


_UNITS = {"": 1, "B": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def as_memory_limit(limit) -> float:
    """A memory limit in bytes: ``None`` (the default, 8 GiB), a number > 0 (``inf`` disables the guard) or a string
    such as ``"8G"``, ``"512M"``, ``"2GiB"`` (binary units K, M, G, T); NaN, ≤ 0 and other types are refused."""
    if limit is None:
        return float(DEFAULT_MEMORY_LIMIT)
    if isinstance(limit, str):
        text = limit.strip().upper().removesuffix("IB").removesuffix("B")
        unit = text[-1:] if text[-1:] in _UNITS else ""
        try:
            value = float(text[:len(text) - len(unit)]) * _UNITS[unit]
        except ValueError:
            raise ValueError(f"memory_limit {limit!r} is not a size; write bytes or e.g. '8G', '512M'") from None
    elif isinstance(limit, bool) or not isinstance(limit, numbers.Real):
        raise TypeError(f"memory_limit must be a number of bytes or a string such as '8G', got {type(limit).__name__}")
    else:
        value = float(limit)
    if not value > 0:  # also NaN
        raise ValueError(f"memory_limit must be > 0 bytes (inf disables the guard), got {limit!r}")
    return value


def check_memory(nbytes: float, what: str, limit: float | None, hint: str) -> None:
    """Refuse to allocate more than ``limit`` bytes (default 8 GiB; see :func:`as_memory_limit`) for ``what``;
    ``hint`` says what to use instead."""
    limit = as_memory_limit(limit)
    if nbytes > limit:
        raise TooLargeError(
            f"{what} would take ~{nbytes / 2**30:.1f} GiB, above the limit of {limit / 2**30:.1f} GiB; {hint} "
            "(or raise memory_limit= if you have the memory)"
        )
