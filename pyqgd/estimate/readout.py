"""Read-out ("download") of the trained weights u(T) from the solver's output state: how many solver runs it takes.

One *run* is one full solver circuit (QSVT + fixed-point amplification, L inner calls). Each option prices the
d = s_w amplitudes to ℓ2 error δ, their **signs**, and the **norm** ‖u(T)‖ (the state is normalised; the norm is read
from the success probability, λ = (c·α·‖Π_good L⁻¹B‖/‖B‖)² with everything but ‖u(T)‖ known):

* ``l2_sampling`` — vector-state tomography by sampling (Kerenidis, Prakash, "A quantum interior point method for LPs
  and SDPs", ACM TQC 1, 5, 2020, Thm 4.3 / Alg. 4.1): N = ⌈36·d·ln d/δ²⌉ runs of the computational-basis
  measurement, and N more runs of the state interfered with a known reference to fix the signs (their constant
  36 covers both stages; we count 2N runs). Norm: amplitude estimation of √λ to relative δ (Brassard, Høyer, Mosca,
  Tapp 2002, Thm 12: M ≥ 2π/(δ·√λ)·… inner calls), i.e. ⌈2π/(δ·√λ)⌉ inner calls ≈ that many / L runs.
* ``heisenberg`` — tomography with coherent access to the state-preparation unitary and its inverse (van Apeldoorn,
  Cornelissen, Gilyén, Nannicini, "Quantum tomography using state-preparation unitaries", SODA 2023, Thm 1.1 and
  §4: Θ̃(d/δ) uses for ℓ2 error δ, signs included since the amplitudes are estimated with their phases): we count
  ⌈d·ln(d)/δ⌉ uses (the source gives the order; the constant is taken as 1 and stated here), each a run of the
  controlled solver (the control is charged as one more run per use: 2 runs per use). Norm as above.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pyqgd.estimate.errors import EstimateInputError, check_epsilon, check_size

__all__ = ["READOUTS", "READOUT_LABELS", "ReadoutCost", "readout_cost", "check_readout"]

#: Valid read-out names (the CLI reads its choices from here).
READOUTS = ("l2_sampling", "heisenberg")

READOUT_LABELS = {
    "l2_sampling": "ℓ2 sampling tomography, 72·d·ln d/δ² runs (Kerenidis–Prakash 2020, signs included)",
    "heisenberg": "Heisenberg-limited tomography, 2·d·ln d/δ runs (van Apeldoorn et al. SODA 2023, constant 1)",
}


def check_readout(readout: str) -> str:
    if readout not in READOUTS:
        raise EstimateInputError(f"unknown read-out {readout!r}; use one of {', '.join(READOUTS)}")
    return readout


@dataclass(frozen=True)
class ReadoutCost:
    """Runs of the solver for the amplitudes (with signs) and for the norm; ``runs`` is their sum."""

    readout: str
    amplitude_runs: int
    sign_runs: int
    norm_runs: int
    label: str

    @property
    def runs(self) -> int:
        return self.amplitude_runs + self.sign_runs + self.norm_runs


def readout_cost(readout: str, d: int, tomography_precision: float, *, success_probability: float = 1.0,
                 amplification_length: int = 1) -> ReadoutCost:
    """Solver runs to read out d weights to ℓ2 error δ = ``tomography_precision`` with signs and norm (module
    docstring).

    ``success_probability`` λ (before amplification) and ``amplification_length`` L set the norm's amplitude
    estimation: ⌈2π/(δ√λ)⌉ inner calls, counted as ⌈that/L⌉ runs.
    """
    check_readout(readout)
    d = check_size(d, "d (weights read out)")
    delta = check_epsilon(tomography_precision, "tomography_precision")
    if not 0 < success_probability <= 1:
        raise EstimateInputError(f"success_probability must be in (0, 1], got {success_probability}")
    L = check_size(amplification_length, "amplification_length")
    ln = math.log(max(d, 2))
    norm = math.ceil(math.ceil(2 * math.pi / (delta * math.sqrt(success_probability))) / L)
    if readout == "l2_sampling":
        n = math.ceil(36 * d * ln / delta**2)
        return ReadoutCost(readout, n, n, norm, READOUT_LABELS[readout])
    uses = math.ceil(d * ln / delta)
    return ReadoutCost(readout, uses, uses, norm, READOUT_LABELS[readout])
