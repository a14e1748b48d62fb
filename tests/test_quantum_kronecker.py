"""The Kronecker block-encoding of the T-step Carleman matrix (Q# Carleman.Kronecker) against numpy.

References are independent of the encoding's code: ``pyqgd.carleman.discrete_carleman``'s M and
``padded_tstep_matrix``'s L (assembled from explicit Kronecker products), numpy nonzero counts, and the closed-form α
of the N = 2 level-split LCU written out by hand from the block formula.
"""

import math
import os

import numpy as np
import pytest
import scipy.sparse as sp

os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")

from pyqgd.carleman import QuadraticMap, discrete_carleman, euler_carleman, solve_history  # noqa: E402
from pyqgd.dynamics import gd_map, toy_cubic  # noqa: E402
from pyqgd.quantum.kronecker import kronecker_block, kronecker_column, kronecker_encoding, kronecker_solve  # noqa: E402
from pyqgd.quantum.structured_oracles import _embedded_M, carleman_layout, padded_tstep_matrix  # noqa: E402


def random_qmap(n, seed, density=0.6):
    """Random non-symmetric sparse F0 ≠ 0, F1, F2 (F2 with fewer nonzeros than n³)."""
    rng = np.random.default_rng(seed)
    F0 = np.where(rng.random(n) < 0.6, rng.normal(size=n) * 0.1, 0.0)
    F0[rng.integers(n)] = 0.07
    F1 = np.where(rng.random((n, n)) < density, rng.normal(size=(n, n)) * 0.2, 0.0)
    F1[0, n - 1] = 0.15  # never symmetric
    F1[n - 1, 0] = -0.05
    F2 = np.where(rng.random((n, n * n)) < density / 2, rng.normal(size=(n, n * n)) * 0.1, 0.0)
    F2[n - 1, 1] = 0.03
    return QuadraticMap(F0, F1, F2)


def random_symmetric_qmap(n, seed=None, density=0.5):
    """Random F0 ≠ 0, symmetric F1 and F2[i, (a, b)] = T[i, a, b] with T symmetric in its three indices (the
    structure of F1 = I − ηH, F2 = −(η/2)∇³L of a loss)."""
    rng = np.random.default_rng(seed)
    F0 = rng.normal(size=n) * 0.1
    F0[rng.integers(n)] = 0.07
    A = np.where(rng.random((n, n)) < density, rng.normal(size=(n, n)) * 0.2, 0.0)
    A[0, n - 1] = 0.1  # F1 ≠ 0
    Tn = np.where(rng.random((n, n, n)) < density / 2, rng.normal(size=(n, n, n)) * 0.1, 0.0)
    Tn[0, 0, n - 1] = 0.05
    # symmetrised in floating point, as a loss's ∇³L comes (pairs may differ in their last bits)
    Tn = sum(np.transpose(Tn, q) for q in ((0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0))) / 6
    return QuadraticMap(F0, sp.csr_matrix(A + A.T), sp.csr_matrix(Tn.reshape(n, n * n)))


def _nnz(qm):
    return int(np.count_nonzero(qm.F0) + qm.F1.count_nonzero() + qm.F2.count_nonzero())


M_CASES = [(2, 1, 0), (3, 1, 1), (4, 1, 2), (2, 2, 3), (3, 2, 4), (2, 3, 5), (4, 2, 6)]


def _check_M(n, N, seed):
    qm = random_qmap(n, seed)
    s = discrete_carleman(qm, N)
    enc = kronecker_encoding(s, 1, 0)
    B, stored = kronecker_block(enc, which="M")
    M = _embedded_M(s, carleman_layout(s, 1, 0)).toarray()  # zero rows/columns on padding coordinates
    assert np.max(np.abs(enc.alpha_M * B - M)) < 1e-10
    assert np.max(np.abs(B.imag)) < 1e-12
    assert stored == enc.stored_entries == _nnz(qm)


@pytest.mark.parametrize("n,N,seed", M_CASES)
def test_alpha_times_block_is_M(n, N, seed):
    _check_M(n, N, seed)


def _valid_columns(enc, rng, k):
    """k random Carleman coordinates of the padded layout (plus one padding column)."""
    idx = enc.layout.carleman_index()
    cols = rng.choice(idx, size=min(k, len(idx)), replace=False).tolist()
    pad = np.setdiff1d(np.arange(2**enc.layout.carleman_qubits), idx)
    return cols + pad[:1].tolist()


