"""The end-to-end pipeline: model → pruning → GD coefficients → Carleman diagnostics → regime verdict →
(local quantum simulation when small enough) → logical and physical cost → break-even with classical training.

:func:`analyze` returns an :class:`AnalysisReport` (data, ``to_json()``, ``summary()``, ``plots(dir)``); it never
prints. Two kinds of input:

* a PyTorch model (a zoo name ``"mlp"``, ``"cnn"``, ``"transformer"``, or a module with ``loss_fn`` and ``data``):
  :func:`pyqgd.models.gd_problem` prunes it (per layer, to about 100 survivors by default), checks connectivity,
  picks η from the spectrum when not given and expands a few GD steps ahead so that u_in ≠ 0;
* an analytic loss (``"toy"``: :func:`pyqgd.dynamics.toy_cubic`), expanded at its minimiser with u_in ≠ 0, small
  enough for the Q# simulator;
* a ready :class:`~pyqgd.problem.GDProblem`.

Every stage after the first reads only the :class:`~pyqgd.problem.GDProblem`.

**Expansion point.** For a PyTorch model θ* lies k true GD steps after the checkpoint (``expansion_steps``, default
``"auto"``: the rule of :func:`pyqgd.models.problem._expansion_steps`, which reads only the model — never whether a
simulation follows), η = 1/λ_max of the Hessian *at θ** when not given, and the spectrum, the mode fractions, the
norms and the verdict are all taken at that θ* (the report's ``problem.provenance`` says where it is and why).

**Verdict** — one chain from numbers to words (``verdict_reasons`` quotes the numbers; ``criteria`` holds them):
*dissipative* — Theorem 1's conditions (Liu et al., Nat. Commun. 15, 434, 2024; PNAS 118, e2026805118, 2021):
every Hessian mode has τ ≤ ηλ < 2 (no flat mode, |ηλ| < τ = ``flat_tol``), so ρ = ‖I+F1‖ < 1, and
R = (‖u_in‖‖F2‖ + ‖F0‖/‖u_in‖)/|Re λ₁(F1)| < 1 at this u_in (PNAS Eq. 2). This is the same test, computed by the
same functions, as the gate of the quantum solver (:func:`pyqgd.quantum.ode.check_gd_input`), so a dissipative
verdict is never refused there. *almost dissipative* — at least ``almost_fraction`` (default 90 %) of the modes are
dissipative (Theorem 2: the error grows through the other modes; train in segments with download / re-upload), or
all are but R ≥ 1 at this u_in (the reasons say what lowers R). *not applicable* — otherwise.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from pyqgd._checks import check_positive_float, check_positive_int
from pyqgd._progress import resolve_progress
from pyqgd.carleman import (
    MapNorms,
    NotDissipativeError,
    discrete_carleman,
    discrete_dissipation_number,
    dissipation_number,
    solve_history,
    sparsity,
    truncation_error_bound,
)
from pyqgd.dynamics import gd_problem, toy_cubic
from pyqgd.estimate import OdeProblem, break_even, estimate_model
from pyqgd.limits import check_pipeline_arguments
from pyqgd.problem import GDProblem
from pyqgd.quantum.ode import solve_gd
from pyqgd.report import plots, render
from pyqgd.report.sections import (
    BreakEven,
    CarlemanCheck,
    CheckRow,
    Dissipation,
    ErrorProxy,
    Estimate,
    Simulation,
    Spectrum,
    TruncationCheck,
    plain,
)
from pyqgd.spectrum import FLAT_TOL, error_proxy, mode_fractions, optimal_dissipation_number

__all__ = ["AnalysisReport", "analyze", "ZOO_MODELS"]

ZOO_MODELS = ("toy", "mlp", "cnn", "transformer")
#: Largest Carleman dimension Σ n^j for which the pipeline runs the classical Carleman-vs-GD check.
MAX_CHECK_DIM = 300_000


@dataclass(frozen=True)
class AnalysisReport:
    """Everything :func:`analyze` found: the sizes and choices, the typed sections of :mod:`pyqgd.report.sections`
    (``estimates`` a list of :class:`~pyqgd.report.sections.Estimate`, ``break_even`` of
    :class:`~pyqgd.report.sections.BreakEven`), and ``to_dict()`` / ``to_json()`` in report.json's layout."""
    model: str
    n_total: int
    n: int
    prune: float
    eta: float
    T: int
    N: int
    epsilon: float
    sparsity_F1: dict
    spectrum: Spectrum
    dissipation: Dissipation
    verdict: str
    verdict_reasons: list
    carleman_check: CarlemanCheck
    error_proxy: ErrorProxy
    simulation: Simulation
    estimates: list
    break_even: list
    timings: dict = field(default_factory=dict)
    problem: dict = field(default_factory=dict)  # GDProblem.summary(): η source, pruning, data, expansion point
    stopped: str | None = None  # why the pipeline stopped after the verdict (disconnected / not applicable)

    def to_dict(self) -> dict:
        """The report as report.json holds it: every field, each section as its ``to_dict()``."""
        return {f.name: plain(getattr(self, f.name)) for f in fields(self)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=_json_default)

    def summary(self) -> str:
        """The report in words: the bottom line first, then the problem, the diagnostics, the verdict with its
        reasons, the Carleman check, the Q# simulation, the estimates and the break-even sweeps."""
        d, s = self.dissipation, self.spectrum
        prov = (self.problem or {}).get("provenance", {})
        lines = [
            render.bottom_line(self), *render.bottom_line_lines(self),
            f"pyqgd analysis of '{self.model}': {self.n} surviving of {self.n_total} parameters "
            f"(pruned {self.prune:.0%}), η = {self.eta:.4g}, T = {self.T}, Carleman order N = {self.N}, ε = {self.epsilon}",
            *[f"  {label}: {prov[k]}" for k, label in _PROVENANCE_LINES if prov.get(k)],
            *[f"  note: {note}" for note in prov.get("notes") or ()],
            *_work_lines(self.timings),
            f"  Hessian on survivors at θ*: λ ∈ [{s.lambda_min:.3g}, {s.lambda_max:.3g}]; dissipative fraction "
            f"({s.flat_tol:g} ≤ ηλ < 2) = {s.dissipative_fraction:.1%}, flat (|ηλ| < {s.flat_tol:g}) "
            f"{s.flat_fraction:.1%}; F1 nonzeros per row ≤ {self.sparsity_F1['max_row_nnz']} "
            f"(density {self.sparsity_F1['density']:.1%})",
            f"  ‖F0‖ = {d.norm_F0:.3g}, ‖F2‖ = {d.norm_F2:.3g}, ρ = ‖I+F1‖ = {d.rho:.4f}, "
            f"R = {_fmt(d.R)}, R_d = {_fmt(d.R_discrete)}, R_min (PNAS, best ‖u_in‖) = {_fmt(d.R_min)}",
            f"  VERDICT: {self.verdict.upper()}",
        ]
        lines += [f"    - {r}" for r in self.verdict_reasons]
        lines += _check_lines(self.carleman_check)
        lines += _simulation_lines(self.simulation)
        for e in self.estimates:
            lines.append(f"  {render.loading_label(e.loading, e.block_encoding)}: QSVT degree {e.degree}, {e.samples:.3g} "
                         "tomography runs; classical GPU "
                         f"{render.human_seconds(render.classical_wall_seconds(self.n, self.T, e.classical_seconds))}")
            for row in e.physical:
                total = e.total_seconds.get(row["preset"])
                lines.append(f"    {row['preset']:<18} {row['physical_qubits']:>12,d} qubits  d = {row.get('code_distance')}"
                             f"  per run {render.human_seconds(row['runtime_s'])}  total with read-out "
                             f"{render.human_seconds(total)}")
            if e.infeasible:
                lines.append(f"    infeasible on {', '.join(e.infeasible)} (the reason is above)")
        if self.estimates:
            lines.append(f"  ({render.classical_note(self)})")
        for b in self.break_even:
            cross = render._crossover(b, self.T)
            lines.append(f"  break-even {b.loading.upper()} {b.preset}: "
                         + (f"quantum faster from n ≈ {cross:.3g}" if cross else
                            f"no crossover up to n = {b.rows[-1].n:.0e}"))
        return "\n".join(lines)

    def figures(self) -> dict:
        """{name: matplotlib Figure} of every figure the report has data for (pyplot and its backend untouched)."""
        return plots.figures(self)

    def plots(self, out_dir, *, formats=("png", "svg"), dpi: int = 300) -> list[Path]:
        """Write the report's figures into ``out_dir`` (300-dpi PNG and SVG each); returns the PNG paths."""
        return plots.write_all(self, Path(out_dir), formats=formats, dpi=dpi)

    def show(self) -> list:
        """The report's figures as a list of matplotlib Figures, displayed inline when running under IPython."""
        figs = list(self.figures().values())
        render.display_figures(figs)
        return figs

    def to_dataframe(self):
        """One row per loading × preset: physical figures of one run, total with read-out, GPU time (pandas)."""
        return render.report_dataframe(self)

    def _repr_html_(self) -> str:

        return render.report_html(self)

    def __repr__(self) -> str:

        return render.report_repr(self)


