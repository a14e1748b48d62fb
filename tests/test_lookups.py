"""Dense table lookups of ``qsharp_src/src/Oracles/Qroam.qs`` (QROM by unary iteration, QROAM with and without the
measurement-based clean-up): each as a Q# unitary against a permutation matrix built by numpy from fresh random
tables, and the closed-form costs of ``pyqgd.estimate.loading`` against the QDK tracer and the published formulas."""

import os

import numpy as np
import pytest

os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")

from pyqgd.estimate.errors import EstimateInputError  # noqa: E402
from pyqgd.estimate.loading import qroam_blocks, qroam_read_cost, qrom_read_cost  # noqa: E402
from pyqgd.quantum._context import get_context  # noqa: E402

QROM, QROAM_MEASURED, QROAM_UNITARY = 1, 2, 3


def _lookup_unitary(loading, words, a, w, lam, fix, gated):
    ctx = get_context()
    res = ctx.run(ctx.code.Oracles.Qroam.DumpLookupUnitary, 1, loading, [int(x) for x in words], a, w, lam, fix, gated,
                  save_events=True)[0]
    d = [e.state_dump() for e in res["events"] if e.is_state_dump()][-1]
    n = a + w
    U = np.zeros((2**n, 2**n), dtype=complex)
    for k, amp in d.get_dict().items():
        k = int(k) & (4**n - 1)  # drop the control qubit (most significant)
        U[k >> n, k & (2**n - 1)] = complex(amp)
    return U * np.sqrt(2**n)


def _xor_table(words, a, w):
    """|x>|t> → |x>|t ⊕ words[x]> with the address register first (big-endian)."""
    P = np.zeros((2 ** (a + w),) * 2)
    for x in range(2**a):
        for t in range(2**w):
            P[(x << w) | (t ^ int(words[x])), (x << w) | t] = 1.0
    return P


CASES = [(QROM, 3, 2, 1, 1), (QROM, 2, 3, 1, 1), (QROAM_MEASURED, 3, 2, 2, 2), (QROAM_MEASURED, 3, 2, 4, 4),
         (QROAM_MEASURED, 2, 3, 1, 2), (QROAM_MEASURED, 3, 1, 8, 1), (QROAM_UNITARY, 3, 2, 2, 2),
         (QROAM_UNITARY, 3, 2, 4, 1)]


@pytest.mark.parametrize("gated", [False, True])
@pytest.mark.parametrize("loading,a,w,lam,fix", CASES)
def test_lookup_is_the_xor_permutation(loading, a, w, lam, fix, gated):
    # fresh random table per run: the measured clean-up must restore every phase whatever the outcomes
    rng = np.random.default_rng()
    words = rng.integers(0, 2**w, size=2**a)
    U = _lookup_unitary(loading, words, a, w, lam, fix, gated)
    assert np.max(np.abs(U - _xor_table(words, a, w))) < 1e-10


def _traced(op, *args):
    ctx = get_context()
    return dict(ctx.logical_counts(op, *args))


@pytest.mark.parametrize("a,w,k", [(3, 2, 0), (3, 2, 1), (5, 4, 1), (6, 3, 1)])
def test_qrom_cost_equals_trace(a, w, k):
    c = _traced(get_context().code.Oracles.Qroam.TraceQromRead, a, w, k)
    f = qrom_read_cost(a, w, k)
    assert (c["cczCount"], c["measurementCount"], c["tCount"], c["rotationCount"]) == (f.ccz_count,
                                                                                     f.measurement_count, 0, 0)
    assert c["numQubits"] == k + a + w + f.num_qubits == k + a + w + f.qubits_allocated
    # Babbush et al. 2018: a unary-iteration read of L entries costs L − 1 Toffolis (here E − 2 + k)
    assert f.ccz_count == 2**a - 2 + k


QROAM_SIZES = [(3, 2, 2, 2, True, 0), (3, 2, 2, 2, True, 1), (5, 3, 4, 4, True, 1), (6, 3, 8, 4, True, 1),
               (6, 3, 8, 4, False, 1), (6, 3, 1, 8, True, 1), (6, 2, 64, 8, True, 1), (4, 2, 2, 1, True, 1),
               (7, 5, 8, 8, True, 1), (6, 2, 4, 16, True, 1), (8, 3, 2, 8, True, 0), (5, 2, 32, 2, False, 1)]


@pytest.mark.parametrize("a,w,lam,fix,measured,k", QROAM_SIZES)
def test_qroam_cost_equals_trace(a, w, lam, fix, measured, k):
    c = _traced(get_context().code.Oracles.Qroam.TraceQroamRead, a, w, lam, fix, measured, k)
    f = qroam_read_cost(a, w, lam, fix, controls=k, measured=measured)
    assert (c["cczCount"], c["measurementCount"], c["tCount"], c["rotationCount"]) == (f.ccz_count,
                                                                                     f.measurement_count, 0, 0)
    base = k + a + w
    # num_qubits: the tracer's peak (it replays a Select of a table size it has traced without its scratch);
    # qubits_allocated: what the circuit holds, the block register always live at once
    assert c["numQubits"] == base + f.num_qubits
    assert lam * w <= f.num_qubits <= f.qubits_allocated


@pytest.mark.parametrize("a,w", [(20, 40), (26, 42), (29, 68)])
def test_qroam_leading_terms_are_the_published_ones(a, w):
    # LKS Thm 1 / Berry et al. 2019 App. B: a clean read costs ⌈E/λ⌉ + (λ − 1)·w Toffolis (+ the k·w copy), and its
    # measurement-based clean-up ⌈E/λ′⌉ + λ′ (App. C; the one-hot register computed and cleared: 2λ′ here)
    E = 2**a
    lam, fix = qroam_blocks(a, w)
    f = qroam_read_cost(a, w, lam, fix)
    published = E // lam + (lam - 1) * w + w + E // fix + 2 * fix
    assert 0 <= published - f.ccz_count <= 8  # the three Selects each save 2 (E − 2, not E)
    assert lam * w <= f.num_qubits <= lam * w + a
    # λ ≈ √(E/w) and λ′ ≈ √(E/2) within a factor 2 (powers of two)
    assert 0.5 <= lam / np.sqrt(E / w) <= 2 and 0.5 <= fix / np.sqrt(E / 2) <= 2
    # far below the E − 2 of a plain unary-iteration read
    assert f.ccz_count < 0.02 * qrom_read_cost(a, w).ccz_count


def test_qroam_space_cap_and_bad_input():
    lam, _ = qroam_blocks(26, 42, max_extra_qubits=10_000)
    assert lam * 42 <= 10_000
    with pytest.raises(EstimateInputError, match="power of two"):
        qroam_read_cost(6, 3, 3, 4)
    with pytest.raises(EstimateInputError, match="controls"):
        qroam_read_cost(6, 3, 4, 4, controls=2)