def _check_M_columns(n, N, seed, k):
    # the full Choi dump of N = 3, n ≥ 3 is too large for the simulator: check sampled columns (and a padding one)
    qm = random_qmap(n, seed)
    s = discrete_carleman(qm, N)
    enc = kronecker_encoding(s, 1, 0)
    M = _embedded_M(s, carleman_layout(s, 1, 0)).toarray()
    for c in _valid_columns(enc, np.random.default_rng(seed), k):
        col = kronecker_column(enc, c, which="M")
        assert np.max(np.abs(enc.alpha_M * col - M[:, c])) < 1e-10


def test_columns_of_M_order_3():
    _check_M_columns(3, 3, 7, 1)


@pytest.mark.slow
@pytest.mark.parametrize("n,N,seed", [(3, 3, 9), (4, 3, 8)])
def test_columns_of_M_order_3_more(n, N, seed):
    _check_M_columns(n, N, seed, 4)


L_CASES = [(2, 1, 16, 15, 10), (3, 1, 5, 2, 11), (2, 2, 4, 3, 12), (4, 1, 2, 1, 13), (3, 2, 2, 1, 14),
           (2, 3, 1, 0, 15), (4, 2, 1, 0, 16), (2, 2, 16, 15, 17)]


def _check_L(n, N, T, p, seed):
    qm = random_qmap(n, seed)
    s = discrete_carleman(qm, N)
    enc = kronecker_encoding(s, T, p)
    B, stored = kronecker_block(enc)
    L = padded_tstep_matrix(s, T, p).toarray()
    assert np.max(np.abs(enc.alpha * B - L)) < 1e-10
    assert enc.alpha == pytest.approx(1.0 + enc.alpha_M)
    assert stored == _nnz(qm)
    # α_L is at least ‖L‖ (a block-encoding cannot encode more), and far below the sparse-access s·max|L|
    assert enc.alpha >= np.linalg.norm(L, 2) - 1e-9


@pytest.mark.parametrize("n,N,T,p,seed", L_CASES)
def test_alpha_times_block_is_L(n, N, T, p, seed):
    _check_L(n, N, T, p, seed)


#: Amplitude below which the local simulator drops a basis state (measured: 5e-11 becomes 0).
SIMULATOR_PRUNING = 1e-10


def _check_L_loading(n, N, loading, symmetric, block=None):
    # fresh random instance per run (no seed): the dense tables must encode whatever F's they are given
    qm = random_symmetric_qmap(n) if symmetric else random_qmap(n, int(np.random.default_rng().integers(1 << 30)))
    s = discrete_carleman(qm, N)
    T, p = 2, 1
    enc = kronecker_encoding(s, T, p, loading=loading, qroam_block=block)
    assert enc.f2.mirrored == (symmetric and loading != "records")
    assert enc.f1.loading == loading and enc.f2.loading == (loading if enc.f2.mirrored else "records")
    L = padded_tstep_matrix(s, T, p).toarray()
    # the simulator drops amplitudes below ~1e-10 (DEFAULT_ANGLE_BITS' note), and a column's entry L_ij reaches the dump
    # as L_ij/α, divided by √(2^m) in the Choi dump: a random instance can hold an entry of L under that resolution
    # (measured: L_ij = −4.5e-9 at α = 10.9, m = 7, read as 0)
    if N == 3 and n >= 3:  # the full Choi dump is too large: sampled columns
        cols = _valid_columns(enc, np.random.default_rng(), 3)
        err = max(np.max(np.abs(enc.alpha * kronecker_column(enc, c) - L[:, c])) for c in cols)
        resolution = SIMULATOR_PRUNING * enc.alpha
    else:
        B, stored = kronecker_block(enc)
        err = np.max(np.abs(enc.alpha * B - L))
        assert stored == _nnz(qm)
        resolution = SIMULATOR_PRUNING * enc.alpha * np.sqrt(2.0**enc.num_system)
    assert err < max(1e-10, resolution)


LOADING_CASES = [(2, 2, "qrom", True, None), (2, 3, "selectswap", True, 2), (3, 2, "selectswap", False, 2),
                 (3, 2, "qrom", True, None)]


@pytest.mark.parametrize("n,N,loading,symmetric,block", LOADING_CASES)
def test_alpha_times_block_is_L_for_each_loading(n, N, loading, symmetric, block):
    _check_L_loading(n, N, loading, symmetric, block)


@pytest.mark.slow
@pytest.mark.parametrize("symmetric", [True, False])
@pytest.mark.parametrize("loading,block", [("qrom", None), ("selectswap", 2), ("selectswap", None), ("records", None)])
@pytest.mark.parametrize("n,N", [(2, 2), (3, 2), (4, 2), (2, 3), (3, 3), (4, 3)])
def test_alpha_times_block_is_L_for_each_loading_grid(n, N, loading, block, symmetric):
    _check_L_loading(n, N, loading, symmetric, block)