_PROVENANCE_LINES = (("pruning", "pruning"), ("loss", "loss"), ("data", "data"), ("expansion_point", "expansion point"),
                     ("eta_source", "learning rate"))


def _work_lines(t) -> list:
    """Predicted (before the stages started) and measured time and memory of the exact derivative stages."""
    if "predicted_third_seconds" not in t:
        return []
    return [f"  derivative stages: predicted {t['predicted_hessian_seconds'] + t['predicted_third_seconds']:.3g} s and "
            f"≤ {max(t['predicted_hessian_gb'], t['predicted_third_gb']):.2f} GiB (budget {t['budget_gb']:.2g} GiB, "
            f"{t['third_rows_per_pass']} third-order rows per pass); measured "
            f"{t.get('measured_derivatives_seconds', float('nan')):.3g} s"]


def _err(value, floor):
    return f"< round-off ({floor:.1e})" if value <= floor else f"{value:.3e}"


def _check_lines(check: CarlemanCheck) -> list:
    """The Carleman check in words: errors and bounds under the round-off floor are printed as such."""
    if not check.rows:
        return [f"  Carleman check skipped: {check.skipped}"] if check.skipped else []
    floor = check.roundoff or 0.0
    lines = [f"  Carleman check over {check.steps} steps from u_in (max ‖Δu‖; round-off floor {floor:.1e}):"]
    for r in check.rows:
        lines.append(f"    N = {r.N}: {_err(r.error_vs_quadratic, floor)} vs the quadratic map"
                     + ("" if r.bound is None else f" (truncation bound {_err(r.bound, floor)})")
                     + f"; {r.error_vs_gd:.3e} vs true GD (adds the Taylor remainder and the round-off of θ)")
    tr = check.truncation
    if tr:
        lines.append(f"  Truncation check from {tr.scale:.3g}·u_in (‖u‖ = {tr.u_norm:.3g}; {tr.why}):")
        for r in tr.rows:
            lines.append(f"    N = {r.N}: {_err(r.error_vs_quadratic, tr.roundoff)} vs the quadratic map"
                         + ("" if r.bound is None else f" (truncation bound {_err(r.bound, tr.roundoff)})"))
    return lines


