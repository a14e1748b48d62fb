"""The QDK resource estimator's figures as its users know them, from the ``EstimatorResult`` each
:class:`~pyqgd.estimate.physical.PhysicalEstimate` keeps (``qdk_result``).

* :func:`qdk_groups`: the estimator's own grouped tables (its ``reportData`` groups — "Physical resource
  estimates", "Resource estimates breakdown", "Logical qubit parameters", "T factory parameters", "Pre-layout
  logical resources", "Assumed error budget", "Physical qubit parameters", "Constraints") with the values it
  formats (``physicalCountsFormatted`` …), as the QDK's own report shows them;
* :func:`qdk_summary_rows`: one row per preset of the figures one compares across presets: physical qubits for the
  algorithm vs for the T factories, code distance, T-factory count, the T factories' share of the runtime
  (T-factory invocations × one factory's duration / runtime), the error-budget split (logical, T states,
  rotations) and rQOPS;
* :func:`qdk_html`: both as HTML (one expandable block per preset), and :func:`qdk_widgets`: the ``qsharp_widgets``
  views (``EstimatesOverview``, ``SpaceChart``, ``EstimateDetails``) where that package is installed.

Runs longer than the estimator's counters are estimated in K sequential chunks
(:func:`pyqgd.estimate.estimate_physical`): the QDK figures then describe one chunk (qubits, distance, shares);
runtimes and the error-budget split in :func:`qdk_summary_rows` are the whole run's (K × the chunk's ε/K).
"""

from __future__ import annotations

import html

from pyqgd._display import _EST_COLUMNS, _FMT, PCT_FORMAT, TIME_FORMAT, html_table
from pyqgd._progress import default_progress

__all__ = ["qdk_groups", "qdk_summary_rows", "qdk_html", "qdk_widgets", "show_qdk_widgets", "SUMMARY_COLUMNS",
           "estimates_html", "estimates_repr"]

#: (key, header) of :func:`qdk_summary_rows` in display order.
SUMMARY_COLUMNS = [("preset", "preset"), ("qec", "QEC"), ("physical_qubits", "physical qubits"),
                   ("algorithm_qubits", "for the algorithm"), ("t_factory_qubits", "for T factories"),
                   ("code_distance", "code distance"), ("t_factories", "T factories"),
                   ("t_factory_runtime_share", "T-factory runtime share"), ("budget_logical", "budget: logical"),
                   ("budget_tstates", "budget: T states"), ("budget_rotations", "budget: rotations"),
                   ("rqops", "rQOPS"), ("runtime_s", "runtime"), ("chunks", "chunks")]


def _result(estimate) -> dict:
    r = getattr(estimate, "qdk_result", None)
    if r is None:
        raise ValueError(f"the estimate for {estimate.preset} keeps no QDK result (read from JSON?): re-run "
                         "estimate_physical to get the QDK's tables")
    if "frontierEntries" in r:  # a frontier estimate: its first (shortest-runtime) point carries the counts
        return {**r, **r["frontierEntries"][0]}
    return r


def _path(d: dict, path: str):
    for key in path.split("/"):
        if not isinstance(d, dict) or key not in d:
            return None
        d = d[key]
    return d


def qdk_groups(estimate) -> list[dict]:
    """The QDK's grouped tables of one estimate: [{"title", "rows": [{"label", "value", "description"}]}] in the
    estimator's order and wording (its ``reportData``)."""
    r = _result(estimate)
    groups = []
    for g in _path(r, "reportData/groups") or []:
        rows = [{"label": e["label"], "value": _path(r, e["path"]), "description": e.get("description", "")}
                for e in g.get("entries", [])]
        groups.append({"title": g["title"], "rows": [x for x in rows if x["value"] is not None]})
    return groups


