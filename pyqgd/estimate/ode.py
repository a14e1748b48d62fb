"""Logical cost of one run of the T-step Carleman linear-ODE solver: the circuit built in ``qsharp_src`` at any size.

One run (Liu et al. 2024, Eq. 6; README "Resource estimates") prepares the history-state right-hand side |B⟩,
applies the real-part QSVT of P ≈ c/x to the block-encoding of L = I − S⊗M (T + p + 1 time blocks), and amplifies
the final-window, level-1 subspace with fixed-point amplification (Yoder–Low–Chuang, PRL 113, 210501, 2014).

**The circuit is the built one.** ``block_encoding="auto"`` (default) takes whichever of the two built encodings
below needs fewer non-Clifford operations per run (the result's ``block_encoding_name`` says which: the Kronecker one
with QROM loading on every instance measured, n = 2 … 10¹²). With ``block_encoding="sparse"`` every count is
:mod:`pyqgd.estimate.circuit`'s closed form of ``Carleman.HistoryState.CarlemanQsvtSolve``: the structured oracles
with M's tables over all 4^{m_c} Carleman addresses (as ``carleman_oracle_data`` builds them), D_s exact for any
sparsity, the clock comparators and adders, the QSVT projector phases and the amplification reflections. It equals
the QDK trace of the whole solver field by field (``tests/test_estimate_solver.py``). Other choices:

* ``block_encoding="kronecker"``: the Kronecker encoding from F0, F1, F2 (``pyqgd.estimate.kronecker``: dense
  (row, k) tables read by the built QROM or QROAM, α_L = 1 + α_M);
* ``block_encoding="f_tables_model"``: oracles that store only F0, F1, F2 (n(1 + s + s²) entries) — **a circuit that
  is not built** (the model this package used before the solver was traced), kept for comparison and labelled so;
* ``solver="qsvt"`` (built), ``"kernel"`` (built: Dalzell's kernel reflection on the history system,
  ``Solvers.HistoryKernel`` — the pad block of the clock replaces the augmentation qubit, so the encoding is called
  uncontrolled and |b'⟩ is the structured |B⟩ preparation; t and the good amplitude from the rigorous bracket
  A ≤ ‖Π_good L⁻¹B‖/‖B‖, ‖L⁻¹B‖/‖B‖ ≤ U of docs/math.md Eq. 17; O(κ log(1/ε)·U/A) calls) or ``"auto"`` (the
  built solver with fewer non-Clifford operations, both rigorous);
* ``loading``: how each table lookup is priced (:mod:`pyqgd.estimate.loading`; "qrom" is built for both encodings,
  "selectswap" (QROAM) for the Kronecker one).

Register sizes (:class:`pyqgd.quantum.structured_oracles.CarlemanLayout`): w = ⌈log₂ n⌉, m_ℓ = ⌈log₂ N⌉,
m_c = m_ℓ + N·w, m_t = ⌈log₂(T + p + 1)⌉, m = m_t + m_c. Sparsity of the built encoding s_L = 1 + s_M with s_M the
row/column nonzeros of M + I: for the exact discrete map block row j holds Σ_{1≤|d|≤N} Π_i r_{d_i} nonzeros,
d ∈ {0,1,2}^j, with r_0 = [F0 ≠ 0], r_1 = s + 1 (I + F1), r_2 = s_F2 (default s²), columns likewise with
c_0 = nnz(F0), c_1 = s + 1, c_2 = s (an upper bound: coinciding positions are counted twice). α = s_L·max(1, max|M|).

**κ and the success probability** (rigorous, stated before solving): κ = α·‖L⁻¹‖ with ‖L⁻¹‖ from
:func:`pyqgd.carleman.bounds.inverse_norm_bound_growth` (contraction ‖M^k‖ ≤ C·μ^k when ``contraction`` = μ is
given, else ‖M‖ ≤ 1: the worst case T + p + 1), or a given ``inverse_norm`` (e.g. from
:func:`pyqgd.carleman.carleman_bounds`); ``kappa`` (a measured κ) is still accepted. The QSVT applies
P(x) = c(1 − R(x²))/x with |R| ≤ ε_P on [1/κ, 1], so its good part is cα·Π_good L⁻¹B/‖B‖ minus at most
c·ε_P·‖(L/α)⁻¹B‖/‖B‖ ≤ cα·ε_P·‖L⁻¹‖. With the polynomial precision ε_P = min(ε/2, ε·A/(2‖L⁻¹‖)) the
post-selected state is within ε of the exact one and

    λ ≥ (cκ · A·(1 − ε/2) / ‖L⁻¹‖)²,      A ≤ ‖Π_good L⁻¹B‖/‖B‖,  degree = d*(κ, ε_P),

with cκ the inverse polynomial's scale times κ (:func:`qsvt_scale_kappa`: exact up to κ = 300, and its κ = 300 value
minus 0.1 % beyond, where cκ has converged: 0.807 at ε_P = 10⁻²).

A is a given ``amplitude`` (``amplitude_method`` says whether it is the a-priori bound of
:func:`pyqgd.carleman.carleman_bounds` or the instance-exact value from the classical solution, used only when the
user asks), or by default A = √(p+1)·(1 − ε)·‖u(T)‖/‖B‖ with ‖u(T)‖ = ‖u_in‖/q and
‖B‖² = Σ_j ‖u_in‖^{2j} + T·Σ_j ‖F0‖^{2j} (q, ‖u_in‖, ‖F0‖ given; the truncation error ≤ ε‖u(T)‖).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache

import numpy as np

from pyqgd import registry
from pyqgd._bits import ceil_log2
from pyqgd._checks import InputTypeError
from pyqgd.carleman.bounds import inverse_norm_bound_growth, solution_norm_bound_growth
from pyqgd.estimate import circuit as cc
from pyqgd.estimate import logical as lg
from pyqgd.estimate import solvers as sv
from pyqgd.estimate.errors import EstimateInputError, check_epsilon, check_real, check_size
from pyqgd.estimate.kronecker import kronecker_block_encoding_cost
from pyqgd.estimate.loading import LOADING_LABELS, check_loading, extra_qubits, lookup_cost
from pyqgd.estimate.readout import check_readout
from pyqgd.estimate.solvers import all_zero_phase_peak
from pyqgd.limits import check_cost_sizes
from pyqgd.problem import GDProblem
from pyqgd.quantum.polynomials import inverse_polynomial, optimal_inverse_degree

__all__ = ["OdeProblem", "OdeCost", "ode_solver_cost", "ARITH_TOFFOLIS_PER_SLOT", "BLOCK_ENCODINGS", "SOLVERS",
           "MAX_STEPS", "carleman_sparsity", "success_probability_bound", "polynomial_precision", "qsvt_scale_kappa"]

#: Toffolis of index arithmetic per tensor slot and per bit of ⌈log₂ n⌉ in the ``f_tables_model`` oracle (not built).
ARITH_TOFFOLIS_PER_SLOT = 4

#: Block-encodings of L: "auto" (the cheaper built one, see :func:`ode_solver_cost`), the built structured oracles,
#: the built Kronecker encoding, and the not-built F-tables model.
BLOCK_ENCODINGS = ("auto",) + registry.names("encoding")
#: Solvers: the built QSVT + fixed-point amplification; "kernel" (the built kernel-reflection history solve) and
#: "auto" (the built one with fewer non-Clifford operations per run).
SOLVERS = ("qsvt", "kernel", "auto")
#: Largest T the estimator accepts (κ ∝ T stays below 10^15, where double-precision degrees stop being exact).
MAX_STEPS = 10**12

_BE_LABELS = {c.name: c.display for c in registry.ENCODINGS}


@dataclass(frozen=True)
class OdeProblem:
    """One quantum GD run: n surviving parameters, s nonzeros per row of F1, Carleman order N, T steps, precision ε.

    Optional: padding p (default T); q = ‖u_in‖/‖u(T)‖; s_w nonzero weights read out (default n); angle bits;
    a measured ``kappa`` or the bounds (``contraction`` μ with ``contraction_constant`` C: ‖M^k‖ ≤ C·μ^k;
    ``inverse_norm`` ≥ ‖L⁻¹‖; ``amplitude`` ≤ ‖Π_good L⁻¹B‖/‖B‖) with the names of the bounds used; ``s_M``
    (sparsity of M, e.g. ``diagnose(...).max_row_nnz_M``); ``max_entry`` ≥ max|M|; ``s_F2`` nonzeros per row of F2
    (default s²); ``nnz_F0`` (0: the loss is expanded at a stationary point); ``norm_u_in``, ``norm_F0``;
    ``nnz_F`` (stored entries of the f_tables_model); ``loading``, ``readout``, ``block_encoding``, ``solver``;
    ``max_extra_qubits`` caps SelectSwap's λ; ``delta_aa`` the amplification failure; ``instance`` (a
    :class:`pyqgd.estimate.validation.SolverInstance`) switches to the exact cost of that built instance.
    """

    n: int
    s: int
    N: int
    T: int
    epsilon: float
    p: int | None = None
    q: float = 1.0
    s_w: int | None = None
    angle_bits: int = 16
    kappa: float | None = None
    s_M: int | None = None
    max_entry: float = 1.0
    nnz_F: int | None = None
    loading: str = "qrom"
    qram_depth: int | None = None
    delta_aa: float = 0.1
    s_F2: int | None = None
    nnz_F0: int = 0
    norm_u_in: float = 1.0
    norm_F0: float = 0.0
    contraction: float | None = None
    contraction_constant: float = 1.0
    inverse_norm: float | None = None
    inverse_norm_method: str | None = None
    amplitude: float | None = None
    amplitude_method: str | None = None
    solution_norm: float | None = None
    block_encoding: str = "auto"
    solver: str = "auto"
    readout: str = "l2_sampling"
    max_extra_qubits: int | None = None
    instance: object = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        check_cost_sizes(self.n, self.s, self.N, self.T, self.epsilon, s_F2=self.s_F2,
                         block_encoding=self.block_encoding)  # before any work
        check_size(self.n, "n")
        check_size(self.s, "s")
        check_size(self.N, "N")
        check_size(self.T, "T")
        if self.T > MAX_STEPS:
            raise EstimateInputError(f"T = {self.T:.3g} exceeds {MAX_STEPS:.0e} steps: κ ∝ T would pass 10^15, where the "
                                     "degree and amplification counts lose precision; split training into segments "
                                     "(download/re-upload) of at most 10^12 steps")
        check_epsilon(self.epsilon)
        if self.p is not None:
            check_size(self.p, "p", minimum=0)
        check_real(self.q, "q", low=0.0, low_open=True)
        check_size(self.angle_bits, "angle_bits")
        check_real(self.max_entry, "max_entry", low=0.0, low_open=True)
        check_epsilon(self.delta_aa, "delta_aa")
        if self.s > self.n:
            raise EstimateInputError(f"sparsity s = {self.s} exceeds n = {self.n}")
        check_loading(self.loading)
        check_readout(self.readout)
        if self.block_encoding not in BLOCK_ENCODINGS:
            raise EstimateInputError(f"unknown block_encoding {self.block_encoding!r}; use one of {BLOCK_ENCODINGS}")
        if self.solver not in SOLVERS:
            raise EstimateInputError(f"unknown solver {self.solver!r}; use one of {SOLVERS}")
        if self.kappa is not None:
            check_real(self.kappa, "kappa", low=1.0, low_open=True)
        for name in ("s_w", "s_M", "nnz_F", "s_F2"):
            if getattr(self, name) is not None:
                check_size(getattr(self, name), name)
        check_size(self.nnz_F0, "nnz_F0", minimum=0)
        if self.nnz_F0 > self.n:
            raise EstimateInputError(f"nnz_F0 = {self.nnz_F0} exceeds n = {self.n}")
        check_real(self.norm_u_in, "norm_u_in", low=0.0, low_open=True)
        check_real(self.norm_F0, "norm_F0", low=0.0)
        if self.contraction is not None:
            check_real(self.contraction, "contraction", low=0.0)
        check_real(self.contraction_constant, "contraction_constant", low=1.0)
        if self.inverse_norm is not None:
            check_real(self.inverse_norm, "inverse_norm", low=1.0)
        if self.amplitude is not None:
            check_real(self.amplitude, "amplitude", low=0.0, low_open=True)
        if self.solution_norm is not None:
            check_real(self.solution_norm, "solution_norm", low=0.0, low_open=True)
        if self.max_extra_qubits is not None:
            check_size(self.max_extra_qubits, "max_extra_qubits", minimum=0)

    @classmethod
    def from_gd_problem(cls, problem, *, N: int = 2, epsilon: float = 1e-2, **overrides) -> "OdeProblem":
        """The sizes of a :class:`pyqgd.problem.GDProblem` (the typed hand-off of the model layers): n, T, s = the
        largest number of nonzeros in a row of F1, s_F2 the same for F2, nnz(F0), ‖F0‖ and ‖u_in‖ measured on its
        map; any field can be overridden by keyword (e.g. ``loading``, ``block_encoding``, ``T``)."""

        if not isinstance(problem, GDProblem):
            raise EstimateInputError(f"from_gd_problem takes a GDProblem, got {type(problem).__name__}")
        qm = problem.qmap
        rows = lambda A: int(np.diff(A.indptr).max()) if A is not None and A.nnz else 1  # noqa: E731
        F0 = np.zeros(qm.n) if qm.F0 is None else np.asarray(qm.F0)
        u = float(np.linalg.norm(problem.u_in))
        fields = dict(n=problem.n, s=max(1, rows(qm.F1)), N=N, T=problem.T, epsilon=epsilon,
                      s_F2=max(1, rows(qm.F2)), nnz_F0=int(np.count_nonzero(F0)), norm_F0=float(np.linalg.norm(F0)),
                      norm_u_in=u if u > 0 else 1.0)
        fields.update(overrides)
        return cls(**fields)


@dataclass(frozen=True)
class OdeCost:
    """Cost of one run of the solver, its parts, the derived parameters and which bounds/circuits they come from."""
    problem: OdeProblem
    total: lg.LogicalCost
    block_encoding: lg.LogicalCost
    state_preparation: lg.LogicalCost
    m_sys: int
    s_L: int
    kappa: float
    degree: int
    amplification_length: int
    success_probability: float
    table_entries: int
    block_encoding_calls: int
    alpha: float = 1.0
    inverse_norm: float = 1.0
    inverse_norm_method: str = ""
    amplitude: float = 1.0
    amplitude_method: str = ""
    block_encoding_name: str = "sparse"
    solver: str = "qsvt"
    built: bool = True
    label: str = ""
    exact_instance: bool = False

    def as_dict(self) -> dict:
        d = asdict(self)
        d["problem"] = {k: v for k, v in asdict(self.problem).items() if k != "instance"}
        return d


def carleman_sparsity(n: int, s: int, N: int, *, s_F2: int | None = None, nnz_F0: int = 0) -> int:
    """s_M: max row/column nonzeros of M (+ its diagonal) for the exact discrete map (module docstring; an upper
    bound, exact when no two Kronecker terms of a block share a position).

    Closed form of the module docstring's sums: block row j holds R_j = Σ_{k=1}^{N} [x^k] r(x)^j nonzeros with
    r(x) = r_0 + r_1 x + r_2 x², i.e. R_j = Σ_{i=0}^{j} C(j, i) r_2^i Σ_{l} C(j−i, l) r_1^l r_0^{j−i−l} over
    1 ≤ l + 2i ≤ N; column level k holds C_k = Σ_{j=1}^{N} [x^k] c(x)^j alike. Both are sums of O(N²) products
    of binomials, computed without expanding any polynomial beyond degree N (N ≤ 8 in practice)."""
    s2 = s * s if s_F2 is None else s_F2
    r0, r1, r2 = (1 if nnz_F0 else 0), s + 1, s2
    c0, c1, c2 = nnz_F0, s + 1, s

    def coefficient(a0, a1, a2, j, k):  # [x^k] (a0 + a1 x + a2 x²)^j, multinomial closed form
        return sum(math.comb(j, i) * math.comb(j - i, k - 2 * i) * a2**i * a1 ** (k - 2 * i) * a0 ** (j - k + i)
                   for i in range(max(0, k - j), k // 2 + 1))

    rows = max(sum(coefficient(r0, r1, r2, j, k) for k in range(1, min(N, 2 * j) + 1)) for j in range(1, N + 1))
    cols = max(sum(coefficient(c0, c1, c2, j, k) for j in range(1, N + 1)) for k in range(1, N + 1))
    return min(max(rows, cols), sum(n**j for j in range(1, N + 1)))


def polynomial_precision(epsilon: float, amplitude: float, inverse_norm: float) -> float:
    """ε_P = min(ε/2, ε·A/(2‖L⁻¹‖)) (module docstring); ε/2 when no amplitude bound is known (A = 0)."""
    if amplitude <= 0:
        return epsilon / 2
    return min(epsilon / 2, epsilon * amplitude / (2 * inverse_norm))


@lru_cache(maxsize=512)
def qsvt_scale_kappa(kappa: float, precision: float) -> float:
    """c·κ of :func:`pyqgd.quantum.inverse_polynomial` (|P| ≤ 0.9): exact for κ ≤ 300, else the κ = 300 value
    times 0.999 (cκ converges from above in κ; checked in the tests at κ = 10³)."""

    k = min(float(kappa), 300.0)
    c = inverse_polynomial(k, precision, max_degree=10**7).scale * k
    return c if kappa <= 300 else 0.999 * c


def success_probability_bound(amplitude: float, inverse_norm: float, epsilon: float, kappa: float) -> float:
    """λ ≥ (cκ·A(1 − ε/2)/‖L⁻¹‖)² (module docstring), capped at 1."""
    ck = qsvt_scale_kappa(float(kappa), polynomial_precision(epsilon, amplitude, inverse_norm))
    return min(1.0, (ck * amplitude * (1 - epsilon / 2) / inverse_norm) ** 2)


def _inverse_norm(pr: OdeProblem, p: int, alpha: float) -> tuple[float, str]:

    if pr.inverse_norm is not None:
        return float(pr.inverse_norm), pr.inverse_norm_method or "given bound"
    if pr.kappa is not None:
        return float(pr.kappa) / alpha, "measured κ"
    mu = 1.0 if pr.contraction is None else float(pr.contraction)
    C = float(pr.contraction_constant)
    value = inverse_norm_bound_growth(C, mu, pr.T, p)
    if not math.isfinite(value):
        raise EstimateInputError(f"‖M^k‖ ≤ {C:g}·{mu:g}^k grows exponentially: ‖L⁻¹‖ overflows at T = {pr.T}. The map "
                                 "is not dissipative; prune divergent directions or use shorter segments")
    if mu < 1:
        return value, "contraction"
    return value, ("worst case T+p+1" if mu == 1 and C == 1 else "norm growth")


def _amplitude(pr: OdeProblem, p: int) -> tuple[float, str]:
    if pr.amplitude is not None:
        return float(pr.amplitude), pr.amplitude_method or "given bound"
    r, a = pr.norm_u_in, pr.norm_F0
    B2 = sum(r ** (2 * j) for j in range(1, pr.N + 1)) + pr.T * sum(a ** (2 * j) for j in range(1, pr.N + 1))
    final = (1 - pr.epsilon) * r / pr.q
    return math.sqrt(p + 1) * final / math.sqrt(B2), "a-priori (q = ‖u_in‖/‖u(T)‖ assumed)"


@dataclass(frozen=True)
class _Encoding:
    cost: lg.LogicalCost
    alpha: float
    stored_entries: int
    num_ancillas: int | None = None


def _kronecker_block_encoding(pr: OdeProblem, mt: int) -> _Encoding:
    """One call of the Kronecker encoding (:func:`pyqgd.estimate.kronecker.kronecker_block_encoding_cost`): its cost
    (peak qubits with its ancillas and the system register), α_L and the stored records."""

    kc = kronecker_block_encoding_cost(pr.n, pr.s, pr.N, T=pr.T, p=pr.T if pr.p is None else pr.p, s_F2=pr.s_F2,
                                       nnz_F0=pr.nnz_F0, clock_qubits=mt, angle_bits=pr.angle_bits, loading=pr.loading,
                                       norm_F0=pr.norm_F0, max_extra_qubits=pr.max_extra_qubits)
    return _Encoding(kc.cost, float(kc.alpha), int(kc.stored_entries), kc.num_ancillas)


def _f_tables_block_encoding(pr: OdeProblem, m_sys: int, s_L: int, logn: int) -> tuple[lg.LogicalCost, int]:
    E = pr.n * (1 + pr.s + pr.s * pr.s) if pr.nnz_F is None else pr.nnz_F
    be = lg.sparse_block_encoding(m_sys, 1 << ceil_log2(s_L), pr.angle_bits, table_entries=E, loading=pr.loading,
                                  qram_depth=pr.qram_depth)
    arith = lg.LogicalCost(ccz_count=3 * 2 * ARITH_TOFFOLIS_PER_SLOT * pr.N * max(logn - 1, 1),
                           measurement_count=3 * 2 * ARITH_TOFFOLIS_PER_SLOT * pr.N * max(logn - 1, 1))
    return be.then(arith), E


def _exact(pr: OdeProblem) -> OdeCost:
    inst = pr.instance
    sc = cc.solver_circuit_from_qsharp(inst.data, inst.rhs, inst.phases, inst.alphas, inst.betas)
    m = sc.system_qubits
    return OdeCost(problem=pr, total=sc.total, block_encoding=sc.block_encoding, state_preparation=sc.rhs, m_sys=m,
                   s_L=inst.data["Sparsity"], kappa=float(inst.kappa), degree=sc.degree,
                   amplification_length=sc.amplification_length, success_probability=float(inst.lambda_min),
                   table_entries=5 * 4 ** inst.data["NumCarleman"], block_encoding_calls=sc.block_encoding_calls,
                   alpha=inst.data["Sparsity"] * inst.data["MaxAbs"], inverse_norm=float(inst.kappa) / (
                       inst.data["Sparsity"] * inst.data["MaxAbs"]), inverse_norm_method="instance (SVD)",
                   amplitude=float(inst.amplitude), amplitude_method=inst.amplitude_method, block_encoding_name="sparse",
                   solver="qsvt", built=True, label="built circuit, exact instance", exact_instance=True)


def ode_solver_cost(problem: OdeProblem, *, block_encoding: str | None = None, solver: str | None = None) -> OdeCost:
    """Logical cost of one run of the solver (module docstring); ``block_encoding``/``solver`` override the
    problem's choices. With ``problem.instance`` set, the exact cost of that built instance."""
    if not isinstance(problem, OdeProblem):
        raise InputTypeError(f"ode_solver_cost takes an OdeProblem (e.g. OdeProblem(n=7e6, s=8, N=2, T=1000, "
                             f"epsilon=1e-2) or OdeProblem.from_gd_problem(problem)), got {type(problem).__name__}")
    pr = problem
    if block_encoding is not None or solver is not None:
        pr = replace(pr, block_encoding=block_encoding or pr.block_encoding, solver=solver or pr.solver)
    if pr.block_encoding not in BLOCK_ENCODINGS:
        raise EstimateInputError(f"unknown block_encoding {pr.block_encoding!r}; use one of {BLOCK_ENCODINGS}")
    if pr.block_encoding == "auto":
        return _cheapest_built(pr)
    if pr.instance is not None:
        return _exact(pr)
    if pr.solver == "qsvt":
        return _qsvt_cost(pr)
    if pr.solver == "kernel":
        return _kernel_cost(pr)
    costs = [_qsvt_cost(replace(pr, solver="qsvt"))]
    try:
        costs.append(_kernel_cost(replace(pr, solver="kernel")))
    except EstimateInputError:
        pass
    return min(costs, key=lambda c: (not c.built, c.total.non_clifford_count))