def _simulation_lines(sim: Simulation) -> list:
    """The Q# simulation in words: how it ran, its fidelity and success probability, or why it did not run."""
    if sim.fidelity_carleman is None:
        return [f"  Q# simulation: {sim.skipped or 'not run'}"]
    p = float("nan") if sim.success_probability is None else sim.success_probability
    lines = [f"  Q# simulation (T = {sim.T}): {sim.how}; fidelity {sim.fidelity_carleman:.5f} with the classical "
             f"Carleman u_T, success probability {p:.3g} before amplification"]
    b = sim.block_level
    if b is not None:
        lines.append(f"  T = {b.T}: {b.how}; fidelity {b.fidelity_carleman:.5f}")
    if sim.note:
        lines.append(f"    ({sim.note})")
    return lines


def _fmt(x):
    return "∞" if x is None or not np.isfinite(x) else f"{x:.3g}"


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def _finite(x):
    return None if x is None or not np.isfinite(x) else float(x)


def _load_model(model, loss_fn, data, seed):
    """(module, loss_fn, data, name) from a zoo name or user objects."""
    if isinstance(model, str):
        try:
            from pyqgd.models import digits_cnn, digits_mlp, sequence_transformer
        except ImportError as exc:
            raise ImportError(f"analyzing the PyTorch model {model!r} needs torch: pip install 'pyqgd[torch]'") from exc
        factories = {"mlp": lambda: digits_mlp(hidden=16, loss="mse", seed=seed),
                     "cnn": lambda: digits_cnn(channels=2, activation="tanh", pool="avg", loss="mse", seed=seed),
                     "transformer": lambda: sequence_transformer(seed=seed)}
        if model not in factories:
            raise ValueError(f"unknown model {model!r}; choose one of {', '.join(ZOO_MODELS)} or pass a torch module")
        module, loss_fn, task = factories[model]()
        # the transformer's third-order passes cost ~10× the MLP's per example: 64 sequences keep the default fast
        return module, loss_fn, task.batch(64 if model == "transformer" else 256, seed=seed), model
    if loss_fn is None or data is None:
        raise ValueError("a user model needs loss_fn (outputs, targets) -> scalar and data: (inputs, targets), a list "
                         "of such batches, a TensorDataset or a DataLoader")
    return model, loss_fn, data, type(model).__name__


