"""The sections of an :class:`~pyqgd.report.pipeline.AnalysisReport` as small frozen dataclasses.

The text summary, the HTML view (:mod:`pyqgd.report.render`) and the figures (:mod:`pyqgd.report.plots`) read them by
attribute. Each section's ``to_dict()`` is its part of ``report.json``, with the keys, their order and their nesting
that report.json has always had; ``from_dict`` builds a section from that form (for the estimate layer's summaries,
which are dicts, and for a report read back from JSON).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from pyqgd.estimate.bottom_line import option_label

__all__ = ["Spectrum", "Dissipation", "CheckRow", "TruncationCheck", "CarlemanCheck", "ErrorProxy", "BlockLevelRun",
           "Simulation", "Estimate", "BreakEvenRow", "BreakEven", "plain"]


def plain(value):
    """The JSON form of a report field: a section's ``to_dict()``, a list of them, or the value itself."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, tuple) or (isinstance(value, list) and any(hasattr(v, "to_dict") for v in value)):
        return [plain(v) for v in value]
    return value


class _Section:
    """What every section shares: ``to_dict()`` gives each field in declaration order (the report.json order),
    sections and lists of them as their dicts, and the fields named in ``_optional`` only when they are set."""

    _optional: tuple = ()

    def to_dict(self) -> dict:
        return {f.name: plain(getattr(self, f.name)) for f in fields(self)
                if not (f.name in self._optional and getattr(self, f.name) is None)}


@dataclass(frozen=True)
class Spectrum(_Section):
    """The Hessian spectrum on the surviving parameters at θ* and the fractions of its modes by ηλ
    (:func:`pyqgd.spectrum.mode_fractions`): dissipative τ ≤ ηλ < 2, divergent ηλ < 0, unstable ηλ ≥ 2, flat
    |ηλ| < τ = ``flat_tol``; ``method`` how the eigenvalues were obtained (None when there are none)."""

    lambda_min: float
    lambda_max: float
    dissipative_fraction: float
    divergent_fraction: float
    unstable_fraction: float
    flat_fraction: float
    flat_tol: float
    eigenvalues: list
    method: str | None = None


@dataclass(frozen=True)
class Dissipation(_Section):
    """The numbers of the verdict's criterion chain at u_in: the norms ‖F0‖, ‖F1‖, ‖F2‖, Re λ₁(F1), ρ = ‖I + F1‖,
    the dissipation number R (PNAS Eq. 2; None when infinite), its discrete form R_d, the smallest R over ‖u_in‖
    (R_min at ‖u_in‖ = r*), whether the map has an invariant ball, the N = 2 one-step truncation bound, and whether
    Theorem 1's conditions hold (ρ < 1 and R < 1)."""

    norm_F0: float
    norm_F1: float
    norm_F2: float
    re_lambda1: float
    rho: float
    R: float | None
    u_in_norm: float
    R_discrete: float | None
    R_min: float | None
    r_star: float | None
    invariant_ball: bool
    bound_N2_one_step: float | None
    theorem1: bool


@dataclass(frozen=True)
class CheckRow(_Section):
    """One Carleman order N of the check: the max ‖Δu‖ against the quadratic map and its rigorous truncation bound
    (None without an invariant ball), whether each is below the round-off floor; against true GD (``error_vs_gd``
    and the per-step ‖Δu(t)‖ ``curve``) where a reference trajectory was compared."""

    N: int
    error_vs_quadratic: float
    bound: float | None
    below_roundoff: bool
    bound_below_roundoff: bool
    error_vs_gd: float | None = None
    curve: list | None = None
    _optional = ("error_vs_gd", "curve")


@dataclass(frozen=True)
class TruncationCheck(_Section):
    """The check rerun from ``scale``·u_in (‖u‖ = ``u_norm``) where the truncation error is measurable, and why."""

    scale: float
    u_norm: float
    rows: tuple
    roundoff: float
    why: str


@dataclass(frozen=True)
class CarlemanCheck(_Section):
    """Carleman vs true GD over ``steps`` steps from u_in: one :class:`CheckRow` per order, the round-off floor, the
    cubic Taylor remainder and, where needed, a :class:`TruncationCheck`; or ``skipped`` with the reason."""

    steps: int | None = None
    rows: tuple = ()
    roundoff: float | None = None
    taylor_remainder: float | None = None
    truncation: TruncationCheck | None = None
    skipped: str | None = None
    _optional = ("truncation", "skipped")

    def to_dict(self) -> dict:
        if self.skipped is not None:
            return {"skipped": self.skipped, **({} if self.steps is None else {"steps": self.steps}), "rows": []}
        return super().to_dict()