def test_mirrored_F2_alpha():
    # the mirrored F2 reads column (a, b) over row a's S records: α_2 = S·max|F2| (S = the largest row count)
    qm = random_symmetric_qmap(3, 5)
    enc = kronecker_encoding(discrete_carleman(qm, 2), 2, 1, loading="qrom")
    F2 = qm.F2.toarray()
    S = np.max(np.count_nonzero(F2, axis=1))
    assert enc.alpha_factors["F2"] == pytest.approx(S * np.max(np.abs(F2)), rel=1e-12)
    rec = kronecker_encoding(discrete_carleman(qm, 2), 2, 1, loading="records")
    assert not rec.f2.mirrored and rec.angle_register == 0 and enc.angle_register == enc.angle_bits
    # F2 = −(η/2)∇³L of a loss has the symmetry; a random F2 has not
    assert kronecker_encoding(_toy(3, 2), 2, 1, loading="qrom").f2.mirrored
    assert not kronecker_encoding(discrete_carleman(random_qmap(3, 5), 2), 2, 1, loading="qrom").f2.mirrored


def test_alpha_closed_form_N2():
    qm = random_qmap(3, 21)
    enc = kronecker_encoding(discrete_carleman(qm, 2), 2, 1)
    F1, F2 = qm.F1.toarray(), qm.F2.toarray()

    def split(A):  # √(max row count · max column count) · max|A|
        return math.sqrt(np.max(np.count_nonzero(A, axis=1)) * np.max(np.count_nonzero(A, axis=0))) * np.max(np.abs(A))

    a0, a1, a2 = np.linalg.norm(qm.F0), split(F1), split(F2)
    g = 1.0 + a1
    # input level 1: G1, F0⊗G1, G1⊗F0; input level 2: F2, G1⊗G1, F0⊗F2, F2⊗F0; output levels likewise
    want = max(g * (1 + 2 * a0), a2 + g * g + 2 * a0 * a2, g + a2, 2 * a0 * g + g * g + 2 * a0 * a2)
    assert enc.alpha_M == pytest.approx(want, rel=1e-12)
    assert enc.num_terms == 13  # j = 1: I, F1, F2; j = 2: 2·2 (F0 with I/F1), 4 (I/F1 ⊗ I/F1), 2 (F0 with F2)


def test_stored_data_does_not_grow_with_n_T_or_N():
    qm = random_qmap(3, 22)
    e1 = kronecker_encoding(discrete_carleman(qm, 1), 2, 1)
    e2 = kronecker_encoding(discrete_carleman(qm, 3), 16, 15)
    assert e1.stored_entries == e2.stored_entries == _nnz(qm)
    e3 = kronecker_encoding(discrete_carleman(random_qmap(4, 23), 3), 3, 0)

    def term_amplitudes(e):  # counted in the arguments the Q# program receives
        q = e.to_qsharp()
        return np.size(q["TermAmplitudesIn"]) + np.size(q["TermAmplitudesOut"])

    # the same N: the same term amplitudes whatever n and T; fixed_angles counts them and L's two LCU angles
    assert term_amplitudes(e2) == term_amplitudes(e3) == e2.fixed_angles - 2 == e3.fixed_angles - 2


def test_bad_input():
    qm = random_qmap(2, 23)
    with pytest.raises(ValueError, match="discrete_carleman"):
        kronecker_encoding(euler_carleman(qm, 2, 0.1), 2, 1)
    with pytest.raises(TypeError, match="CarlemanSystem"):
        kronecker_encoding(qm, 2, 1)
    with pytest.raises(ValueError, match="angle_bits"):
        kronecker_encoding(discrete_carleman(qm, 2), 2, 1, angle_bits=1)
    with pytest.raises(ValueError, match="loading"):
        kronecker_encoding(discrete_carleman(qm, 2), 2, 1, loading="qram")
    with pytest.raises(ValueError, match="which"):
        kronecker_block(kronecker_encoding(discrete_carleman(qm, 1), 1, 0), which="X")


def _toy(n=2, N=2):
    return discrete_carleman(gd_map(toy_cubic(n, seed=1), 0.2, 0.1 * np.ones(n)), N)


def test_qsvt_solve_small():
    s = _toy(2, 1)
    u = np.array([-0.2, 0.3])
    r = kronecker_solve(s, u, 2, 1, epsilon=0.05, amplify=False)
    assert r.fidelity_carleman >= 0.99
    assert r.calls_counted_by_qsharp and r.block_encoding_calls == r.degree  # the Q# program's count vs the plan
    uc = solve_history(s, u, 2, 1).u_final
    assert abs(np.vdot(uc / np.linalg.norm(uc), r.state)) ** 2 >= 0.99