def analyze(model="mlp", *, loss_fn=None, data=None, prune=None, prune_scope: str = "per_layer",
            keep=("norm", "bias"), max_params: int | None = None, eta: float | None = None, T: int | None = None,
            N: int = 2, epsilon: float = 1e-2, tomography_precision: float = 1e-2,
            presets=("qubit_gate_ns_e4", "qubit_maj_ns_e6"), loadings=("qrom", "qram"), error_budget: float = 1e-3,
            check_steps: int = 5, simulate: bool = True, expansion_steps: int | str = "auto",
            max_batches: int | None = None, almost_fraction: float = 0.9, check_orders=None, toy_n: int = 2,
            seed: int = 0, progress: bool | None = None, progress_label: str = "pyqgd analyze",
            flat_tol: float = FLAT_TOL, memory_budget_gb: float | None = None) -> AnalysisReport:
    """Run the whole pipeline on ``model`` (see module docstring) and return an :class:`AnalysisReport`.

    ``model``: a :class:`~pyqgd.problem.GDProblem` (used as it is: its T, η and u_in are kept, and a conflicting
    ``T=`` or ``eta=`` is an error), ``"toy"``, a zoo name or a ``torch.nn.Module`` with ``loss_fn`` and ``data``
    (see :func:`pyqgd.models.gd_problem` for the accepted forms). ``T``: GD steps costed (default 100).
    ``prune``: fraction of the prunable entries removed, or ``None`` (default) for about ``max_params``
    (default :data:`pyqgd.models.DEFAULT_MAX_PARAMS`) survivors; ``prune_scope`` "per_layer" or "global"; ``keep``
    parameter kinds never pruned. ``eta=None`` chooses η = 1/λ_max from the Hessian spectrum at θ* (stated).
    ``expansion_steps``: θ* lies that many true GD steps after the checkpoint, so u_in ≠ 0; ``"auto"`` (default)
    picks them from the model alone (module docstring) — ``simulate`` never changes θ*. ``flat_tol``: modes with
    |ηλ| below it are flat, reported apart and not dissipative. ``memory_budget_gb``: memory the Hessian and
    third-order stages may use (default :data:`pyqgd.models.budget.DEFAULT_MEMORY_BUDGET_GB`); their time and
    memory are predicted before they start and reported in ``timings``. ``progress=None`` shows progress where a
    person watches (a terminal or a notebook). ``check_orders``: Carleman orders compared with true GD over
    ``check_steps`` steps (default 1..N); ``toy_n``: parameters of the analytic toy loss. ``epsilon``: the solver's
    precision; ``tomography_precision``: the ℓ2 precision δ to which the trained parameters are read out (it sets the
    number of read-out runs, :func:`pyqgd.estimate.estimate_model`).

    A disconnected pruned network or a verdict of *not applicable* stops after the verdict: no simulation and no
    cost tables (``stopped`` says why).
    """
    check_pipeline_arguments(T=T, N=N, epsilon=epsilon, tomography_precision=tomography_precision,
                             error_budget=error_budget, check_steps=check_steps, expansion_steps=expansion_steps,
                             almost_fraction=almost_fraction, toy_n=toy_n, seed=seed, max_params=max_params,
                             max_batches=max_batches, check_orders=check_orders, simulate=simulate)
    N = check_positive_int(N, "N")
    if eta is not None:
        eta = check_positive_float(eta, "eta")
    if T is not None:
        T = check_positive_int(T, "T")
    if prune is not None and (isinstance(prune, bool) or not 0 <= prune < 1):
        raise ValueError(f"prune must be a fraction in [0, 1) or None (automatic), got {prune}")
    check_steps = check_positive_int(check_steps, "check_steps")  # ε, δ in (0, 1): check_pipeline_arguments
    timings = {}
    t0, c0 = time.perf_counter(), time.process_time()
    progress = resolve_progress(progress)  # None: shown where a person watches (pyqgd._progress)
    stages = _progress(progress, 6, progress_label)
    work = {}
    problem = _make_problem(model, loss_fn, data, T=T, eta=eta, toy_n=toy_n, seed=seed, check_steps=check_steps,
                            work=work, torch_kw=dict(prune=prune, prune_scope=prune_scope, keep=keep,
                                                     max_params=max_params, expansion_steps=expansion_steps,
                                                     max_batches=max_batches, progress=progress,
                                                     memory_budget_gb=memory_budget_gb))
    if isinstance(problem, AnalysisReport):  # disconnected: stopped before any expensive stage
        stages.close()
        return problem
    T = problem.T
    timings["coefficients"] = time.perf_counter() - t0
    timings.update(work)
    stages.update(1)

    qm, u_in, eta = problem.qmap, problem.u_in, problem.eta
    lam = problem.spectrum
    n = qm.n
    spec = _spectrum(lam, eta, flat_tol)
    norms = MapNorms(qm)
    diss = _dissipation(qm, u_in, norms)
    verdict, reasons = _verdict(spec, diss, problem, almost_fraction)
    stopped = None
    if verdict == "not applicable":
        stopped = "the verdict is 'not applicable': no simulation and no cost tables for a map outside the regime"
    stages.update(1)

    t1 = time.perf_counter()
    check = _carleman_check(problem, tuple(check_orders or range(1, N + 1)), norms)
    timings["carleman_check"] = time.perf_counter() - t1
    proxy = _error_proxy(lam, eta, T)
    stages.update(1)

    t1 = time.perf_counter()
    sim = Simulation.from_dict(_simulate(problem, N, simulate)) if stopped is None else Simulation(skipped=stopped)
    timings["simulation"] = time.perf_counter() - t1
    stages.update(1)

    t1 = time.perf_counter()
    if stopped is None:
        estimates, breaks = _estimates(problem, N, epsilon, tomography_precision, presets, loadings, error_budget)
    else:
        estimates, breaks = [], []
    timings["estimates"] = time.perf_counter() - t1
    stages.update(2)
    stages.close()
    timings["total"] = time.perf_counter() - t0
    timings["total_cpu"] = time.process_time() - c0
    prov = problem.provenance
    return AnalysisReport(
        model=prov.model, n_total=prov.n_total, n=n, prune=_prune_fraction(n, prov.n_total), eta=eta, T=T, N=N,
        epsilon=epsilon, sparsity_F1={**sparsity(qm.F1), "density": qm.F1.nnz / max(1, n * n)}, spectrum=spec,
        dissipation=diss, verdict=verdict, verdict_reasons=reasons, carleman_check=check, error_proxy=proxy,
        simulation=sim, estimates=estimates, break_even=breaks, timings=timings, problem=problem.summary(),
        stopped=stopped)


