"""Block-encoding calls and logical cost of the quantum linear solvers, as functions of κ, ε and one call's cost.

Three solvers, each for a block-encoding of A with normalization α and κ ≥ α/σ_min(A), a target 2-norm error ε of
the POST-SELECTED output state, and a lower bound ``share`` on the fraction ‖Π_good x‖²/‖x‖² of the solution that
is kept (1 for a plain linear solve; the final-window share for the Carleman history state):

* ``"qsvt"`` — QSVT inversion with the Chebyshev-optimal odd P ≈ c/x (:mod:`pyqgd.quantum.polynomials`, degree
  d*(κ, ε_P) ≈ κ ln(2/ε_P)) + fixed-point amplification (Yoder–Low–Chuang, PRL 113, 210501, 2014). The good amplitude
  is c·α‖Π_good A⁻¹b‖ ≥ (1 − ε_P)·c·√share·‖(A/α)⁻¹b‖ ≥ (1 − ε_P)·c·√share (‖(A/α)⁻¹b‖ ≥ 1), c = the polynomial's
  scale; ε_P = ε·√share/2 keeps the post-selected error ≤ ε. c·κ → 0.80746 for κ ≥ 300 (*measured here* from
  :func:`pyqgd.quantum.inverse_polynomial` at κ = 300 and 1000; the exact scale is used for κ ≤ 1000). A tighter
  amplitude bound (``amplitude_lower_bound`` = ‖Π_good(A/α)⁻¹b‖, e.g. from :mod:`pyqgd.carleman.bounds`) replaces
  √share. Worst case: O(κ² log(1/ε)) calls.
* ``"kernel"`` — Dalzell's kernel reflection (arXiv:2406.12086; :mod:`pyqgd.quantum.qlss`): degree
  2ℓ = 2⌈arccosh(4/ε_K − 1)/arccosh((1+κ⁻²)/(1−κ⁻²))⌉ on G_t, success p ≥ 4q/(1+q)² for a norm bracket
  hi/lo = q of ‖(A/α)⁻¹b‖, times ``share``; ε_K = ε·√λ/2 with λ the amplified event's lower bound. With q = O(1):
  O(κ log 1/ε) calls. Without a bracket q = κ ([1, κ] always holds).
* ``"hhl"`` — Harrow–Hassidim–Lloyd with phase estimation of the qubitized walk (:mod:`pyqgd.quantum.hhl`),
  n_p = ⌈log₂(2κ/ε)⌉ phase bits, 2(2^{n_p} − 1) walk steps per run (estimation and uncomputation), each one call of
  U and one of U† — 4(2^{n_p} − 1) calls, the number the Q# program counts — and success ≥ share/κ² amplified:
  O(κ²/ε) calls. The phase-estimation error has no rigorous bound here (its tails leak), so it is a baseline and
  never chosen (``rigorous = False``).

:func:`dalzell_published_calls` is Dalzell's Theorem bound 56κ + 1.05κ ln(1/ε) (+ o(κ), dropped) for unknown ‖x‖.
Call counts of the kernel solver are checked against the number the Q# program counts in its loops, and
:func:`kernel_reflection_cost` against ``logical_counts`` traced from ``Solvers.KernelReflection`` (tests).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from pyqgd import registry
from pyqgd.estimate import circuit as cc
from pyqgd.estimate import layering as ly
from pyqgd.estimate.logical import EstimateInputError, LogicalCost, fixed_point_length, phase_on_all_zero, projector_phase
from pyqgd.quantum.polynomials import inverse_polynomial, optimal_inverse_degree
from pyqgd.quantum.qlss import KERNEL_SCALE, kernel_reflection_degree, kernel_success_lower_bound

__all__ = ["SolverCalls", "qsvt_calls", "kernel_reflection_calls", "hhl_calls", "dalzell_published_calls",
           "compare_solvers", "cheapest_rigorous", "carleman_solver_options", "kernel_reflection_cost",
           "kernel_reflection_overhead", "qsvt_scale", "SOLVERS", "ASYMPTOTIC_QSVT_SCALE", "history_kernel_calls",
           "history_kernel_circuit", "history_kernel_qubits", "history_kernel_rotation_depth", "all_zero_phase_peak"]

#: c·κ of the Chebyshev-optimal inverse polynomial with max |P| = 0.9, for κ → ∞ (measured here, κ = 300 and 1000).
ASYMPTOTIC_QSVT_SCALE = 0.80746
SOLVERS = registry.names("solver")


@dataclass(frozen=True)
class SolverCalls:
    """One solver's block-encoding calls: ``degree`` per run × ``amplification_length`` runs = ``calls``.

    ``success_lower_bound`` is the rigorous lower bound λ the amplification is built for; ``precision`` the
    polynomial's error parameter (ε_P or ε_K); ``rigorous`` whether every parameter follows from bounds.
    """

    method: str
    kappa: float
    epsilon: float
    degree: int
    amplification_length: int
    calls: int
    success_lower_bound: float
    precision: float
    rigorous: bool = True
    note: str = ""


def _check(kappa, epsilon, share):
    if not (kappa > 1.0 and math.isfinite(kappa)):
        raise EstimateInputError(f"kappa must be a finite number > 1, got {kappa}")
    if not (0.0 < epsilon < 1.0):
        raise EstimateInputError(f"epsilon must be in (0, 1), got {epsilon}")
    if not (0.0 < share <= 1.0):
        raise EstimateInputError(f"share (kept fraction of the solution) must be in (0, 1], got {share}")


def qsvt_scale(kappa: float, epsilon: float) -> float:
    """The scale c of :func:`pyqgd.quantum.inverse_polynomial` (exact for κ ≤ 1000, 0.80746/κ beyond)."""
    if kappa <= 1000.0:

        try:
            return float(inverse_polynomial(kappa, epsilon).scale)
        except ValueError:
            pass
    return ASYMPTOTIC_QSVT_SCALE / kappa


def _odd_degree(kappa: float, eps: float) -> int:

    return int(optimal_inverse_degree(kappa, eps))


def qsvt_calls(kappa: float, epsilon: float, *, share: float = 1.0, amplitude_lower_bound: float | None = None,
               delta: float = 0.1) -> SolverCalls:
    """QSVT inversion + fixed-point amplification (module docstring): degree d*(κ, ε√share/2) × L(λ),
    λ = ((1 − ε_P)·c·a)², a = ``amplitude_lower_bound`` (≥ ‖Π_good (A/α)⁻¹b‖) or √share."""
    _check(kappa, epsilon, share)
    eps_p = epsilon * math.sqrt(share) / 2.0
    d = _odd_degree(kappa, eps_p)
    a = math.sqrt(share) if amplitude_lower_bound is None else float(amplitude_lower_bound)
    lam = min(1.0, ((1.0 - eps_p) * qsvt_scale(kappa, eps_p) * a) ** 2)
    L = fixed_point_length(lam, delta)
    return SolverCalls("qsvt", kappa, epsilon, d, L, d * L, lam, eps_p)


def kernel_reflection_calls(kappa: float, epsilon: float, *, norm_ratio: float | None = None, share: float = 1.0,
                            delta: float = 0.1) -> SolverCalls:
    """Kernel reflection + fixed-point amplification: λ = (β(√(p_lo·share) − ε_K))², p_lo = 4q/(1+q)²,
    ε_K = ε·√(p_lo·share)/2, degree 2ℓ(κ, ε_K) (:func:`pyqgd.quantum.qlss.kernel_reflection_degree`), β = 0.999."""

    _check(kappa, epsilon, share)
    q = kappa if norm_ratio is None else float(norm_ratio)
    if not (q >= 1.0 and math.isfinite(q)):
        raise EstimateInputError(f"norm_ratio (hi/lo of the solution-norm bracket) must be ≥ 1, got {norm_ratio}")
    p = kernel_success_lower_bound(q) * share
    eps_k = epsilon * math.sqrt(p) / 2.0
    d = kernel_reflection_degree(kappa, eps_k)
    lam = min(1.0, (KERNEL_SCALE * (math.sqrt(p) - eps_k)) ** 2)
    L = fixed_point_length(lam, delta)
    note = "norm bracket [1, κ]" if norm_ratio is None else f"norm bracket ratio {q:.3g}"
    return SolverCalls("kernel", kappa, epsilon, d, L, d * L, lam, eps_k, note=note)


def hhl_calls(kappa: float, epsilon: float, *, share: float = 1.0, delta: float = 0.1) -> SolverCalls:
    """HHL baseline: 4(2^{n_p} − 1) calls per run (2 per walk step), n_p = ⌈log₂(2κ/ε)⌉, amplified from
    λ = share/κ² (the rotation constant C = 1/κ gives amplitude ≥ 1/κ)."""
    _check(kappa, epsilon, share)
    n_p = math.ceil(math.log2(2.0 * kappa / epsilon))
    steps = 4 * (2**n_p - 1)
    lam = share / kappa**2
    L = fixed_point_length(lam, delta)
    return SolverCalls("hhl", kappa, epsilon, steps, L, steps * L, lam, 2.0**-n_p, rigorous=False,
                       note="baseline: no rigorous phase-estimation error bound")


def dalzell_published_calls(kappa: float, epsilon: float) -> float:
    """Dalzell (arXiv:2406.12086) upper bound 56κ + 1.05κ ln(1/ε) on the expected calls, unknown ‖x‖ (o(κ) dropped)."""
    _check(kappa, epsilon, 1.0)
    return 56.0 * kappa + 1.05 * kappa * math.log(1.0 / epsilon)


def compare_solvers(kappa: float, epsilon: float, *, share: float = 1.0, amplitude_lower_bound: float | None = None,
                    norm_ratio: float | None = None, delta: float = 0.1) -> dict[str, SolverCalls]:
    """All three solvers for one instance (same κ, ε, share, bounds), keyed by method."""
    return {
        "qsvt": qsvt_calls(kappa, epsilon, share=share, amplitude_lower_bound=amplitude_lower_bound, delta=delta),
        "kernel": kernel_reflection_calls(kappa, epsilon, norm_ratio=norm_ratio, share=share, delta=delta),
        "hhl": hhl_calls(kappa, epsilon, share=share, delta=delta),
    }


def carleman_solver_options(alpha: float, inverse_norm: float, amplitude: float, epsilon: float, *,
                            delta: float = 0.1) -> dict[str, SolverCalls]:
    """:func:`compare_solvers` for the Carleman history system from its a-priori bounds.

    ``alpha`` = α_L of the encoding, ``inverse_norm`` ≥ ‖L⁻¹‖ and ``amplitude`` ≤ ‖Π_good L⁻¹B‖/‖B‖ (e.g.
    :func:`pyqgd.carleman.bounds.carleman_bounds`). Mapping: κ = α·‖L⁻¹‖; the normalized solution (L/α)⁻¹B̂ has norm in
    [α·amplitude, α·‖L⁻¹‖] (norm bracket ratio ‖L⁻¹‖/amplitude), its window amplitude is ≥ α·amplitude and its window
    share ≥ (amplitude/‖L⁻¹‖)² — the rule :func:`pyqgd.quantum.ode.gd_solver_parameters` uses for the precision,
    here with the triangle-inequality tolerance ε/2 where the local solve uses η(ε) = ε√(1 − ε²/4) (docs/math.md
    Eq. 10′; these counts are conservative by up to that factor in ε).
    """
    if not (alpha > 0 and inverse_norm >= 1.0 and 0.0 < amplitude <= inverse_norm):
        raise EstimateInputError(f"need α > 0, ‖L⁻¹‖ bound ≥ 1 and 0 < amplitude ≤ ‖L⁻¹‖ bound, got α = {alpha}, "
                                 f"‖L⁻¹‖ ≤ {inverse_norm}, amplitude ≥ {amplitude} (a zero amplitude bound is vacuous)")
    kappa = max(alpha * inverse_norm, 1.0 + 1e-9)
    share = (amplitude / inverse_norm) ** 2
    return compare_solvers(kappa, epsilon, share=share, amplitude_lower_bound=min(alpha * amplitude, 1.0 / 0.9),
                           norm_ratio=inverse_norm / amplitude, delta=delta)


def cheapest_rigorous(options: dict[str, SolverCalls]) -> SolverCalls:
    """The rigorous solver with the fewest block-encoding calls (HHL, a reference, is never chosen)."""
    ok = [c for c in options.values() if c.rigorous]
    if not ok:
        raise EstimateInputError("no rigorous solver among the options")
    return min(ok, key=lambda c: c.calls)


def kernel_reflection_overhead(m: int, controlled_preparation: LogicalCost | None = None) -> LogicalCost:
    """Cost of one call of G_t beyond the controlled call of A's encoding, for an m-qubit system (m ≥ 2).

    *Measured here*: ``logical_counts`` of ``Solvers.KernelReflection.TraceKernelOperator`` minus
    ``TraceControlledBlockEncoding`` at m = 2, 3, 4, 5 (positive b) and m = 2 (signed b) fit exactly: two controlled
    preparations of |b⟩ (``controlled_preparation``, e.g. traced from ``TraceControlledPreparation``; default
    PreparePureStateD of a generic positive vector: 2(2^m − 1) rotations, no T or CCZ) plus 2 T, m² + 3m − 1 CCZ and
    2m + 1 rotations (rotation depth one less per qubit above 2) — the augmentation's controlled Ry and flips and the
    phase on m + 1 qubits of the reflection about b'.
    """
    if m < 2:
        raise EstimateInputError(f"the kernel-reflection overhead model holds for m ≥ 2 system qubits, got {m}")
    prep = controlled_preparation if controlled_preparation is not None else LogicalCost(
        rotation_count=2 * (2**m - 1), rotation_depth=2 * (2**m - 1))
    rot = 2 * prep.rotation_count + 2 * m + 1
    return LogicalCost(t_count=2 + 2 * prep.t_count, ccz_count=m * m + 3 * m - 1 + 2 * prep.ccz_count,
                       rotation_count=rot, rotation_depth=rot - (m - 2),
                       measurement_count=2 * prep.measurement_count)


def kernel_reflection_cost(controlled_block_encoding: LogicalCost, m: int, calls: SolverCalls, *,
                           controlled_preparation: LogicalCost | None = None) -> LogicalCost:
    """LogicalCost of ``Solvers.KernelReflection`` (A's encoding with m + 1 ancillas, as the sparse-access one) run
    with ``calls`` = degree d × amplification length L.

    Per run: d calls of G_t (``controlled_block_encoding`` = one call of A's encoding with one control, plus
    :func:`kernel_reflection_overhead`) and d + 1 projector phases on G's m + 3 ancillas (:func:`projector_phase`);
    L runs, and (L − 1)/2 rounds of phases on the good register (lcu, sig, G's ancillas, a: m + 6 qubits) and on the
    whole register (2m + 6 qubits). Qubits: A's encoding's + 4 (lcu, sig, q, w). For a generic t (an Ry angle
    2·arccos(1/t) that is a multiple of π/4 is traced as Clifford+T instead of a rotation). Validated against traced counts in
    the tests (all fields equal except the rotation depth, an upper bound as in
    :class:`pyqgd.estimate.validation.ValidationResult`).
    """
    d, L = calls.degree, calls.amplification_length
    per_call = controlled_block_encoding.then(kernel_reflection_overhead(m, controlled_preparation))
    run = per_call.repeat(d).then(projector_phase(m + 3).repeat(d + 1))
    l = (L - 1) // 2
    rounds = phase_on_all_zero(m + 6).then(phase_on_all_zero(2 * m + 6))
    total = run.repeat(L).then(rounds.repeat(l))
    q = controlled_block_encoding.num_qubits + 4
    return replace(total, num_qubits=q, qubits_allocated=max(q, controlled_block_encoding.qubits_allocated + 4))


# --- kernel reflection on the Carleman history system (Solvers/HistoryKernel.qs) ----------------------------------


def _kernel_degree(kappa: float, eps_k: float) -> int:
    """:func:`pyqgd.quantum.qlss.kernel_reflection_degree`, 2⌈arccosh(4/ε_K − 1)/arccosh(z₀)⌉ with z₀ =
    (1 + κ⁻²)/(1 − κ⁻²); beyond κ = 10⁶, where z₀ rounds to 1 in double precision, arccosh(z₀) = log1p(x + √(x(x + 2)))
    with x = z₀ − 1 = 2/(κ² − 1) (≈ 2/κ)."""

    if kappa <= 1e6:
        return kernel_reflection_degree(kappa, eps_k)
    x = 2.0 / (kappa * kappa - 1.0)
    return 2 * max(1, math.ceil(math.acosh(4.0 / eps_k - 1.0) / math.log1p(x + math.sqrt(x * (x + 2.0)))))


def history_kernel_calls(kappa: float, epsilon: float, good_amplitude: float, *, delta: float = 0.1) -> SolverCalls:
    """Calls of the history kernel solve (:func:`pyqgd.quantum.qlss.history_kernel_setup`): with t = hi ≥ ‖x‖ and
    lo_good ≤ ‖Π_good x‖ the good amplitude of the reflection's output is 2t‖Π_good x‖/(‖x‖² + t²) ≥ lo_good/hi =
    ``good_amplitude`` = a (docs/math.md); ε_K = ε·a/2, degree 2ℓ(κ, ε_K), λ = (β(a − ε_K))², L(λ, δ) rounds."""

    a = float(good_amplitude)
    _check(kappa, epsilon, min(max(a * a, 1e-300), 1.0))
    eps_k = epsilon * a / 2.0
    d = _kernel_degree(kappa, eps_k)
    lam = min(1.0, (KERNEL_SCALE * (a - eps_k)) ** 2)
    L = fixed_point_length(lam, delta)
    return SolverCalls("kernel", kappa, epsilon, d, L, d * L, lam, eps_k,
                       note=f"history kernel reflection, good amplitude ≥ {a:.3g}")


def history_kernel_circuit(block_encoding: LogicalCost, ancillas: int, *, rhs_b, rhs_e, clock: int, level: int,
                           system: int, steps: int, blocks: int, degree: int, phases=None, alphas=None, betas=None,
                           amplification_length: int = 1) -> tuple[LogicalCost, LogicalCost]:
    """(total, one call of G) for ``Solvers.HistoryKernel.HistoryKernelSolveWith`` on an encoding of L with
    ``ancillas`` ancillas (``block_encoding``: one call, ``num_qubits`` its peak with ancillas and the m = ``system``
    qubits), |b'⟩ and |e⟩ the :class:`pyqgd.estimate.circuit.RhsSpec` of PrepareHistoryRhs.

    One call of G: the encoding, PrepareHistoryRhs(b') and its adjoint, and the reflection's phase — R1(π) with m
    controls (Controlled of a within/apply controls the apply part only, so the preparations stay uncontrolled).
    One run: PrepareHistoryRhs(e) and the even real-part QSVT of G (d calls, d + 1 projector phases on G's
    ancillas + 1). Amplification: L = 2l + 1 runs and per round the window phase (ApplyIfInRange(T, K − 1) computed
    and uncomputed, R1 with numAnc + m_ℓ controls) and R1 with numAnc + m − 1 controls on everything. Peak qubits: the
    encoding's peak + 3 (lcu, sig, q). The rotation depth composes the parts one after another (an upper bound, the
    one used at model scale); the tracer's layering of the built solve is :func:`history_kernel_rotation_depth`."""

    prep_b = cc.history_rhs_preparation(rhs_b)
    g = block_encoding.then(prep_b).then(prep_b).then(cc.controlled_r1(system, math.pi))
    a = ancillas + 1
    inner = cc.history_rhs_preparation(rhs_e).then(cc.real_qsvt(g, a, degree, phases))
    num_anc = a + 2
    if alphas is not None:
        rounds = len(alphas)
        refl = LogicalCost()
        for al, bt in zip(alphas, betas):
            refl = refl.then(cc.in_range(clock, True).repeat(2)).then(cc.controlled_r1(num_anc + level, float(bt)))
            refl = refl.then(cc.controlled_r1(num_anc + system - 1, -float(al)))
    else:
        rounds = (amplification_length - 1) // 2
        refl = (cc.in_range(clock, True).repeat(2).then(cc.controlled_r1(num_anc + level, None))
                .then(cc.controlled_r1(num_anc + system - 1, None))).repeat(rounds)
    total = inner.repeat(2 * rounds + 1).then(refl)
    q = history_kernel_qubits(block_encoding.num_qubits, ancillas, system, level, rounds > 0)
    return replace(total, num_qubits=q, qubits_allocated=max(q, total.qubits_allocated)), g


def history_kernel_qubits(encoding_peak: int, ancillas: int, system: int, level: int, amplified: bool) -> int:
    """Peak live qubits of the history kernel solve: the encoding's peak + 3 (lcu, sig, q), or with amplification
    the multi-controlled phases (R1 with c controls holds c − 1 helpers): on all k = numAnc + m qubits (2k − 2) and
    on the window (the register, the window flag and numAnc + m_ℓ − 1 helpers); numAnc = ancillas + 3."""
    q = encoding_peak + 3
    if amplified:
        k = ancillas + 3 + system
        q = max(q, all_zero_phase_peak(k), k + 1 + ancillas + 3 + level - 1)
    return q


def all_zero_phase_peak(k: int) -> int:
    """Peak live qubits of ``ApplyPhaseOnAllZero`` on k qubits (the amplification's reflection about the start
    state): R1 with c = k − 1 controls holds c − 1 helpers, 2k − 2 in all (:func:`pyqgd.estimate.logical.phase_on_all_zero`,
    traced)."""
    return max(2 * k - 2, k)


def history_kernel_rotation_depth(call_depth: int, ancillas: int, rhs_b: dict, rhs_e: dict, phases, alphas=(),
                                  betas=(), *, call_gates=None) -> int:
    """Rotation depth of ``HistoryKernelSolveWith`` by the QDK tracer's own layering rule
    (:mod:`pyqgd.estimate.layering`: per-qubit levels; a rotation, T gate or Toffoli takes one layer on its qubits,
    two-qubit Cliffords synchronise their two qubits, released helpers keep their level; the depth is the number of
    layers holding a rotation) — not a barrier per Toffoli.

    Laid out gate by gate in the std decompositions: PrepareHistoryRhs of |b'⟩ (and its adjoint) and of |e⟩, the
    reflection's R1(π) on sys under q and m − 1 system controls (its std adjoint in G†), the projector phases (the
    multi-controlled X of G's ancillas into sig and Rzz on sig, lcu), the amplification's window phase
    (ApplyIfInRange as a block on the clock and the window flag, R1 under numAnc + m_ℓ controls) and the phase on all
    qubits. One call of the encoding, U or U†, is ``call_gates(ancillas, sys, adjoint)`` (e.g.
    :func:`pyqgd.estimate.layering.sparse_call_gates`: D_s and D_s† gate by gate around the oracles as blocks), by
    default one block over its ``ancillas`` and sys with ``call_depth`` rotation layers. The d calls of a run are
    not enumerated: :meth:`~pyqgd.estimate.layering.TracerLayers.repeat` adds the periodic (G, phase, G†, phase)
    steps in closed form once the layering state repeats (exact; after one or two steps here), so the cost is a few
    calls' gates whatever d — seconds at d = 7·10⁵ with a 13-qubit clock. ``rhs_b``/``rhs_e``: the Q# HistoryRhs
    dicts of |b'⟩ and |e⟩.

    Measured against ``logical_counts`` of the whole solve (:func:`pyqgd.estimate.validation.validate_combinations`,
    4 instances per encoding): structured sparse encoding 0–0.4 % (three of four equal), Kronecker encoding (one
    block per call) 0.01–1.4 % — there the call's own depth formula is ±1 layer of the traced call, and the tracer
    starts the preparations on the level and slot registers before the call's last rotations."""
    mt, ml = rhs_b["NumClock"], rhs_b["NumLevel"]
    m = mt + ml + rhs_b["NumSlots"] * rhs_b["NumSlot"]
    sys = [("s", k) for k in range(m)]
    be = [("a", k) for k in range(ancillas)]
    lcu, sig, q = ("lcu",), ("sig",), ("q",)
    anc = [q] + be
    qs = [lcu, sig] + anc + sys
    lay = ly.TracerLayers(tracked=qs)
    if call_gates is None:
        call = call_adj = [("b", tuple(be + sys), int(call_depth), 0, 0)]
    else:
        call, call_adj = list(call_gates(be, sys, False)), list(call_gates(be, sys, True))
    prep, prep_adj = ly.history_rhs_gates(rhs_b, sys), ly.history_rhs_gates(rhs_b, sys, adjoint=True)
    ctl = [q] + sys[:-1]
    g = call + prep_adj + ly.controlled_r1_gates(ctl, sys[-1], math.pi) + prep
    g_adj = prep_adj + ly.controlled_r1_gates(ctl, sys[-1], math.pi, adjoint=True) + prep + call_adj

    def proj(ph):
        x = ly.mcx_gates(anc, sig)
        return x + [("c", lcu, sig), ("r", sig, 2 * float(ph)), ("c", lcu, sig)] + ly.mcx_gates(anc, sig)

    def run(adjoint: bool):
        order = cc.qsvt_phase_order(phases, adjoint)
        d = len(order) - 1
        if not adjoint:
            lay.apply(ly.history_rhs_gates(rhs_e, sys))
        lay.apply(proj(order[0]))
        # the calls in time order: G at odd k forward; inverse call j is k = d − j + 1, G at even k
        first_g = True if not adjoint else d % 2 == 0
        k = 1
        while k + 1 <= d:  # (call, phase, other call, phase) steps, grouped by the phases' rotation kinds
            kinds = (cc.rotation_kind(2 * order[k]), cc.rotation_kind(2 * order[k + 1]))
            n = 1
            while k + 2 * n + 1 <= d and (cc.rotation_kind(2 * order[k + 2 * n]),
                                          cc.rotation_kind(2 * order[k + 2 * n + 1])) == kinds:
                n += 1
            a, b = order[k], order[k + 1]
            step = (g if first_g else g_adj) + proj(a) + (g_adj if first_g else g) + proj(b)
            lay.repeat(lambda lyr, step=step: lyr.apply(step), n)
            k += 2 * n
        if k == d:
            lay.apply((g if first_g else g_adj) + proj(order[d]))
        if adjoint:
            lay.apply(ly.history_rhs_gates(rhs_e, sys, adjoint=True))

    run(False)
    clock, level = sys[:mt], sys[mt:mt + ml]
    window = cc.in_range(mt, True).ccz_count
    for a, bt in zip(alphas, betas):
        out = ly.helpers(1)[0]
        rng = [("b", tuple(clock + [out]), 0, window, mt + 4)]
        lay.apply(rng + ly.controlled_r1_gates([lcu, sig] + anc + level, out, float(bt)) + rng + [("f", (out,))])
        run(True)
        lay.apply(ly.controlled_r1_gates(qs[:-1], qs[-1], -float(a)))
        run(False)
    return lay.depth
