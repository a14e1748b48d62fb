"""Rotation depth by the QDK tracer's own layering rule, gate by gate, for circuits built from the Q# standard library.

The rule (the resource estimator's ``LogicalCounter``, ``source/resource_estimator/src/counts.rs`` of
github.com/microsoft/qsharp): every qubit q carries a level ℓ(q), the index of the first layer it is free in. An
arbitrary-angle Z rotation on q (Rx and Ry count as Rz) goes into layer ℓ(q) and sets ℓ(q) += 1; a T gate (also a
rotation by an odd multiple of π/4) does the same without making the layer a rotation layer; CCX/CCZ goes into layer
max ℓ of its three qubits, which all move one past it; a two-qubit Clifford (CX, CY, CZ, SWAP, and the CX pair of an
Rzz) brings its two qubits to their common maximum without a layer; single-qubit Cliffords, measurements and resets
cost nothing. The rotation depth is the number of layers holding at least one rotation. A freshly allocated qubit
starts at level 0; a released qubit keeps its level and is handed out again last-in first-out.

:class:`TracerLayers` implements that rule on named qubits, and the ``*_gates`` functions lay out the standard
library's decompositions as the tracer meets them (QDK 1.33, read off the circuits ``qdk`` synthesizes; their
layering equals ``logical_counts`` on the kernel solve's parts): the multi-controlled X (``CollectControls``: ANDs of
control pairs into a binary tree of helpers, computed and uncomputed by Toffolis), the multi-controlled Rz/Ry (the
controls collected into one helper, then Rz(θ/2)·CX·Rz(−θ/2)·CX) and R1 (a controlled Rz and, recursively, R1(φ/2)
on the first control under the others), ``PreparePureStateD`` and ``PrepareHistoryRhs``. Oracles whose gates are not
laid out are blocks: once all their qubits are free they take their rotation layers one after another.

:meth:`TracerLayers.repeat` applies a step n times without enumerating them when the layering state becomes periodic:
only the levels relative to the lowest tracked qubit and the rotation layers at or above it can influence later
gates, so once two consecutive steps leave the same relative state, every further step adds the same number of
rotation layers (exact, not an approximation).
"""

from __future__ import annotations

import itertools

from pyqgd.estimate import circuit as cc
from pyqgd.estimate.circuit import _ppsd_gates, rotation_kind

__all__ = ["TracerLayers", "helpers", "mcx_gates", "controlled_rz_gates", "controlled_r1_gates",
           "prepare_pure_state_gates", "basis_transposition_gates", "history_rhs_gates", "sparse_call_gates"]

_fresh = itertools.count()


def helpers(k: int) -> list:
    """k fresh helper-qubit names (allocated from the released-qubit stack at their first gate)."""
    return [("h", next(_fresh)) for _ in range(k)]


