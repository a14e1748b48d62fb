"""Validation of the logical cost model against counts traced from the real Q# circuits.

Two independent sources of cost (STYLE.md §2, Qualtran's ``assert_equivalent_bloq_example_counts``): the closed
forms of :mod:`pyqgd.estimate.logical` and ``logical_counts`` traced by the QDK from
``qsharp_src/src/Estimation/Traces.qs`` (the Bridge circuits without dumps) in the package's private
``qdk.Context``. :func:`example_instances` are the shared small instances (tests, benchmark, notebooks).

The whole solvers: :func:`validate_solver` (``CarlemanQsvtSolve`` against ``ode_solver_cost``) and
:func:`validate_combinations`, which traces every built (encoding, loading, solver) combination of
:data:`BUILT_COMBINATIONS` whole — QSVT and kernel reflection (``Solvers/HistoryKernel.qs``) on the structured sparse
and the Kronecker encodings — on 4 small instances against its formula; traced counts are cached on disk under a
hash of the Q# sources and the call, so the check stays in the default test suite.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from pyqgd.carleman import QuadraticMap, carleman_bounds, discrete_carleman, solve_history, tstep_rhs
from pyqgd.estimate import circuit as cc
from pyqgd.estimate import logical as lg
from pyqgd.estimate.circuit import solver_circuit_from_qsharp
from pyqgd.estimate.kronecker import kronecker_call_cost
from pyqgd.estimate.layering import sparse_call_gates
from pyqgd.estimate.ode import OdeProblem, ode_solver_cost, polynomial_precision, success_probability_bound
from pyqgd.estimate.solvers import all_zero_phase_peak, history_kernel_circuit, history_kernel_rotation_depth
from pyqgd.quantum import fixed_point_schedule, inverse_polynomial, qsvt_angles, sparse_oracle_data
from pyqgd.quantum._context import get_context, qsharp_project_root
from pyqgd.quantum.kronecker import kronecker_encoding
from pyqgd.quantum.ode import default_padding
from pyqgd.quantum.qlss import history_kernel_setup
from pyqgd.quantum.structured_oracles import carleman_layout, carleman_oracle_data, history_rhs

__all__ = ["ValidationInstance", "ValidationResult", "example_instances", "instance_data", "trace", "validate_instance",
           "SolverInstance", "solver_instance", "TraceComparison", "compare_with_trace", "validate_solver",
           "example_solver_instances", "EXACT_FIELDS", "COMPARED_FIELDS", "BUILT_COMBINATIONS", "CombinationInstance",
           "combination_instance", "example_combination_instances", "validate_combinations", "composition_exact",
           "refresh_trace_cache"]

#: Fields compared exactly (the tracer's seven numbers; ccixCount is 0 on both sides).
COMPARED_FIELDS = ("numQubits", "tCount", "rotationCount", "rotationDepth", "cczCount", "ccixCount", "measurementCount")


@dataclass(frozen=True)
class ValidationInstance:
    """A small linear system M x = b: dimension 2^m, s nonzeros per row (power of two), b angle bits, ε, δ."""
    name: str
    m: int
    s: int
    angle_bits: int
    epsilon: float
    delta: float = 0.1
    seed: int = 0


def example_instances() -> list[ValidationInstance]:
    """Instances with different n = 2^m, s, angle bits and (through the matrix) κ and degree."""
    return [
        ValidationInstance("n4_s2", m=2, s=2, angle_bits=8, epsilon=0.1, seed=1),
        ValidationInstance("n8_s2", m=3, s=2, angle_bits=10, epsilon=0.05, seed=2),
        ValidationInstance("n8_s4", m=3, s=4, angle_bits=12, epsilon=0.1, seed=3),
        ValidationInstance("n16_s4", m=4, s=4, angle_bits=8, epsilon=0.2, seed=4),
        ValidationInstance("n2_s1", m=1, s=1, angle_bits=6, epsilon=0.1, seed=5),
        ValidationInstance("n32_s2", m=5, s=2, angle_bits=9, epsilon=0.3, seed=6),
    ]


def _matrix(inst: ValidationInstance) -> sp.csr_matrix:
    """A diagonally dominant banded matrix with exactly s nonzeros per row and column (circulant band)."""
    rng = np.random.default_rng(inst.seed)
    n = 2**inst.m
    rows, cols, vals = [], [], []
    for i in range(n):
        for k in range(inst.s):
            rows.append(i)
            cols.append((i + k) % n)
            vals.append(rng.uniform(0.6, 1.0) if k == 0 else rng.uniform(-0.3, 0.3) / max(inst.s - 1, 1))
    return sp.csr_matrix((vals, (rows, cols)), shape=(n, n))


def instance_data(inst: ValidationInstance):
    """(oracle data, κ = α/σ_min, QSVT degree, phases, b (positive, normalized), amplification schedule)."""
    data = sparse_oracle_data(_matrix(inst), angle_bits=inst.angle_bits)
    smin = float(np.linalg.svd(data.quantized_matrix(), compute_uv=False).min())
    kappa = max(data.alpha / smin * (1 + 1e-6), 1.0 + 1e-3)
    poly = inverse_polynomial(kappa, inst.epsilon)
    phases = qsvt_angles(poly).phases
    rng = np.random.default_rng(inst.seed + 100)
    b = rng.uniform(0.2, 1.0, 2**inst.m)
    b /= np.linalg.norm(b)
    sched = fixed_point_schedule(((1.0 - inst.epsilon) * poly.scale) ** 2, inst.delta)
    return data, kappa, poly.degree, phases, b, sched


def trace(operation: str, *args) -> dict:
    """``logical_counts`` of ``Estimation.Traces.<operation>(*args)`` in the private context, as a plain dict."""
    ctx = get_context()
    op = getattr(ctx.code.Estimation.Traces, operation)
    return dict(ctx.logical_counts(op, *args))


@dataclass(frozen=True)
class ValidationResult:
    """Formula vs traced counts for one instance and component; ``agree`` holds when all compared fields are equal,
    except ``rotationDepth`` when a state preparation is present: formula ≥ traced ≥ formula − ``depth_slack``.

    Tolerance and why: the tracer packs rotations into layers greedily; the rotations of ``PreparePureStateD`` act on
    the system register only and may share layers with the projector-phase Rzz (one layer, QSVT) or with the
    amplification's multi-controlled phases (≤ L·(2^m − m) layers: every preparation of the L calls). The formula
    adds the preparation's depth sequentially, so it is an upper bound (conservative for runtime); measured
    differences: 0–1 layer (QSVT), 0.8–7.6 % (amplified, m ≤ 5). All other fields are exact."""

    instance: str
    component: str
    formula: dict
    traced: dict
    agree: bool
    trace_seconds: float
    formula_seconds: float
    parameters: dict = field(default_factory=dict)
    depth_slack: int = 0


def _compare(formula: dict, traced: dict, depth_slack: int = 0) -> bool:
    for k in COMPARED_FIELDS:
        f, t = int(formula[k]), int(traced.get(k, 0))
        if k == "rotationDepth" and depth_slack:
            if not (f - depth_slack <= t <= f):
                return False
        elif f != t:
            return False
    return True


def validate_instance(inst: ValidationInstance, *, components=("block_encoding", "qsvt", "qsvt_fast", "qsvt_amplified")
                      ) -> list[ValidationResult]:
    """Trace each component of ``inst`` and evaluate its formula; returns one :class:`ValidationResult` each."""
    data, kappa, degree, phases, b, sched = instance_data(inst)
    q = data.to_qsharp()
    m, s, bits = data.num_system, data.sparsity, data.angle_bits
    params = {"m": m, "n": 2**m, "s": s, "angle_bits": bits, "kappa": kappa, "epsilon": inst.epsilon,
              "degree": degree, "amplification_length": sched.length}
    out = []
    for comp in components:
        slack = 0
        t0 = time.perf_counter()
        if comp == "block_encoding":
            traced = trace("TraceBlockEncoding", q)
        elif comp == "qsvt":
            traced = trace("TraceQsvtSolve", q, phases.tolist(), b.tolist())
        elif comp == "qsvt_fast":
            traced = trace("TraceQsvtSolveFast", q, degree, 0.123, b.tolist())
        elif comp == "qsvt_amplified":
            traced = trace("TraceQsvtSolveAmplified", q, phases.tolist(), b.tolist(), sched.alphas.tolist(),
                           sched.betas.tolist())
        else:
            raise ValueError(f"unknown component {comp!r}")
        t_trace = time.perf_counter() - t0
        t0 = time.perf_counter()
        if comp == "block_encoding":
            f = lg.sparse_block_encoding(m, s, bits)
        elif comp in ("qsvt", "qsvt_fast"):
            f = lg.qsvt_solve(m, s, bits, degree)
            slack = 1
        else:
            f = lg.qsvt_solve_amplified(m, s, bits, degree, sched.length)
            slack = sched.length * (2**m - m)
        t_formula = time.perf_counter() - t0
        fd = f.traced_view()
        out.append(ValidationResult(inst.name, comp, fd, traced, _compare(fd, traced, slack), t_trace, t_formula,
                                    params, slack))
    return out


# --------------------------------------------------------------------------------------- the whole solver

#: Fields that must be equal between a traced program and its cost formula (rotation depth: relative tolerance).
EXACT_FIELDS = ("numQubits", "tCount", "cczCount", "rotationCount", "measurementCount")


@dataclass(frozen=True)
class SolverInstance:
    """The Q# arguments of one built solver run (``CarlemanQsvtSolve(data, phases, rhs, alphas, betas)``) and the
    derived numbers: κ = α/σ_min of the quantized L (SVD), the amplitude bound A and the success bound λ used for the
    amplification schedule."""

    name: str
    data: dict
    rhs: dict
    phases: list
    alphas: list
    betas: list
    kappa: float
    amplitude: float
    amplitude_method: str
    lambda_min: float
    n: int
    N: int
    T: int
    p: int
    epsilon: float

    def problem(self, **kw):
        """The :class:`~pyqgd.estimate.OdeProblem` of this instance (exact mode: ``instance=self``)."""
        return OdeProblem(n=self.n, s=max(1, min(self.n, self.data["Sparsity"] - 1)), N=self.N, T=self.T,
                          epsilon=self.epsilon, p=self.p, angle_bits=self.data["AngleBits"], instance=self, **kw)


def solver_instance(system, u_in, T: int, p: int | None = None, *, epsilon: float = 0.3, amplify: bool = True,
                    delta: float = 0.3, angle_bits: int = 8, amplitude: str = "a-priori", name: str = "") -> SolverInstance:
    """Build the arguments of one solver run exactly as :func:`pyqgd.quantum.solve_gd` does (structured oracle data,
    |B⟩ data, QSVT phases of the degree-optimal inverse polynomial, fixed-point phases).

    ``amplitude``: "a-priori" (the bound of :func:`pyqgd.carleman.carleman_bounds`, known before solving) or
    "instance-exact" (‖Π_good L⁻¹B‖/‖B‖ from the classical history solution); the polynomial precision and λ follow
    :func:`pyqgd.estimate.ode.polynomial_precision` and :func:`~pyqgd.estimate.ode.success_probability_bound` with
    ‖L⁻¹‖ = κ/α (ε/2 when the amplitude bound is 0 and no amplification is built).
    """

    if p is None:
        p = default_padding(T)
    data = carleman_oracle_data(system, T, p, angle_bits=angle_bits)
    rhs = history_rhs(system, u_in, T, p)
    smin = float(np.linalg.svd(data.quantized_matrix() / data.alpha, compute_uv=False).min())
    kappa = max(1.0 / smin * (1.0 + 1e-6), 1.0 + 1e-6)
    if amplitude == "instance-exact":
        hist = solve_history(system, u_in, T, p, keep_states=True)
        amp = float(np.sqrt(p + 1) * np.linalg.norm(hist.u_final) / np.linalg.norm(tstep_rhs(system, u_in, T, p)))
    elif amplitude == "a-priori":
        amp = carleman_bounds(system, u_in, T, p).amplitude.value
    else:
        raise ValueError(f"amplitude must be 'a-priori' or 'instance-exact', got {amplitude!r}")
    inv = kappa / data.alpha
    poly = inverse_polynomial(kappa, polynomial_precision(epsilon, amp, inv))
    phases = qsvt_angles(poly).phases.tolist()
    lam = success_probability_bound(amp, inv, epsilon, kappa) if amp > 0 else 0.0
    alphas, betas = [], []
    if amplify:
        if lam <= 0:
            raise ValueError("the a-priori amplitude bound is 0 for this instance; use amplitude='instance-exact'")
        sched = fixed_point_schedule(min(lam, 1.0), delta)
        alphas, betas = sched.alphas.tolist(), sched.betas.tolist()
    return SolverInstance(name=name or f"n{system.n}_N{system.N}_T{T}_p{p}", data=data.to_qsharp(), rhs=rhs.qsharp,
                          phases=phases, alphas=alphas, betas=betas, kappa=kappa, amplitude=amp,
                          amplitude_method=amplitude, lambda_min=lam, n=system.n, N=system.N, T=T, p=p,
                          epsilon=epsilon)


@dataclass(frozen=True)
class TraceComparison:
    """A traced Q# program against a cost formula: ``agree`` when the exact fields are equal and the rotation depth
    is within ``depth_tolerance`` (relative). ``rel_err`` is the largest relative difference over the exact fields."""

    name: str
    traced: dict
    formula: dict
    agree: bool
    rel_err: float
    depth_rel_err: float
    trace_seconds: float


def compare_with_trace(callable_, args: tuple, cost: lg.LogicalCost, *, name: str = "", depth_tolerance: float = 0.02,
                       fields=EXACT_FIELDS, compare_depth: bool = True) -> TraceComparison:
    """Trace ``callable_(*args)`` (a Q# callable of the package's context, e.g.
    ``get_context().code.Carleman.HistoryState.CarlemanQsvtSolve``) with ``qsharp.logical_counts`` and compare it
    field by field with ``cost`` (a :class:`~pyqgd.estimate.logical.LogicalCost`; tracer convention for qubits).
    The reusable harness for every built circuit's cost formula."""

    ctx = get_context()
    t0 = time.perf_counter()
    traced = dict(ctx.logical_counts(callable_, *args))
    secs = time.perf_counter() - t0
    formula = cost.traced_view()
    errs = [abs(int(formula[k]) - int(traced.get(k, 0))) / max(abs(int(traced.get(k, 0))), 1) for k in fields]
    rel = max(errs) if errs else 0.0
    t_depth = int(traced.get("rotationDepth", 0))
    depth_err = abs(int(formula["rotationDepth"]) - t_depth) / max(t_depth, 1)
    agree = rel == 0.0 and (not compare_depth or depth_err <= depth_tolerance)
    return TraceComparison(name=name, traced={k: int(v) for k, v in traced.items() if isinstance(v, (int, float))},
                           formula=formula, agree=agree, rel_err=rel, depth_rel_err=depth_err, trace_seconds=secs)


