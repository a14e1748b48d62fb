"""Azure Quantum path: QIR compilation of the solver, its equivalence with the simulator bridge, and the error paths.

Never constructs an ``azure.quantum.Workspace`` and never contacts the network: submission is tested with a stub
workspace object, and the missing-package path by hiding ``azure.quantum``.
"""

import os
import re
import sys

import numpy as np
import pytest

os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")

from pyqgd._checks import TooLargeError  # noqa: E402
from pyqgd.quantum import DegreeTooLargeError, prepare_system  # noqa: E402
from pyqgd.quantum._context import get_context, run_and_dump  # noqa: E402
from pyqgd.quantum.azure import AzureWorkspaceRequired, QirProgram, compile_qir, postselect, submit  # noqa: E402

M2 = np.array([[1.0, 0.3], [0.2, -0.8]])
B2 = np.array([1.0, 0.5])


@pytest.fixture(scope="module")
def base_program():
    return compile_qir(M2, B2)


def _qis_calls(qir):
    return len(re.findall(r"call void @__quantum__qis__", qir))


def test_qsvt_solve_compiles_to_base_profile_qir(base_program):
    p = base_program
    qir = p.qir
    assert str(p) == qir and p.entry == "Azure.Entry.QsvtSolveMeasured" and p.profile == "base"
    assert re.search(rf"define \S+ @{p.entry_point}\(\) #0", qir) and p.entry_point == "ENTRYPOINT__main"
    assert '"entry_point"' in qir and '"qir_profiles"="base_profile"' in qir
    gates = set(re.findall(r"call void @__quantum__qis__(\w+)__body", qir))
    assert {"h", "cx", "rz", "rzz", "m"} <= gates, gates  # Ry rotations arrive as rz between basis changes
    assert len(re.findall(r"call void @__quantum__qis__m__body", qir)) == 3 + 2 * 1  # every qubit measured once
    assert "br i1" not in qir  # base profile: no classical branching on measurement results
    m = 1
    assert p.system_qubits == m and p.success_prefix == 3 + m and p.num_results == 3 + 2 * m
    assert qir.count("call void @__quantum__rt__result_record_output") == p.num_results
    assert p.num_qubits >= 2 + (m + 1) + m
    assert p.details["degree"] % 2 == 1 and p.details["block_encoding_calls"] == p.details["degree"]
    assert 0 < p.expected_success_probability <= 1 and np.isclose(p.expected_probabilities.sum(), 1.0)
    # an ε = 0.1 polynomial: the ideal output is close to numpy's solution, not equal to it
    assert np.abs(p.expected_probabilities - p.details["classical_probabilities"]).max() < 0.1


def test_adaptive_profile_and_block_encoding_program():
    adaptive = compile_qir(M2, B2, profile="adaptive_ri")
    assert '"qir_profiles"="adaptive_profile"' in adaptive.qir
    base = compile_qir(M2, B2, profile="base")
    # adaptive: the table lookups uncompute with mid-circuit measurements, far fewer gates than in base
    assert _qis_calls(adaptive.qir) < _qis_calls(base.qir)
    be = compile_qir(M2, B2, program="block_encoding")
    assert be.entry == "Azure.Entry.BlockEncodingMeasured" and be.num_results == 2 * 1 + 1 and be.success_prefix == 2
    # success amplitude of U|0>|b> is M b / α exactly (with the quantized entries)
    data, bp, _ = prepare_system(M2, B2, angle_bits=10)
    out = data.quantized_matrix() @ bp / data.alpha
    assert be.expected_success_probability == pytest.approx(out @ out)


def test_direct_entry_equals_the_simulator_bridge():
    """Azure/Entry.qs rebuilds the solver from direct calls: same state as Bridge.QsvtSolve, amplitude by amplitude."""
    from pyqgd.quantum import inverse_polynomial, qsvt_angles

    M = np.array([[1.0, 0.3, 0, 0], [0, -0.8, 0.2, 0], [0.4, 0, 0.9, 0.1], [0, 0, -0.3, 0.7]])
    b = np.array([0.3, -1.0, 0.5, 0.2])
    data, bp, _ = prepare_system(M, b, angle_bits=10)
    S = np.linalg.svd(data.quantized_matrix() / data.alpha, compute_uv=False)
    phases = qsvt_angles(inverse_polynomial(1.0001 / S.min(), 0.05)).phases.tolist()
    ctx = get_context()
    nq = 2 + 2 * data.num_system + 1
    bridge, _ = run_and_dump(ctx.code.Bridge.QsvtSolve, data.to_qsharp(), phases, bp.tolist(), num_qubits=nq)
    direct, _ = run_and_dump(ctx.code.Azure.Entry.QsvtSolveDirectState, data.to_qsharp(), phases, bp.tolist(), num_qubits=nq)
    assert np.abs(bridge - direct).max() < 1e-10
    assert np.linalg.norm(bridge[: data.dim]) > 0.1  # a non-trivial success branch