@dataclass(frozen=True)
class _Circuit:
    """The registers and one block-encoding call of a solver run (everything but the solver's own loops)."""
    p: int
    mt: int
    ml: int
    m: int
    s_L: int
    be: lg.LogicalCost
    alpha: float
    entries: int
    ancillas: int
    qubits: int
    prep: lg.LogicalCost
    rhs: cc.RhsSpec


def _circuit(pr: OdeProblem, *, pad_block: bool = False) -> _Circuit:
    """Registers, encoding call, α, ancillas and peak qubits (its peak + lcu, sig) of the chosen encoding, and the
    |B⟩ preparation. ``pad_block``: the clock register also holds one value c* ≥ K (the kernel solve's pad)."""
    p = pr.T if pr.p is None else pr.p
    w = max(1, ceil_log2(pr.n))
    ml = ceil_log2(pr.N)
    mc = ml + pr.N * w
    mt = max(1, ceil_log2(pr.T + p + 1 + (1 if pad_block else 0)))
    m = mt + mc
    s_M = carleman_sparsity(pr.n, pr.s, pr.N, s_F2=pr.s_F2, nnz_F0=pr.nnz_F0) if pr.s_M is None else pr.s_M
    s_L = 1 + s_M
    max_abs = max(1.0, pr.max_entry)
    alpha = s_L * max_abs

    def lk(E, width, controls):
        return lookup_cost(pr.loading, E, width, controls, max_extra_qubits=pr.max_extra_qubits)

    anc = m + 1
    if pr.block_encoding == "sparse":
        be = cc.carleman_block_encoding(mt, mc, pr.angle_bits, s_L, idle=p > 0,
                                        max_abs=1.0 if max_abs == 1.0 else None, lookup_fn=lk)
        E = 5 * 4**mc
        extra_q = max(extra_qubits(pr.loading, 4**mc, mc, max_extra_qubits=pr.max_extra_qubits),
                      extra_qubits(pr.loading, 4**mc, pr.angle_bits, max_extra_qubits=pr.max_extra_qubits))
        qubits = cc.solver_qubits(mt, mc, pr.angle_bits) + extra_q
    elif pr.block_encoding == "kronecker":
        kb = _kronecker_block_encoding(pr, mt)
        be, alpha = kb.cost, float(kb.alpha)
        E = int(kb.stored_entries)
        anc = kb.num_ancillas or m + 1
        qubits = be.num_qubits + 2
    else:
        s_pad = 1 << ceil_log2(s_L)
        be, E = _f_tables_block_encoding(pr, m, s_pad, w)
        alpha = s_pad * max_abs
        extra_q = extra_qubits(pr.loading, E, max(m, pr.angle_bits), max_extra_qubits=pr.max_extra_qubits)
        qubits = be.qubits_allocated + 2 + extra_q
    nnz_u = pr.n if pr.s_w is None else pr.s_w
    initial = cc.TensorPowerSpec(values=None, num_values=max(2, 1 << ceil_log2(nnz_u)), swaps=0 if nnz_u >= pr.n else nnz_u)
    constant = None if pr.nnz_F0 == 0 else cc.TensorPowerSpec(
        values=None, num_values=max(2, 1 << ceil_log2(pr.nnz_F0)), swaps=0 if pr.nnz_F0 >= pr.n else pr.nnz_F0)
    rhs = cc.RhsSpec(clock=mt, level=ml, slot=w, slots=pr.N, clock_amplitudes=None, initial=initial, constant=constant)
    return _Circuit(p=p, mt=mt, ml=ml, m=m, s_L=s_L, be=be, alpha=float(alpha), entries=int(E), ancillas=anc,
                    qubits=qubits, prep=cc.history_rhs_preparation(rhs), rhs=rhs)


