"""Each closed form of pyqgd.estimate.circuit against qsharp.logical_counts of the Q# operation it mirrors, at several
sizes: std primitives (traced in a scratch context), PreparePureStateD on random, signed, sparse and uniform vectors
with 0–3 controls, and the structured oracles and block-encoding of the solver (Estimation/SolverTraces.qs)."""

import math
import os

import numpy as np
import pytest

os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")

from pyqgd.estimate import circuit as cc

FIELDS = ("tCount", "cczCount", "rotationCount", "measurementCount")


def counts(cost):
    v = cost.traced_view()
    return tuple(v[k] for k in FIELDS)


@pytest.fixture(scope="module")
def scratch():
    import qdk

    ctx = qdk.Context()
    ctx.eval('''
import Std.Arithmetic.*;
import Std.StatePreparation.PreparePureStateD;
operation Inc(w : Int) : Unit { use q = Qubit[w]; IncByI(2^w - 1, q); ResetAll(q); }
operation IncLE(w : Int) : Unit { use (x, y) = (Qubit[w], Qubit[w]); IncByLE(x, y); ResetAll(x + y); }
operation Less(w : Int) : Unit { use (x, y, t) = (Qubit[w], Qubit[w], Qubit()); ApplyIfLessLE(X, x, y, t); ResetAll(x + y + [t]); }
operation Mcx(k : Int) : Unit { use (c, t) = (Qubit[k], Qubit()); ApplyControlledOnInt(0, X, c, t); ResetAll(c + [t]); }
operation Sel(k : Int, a : Int) : Unit {
    use (c, ad, t) = (Qubit[k], Qubit[a], Qubit[3]);
    let d = Std.Arrays.Mapped(i -> Std.Convert.IntAsBoolArray(i % 8, 3), Std.Arrays.SequenceI(0, 2^a - 1));
    if k == 0 { Std.TableLookup.Select(d, ad, t); } else { Controlled Std.TableLookup.Select(c, (d, ad, t)); }
    ResetAll(c + ad + t);
}
operation CRy(k : Int, th : Double) : Unit { use (c, t) = (Qubit[k], Qubit()); Controlled Ry(c, (th, t)); ResetAll(c + [t]); }
operation CR1(k : Int, th : Double) : Unit { use (c, t) = (Qubit[k], Qubit()); Controlled R1(c, (th, t)); ResetAll(c + [t]); }
operation Prep(v : Double[], n : Int, k : Int) : Unit {
    use (c, q) = (Qubit[k], Qubit[n]);
    if k == 0 { PreparePureStateD(v, q); } else { Controlled PreparePureStateD(c, (v, q)); }
    ResetAll(c + q);
}
''')

    def trace(code):
        d = dict(ctx.logical_counts(code))
        return tuple(d[k] for k in FIELDS)

    return trace


def test_arithmetic_and_lookup_primitives(scratch):
    for w in (1, 2, 3, 5, 7):
        assert scratch(f"Inc({w})") == counts(cc.adder(w)) == scratch(f"IncLE({w})")
        assert scratch(f"Less({w})") == counts(cc.comparator(w))
        assert scratch(f"Mcx({w})") == counts(cc.mcx(w))
    for k in (0, 1, 3):
        for a in (1, 3, 6):
            assert scratch(f"Sel({k}, {a})") == counts(cc.lookup(2**a, k))


@pytest.mark.parametrize("theta", [0.0, math.pi, math.pi / 2, math.pi / 4, 0.3, 3 * math.pi / 2])
def test_controlled_rotations(scratch, theta):
    for k in (1, 2, 3):
        assert scratch(f"CRy({k}, {theta})") == counts(cc.controlled_ry(k, theta))
    for k in (0, 1, 2, 3):
        assert scratch(f"CR1({k}, {theta})") == counts(cc.controlled_r1(k, theta))


def test_prepare_pure_state_exact(scratch):
    rng = np.random.default_rng(0)
    for trial in range(40):
        n, k = int(rng.integers(1, 5)), int(rng.integers(0, 4))
        L = int(rng.integers(1, 2**n + 1))
        v = [rng.uniform(0.1, 1, L), rng.normal(size=L), np.ones(L), rng.uniform(0, 1, L) * (rng.random(L) < 0.6),
             np.r_[1.0, 0.5 * np.ones(L - 1)]][trial % 5]
        if not np.any(v):
            v[0] = 1.0
        v = v / np.linalg.norm(v)
        assert scratch(f"Prep({[float(x) for x in v]}, {n}, {k})") == counts(cc.prepare_pure_state(v, n, k)), (n, k, v)


def test_uniform_index_superposition_closed_form():
    """D_s beyond ⌈log₂ s⌉ + 1 qubits doubles per qubit: the closed form equals the enumeration."""
    for s in (3, 5, 6, 7, 13):
        for m in range((s - 1).bit_length(), 13):
            assert counts(cc.index_superposition(s, m)) == counts(cc.prepare_pure_state([1.0] * s, m)), (s, m)


def _oracle_data(mt, mc, b, T, K, s, max_abs=1.0):
    rng = np.random.default_rng(mt * 10 + mc)
    E = 4**mc
    tab = lambda hi: rng.integers(0, hi, E).tolist()  # noqa: E731
    return {"NumClock": mt, "NumCarleman": mc, "Steps": T, "Blocks": K, "Sparsity": s, "MaxAbs": max_abs,
            "AngleBits": b, "ColumnTable": tab(2**mc), "ColumnInverse": tab(2**mc), "RowTable": tab(2**mc),
            "RowInverse": tab(2**mc), "AngleTable": tab(2**b)}


@pytest.mark.parametrize("mt,mc,b,s,max_abs", [(2, 1, 8, 3, 1.0), (3, 2, 6, 4, 1.0), (2, 3, 10, 7, 1.3), (4, 2, 5, 5, 1.0)])
def test_structured_oracles_and_encoding(mt, mc, b, s, max_abs):
    from pyqgd.quantum._context import get_context

    S = get_context().code.Estimation.SolverTraces
    for T, K in ((2**mt - 2, 2**mt), (2**mt - 2, 2**mt - 1)):  # with and without idle steps
        data = _oracle_data(mt, mc, b, T, K, s, max_abs)
        idle = K - 1 > T
        ma = None if max_abs != 1.0 else 1.0
        tr = lambda *a: tuple(dict(get_context().logical_counts(*a))[k] for k in FIELDS)  # noqa: E731
        assert tr(S.TraceCarlemanOracle, data, 0) == counts(cc.carleman_column_oracle(mt, mc))
        assert tr(S.TraceCarlemanOracle, data, 1) == counts(cc.carleman_row_oracle(mt, mc))
        assert tr(S.TraceCarlemanOracle, data, 2) == counts(cc.carleman_entry_oracle(mt, mc, b, idle=idle, max_abs=ma))
        be = cc.carleman_block_encoding(mt, mc, b, s, idle=idle, max_abs=ma)
        for inverse in (False, True):
            assert tr(S.TraceCarlemanBlockEncoding, data, inverse) == counts(be)
