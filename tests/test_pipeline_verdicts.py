"""The verdict a PyTorch user gets: one expansion point whatever is switched, η and spectrum at θ*, flat modes
apart, one criterion shared with the quantum solver's gate, a Carleman check that measures truncation, bounded
derivative stages, clear errors for unsupported layers, and analyze(problem) honouring its GDProblem."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from pyqgd.carleman import NotDissipativeError, discrete_carleman  # noqa: E402
from pyqgd.models import gd_problem  # noqa: E402
from pyqgd.models.budget import MemoryBudgetError, UnsupportedLayerError  # noqa: E402
from pyqgd.models.families import converged_logistic, sparse_trained_mlp, tanh_mlp  # noqa: E402
from pyqgd.quantum.ode import check_gd_input  # noqa: E402
from pyqgd.report.pipeline import analyze  # noqa: E402
from pyqgd.spectrum import mode_fractions  # noqa: E402

QUICK = dict(presets=("qubit_gate_ns_e4",), loadings=("qrom",), T=20, check_steps=3, progress=False)
SPARSE = dict(max_params=4, keep=(), prune_scope="global")


@pytest.fixture(autouse=True)
def _one_thread(torch_single_thread):
    yield


_BUILT = {}


def _family(factory):
    """Each family is built (and trained) once per test session: analyze and gd_problem never modify the model."""
    if factory not in _BUILT:
        _BUILT[factory] = factory()
    return _BUILT[factory]


def _gate_accepts(problem) -> bool:
    try:
        check_gd_input(discrete_carleman(problem.qmap, 2), problem.u_in, 4, 0, max_qubits=10**6)
    except NotDissipativeError:
        return False
    return True


FIELDS = ("verdict", "eta", "n")


@pytest.mark.parametrize("family,kw", [(tanh_mlp, dict(max_params=16)), (converged_logistic, {}),
                                       (sparse_trained_mlp, SPARSE)])
def test_verdict_and_fractions_identical_with_and_without_simulation(family, kw):
    model, loss_fn, data = _family(family)
    on = analyze(model, loss_fn=loss_fn, data=data, simulate=True, **kw, **QUICK)
    off = analyze(model, loss_fn=loss_fn, data=data, simulate=False, **kw, **QUICK)
    assert on.simulation != off.simulation or on.simulation.skipped is not None  # the switch did switch something
    for f in FIELDS:
        assert getattr(on, f) == getattr(off, f)
    assert on.spectrum == off.spectrum and on.problem["provenance"]["expansion_point"] == \
        off.problem["provenance"]["expansion_point"]
    assert on.dissipation.R == off.dissipation.R


def test_eta_spectrum_and_fractions_are_taken_at_the_expansion_point():
    model, loss_fn, data = _family(tanh_mlp)
    p = gd_problem(model, loss_fn, data, max_params=24, expansion_steps=3)
    # independent: the Hessian eigenvalues of the map the problem carries, −F1/η, by numpy
    lam = np.linalg.eigvalsh(-p.qmap.F1.toarray() / p.eta)
    assert np.sort(p.spectrum.eigenvalues) == pytest.approx(lam, abs=1e-10)
    assert p.eta * lam.max() == pytest.approx(1.0, rel=1e-10)  # η = 1/λ_max at θ*, not at the checkpoint
    assert "at the expansion point θ*" in p.provenance.eta_source


def test_flat_modes_are_reported_apart_and_never_dissipative():
    lam = np.array([-1.0, -1e-6, 0.0, 2e-6, 5e-4, 0.3, 1.0, 2.5])
    f = mode_fractions(lam, 1.0, flat_tol=1e-3)
    x = lam  # η = 1
    assert f.flat == pytest.approx(np.mean(np.abs(x) < 1e-3))
    assert f.dissipative == pytest.approx(np.mean((x >= 1e-3) & (x < 2)))
    assert f.divergent == pytest.approx(np.mean(x <= -1e-3))
    assert f.dissipative + f.divergent + f.unstable + f.flat == pytest.approx(1.0)
    # a two-logit linear classifier: shifting both logits never changes the softmax loss, an exactly flat mode
    g = torch.Generator().manual_seed(0)
    X = torch.randn(64, 3, generator=g)
    y = (X[:, 0] > 0).long()
    r = analyze(nn.Linear(3, 2), loss_fn=nn.CrossEntropyLoss(), data=(X, y), simulate=False, **QUICK)
    assert r.spectrum.flat_fraction > 0 and r.spectrum.dissipative_fraction < 1
    assert r.verdict != "dissipative" and any("flat" in reason for reason in r.verdict_reasons)


@pytest.mark.parametrize("family,kw", [(converged_logistic, {}), (sparse_trained_mlp, SPARSE)])
def test_a_positive_definite_converged_model_is_dissipative_and_never_refused_by_the_gate(family, kw):
    model, loss_fn, data = _family(family)
    r = analyze(model, loss_fn=loss_fn, data=data, simulate=False, **kw, **QUICK)
    assert r.spectrum.lambda_min > 0 and r.verdict == "dissipative"
    p = gd_problem(model, loss_fn, data, expansion_steps="auto", **({"max_params": 100} | kw))
    assert _gate_accepts(p)  # the quantum solver's own input check
    assert r.estimates and r.break_even


def test_gate_refusal_comes_with_a_non_dissipative_verdict():
    model, loss_fn, data = _family(tanh_mlp)
    r = analyze(model, loss_fn=loss_fn, data=data, max_params=24, simulate=False, **QUICK)
    p = gd_problem(model, loss_fn, data, max_params=24, expansion_steps="auto")
    assert (r.verdict == "dissipative") == _gate_accepts(p) or r.spectrum.flat_fraction > 0


def test_carleman_check_measures_truncation_and_never_prints_an_error_above_a_bound():
    model, loss_fn, data = _family(converged_logistic)
    r = analyze(model, loss_fn=loss_fn, data=data, simulate=False, **QUICK)
    check = r.carleman_check
    assert np.linalg.norm(gd_problem(model, loss_fn, data, expansion_steps="auto").u_in) < 1e-6  # converged
    tr = check.truncation  # u_in too small: the check also runs where truncation is measurable
    first = tr.rows[0]
    assert first.error_vs_quadratic > 1e3 * tr.roundoff and not first.below_roundoff
    for rows in (check.rows, tr.rows):
        for row in rows:
            if row.bound is not None and row.error_vs_quadratic > row.bound:
                assert row.below_roundoff  # only round-off may exceed the rigorous bound
    text = r.summary()
    assert "Truncation check from" in text
    # N = 2 beats N = 1 where truncation is measurable (the bound decays in N)
    assert tr.rows[1].error_vs_quadratic < tr.rows[0].error_vs_quadratic


def test_memory_budget_refuses_before_any_derivative_pass(monkeypatch):
    from pyqgd.models.taylor import GDExpansion

    model, loss_fn, data = _family(tanh_mlp)

    def boom(*a, **k):
        raise AssertionError("a derivative stage started although the budget refuses it")

    monkeypatch.setattr(GDExpansion, "hessian", boom)
    monkeypatch.setattr(GDExpansion, "_hvp_t", boom)
    monkeypatch.setattr(GDExpansion, "_third_rows_t", boom)
    with pytest.raises(MemoryBudgetError, match=r"max_params=\d+.*nothing was allocated|nothing was allocated.*max_params=\d+"):
        gd_problem(model, loss_fn, data, max_params=60, memory_budget_gb=0.07)


def test_chunking_within_a_small_budget_gives_the_same_coefficients():
    model, loss_fn, data = _family(tanh_mlp)
    work = {}
    small = gd_problem(model, loss_fn, data, max_params=24, memory_budget_gb=0.15, work=work)
    assert work["third_rows_per_pass"] < 24 and work["predicted_third_gb"] <= 0.15
    full = gd_problem(model, loss_fn, data, max_params=24)
    assert abs(small.qmap.F2 - full.qmap.F2).max() <= 1e-12 * abs(full.qmap.F2).max()


class BagClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.bag = nn.EmbeddingBag(10, 4, mode="mean")
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.bag(x))


def _bag_data():
    g = torch.Generator().manual_seed(0)
    X = torch.randint(0, 10, (32, 5), generator=g)
    return X, (X[:, 0] > 4).long()


def test_embedding_bag_is_refused_with_the_module_and_a_workaround():
    with pytest.raises(UnsupportedLayerError, match=r"module 'bag' \(EmbeddingBag\).*nn\.Embedding"):
        analyze(BagClassifier(), loss_fn=nn.CrossEntropyLoss(), data=_bag_data(), simulate=False, **QUICK)


def test_cli_exits_2_on_an_unsupported_layer(tmp_path, capsys, monkeypatch):
    from pyqgd.cli import main

    (tmp_path / "bagnets.py").write_text(
        "import torch\n"
        "class Net(torch.nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.bag = torch.nn.EmbeddingBag(10, 4, mode='mean')\n"
        "        self.head = torch.nn.Linear(4, 2)\n"
        "    def forward(self, x):\n"
        "        return self.head(self.bag(x))\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    torch.save(BagClassifier().state_dict(), tmp_path / "w.pt")
    torch.save(_bag_data(), tmp_path / "d.pt")
    code = main(["analyze", "--model-file", str(tmp_path / "w.pt"), "--model-class", "bagnets:Net", "--data-file",
                 str(tmp_path / "d.pt"), "--loss", "cross_entropy", "--no-simulate", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "EmbeddingBag" in err and "internal error" not in err


def test_eval_mode_is_stated_for_batchnorm_and_dropout():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(32, 1, 4, 4, generator=g)
    y = torch.randn(32, 2, generator=g)
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.BatchNorm2d(2), nn.Tanh(), nn.Dropout(0.3), nn.Flatten(),
                          nn.Linear(32, 2))
    p = gd_problem(model, nn.MSELoss(), (X, y), max_params=16)
    notes = " ".join(p.provenance.notes)
    assert "eval mode" in notes and "BatchNorm (1)" in notes and "Dropout (3) is off" in notes


# ---- analyze(problem) honours its GDProblem ----------------------------------------------------------------------

def test_analyze_problem_keeps_T_eta_and_u_in_and_refuses_conflicts():
    from pyqgd.dynamics import gd_problem as analytic_problem
    from pyqgd.dynamics import toy_cubic

    p = analytic_problem(toy_cubic(2, seed=0, cubic=0.5), 0.05, u_in=np.full(2, 0.1), T=7)
    r = analyze(p, simulate=False, presets=("qubit_gate_ns_e4",), loadings=("qrom",))
    assert r.T == 7 and r.eta == 0.05 and r.problem["u_in_norm"] == pytest.approx(np.linalg.norm(p.u_in))
    with pytest.raises(ValueError, match="conflicts with the GDProblem's T = 7"):
        analyze(p, T=100, simulate=False)
    with pytest.raises(ValueError, match="conflicts with the GDProblem's η"):
        analyze(p, eta=0.3, simulate=False)


def test_estimates_use_the_problems_own_ode_problem(monkeypatch):
    import pyqgd.estimate as est
    from pyqgd.dynamics import gd_problem as analytic_problem
    from pyqgd.dynamics import toy_cubic
    from pyqgd.report import pipeline

    seen = []
    real = est.estimate_model

    def spy(problem, *a, **k):
        seen.append(problem)
        return real(problem, *a, **k)

    monkeypatch.setattr(pipeline, "estimate_model", spy)
    p = analytic_problem(toy_cubic(2, seed=0, cubic=0.5), 0.3, u_in=np.full(2, 0.1), T=20)
    analyze(p, simulate=False, presets=("qubit_gate_ns_e4",), loadings=("qrom",))
    (ode,) = seen
    # independent: the sizes and norms of the problem's own map, by numpy
    assert (ode.n, ode.T) == (2, 20)
    assert ode.norm_F0 == pytest.approx(np.linalg.norm(p.qmap.F0))
    assert ode.norm_u_in == pytest.approx(np.linalg.norm(p.u_in))
    assert ode.s == int(np.max((p.qmap.F1.toarray() != 0).sum(axis=1)))


def test_simulation_reports_the_longest_T_at_block_level_when_no_T_reaches_the_circuit(monkeypatch):
    from pyqgd.dynamics import gd_problem as analytic_problem
    from pyqgd.dynamics import toy_cubic
    from pyqgd.report import pipeline

    monkeypatch.setattr(pipeline, "SIMULATION_BUDGET_SECONDS", 1e-3)  # every T far over: no shorter T is tried
    p = analytic_problem(toy_cubic(2, seed=0, cubic=0.5), 0.3, u_in=np.full(2, 0.1), T=20)
    sim = pipeline._simulate(p, 2, True)
    assert sim["T"] == 4 and not sim["calls_counted_by_qsharp"] and "block_level" not in sim
    assert sim["how"].startswith("block level (the circuit is over the 0 s budget")
    assert "T = 4 of the problem's 20" in sim["note"] and "ε = 0.05 for the simulation" in sim["note"]
    assert sim["fidelity_carleman"] > 0.99