def validate_solver(instance: SolverInstance, *, cached: bool = False, **kw) -> TraceComparison:
    """The whole solver: ``CarlemanQsvtSolve`` of ``instance`` traced against ``ode_solver_cost(instance.problem())``.

    ``cached=True`` traces ``Estimation.SolverTraces.TraceCarlemanSolveCached`` instead (block-encoding cached,
    QSVT and amplification loops repeated: milliseconds at any degree), with all phases equal to the instance's
    first QSVT / amplification phase; the tracer's depth of cached replays is not a layering, so only the exact
    fields are compared there."""

    ctx = get_context()
    if not cached:
        cost = ode_solver_cost(instance.problem()).total
        return compare_with_trace(ctx.code.Carleman.HistoryState.CarlemanQsvtSolve,
                                  (instance.data, instance.phases, instance.rhs, instance.alphas, instance.betas), cost,
                                  name=instance.name, **kw)
    d = len(instance.phases) - 1
    rounds = len(instance.alphas)
    ph = float(instance.phases[0])
    a = float(instance.alphas[0]) if rounds else 0.0
    b = float(instance.betas[0]) if rounds else 0.0
    eq = replace(instance, phases=[ph] * (d + 1), alphas=[a] * rounds, betas=[b] * rounds)

    cost = solver_circuit_from_qsharp(eq.data, eq.rhs, eq.phases, eq.alphas, eq.betas, layered_depth=False).total
    return compare_with_trace(ctx.code.Estimation.SolverTraces.TraceCarlemanSolveCached,
                              (eq.data, d, ph, eq.rhs, rounds, a, b), cost, name=instance.name + " (cached)",
                              compare_depth=False, **kw)