class TracerLayers:
    """The tracer's layering on named qubits (module docstring). ``depth`` is the number of rotation layers.

    Gates are tuples: ("r", q, φ) a Z-type rotation by φ (classified by :func:`pyqgd.estimate.circuit.rotation_kind`;
    ``None`` = generic), ("c", a, b) a two-qubit Clifford, ("z", a, b, c) a Toffoli/CCZ, ("f", qubits) releases helper
    qubits, and ("b", qubits, r, span, helpers) a block modelled as a unit (an oracle): it starts once its qubits and
    the ``helpers`` it allocates are free, its r rotation layers follow each other, and it holds its qubits for
    max(r, span) layers, then releases its helpers.

    Helpers (qubit names ("h", k)) are allocated as the tracer allocates: from a stack of released qubits, each
    keeping the level it was released at (a fresh qubit starts at 0). A helper released late by one operation
    therefore delays the next operation that allocates one — e.g. the Q# ``use`` of a flag right after an oracle.
    """

    def __init__(self, tracked=()):
        self.free: list = []
        self.level: dict = {}
        self.rot: set = set()
        self.final = 0  # rotation layers below every tracked qubit: no later gate can reach them
        self.tracked = list(tracked)

    def _get(self, q) -> int:
        x = self.level.get(q)
        if x is None:
            x = self.free.pop() if self.free and q[0] == "h" else 0
            self.level[q] = x
        return x

    def apply(self, gates) -> None:
        """Lay out ``gates`` (in program order) by the tracer's rule."""
        lv, rot, free, get = self.level, self.rot, self.free, self._get
        for g in gates:
            op = g[0]
            if op == "r":
                kind = rotation_kind(g[2])
                if kind == "clifford":
                    continue
                q = g[1]
                x = get(q)
                if kind == "rotation":
                    rot.add(x)
                lv[q] = x + 1
            elif op == "c":
                a, b = g[1], g[2]
                x = max(get(a), get(b))
                lv[a] = lv[b] = x
            elif op == "z":
                x = max(get(g[1]), get(g[2]), get(g[3])) + 1
                lv[g[1]] = lv[g[2]] = lv[g[3]] = x
            elif op == "b":
                qs, r, span, k = g[1], g[2], g[3], g[4]
                x = max([get(q) for q in qs] + [free.pop() if free else 0 for _ in range(k)])
                rot.update(range(x, x + r))
                end = x + max(r, span)
                for q in qs:
                    lv[q] = end
                free.extend([end] * k)
            elif op == "f":
                for q in g[1]:
                    x = lv.pop(q, None)
                    if x is not None:
                        free.append(x)
            else:
                raise ValueError(f"unknown gate {g!r}")

    @property
    def depth(self) -> int:
        return self.final + len(self.rot)

    # --- periodic repetition
    def _compact(self) -> int:
        """Count the rotation layers no later gate can reach (below every tracked qubit's level) as final, and raise
        released helpers below that floor to it (a helper's first gate is a Toffoli with tracked controls, so a lower
        level cannot matter). Returns the floor."""
        f = min(self.level.get(q, 0) for q in self.tracked)
        low = [x for x in self.rot if x < f]
        self.final += len(low)
        self.rot.difference_update(low)
        self.free = [max(x, f) for x in self.free]
        return f

    def _state(self, f: int) -> tuple:
        return (tuple(self.level.get(q, 0) - f for q in self.tracked), frozenset(x - f for x in self.rot),
                tuple(x - f for x in self.free))

    def repeat(self, step, n: int) -> None:
        """``step(self)`` n times. Once the state relative to the lowest tracked level (tracked and helper levels,
        pending rotation layers) is the same after two consecutive steps, each further step shifts it by the same
        amount and adds the same number of rotation layers: the remaining steps are added in closed form (exact).
        Only tracked and released helper qubits may be alive between steps."""
        if not self.tracked:
            raise ValueError("repeat needs tracked qubits")
        f = self._compact()
        prev = self._state(f)
        for done in range(1, n + 1):
            final0 = self.final
            step(self)
            f1 = self._compact()
            state = self._state(f1)
            if state == prev and done < n:
                k, shift = n - done, f1 - f
                self.final += k * (self.final - final0)
                self.level = {q: x + k * shift for q, x in self.level.items()}
                self.rot = {x + k * shift for x in self.rot}
                self.free = [x + k * shift for x in self.free]
                return
            prev, f = state, f1


