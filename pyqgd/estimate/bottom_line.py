"""The bottom line of a set of estimates: the cheapest *built* option first, then the alternatives, then what is
infeasible — each reason once.

An *option* is one priced circuit (block-encoding × loading × solver × read-out, an estimate's ``summary()``) on one
qubit preset. It is **feasible** when the QDK estimator met the error budget on that preset and its layout needs at
most :data:`DEVICE_PLAN_QUBITS` physical qubits. The bottom line is the feasible built option (``built``: every part
of the circuit is a Q# circuit of this project) with the least total time (one run's runtime × read-out runs); the
alternatives are every other estimate's best feasible preset, fastest first. Infeasible options are grouped by
reason, one line per reason.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from pyqgd._display import _EST_COLUMNS, _FMT, html_table, human_seconds
from pyqgd.estimate.classical import classical_wall_seconds
from pyqgd.estimate.physical import format_seconds

__all__ = ["DEVICE_PLAN_QUBITS", "Option", "BottomLine", "bottom_line", "infeasible_reason", "option_label",
           "model_estimate_html", "bottom_line_html"]

#: Physical qubits beyond which an option is reported infeasible: 10⁸, a hundred times the largest announced
#: fault-tolerant device plans (~10⁶ physical qubits, e.g. PsiQuantum's and IBM's published roadmaps) — an
#: assumption of this package, stated wherever it is applied.
DEVICE_PLAN_QUBITS = 10**8


@dataclass(frozen=True)
class Option:
    """One estimate on one preset: its label, whether it is built, its physical qubits, one run's runtime, read-out
    runs and total time with read-out (seconds)."""

    label: str
    built: bool
    preset: str
    physical_qubits: int
    runtime_seconds: float
    runs: int
    total_seconds: float
    readout: str = ""

    def line(self) -> str:
        how = f" ({self.readout})" if self.readout else ""
        return (f"{self.label} on {self.preset}: {self.physical_qubits:,} physical qubits, "
                f"{format_seconds(self.runtime_seconds)} per run, {format_seconds(self.total_seconds)} with "
                f"{self.runs:.3g} read-out runs{how}")

    def as_dict(self) -> dict:
        return {"label": self.label, "built": self.built, "preset": self.preset,
                "physical_qubits": int(self.physical_qubits), "runtime_seconds": float(self.runtime_seconds),
                "runs": int(self.runs), "total_seconds": float(self.total_seconds), "readout": self.readout}


@dataclass(frozen=True)
class BottomLine:
    """``best``: the cheapest feasible built option (None if there is none); ``alternatives``: the other estimates'
    best options, fastest first; ``infeasible``: (reason, options) pairs, one per reason; ``classical_seconds``."""

    best: Option | None
    alternatives: tuple
    infeasible: tuple
    classical_seconds: float | None = None

    def headline(self) -> str:
        gpu = "" if self.classical_seconds is None else f" (classical GPU: {format_seconds(self.classical_seconds)})"
        if self.best is None:
            return "Bottom line: no built option is feasible" + gpu + "."
        return f"Bottom line: {self.best.line()}{gpu}."

    def lines(self) -> list[str]:
        """The headline, one line per alternative, one line per infeasibility reason."""
        out = [self.headline()]
        if self.alternatives:
            out.append("Alternatives:")
            out += [f"  {o.line()}" for o in self.alternatives]
        for reason, where in self.infeasible:
            out.append(f"Infeasible — {reason}: {'; '.join(where)}")
        return out

    def as_dict(self) -> dict:
        return {"best": None if self.best is None else self.best.as_dict(),
                "alternatives": [o.as_dict() for o in self.alternatives],
                "infeasible": [{"reason": r, "options": list(w)} for r, w in self.infeasible],
                "classical_seconds": self.classical_seconds, "device_plan_qubits": DEVICE_PLAN_QUBITS}


def infeasible_reason(message: str) -> str:
    """A short reason shared by every preset it applies to (the estimator's message names distances and presets)."""
    if "code distance" in message:
        return "the error budget needs a code distance above 50 (the QDK estimator's maximum)"
    if "64-bit" in message:
        return "counts beyond the QDK estimator's 64-bit counters"
    return re.split(r"(?<=[.;:])\s", message, maxsplit=1)[0].rstrip(".;:")


def _summary(e) -> dict:
    """An estimate's summary figures (without its cost tree, which the bottom line does not need)."""
    if isinstance(e, dict):
        return e
    return e._fields() if hasattr(e, "_fields") else e.summary()


_ENCODINGS = {"kronecker": "Kronecker", "sparse": "structured oracles", "f_tables_model": "F-tables model"}
_LOADINGS = {"qrom": "QROM", "selectswap": "SelectSwap", "qram": "QRAM", "qram_free": "free QRAM"}


def option_label(s: dict) -> str:
    """"Kronecker + QROM (built)", "structured oracles + QRAM (model)": encoding, loading, and whether built."""
    enc = _ENCODINGS.get(s.get("block_encoding"), str(s.get("block_encoding")))
    solver = "" if "solver qsvt" in str(s.get("circuit", "solver qsvt")) else ", kernel solver"
    return f"{enc} + {_LOADINGS.get(s.get('loading'), s.get('loading'))}{solver} ({'built' if s.get('built') else 'model'})"


def bottom_line(estimates, preset: str | None = None) -> BottomLine:
    """The bottom line (module docstring) of estimates (:class:`~pyqgd.estimate.scale.ModelEstimate` objects or their
    ``summary()`` dicts); ``preset`` restricts the options to one preset."""
    groups: dict[str, list[str]] = {}
    per_estimate = []
    classical = None
    for e in estimates:
        s = _summary(e)
        classical = s.get("classical_wall_seconds", s.get("classical_seconds")) if classical is None else classical
        label, opts = option_label(s), []
        for row in s.get("physical") or []:
            key = row["preset"] + ("" if row.get("qec", "surface_code") == "surface_code" else "/" + row["qec"])
            if preset is not None and row["preset"] != preset:
                continue
            if row["physical_qubits"] > DEVICE_PLAN_QUBITS:
                groups.setdefault(f"more than {DEVICE_PLAN_QUBITS:.0e} physical qubits (beyond any device plan)",
                                  []).append(f"{label} on {key}")
                continue
            total = (s.get("total_seconds") or {}).get(key)
            if total is not None:
                opts.append(Option(label, bool(s.get("built")), key, int(row["physical_qubits"]),
                                   float(row["runtime_s"]), int(s.get("samples") or 0), float(total),
                                   str(s.get("readout") or "")))
        for p, why in (s.get("infeasible") or {}).items():
            if preset is None or p == preset:
                groups.setdefault(infeasible_reason(why), []).append(f"{label} on {p}")
        if opts:
            per_estimate.append(min(opts, key=lambda o: o.total_seconds))
    built = [o for o in per_estimate if o.built]
    best = min(built, key=lambda o: o.total_seconds) if built else None
    alts = tuple(sorted((o for o in per_estimate if o is not best), key=lambda o: o.total_seconds))
    infeasible = tuple((r, tuple(_compact(w))) for r, w in groups.items())
    return BottomLine(best, alts, infeasible, None if classical is None else float(classical))


def _compact(where: list[str]) -> list[str]:
    """'label on p1', 'label on p2' → 'label on p1, p2' (one entry per label)."""
    by: dict[str, list[str]] = {}
    for w in where:
        label, _, rest = w.rpartition(" on ")
        by.setdefault(label, []).append(rest)
    return [f"{label} on {', '.join(ps)}" for label, ps in by.items()]


def model_estimate_html(me) -> str:
    """HTML view of a ``ModelEstimate`` (per-run estimates, total with read-out, the classical model's GPU time).

    For ``ModelEstimate._repr_html_``: ``from pyqgd.estimate.bottom_line import model_estimate_html; return
    model_estimate_html(self)``.
    """
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
    return bottom_line_html(bottom_line([me]).as_dict()) + head + html_table(rows, cols, formats=_FMT) + (
        "<h4>Where the cost of one run goes</h4>" + me.cost_tree()._repr_html_())


def bottom_line_html(line: dict) -> str:
    """A bottom line (:meth:`pyqgd.estimate.bottom_line.BottomLine.as_dict`) in HTML: the cheapest built option in
    bold, the alternatives, one line per infeasibility reason."""
    bl = BottomLine(None if line["best"] is None else Option(**line["best"]),
                    tuple(Option(**o) for o in line["alternatives"]),
                    tuple((r["reason"], tuple(r["options"])) for r in line["infeasible"]), line.get("classical_seconds"))
    first, *rest = bl.lines()
    items = "".join(f"<li>{html.escape(x.strip())}</li>" for x in rest if x.strip() != "Alternatives:")
    return f"<p class='pyqgd-bottom-line'><b>{html.escape(first)}</b></p>" + (f"<ul>{items}</ul>" if items else "")