def example_solver_instances() -> list[SolverInstance]:
    """Seven small solver instances (n ∈ {2, 3, 4}, N ∈ {1, 2}, T ≤ 16, with and without amplification, sparsities
    3, 5, 7 — not powers of two — and 4), shared by the tests and ``benchmarks/estimate_scale.py``. The
    amplification uses the a-priori amplitude bound where it is positive, else (F0 ≠ 0: the bound of
    :func:`pyqgd.carleman.carleman_bounds` is 0) the instance-exact amplitude; ``amplitude_method`` records which."""

    specs = [  # name, n, N, T, p, F0 scale, amplify, seed
        ("n2_N2_T3", 2, 2, 3, 0, 0.01, True, 0), ("n2_N1_T12_noamp", 2, 1, 12, 3, 0.01, False, 1),
        ("n3_N1_T5", 3, 1, 5, 2, 0.0, True, 2), ("n4_N1_T3_noamp", 4, 1, 3, 0, 0.01, False, 3),
        ("n2_N2_T2_noamp", 2, 2, 2, 1, 0.0, False, 4), ("n3_N1_T16_noamp", 3, 1, 16, 15, 0.01, False, 5),
        ("n2_N1_T6_noamp", 2, 1, 6, 1, 0.0, False, 6),
    ]
    out = []
    for name, n, N, T, p, f0, amp, seed in specs:
        rng = np.random.default_rng(seed)
        A = rng.normal(size=(n, n))
        H = A @ A.T / n + 0.5 * np.eye(n)
        qm = QuadraticMap(f0 * rng.normal(size=n) if f0 else None, -0.2 * H, 0.005 * rng.normal(size=(n, n * n)))
        u = 0.2 * rng.normal(size=n) / np.sqrt(n)
        system = discrete_carleman(qm, N)
        try:
            inst = solver_instance(system, u, T, p, amplify=amp, amplitude="a-priori", name=name)
        except ValueError:
            inst = solver_instance(system, u, T, p, amplify=amp, amplitude="instance-exact", name=name)
        out.append(inst)
    return out


