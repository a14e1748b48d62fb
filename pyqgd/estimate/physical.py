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
(``chunks`` in the result says when this was used).
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import asdict, dataclass, fields

from pyqgd.estimate.errors import (
    ErrorBudgetError,
    EstimationFailedError,
    UnknownPresetError,
    check_epsilon,
)
from pyqgd.estimate.logical import LogicalCost

__all__ = ["QUBIT_PRESETS", "QEC_SCHEMES", "check_presets", "format_seconds", "PhysicalEstimate", "PhysicalEstimates",
           "estimate_physical",
           "default_schemes"]

QUBIT_PRESETS = ("qubit_gate_ns_e3", "qubit_gate_ns_e4", "qubit_gate_us_e3", "qubit_gate_us_e4",
                 "qubit_maj_ns_e4", "qubit_maj_ns_e6")
QEC_SCHEMES = ("surface_code", "floquet_code")
#: Largest logical depth handed to the estimator in one piece (see module docstring).
CHUNK_DEPTH = 10**10


def default_schemes(preset: str) -> tuple[str, ...]:
    """Surface code for every preset; Floquet code too for the Majorana presets (the only ones the QDK allows)."""
    return ("surface_code", "floquet_code") if preset.startswith("qubit_maj") else ("surface_code",)


@dataclass(frozen=True)
class PhysicalEstimate:
    """One physical estimate: preset × QEC scheme (all times in seconds).

    ``frontier`` is a list of (physical_qubits, runtime_seconds, t_factories) points of the space–time trade-off
    when requested, else empty.
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
             "notes": list(self.notes),
             "estimates": [{**asdict(e), "frontier": [list(p) for p in e.frontier]} for e in self.estimates]}
        return json.dumps(d, sort_keys=True)

    @classmethod
    def from_json(cls, s: str) -> "PhysicalEstimates":
        d = json.loads(s)
        names = {f.name for f in fields(PhysicalEstimate)}
        ests = []
        for e in d["estimates"]:
            if set(e) != names:
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
        return [{"preset": e.preset, "qec": e.qec_scheme, "physical_qubits": e.physical_qubits,
                 "runtime_s": e.runtime_seconds, "code_distance": e.code_distance, "t_factories": e.t_factories,
                 "logical_qubits": e.logical_qubits, "logical_depth": e.logical_depth, "chunks": e.chunks}
                for e in self.estimates]

    def table(self) -> str:
        """A readable fixed-width table (one line per preset × scheme)."""
        hdr = f"{'preset':18s} {'qec':13s} {'phys. qubits':>13s} {'runtime':>12s} {'d':>3s} {'factories':>9s} {'log. qubits':>11s}"
        lines = [hdr, "-" * len(hdr)]
        for e in self.estimates:
            lines.append(f"{e.preset:18s} {e.qec_scheme:13s} {e.physical_qubits:13,d} {format_seconds(e.runtime_seconds):>12s} "
                         f"{e.code_distance:3d} {e.t_factories:9d} {e.logical_qubits:11d}")
        return "\n".join(lines)

    def to_dataframe(self):
        """A pandas DataFrame of :meth:`rows` (ImportError with advice when pandas is missing)."""
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("to_dataframe needs pandas: pip install pandas (or use .rows() / .table())") from exc
        return pd.DataFrame(self.rows())


def format_seconds(t: float) -> str:
    """Human-readable duration."""
    for unit, sec in (("yr", 365.25 * 86400), ("d", 86400), ("h", 3600), ("min", 60), ("s", 1), ("ms", 1e-3), ("µs", 1e-6)):
        if t >= sec:
            return f"{t / sec:.3g} {unit}"
    return f"{t * 1e9:.3g} ns"


def _qdk():
    os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")
    from qdk.estimator import EstimatorError, LogicalCounts

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
            raise TypeError(f"qubit presets are names (str), got {type(p).__name__}")
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
    Raises UnknownPresetError, ErrorBudgetError (out of range or cannot be met), EstimationFailedError.
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
                    raise ErrorBudgetError(
                        f"error budget {eb:g} cannot be met for {p}/{q}: {msg.strip().splitlines()[-1]} — increase the "
                        "error budget, lower ε, or choose a better qubit preset (e.g. qubit_gate_ns_e4)") from None
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
        logical_cycle_seconds=lq["logicalCycleTime"] * 1e-9, rqops=float(pc["rqops"]), chunks=K, frontier=pts)
