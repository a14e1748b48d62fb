"""The package's private Q# interpreter and the state/unitary read-back helpers.

The Q# project ``qsharp_src/`` is loaded once into a private ``qdk.Context`` (never the global ``qdk.init``), so a
user's own Q# session is left alone. Dumps are big-endian in the order the qubits are listed (qubit 0 is the most significant bit; the Q# library's arithmetic is little-endian).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import qdk

__all__ = ["qsharp_project_root", "get_context", "run_and_dump", "choi_to_unitary", "columns_from_dump"]


def qsharp_project_root() -> Path:
    """``<repo>/qsharp_src``, resolved relative to the installed (editable) package."""
    return Path(__file__).resolve().parents[2] / "qsharp_src"


@functools.lru_cache(maxsize=1)
def get_context():
    """The private ``qdk.Context`` with the pyqgd Q# project loaded (compiled once per process)."""
    root = qsharp_project_root()
    if not (root / "qsharp.json").exists():
        raise FileNotFoundError(f"the Q# project was not found at {root} (expected qsharp.json there)")
    return qdk.Context(project_root=str(root))


def run_and_dump(callable_, *args, num_qubits: int) -> tuple[np.ndarray, list]:
    """Run a Q# operation once; return the dense vector of its LAST state dump (2^num_qubits entries) and all dumps.

    The Q# side must end with ``DumpRegister`` of exactly ``num_qubits`` qubits.
    """
    ctx = get_context()
    res = ctx.run(callable_, 1, *args, save_events=True)[0]
    dumps = [e.state_dump() for e in res["events"] if e.is_state_dump()]
    if not dumps:
        raise RuntimeError("the Q# operation produced no state dump")
    vecs = []
    for d in dumps:
        v = np.zeros(2**d.qubit_count if d.qubit_count else 1, dtype=complex)
        for k, a in d.get_dict().items():
            v[k] = complex(a)
        vecs.append(v)
    if len(vecs[-1]) != 2**num_qubits:
        raise RuntimeError(f"expected a dump of {num_qubits} qubits, got {len(vecs[-1])} amplitudes")
    return vecs[-1], vecs


def choi_to_unitary(state: np.ndarray, n: int) -> np.ndarray:
    """U from the dump of (U ⊗ I) Σ_j |j>|j>/√N: U[i, j] = √N · state[i·N + j]."""
    N = 2**n
    return np.sqrt(N) * state.reshape(N, N)


def columns_from_dump(state: np.ndarray, num_anc: int, num_sys: int) -> np.ndarray:
    """U[:, :2^num_sys] (ancillas first, |0> on input) from the DumpBlockColumns state."""
    Ns = 2**num_sys
    return np.sqrt(Ns) * state.reshape(2 ** (num_anc + num_sys), Ns)