# --------------------------------------------------------------------------------------- every built combination

#: The built (encoding, loading, solver) combinations, each traced whole by :func:`validate_combinations`.
BUILT_COMBINATIONS = (("sparse", "qrom", "qsvt"), ("kronecker", "qrom", "qsvt"), ("sparse", "qrom", "kernel"),
                      ("kronecker", "qrom", "kernel"), ("kronecker", "selectswap", "qsvt"),
                      ("kronecker", "selectswap", "kernel"))


@dataclass(frozen=True)
class CombinationInstance:
    """One built solver run of one (encoding, loading, solver) combination: the Q# entry (``operation``, a dotted
    path in the package's context), its arguments, the cost formula's :class:`~pyqgd.estimate.logical.LogicalCost`
    of the whole run and the block-encoding calls the run makes."""

    name: str
    combination: tuple
    operation: str
    args: tuple = field(repr=False)
    cost: lg.LogicalCost = field(repr=False)
    calls: int = 0
    call_cost: lg.LogicalCost | None = field(default=None, repr=False)


def _rhs_spec(rhs: dict):

    return cc.RhsSpec(clock=rhs["NumClock"], level=rhs["NumLevel"], slot=rhs["NumSlot"], slots=rhs["NumSlots"],
                      clock_amplitudes=tuple(rhs["ClockAmplitudes"]), initial=cc._tensor_spec(rhs["Initial"]),
                      constant=cc._tensor_spec(rhs["Constant"]) if rhs["HasConstant"] else None)