def _make_problem(model, loss_fn, data, *, T, eta, toy_n, seed, check_steps, work, torch_kw):
    """The GDProblem to analyse (a given one, the toy, or a torch model's), or a stopped report (disconnected)."""
    if isinstance(model, GDProblem):
        return _given_problem(model, T, eta)
    if isinstance(model, str) and model == "toy":

        loss = toy_cubic(check_positive_int(toy_n, "toy_n"), seed=seed, cubic=0.5)
        return gd_problem(loss, eta, u_in=np.full(loss.n, 0.1), T=100 if T is None else T,
                          reference_steps=check_steps, name="toy")
    return _torch_problem(model, loss_fn, data, eta=eta, T=100 if T is None else T, check_steps=check_steps,
                          seed=seed, work=work, **torch_kw)


def _given_problem(problem, T, eta):
    """A GDProblem as it is: its T, η and u_in are the problem's; a different ``T=`` / ``eta=`` is an error."""
    if T is not None and T != problem.T:
        raise ValueError(f"T = {T} conflicts with the GDProblem's T = {problem.T}: leave T out (the problem's is used) "
                         f"or pass problem.with_T({T})")
    if eta is not None and eta != problem.eta:
        raise ValueError(f"eta = {eta} conflicts with the GDProblem's η = {problem.eta}: its map F0, F1, F2 carries η; "
                         "leave eta out or build the problem with the η you want")
    return problem


def _prune_fraction(n, n_total):
    return 0.0 if not n_total else float(1 - n / n_total)


def _progress(enabled, total, label="pyqgd analyze"):

    return tqdm(total=total, desc=label, disable=not enabled, leave=False)


def _torch_problem(model, loss_fn, data, *, prune, prune_scope, keep, max_params, eta, T, expansion_steps,
                   check_steps, max_batches, seed, progress, memory_budget_gb, work):
    """The GDProblem of a torch model, or a stopped AnalysisReport when the pruned network is disconnected."""
    module, loss_fn, data, name = _load_model(model, loss_fn, data, seed)
    from pyqgd.models import DEFAULT_MAX_PARAMS, DisconnectedModelError, gd_problem
    from pyqgd.models.budget import DEFAULT_MEMORY_BUDGET_GB

    try:
        return gd_problem(module, loss_fn, data, eta=eta, T=T, prune_amount=prune, prune_scope=prune_scope, keep=keep,
                          max_params=DEFAULT_MAX_PARAMS if max_params is None else max_params,
                          expansion_steps=expansion_steps, reference_steps=check_steps, max_batches=max_batches,
                          name=name, progress=progress, work=work,
                          memory_budget_gb=DEFAULT_MEMORY_BUDGET_GB if memory_budget_gb is None else memory_budget_gb)
    except DisconnectedModelError as exc:
        n_total = sum(p.numel() for p in module.parameters())
        nan = float("nan")
        return AnalysisReport(
            model=name, n_total=int(n_total), n=0, prune=float(prune) if prune is not None else nan,
            eta=float(eta) if eta is not None else nan, T=T, N=0, epsilon=nan,
            sparsity_F1={"max_row_nnz": 0, "max_col_nnz": 0, "nnz": 0, "density": 0.0},
            spectrum=Spectrum(lambda_min=nan, lambda_max=nan, dissipative_fraction=0.0, divergent_fraction=0.0,
                              unstable_fraction=0.0, flat_fraction=0.0, flat_tol=FLAT_TOL, eigenvalues=[]),
            dissipation=Dissipation(norm_F0=nan, norm_F1=0.0, norm_F2=nan, re_lambda1=nan, rho=nan, R=None,
                                    u_in_norm=nan, R_discrete=None, R_min=None, r_star=None, invariant_ball=False,
                                    bound_N2_one_step=None, theorem1=False),
            verdict="not applicable", verdict_reasons=[str(exc)], carleman_check=CarlemanCheck(skipped="disconnected"),
            error_proxy=ErrorProxy(t=[], E=[], note="disconnected"), simulation=Simulation(skipped="disconnected"),
            estimates=[], break_even=[], timings={}, problem={}, stopped=f"disconnected: {exc}")


def _spectrum(spectrum, eta, flat_tol=FLAT_TOL) -> Spectrum:
    """The spectrum section: λ range, the mode fractions at this η (:func:`pyqgd.spectrum.mode_fractions`), the
    eigenvalues."""
    f = mode_fractions(spectrum, eta, flat_tol=flat_tol)
    return Spectrum(lambda_min=spectrum.lambda_min, lambda_max=spectrum.lambda_max, dissipative_fraction=f.dissipative,
                    divergent_fraction=f.divergent, unstable_fraction=f.unstable, flat_fraction=f.flat,
                    flat_tol=f.flat_tol, eigenvalues=spectrum.eigenvalues.tolist(), method=spectrum.method)


