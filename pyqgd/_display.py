"""Layer-neutral display helpers: HTML tables, DataFrames, human durations, and the Jupyter views of estimate and
solve-result objects.

It imports nothing from pyqgd, so every layer (quantum, estimate, report) can give its result objects a
``_repr_html_`` / short ``__repr__`` through it without a dependency cycle. The views are duck-typed on the fields the
objects carry. pandas is optional (``pip install 'pyqgd[notebooks]'``).
"""

from __future__ import annotations

import html
import math
from dataclasses import fields, is_dataclass

import numpy as np

__all__ = ["human_seconds", "dataframe", "html_table", "solve_result_html", "solve_result_repr", "PCT_FORMAT",
           "TIME_FORMAT"]

_YEAR = 365.25 * 86400
_SUP = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def human_seconds(s: float | None) -> str:
    """A duration in the largest fitting unit (ns … years, 10-powers of years beyond 10⁴; "infeasible" for None)."""
    if s is None:
        return "infeasible"
    s = float(s)
    if not math.isfinite(s):
        return "∞"
    years = s / _YEAR
    if years >= 1e4:
        e = math.floor(math.log10(years))
        return f"{years / 10**e:.2g}×10{str(e).translate(_SUP)} years"
    if years >= 1:
        return f"{years:,.3g} years" if years < 1000 else f"{years:,.0f} years"
    for unit, sec in (("days", 86400), ("h", 3600), ("min", 60), ("s", 1), ("ms", 1e-3), ("µs", 1e-6)):
        if s >= sec:
            return f"{s / sec:.3g} {unit}"
    return f"{s * 1e9:.3g} ns"


def dataframe(rows: list[dict]):
    """A pandas DataFrame of ``rows``; ImportError with the install line when pandas is missing."""
    try:
        import pandas as pd
    except ImportError as exc:
        raise ImportError("to_dataframe needs pandas: pip install 'pyqgd[notebooks]' (or pip install pandas)") from exc
    return pd.DataFrame(rows)


def _cell(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, (float, np.floating)):
        return "∞" if not math.isfinite(v) else f"{float(v):.3g}"
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    return html.escape(str(v))


def html_table(rows: list[dict], columns: list[tuple[str, str]] | None = None, *, caption: str = "",
               formats: dict | None = None) -> str:
    """An HTML table of ``rows`` (dicts); ``columns`` = [(key, header)], ``formats`` = {key: value → text}."""
    if not rows:
        return f"<p><i>{html.escape(caption)}: none</i></p>" if caption else ""
    columns = columns or [(k, k) for k in rows[0]]
    formats = formats or {}

    def cell(r, k):
        v = r.get(k)
        return html.escape(formats[k](v)) if k in formats and v is not None else _cell(v)

    head = "".join(f"<th>{html.escape(h)}</th>" for _, h in columns)
    body = "".join("<tr>" + "".join(f"<td>{cell(r, k)}</td>" for k, _ in columns) + "</tr>" for r in rows)
    cap = f"<caption style='text-align:left'>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


PCT_FORMAT = {"t_factory_share": lambda v: f"{v:.0%}"}
TIME_FORMAT = {k: human_seconds for k in ("runtime_per_run_s", "total_s", "classical_s", "runtime_s",
                                          "logical_cycle_s")}
_FMT = {**PCT_FORMAT, **TIME_FORMAT}

_EST_COLUMNS = [("preset", "preset"), ("qec", "QEC"), ("physical_qubits", "physical qubits"), ("runtime_s", "runtime"),
                ("code_distance", "d"), ("t_factories", "T factories"), ("t_factory_share", "T-factory share"),
                ("logical_qubits", "logical qubits"), ("logical_error_rate", "logical error rate / cycle"),
                ("rqops", "rQOPS"), ("chunks", "chunks")]


# ---------------------------------------------------------------- estimates


# ---------------------------------------------------------------- solve results


def _fields(obj) -> dict:
    if hasattr(obj, "to_dict"):
        return obj.to_dict()

    if is_dataclass(obj):
        return {f.name: getattr(obj, f.name) for f in fields(obj)}
    return dict(vars(obj))


_SOLVE_KEYS = ("n", "N", "T", "kappa", "epsilon", "degree", "block_encoding_calls", "success_probability",
               "fidelity", "fidelity_carleman", "fidelity_gd", "qubits_in_superposition", "qubits_total",
               "amplification_length")


def _short(v) -> str:
    return f"{v:.4g}" if isinstance(v, (float, np.floating)) else repr(v)


def solve_result_repr(res) -> str:
    """Short repr of a quantum solve result: its scalar figures, never the amplitude vectors.

    For a result class: ``def __repr__(self): from pyqgd._display import solve_result_repr; return
    solve_result_repr(self)``.
    """
    d = _fields(res)
    items = ", ".join(f"{k}={_short(d[k])}" for k in _SOLVE_KEYS if k in d and d[k] is not None)
    return f"{type(res).__name__}({items})"


def solve_result_html(res) -> str:
    """HTML view of a quantum solve result: scalar figures as a table, vectors summarised by their length."""
    rows = []
    for k, v in _fields(res).items():
        if isinstance(v, (list, tuple, np.ndarray)):
            v = f"array of {len(v)}"
        elif isinstance(v, dict) or (v is not None and not isinstance(v, (int, float, str, bool, np.generic))):
            continue
        rows.append({"quantity": k, "value": v})
    return html_table(rows, caption=type(res).__name__)