def _kronecker_qsvt(system, u_in, T, p, epsilon, delta, angle_bits, name, loading="qrom"):
    """Solve.HistorySolve.HistorySolveKronecker's arguments (κ from the SVD of the encoded L, the a-priori amplitude bound of
    :func:`pyqgd.carleman.carleman_bounds`, as :func:`solver_instance`) and its cost: the solver of
    :func:`pyqgd.estimate.circuit.carleman_solver_circuit` with the instance's exact call cost
    (:func:`pyqgd.estimate.kronecker.kronecker_call_cost`). ``loading``: how the encoding reads F1 and F2
    (:func:`pyqgd.quantum.kronecker.kronecker_encoding`: dense tables read by QROM or QROAM — the loadings the
    estimate prices for this encoding)."""

    enc = kronecker_encoding(system, T, p, angle_bits=angle_bits, loading=loading)
    smin = float(np.linalg.svd(enc.quantized_matrix() / enc.alpha, compute_uv=False).min())
    kappa = max(1.0 / smin * (1.0 + 1e-6), 1.0 + 1e-6)
    amp = carleman_bounds(system, u_in, T, p).amplitude.value
    inv = kappa / enc.alpha
    phases = qsvt_angles(inverse_polynomial(kappa, polynomial_precision(epsilon, amp, inv))).phases.tolist()
    sched = fixed_point_schedule(min(success_probability_bound(amp, inv, epsilon, kappa), 1.0), delta)
    rhs = history_rhs(system, u_in, T, p).qsharp
    data = enc.to_qsharp()
    lay = enc.layout
    sc = cc.carleman_solver_circuit(clock=lay.clock_qubits, carleman=lay.carleman_qubits, level=lay.level_qubits,
                                    slot=lay.slot_qubits, slots=lay.N, steps=T, blocks=lay.blocks, sparsity=1,
                                    angle_bits=angle_bits, degree=len(phases) - 1, rhs=_rhs_spec(rhs), phases=phases,
                                    alphas=sched.alphas.tolist(), betas=sched.betas.tolist(),
                                    block_encoding=(call := kronecker_call_cost(enc)), ancillas=enc.num_ancillas)
    # the tracer's qubit peak: the real-part QSVT's first call is U†, which meets its Select cache in that order
    total = replace(sc.total, num_qubits=sc.total.num_qubits - call.num_qubits
                    + kronecker_call_cost(enc, adjoint=True).num_qubits)
    if len(sched.alphas):  # the reflection about the start state on all anc + 2 + m qubits, with its helpers
        q = max(total.num_qubits, all_zero_phase_peak(enc.num_ancillas + 2 + lay.system_qubits))
        total = replace(total, num_qubits=q, qubits_allocated=q)
    return CombinationInstance(name, ("kronecker", loading, "qsvt"), "Solve.HistorySolve.HistorySolveKronecker",
                               (data, phases, rhs, sched.alphas.tolist(), sched.betas.tolist()), total,
                               sc.block_encoding_calls, call)


