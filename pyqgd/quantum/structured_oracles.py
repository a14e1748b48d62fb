"""Structured sparse-access oracles of the T-step Carleman matrix L and the history-state right-hand side |B⟩.

**Register layout** (docs/math.md §14). The system register is clock ⊗ Carleman, both big-endian:

* clock: m_t = ⌈log2 K⌉ qubits, K = T + 1 + p time blocks (values t ≥ K are padding rows with L = I, B = 0);
* Carleman: level (m_l = ⌈log2 N⌉ qubits, value j − 1) ⊗ N tensor slots of w = ⌈log2 n⌉ qubits each. The level-j
  coordinate (i_1, …, i_j) of ŷ (row-major Kronecker index Σ i_k n^{j−k}) sits at |j−1⟩|i_1⟩…|i_j⟩|0⟩…|0⟩.
  Every other Carleman index is padding: M' (M embedded in this layout) has zero rows and columns there, so
  L = I ⊗ I − S_M ⊗ M' − S_idle ⊗ I restricted to padding coordinates is the identity on the padded Carleman
  coordinates of the first time block and a copy chain afterwards, with zero right-hand side: the solution is exactly
  zero (and real) there. m = m_t + m_l + N·w system qubits.

**Oracles** (``qsharp_src/src/Carleman/StructuredOracles.qs``). The clock part — the identity diagonal, the lower
shift, which steps apply M (1 ≤ t ≤ T) and which are idle copies (T < t < K) — is reversible arithmetic on the clock
register; the only stored data are the sparse-access tables of M' on the m_c-qubit Carleman register (index tables of
the pattern of M' plus its diagonal, angles of −M'/max|L|): 4^{m_c} entries, independent of T and p, where the
explicit-data oracles of ``pyqgd.quantum.oracles`` store 4^m entries of L. The sparsity of the encoding is
s = 1 + s_M (s_M counts the diagonal, needed by the idle steps) and α = s·max(1, max|M|).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from pyqgd._bits import ceil_log2
from pyqgd.carleman import CarlemanSystem, lift, tstep_rhs
from pyqgd.quantum.oracles import DEFAULT_ANGLE_BITS, OracleTables, _index_tables

__all__ = ["CarlemanLayout", "carleman_layout", "padded_tstep_matrix", "CarlemanOracleData", "carleman_oracle_data",
           "history_rhs", "HistoryRhsData"]


@dataclass(frozen=True)
class CarlemanLayout:
    """Register sizes of the history-state system (module docstring) and the map packed index → padded index."""
    n: int
    N: int
    T: int
    p: int
    clock_qubits: int
    level_qubits: int
    slot_qubits: int

    @property
    def blocks(self) -> int:
        """K = T + 1 + p."""
        return self.T + 1 + self.p

    @property
    def carleman_qubits(self) -> int:
        return self.level_qubits + self.N * self.slot_qubits

    @property
    def system_qubits(self) -> int:
        return self.clock_qubits + self.carleman_qubits

    def carleman_index(self) -> np.ndarray:
        """Padded index of each packed Carleman coordinate (length Σ_j n^j)."""
        w, N, n = self.slot_qubits, self.N, self.n
        out = []
        for j in range(1, N + 1):
            digits = np.indices((n,) * j).reshape(j, -1)  # row-major: digit k is i_{k+1}
            idx = np.full(digits.shape[1], (j - 1) << (N * w), dtype=np.int64)
            for k in range(j):
                idx |= digits[k].astype(np.int64) << ((N - 1 - k) * w)
            out.append(idx)
        return np.concatenate(out)

    def history_index(self) -> np.ndarray:
        """Padded index of each coordinate of Y (length K·D, the order of ``tstep_matrix``)."""
        c = self.carleman_index()
        t = np.arange(self.blocks, dtype=np.int64)
        return ((t[:, None] << self.carleman_qubits) + c[None, :]).ravel()

    def qubits(self) -> dict:
        return {"clock": self.clock_qubits, "level": self.level_qubits, "slots": self.N * self.slot_qubits,
                "slot_width": self.slot_qubits, "carleman": self.carleman_qubits, "system": self.system_qubits}


def carleman_layout(system: CarlemanSystem, T: int, p: int) -> CarlemanLayout:
    """The layout of the module docstring for this system, T steps and p idle padding steps."""
    return CarlemanLayout(n=system.n, N=system.N, T=int(T), p=int(p), clock_qubits=max(1, ceil_log2(T + 1 + p)),
                          level_qubits=ceil_log2(system.N), slot_qubits=max(1, ceil_log2(system.n)))


def _embedded_M(system: CarlemanSystem, layout: CarlemanLayout) -> sp.csr_matrix:
    idx = layout.carleman_index()
    Mc = system.M.tocoo()
    Dc = 2**layout.carleman_qubits
    return sp.csr_matrix((Mc.data, (idx[Mc.row], idx[Mc.col])), shape=(Dc, Dc))


def padded_tstep_matrix(system: CarlemanSystem, T: int, p: int) -> sp.csr_matrix:
    """L = I ⊗ I − S_M ⊗ M' − S_idle ⊗ I on the padded 2^m layout (docs/math.md Eq. (4) with the padding of the module docstring)."""
    lay = carleman_layout(system, T, p)
    Kp, Dc = 2**lay.clock_qubits, 2**lay.carleman_qubits
    K = lay.blocks
    SM = sp.csr_matrix((np.ones(T), (np.arange(1, T + 1), np.arange(0, T))), shape=(Kp, Kp))
    SI = sp.csr_matrix((np.ones(K - 1 - T), (np.arange(T + 1, K), np.arange(T, K - 1))), shape=(Kp, Kp))
    L = sp.identity(Kp * Dc, format="csr") - sp.kron(SM, _embedded_M(system, lay)) - sp.kron(SI, sp.identity(Dc))
    L = sp.csr_matrix(L)
    L.eliminate_zeros()
    L.sort_indices()
    return L


