"""Logical cost of the T-step Carleman linear-ODE solver (the paper's algorithm, one output sample).

Structure (DESIGN.md §2, paper.md F4, F8–F11, F14): prepare the history-state right-hand side, block-encode the
T-step system matrix L = I − S⊗M (T + p + 1 time blocks, p idle padding steps) with *structured* sparse-access
oracles, invert it with real-part QSVT, and amplify the final-time, level-1 block with fixed-point amplification.

Model choices (stated; issue 4's circuit had not landed when this was written, so this composition is *not* traced
as a whole — its parts are the traced formulas of :mod:`pyqgd.estimate.logical`):

* registers (F14): m_sys = N·⌈log₂ n⌉ + ⌈log₂ N⌉ (tensor layout of Σ_j n^j) + ⌈log₂(T + p + 1)⌉ clock qubits;
* sparsity of L (F10): s_L = 1 + s_M with s_M = 3·N·s by default (block row j holds j slots each of F0, F1, F2 with
  ≤ s nonzeros per row), padded to a power of two; pass ``s_M`` from :func:`pyqgd.carleman.diagnose`
  (``max_row_nnz_M``) when known;
* structured oracles: the stored data is only F0, F1, F2 (E_F = nnz(F0) + nnz(F1) + nnz(F2) entries, default
  n·(1 + s + s²)); each oracle is the traced table-lookup oracle with E_F table entries (QROM, SelectSwap or QRAM)
  plus index arithmetic of ``ARITH_TOFFOLIS_PER_SLOT``·N·⌈log₂ n⌉ Toffolis (slot selection and offset adds with
  Gidney's adder, arXiv:1709.06648: ⌈log₂ n⌉ − 1 Toffolis per add, 4 adds per slot);
* κ of L relative to α = s_L·max|L| (F8, I): ‖L⁻¹‖ ≤ T + p + 1 for ‖M‖ ≤ 1, so κ ≤ s_L·max(1, max|M|)·(T + p + 1)
  unless a measured ``kappa`` is given; QSVT degree = ``optimal_inverse_degree(κ, ε)`` (issue 3);
* success probability: QSVT branch ≥ ((1 − ε)·0.9/κ)² (the polynomial is scaled to |P| ≤ 0.9, so c ≈ 0.9/κ; the
  bound used by ``solve_qsvt``), times the final-block level-1 share ≥ (p + 1)/(9(T + p + 1)·N·q²) (PNAS Lemma 5,
  F9) with q = ‖u_in‖/‖u(T)‖; fixed-point amplification length from YLC (:func:`fixed_point_length`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from pyqgd.estimate import logical as lg
from pyqgd.estimate.errors import EstimateInputError, check_epsilon, check_real, check_size

__all__ = ["OdeProblem", "OdeCost", "ode_solver_cost", "ARITH_TOFFOLIS_PER_SLOT"]

#: Toffolis of index arithmetic per tensor slot and per bit of ⌈log₂ n⌉ in one structured oracle call.
ARITH_TOFFOLIS_PER_SLOT = 4


def _bits(x: int) -> int:
    return (int(x) - 1).bit_length()


@dataclass(frozen=True)
class OdeProblem:
    """Sizes of one quantum GD run: n surviving parameters, s nonzeros per row/column of F1 (and F2's n×n² rows),
    Carleman order N, T steps, precision ε, padding p (default T), q = ‖u_in‖/‖u(T)‖, nonzero weights s_w
    (default n), angle bits b, optional measured κ and s_M, max|M| entry bound, data loading."""

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

    def __post_init__(self):
        check_size(self.n, "n")
        check_size(self.s, "s")
        check_size(self.N, "N")
        check_size(self.T, "T")
        check_epsilon(self.epsilon)
        if self.p is not None:
            check_size(self.p, "p", minimum=0)
        check_real(self.q, "q", low=0.0, low_open=True)
        check_size(self.angle_bits, "angle_bits")
        check_real(self.max_entry, "max_entry", low=0.0, low_open=True)
        check_epsilon(self.delta_aa, "delta_aa")
        if self.s > self.n:
            raise EstimateInputError(f"sparsity s = {self.s} exceeds n = {self.n}")
        if self.loading not in lg.LOADINGS:
            raise EstimateInputError(f"unknown loading {self.loading!r}; use one of {lg.LOADINGS}")
        if self.kappa is not None:
            check_real(self.kappa, "kappa", low=1.0, low_open=True)
        if self.s_w is not None:
            check_size(self.s_w, "s_w")
        if self.s_M is not None:
            check_size(self.s_M, "s_M")
        if self.nnz_F is not None:
            check_size(self.nnz_F, "nnz_F")


@dataclass(frozen=True)
class OdeCost:
    """Cost of one output sample of the solver, its parts, and the derived parameters."""

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

    def as_dict(self) -> dict:
        d = asdict(self)
        d["problem"] = asdict(self.problem)
        return d


def ode_solver_cost(problem: OdeProblem) -> OdeCost:
    """Logical cost of one run of the T-step Carleman solver (QSVT + fixed-point amplification), see module doc."""
    from pyqgd.quantum.polynomials import optimal_inverse_degree

    pr = problem
    p = pr.T if pr.p is None else pr.p
    logn = max(1, _bits(pr.n))
    m_sys = pr.N * logn + _bits(pr.N) + max(1, _bits(pr.T + p + 1))
    s_M = 3 * pr.N * pr.s if pr.s_M is None else pr.s_M
    s_L = 1 << _bits(1 + s_M)
    if s_L > 2**m_sys:
        s_L = 2**m_sys
    E = pr.n * (1 + pr.s + pr.s * pr.s) if pr.nnz_F is None else pr.nnz_F
    kappa = pr.kappa if pr.kappa is not None else s_L * max(1.0, pr.max_entry) * (pr.T + p + 1)
    degree = optimal_inverse_degree(kappa, pr.epsilon)
    be = lg.sparse_block_encoding(m_sys, s_L, pr.angle_bits, table_entries=E, loading=pr.loading, qram_depth=pr.qram_depth)
    arith = lg.LogicalCost(ccz_count=3 * 2 * ARITH_TOFFOLIS_PER_SLOT * pr.N * max(logn - 1, 1),
                           measurement_count=3 * 2 * ARITH_TOFFOLIS_PER_SLOT * pr.N * max(logn - 1, 1))
    be = be.then(arith)
    nnz_u = pr.n if pr.s_w is None else pr.s_w
    if pr.loading == "qram":
        prep = lg.qram_state_preparation(logn, nnz_u, pr.angle_bits, qram_depth=pr.qram_depth)
    else:
        prep = lg.sparse_state_preparation(logn, min(nnz_u, 2**logn))
    # history-state RHS (F11): the N tensor powers of |u_in> (one preparation per factor) and a level/clock superposition
    rhs = prep.repeat(pr.N).then(lg.dense_state_preparation(max(1, _bits(pr.N)))).with_qubits(m_sys - logn)
    inner = rhs.then(lg.qsvt_inversion(be, m_sys + 1, degree))
    lam_qsvt = ((1.0 - pr.epsilon) * 0.9 / kappa) ** 2
    share = (p + 1) / (9.0 * (pr.T + p + 1) * pr.N * pr.q**2)
    lam = min(1.0, lam_qsvt * min(1.0, share))
    L = lg.fixed_point_length(lam, pr.delta_aa)
    total = lg.fixed_point_amplification(inner, L, m_sys + 3, 2 * m_sys + 3)
    return OdeCost(problem=pr, total=total, block_encoding=be, state_preparation=rhs, m_sys=m_sys, s_L=s_L,
                   kappa=float(kappa), degree=degree, amplification_length=L, success_probability=lam,
                   table_entries=E, block_encoding_calls=degree * L)
