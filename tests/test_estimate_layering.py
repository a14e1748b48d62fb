"""The tracer's layering rule (pyqgd.estimate.layering) against qsharp.logical_counts: std multi-controlled X, Ry, R1
(and their adjoints) and PreparePureStateD with 0–3 controls, each between layers of probe rotations on every qubit
it touches, so that the rotation depth depends on the level each qubit is released at; the closed-form repetition
against plain stepping."""

import math
import os

import numpy as np
import pytest

os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")

from pyqgd.estimate import layering as ly

PROBE = 0.1  # a generic angle: every probe is a rotation


@pytest.fixture(scope="module")
def scratch():
    import qdk

    ctx = qdk.Context()
    ctx.eval('''
import Std.StatePreparation.PreparePureStateD;
operation Probe(qs : Qubit[]) : Unit { for q in qs { Rz(0.1, q); } }
operation Gate(which : Int, k : Int, th : Double, reps : Int) : Unit {
    use (c, t) = (Qubit[k], Qubit());
    for _ in 1..reps {
        Probe(c + [t]);
        if which == 0 { Controlled X(c, t); }
        elif which == 1 { Controlled Ry(c, (th, t)); }
        elif which == 2 { Adjoint Controlled Ry(c, (th, t)); }
        elif which == 3 { Controlled R1(c, (th, t)); }
        elif which == 4 { Adjoint Controlled R1(c, (th, t)); }
        Rz(0.2, c[0]);
    }
    Probe(c + [t]);
    ResetAll(c + [t]);
}
operation Prep(v : Double[], n : Int, k : Int, adj : Bool) : Unit {
    use (c, q) = (Qubit[k], Qubit[n]);
    for _ in 1..2 {
        Probe(c + q);
        if adj { if k == 0 { Adjoint PreparePureStateD(v, q); } else { Adjoint Controlled PreparePureStateD(c, (v, q)); } }
        else { if k == 0 { PreparePureStateD(v, q); } else { Controlled PreparePureStateD(c, (v, q)); } }
    }
    Probe(c + q);
    ResetAll(c + q);
}
''')

    def depth(code):
        return int(dict(ctx.logical_counts(code))["rotationDepth"])

    return depth


def _layered(body, qubits, reps: int, between=()) -> int:
    lay = ly.TracerLayers()
    for _ in range(reps):
        lay.apply([("r", q, PROBE) for q in qubits])
        lay.apply(body())
        lay.apply(list(between))
    lay.apply([("r", q, PROBE) for q in qubits])
    return lay.depth


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 6, 7])
@pytest.mark.parametrize("th", [0.3, math.pi / 2, math.pi])
def test_multi_controlled_gates_layered_as_traced(scratch, k, th):
    c, t = [("c", i) for i in range(k)], ("t",)
    gates = {0: lambda: ly.mcx_gates(c, t), 1: lambda: ly.controlled_rz_gates(c, t, th),
             2: lambda: ly.controlled_rz_gates(c, t, -th), 3: lambda: ly.controlled_r1_gates(c, t, th),
             4: lambda: ly.controlled_r1_gates(c, t, th, adjoint=True)}
    for which, body in gates.items():
        if which == 0 and th != 0.3:
            continue
        ours = _layered(body, c + [t], 3, [("r", c[0], 0.2)])
        assert ours == scratch(f"Gate({which}, {k}, {th}, 3)"), (which, k, th)


def test_prepare_pure_state_layered_as_traced(scratch):
    rng = np.random.default_rng(1)
    for trial in range(24):
        n, k, adj = int(rng.integers(1, 4)), int(rng.integers(0, 4)), bool(trial % 2)
        L = int(rng.integers(1, 2**n + 1))
        v = [rng.uniform(0.1, 1, L), rng.normal(size=L), np.ones(L), rng.uniform(0, 1, L) * (rng.random(L) < 0.6)][
            trial % 4]
        if not np.any(v):
            v[0] = 1.0
        v = [float(x) for x in v / np.linalg.norm(v)]
        c, q = [("c", i) for i in range(k)], [("q", i) for i in range(n)]
        ours = _layered(lambda: ly.prepare_pure_state_gates(v, q, c, adj), c + q, 2)
        assert ours == scratch(f"Prep({v}, {n}, {k}, {str(adj).lower()})"), (n, k, adj, v)