def test_measured_entry_shots_match_the_prediction(base_program):
    """The program that is compiled, run for shots on the local simulator and post-selected, samples what it predicts."""
    p = base_program
    data, bp, _ = prepare_system(M2, B2, angle_bits=10)
    from pyqgd.quantum import inverse_polynomial, qsvt_angles

    poly = inverse_polynomial(p.details["kappa"], p.details["epsilon"])
    phases = qsvt_angles(poly).phases.tolist()
    shots = 400
    results = get_context().run(get_context().code.Azure.Entry.QsvtSolveMeasured, shots, data.to_qsharp(), phases, bp.tolist())
    frac, probs, ok = postselect(p, results)
    ps = p.expected_success_probability
    assert abs(frac - ps) < 5 * np.sqrt(ps * (1 - ps) / shots)
    q = p.expected_probabilities[1]
    assert abs(probs[1] - q) < 5 * np.sqrt(q * (1 - q) / ok) + 1e-9


def test_postselect_reads_results():
    p = QirProgram(qir="", entry="", entry_point="", profile="base", num_qubits=5, num_results=5, success_prefix=3,
                   system_qubits=2, n=3, expected_success_probability=1.0, expected_probabilities=np.ones(3) / 3)
    frac, probs, ok = postselect(p, [[0, 0, 0, 1, 0], ["0", "0", "0", "0", "1"], [1, 0, 0, 0, 0], [0, 0, 0, 1, 0]])
    assert ok == 3 and frac == 0.75 and np.allclose(probs, [0, 1 / 3, 2 / 3])
    with pytest.raises(ValueError, match="5 results"):
        postselect(p, [[0, 0]])
    with pytest.raises(ValueError, match="no shots"):
        postselect(p, [])


def test_compile_rejects_bad_input_before_compiling():
    with pytest.raises(ValueError, match="profile"):
        compile_qir(M2, B2, profile="unrestricted")
    with pytest.raises(ValueError, match="program"):
        compile_qir(M2, B2, program="hhl")
    with pytest.raises(TypeError):
        compile_qir(M2.astype(complex), B2)
    with pytest.raises(TooLargeError):
        compile_qir(np.eye(16), np.ones(16))
    with pytest.raises(DegreeTooLargeError):
        compile_qir(np.diag([1.0, 0.01]), B2, epsilon=1e-3, max_degree=11)
    with pytest.raises(ValueError, match="kappa"):
        compile_qir(M2, B2, kappa=1.0)


# ---------------------------------------------------------------- submission: error paths, no network


class _StubTarget:
    def __init__(self):
        self.calls = []

    def submit(self, input_data, name, shots=None, input_params=None):
        self.calls.append((input_data, name, shots, input_params))
        return "job-handle"


class _StubWorkspace:
    def __init__(self, available=True):
        self.target = _StubTarget() if available else None
        self.asked = []

    def get_targets(self, name=None):
        self.asked.append(name)
        return self.target


@pytest.fixture
def no_azure(monkeypatch):
    """Make ``import azure.quantum`` fail, as when the optional extra is not installed."""
    monkeypatch.setitem(sys.modules, "azure.quantum", None)


def test_submit_without_workspace_raises_and_imports_nothing(base_program, no_azure):
    with pytest.raises(AzureWorkspaceRequired, match="connection_string=") as err:
        submit(base_program)
    assert "never creates one" in str(err.value) and "pip install 'pyqgd[azure]'" in str(err.value)
    assert isinstance(err.value, ValueError)


def test_submit_with_connection_string_but_no_package(base_program, no_azure):
    with pytest.raises(ImportError, match=re.escape("pip install 'pyqgd[azure]'")):
        submit(base_program, connection_string="SubscriptionId=x;ResourceGroupName=rg;WorkspaceName=ws;ApiKey=k;")


def test_submit_argument_errors(base_program):
    ws = _StubWorkspace()
    with pytest.raises(ValueError, match="not both"):
        submit(base_program, workspace=ws, connection_string="x")
    with pytest.raises(TypeError, match="QirProgram"):
        submit(base_program.qir, workspace=ws)
    with pytest.raises(ValueError):
        submit(base_program, workspace=ws, shots=0)
    with pytest.raises(ValueError, match="non-empty"):
        submit(base_program, connection_string="  ")
    with pytest.raises(TypeError, match="Workspace"):
        submit(base_program, workspace=object())
    with pytest.raises(ValueError, match="not available"):
        submit(base_program, workspace=_StubWorkspace(available=False), target="no.such.target")
    assert ws.asked == []  # nothing reached the workspace


def test_submit_passes_the_compiled_program_to_the_target(base_program):
    ws = _StubWorkspace()
    job = submit(base_program, workspace=ws, target="quantinuum.sim.h2-1e", shots=50, name="pyqgd-test")
    assert job == "job-handle" and ws.asked == ["quantinuum.sim.h2-1e"]
    (input_data, name, shots, params), = ws.target.calls
    assert input_data is base_program.qir_input and str(input_data) == base_program.qir
    assert name == "pyqgd-test" and shots == 50
    assert params == {"entryPoint": "ENTRYPOINT__main", "arguments": []}
