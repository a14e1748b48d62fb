"""HHL on the block-encoding: phase estimation of the qubitized walk, simulated in Q# (the textbook baseline).

Harrow, Hassidim, Lloyd (PRL 103, 150502, 2009) with the walk of Low & Chuang (Quantum 3, 163, 2019) instead of
e^{iHt}: for a real symmetric H (M itself, or the dilation [[0, M], [Mᵀ, 0]] with right-hand side (b, 0) and
solution (0, x) otherwise) and its sparse-access block-encoding U (block H/α), ``Solvers/Hhl.qs`` builds the
Hermitian self-inverse U_H = |1⟩⟨0| ⊗ U + |0⟩⟨1| ⊗ U† and the walk W = −(2Π − I)U_H, whose eigenphases on the
subspace of |+, 0⟩|v_λ⟩ satisfy cos θ = −λ/α. Phase estimation with n qubits gives k ≈ θ·2^n/2π; the flag is
rotated by Ry(2 arcsin(C/λ̃)) with λ̃/α = −cos(2πk/2^n) and C = 1/κ (κ ≥ α/min|λ|, so C/λ̃ ≤ 1 on the spectrum), and
the estimation is uncomputed. Success: flag |1⟩, all other registers |0⟩; the system then holds ∝ C·α·H⁻¹b up to
the phase-estimation error. Calls: 2 per walk step (U and U†, controlled), 2(2^n − 1) walk steps each way, i.e.
4(2^n − 1) per run, counted by the Q# loops. Its query cost O(κ/ε) per run and success ~1/κ² make it the most
expensive solver here (``pyqgd.estimate.solvers.hhl_calls``); it is kept as the baseline, never chosen by the
estimator.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from pyqgd._checks import TooLargeError, check_positive_float, check_positive_int
from pyqgd.quantum._context import get_context
from pyqgd.quantum.oracles import DEFAULT_ANGLE_BITS, sparse_oracle_data
from pyqgd.quantum.solvers import QuantumSolveResult, normalized_solution, prepare_system, run_counted

__all__ = ["solve_hhl", "hhl_rotation_angles"]


def hhl_rotation_angles(num_phase: int, kappa: float) -> np.ndarray:
    """Ry angle of the flag for each phase estimate k = 0..2^n − 1: 2 arcsin(clip(C/λ̃, −1, 1)), λ̃/α = −cos(2πk/2^n),
    C = 1/κ (no rotation where λ̃ = 0)."""
    k = np.arange(2**num_phase)
    lam = -np.cos(2.0 * np.pi * k / 2**num_phase)
    with np.errstate(divide="ignore"):
        r = np.where(np.abs(lam) > 1e-12, np.clip((1.0 / kappa) / np.where(lam == 0, 1.0, lam), -1.0, 1.0), 0.0)
    return 2.0 * np.arcsin(r)


def solve_hhl(M, b, *, phase_qubits: int = 7, kappa: float | None = None, angle_bits: int = DEFAULT_ANGLE_BITS,
              max_qubits: int = 20) -> QuantumSolveResult:
    """Solve M x = b for |x⟩ with HHL on the block-encoding (module docstring), on the local Q# simulator.

    ``kappa`` bounds α/min|λ(H)| (default: from the eigenvalues, fine at simulator sizes). The same validation as
    :func:`pyqgd.quantum.solve_qsvt` runs first; TooLargeError when the circuit needs more than ``max_qubits``.
    """
    phase_qubits = check_positive_int(phase_qubits, "phase_qubits", minimum=2)
    data, bp, n = prepare_system(M, b, angle_bits=angle_bits)
    A = data.quantized_matrix()
    N = data.dim
    dilated = not np.allclose(A, A.T, atol=0.0)
    if dilated:
        H = np.block([[np.zeros((N, N)), A], [A.T, np.zeros((N, N))]])
        rhs = np.concatenate([bp, np.zeros(N)])
    else:
        H, rhs = A, bp
    mh = int(np.log2(len(H)))
    total = 1 + phase_qubits + 1 + (mh + 1) + mh
    if total > max_qubits:
        raise TooLargeError(f"HHL would simulate {total} qubits (flag, {phase_qubits} phase, walk qubit, {mh + 1} "
                            f"encoding ancillas, {mh} system) > {max_qubits}; use fewer phase qubits or a smaller system")
    dh = sparse_oracle_data(sp.csr_matrix(H), angle_bits=angle_bits)
    Hq = dh.quantized_matrix()
    lam = np.linalg.eigvalsh(0.5 * (Hq + Hq.T))
    if np.min(np.abs(lam)) <= 1e-14 * dh.alpha:
        raise ValueError("M is singular (an eigenvalue of H is ≈ 0): M x = b has no unique solution")
    kappa_be = dh.alpha / float(np.min(np.abs(lam)))
    if kappa is None:
        kappa = kappa_be * (1.0 + 1e-9)
    else:
        kappa = check_positive_float(kappa, "kappa")
        if kappa < kappa_be:
            raise ValueError(f"kappa = {kappa:g} is below α/min|λ| = {kappa_be:g}")
    angles = hhl_rotation_angles(phase_qubits, kappa)

    st, calls = run_counted(get_context().code.Solvers.Hhl.HhlSolve, dh.to_qsharp(), rhs.tolist(), phase_qubits,
                            angles.tolist(), num_qubits=total)
    off = 2 ** (total - 1)
    good = st[off : off + 2**mh]
    p = float(np.vdot(good, good).real)
    x = good[N : N + n] if dilated else good[:n]
    x = x / np.linalg.norm(x)
    ref = normalized_solution(sp.csr_matrix(A[:n, :n]), bp[:n])
    ideal = (dh.alpha / kappa) * np.linalg.solve(Hq, rhs)
    return QuantumSolveResult(
        method="hhl", state=np.real_if_close(x), classical=ref, fidelity=float(abs(np.vdot(ref, x)) ** 2),
        success_probability=p, amplified_success_probability=None, block_encoding_calls=int(calls), qubits=total,
        qubits_in_superposition=total, kappa=float(kappa), epsilon=float(2.0 * np.pi / 2**phase_qubits),
        alpha=float(dh.alpha), degree=None,
        details={"phase_qubits": phase_qubits, "dilated": dilated, "rotation_constant": 1.0 / kappa,
                 "ideal_success_probability": float(np.sum(ideal**2)), "kappa_block_encoding": kappa_be,
                 "walk_steps": 2 * (2**phase_qubits - 1)},
    )
