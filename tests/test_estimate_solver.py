"""The whole T-step solver: Q#-traced logical counts of ``CarlemanQsvtSolve`` against ``ode_solver_cost``.

Two independent sources: ``qsharp.logical_counts`` of the built Q# program and the closed forms of
``pyqgd.estimate.circuit`` composed by ``ode_solver_cost``. Qubits, T, CCZ, rotations and measurements must be equal;
the rotation depth within 2 %.
"""

import os

import pytest

os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")

from pyqgd.estimate import OdeProblem, ode_solver_cost
from pyqgd.estimate.validation import EXACT_FIELDS, example_solver_instances, validate_solver


@pytest.fixture(scope="module")
def instances():
    return example_solver_instances()


def test_instances_cover_the_required_range(instances):
    assert len(instances) >= 6
    assert {i.n for i in instances} == {2, 3, 4} and {i.N for i in instances} == {1, 2}
    assert max(i.T for i in instances) == 16
    assert any(i.alphas for i in instances) and any(not i.alphas for i in instances)
    sparsities = {i.data["Sparsity"] for i in instances}
    assert any(s & (s - 1) for s in sparsities)  # a non-power-of-two sparsity (D_s by PreparePureStateD)


def test_whole_solver_trace_equals_ode_solver_cost(instances):
    for inst in instances:
        r = validate_solver(inst)
        assert r.agree, (inst.name, r.traced, r.formula)
        assert all(r.traced[k] == r.formula[k] for k in EXACT_FIELDS)
        assert r.depth_rel_err <= 0.02


def test_cached_whole_solver_trace_at_high_degree(instances):
    """The cached entry (RepeatEstimates over the QSVT and amplification loops) at the instances' own degrees."""
    for inst in instances:
        r = validate_solver(inst, cached=True)
        assert r.agree and r.rel_err == 0.0, (inst.name, r.traced, r.formula)


def test_model_mode_counts_value_independent_fields(instances):
    """ode_solver_cost without the instance (generic amplitudes and phases) from the instance's sizes, κ and amplitude:
    the value-independent fields (qubits, CCZ, measurements) equal the trace; the degree and rounds are the same."""
    amplified = [i for i in instances if i.alphas]
    assert len(amplified) >= 2
    for inst in amplified:
        exact = ode_solver_cost(inst.problem())
        kw = {"amplitude": inst.amplitude, "amplitude_method": inst.amplitude_method} if inst.amplitude > 0 else {}
        pr = OdeProblem(n=inst.n, s=1, N=inst.N, T=inst.T, p=inst.p, epsilon=inst.epsilon, angle_bits=inst.data["AngleBits"],
                        s_M=inst.data["Sparsity"] - 1, kappa=inst.kappa, delta_aa=0.3,
                        nnz_F0=inst.n if inst.rhs["HasConstant"] else 0, block_encoding="sparse", **kw)
        model = ode_solver_cost(pr)
        assert model.degree == exact.degree
        assert model.amplification_length == exact.amplification_length
        for k in ("num_qubits", "ccz_count", "measurement_count"):
            assert getattr(model.total, k) == getattr(exact.total, k), (inst.name, k)


def test_paper_instance_kernel_solve_calls():
    """Paper instance (n = 7e6, T = 1000, ε = δ = 1e-2, s = 8, N = 2, F0 = 0, ‖M‖ ≤ 1, q = 1): 'auto' takes the
    kernel-reflection history solve on the Kronecker encoding, ≤ 5e6 calls per run (the QSVT needs 5.3e7). Checked
    against the closed forms computed here: U = √(T+p+1) (docs/math.md Eq. 17), A = √(p+1)(1 − ε)/√2 (‖B‖ = √2 at
    ‖u_in‖ = 1, N = 2), degree 2⌈arccosh(4/ε_K − 1)/arccosh((1+κ⁻²)/(1−κ⁻²))⌉ with ε_K = ε·(A/U)/2."""
    import math

    from pyqgd.estimate import paper_problem

    c = ode_solver_cost(paper_problem(7_000_000, 1000, block_encoding="kronecker", solver="auto"))
    q = ode_solver_cost(paper_problem(7_000_000, 1000, block_encoding="kronecker", solver="qsvt"))
    assert c.solver == "kernel" and c.built
    assert c.block_encoding_calls <= 5e6 < q.block_encoding_calls
    a = math.sqrt(1001) * 0.99 / math.sqrt(2) / math.sqrt(2001)
    eps_k = 0.01 * a / 2
    k = c.kappa
    ell = math.ceil(math.acosh(4 / eps_k - 1) / math.acosh((1 + k**-2) / (1 - k**-2)))
    assert c.degree == 2 * ell
    assert c.kappa == pytest.approx(c.alpha * 2001)
