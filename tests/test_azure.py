"""Azure Quantum path: QIR compilation of the linear solver and of the Carleman GD solver, their equivalence with the
simulator, QIR inspected with pyqir, post-selection, and the submission error paths.

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
from pyqgd.quantum.azure import (  # noqa: E402
    AzureRunResult,
    AzureWorkspaceRequired,
    QirProgram,
    compile_carleman_qir,
    compile_qir,
    postselect,
    qir_stats,
    submit,
)

M2 = np.array([[1.0, 0.3], [0.2, -0.8]])
B2 = np.array([1.0, 0.5])


@pytest.fixture(scope="module")
def base_program():
    return compile_qir(M2, B2)


def _qis_calls(program):
    return sum(v for k, v in qir_stats(program).items() if k.startswith("qis."))


def test_qsvt_solve_compiles_to_base_profile_qir(base_program):
    p = base_program
    qir = p.qir
    assert str(p) == qir and p.entry == "Azure.Entry.QsvtSolveMeasured" and p.profile == "base"
    assert p.entry_point == "ENTRYPOINT__main" and f"@{p.entry_point}()" in qir
    assert '"qir_profiles"="base_profile"' in qir
    stats = qir_stats(p)  # read with pyqir
    assert {"qis.h", "qis.cx", "qis.rz", "qis.rzz", "qis.m"} <= set(stats), stats  # Ry arrives as rz in a basis change
    m = 1
    assert stats["qis.m"] == 3 + 2 * m  # every qubit measured once
    assert stats["branches"] == 0  # base profile: no classical branching on measurement results
    assert p.system_qubits == m and p.success_prefix == 3 + m and p.num_results == 3 + 2 * m
    assert stats["rt.result_record_output"] == p.num_results
    assert p.num_qubits >= 2 + (m + 1) + m
    assert p.details["degree"] % 2 == 1 and p.details["block_encoding_calls"] == p.details["degree"]
    assert 0 < p.expected_success_probability <= 1 and np.isclose(p.expected_probabilities.sum(), 1.0)
    # an ε = 0.1 polynomial: the ideal output is close to numpy's solution, not equal to it
    assert np.abs(p.expected_probabilities - p.details["classical_probabilities"]).max() < 0.1
    r = repr(p)
    assert len(r) < 300 and "KiB" in r and "\n" not in r  # never the QIR text itself


def test_adaptive_profile_and_block_encoding_program():
    adaptive = compile_qir(M2, B2, profile="adaptive_ri")
    assert '"qir_profiles"="adaptive_profile"' in adaptive.qir
    base = compile_qir(M2, B2, profile="base")
    # adaptive: the table lookups uncompute with mid-circuit measurements, far fewer gates than in base
    assert _qis_calls(adaptive) < _qis_calls(base) and qir_stats(adaptive)["branches"] > 0
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


# ---------------------------------------------------------------- the Carleman GD solver


def _carleman_system(N=1):
    from pyqgd.carleman import discrete_carleman
    from pyqgd.dynamics import gd_map, toy_cubic

    return discrete_carleman(gd_map(toy_cubic(2, seed=0, cubic=0.5), 0.3, np.zeros(2)), N)


U_IN = np.array([0.1, -0.05])


@pytest.fixture(scope="module")
def carleman_program():
    return compile_carleman_qir(_carleman_system(), U_IN, T=1, p=0)


def test_carleman_solver_compiles_and_its_state_is_the_simulators(carleman_program):
    """The compiled entry (direct calls) prepares the same state as Carleman.HistoryState.CarlemanQsvtSolve, and the
    program's predicted shot statistics are those of that simulated state."""
    from pyqgd.quantum import inverse_polynomial, qsvt_angles
    from pyqgd.quantum.structured_oracles import carleman_oracle_data, history_rhs

    prog = carleman_program
    assert prog.entry == "Azure.Entry.CarlemanSolveMeasured" and prog.profile == "adaptive_ri"
    stats = qir_stats(prog)
    m = prog.system_qubits
    assert stats["rt.result_record_output"] == prog.success_prefix + m == 3 + 2 * m
    assert stats["branches"] > 0 and stats["qis.mresetz"] >= 3 + 2 * m  # adaptive: measurement-based uncomputation
    system = _carleman_system()
    data = carleman_oracle_data(system, 1, 0, angle_bits=prog.details["angle_bits"])
    rhs = history_rhs(system, U_IN, 1, 0)
    phases = qsvt_angles(inverse_polynomial(prog.details["kappa"], prog.details["epsilon"])).phases.tolist()
    assert len(phases) == prog.details["degree"] + 1
    ctx = get_context()
    nq = 2 + 2 * m + 1
    ref, _ = run_and_dump(ctx.code.Carleman.HistoryState.CarlemanQsvtSolve, data.to_qsharp(), phases, rhs.qsharp, [], [],
                          num_qubits=nq)
    direct, _ = run_and_dump(ctx.code.Azure.Entry.CarlemanSolveDirectState, data.to_qsharp(), phases, rhs.qsharp,
                             num_qubits=nq)
    assert np.abs(ref - direct).max() < 1e-10
    sys_amps = direct[: 2**m]  # every ancilla |0⟩ (most significant qubits)
    good = prog.outcome_map >= 0
    p_sim = float(np.sum(np.abs(sys_amps[good]) ** 2))
    assert p_sim == pytest.approx(prog.expected_success_probability, rel=1e-6)
    sim_probs = np.bincount(prog.outcome_map[good], weights=np.abs(sys_amps[good]) ** 2, minlength=prog.n) / p_sim
    assert np.allclose(sim_probs, prog.expected_probabilities, atol=1e-8)
    # and the ideal output approximates the Carleman solution (ε = 0.3 polynomial)
    assert np.abs(prog.expected_probabilities - prog.details["carleman_probabilities"]).max() < 0.15


