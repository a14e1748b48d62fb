"""Layer-neutral display helpers: HTML tables, DataFrames, human durations, and the Jupyter views of estimate and
solve-result objects.

It imports nothing from pyqgd, so every layer (quantum, estimate, report) can give its result objects a
``_repr_html_`` / short ``__repr__`` through it without a dependency cycle. The views are duck-typed on the fields the
objects carry. pandas is optional (``pip install 'pyqgd[notebooks]'``).
"""

from __future__ import annotations

import html
import math

import numpy as np

__all__ = ["human_seconds", "dataframe", "html_table", "estimates_html", "estimates_repr", "model_estimate_html",
           "solve_result_html", "solve_result_repr", "PCT_FORMAT", "TIME_FORMAT"]

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


def estimates_repr(pe) -> str:
    """Short repr of a ``PhysicalEstimates``."""
    what = ", ".join(f"{e.preset}/{e.qec_scheme}" for e in pe.estimates)
    return f"PhysicalEstimates({pe.label or 'unlabelled'!r}: {len(pe.estimates)} estimates [{what}])"


def estimates_html(pe, *, caption: str | None = None) -> str:
    """HTML table of physical estimates with the QDK's headline figures (rQOPS, T-factory share, logical error rate)."""
    out = html_table(pe.rows(), _EST_COLUMNS, caption=caption if caption is not None else (pe.label or "Physical estimates"),
                     formats=_FMT)
    if pe.notes:
        out += "<ul>" + "".join(f"<li><small>{html.escape(n)}</small></li>" for n in pe.notes) + "</ul>"
    if pe.estimates and all(e.qdk_result is not None for e in pe.estimates):
        from pyqgd.estimate.qdk_views import qdk_html

        out += qdk_html(pe)
    return out


def model_estimate_html(me) -> str:
    """HTML view of a ``ModelEstimate`` (per-run estimates, total with read-out, the classical model's GPU time).

    For ``ModelEstimate._repr_html_``: ``from pyqgd._display import model_estimate_html; return
    model_estimate_html(self)``.
    """
    from pyqgd.estimate.classical import classical_wall_seconds

    pr = me.problem
    gpu = classical_wall_seconds(pr.n, pr.T, me.classical_seconds)
    rows = []
    for r in (me.physical.rows() if me.physical is not None else []):
        key = r["preset"] + ("" if r["qec"] == "surface_code" else "/" + r["qec"])
        rows.append({**r, "total_s": me.total_seconds.get(key), "classical_s": gpu})
    rows += [{"preset": p, "qec": "—", "infeasible": why} for p, why in me.infeasible.items()]
    head = (f"<p><b>n = {pr.n:,}, T = {pr.T:,}, N = {pr.N}, ε = {pr.epsilon:g}, {pr.loading.upper()} loading</b>: "
            f"QSVT degree {me.cost.degree:,}, {me.samples:.3g} read-out runs ({me.readout}); GPU "
            f"{human_seconds(gpu)} (docs/math.md Eq. (15))</p>")
    cols = [c for c in _EST_COLUMNS if c[0] not in ("runtime_s", "logical_qubits", "t_factories")]
    cols += [("runtime_s", "per run"), ("total_s", "total with read-out"), ("classical_s", "GPU")]
    if me.infeasible:
        cols.append(("infeasible", "why infeasible"))
    from pyqgd.estimate.bottom_line import bottom_line

    return bottom_line_html(bottom_line([me]).as_dict()) + head + html_table(rows, cols, formats=_FMT) + (
        "<h4>Where the cost of one run goes</h4>" + me.cost_tree()._repr_html_())


def bottom_line_html(line: dict) -> str:
    """A bottom line (:meth:`pyqgd.estimate.bottom_line.BottomLine.as_dict`) in HTML: the cheapest built option in
    bold, the alternatives, one line per infeasibility reason."""
    from pyqgd.estimate.bottom_line import BottomLine, Option

    bl = BottomLine(None if line["best"] is None else Option(**line["best"]),
                    tuple(Option(**o) for o in line["alternatives"]),
                    tuple((r["reason"], tuple(r["options"])) for r in line["infeasible"]), line.get("classical_seconds"))
    first, *rest = bl.lines()
    items = "".join(f"<li>{html.escape(x.strip())}</li>" for x in rest if x.strip() != "Alternatives:")
    return f"<p class='pyqgd-bottom-line'><b>{html.escape(first)}</b></p>" + (f"<ul>{items}</ul>" if items else "")


# ---------------------------------------------------------------- solve results


def _fields(obj) -> dict:
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    from dataclasses import fields, is_dataclass

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