def qdk_summary_rows(estimates) -> list[dict]:
    """One row per estimate of a :class:`~pyqgd.estimate.physical.PhysicalEstimates` (module docstring)."""
    rows = []
    for e in estimates.estimates:
        r = _result(e)
        b = _path(r, "physicalCounts/breakdown") or {}
        run_ns = float(_path(r, "physicalCounts/runtime") or 0.0)
        factory_ns = float(_path(r, "tfactory/runtime") or 0.0) * float(b.get("numTfactoryRuns", 0))
        # a run estimated in K chunks gives each chunk ε/K: the split of the whole run's budget is K × the chunk's
        budget = {k: e.chunks * v for k, v in (r.get("errorBudget") or {}).items()}
        rows.append({"preset": e.preset, "qec": e.qec_scheme, "physical_qubits": e.physical_qubits,
                     "algorithm_qubits": int(b.get("physicalQubitsForAlgorithm", 0)),
                     "t_factory_qubits": int(b.get("physicalQubitsForTfactories", 0)),
                     "code_distance": int(_path(r, "logicalQubit/codeDistance")), "t_factories": int(b.get("numTfactories", 0)),
                     "t_factory_runtime_share": min(1.0, factory_ns / run_ns) if run_ns else None,
                     "budget_logical": budget.get("logical"), "budget_tstates": budget.get("tstates"),
                     "budget_rotations": budget.get("rotations"), "rqops": float(_path(r, "physicalCounts/rqops")),
                     "runtime_s": e.runtime_seconds, "chunks": e.chunks})
    return rows


def qdk_html(estimates) -> str:
    """The summary table across presets, then per preset an expandable block with the QDK's grouped tables."""
    fmt = {**PCT_FORMAT, **TIME_FORMAT, "t_factory_runtime_share": "{:.0%}".format, "budget_logical": "{:.2g}".format,
           "budget_tstates": "{:.2g}".format, "budget_rotations": "{:.2g}".format, "rqops": "{:.3g}".format}
    parts = [html_table(qdk_summary_rows(estimates), SUMMARY_COLUMNS, formats=fmt,
                        caption="QDK estimator: physical qubits (algorithm vs T factories), code distance, T factories, "
                                "error-budget split, rQOPS")]
    frontier = estimates.frontier_rows()
    if frontier:  # estimates made with frontier=True: the QDK's space–time trade-off, point by point
        parts.append(html_table(frontier, [("preset", "preset"), ("qec", "QEC"), ("physical_qubits", "physical qubits"),
                                           ("runtime_s", "runtime"), ("t_factories", "T factories")],
                                formats=fmt, caption="Space–time frontier (QDK estimator)"))
    for e in estimates.estimates:
        body = "".join(
            f"<table class='pyqgd-qdk-group'><caption>{html.escape(g['title'])}</caption>"
            + "".join(f"<tr><th title='{html.escape(str(x['description']))}'>{html.escape(x['label'])}</th>"
                      f"<td>{html.escape(_fmt(x['value']))}</td></tr>" for x in g["rows"]) + "</table>"
            for g in qdk_groups(e))
        parts.append(f"<details class='pyqgd-qdk'><summary>{html.escape(e.preset)} ({html.escape(e.qec_scheme)}): "
                     f"the QDK's tables</summary>{body}</details>")
    return "<div class='pyqgd-qdk-views'>" + "".join(parts) + "</div>"


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    return str(v)


def qdk_widgets(estimates):
    """The ``qsharp_widgets`` views of the kept results: ``{"overview": EstimatesOverview, "space": [SpaceChart per
    estimate], "details": [EstimateDetails per estimate]}``; ImportError with the install line without the package."""
    try:
        import qsharp_widgets as w
    except ImportError as exc:
        raise ImportError("the QDK's interactive views need qsharp-widgets: pip install qsharp-widgets") from exc
    results = [_result(e) for e in estimates.estimates]
    names = [f"{e.preset} ({e.qec_scheme})" for e in estimates.estimates]
    return {"overview": w.EstimatesOverview({str(i): dict(r) for i, r in enumerate(results)}, runNames=names),
            "space": [w.SpaceChart(r) for r in results], "details": [w.EstimateDetails(r) for r in results]}


def show_qdk_widgets(estimates, index: int = 0) -> bool:
    """Display the ``SpaceChart`` and ``EstimateDetails`` of one kept result where ``qsharp_widgets`` is installed
    and a person watches a notebook (:func:`pyqgd._progress.default_progress`: not in a headless run or a static
    page, where the widgets' scripts would have to come from a CDN); returns whether they were shown."""

    try:
        import qsharp_widgets as w
        from IPython.display import display
    except ImportError:
        return False
    if not default_progress():
        return False
    r = _result(estimates.estimates[index])
    display(w.SpaceChart(r), w.EstimateDetails(r))
    return True


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
        out += qdk_html(pe)
    return out