@pytest.mark.slow
def test_qsvt_solve_toy_amplified():
    s = _toy(2, 2)
    u = np.array([-0.2, 0.0])
    r = kronecker_solve(s, u, 4, 3, epsilon=0.01, amplify=True)
    assert r.fidelity_carleman >= 0.99
    assert r.amplified_success_probability > r.success_probability
    assert r.calls_counted_by_qsharp and r.block_encoding_calls == r.degree * r.amplification_length


# ----------------------------------------------------------------------------------------------- cost formulas


ESTIMATE_CASES = [(2, 2, 4, 3, 1, 40, "records", False, None), (3, 2, 4, 3, 1, 40, "records", False, None),
                  (4, 2, 4, 3, 2, 20, "records", False, None), (3, 1, 2, 1, 3, 40, "records", False, None),
                  (5, 2, 8, 7, 4, 24, "records", False, None), (2, 3, 2, 1, 5, 16, "records", False, None),
                  (2, 2, 4, 3, 1, 40, "qrom", False, None), (3, 2, 4, 3, 1, 16, "qrom", True, None),
                  (5, 2, 8, 7, 4, 24, "qrom", True, None), (3, 2, 4, 3, 1, 16, "selectswap", True, 2),
                  (4, 2, 2, 1, 2, 20, "selectswap", True, None), (2, 3, 2, 1, 5, 16, "selectswap", False, 4),
                  (6, 2, 2, 1, 6, 12, "selectswap", True, 4)]


@pytest.mark.parametrize("n,N,T,p,seed,bits,loading,symmetric,block", ESTIMATE_CASES)
def test_call_cost_equals_traced_counts(n, N, T, p, seed, bits, loading, symmetric, block):
    from pyqgd.estimate.kronecker import kronecker_call_cost
    from pyqgd.estimate.validation import COMPARED_FIELDS
    from pyqgd.quantum._context import get_context

    qm = random_symmetric_qmap(n, seed) if symmetric else random_qmap(n, seed)
    enc = kronecker_encoding(discrete_carleman(qm, N), T, p, angle_bits=bits, loading=loading, qroam_block=block)
    ctx = get_context()
    traced = dict(ctx.logical_counts(ctx.code.Carleman.Kronecker.TraceKroneckerBlockEncoding, enc.to_qsharp()))
    f = kronecker_call_cost(enc).traced_view()
    for k in COMPARED_FIELDS:
        if k == "rotationDepth":
            assert abs(f[k] - traced[k]) <= 0.02 * traced[k]
        elif k == "numQubits":
            # the tracer's peak (it replays a library Select of a table size it has traced without its scratch);
            # the circuit's own peak is qubits_allocated, never below it
            assert f[k] == traced[k], (f[k], traced[k])
            assert kronecker_call_cost(enc).qubits_allocated >= f[k]
        else:
            assert f[k] == traced.get(k, 0), k
    # the record part is most of the Toffolis once F has more than a handful of nonzeros
    assert traced["cczCount"] > 0


def test_record_lookup_rule_on_a_lone_lookup():
    # one uncontrolled sparse QROM on a-bit addresses: per record with a nonzero word one comparison, an AND chain of
    # a − 1 Toffolis computed and uncomputed (inside the encoding the gate qubit adds a control: record_lookups' 1 + a)
    from pyqgd.quantum._context import get_context

    ctx = get_context()
    keys, words = [1, 5, 6, 9, 12], [3, 7, 0, 1, 2]
    c = dict(ctx.logical_counts(ctx.code.Carleman.Kronecker.TraceSparseLookup, keys, words, 4, 3))
    assert c["cczCount"] == 4 * 2 * (4 - 1)


def test_paper_instance_model():
    from pyqgd.estimate.kronecker import kronecker_alpha, kronecker_block_encoding_cost

    c = kronecker_block_encoding_cost(7_000_000, 8, 2, T=1000, loading="records")
    assert c.stored_entries == 7_000_000 * (8 + 64)
    g = 1.0 + 1.0
    assert c.alpha == pytest.approx(1.0 + max(g, 0.5 + g * g, g + 0.5, g * g))  # F0 = 0: α_M = α_G1² + α_2
    assert c.cost.toffoli_count > 7_000_000 * 72 * 4  # every record compared in four lookups
    assert kronecker_alpha(2, 0.1, 0.5, 0.2) < kronecker_alpha(3, 0.1, 0.5, 0.2)
    from pyqgd.estimate.errors import EstimateInputError

    with pytest.raises(EstimateInputError, match="qrom"):
        kronecker_block_encoding_cost(1000, 4, 2, T=10, loading="qram")