@dataclass(frozen=True)
class ErrorProxy(_Section):
    """The paper's error proxy E(t) (Liu et al. 2024, Eqs. 7–8) at the steps ``t`` for the modes with |ηλ| ≥
    ``cutoff``; ``E`` is empty (and ``cutoff`` None) when no mode lies outside the cut-off window, ``note`` says
    which."""

    t: list
    E: list
    cutoff: float | None = None
    note: str = ""
    _optional = ("cutoff",)


@dataclass(frozen=True)
class BlockLevelRun(_Section):
    """The longer-T solve kept at block level when its circuit was over the simulation budget."""

    T: int
    fidelity_carleman: float
    how: str
    block_encoding_calls: int


@dataclass(frozen=True)
class Simulation(_Section):
    """The local Q# solve of the report's problem, or ``skipped`` with the reason.

    ``T``, ``fidelity_carleman`` (with the classical Carleman u_T), ``success_probability`` (before amplification),
    ``block_encoding_calls`` and ``how`` (circuit or block level, and why) are the figures the report shows;
    ``result`` holds every figure of the solve as report.json stores it (:meth:`pyqgd.quantum.ode.GdSolveResult.to_dict`
    without arrays longer than 64 entries); ``block_level`` the longer-T run kept at block level, ``note`` which T ran
    and why (the demo's budget), and how the precision was set when the a-priori bounds could not set it.
    """

    skipped: str | None = None
    T: int | None = None
    how: str | None = None
    fidelity_carleman: float | None = None
    success_probability: float | None = None
    block_encoding_calls: int | None = None
    block_level: BlockLevelRun | None = None
    note: str | None = None
    result: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: dict) -> Simulation:
        """From the pipeline's simulation dict (``{"skipped": why}`` or the solve's figures with ``how``)."""
        if "skipped" in d:
            return cls(skipped=d["skipped"])
        result = {k: v for k, v in d.items() if k not in ("how", "block_level", "note")}
        block = d.get("block_level")
        return cls(T=d.get("T"), how=d.get("how"), fidelity_carleman=d.get("fidelity_carleman"),
                   success_probability=d.get("success_probability"), block_encoding_calls=d.get("block_encoding_calls"),
                   block_level=None if block is None else BlockLevelRun(**block), note=d.get("note"), result=result)

    def to_dict(self) -> dict:
        if self.skipped is not None:
            return {"skipped": self.skipped}
        out = {**self.result, "how": self.how}
        if self.block_level is not None:
            out["block_level"] = self.block_level.to_dict()
        if self.note is not None:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class Estimate(_Section):
    """One loading's cost (a :meth:`pyqgd.estimate.scale.ModelEstimate.summary`, plus ``breakdown``): the bottom line
    of this estimate, sizes, QSVT degree and amplification rounds, read-out runs (``samples``) and read-out options,
    logical counts, the QDK's physical rows per preset (dicts: ``preset``, ``physical_qubits``, ``runtime_s``, …),
    total seconds with read-out per preset, infeasible presets with the reason, the classical GPU time, the circuit
    priced and whether it is built, the cost tree of one run, and where one run's Toffolis go (``breakdown``)."""

    bottom_line: dict
    n: int
    T: int
    loading: str
    samples: int
    degree: int
    amplification_length: int
    logical_counts: dict
    classical_seconds: float
    classical_wall_seconds: float
    total_seconds: dict
    infeasible: dict
    physical: list
    loading_label: str
    circuit: str
    built: bool
    block_encoding: str
    kappa: float
    inverse_norm: float
    inverse_norm_bound: str
    success_probability: float
    amplitude_bound: str
    readout: str
    readouts: dict
    qram_router_error_needed: float | None
    cost_tree: dict
    breakdown: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: dict) -> Estimate:
        return cls(**d)

    @property
    def label(self) -> str:
        """The option label of the bottom line (:func:`pyqgd.estimate.bottom_line.option_label`)."""
        return option_label(self.to_dict())


@dataclass(frozen=True)
class BreakEvenRow(_Section):
    """One model size n of a break-even sweep: the quantum total with read-out (None where no estimate is feasible),
    the classical GPU arithmetic time, and the block-encoding priced."""

    n: int
    quantum_seconds: float | None
    classical_seconds: float
    block_encoding: str


@dataclass(frozen=True)
class BreakEven(_Section):
    """A break-even sweep over n (:func:`pyqgd.estimate.break_even`) for one preset and loading at the report's T:
    its rows and the first n where the quantum total beats the GPU arithmetic time (None if none)."""

    preset: str
    loading: str
    loading_label: str
    T: int
    crossover_n: int | None
    rows: tuple
    block_encoding: str

    @classmethod
    def from_dict(cls, d: dict) -> BreakEven:
        return cls(**{**d, "rows": tuple(BreakEvenRow(**r) for r in d["rows"])})
