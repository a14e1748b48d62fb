"""HHL (Harrow–Hassidim–Lloyd 2009) on the local Q# simulator, the textbook baseline beside QSVT inversion.

H = M for symmetric M, else the Hermitian dilation H = [[0, M], [Mᵀ, 0]] with right-hand side (b, 0) and solution
(0, x). Phase estimation uses e^{2πiHt}, t = (1/2 − 2^{−n})/max|λ|, with n phase qubits read as two's complement,
and C = min|λ| in the rotation arcsin(C/λ̃). The Hamiltonian-simulation oracle is exact: the circuit runs in H's
eigenbasis (``Solvers/Hhl.qs``) and the eigenvector rotations Vᵀ (before) and V (after) are applied to the state
vectors in numpy — the same output state as with a controlled e^{iHt} black box, whose calls are what ``cost``
counts. The fidelity therefore measures HHL's own errors: eigenvalue discretization and the uncomputation of
imperfect phase estimation.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from pyqgd._checks import TooLargeError, check_positive_int
from pyqgd.quantum.solvers import QuantumSolveResult, normalized_solution, prepare_system

__all__ = ["solve_hhl"]


def solve_hhl(M, b, *, phase_qubits: int = 7, max_qubits: int = 20) -> QuantumSolveResult:
    """Solve M x = b for |x> with HHL; the same validation as :func:`pyqgd.quantum.solve_qsvt` runs first."""
    from pyqgd.quantum._context import get_context, run_and_dump

    phase_qubits = check_positive_int(phase_qubits, "phase_qubits", minimum=2)
    data, bp, n = prepare_system(M, b)
    A = data.matrix.toarray()
    N = data.dim
    if np.allclose(A, A.T, atol=0.0):
        H, rhs, dilated = A, bp, False
    else:
        H = np.block([[np.zeros((N, N)), A], [A.T, np.zeros((N, N))]])
        rhs, dilated = np.concatenate([bp, np.zeros(N)]), True
    m = int(np.log2(len(H)))
    total = 1 + phase_qubits + m
    if total > max_qubits:
        raise TooLargeError(f"HHL would simulate {total} qubits (1 flag + {phase_qubits} phase + {m} system) > {max_qubits}")
    lam, V = np.linalg.eigh(H)
    if np.min(np.abs(lam)) <= 1e-14 * np.max(np.abs(lam)):
        raise ValueError("M is singular (an eigenvalue of H is ≈ 0): M x = b has no unique solution")
    t = (0.5 - 2.0**-phase_qubits) / np.max(np.abs(lam))
    c = float(np.min(np.abs(lam)))
    b_eig = V.T @ rhs
    ctx = get_context()
    st, _ = run_and_dump(ctx.code.Solvers.Hhl.HhlSolveEigenbasis, (lam * t).tolist(), b_eig.tolist(), phase_qubits,
                         c, float(t), num_qubits=total)
    # layout [flag, phase (n), sys (m)] big-endian: success = flag 1, phase 0
    good_eig = st[2 ** (phase_qubits + m) : 2 ** (phase_qubits + m) + 2**m]
    p = float(np.vdot(good_eig, good_eig).real)
    out = V @ good_eig
    x = out[N : N + n] if dilated else out[:n]
    x = x / np.linalg.norm(x)
    ref = normalized_solution(sp.csr_matrix(A[:n, :n]), bp[:n])
    calls = 2 * (2**phase_qubits - 1)
    kappa = float(np.max(np.abs(lam)) / np.min(np.abs(lam)))
    return QuantumSolveResult(
        method="hhl",
        state=x,
        classical=ref,
        fidelity=float(abs(np.vdot(ref, x)) ** 2),
        success_probability=p,
        amplified_success_probability=None,
        block_encoding_calls=calls,
        qubits=total,
        qubits_in_superposition=total,
        kappa=kappa,
        epsilon=float(2.0**-phase_qubits),
        alpha=float(np.max(np.abs(lam))),
        degree=None,
        details={
            "oracle": "controlled exp(2*pi*i*H*t), exact (eigenbasis)",
            "controlled_hamiltonian_simulation_calls": calls,
            "total_evolution_time": float(calls * t),
            "t": float(t),
            "phase_qubits": phase_qubits,
            "dilated": dilated,
            "rotation_constant": c,
            "leakage_outside_solution_block": float(np.linalg.norm(out[:N] if dilated else out[n:]) ** 2 / max(p, 1e-300)),
        },
    )