@dataclass(frozen=True)
class CarlemanOracleData(OracleTables):
    """The data of ``Carleman.StructuredOracles.CarlemanOracleData`` (module docstring) plus what numpy needs."""
    layout: CarlemanLayout
    sparsity: int
    max_abs: float
    angle_bits: int
    M_embedded: sp.csr_matrix

    @property
    def num_system(self) -> int:
        return self.layout.system_qubits

    @property
    def alpha(self) -> float:
        """α = s·max|L_ij| of the sparse-access block-encoding."""
        return self.sparsity * self.max_abs

    @property
    def stored_entries(self) -> int:
        """Table entries stored (five tables of 4^{m_c}); the explicit oracles of L store five of 4^m."""
        return 5 * 4**self.layout.carleman_qubits

    def quantized_matrix(self) -> np.ndarray:
        """The dense padded L the circuit encodes: M entries rounded through their b-bit angles, the rest exact."""
        lay = self.layout
        Dc, Kp = 2**lay.carleman_qubits, 2**lay.clock_qubits
        x = self.angle_table.reshape(Dc, Dc).T.astype(float) / 2.0**self.angle_bits
        Mq = -self.max_abs * np.cos(2.0 * np.pi * x)  # the table holds −M'/max|L|
        SM = np.zeros((Kp, Kp))
        SI = np.zeros((Kp, Kp))
        for t in range(1, lay.T + 1):
            SM[t, t - 1] = 1.0
        for t in range(lay.T + 1, lay.blocks):
            SI[t, t - 1] = 1.0
        return np.eye(Kp * Dc) - np.kron(SM, Mq) - np.kron(SI, np.eye(Dc))

    def to_qsharp(self) -> dict:
        lay = self.layout
        return {
            "NumClock": lay.clock_qubits, "NumCarleman": lay.carleman_qubits, "Steps": lay.T, "Blocks": lay.blocks,
            "Sparsity": self.sparsity, "MaxAbs": self.max_abs, "AngleBits": self.angle_bits,
        } | self.tables_qsharp()


def carleman_oracle_data(system: CarlemanSystem, T: int, p: int, *, angle_bits: int = DEFAULT_ANGLE_BITS) -> CarlemanOracleData:
    """Tables of M' on the Carleman register only (module docstring); the clock structure is arithmetic in Q#."""
    if system.matrix_free:
        raise TypeError("the structured oracles need an explicit M (discrete_carleman(..., matrix_free=False))")
    lay = carleman_layout(system, T, p)
    Mp = _embedded_M(system, lay)
    Dc = Mp.shape[0]
    pattern = sp.csr_matrix((np.ones(Mp.nnz), Mp.indices, Mp.indptr), shape=Mp.shape) + sp.identity(Dc, format="csr")
    pattern = sp.csr_matrix(pattern)
    patT = sp.csr_matrix(pattern.T)
    s_M = int(max(np.diff(pattern.indptr).max(), np.diff(patT.indptr).max()))
    column_table, column_inverse = _index_tables(patT, Dc)
    row_table, row_inverse = _index_tables(pattern, Dc)
    max_abs = max(1.0, float(np.max(np.abs(Mp.data))) if Mp.nnz else 0.0)
    scale = 2.0**angle_bits
    angles = np.full(Dc * Dc, 2 ** (angle_bits - 2), dtype=np.int64)
    coo = Mp.tocoo()
    v = np.clip(-coo.data / max_abs, -1.0, 1.0)
    angles[coo.row + Dc * coo.col] = np.rint(np.arccos(v) / (2.0 * np.pi) * scale).astype(np.int64)
    return CarlemanOracleData(layout=lay, sparsity=1 + s_M, max_abs=max_abs, angle_bits=angle_bits, M_embedded=Mp,
                              column_table=column_table, column_inverse=column_inverse, row_table=row_table,
                              row_inverse=row_inverse, angle_table=angles)