def _dissipation(qm, u_in, norms) -> Dissipation:
    """The numbers of the criterion chain at this u_in: ρ = ‖I+F1‖, R (PNAS Eq. 2, the quantum solver's gate), R_d
    and the discrete invariant-ball bound (diagnostics)."""
    r_min, r_star = optimal_dissipation_number(norms.f0, norms.f2, norms.re_lambda1)
    try:
        bound_T1 = truncation_error_bound(qm, u_in, 2, 1, norms=norms)
        ball = True
    except NotDissipativeError:
        bound_T1, ball = None, False
    try:
        R = dissipation_number(qm, u_in, norms=norms) if np.any(u_in) else float("inf")
    except NotDissipativeError:  # Re λ1 ≥ 0: R undefined, the gate refuses
        R = float("inf")
    return Dissipation(norm_F0=norms.f0, norm_F1=norms.f1, norm_F2=norms.f2, re_lambda1=norms.re_lambda1, rho=norms.rho,
                       R=_finite(R), u_in_norm=float(np.linalg.norm(u_in)),
                       R_discrete=_finite(discrete_dissipation_number(qm, u_in, norms=norms)) if np.any(u_in) else None,
                       R_min=_finite(r_min), r_star=_finite(r_star), invariant_ball=ball, bound_N2_one_step=bound_T1,
                       theorem1=bool(norms.rho < 1 and np.isfinite(R) and R < 1))


def _verdict(spec: Spectrum, diss: Dissipation, problem, almost_fraction):
    """(verdict, reasons) from the numbers: Theorem 1 needs every mode in [τ, 2/η) and R < 1 at u_in (the quantum
    solver's gate, same functions); Theorem 2 at least ``almost_fraction`` dissipative modes."""
    frac, eta = spec.dissipative_fraction, problem.eta
    R, rho = diss.R, diss.rho
    rtxt = "∞ (Re λ₁(F1) ≥ 0 or u_in = 0)" if R is None else f"{R:.3g}"
    outside = [f"{100 * x:.1f} % {w}" for x, w in ((spec.flat_fraction, f"flat (|ηλ| < {spec.flat_tol:g})"),
                                                   (spec.divergent_fraction, "divergent (ηλ < 0)"),
                                                   (spec.unstable_fraction, "unstable (ηλ ≥ 2)")) if x > 0]
    reasons = [f"spectrum at θ*: {frac:.1%} of the Hessian modes are dissipative ({spec.flat_tol:g} ≤ ηλ < 2; ηλ from "
               f"{eta * spec.lambda_min:.3g} to {eta * spec.lambda_max:.3g})"
               + (f"; outside: {', '.join(outside)}" if outside else ""),
               f"ρ = ‖I + F1‖ = {rho:.4f} ({'< 1: the linear part contracts' if rho < 1 else '≥ 1: no contraction'}); "
               f"R = {rtxt} at ‖u_in‖ = {diss.u_in_norm:.3g} (PNAS Eq. 2; Theorem 1 and the quantum solver need "
               "R < 1 and ρ < 1)"]
    if not problem.connected:
        return "not applicable", reasons + ["F1 = 0: the pruned network does not train (disconnected)"]
    if frac == 1.0 and diss.theorem1:
        return "dissipative", reasons + ["Theorem 1 holds: every mode dissipative and R < 1, so the Carleman "
                                         "truncation error decays exponentially in N and the quantum solver accepts "
                                         "this map"]
    if frac == 1.0:
        lower = ("more expansion steps (θ* nearer the minimum: smaller ‖F0‖)" if diss.norm_F0 > 0 else "")
        rs = diss.r_star
        scale = (f"‖u_in‖ nearer r* = {rs:.3g}, where R is smallest (R_min = {_fmt(diss.R_min)})"
                 if rs is not None else "a smaller ‖u_in‖")
        return "almost dissipative", reasons + [
            f"every mode is dissipative but R = {rtxt} ≥ 1 at this u_in: Theorem 1's guarantee is missing here and the "
            f"quantum solver refuses the map; what lowers R: {', '.join(x for x in (lower, scale) if x)} (η does not "
            "change R: F0, F1, F2 all scale with η). Until then: Theorem 2's segmented training with re-upload"]
    if frac >= almost_fraction:
        return "almost dissipative", reasons + [
            f"≥ {almost_fraction:.0%} of the modes dissipative: Theorem 2 regime; the {1 - frac:.1%} outside make "
            "the error grow (see E(t)): train in segments with download / re-upload"]
    return "not applicable", reasons + [f"only {frac:.1%} of the modes are dissipative (< {almost_fraction:.0%})"]


#: Below this ratio of the N = 1 truncation error to the round-off floor the check also runs from a larger start.
_MEASURABLE = 1e6


