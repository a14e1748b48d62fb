"""The Q# sparse-access block-encoding against numpy: α·(top-left block of the Q# unitary) = M."""

import os

import numpy as np
import pytest
import scipy.sparse as sp

os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")

from pyqgd._checks import TooLargeError  # noqa: E402
from pyqgd.quantum import (  # noqa: E402
    block_encoding_block,
    block_encoding_columns,
    block_encoding_unitary,
    sparse_oracle_data,
)


def _random_sparse(shape, density, seed):
    rng = np.random.default_rng(seed)
    M = sp.random(*shape, density=density, random_state=rng, format="csr")
    M.data = rng.normal(size=M.nnz)
    if M.nnz == 0:
        M = sp.csr_matrix(([1.5], ([0], [shape[1] - 1])), shape=shape)
    return M


def _padded(M, N):
    A = np.zeros((N, N))
    A[: M.shape[0], : M.shape[1]] = M.toarray()
    return A


CASES = [
    ((2, 2), 0.75, 0),
    ((4, 4), 0.4, 1),  # non-Hermitian random
    ((4, 4), 1.0, 2),  # dense 4x4: s = 4
    ((3, 3), 0.6, 3),  # padded 3 -> 4
    ((8, 8), 0.3, 4),
    ((8, 8), 0.1, 5),
    ((5, 7), 0.4, 6),  # non-square, padded to 8 x 8
    ((16, 16), 0.15, 7),
]


@pytest.mark.parametrize("shape,density,seed", CASES)
def test_block_equals_matrix(shape, density, seed):
    M = _random_sparse(shape, density, seed)
    data = sparse_oracle_data(M)
    A = _padded(M, data.dim)
    B = block_encoding_block(data)
    # the circuit encodes the angle-rounded matrix exactly, and that is within the stated entry precision of M
    assert np.max(np.abs(data.alpha * B - data.quantized_matrix())) < 1e-10
    assert np.max(np.abs(data.quantized_matrix() - A)) <= data.entry_error_bound()
    assert np.max(np.abs(data.alpha * B - A)) < 1e-10
    # α = s·max|M| with s the larger of the row and column sparsities
    s = max(np.max(np.diff(sp.csr_matrix(A).indptr)), np.max(np.diff(sp.csc_matrix(A).indptr)))
    assert data.sparsity == s
    assert np.isclose(data.alpha, s * np.max(np.abs(M.data)))


def test_columns_are_orthonormal():
    data = sparse_oracle_data(_random_sparse((8, 8), 0.4, 11))
    C = block_encoding_columns(data)
    assert np.allclose(C.conj().T @ C, np.eye(data.dim), atol=1e-12)


def test_full_unitary_small():
    M = _random_sparse((4, 4), 0.5, 12)
    data = sparse_oracle_data(M)
    U = block_encoding_unitary(data)
    assert np.allclose(U.conj().T @ U, np.eye(len(U)), atol=1e-10)
    assert np.max(np.abs(data.alpha * U[:4, :4] - M.toarray())) < 1e-10


def test_fewer_angle_bits_gives_the_stated_precision():
    M = _random_sparse((4, 4), 0.6, 13)
    data = sparse_oracle_data(M, angle_bits=12)
    B = block_encoding_block(data)
    err = np.max(np.abs(data.alpha * B - M.toarray()))
    assert np.max(np.abs(data.alpha * B - data.quantized_matrix())) < 1e-12
    assert 1e-9 < err <= data.entry_error_bound()  # 12 bits are visibly coarse, and within the bound


def test_endianness_both_directions():
    # a permutation matrix P|j> = |j+1 mod 4> and a non-symmetric 2x2 read back in numpy's orientation
    P = sp.csr_matrix((np.ones(4), ([1, 2, 3, 0], [0, 1, 2, 3])), shape=(4, 4))
    B = block_encoding_block(sparse_oracle_data(P))
    assert np.allclose(B, P.toarray(), atol=1e-12)
    U = np.array([[0.0, 2.0], [0.5, 0.0]])  # upper-right entry is the big one
    data = sparse_oracle_data(U)
    assert np.allclose(data.alpha * block_encoding_block(data), U, atol=1e-12)


def test_carleman_tstep_matrix():
    carleman = pytest.importorskip("pyqgd.carleman")
    F0 = np.array([0.05, -0.02])
    F1 = np.array([[-0.3, 0.1], [0.05, -0.4]])
    F2 = np.zeros((2, 4))
    F2[0, 1] = 0.02
    F2[1, 3] = -0.03
    qm = carleman.QuadraticMap(F0, F1, F2)
    sysm = carleman.discrete_carleman(qm, 2)
    assert sysm.dim == 6
    L = carleman.tstep_matrix(sysm, 1, p=0)
    assert L.shape == (12, 12)
    data = sparse_oracle_data(L)
    assert data.num_system == 4
    B = block_encoding_block(data)
    assert np.max(np.abs(data.alpha * B - _padded(sp.csr_matrix(L), 16))) < 1e-10


def test_bad_input_is_rejected_before_qsharp():
    with pytest.raises(TooLargeError, match="qubits"):
        sparse_oracle_data(sp.identity(1000, format="csr"))
    with pytest.raises(ValueError, match="NaN"):
        sparse_oracle_data(np.array([[1.0, np.nan], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="zero matrix"):
        sparse_oracle_data(sp.csr_matrix((4, 4)))
    with pytest.raises(TypeError):
        sparse_oracle_data(np.array([[1.0 + 1j, 0.0], [0.0, 1.0]]))
    with pytest.raises(TypeError):
        sparse_oracle_data("not a matrix")