_SETUP_CACHE: dict = {}


def _kernel(system, u_in, T, p, encoding, epsilon, delta, angle_bits, name, loading="records"):
    """The history kernel solve's arguments (:func:`pyqgd.quantum.qlss.history_kernel_setup`, a-priori bracket) and
    its cost (:func:`pyqgd.estimate.solvers.history_kernel_circuit` with the encoding's exact call cost). The
    Kronecker encoding reads its dense tables by ``loading`` (QROM or QROAM, as the estimate prices it); the solver's
    parameters (|b'⟩, |e⟩, phases, schedule) are the setup's, chosen for the encoding the solve driver builds (record
    lookups): the same circuit structure around the encoding, so the same counting rules whatever α they were chosen
    for. Rotation depth: :func:`pyqgd.estimate.solvers.history_kernel_rotation_depth` (the tracer's layering rule),
    the structured sparse call laid out by :func:`pyqgd.estimate.layering.sparse_call_gates`, the Kronecker call one
    block of its own depth."""

    key = (name, encoding, T, p, epsilon, delta, angle_bits, id(system), np.asarray(u_in).tobytes())
    if key not in _SETUP_CACHE:  # the same setup serves every loading of the encoding (phase finding is slow)
        _SETUP_CACHE[key] = history_kernel_setup(system, u_in, T, p, encoding=encoding, epsilon=epsilon, delta=delta,
                                                 angle_bits=angle_bits)
    st = _SETUP_CACHE[key]
    lay = carleman_layout(system, T, p)
    if encoding == "kronecker":

        enc = kronecker_encoding(system, T, p, angle_bits=angle_bits, loading=loading)
        be, anc = kronecker_call_cost(enc), enc.num_ancillas
        op = "Solvers.HistoryKernel.TraceCarlemanKernelSolveKronecker"
        st = replace(st, data=enc.to_qsharp())
    else:
        d = st.data
        m = lay.system_qubits
        be = cc.carleman_block_encoding(lay.clock_qubits, lay.carleman_qubits, angle_bits, d["Sparsity"],
                                        idle=lay.blocks - 1 > T, max_abs=d["MaxAbs"])
        be = replace(be, num_qubits=cc.solver_qubits(lay.clock_qubits, lay.carleman_qubits, angle_bits) - 2)
        anc = m + 1
        op = "Solvers.HistoryKernel.TraceCarlemanKernelSolve"
    phases = st.polynomial.phases.tolist()
    total, _ = history_kernel_circuit(be, anc, rhs_b=_rhs_spec(st.rhs_b), rhs_e=_rhs_spec(st.rhs_e),
                                      clock=lay.clock_qubits, level=lay.level_qubits, system=lay.system_qubits,
                                      steps=T, blocks=lay.blocks, degree=len(phases) - 1, phases=phases,
                                      alphas=st.alphas, betas=st.betas)
    gates = None
    if encoding == "sparse":
        gates = lambda a, s, adj: sparse_call_gates(st.data, a, s, adj)  # noqa: E731
    depth = history_kernel_rotation_depth(be.rotation_depth, anc, st.rhs_b, st.rhs_e, phases, st.alphas, st.betas,
                                          call_gates=gates)
    total = replace(total, rotation_depth=depth)
    return CombinationInstance(name, (encoding, "qrom" if loading == "records" else loading, "kernel"), op,
                               (st.data, st.rhs_b, st.rhs_e, phases, st.alphas, st.betas), total,
                               (len(phases) - 1) * (2 * len(st.alphas) + 1), be)


