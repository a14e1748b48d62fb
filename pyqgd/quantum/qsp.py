"""QSP / QSVT phase angles for a real odd polynomial, in the reflection convention our Q# QSVT circuit uses.

Conventions (all checked numerically in ``tests/test_quantum_qsvt.py``):

* pyqsp's symmetric-QSP Newton solver (Dong, Lin, Ni, Wang, arXiv:2307.12468; pyqsp 0.2.0 ``sym_qsp``) returns
  phases φ₀..φ_d in the **Wx** convention, U_W(x) = e^{iφ₀Z} W(x) e^{iφ₁Z} ⋯ W(x) e^{iφ_dZ} with
  W(x) = [[x, i√(1−x²)], [i√(1−x²), x]], and Im⟨0|U_W(x)|0⟩ = P(x).
* A block-encoding acts on each of its Jordan 2-planes as the reflection R(x) = [[x, √(1−x²)], [√(1−x²), −x]],
  and the projector-controlled phase e^{iψ(2Π−I)} as e^{iψZ} (GSLW 2019, Thm 17 and Lemma 10). Since
  W(x) = i·e^{−iπ/4 Z} R(x) e^{−iπ/4 Z}, the **reflection** phases
  ψ₀ = φ₀ − π/4 + (d−1)π/2,  ψ_j = φ_j − π/2 (0 < j < d),  ψ_d = φ_d − π/4
  give U_R(x) = e^{iψ₀Z} R(x) e^{iψ₁Z} ⋯ R(x) e^{iψ_dZ} with Re⟨0|U_R(x)|0⟩ = P(x) exactly.
* The Q# circuit applies ψ_d first (rightmost factor) and takes the real part by averaging the sequences with
  ψ and −ψ (one extra qubit; GSLW Cor. 18), which is exact because negating every phase conjugates the
  polynomial's coefficients.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass

import numpy as np

from pyqgd.quantum.polynomials import InversePolynomial

__all__ = [
    "AngleFindingError",
    "QsvtAngles",
    "qsvt_angles",
    "wx_phases",
    "wx_to_reflection",
    "reflection_response",
    "wx_response",
]


class AngleFindingError(ValueError):
    """The QSP angle finder did not reach the requested accuracy."""


def wx_response(phases: np.ndarray, x) -> np.ndarray:
    """⟨0|U_W(x)|0⟩ for Wx-convention phases, by explicit 2×2 products (an independent reference)."""
    x = np.atleast_1d(np.asarray(x, dtype=float))
    out = np.empty(x.shape, dtype=complex)
    for i, xi in enumerate(x):
        s = np.sqrt(max(0.0, 1.0 - xi * xi))
        W = np.array([[xi, 1j * s], [1j * s, xi]])
        U = np.diag([np.exp(1j * phases[0]), np.exp(-1j * phases[0])])
        for ph in phases[1:]:
            U = U @ W @ np.diag([np.exp(1j * ph), np.exp(-1j * ph)])
        out[i] = U[0, 0]
    return out


def reflection_response(phases: np.ndarray, x) -> np.ndarray:
    """⟨0|U_R(x)|0⟩ for reflection-convention phases, vectorized over x (2×2 products per point)."""
    x = np.atleast_1d(np.asarray(x, dtype=float))
    s = np.sqrt(np.clip(1.0 - x * x, 0.0, None))
    # row vector <0| U_R, propagated left to right: v <- v e^{iψZ}, v <- v R
    a = np.full(x.shape, np.exp(1j * phases[0]), dtype=complex)  # component on |0>
    b = np.zeros(x.shape, dtype=complex)                          # component on |1>
    for ph in phases[1:]:
        a, b = a * x + b * s, a * s - b * x
        a, b = a * np.exp(1j * ph), b * np.exp(-1j * ph)
    return a


def wx_to_reflection(phi: np.ndarray) -> np.ndarray:
    """Map Wx phases (Im⟨0|U_W|0⟩ = P) to reflection phases (Re⟨0|U_R|0⟩ = P); see the module docstring."""
    phi = np.asarray(phi, dtype=float)
    d = len(phi) - 1
    if d < 1:
        raise ValueError("need at least two phases (degree ≥ 1)")
    psi = phi - np.pi / 2
    psi[0] = phi[0] - np.pi / 4 + (d - 1) * np.pi / 2
    psi[-1] = phi[-1] - np.pi / 4
    return psi


def wx_phases(cheb_coef: np.ndarray, *, tol: float = 1e-10, maxiter: int = 100) -> np.ndarray:
    """Wx-convention QSP phases for a real polynomial of definite parity given by Chebyshev coefficients.

    Uses pyqsp 0.2.0's symmetric-QSP Newton solver (``pyqsp.sym_qsp_opt.newton_solver``, the method of
    Dong–Lin–Ni–Wang 2023, whose Jacobian is O(d²) per iteration); its progress prints are suppressed. The result
    is verified independently by :func:`wx_response` at 2d Chebyshev nodes; raises :class:`AngleFindingError`
    if the reconstruction error exceeds ``tol``.
    """
    from pyqsp.sym_qsp_opt import newton_solver

    coef = np.asarray(cheb_coef, dtype=float)
    odd = np.max(np.abs(coef[1::2])) if len(coef) > 1 else 0.0
    even = np.max(np.abs(coef[0::2]))
    if (odd > 1e-12) == (even > 1e-12):
        raise ValueError("the polynomial must be nonzero and of definite parity")
    parity = 1 if odd > 1e-12 else 0
    with contextlib.redirect_stdout(io.StringIO()):
        _, err, _, proto = newton_solver(coef[parity::2], parity, crit=min(tol, 1e-12), maxiter=maxiter)
    phases = np.array(proto.full_phases, dtype=float)
    d = len(coef) - 1
    x = np.cos(np.pi * (np.arange(2 * d + 1) + 0.5) / (2 * d + 1))
    recon = np.max(np.abs(wx_response(phases, x).imag - np.polynomial.chebyshev.chebval(x, coef)))
    if not np.isfinite(recon) or recon > tol:
        raise AngleFindingError(
            f"sym_qsp Newton solver reached reconstruction error {recon:.2e} > {tol:.0e} at degree {d} "
            f"(solver residual {err:.2e}); the polynomial may exceed 1 in modulus or the degree is too high"
        )
    return phases


@dataclass(frozen=True)
class QsvtAngles:
    """Reflection-convention QSVT phases (length degree+1) implementing Re P(x) = ``poly``(x), and their check."""

    poly: InversePolynomial
    phases: np.ndarray
    max_error: float  # max over a grid of [−1, 1] of |Re⟨0|U_R(x)|0⟩ − P(x)|

    @property
    def degree(self) -> int:
        return len(self.phases) - 1


def qsvt_angles(poly: InversePolynomial, *, tol: float = 1e-10) -> QsvtAngles:
    """Phases for the QSVT inversion circuit from an :class:`InversePolynomial`, checked on a 4001-point grid."""
    phi = wx_phases(poly.coef, tol=tol)
    psi = wx_to_reflection(phi)
    x = np.linspace(-1.0, 1.0, 4001)
    err = float(np.max(np.abs(reflection_response(psi, x).real - poly(x))))
    if err > max(10 * tol, 1e-9):
        raise AngleFindingError(f"reflection-phase response differs from the polynomial by {err:.2e}")
    return QsvtAngles(poly=poly, phases=psi, max_error=err)
