"""Quantum linear solvers on the local Q# simulator, checked against numpy: QSVT inversion (the kernel-reflection
QLSS is in :mod:`pyqgd.quantum.qlss`).

``solve_qsvt(M, b)`` prepares |b>, applies the real-part QSVT of the degree-optimal odd polynomial P ≈ c/x
(``polynomials.py``) to the sparse-access block-encoding of Mᵀ/α (``Adjoint`` of the block-encoding of M), so that
the success branch (all ancillas |0>) holds Re P^{(SV)}(Mᵀ/α)|b> ≈ c·α·M⁻¹|b> (GSLW 2019, Thm 41 / Cor. 69 with the
polynomial of this package), optionally followed by fixed-point amplitude amplification of that branch
(``amplification.py``). Everything is simulated; the returned state is read from a state dump, not sampled.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from pyqgd._checks import as_finite_vector, as_sparse_coefficient, check_positive_float
from pyqgd.quantum._context import get_context
from pyqgd.quantum.amplification import fixed_point_schedule
from pyqgd.quantum.oracles import DEFAULT_ANGLE_BITS, MAX_SYSTEM_QUBITS, _reject_complex, sparse_oracle_data
from pyqgd.quantum.polynomials import inverse_polynomial
from pyqgd.quantum.qsp import qsvt_angles

__all__ = ["simulated_result", "QuantumSolveResult", "prepare_system", "solve_qsvt", "normalized_solution", "DEFAULT_MAX_DEGREE",
           "run_counted", "run_with_amplification", "SimulatedRuns"]

#: Default cap on the QSVT degree in ``solve_qsvt`` (angle finding is O(d²) per Newton step in pyqsp, and every
#: degree is one block-encoding call in the simulator).
DEFAULT_MAX_DEGREE = 1500


@dataclass(frozen=True)
class QuantumSolveResult:
    """Outcome of one simulated quantum linear solve, beside numpy's answer.

    ``state`` is the normalized quantum output |x̃> (length n, the unpadded size); ``classical`` numpy's
    normalized solution; ``fidelity`` = |<x_classical|x̃>|². ``success_probability`` is that of the success flags
    before amplification, ``amplified_success_probability`` after it (None without amplification).
    ``block_encoding_calls`` counts uses of U or U†;
    ``qubits`` is the number of qubits the circuit allocates, ``qubits_in_superposition`` those not in a
    computational basis state (the simulator's real cost).
    """

    method: str
    state: np.ndarray
    classical: np.ndarray
    fidelity: float
    success_probability: float
    amplified_success_probability: float | None
    block_encoding_calls: int
    qubits: int
    qubits_in_superposition: int
    kappa: float
    epsilon: float
    alpha: float
    degree: int | None = None
    details: dict = field(default_factory=dict)


def normalized_solution(M, b) -> np.ndarray:
    """numpy's M⁻¹b / ‖M⁻¹b‖ (dense solve; the reference every quantum result is compared with)."""
    x = np.linalg.solve(np.asarray(M.toarray() if sp.issparse(M) else M, dtype=float), np.asarray(b, dtype=float))
    return x / np.linalg.norm(x)


@dataclass(frozen=True)
class SimulatedRuns:
    """What the simulated runs of a linear solve (:func:`run_with_amplification`) measured: the success branch of the
    last run's final state (all ancillas |0⟩), the success probability without amplification and with it (None
    without), and the block-encoding calls the Q# program counted in the last run."""

    good: np.ndarray
    success_probability: float
    amplified_success_probability: float | None
    calls: int


def simulated_result(method: str, runs: SimulatedRuns, M, b, n: int, data, qubits_in_superposition: int,
                     **fields) -> QuantumSolveResult:
    """The :class:`QuantumSolveResult` of a simulated solve of the n × n system M x = b on ``data``'s sparse-access
    encoding: the state x = first n amplitudes of ``runs.good``, normalized, beside numpy's normalized solution,
    fidelity |⟨x_classical|x⟩|², qubits allocated = those in superposition + the m system qubits' index copy + the
    angle register, α of the encoding; ``fields`` are the solver's own (κ, ε, degree, details)."""
    x = runs.good[:n] / np.linalg.norm(runs.good[:n])
    ref = normalized_solution(as_sparse_coefficient(M, "M"), as_finite_vector(b, "b", n))
    return QuantumSolveResult(method=method, state=x, classical=ref, fidelity=float(abs(np.vdot(ref, x)) ** 2),
                              success_probability=runs.success_probability,
                              amplified_success_probability=runs.amplified_success_probability,
                              block_encoding_calls=runs.calls,
                              qubits=qubits_in_superposition + data.num_system + data.angle_bits,
                              qubits_in_superposition=qubits_in_superposition, alpha=data.alpha, **fields)


def prepare_system(M, b, *, angle_bits: int = DEFAULT_ANGLE_BITS, max_system_qubits: int = MAX_SYSTEM_QUBITS):
    """Validate (M, b) and pad to 2^m: M ↦ blockdiag(M, max|M|·I), b ↦ (b, 0); the solution is unchanged.

    Returns (oracle data of the padded matrix, padded normalized b, n). All checks run before any Q#:
    TypeError (not real), ValueError (NaN/inf, not square, size mismatch, zero b, zero M), TooLargeError.
    """
    _reject_complex(M)
    a = as_sparse_coefficient(M, "M")
    n, n2 = a.shape
    if n != n2:
        raise ValueError(f"M must be square to solve M x = b, got shape {a.shape}")
    if np.iscomplexobj(b):
        raise TypeError("b must be real (the state preparation loads real amplitudes)")
    v = as_finite_vector(b, "b", n)
    nb = float(np.linalg.norm(v))
    if nb == 0.0:
        raise ValueError("b is the zero vector: |b> cannot be prepared (and x = 0 needs no solver)")
    if a.nnz == 0:
        raise ValueError("M is the zero matrix: the system is singular")
    # the size check first, on the original shape (before building the padded identity)
    sparse_oracle_data(sp.csr_matrix(([1.0], ([0], [0])), shape=a.shape), angle_bits=angle_bits,
                       max_system_qubits=max_system_qubits)
    m = max(1, int(np.ceil(np.log2(n))))
    N = 2**m
    if N > n:
        pad = float(np.max(np.abs(a.data))) * sp.identity(N - n, format="csr")
        a = sp.block_diag([a, pad], format="csr")
    data = sparse_oracle_data(a, angle_bits=angle_bits, max_system_qubits=max_system_qubits)
    bp = np.zeros(N)
    bp[:n] = v / nb
    return data, bp, n


def run_counted(callable_, *args, num_qubits: int) -> tuple[np.ndarray, int]:
    """Run a Q# operation that ends with a dump of ``num_qubits`` qubits and returns an Int (its counted calls);
    returns (the last dump as a dense vector, the Int)."""

    res = get_context().run(callable_, 1, *args, save_events=True)[0]
    dumps = [e.state_dump() for e in res["events"] if e.is_state_dump()]
    if not dumps:
        raise RuntimeError("the Q# operation produced no state dump")
    d = dumps[-1]
    if d.qubit_count != num_qubits:
        raise RuntimeError(f"expected a dump of {num_qubits} qubits, got {d.qubit_count}")
    v = np.zeros(2**num_qubits, dtype=complex)
    for k, a in d.get_dict().items():
        v[k] = complex(a)
    return v, int(res["result"])


def run_with_amplification(run, schedule, N: int) -> SimulatedRuns:
    """The simulated runs of a linear solve: ``run(None)`` without amplification and, when a fixed-point
    ``schedule`` is given, ``run(schedule)`` with it; ``run`` returns (the final state dump, the block-encoding calls
    the Q# program counted). The ancillas are the most significant qubits of the dump, so the success branch (all
    ancillas |0⟩) is its first ``N`` amplitudes."""
    state, calls = run(None)
    good = state[:N]
    p = float(np.vdot(good, good).real)
    p_amp = None
    if schedule is not None:
        state, calls = run(schedule)
        good = state[:N]
        p_amp = float(np.vdot(good, good).real)
    return SimulatedRuns(good=good, success_probability=p, amplified_success_probability=p_amp, calls=int(calls))


def encoded_kappa(data, kappa=None, floor: float = 1.0 + 1e-6) -> tuple[float, float]:
    """(κ, α/σ_min) for the matrix the oracle data encodes (its quantized entries): κ is the given ``kappa`` checked
    against α/σ_min, or α/σ_min itself (times 1 + 10⁻⁶) when ``kappa`` is None. ValueError for a singular matrix or a ``kappa``
    below α/σ_min (some singular values of M/α would fall outside the polynomial's domain [1/κ, 1])."""
    smin = float(np.linalg.svd(data.quantized_matrix(), compute_uv=False).min())
    if smin <= 1e-14 * data.alpha:
        raise ValueError("M is singular (smallest singular value ≈ 0): M x = b has no unique solution")
    kappa_be = data.alpha / smin
    if kappa is None:
        return max(kappa_be * (1.0 + 1e-6), floor), kappa_be
    kappa = check_positive_float(kappa, "kappa")
    if kappa < kappa_be:
        raise ValueError(f"kappa = {kappa:g} is below α/σ_min = {kappa_be:g}: some singular values of M/α fall outside "
                         "the polynomial's domain [1/κ, 1]; pass an upper bound on α/σ_min")
    return kappa, kappa_be


def solve_qsvt(M, b, *, epsilon: float = 0.01, kappa: float | None = None, amplify: bool = False, delta: float = 0.1,
               angle_bits: int = DEFAULT_ANGLE_BITS, max_degree: int = DEFAULT_MAX_DEGREE,
               max_system_qubits: int = MAX_SYSTEM_QUBITS) -> QuantumSolveResult:
    """Solve M x = b for |x> with QSVT matrix inversion on the local Q# simulator.

    ``kappa`` bounds α/σ_min(M) (α = s·max|M_ij|, the block-encoding normalization); by default it is computed from
    the SVD (fine at simulator sizes; a real run needs a bound). ``epsilon`` is the polynomial's relative error
    on [1/κ, 1], so the output state is ε-close to M⁻¹b/‖M⁻¹b‖. With ``amplify``, fixed-point amplitude
    amplification (YLC 2014) raises the success probability to ≥ 1 − δ², using the lower bound
    λ ≥ ((1 − ε)·c)² that holds because P(σ/α) ≥ (1 − ε)c·α/σ ≥ (1 − ε)c on the domain.
    Raises (before any Q# runs) the errors of :func:`prepare_system`, ValueError for a singular M or a ``kappa``
    below α/σ_min, and ``DegreeTooLargeError`` (a ValueError) when the degree would exceed ``max_degree``.
    """

    epsilon = check_positive_float(epsilon, "epsilon")
    data, bp, n = prepare_system(M, b, angle_bits=angle_bits, max_system_qubits=max_system_qubits)
    kappa, kappa_be = encoded_kappa(data, kappa)
    poly = inverse_polynomial(kappa, epsilon, max_degree=max_degree)
    angles = qsvt_angles(poly)
    sched = fixed_point_schedule(((1.0 - epsilon) * poly.scale) ** 2, delta) if amplify else None
    N = data.dim
    m = data.num_system
    n_qubits = 2 + (m + 1) + m
    code = get_context().code.Bridge

    def run(schedule):
        if schedule is None:
            return run_counted(code.QsvtSolve, data.to_qsharp(), angles.phases.tolist(), bp.tolist(), num_qubits=n_qubits)
        return run_counted(code.QsvtSolveAmplified, data.to_qsharp(), angles.phases.tolist(), bp.tolist(),
                           schedule.alphas.tolist(), schedule.betas.tolist(), num_qubits=n_qubits)

    runs = run_with_amplification(run, sched, N)
    return simulated_result(
        "qsvt", runs, M, b, n, data, n_qubits, kappa=float(kappa), epsilon=epsilon, degree=angles.degree,
        details={
            "polynomial_scale": poly.scale,
            "polynomial_relative_error": poly.relative_error(),
            "angle_reconstruction_error": angles.max_error,
            "kappa_block_encoding": kappa_be,
            "kappa_matrix": float(np.linalg.cond(data.quantized_matrix())),
            "sparsity": data.sparsity,
            "amplification_length": None if sched is None else sched.length,
            "amplification_width": None if sched is None else sched.width,
            "padding_leakage": float(np.linalg.norm(runs.good[n:]) ** 2 / max(np.vdot(runs.good, runs.good).real, 1e-300)),
        },
    )