def _carleman_check(problem, orders, norms) -> CarlemanCheck:
    """Carleman-vs-GD at u_in (``rows``) and, where truncation is within 10⁶ × round-off there, a truncation check of
    the same map from a rescaled u_in where the F2 term of R is ½|Re λ₁| (``truncation``). Errors and bounds below
    the round-off floor 16·ε_mach·steps·max‖u(t)‖ are flagged ``below_roundoff`` and never shown above a bound."""
    qm, u_in, true = problem.qmap, problem.u_in, problem.reference
    steps = problem.reference_steps
    dim = sum(qm.n**j for j in range(1, max(orders) + 1))
    if dim > MAX_CHECK_DIM:
        return CarlemanCheck(skipped=f"Carleman dimension {dim:,} > {MAX_CHECK_DIM:,}", steps=steps)
    systems = {order: discrete_carleman(qm, order) for order in orders}

    def rows_from(u0, reference=None):
        quad = qm.trajectory(u0, steps)
        floor = 16 * np.finfo(float).eps * steps * max(float(np.abs(quad).max()), np.finfo(float).tiny)
        out = []
        for order in orders:
            traj = solve_history(systems[order], u0, steps).u
            try:
                bound = truncation_error_bound(qm, u0, order, steps, norms=norms)
            except NotDissipativeError:
                bound = None
            err = float(np.abs(traj - quad).max())
            vs_gd = {} if reference is None else {"error_vs_gd": float(np.abs(traj - reference).max()),
                                                  "curve": np.linalg.norm(traj - reference, axis=1).tolist()}
            out.append(CheckRow(N=order, error_vs_quadratic=err, bound=bound, below_roundoff=err <= floor,
                                bound_below_roundoff=bound is not None and bound <= floor, **vs_gd))
        return tuple(out), floor, quad

    if not np.any(u_in):
        return CarlemanCheck(skipped="u_in = 0: GD starts at θ*, nothing to compare", steps=steps)
    rows, floor, quad = rows_from(u_in, true)
    truncation = None
    lin = min((r.error_vs_quadratic for r in rows if r.N == min(orders)), default=0.0)
    if lin < _MEASURABLE * floor and qm.F2.nnz:
        # truncation is ‖u‖-small here: rerun from u_in scaled up to where the F2 term of R is ½|Re λ₁| (or
        # ½·10⁻³‖F1‖ without a contracting direction): nonlinear enough to measure, tame enough to stay bounded
        s = 0.5 * max(abs(norms.re_lambda1), 1e-3 * norms.f1) / max(norms.f2, 1e-300) / np.linalg.norm(u_in)
        if s > 1.0:
            srows, sfloor, _ = rows_from(s * u_in)
            truncation = TruncationCheck(scale=float(s), u_norm=float(s * np.linalg.norm(u_in)), rows=srows,
                                         roundoff=sfloor,
                                         why=f"at u_in the N = {min(orders)} truncation error {lin:.2g} is within "
                                             f"{_MEASURABLE:.0e} × round-off ({floor:.2g})")
    return CarlemanCheck(steps=steps, rows=rows, roundoff=floor, taylor_remainder=float(np.abs(quad - true).max()),
                         truncation=truncation)


def _error_proxy(spectrum, eta, T) -> ErrorProxy:
    """E(t) at up to 101 steps from 0 to T (:func:`pyqgd.spectrum.error_proxy`, cut-off 0.4)."""
    ts = np.unique(np.linspace(0, T, min(T + 1, 101)).astype(int))
    try:
        values = error_proxy(ts, spectrum, eta=eta).tolist()
    except ValueError as exc:  # no eigenvalue outside the cut-off window
        return ErrorProxy(t=ts.tolist(), E=[], note=str(exc))
    return ErrorProxy(t=ts.tolist(), E=values, cutoff=0.4, note="a = −ηλ (Nat. Commun. Eqs. 7–8)")


#: The demo's simulation: the longest T ≤ ``SIMULATION_MAX_T`` (and ≤ the problem's T) whose Q# circuit the probe of
#: :func:`pyqgd.quantum.solve_gd` predicts within ``SIMULATION_BUDGET_SECONDS`` of simulation runs on the circuit;
#: ε = 0.05 guarantees fidelity ≥ 0.99. The toy's T = 4 circuit (1,185 calls) is predicted at ~19 CPU-s on a 2-core
#: machine whose speed varies by ~25 % (22–36 CPU-s for the 1,513 calls of the earlier precision rule): the budget
#: keeps the demo's T the same from run to run.
SIMULATION_MAX_T = 4
SIMULATION_BUDGET_SECONDS = 40.0
#: Shorter T are tried only while the probe's prediction is within this factor of the budget (a heuristic: on the
#: toy the calls fall 1,185 → 729 → 413 from T = 4 to 2, so a run ten times over at T = 4 fits at no shorter T).
SIMULATION_MAX_OVER = 10.0
SIMULATION_EPSILON = 0.05


