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
from pyqsp.sym_qsp_opt import newton_solver

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
    """⟨0|U_W(x)|0⟩ for Wx-convention phases, by explicit 2×2 matrix products (an independent reference),
    vectorized over x."""
    x = np.atleast_1d(np.asarray(x, dtype=float))
    s = np.sqrt(np.clip(1.0 - x * x, 0.0, None))
    W = np.empty(x.shape + (2, 2), dtype=complex)
    W[..., 0, 0], W[..., 0, 1], W[..., 1, 0], W[..., 1, 1] = x, 1j * s, 1j * s, x
    U = np.zeros(x.shape + (2, 2), dtype=complex)
    U[..., 0, 0], U[..., 1, 1] = np.exp(1j * phases[0]), np.exp(-1j * phases[0])
    for ph in phases[1:]:
        U = (U @ W) * np.array([np.exp(1j * ph), np.exp(-1j * ph)])  # right factor diag(e^{iφ}, e^{−iφ})
    return U[..., 0, 0]


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

    The symmetric-QSP Newton iteration of Dong–Lin–Ni–Wang 2023 (:func:`_sym_qsp_newton`, Jacobian O(d·d̃) per
    iteration); when it does not converge within ``maxiter`` steps, pyqsp 0.2.0's implementation of the same method
    (``pyqsp.sym_qsp_opt.newton_solver``, Jacobian O(d²)), its progress prints suppressed. The result is verified
    independently by :func:`wx_response` at 2d + 1 Chebyshev nodes; raises :class:`AngleFindingError` if the
    reconstruction error exceeds ``tol``.
    """
    coef = np.asarray(cheb_coef, dtype=float)
    odd = np.max(np.abs(coef[1::2])) if len(coef) > 1 else 0.0
    even = np.max(np.abs(coef[0::2]))
    if (odd > 1e-12) == (even > 1e-12):
        raise ValueError("the polynomial must be nonzero and of definite parity")
    parity = 1 if odd > 1e-12 else 0
    d = len(coef) - 1
    phases, err = _sym_qsp_newton(coef, d, min(tol, 1e-12), maxiter)
    if phases is None:  # not converged: pyqsp's solver (same method, slower Jacobian)
        with contextlib.redirect_stdout(io.StringIO()):
            _, err, _, proto = newton_solver(coef[parity::2], parity, crit=min(tol, 1e-12), maxiter=maxiter)
        phases = np.array(proto.full_phases, dtype=float)
    x = np.cos(np.pi * (np.arange(2 * d + 1) + 0.5) / (2 * d + 1))
    recon = np.max(np.abs(wx_response(phases, x).imag - np.polynomial.chebyshev.chebval(x, coef)))
    if not np.isfinite(recon) or recon > tol:
        raise AngleFindingError(
            f"sym_qsp Newton solver reached reconstruction error {recon:.2e} > {tol:.0e} at degree {d} "
            f"(solver residual {err:.2e}); the polynomial may exceed 1 in modulus or the degree is too high"
        )
    return phases


def _sym_qsp_newton(coef: np.ndarray, d: int, tol: float, maxiter: int) -> tuple[np.ndarray | None, float]:
    """Symmetric-QSP Newton iteration (Dong, Lin, Ni, Wang, arXiv:2307.12468, Alg. 1) with the Jacobian from prefix
    and suffix products over all nodes at once (O(d·d̃) per iteration): symmetric Wx phases φ_j = φ_{d−j} with
    Im⟨0|U_W(x_k)|0⟩ = P(x_k) at the d̃ = ⌈(d+1)/2⌉ positive Chebyshev nodes. (phases, residual), or (None, residual)
    when it does not converge within ``maxiter`` steps."""
    dt = (d + 2) // 2
    x = np.cos((2 * np.arange(1, dt + 1) - 1) * np.pi / (4 * dt))
    sx = np.sqrt(1.0 - x * x)
    f = np.polynomial.chebyshev.chebval(x, coef)
    red = np.zeros(dt)  # g(x, 0) = Im T_d(x) = 0: the starting point of DLNW's iteration
    err = np.inf
    for _ in range(maxiter):
        phi = np.concatenate([red, red[: d + 1 - dt][::-1]])
        e = np.exp(1j * phi)
        r = np.empty((d + 1, 2, dt), dtype=complex)  # <0| D_0 W ⋯ D_{j−1} W
        c = np.empty((d + 1, 2, dt), dtype=complex)  # W D_{j+1} ⋯ W D_d |0>
        r[0, 0], r[0, 1] = 1.0, 0.0
        for j in range(d):
            a, b = r[j, 0] * e[j], r[j, 1] / e[j]
            r[j + 1, 0], r[j + 1, 1] = a * x + 1j * b * sx, 1j * a * sx + b * x
        c[d, 0], c[d, 1] = 1.0, 0.0
        for j in range(d - 1, -1, -1):
            a, b = c[j + 1, 0] * e[j + 1], c[j + 1, 1] / e[j + 1]
            c[j, 0], c[j, 1] = x * a + 1j * sx * b, 1j * sx * a + x * b
        g = (r[d, 0] * e[d] * c[d, 0]).imag
        res = g - f
        err = float(np.max(np.abs(res)))
        if err < tol:
            return phi, err
        dU = (1j * (r[:, 0] * e[:, None] * c[:, 0] - r[:, 1] / e[:, None] * c[:, 1])).imag  # (d+1, nodes)
        J = dU[:dt].copy()
        J[: d + 1 - dt] += dU[dt:][::-1]
        try:
            red = red - np.linalg.solve(J.T, res)
        except np.linalg.LinAlgError:
            return None, err
    return None, err


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