def combination_instance(combination: tuple, system, u_in, T: int, p: int, *, epsilon: float = 0.3,
                         delta: float = 0.3, angle_bits: int = 8, name: str = "") -> CombinationInstance:
    """The built run of ``combination`` (one of :data:`BUILT_COMBINATIONS`) on ``system`` from ``u_in``, with the
    a-priori bounds (amplification built from them), and its cost formula."""
    name = name or f"n{system.n}_N{system.N}_T{T}_p{p}"
    if combination == ("sparse", "qrom", "qsvt"):
        inst = solver_instance(system, u_in, T, p, epsilon=epsilon, delta=delta, angle_bits=angle_bits, name=name)

        return CombinationInstance(name, combination, "Carleman.HistoryState.CarlemanQsvtSolve",
                                   (inst.data, inst.phases, inst.rhs, inst.alphas, inst.betas),
                                   ode_solver_cost(inst.problem()).total,
                                   (len(inst.phases) - 1) * (2 * len(inst.alphas) + 1))
    loading = combination[1] if combination[0] == "kronecker" else "records"
    if combination in (("kronecker", "qrom", "qsvt"), ("kronecker", "selectswap", "qsvt")):
        return _kronecker_qsvt(system, u_in, T, p, epsilon, delta, angle_bits, name, loading)
    if combination in (("sparse", "qrom", "kernel"), ("kronecker", "qrom", "kernel"),
                       ("kronecker", "selectswap", "kernel")):
        return _kernel(system, u_in, T, p, combination[0], epsilon, delta, angle_bits, name, loading)
    raise ValueError(f"{combination!r} is not a built combination; built: {BUILT_COMBINATIONS}")


#: The small instances every combination is traced on: name, n, N, T, p, ‖F0‖ scale, seed (T + p + 1 never a power
#: of two, so the kernel solve has its pad block).
COMBINATION_SPECS = (("n2_N1_T3", 2, 1, 3, 1, 0.0, 11), ("n2_N2_T2", 2, 2, 2, 2, 0.01, 12),
                     ("n3_N1_T4", 3, 1, 4, 2, 0.01, 13), ("n2_N2_T4", 2, 2, 4, 2, 0.0, 15))


_INSTANCE_CACHE: dict = {}


def example_combination_instances(combination: tuple) -> list[CombinationInstance]:
    """:data:`COMBINATION_SPECS` built for ``combination`` (dissipative GD maps, a-priori bounds); built once per
    process."""
    if combination not in _INSTANCE_CACHE:
        _INSTANCE_CACHE[combination] = _build_combination_instances(combination)
    return _INSTANCE_CACHE[combination]


def _build_combination_instances(combination: tuple) -> list[CombinationInstance]:

    out = []
    for name, n, N, T, p, f0, seed in COMBINATION_SPECS:
        if name not in _SYSTEMS:  # one system object per spec, alive for the process (keys _SETUP_CACHE)
            rng = np.random.default_rng(seed)
            A = rng.normal(size=(n, n))
            H = A @ A.T / n + 0.5 * np.eye(n)
            qm = QuadraticMap(f0 * rng.normal(size=n) if f0 else None, -0.2 * H, 0.02 * rng.normal(size=(n, n * n)))
            _SYSTEMS[name] = (discrete_carleman(qm, N), 0.2 * rng.normal(size=n) / np.sqrt(n))
        system, u = _SYSTEMS[name]
        out.append(combination_instance(combination, system, u, T, p, name=name, angle_bits=10))
    return out


_SYSTEMS: dict = {}


_TRACE_CACHE: dict = {}
#: Traced counts of the combination instances, keyed by a hash of the Q# sources and the call (operation and
#: arguments): a change to any .qs file or argument misses the cache and traces again.
TRACE_CACHE_FILE = Path(__file__).with_name("combination_traces.json")


def _sources_hash() -> str:

    h = hashlib.sha256()
    for f in sorted(Path(qsharp_project_root(), "src").rglob("*.qs")):
        h.update(f.read_bytes())
    return h.hexdigest()


