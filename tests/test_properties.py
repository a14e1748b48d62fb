"""Property-based tests (Hypothesis): any input to the public constructors and to the CLI's options either works or
raises pyqgd's clear error — a ValueError/TypeError that pyqgd raised on purpose (one of its error classes, or a
``raise`` in its own code: the CLI's definition of a user mistake) — within a time limit per example and without
growing the process's memory; never a raw numpy/scipy/QDK exception, an OverflowError, a MemoryError or a hang.

Bounded: a few hundred examples in all, well under 60 s in the default run (no Q# trace is reached: the cost cases
use the closed-form encodings, the CLI cases stop at validation or run the closed-form estimate).
"""

import math
import time

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from pyqgd._checks import as_memory_limit  # noqa: E402
from pyqgd.cli import UsageError, _is_user_error, main  # noqa: E402
from pyqgd.estimate import OdeProblem, ode_solver_cost  # noqa: E402
from pyqgd.limits import check_pipeline_arguments  # noqa: E402
from pyqgd.problem import GDProblem, QuadraticMap, SpectrumSummary  # noqa: E402

SECONDS = 5.0  # per example
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)


def _peak_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


@pytest.fixture(autouse=True)
def memory_ceiling():
    """The whole test (all its examples) raises the process's peak resident memory by less than 300 MB."""
    before = _peak_mb()
    yield
    assert _peak_mb() - before < 300


def works_or_clear_error(fn, *args, **kwargs):
    """Call fn; it must return or raise a clear pyqgd error, within SECONDS."""
    t = time.perf_counter()
    try:
        result = fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - classified below
        assert isinstance(exc, (ValueError, TypeError)) and _is_user_error(exc), \
            f"raw {type(exc).__name__}: {exc}"
        assert str(exc).strip(), "an error without a message"
        result = exc
    assert time.perf_counter() - t < SECONDS
    return result


# ---- values a user might pass -------------------------------------------------------------------------------------

floats = st.floats(allow_nan=True, allow_infinity=True, width=64)
ints = st.one_of(st.integers(-5, 50), st.integers(-(10**40), 10**40), st.sampled_from([0, 1, 2, 2**63, 10**30]))
scalars = st.one_of(ints, floats, st.booleans(), st.none(), st.text(max_size=4), st.just(1 + 2j))
rows = st.lists(st.one_of(floats, st.integers(-3, 3)), min_size=0, max_size=4)
matrices = st.one_of(st.lists(rows, min_size=0, max_size=4), scalars,
                     st.builds(lambda n, seed: np.random.default_rng(seed).normal(size=(n, n)), st.integers(0, 4),
                               st.integers(0, 9)))


@FAST
@given(F0=st.one_of(st.none(), rows, scalars), F1=matrices, F2=st.one_of(st.none(), matrices))
def test_quadratic_map_any_input(F0, F1, F2):
    qm = works_or_clear_error(QuadraticMap, F0, F1, F2)
    if isinstance(qm, QuadraticMap):
        assert not qm.F0.flags.writeable and not qm.F1.data.flags.writeable  # validated copies are read-only
        assert np.all(np.isfinite(qm.F1.data))


@FAST
@given(eta=scalars, g=st.one_of(rows, scalars), H=matrices, K=st.one_of(st.none(), matrices, rows))
def test_from_derivatives_any_input(eta, g, H, K):
    works_or_clear_error(QuadraticMap.from_derivatives, eta, g, H, K)


@FAST
@given(n=st.integers(1, 4), seed=st.integers(0, 99), eta=st.one_of(floats, st.sampled_from([0.1, 0.5])),
       T=ints, lam_shift=st.one_of(st.just(0.0), floats), ref_nan=st.booleans(), method=st.sampled_from(
           ["exact", "slq", "lanczos", "guess"]))
def test_gd_problem_any_input(n, seed, eta, T, lam_shift, ref_nan, method):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, n))
    H = A @ A.T + np.eye(n)
    eta_map = 0.1
    qm = QuadraticMap(np.zeros(n), -eta_map * H)
    u = rng.normal(size=n)
    ref = np.vstack([u, u])
    if ref_nan:
        ref[1, 0] = np.nan
    lam = np.linalg.eigvalsh(H) + lam_shift
    spec = works_or_clear_error(SpectrumSummary, lam, None, method)
    if isinstance(spec, SpectrumSummary):
        p = works_or_clear_error(GDProblem, qm, u, eta, T, spec, ref)
        if isinstance(p, GDProblem):
            # accepted only when consistent: the spectrum is that of −F1/η
            assert eta == pytest.approx(eta_map, rel=1e-6) or lam_shift == 0 or method != "exact"
            assert not ref_nan