def _simulate(problem, N, enabled):
    """The default solve (Kronecker encoding, a-priori parameters, amplification, ``solver="auto"``) of the problem's
    system on the Q# circuit at the longest T ≤ min(T, ``SIMULATION_MAX_T``) that ``solve_gd``'s probe puts within
    ``SIMULATION_BUDGET_SECONDS``; the block-level result at min(T, ``SIMULATION_MAX_T``) is kept beside it
    (``block_level``) when that T was over the budget, and ``note`` says which T ran and why. When no T reaches the
    circuit, the block-level solve at min(T, ``SIMULATION_MAX_T``) is the result."""
    if not enabled:
        return {"skipped": "simulation disabled"}
    qm, u_in = problem.qmap, problem.u_in
    if not np.any(u_in):
        return {"skipped": "u_in = 0 (expansion at the start point): nothing to encode; pass expansion_steps > 0"}
    kw = {"epsilon": SIMULATION_EPSILON, "angle_bits": 24, "circuit_budget_seconds": SIMULATION_BUDGET_SECONDS,
          "solver": "auto"}
    notes = []
    try:
        system = discrete_carleman(qm, N)
        T0 = min(problem.T, SIMULATION_MAX_T)
        first = None  # the first (longest-T) block-level solve
        for T in range(T0, 0, -1):
            res = _solve_for_report(system, u_in, T, kw, notes)
            if res.calls_counted_by_qsharp:
                break
            first = first or res
            predicted = (res.details.get("prediction") or {}).get("seconds")
            if predicted is None or predicted > SIMULATION_MAX_OVER * SIMULATION_BUDGET_SECONDS:
                break  # not a matter of a few steps fewer: no shorter T is tried
        if not res.calls_counted_by_qsharp:  # no T reaches the circuit: the block-level solve at the longest T
            res = first
    except ValueError as exc:  # too large for the simulator, not dissipative, …
        return {"skipped": str(exc).splitlines()[0]}
    d = res.to_dict()
    out = {k: v for k, v in d.items() if not isinstance(v, (list, np.ndarray)) or len(v) <= 64}
    out["how"] = res.how_simulated()
    if first is not None and first is not res:
        out["block_level"] = {"T": first.T, "fidelity_carleman": first.fidelity_carleman, "how": first.how_simulated(),
                              "block_encoding_calls": first.block_encoding_calls}
    if res.T < problem.T:
        notes.insert(0, f"T = {res.T} of the problem's {problem.T}: the longest T ≤ {T0} whose circuit the probe puts "
                        f"within the report's {SIMULATION_BUDGET_SECONDS:.0f} s simulation budget"
                        if res.calls_counted_by_qsharp else f"T = {res.T} of the problem's {problem.T}")
    # the estimates' ε is the report's; the simulation's is its own, and the report says so
    notes.append(f"ε = {SIMULATION_EPSILON} for the simulation (fidelity ≥ 0.99 guaranteed)")
    out["note"] = "; ".join(notes)
    return out


def _solve_for_report(system, u_in, T, kw, notes):
    """``solve_gd`` with the report's simulation options; where the a-priori bounds cannot set the precision, the precision comes
    from the classical history solution (``parameters="exact"``) and ``notes`` says so."""
    try:
        return solve_gd(system, u_in, T, **kw)
    except ValueError as exc:
        if "parameters='exact'" not in str(exc):
            raise
        notes.append("precision from the classical history solution (parameters='exact'): " + str(exc).splitlines()[0])
        return solve_gd(system, u_in, T, **{**kw, "parameters": "exact"})


def _estimates(problem, N, epsilon, tomography_precision, presets, loadings,
               error_budget) -> tuple[list[Estimate], list[BreakEven]]:
    """Logical and physical cost per loading and break-even, for the OdeProblem of this GDProblem
    (:meth:`pyqgd.estimate.OdeProblem.from_gd_problem`: its n, T, sparsities, ‖F0‖ and ‖u_in‖)."""
    out, breaks = [], []
    for loading in loadings:
        ode = OdeProblem.from_gd_problem(problem, N=N, epsilon=epsilon, loading=loading)
        me = estimate_model(ode, presets, error_budget=error_budget, tomography_precision=tomography_precision)
        summary = me.summary()
        summary["breakdown"] = {
            "block_encoding_calls": me.cost.block_encoding_calls,
            "block_encoding_toffoli_equiv": float(me.cost.block_encoding.non_clifford_count) * me.cost.block_encoding_calls,
            "state_preparation_toffoli_equiv": float(me.cost.state_preparation.non_clifford_count),
            "total_toffoli_equiv": float(me.cost.total.non_clifford_count),
            "tomography_runs": me.samples,
        }
        out.append(Estimate.from_dict(summary))
        for preset in presets:
            breaks.append(BreakEven.from_dict(break_even(ode, preset, error_budget=error_budget,
                                                         tomography_precision=tomography_precision,
                                                         ns=tuple(int(10**k) for k in range(3, 13)))))
    return out, breaks
