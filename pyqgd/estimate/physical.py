"""Physical surface-code / Floquet-code estimates from validated logical counts (a thin facade over the QDK estimator).

``estimate_physical(cost, ...)`` hands the counts of :mod:`pyqgd.estimate.logical` to
``qdk.estimator.LogicalCounts(...).estimate`` (no program is traced: milliseconds at any magnitude) for each qubit
preset — ``qubit_gate_ns_e3/e4``, ``qubit_gate_us_e3/e4``, ``qubit_maj_ns_e4/e6`` — with the surface code for all
and the Floquet code where the QDK allows it (Majorana presets only), a user error budget, and optionally the
space–time frontier. The QDK's ``EstimatorError`` derives from ``BaseException``; it is caught here and re-raised as
:class:`~pyqgd.estimate.errors.ErrorBudgetError` (budget cannot be met) or
:class:`~pyqgd.estimate.errors.EstimationFailedError`.

Large programs are handled by *chunking* (the estimator's runtime is an unsigned 64-bit number of nanoseconds, which
overflows after ~585 years, and its counts must fit 64 bits): when the sequential logical depth exceeds
``CHUNK_DEPTH`` = 10^10, the run is split into K equal sequential chunks, each estimated with error budget ε/K; for the QDK model this gives the same required logical
error rate per operation, hence the same code distance and factories, and the runtime is multiplied by K
(``chunks`` in the result says when this was used; docs/math.md Eq. (16)).

Each :class:`PhysicalEstimate` keeps the QDK's own ``EstimatorResult`` (``qdk_result``; for a chunked run, that of one
chunk) so that its HTML report and the ``qsharp_widgets`` views (``EstimatesOverview``, ``SpaceChart``) can be used,
and carries the figures a QEC researcher checks first: rQOPS, the share of physical qubits in T factories, the
logical error rate per logical qubit and cycle, the code distance and the number of chunks.

When a budget cannot be met, :func:`feasibility` *computes* what would make it feasible — the code distance the
budget needs (the QDK allows at most 50), the smallest error budget that works (bisection on the estimator), and the
presets that work at the given budget — and the :class:`~pyqgd.estimate.errors.ErrorBudgetError` says so.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from dataclasses import dataclass, field, fields
from typing import Any

from qdk.estimator import EstimatorError, LogicalCounts

from pyqgd._checks import InputTypeError
from pyqgd._display import dataframe
from pyqgd.estimate.errors import (
    ErrorBudgetError,
    EstimationFailedError,
    UnknownPresetError,
    check_epsilon,
)
from pyqgd.estimate.logical import LogicalCost
from pyqgd.estimate.qdk_views import estimates_html, estimates_repr

__all__ = ["QUBIT_PRESETS", "QEC_SCHEMES", "check_presets", "format_seconds", "PhysicalEstimate", "PhysicalEstimates",
           "estimate_physical", "default_schemes", "Feasibility", "feasibility", "MAX_CODE_DISTANCE"]

QUBIT_PRESETS = ("qubit_gate_ns_e3", "qubit_gate_ns_e4", "qubit_gate_us_e3", "qubit_gate_us_e4",
                 "qubit_maj_ns_e4", "qubit_maj_ns_e6")
QEC_SCHEMES = ("surface_code", "floquet_code")
#: Largest logical depth handed to the estimator in one piece (see module docstring).
CHUNK_DEPTH = 10**10
#: Largest code distance the QDK estimator accepts by default (``qecScheme.maxCodeDistance``).
MAX_CODE_DISTANCE = 50
#: Largest code distance :func:`feasibility` asks the estimator about when it reports the distance a budget needs:
#: beyond ~90 the QDK's T-factory search runs for minutes (measured on a 10^42-Toffoli run), so larger needs are
#: reported as "more than" this.
WIDE_CODE_DISTANCE = 80


def default_schemes(preset: str) -> tuple[str, ...]:
    """Surface code for every preset; Floquet code too for the Majorana presets (the only ones the QDK allows)."""
    return ("surface_code", "floquet_code") if preset.startswith("qubit_maj") else ("surface_code",)


@dataclass(frozen=True)
class PhysicalEstimate:
    """One physical estimate: preset × QEC scheme (all times in seconds).

    ``frontier`` is a list of (physical_qubits, runtime_seconds, t_factories) points of the space–time trade-off
    when requested, else empty. ``logical_error_rate``: the QDK's logical error rate of one logical qubit per logical
    cycle at the chosen code distance; ``t_factory_share``: physical qubits in T factories / all physical qubits;
    ``rqops``: reliable quantum operations per second (logical qubits × logical clock frequency, the QDK's figure);
    ``chunks``: sequential pieces the run was estimated in (module docstring). ``qdk_result``: the QDK's
    ``EstimatorResult`` (not serialised; None after :meth:`PhysicalEstimates.from_json`).
    """

    preset: str
    qec_scheme: str
    error_budget: float
    physical_qubits: int
    runtime_seconds: float
    code_distance: int
    logical_qubits: int
    logical_depth: int
    t_states: int
    t_factories: int
    physical_qubits_for_factories: int
    logical_cycle_seconds: float
    rqops: float
    chunks: int = 1
    frontier: tuple = ()
    logical_error_rate: float | None = None
    physical_qubits_for_algorithm: int | None = None
    qdk_result: Any = field(default=None, repr=False, compare=False)

    @property
    def t_factory_share(self) -> float:
        """Fraction of the physical qubits that sit in T factories."""
        return self.physical_qubits_for_factories / self.physical_qubits if self.physical_qubits else float("nan")

    def to_dict(self) -> dict:
        """The fields as plain data (without the QDK result object)."""
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "qdk_result"}
        d["frontier"] = [list(p) for p in self.frontier]
        return d

    def qdk_html(self) -> str:
        """The QDK's own HTML report of this estimate (ValueError when the QDK result is not kept)."""
        if self.qdk_result is None:
            raise ValueError("this estimate has no QDK result (it was read from JSON): re-run estimate_physical")
        return self.qdk_result._repr_html_()


@dataclass(frozen=True)
class PhysicalEstimates:
    """All physical estimates of one circuit: the logical counts they came from, and one entry per preset/scheme."""
    logical_counts: dict
    estimates: tuple
    label: str = ""
    qram_cells: int = 0
    notes: tuple = ()

    def to_json(self) -> str:
        d = {"label": self.label, "logical_counts": self.logical_counts, "qram_cells": self.qram_cells,
             "notes": list(self.notes), "estimates": [e.to_dict() for e in self.estimates]}
        return json.dumps(d, sort_keys=True)

    @classmethod
    def from_json(cls, s: str) -> "PhysicalEstimates":
        d = json.loads(s)
        names = {f.name for f in fields(PhysicalEstimate)} - {"qdk_result"}
        optional = {"logical_error_rate", "physical_qubits_for_algorithm"}
        ests = []
        for e in d["estimates"]:
            if not names - optional <= set(e) <= names:
                raise ValueError(f"not a PhysicalEstimate record: fields {sorted(set(e) ^ names)} differ")
            e = dict(e)
            e["frontier"] = tuple(tuple(p) for p in e["frontier"])
            ests.append(PhysicalEstimate(**e))
        return cls(logical_counts=d["logical_counts"], estimates=tuple(ests), label=d.get("label", ""),
                   qram_cells=int(d.get("qram_cells", 0)), notes=tuple(d.get("notes", ())))

    def get(self, preset: str, qec_scheme: str = "surface_code") -> PhysicalEstimate:
        for e in self.estimates:
            if e.preset == preset and e.qec_scheme == qec_scheme:
                return e
        raise KeyError(f"no estimate for {preset} / {qec_scheme}")

    def rows(self) -> list[dict]:
        """One dict per estimate: the figures of :meth:`table` plus T states, logical cycle and rQOPS."""
        return [{"preset": e.preset, "qec": e.qec_scheme, "physical_qubits": e.physical_qubits,
                 "runtime_s": e.runtime_seconds, "code_distance": e.code_distance, "t_factories": e.t_factories,
                 "t_factory_share": e.t_factory_share, "logical_qubits": e.logical_qubits,
                 "logical_depth": e.logical_depth, "logical_error_rate": e.logical_error_rate, "rqops": e.rqops,
                 "t_states": e.t_states, "logical_cycle_s": e.logical_cycle_seconds, "chunks": e.chunks}
                for e in self.estimates]

    def frontier_rows(self) -> list[dict]:
        """The space–time frontier (estimates made with ``frontier=True``): one dict per point and preset."""
        return [{"preset": e.preset, "qec": e.qec_scheme, "physical_qubits": q, "runtime_s": t, "t_factories": f}
                for e in self.estimates for q, t, f in e.frontier]

    def table(self) -> str:
        """A readable fixed-width table (one line per preset × scheme)."""
        hdr = (f"{'preset':18s} {'qec':13s} {'phys. qubits':>13s} {'runtime':>12s} {'d':>3s} {'factories':>9s} "
               f"{'fact. share':>11s} {'log. qubits':>11s} {'log. err/cycle':>14s} {'rQOPS':>9s} {'chunks':>10s}")
        lines = [hdr, "-" * len(hdr)]
        for e in self.estimates:
            ler = "—" if e.logical_error_rate is None else f"{e.logical_error_rate:.1e}"
            lines.append(f"{e.preset:18s} {e.qec_scheme:13s} {e.physical_qubits:13,d} {format_seconds(e.runtime_seconds):>12s} "
                         f"{e.code_distance:3d} {e.t_factories:9d} {e.t_factory_share:11.0%} {e.logical_qubits:11d} "
                         f"{ler:>14s} {e.rqops:9.2e} {e.chunks:10,d}")
        return "\n".join(lines + [f"note: {n}" for n in self.notes])

    def to_dataframe(self, *, frontier: bool = False):
        """A pandas DataFrame of :meth:`rows` (or of :meth:`frontier_rows`); ImportError with advice without pandas."""
        return dataframe(self.frontier_rows() if frontier else self.rows())

    def _repr_html_(self) -> str:
        return estimates_html(self)

    def __repr__(self) -> str:
        return estimates_repr(self)


def format_seconds(t: float) -> str:
    """Human-readable duration."""
    for unit, sec in (("yr", 365.25 * 86400), ("d", 86400), ("h", 3600), ("min", 60), ("s", 1), ("ms", 1e-3), ("µs", 1e-6)):
        if t >= sec:
            return f"{t / sec:.3g} {unit}"
    return f"{t * 1e9:.3g} ns"


def _qdk():
    os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")

    return LogicalCounts, EstimatorError


def check_presets(presets, qec_schemes=None) -> list[tuple[str, str]]:
    """Validated (preset, QEC scheme) pairs; ``UnknownPresetError`` names the valid choices."""
    if isinstance(presets, str):
        presets = (presets,)
    presets = tuple(presets)
    if not presets:
        raise UnknownPresetError(f"no qubit preset given; choose from {QUBIT_PRESETS}")
    for p in presets:
        if not isinstance(p, str):
            raise InputTypeError(f"qubit presets are names (str), got {type(p).__name__}")
        if p not in QUBIT_PRESETS:
            raise UnknownPresetError(f"unknown qubit preset {p!r}; choose from {', '.join(QUBIT_PRESETS)}")
    pairs = []
    for p in presets:
        schemes = default_schemes(p) if qec_schemes is None else ((qec_schemes,) if isinstance(qec_schemes, str) else tuple(qec_schemes))
        for q in schemes:
            if q not in QEC_SCHEMES:
                raise UnknownPresetError(f"unknown QEC scheme {q!r}; choose from {QEC_SCHEMES}")
            if q == "floquet_code" and not p.startswith("qubit_maj"):
                if qec_schemes is None:
                    continue
                raise UnknownPresetError(f"the Floquet code needs a Majorana preset (qubit_maj_ns_e4/e6), not {p!r}; "
                                         "use qec_schemes='surface_code' for gate-based qubits")
            pairs.append((p, q))
    return pairs


def estimate_physical(cost: LogicalCost | dict, presets=QUBIT_PRESETS, *, qec_schemes=None, error_budget: float = 1e-3,
                      frontier: bool = False, label: str = "", max_t_factories: int | None = None) -> PhysicalEstimates:
    """Physical estimates of a circuit with the given logical counts for each preset (and QEC scheme).

    ``cost``: a :class:`LogicalCost` (``qubits_allocated`` is used) or a QDK counts dict. ``qec_schemes``: None
    (surface code everywhere + Floquet for Majorana presets), a name, or a list. ``error_budget`` ∈ (0, 1).
    Raises UnknownPresetError, ErrorBudgetError (out of range or cannot be met: its message and its ``feasibility``
    attribute, a :class:`Feasibility`, give the computed remedy), EstimationFailedError. Each estimate keeps the QDK's
    ``EstimatorResult`` (``qdk_result``); ``frontier=True`` asks the QDK for the space–time frontier
    (``estimateType: "frontier"``), listed in ``PhysicalEstimates.frontier_rows()`` and drawn by
    :func:`pyqgd.report.plots.frontier`.
    """
    eb = check_epsilon(error_budget, "error_budget")
    pairs = check_presets(presets, qec_schemes)
    counts = cost.to_counts() if isinstance(cost, LogicalCost) else dict(cost)
    qram_cells = cost.qram_cells if isinstance(cost, LogicalCost) else 0
    if counts.get("numQubits", 0) < 1:
        raise ValueError("the circuit uses no qubits: nothing to estimate")
    # sequential depth proxy of the QDK layout: meas + T + 3 CCZ + rotations + ~30 T per rotation layer
    depth = (int(counts["measurementCount"]) + int(counts["tCount"]) + 3 * (int(counts["cczCount"]) + int(counts["ccixCount"]))
             + int(counts["rotationCount"]) + 30 * int(counts["rotationDepth"]))
    K = max(1, -(-depth // CHUNK_DEPTH))
    chunk = {k: (int(v) if k == "numQubits" else -(-int(v) // K)) for k, v in counts.items()}
    too_big = {k: v for k, v in chunk.items() if v >= 2**63}
    if too_big:  # the estimator reads unsigned 64-bit counts; chunking cannot shrink a qubit count
        raise EstimationFailedError(
            "beyond the QDK estimator's 64-bit counters: " + ", ".join(f"{k} = {v:.3g}" for k, v in too_big.items()))
    LogicalCounts, EstimatorError = _qdk()
    items = []
    for p, q in pairs:
        it = {"qubitParams": {"name": p}, "qecScheme": {"name": q}, "errorBudget": eb / K}
        if frontier:
            it["estimateType"] = "frontier"
        if max_t_factories is not None:
            it["constraints"] = {"maxTFactories": int(max_t_factories)}
        items.append(it)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        lc = LogicalCounts(chunk)
        for (p, q), it in zip(pairs, items):
            try:
                r = lc.estimate(it)
            except EstimatorError as exc:  # BaseException subclass: catch explicitly, re-raise a normal error
                msg = str(exc)
                if "code distance" in msg or "ErrorBudget" in msg or "CodeParameter" in msg:
                    adv = feasibility(counts, p, q, error_budget=eb, max_t_factories=max_t_factories)
                    err = ErrorBudgetError(f"error budget {eb:g} cannot be met for {p}/{q}: {adv.explain()}")
                    err.feasibility = adv
                    raise err from None
                raise EstimationFailedError(f"QDK estimator failed for {p}/{q}: {msg}") from None
            out.append(_record(r, p, q, eb, K, frontier))
    notes = (f"estimated as {K} sequential chunks of depth ≤ {CHUNK_DEPTH:.0e} (budget ε/K each)",) if K > 1 else ()
    return PhysicalEstimates(logical_counts=counts, estimates=tuple(out), label=label, qram_cells=qram_cells, notes=notes)


def _record(r, preset, qec, eb, K, frontier) -> PhysicalEstimate:
    if frontier:
        ents = r["frontierEntries"]
        first = ents[0]
        pts = tuple((int(e["physicalCounts"]["physicalQubits"]), K * e["physicalCounts"]["runtime"] * 1e-9,
                     int(e["physicalCounts"]["breakdown"]["numTfactories"])) for e in ents)
        pc, lq = first["physicalCounts"], first["logicalQubit"]
    else:
        pts = ()
        pc, lq = r["physicalCounts"], r["logicalQubit"]
    b = pc["breakdown"]
    return PhysicalEstimate(
        preset=preset, qec_scheme=qec, error_budget=eb, physical_qubits=int(pc["physicalQubits"]),
        runtime_seconds=K * pc["runtime"] * 1e-9, code_distance=int(lq["codeDistance"]),
        logical_qubits=int(b["algorithmicLogicalQubits"]), logical_depth=K * int(b["logicalDepth"]),
        t_states=K * int(b["numTstates"]), t_factories=int(b["numTfactories"]),
        physical_qubits_for_factories=int(b["physicalQubitsForTfactories"]),
        logical_cycle_seconds=lq["logicalCycleTime"] * 1e-9, rqops=float(pc["rqops"]), chunks=K, frontier=pts,
        logical_error_rate=float(lq["logicalErrorRate"]),
        physical_qubits_for_algorithm=int(b["physicalQubitsForAlgorithm"]), qdk_result=r)


# ---------------------------------------------------------------- infeasibility, explained


@dataclass(frozen=True)
class Feasibility:
    """What it takes to make one (preset, QEC scheme) estimate feasible, computed with the QDK estimator.

    ``feasible``: at ``error_budget``; ``required_code_distance``: the distance the budget needs, None above
    :data:`WIDE_CODE_DISTANCE` (the QDK's default
    maximum is :data:`MAX_CODE_DISTANCE`), None if the estimator could not say; ``min_error_budget``: the smallest
    budget (within 10 %, rounded up to 2 significant digits) at which the estimate succeeds, None if none below 0.5 does;
    ``feasible_presets``: the presets that succeed at ``error_budget`` (surface code, Floquet for Majorana).
    """

    preset: str
    qec_scheme: str
    error_budget: float
    feasible: bool
    required_code_distance: int | None
    min_error_budget: float | None
    feasible_presets: tuple

    def explain(self) -> str:
        """One sentence with the computed remedies."""
        if self.feasible:
            return f"feasible at error budget {self.error_budget:g}"
        parts = []
        if self.required_code_distance is not None:
            parts.append(f"it needs code distance {self.required_code_distance} > {MAX_CODE_DISTANCE} (the QDK maximum)")
        else:
            parts.append(f"it needs a code distance above {WIDE_CODE_DISTANCE} (the QDK maximum is {MAX_CODE_DISTANCE})")
        fixes = []
        if self.min_error_budget is not None:
            fixes.append(f"increase the error budget to ≥ {self.min_error_budget:.2g} (computed)")
        else:
            fixes.append("no error budget below 0.5 suffices: reduce the circuit (lower T, ε or n)")
        if self.feasible_presets:
            fixes.append(f"or keep {self.error_budget:g} with preset {' / '.join(self.feasible_presets)}")
        return "; ".join(parts + [" ".join(fixes)])


def _attempt(lc, preset, qec, budget, max_t_factories, EstimatorError, max_distance=None):
    it = {"qubitParams": {"name": preset}, "qecScheme": {"name": qec}, "errorBudget": budget}
    if max_distance is not None:
        it["qecScheme"]["maxCodeDistance"] = int(max_distance)
    if max_t_factories is not None:
        it["constraints"] = {"maxTFactories": int(max_t_factories)}
    try:
        return lc.estimate(it)
    except EstimatorError:
        return None


def feasibility(cost: LogicalCost | dict, preset: str, qec_scheme: str = "surface_code", *, error_budget: float = 1e-3,
                max_t_factories: int | None = None) -> Feasibility:
    """Compute what makes ``cost`` feasible on ``preset``: the code distance the budget needs, the smallest error
    budget that works (bisection in log(budget) on the QDK estimator, ~25 estimates of a few ms), and the presets
    that work at ``error_budget``. The same chunking as :func:`estimate_physical` is applied."""
    eb = check_epsilon(error_budget, "error_budget")
    ((preset, qec_scheme),) = check_presets(preset, qec_scheme)
    counts = cost.to_counts() if isinstance(cost, LogicalCost) else dict(cost)
    depth = (int(counts["measurementCount"]) + int(counts["tCount"]) + 3 * (int(counts["cczCount"]) + int(counts["ccixCount"]))
             + int(counts["rotationCount"]) + 30 * int(counts["rotationDepth"]))
    K = max(1, -(-depth // CHUNK_DEPTH))
    chunk = {k: (int(v) if k == "numQubits" else -(-int(v) // K)) for k, v in counts.items()}
    LogicalCounts, EstimatorError = _qdk()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        lc = LogicalCounts(chunk)

        def ok(budget, p=preset, q=qec_scheme):
            return _attempt(lc, p, q, budget / K, max_t_factories, EstimatorError) is not None

        feasible = ok(eb)
        wide = _attempt(lc, preset, qec_scheme, eb / K, max_t_factories, EstimatorError, max_distance=WIDE_CODE_DISTANCE)
        required = int(wide["logicalQubit"]["codeDistance"]) if wide is not None else None
        hi = 0.5
        if feasible:
            min_budget = eb
        elif not ok(hi):
            min_budget = None
        else:
            lo = eb
            for _ in range(40):  # bisection in log space: feasibility is monotone in the budget
                mid = math.sqrt(lo * hi)
                lo, hi = (lo, mid) if ok(mid) else (mid, hi)
                if hi / lo < 1.1:
                    break
            min_budget = float(f"{hi * 1.005:.2g}") if ok(float(f"{hi * 1.005:.2g}")) else hi
        presets = tuple(f"{p}" + ("" if q == "surface_code" else f" ({q})")
                        for p in QUBIT_PRESETS for q in default_schemes(p) if (p, q) != (preset, qec_scheme) and ok(eb, p, q))
    return Feasibility(preset=preset, qec_scheme=qec_scheme, error_budget=eb, feasible=feasible,
                       required_code_distance=required, min_error_budget=min_budget, feasible_presets=presets)