def _built(pr: OdeProblem) -> bool:
    """Whether the priced circuit is built in ``qsharp_src``: a built encoding whose lookups are built — QROM
    everywhere, and QROAM (``loading="selectswap"``) in the Kronecker encoding's dense tables."""
    return registry.built_combination(pr.block_encoding, pr.loading)


def _label(pr: OdeProblem, solver_label: str) -> str:
    return f"{_BE_LABELS[pr.block_encoding]}, {LOADING_LABELS[pr.loading]}, solver {solver_label}"


def _qsvt_cost(pr: OdeProblem) -> OdeCost:
    """The built QSVT solver (``CarlemanSolveWith``): |B⟩, real-part QSVT of degree d*(κ, ε_P), L fixed-point runs.
    Peak qubits: the encoding's, or the amplification's multi-controlled phase on all numAnc + m qubits
    (``ApplyPhaseOnAllZero``: 2c qubits with its c helpers, c = numAnc + m − 1) when that is larger."""

    c = _circuit(pr)
    inv, inv_method = _inverse_norm(pr, c.p, c.alpha)
    kappa = max(c.alpha * inv, 1.0 + 1e-9)
    amp, amp_method = _amplitude(pr, c.p)
    degree = optimal_inverse_degree(kappa, polynomial_precision(pr.epsilon, amp, inv))
    lam = success_probability_bound(amp, inv, pr.epsilon, kappa)
    if lam <= 0:
        raise EstimateInputError("the good-subspace amplitude bound is 0: no finite number of amplification rounds is "
                                 "guaranteed; pass an amplitude bound (pyqgd.carleman.carleman_bounds) or q")
    L = lg.fixed_point_length(lam, pr.delta_aa)
    inner = c.prep.then(cc.real_qsvt(c.be, c.ancillas, degree))
    rounds = (L - 1) // 2
    refl = (cc.final_window_phase(c.mt, c.ancillas + 2, c.ml).then(cc.controlled_r1(c.ancillas + c.m + 1, None))
            .repeat(rounds))
    total = inner.repeat(L).then(refl)
    qubits = max(c.qubits, all_zero_phase_peak(c.ancillas + 2 + c.m)) if rounds else c.qubits
    total = replace(total, num_qubits=qubits, qubits_allocated=max(qubits, total.qubits_allocated))
    built = _built(pr)
    return OdeCost(problem=pr, total=total, block_encoding=c.be, state_preparation=c.prep, m_sys=c.m, s_L=c.s_L,
                   kappa=float(kappa), degree=degree, amplification_length=L, success_probability=lam,
                   table_entries=c.entries, block_encoding_calls=degree * L, alpha=c.alpha, inverse_norm=float(inv),
                   inverse_norm_method=inv_method, amplitude=float(amp), amplitude_method=amp_method,
                   block_encoding_name=pr.block_encoding, solver="qsvt", built=built,
                   label=_label(pr, "qsvt (built)"))