def _traced_counts(ctx, inst: CombinationInstance, sources: str, disk: dict) -> tuple[dict, float, bool]:
    """(logical counts, seconds, from cache) of one instance's Q# entry."""
    key = hashlib.sha256(json.dumps([sources, inst.operation, inst.args], sort_keys=True, default=str).encode()
                         ).hexdigest()
    if key in disk:
        return disk[key], 0.0, True
    op = ctx.code
    for part in inst.operation.split("."):
        op = getattr(op, part)
    t0 = time.perf_counter()
    counts = {k: int(v) for k, v in dict(ctx.logical_counts(op, *inst.args)).items() if isinstance(v, (int, float))}
    disk[key] = counts
    return counts, time.perf_counter() - t0, False


def validate_combinations(combinations=BUILT_COMBINATIONS, *, cache_file: Path | None = TRACE_CACHE_FILE,
                          depth_tolerance: float = 0.02) -> dict[tuple, list[TraceComparison]]:
    """Each built combination's whole solver traced (``logical_counts`` of its Q# entry) on
    :func:`example_combination_instances` against its cost formula (exact fields equal, rotation depth within
    ``depth_tolerance``). Traced counts are cached in ``cache_file`` under a hash of the Q# sources and the call
    (None: no disk cache) and per process."""

    ctx = get_context()
    disk = json.loads(cache_file.read_text()) if cache_file is not None and cache_file.exists() else {}
    sources = _sources_hash()
    out, wrote = {}, False
    for comb in combinations:
        if comb not in _TRACE_CACHE:
            res = []
            for inst in example_combination_instances(comb):
                traced, secs, hit = _traced_counts(ctx, inst, sources, disk)
                wrote |= not hit
                formula = inst.cost.traced_view()
                errs = [abs(int(formula[k]) - traced.get(k, 0)) / max(traced.get(k, 0), 1) for k in EXACT_FIELDS]
                depth = abs(int(formula["rotationDepth"]) - traced.get("rotationDepth", 0)) / max(
                    traced.get("rotationDepth", 0), 1)
                res.append(TraceComparison(name=f"{'/'.join(comb)} {inst.name}", traced=traced, formula=formula,
                                           agree=max(errs) == 0 and depth <= depth_tolerance, rel_err=max(errs),
                                           depth_rel_err=depth, trace_seconds=secs))
            _TRACE_CACHE[comb] = res
        out[comb] = _TRACE_CACHE[comb]
    if wrote and cache_file is not None:
        cache_file.write_text(json.dumps(disk, indent=0, sort_keys=True))
    return out


def refresh_trace_cache(cache_file: Path = TRACE_CACHE_FILE) -> dict[tuple, list[TraceComparison]]:
    """Re-trace every built combination for the current Q# sources and rewrite ``cache_file`` with those traces
    only (stale keys dropped). Run after any change to a .qs file:
    ``python benchmarks/estimate_scale.py --refresh-traces`` (minutes)."""
    _TRACE_CACHE.clear()
    if cache_file.exists():
        cache_file.unlink()
    return validate_combinations(cache_file=cache_file)


def composition_exact(combination: tuple, rows: list[TraceComparison], *,
                      depth_tolerance: float | None = None) -> bool:
    """Whether the solver composition of ``combination`` is exact on its traced instances: every exact field equal,
    except that where one call's rotation count from the Kronecker encoding's own formula
    (:func:`pyqgd.estimate.kronecker.kronecker_call_cost`) differs from that call's trace by Δ, the whole run must
    differ by exactly calls × Δ (the encoding's formula is validated by its own tests). With ``depth_tolerance``
    the rotation depth, corrected by calls × the call's own depth error, must be within that relative tolerance."""

    ctx = get_context()
    insts = example_combination_instances(combination) if combination[0] == "kronecker" else [None] * len(rows)
    for r, inst in zip(rows, insts):
        rot_excess = depth_excess = 0
        if inst is not None and r.traced.get("rotationCount") != r.formula["rotationCount"]:
            call = dict(ctx.logical_counts(ctx.code.Carleman.Kronecker.TraceKroneckerBlockEncoding, inst.args[0]))
            rot_excess = inst.calls * (int(inst.call_cost.rotation_count) - int(call["rotationCount"]))
            depth_excess = inst.calls * (int(inst.call_cost.rotation_depth) - int(call["rotationDepth"]))
        for k in EXACT_FIELDS:
            excess = rot_excess if k == "rotationCount" else 0
            if int(r.formula[k]) - int(r.traced.get(k, 0)) != excess:
                return False
        if depth_tolerance is not None:
            t = int(r.traced.get("rotationDepth", 0))
            if abs(int(r.formula["rotationDepth"]) - depth_excess - t) > depth_tolerance * max(t, 1):
                return False
    return len(rows) >= 4