def test_carleman_postselect_uses_the_final_window(carleman_program):
    prog = carleman_program
    m, pre = prog.system_qubits, prog.success_prefix
    good = np.flatnonzero(prog.outcome_map >= 0)
    bad = np.flatnonzero(prog.outcome_map < 0)

    def shot(k, ok=True):
        return [0 if ok else 1] + [0] * (pre - 1) + [int(c) for c in format(int(k), f"0{m}b")]

    shots = [shot(good[0])] * 3 + [shot(good[1])] + [shot(bad[0])] * 4 + [shot(good[0], ok=False)] * 2
    frac, probs, ok = postselect(prog, shots)
    out0, out1 = prog.outcome_map[good[0]], prog.outcome_map[good[1]]
    assert ok == 4 and frac == 0.4
    assert probs[out0] == pytest.approx(0.75 if out0 != out1 else 1.0)


def test_carleman_compile_rejects_bad_input_and_oversized_instances():
    system = _carleman_system()
    with pytest.raises(TypeError, match="CarlemanSystem"):
        compile_carleman_qir(np.eye(2), U_IN, T=1)
    with pytest.raises(ValueError, match="length n = 2"):
        compile_carleman_qir(system, [0.1], T=1)
    with pytest.raises(ValueError):
        compile_carleman_qir(system, U_IN, T=0)
    with pytest.raises(ValueError, match="epsilon"):
        compile_carleman_qir(system, U_IN, T=1, epsilon=1.5)
    with pytest.raises(ValueError, match="profile"):
        compile_carleman_qir(system, U_IN, T=1, profile="unrestricted")
    with pytest.raises(TooLargeError, match="system qubits"):
        compile_carleman_qir(system, U_IN, T=8, p=8)
    with pytest.raises(TooLargeError, match="GB of memory"):  # N = 2: QIR generation would need many GB
        compile_carleman_qir(_carleman_system(N=2), U_IN, T=1, max_degree=41)


# ---------------------------------------------------------------- submission: error paths, no network


class _StubJob:
    id = "job-1"

    def __init__(self, shots):
        self._shots = shots
        self.waited = False

    def wait_until_completed(self, timeout_secs=None):
        self.waited = True

    def get_results_shots(self):
        return self._shots


class _StubTarget:
    def __init__(self, shots):
        self.calls = []
        self.shots = shots

    def submit(self, input_data, name, shots=None, input_params=None):
        self.calls.append((input_data, name, shots, input_params))
        return _StubJob(self.shots)


class _StubWorkspace:
    def __init__(self, available=True, shots=()):
        self.target = _StubTarget(list(shots)) if available else None
        self.asked = []

    def get_targets(self, name=None):
        self.asked.append(name)
        return self.target