def _collect(ctls: list, aux: list, adjustment: int) -> list:
    """Std ``CollectControls``: AND(ctls[i], ctls[i+1]) → aux[i/2], then AND(aux[2i], aux[2i+1]) → aux[i + n/2]."""
    n = len(ctls)
    out = [("z", ctls[i], ctls[i + 1], aux[i // 2]) for i in range(0, n - 1, 2)]
    out += [("z", aux[2 * i], aux[2 * i + 1], aux[i + n // 2]) for i in range(n // 2 - 1 - adjustment)]
    return out


def mcx_gates(ctls, target) -> list:
    """``Controlled X(ctls, target)``: CX (1 control), CCX (2), else ``CollectControls`` into n − 2 helpers with the
    adjustment 1 − n mod 2, one CCX onto the target, the collection uncomputed (2n − 3 Toffolis)."""
    ctls = list(ctls)
    n = len(ctls)
    if n == 0:
        return []
    if n == 1:
        return [("c", ctls[0], target)]
    if n == 2:
        return [("z", ctls[0], ctls[1], target)]
    aux = helpers(n - 2)
    comp = _collect(ctls, aux, 1 - n % 2)
    mid = ("z", ctls[n - 1], aux[n - 3], target) if n % 2 else ("z", aux[n - 3], aux[n - 4], target)
    return comp + [mid] + comp[::-1] + [("f", tuple(aux))]


def controlled_rz_gates(ctls, target, theta: float | None) -> list:
    """``Controlled Rz(θ)`` (and ``Controlled Ry``, whose basis change is Clifford): no control, Rz(θ); else the
    controls collected into one helper (``CollectControls`` with no adjustment, plus the odd control), then
    Rz(θ/2)·CX·Rz(−θ/2)·CX on the target, the collection uncomputed. ``θ = None``: generic."""
    ctls = list(ctls)
    n = len(ctls)
    half = None if theta is None else theta / 2
    if n == 0:
        return [("r", target, theta)]

    def crz(c):
        return [("r", target, half), ("c", c, target), ("r", target, None if half is None else -half),
                ("c", c, target)]

    if n == 1:
        return crz(ctls[0])
    aux = helpers(n - 1)
    comp = _collect(ctls, aux, 0)
    if n % 2:
        comp.append(("z", ctls[n - 1], aux[n - 3], aux[n - 2]))
    return comp + crz(aux[n - 2]) + comp[::-1] + [("f", tuple(aux))]


def controlled_r1_gates(ctls, target, phi: float | None, adjoint: bool = False) -> list:
    """``Controlled R1(φ)`` with controls c₀…c_{n−1}: Controlled Rz(φ) on the target, then the controlled global phase
    φ/2 as R1(φ/2) on c₀ controlled by the rest, recursively; R1 with no control is Rz(φ) (up to a global phase).
    ``adjoint``: the std adjoint swaps the two top-level parts only (the global phase's R1 first, then the
    controlled Rz), each in its forward order with the angle negated — not the reversed gate list."""
    ctls = list(ctls)
    if adjoint:
        if not ctls:
            return [("r", target, None if phi is None else -phi)]
        neg = None if phi is None else -phi
        return (controlled_r1_gates(ctls[1:], ctls[0], None if neg is None else neg / 2)
                + controlled_rz_gates(ctls, target, neg))
    out = []
    while ctls:
        out += controlled_rz_gates(ctls, target, phi)
        target, ctls = ctls[0], ctls[1:]
        phi = None if phi is None else phi / 2
    out.append(("r", target, phi))
    return out


# ------------------------------------------------------------------------------------------ state preparation


def prepare_pure_state_gates(amplitudes, qubits, ctrl=(), adjoint: bool = False) -> list:
    """``PreparePureStateD(amplitudes, qubits)`` (controlled by ``ctrl``; or its adjoint, which the std library does
    not build as the reversed gate list) in the tracer's gates: the multiplexors' rotations and CNOTs
    (:func:`pyqgd.estimate.circuit._ppsd_gates`), their controlled X pairs and the controlled global phase."""
    out = []
    for g in _ppsd_gates(amplitudes, qubits, ctrl, adjoint):
        if g[0] == "r":
            out.append(("r", g[1], 2 * g[2]))
        elif g[0] == "x":
            out.append(("c", g[1], g[2]))
        elif g[0] == "m":
            out += mcx_gates(g[1][:-1], g[1][-1])
        else:  # controlled global phase e^{iθ}: R1(θ) on the first control under the others (its adjoint: the same
            # gates with −θ, not the order of an adjoint R1)
            out += controlled_r1_gates(g[1][1:], g[1][0], g[2])
    return out


def basis_transposition_gates(a: int, b: int, qubits, ctrl=()) -> list:
    """``HistoryState.ApplyBasisTransposition(a, b, qubits)`` controlled by ``ctrl``: CNOTs from the pivot bit (not
    controlled: the within block), X on the pivot controlled by ``ctrl`` and the other bits, the CNOTs undone."""
    w = len(qubits)
    le = list(reversed(qubits))
    diff = a ^ b
    q = (diff & -diff).bit_length() - 1
    others = [r for r in range(w) if r != q]
    within = [("c", le[q], le[r]) for r in others if diff >> r & 1]
    return within + mcx_gates(list(ctrl) + [le[r] for r in others], le[q]) + within[::-1]


def _sparse_state_parts(st: dict, slot, ctrl) -> list:
    vals = st["Values"]
    md = max(1, (len(vals) - 1).bit_length()) if len(vals) > 1 else 1
    target = list(slot)[len(slot) - md:]
    parts = [lambda adj: prepare_pure_state_gates(vals, target, ctrl, adj)]
    for a, b in st["Swaps"]:
        parts.append(lambda adj, a=a, b=b: basis_transposition_gates(a, b, slot, ctrl))
    return parts


def _tensor_powers_parts(st: dict, num_slots: int, level, slots, ctrl) -> list:
    w = len(slots) // num_slots
    parts = [lambda adj: prepare_pure_state_gates(st["LevelAmplitudes"], level, ctrl, adj)] if level else []
    for k in range(num_slots):
        slot = slots[k * w:(k + 1) * w]
        if k == 0:
            parts += _sparse_state_parts(st, slot, ctrl)
        else:
            for _ in range(k, num_slots):  # ApplyControlledOnInt(j, ..., Reversed(level), slot): its X's are free
                parts += _sparse_state_parts(st, slot, list(ctrl) + list(reversed(level)))
    return parts


def history_rhs_gates(rhs: dict, sys, adjoint: bool = False) -> list:
    """``HistoryState.PrepareHistoryRhs(rhs, sys)`` (or its adjoint: the parts in reverse order, each adjointed) in
    the tracer's gates, for the Q# HistoryRhs dict ``rhs``: the clock's PreparePureStateD, then the tensor powers of
    ŷ_in (and, with a constant term, both tensor powers controlled by the flag g = (clock = 0), computed by a
    multi-controlled X and uncomputed)."""
    mt, ml = rhs["NumClock"], rhs["NumLevel"]
    sys = list(sys)
    clock, level, slots = sys[:mt], sys[mt:mt + ml], sys[mt + ml:]
    n = rhs["NumSlots"]
    parts = [lambda adj: prepare_pure_state_gates(rhs["ClockAmplitudes"], clock, (), adj)]
    if rhs["HasConstant"]:
        g = helpers(1)[0]
        parts.append(lambda adj: mcx_gates(clock, g))
        parts += _tensor_powers_parts(rhs["Initial"], n, level, slots, [g])
        parts += _tensor_powers_parts(rhs["Constant"], n, level, slots, [g])
        parts.append(lambda adj: mcx_gates(clock, g))
    else:
        parts += _tensor_powers_parts(rhs["Initial"], n, level, slots, ())
    out = []
    for p in (parts[::-1] if adjoint else parts):
        out += p(adjoint)
    if rhs["HasConstant"]:
        out.append(("f", (g,)))
    return out


# ------------------------------------------------------------------------------------------ block-encoding calls


def sparse_call_gates(data: dict, anc, sys, adjoint: bool = False) -> list:
    """One call of the structured sparse-access encoding (``SparseBlockEncoding(CarlemanSparseOracles(data))``, U or,
    ``adjoint``, U†: both start with D_s and end with D_s†) on anc = [flag] + idx and sys = clock + Carleman part.

    D_s and D_s† (``PreparePureStateD`` of s equal amplitudes on idx) gate by gate. The oracles as blocks without
    gates: one over all of anc and sys with the entry oracle's flag rotations (one qubit: one layer each), then the
    end of the row oracle's adjoint, which releases its registers in turn — the clock after the clock adder, the
    Carleman part after the l_t-controlled copy and the two table lookups (on idx and the Carleman part), idx after
    the index part's IncByI on m qubits — each stage as long as its Toffoli count (ripple adders and unary
    iteration are nearly sequential); IncByI's m constant qubits are released last, so the next helpers allocated (the flag
    of PrepareHistoryRhs, the reflection's ladders) start where idx is released. The state preparation on sys can
    thus start while the oracles finish on idx. The start of a call is a plain synchronisation: its first stages
    hold no rotation and the entry oracle's need every register. In U† the entry oracle's first flag rotation (the
    adjoint of the smallest Controlled Ry of the angle bits, the std controlled Ry(−θ), whose Rz(−θ/2) on the flag
    precedes its CX) needs the flag only, so it takes the flag's first free layer."""
    anc, sys = list(anc), list(sys)
    mt, mc, s = data["NumClock"], data["NumCarleman"], data["Sparsity"]
    idx, clock, part = anc[1:], sys[:mt], sys[mt:]
    ent = cc.carleman_entry_oracle(mt, mc, data["AngleBits"], idle=data["Blocks"] - 1 > data["Steps"],
                                   max_abs=data["MaxAbs"])
    r = ent.rotation_count
    inc = cc.adder(mt + mc).ccz_count
    copy = cc.mcx(mt + 1).then(cc.mcx(mt)).repeat(mc).ccz_count
    tables = 2 * cc.lookup(4**mc, mt).ccz_count + mc * cc.mcx(mt + 1).ccz_count
    clk = cc.adder(mt).ccz_count
    early = [("r", anc[0], None)] if adjoint and r else []
    main = early + [("b", tuple(anc + sys), r - len(early), 0, 0)]
    tail = [("b", tuple(idx + clock), 0, clk, 0), ("b", tuple(idx), 0, clk, 0),
            ("b", tuple(idx + part), 0, copy + tables, 0), ("b", tuple(idx), 0, inc, len(idx))]
    gates = main + tail
    if s & (s - 1) == 0:  # Hadamards
        return gates
    amps = [1.0] * s
    return prepare_pure_state_gates(amps, idx) + gates + prepare_pure_state_gates(amps, idx, (), True)