def test_paper_instance_dense_tables():
    from pyqgd.estimate.kronecker import kronecker_block_encoding_cost
    from pyqgd.estimate.loading import qroam_read_cost, qrom_read_cost
    from pyqgd.quantum.lookups import qroam_blocks

    n, s, b = 7_000_000, 8, 16
    rec = kronecker_block_encoding_cost(n, s, 2, T=1000, loading="records")
    qrom = kronecker_block_encoding_cost(n, s, 2, T=1000, loading="qrom")
    qroam = kronecker_block_encoding_cost(n, s, 2, T=1000, loading="selectswap")
    assert qroam.cost.toffoli_count <= 2e6 < qrom.cost.toffoli_count < rec.cost.toffoli_count
    # the reads dominate: F1's two tables (2^(23+3) words) at two slots and F2's mirrored two (2^(23+6) words) at one
    w, lc, lr = 23, 6, 6
    reads = 0
    for a, widths, ops in ((w + 3, (w + lr + b, w + lc + b), 2), (w + 6, (2 * w + lr + b, w + lc + b), 1)):
        reads += ops * sum(qrom_read_cost(a, x).ccz_count for x in widths)
    assert 0.99 < reads / qrom.cost.toffoli_count <= 1.0
    reads = 0
    for a, widths, ops in ((w + 3, (w + lr + b, w + lc + b), 2), (w + 6, (2 * w + lr + b, w + lc + b), 1)):
        reads += ops * sum(qroam_read_cost(a, x, *qroam_blocks(a, x)).ccz_count for x in widths)
    assert 0.9 < reads / qroam.cost.toffoli_count <= 1.0
    # QROAM trades Toffolis for qubits: the λ·w blocks dominate its peak; a cap on them is honoured
    assert qroam.cost.num_qubits > 10 * qrom.cost.num_qubits
    capped = kronecker_block_encoding_cost(n, s, 2, T=1000, loading="selectswap", max_extra_qubits=20_000)
    assert capped.cost.num_qubits < qroam.cost.num_qubits and capped.cost.toffoli_count > qroam.cost.toffoli_count
    # the mirrored F2 (α_2 = s_F2·max|F2|) raises α_L over the record path's √(s_r s_c)·max|F2|
    assert qroam.alpha == qrom.alpha > rec.alpha


@pytest.mark.parametrize("loading", ["qrom", "selectswap"])
def test_model_equals_the_traced_call_on_a_regular_instance(loading):
    # an instance with the model's structure (every F1 row and column s-sparse, F2 ∇³L-symmetric with S per row):
    # the model-scale cost from sizes equals the QDK trace of the built call, and α_L the built one
    from pyqgd.estimate.kronecker import kronecker_block_encoding_cost
    from pyqgd.quantum._context import get_context

    n, T, p, b = 4, 4, 3, 16
    F1 = np.zeros((n, n))
    Tn = np.zeros((n, n, n))
    for i in range(n):
        j = (i + 1) % n
        F1[i, i], F1[i, j], F1[j, i] = 0.3, 0.2, 0.2
        for q in ((i, i, j), (i, j, i), (j, i, i)):
            Tn[q] = 0.05 * (i + 1)
    qm = QuadraticMap(np.zeros(n), sp.csr_matrix(F1), sp.csr_matrix(Tn.reshape(n, n * n)))
    enc = kronecker_encoding(discrete_carleman(qm, 2), T, p, angle_bits=b, loading=loading)
    s, S = enc.f1.row_sparsity, enc.f2.row_sparsity
    assert enc.f2.mirrored and enc.f1.column_sparsity == s
    model = kronecker_block_encoding_cost(n, s, 2, T=T, p=p, s_F2=S, angle_bits=b, loading=loading,
                                          f1_alpha=enc.alpha_factors["F1"],
                                          f2_alpha=enc.alpha_factors["F2"] / math.sqrt(S / s))
    ctx = get_context()
    traced = dict(ctx.logical_counts(ctx.code.Carleman.Kronecker.TraceKroneckerBlockEncoding, enc.to_qsharp()))
    f = model.cost.traced_view()
    for k in ("cczCount", "tCount", "rotationCount", "measurementCount"):
        assert f[k] == traced[k], k
    assert f["numQubits"] == traced["numQubits"]
    assert model.alpha == pytest.approx(enc.alpha, rel=1e-12)