@dataclass(frozen=True)
class HistoryRhsData:
    """|B⟩ = B/‖B‖ on the padded layout (numpy, for checks) and the Q# ``HistoryRhs`` struct."""
    vector: np.ndarray
    norm: float
    qsharp: dict


def _tensor_power_state(v: np.ndarray, lay: CarlemanLayout) -> dict:
    nv = float(np.linalg.norm(v))
    support = np.flatnonzero(v)
    d = len(support)
    width = 2 ** max(1, ceil_log2(d)) if d > 1 else 2
    vals = np.zeros(width)
    vals[:d] = v[support] / nv
    lev = np.zeros(2**lay.level_qubits)
    lev[: lay.N] = nv ** np.arange(1, lay.N + 1)
    lev /= np.linalg.norm(lev)
    return {"LevelAmplitudes": lev.tolist(), "Values": vals.tolist(), "Swaps": sparse_swaps(support.tolist())}


def sparse_swaps(support: list[int]) -> list[tuple[int, int]]:
    """Basis transpositions (applied in order) that move |k⟩ to |support[k]⟩ for k < d (at most d of them).

    Support values are distinct, so a swap (position of k, support[k]) never moves an already placed k' < k.
    """
    where = {}  # value -> original index sitting there (identity unless touched)
    swaps = []
    for k, target in enumerate(support):
        cur = next((v for v, o in where.items() if o == k), k)
        if cur != target:
            a, b = where.get(cur, cur), where.get(target, target)
            where[cur], where[target] = b, a
            swaps.append((int(cur), int(target)))
    return swaps


def history_rhs(system: CarlemanSystem, u_in, T: int, p: int) -> HistoryRhsData:
    """B = [ŷ_in; b; …; b; 0…] (docs/math.md §4) in the padded layout, and its preparation data (docs/math.md §11: tensor powers of sparse |u⟩).

    Requires b = [F0, F0⊗F0, …] (the discrete map's constants, ``discrete_carleman``) so that b is a tensor-power state.
    """
    lay = carleman_layout(system, T, p)
    u = np.asarray(u_in, dtype=float)
    if not np.any(u):
        raise ValueError("u_in = 0: |ŷ_in⟩ cannot be prepared; expand the loss around a different point (θ* ≠ θ(0))")

    B = tstep_rhs(system, u, T, p)
    f0 = np.asarray(system.qmap.F0, dtype=float)
    has_b = bool(np.any(f0))
    if has_b and not np.allclose(system.b, lift(f0, system.N), rtol=1e-12, atol=0.0):
        raise ValueError("the constant vector b is not [F0, F0⊗F0, …]: use discrete_carleman for the quantum solver")
    yin, bn = np.linalg.norm(lift(u, system.N)), (np.linalg.norm(lift(f0, system.N)) if has_b else 0.0)
    clock = np.zeros(2**lay.clock_qubits)
    clock[0] = yin
    clock[1 : T + 1] = bn
    nb = float(np.linalg.norm(clock))
    clock /= nb
    vec = np.zeros(2**lay.system_qubits)
    vec[lay.history_index()] = B / nb
    init = _tensor_power_state(u, lay)
    const = _tensor_power_state(f0, lay) if has_b else init
    q = {"NumClock": lay.clock_qubits, "NumLevel": lay.level_qubits, "NumSlot": lay.slot_qubits, "NumSlots": lay.N,
         "ClockAmplitudes": clock.tolist(), "Initial": init, "HasConstant": has_b, "Constant": const}
    return HistoryRhsData(vector=vec, norm=nb, qsharp=q)