def test_repeat_is_plain_stepping():
    """The closed-form repetition gives the depth of stepping every time, helpers and blocks included."""
    a, b, c = ("a",), ("b",), ("c",)
    steps = [
        [("r", a, 0.3)] + ly.mcx_gates([a, b], c) + [("r", c, None), ("c", a, b)],
        ly.controlled_r1_gates([a, b], c, 0.7) + [("b", (b, c), 2, 5, 2), ("r", a, math.pi / 4)],
        ly.mcx_gates([a, b, c, ("d",)], ("e",)) + [("r", ("e",), None), ("r", ("d",), None)],
    ]
    for step in steps:
        for n in (1, 2, 3, 10, 57):
            tracked = [a, b, c, ("d",), ("e",)]
            fast, slow = ly.TracerLayers(tracked), ly.TracerLayers(tracked)
            fast.repeat(lambda lay: lay.apply(step), n)
            for _ in range(n):
                slow.apply(step)
            assert fast.depth == slow.depth, (step, n)


@pytest.fixture(scope="module")
def project():
    import qdk

    from pyqgd.quantum._context import qsharp_project_root

    ctx = qdk.Context(project_root=str(qsharp_project_root()))
    ctx.eval('''
import Carleman.HistoryState.*;
import Solvers.KernelReflection.ApplyReflectionAboutState;
operation LayeredRhs(rhs : HistoryRhs, reps : Int, which : Int) : Unit {
    use q = Qubit();
    use sys = Qubit[rhs.NumClock + rhs.NumLevel + rhs.NumSlots * rhs.NumSlot];
    for _ in 1..reps {
        if which == 0 { PrepareHistoryRhs(rhs, sys); }
        elif which == 1 { Adjoint PrepareHistoryRhs(rhs, sys); }
        elif which == 2 { Controlled ApplyReflectionAboutState([q], (PrepareHistoryRhs(rhs, _), sys)); }
        else { Adjoint Controlled ApplyReflectionAboutState([q], (PrepareHistoryRhs(rhs, _), sys)); }
    }
    ResetAll([q] + sys);
}
''')
    return ctx


def test_history_rhs_and_reflection_layered_as_traced(project):
    """PrepareHistoryRhs, its adjoint and the kernel solve's reflection about |b'⟩ (and its adjoint), repeated, on the
    |b'⟩ of every kernel validation instance: the gate-by-gate layering equals the tracer's."""
    from pyqgd.estimate.validation import example_combination_instances

    for inst in example_combination_instances(("sparse", "qrom", "kernel")):
        rhs = inst.args[1]
        m = rhs["NumClock"] + rhs["NumLevel"] + rhs["NumSlots"] * rhs["NumSlot"]
        sys, q = [("s", k) for k in range(m)], ("q",)
        parts = {0: lambda: ly.history_rhs_gates(rhs, sys), 1: lambda: ly.history_rhs_gates(rhs, sys, adjoint=True)}
        for which, adj in ((2, False), (3, True)):
            parts[which] = lambda adj=adj: (ly.history_rhs_gates(rhs, sys, adjoint=True)
                                            + ly.controlled_r1_gates([q] + sys[:-1], sys[-1], math.pi, adjoint=adj)
                                            + ly.history_rhs_gates(rhs, sys))
        for which, body in parts.items():
            for reps in (1, 3):
                lay = ly.TracerLayers()
                for _ in range(reps):
                    lay.apply(body())
                traced = dict(project.logical_counts(project.code.LayeredRhs, rhs, reps, which))["rotationDepth"]
                assert lay.depth == traced, (inst.name, which, reps)