RID = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Quantum/Workspaces/ws"


@pytest.fixture
def no_azure(monkeypatch):
    """Make ``import azure.quantum`` fail, as when the optional extra is not installed."""
    monkeypatch.setitem(sys.modules, "azure.quantum", None)


def test_submit_without_workspace_raises_and_imports_nothing(base_program, no_azure):
    with pytest.raises(AzureWorkspaceRequired, match="resource_id=") as err:
        submit(base_program, target="quantinuum.sim.h2-1e")
    msg = str(err.value)
    assert "never creates one" in msg and "az login" in msg and "pip install 'pyqgd[azure]'" in msg
    assert msg.index("resource_id") < msg.index("connection_string")  # the CLI-login path comes first
    assert isinstance(err.value, ValueError)


def test_submit_with_a_workspace_address_but_no_package(base_program, no_azure):
    with pytest.raises(ImportError, match=re.escape("pip install 'pyqgd[azure]'")):
        submit(base_program, resource_id=RID, location="westeurope", target="quantinuum.sim.h2-1e")
    with pytest.raises(ImportError, match=re.escape("pip install 'pyqgd[azure]'")):
        submit(base_program, connection_string="SubscriptionId=x;ResourceGroupName=rg;WorkspaceName=ws;ApiKey=k;",
               target="quantinuum.sim.h2-1e")


def test_submit_argument_errors(base_program, no_azure):
    ws = _StubWorkspace()
    with pytest.raises(ValueError, match="not workspace and connection_string"):
        submit(base_program, workspace=ws, connection_string="x", target="t")
    with pytest.raises(ValueError, match="not workspace and resource_id"):
        submit(base_program, workspace=ws, resource_id=RID, location="westeurope", target="t")
    with pytest.raises(TypeError, match="QirProgram"):
        submit(base_program.qir, workspace=ws, target="t")
    with pytest.raises(ValueError):
        submit(base_program, workspace=ws, shots=0, target="t")
    with pytest.raises(ValueError, match="non-empty"):
        submit(base_program, connection_string="  ", target="t")
    with pytest.raises(ValueError, match="Microsoft.Quantum/Workspaces"):
        submit(base_program, resource_id="my-workspace", location="westeurope", target="t")
    with pytest.raises(ValueError, match="location"):
        submit(base_program, resource_id=RID, target="t")
    with pytest.raises(TypeError, match="Workspace"):
        submit(base_program, workspace=object(), target="t")
    with pytest.raises(ValueError, match="name the Azure Quantum target"):
        submit(base_program, workspace=ws)
    with pytest.raises(ValueError, match="not available"):
        submit(base_program, workspace=_StubWorkspace(available=False), target="no.such.target")
    assert ws.asked == []  # nothing reached the workspace


def test_submit_returns_post_selected_shots(base_program):
    m = base_program.system_qubits
    ok0 = [0] * base_program.success_prefix + [0] * m
    ok1 = [0] * base_program.success_prefix + [1] * m
    fail = [1] + [0] * (base_program.success_prefix - 1) + [0] * m
    ws = _StubWorkspace(shots=[tuple(ok0), tuple(ok1), tuple(ok1), tuple(fail)])
    res = submit(base_program, workspace=ws, target="quantinuum.sim.h2-1e", shots=4, name="pyqgd-test")
    assert isinstance(res, AzureRunResult) and ws.asked == ["quantinuum.sim.h2-1e"]
    (input_data, name, shots, params), = ws.target.calls
    assert input_data is base_program.qir_input and str(input_data) == base_program.qir
    assert name == "pyqgd-test" and shots == 4
    assert params == {"entryPoint": "ENTRYPOINT__main", "arguments": []}
    assert res.shots == 4 and res.accepted == 3 and res.success_fraction == 0.75 and res.job_id == "job-1"
    assert np.allclose(res.probabilities, [1 / 3, 2 / 3])
    assert res.expected_success_probability == base_program.expected_success_probability
    assert len(repr(res)) < 400
    job = submit(base_program, workspace=_StubWorkspace(shots=[ok0]), target="t", wait=False)
    assert isinstance(job, _StubJob) and not job.waited