def _solution_norm(pr: OdeProblem, p: int, inv: float) -> tuple[float, str]:
    """U ≥ ‖L⁻¹B‖/‖B‖: a given ``solution_norm``, else :func:`pyqgd.carleman.bounds.solution_norm_bound_growth`
    with the problem's growth bound (‖M^k‖ ≤ C·μ^k; ‖M‖ ≤ 1 by default) and B's structure; never above ‖L⁻¹‖."""

    if pr.solution_norm is not None:
        return min(float(pr.solution_norm), inv), "given bound"
    if pr.inverse_norm is not None or pr.kappa is not None:
        return inv, "‖L⁻¹‖ (no growth bound given)"
    r, a = pr.norm_u_in, pr.norm_F0
    rin = math.sqrt(sum(r ** (2 * j) for j in range(1, pr.N + 1)))
    rb = math.sqrt(sum(a ** (2 * j) for j in range(1, pr.N + 1)))
    mu = 1.0 if pr.contraction is None else float(pr.contraction)
    U = solution_norm_bound_growth(float(pr.contraction_constant), mu, pr.T, p, rin, rb) / math.sqrt(
        rin * rin + pr.T * rb * rb)
    return min(U, inv), "B's structure with ‖M^k‖ ≤ C·μ^k"


def _kernel_cost(pr: OdeProblem) -> OdeCost:
    """Kernel reflection on the history system (``Solvers.HistoryKernel``, built for the structured sparse and the
    Kronecker encodings; docs/math.md): the clock holds one pad value c* ≥ K, κ = α·max(‖L⁻¹‖, 1) (the pad block's
    singular value is 1/α), t = α·U (U ≥ ‖L⁻¹B‖/‖B‖, :func:`_solution_norm`), good amplitude ≥ A/U
    (:func:`pyqgd.estimate.solvers.history_kernel_calls`), cost :func:`pyqgd.estimate.solvers.history_kernel_circuit`
    with generic clock amplitudes for |b'⟩ and |e⟩."""

    if pr.block_encoding == "f_tables_model":
        raise EstimateInputError("the kernel solve is built for block_encoding 'sparse' or 'kronecker'")
    c = _circuit(pr, pad_block=True)
    inv, inv_method = _inverse_norm(pr, c.p, c.alpha)
    kappa = max(c.alpha * max(inv, 1.0), 1.0 + 1e-9)
    amp, amp_method = _amplitude(pr, c.p)
    U, u_method = _solution_norm(pr, c.p, inv)
    calls = sv.history_kernel_calls(kappa, pr.epsilon, min(amp / U, 1.0), delta=pr.delta_aa)
    total, _ = sv.history_kernel_circuit(c.be, c.ancillas, rhs_b=c.rhs, rhs_e=c.rhs, clock=c.mt, level=c.ml,
                                         system=c.m, steps=pr.T, blocks=pr.T + c.p + 1, degree=calls.degree,
                                         amplification_length=calls.amplification_length)
    qubits = sv.history_kernel_qubits(c.qubits - 2, c.ancillas, c.m, c.ml, calls.amplification_length > 1)
    total = replace(total, num_qubits=qubits, qubits_allocated=max(qubits, total.qubits_allocated))
    built = _built(pr)
    return OdeCost(problem=pr, total=total, block_encoding=c.be, state_preparation=c.prep, m_sys=c.m, s_L=c.s_L,
                   kappa=float(kappa), degree=calls.degree, amplification_length=calls.amplification_length,
                   success_probability=calls.success_lower_bound, table_entries=c.entries,
                   block_encoding_calls=calls.calls, alpha=c.alpha, inverse_norm=float(inv),
                   inverse_norm_method=f"{inv_method}; ‖L⁻¹B‖/‖B‖ ≤ {U:.4g} ({u_method})", amplitude=float(amp),
                   amplitude_method=amp_method, block_encoding_name=pr.block_encoding, solver="kernel", built=built,
                   label=_label(pr, "kernel reflection (built)" if built else "kernel reflection (model loading)"))


def _cheapest_built(pr: OdeProblem) -> OdeCost:
    """block_encoding="auto": the built encoding with fewer non-Clifford operations per run — the structured sparse
    oracles or the Kronecker encoding (with the problem's loading where it is built for it: QROM or QROAM) — so a
    default estimate is the cheapest circuit we build.
    An exact instance is the sparse one (the instance trace covers that circuit). Raises the first encoding's error
    when neither applies."""
    if pr.instance is not None:
        return _exact(replace(pr, block_encoding="sparse"))
    costs, errors = [], []
    for name in ("sparse", "kronecker"):
        try:
            costs.append(ode_solver_cost(replace(pr, block_encoding=name)))
        except EstimateInputError as exc:
            errors.append(exc)
    if not costs:
        raise errors[0]
    return min(costs, key=lambda c: (not c.built, c.total.non_clifford_count))