@FAST
@given(n=ints, s=ints, N=ints, T=ints, epsilon=st.one_of(floats, scalars),
       be=st.sampled_from(["sparse", "f_tables_model", "bogus"]), max_entry=st.one_of(floats, st.just(1e300)),
       s_F2=st.one_of(st.none(), ints), nnz_F0=st.one_of(st.just(0), ints))
def test_ode_problem_and_its_cost_any_input(n, s, N, T, epsilon, be, max_entry, s_F2, nnz_F0):
    p = works_or_clear_error(OdeProblem, n=n, s=s, N=N, T=T, epsilon=epsilon, block_encoding=be,
                             max_entry=max_entry, s_F2=s_F2, nnz_F0=nnz_F0, norm_F0=1.0)
    if isinstance(p, OdeProblem):
        cost = works_or_clear_error(ode_solver_cost, p)
        if not isinstance(cost, Exception):
            assert cost.degree >= 1 and cost.total.ccz_count >= 0 and math.isfinite(cost.kappa)


@FAST
@given(T=scalars, N=scalars, epsilon=scalars, almost_fraction=scalars, check_steps=scalars,
       expansion_steps=st.one_of(st.none(), ints), toy_n=scalars, max_params=st.one_of(st.none(), ints),
       check_orders=st.one_of(st.none(), st.lists(ints, max_size=3), scalars), simulate=scalars)
def test_analyze_arguments_any_input(T, N, epsilon, almost_fraction, check_steps, expansion_steps, toy_n, max_params,
                                     check_orders, simulate):
    """The guard at the top of pyqgd.report.analyze (the rest of analyze is the pipeline itself)."""
    works_or_clear_error(check_pipeline_arguments, T=T, N=N, epsilon=epsilon, tomography_precision=1e-2,
                         error_budget=1e-3, check_steps=check_steps, expansion_steps=expansion_steps, almost_fraction=almost_fraction,
                         toy_n=toy_n, seed=0, max_params=max_params, max_batches=None, check_orders=check_orders,
                         simulate=simulate)


@FAST
@given(limit=st.one_of(scalars, st.sampled_from(["8G", "512M", "2GiB", "1e9", "8 G", "-1G", "G", "nanG", "inf"])))
def test_memory_limit_any_input(limit):
    v = works_or_clear_error(as_memory_limit, limit)
    if not isinstance(v, Exception):
        assert v > 0


# ---- the CLI's options --------------------------------------------------------------------------------------------

option_values = st.one_of(st.sampled_from(["1", "2", "8", "1e3", "7e6", "1e15", "1e16", "1e30", "9.3e18", "0", "-1",
                                           "0.5", "nan", "inf", "1e-300", "0.01", "", "abc", "1e999", "30"]),
                          st.integers(-3, 40).map(str))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
          database=None)
@given(params=option_values, T=option_values, order=option_values, s=option_values, epsilon=option_values,
       command=st.sampled_from(["estimate", "demo", "analyze", "simulate"]))
def test_cli_options_any_value(params, T, order, s, epsilon, command, tmp_path_factory, capsys):
    """Exit 0 or 2 with one line; the pipeline commands are stopped right after validation (their long work is
    replaced by a stub that records it was reached) so that every example takes well under a second."""
    import pyqgd.report.pipeline as pipeline

    out = tmp_path_factory.mktemp("o") / "out"
    if command == "estimate":
        argv = ["estimate", "--params", params, "--T", T, "--order", order, "--s", s, "--epsilon", epsilon,
                "--block-encoding", "sparse", "--loading", "qrom", "--preset", "qubit_maj_ns_e6", "--out", str(out)]
    elif command == "simulate":
        argv = ["simulate", "--params", params, "--T", T, "--order", order, "--epsilon", epsilon]
    else:
        argv = [command, "--T", T, "--order", order, "--epsilon", epsilon, "--out", str(out)]
    reached = []
    original = pipeline.analyze, __import__("pyqgd.quantum", fromlist=["solve_gd"]).solve_gd

    def stub(*a, **k):
        reached.append(a)
        raise UsageError("stub: validation passed")  # a user-error class: exit 2, the example stops here

    import pyqgd.quantum

    pipeline.analyze, pyqgd.quantum.solve_gd = stub, stub
    try:
        t = time.perf_counter()
        code = main(argv)
        assert time.perf_counter() - t < SECONDS
    finally:
        pipeline.analyze, pyqgd.quantum.solve_gd = original
    err = capsys.readouterr().err
    assert code in (0, 2), err
    if code == 2:
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
        if not reached:
            assert not out.exists() or command == "estimate" and not any(out.iterdir()), err
