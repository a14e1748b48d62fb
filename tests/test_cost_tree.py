"""The cost tree (pyqgd.estimate.tree): its leaves, times the counts up the tree, give the estimate's totals for
every combination of encoding × loading × solver the estimator builds or models; its views (JSON, table, HTML,
DataFrame) carry the same numbers."""

import json
from dataclasses import replace

import pytest
from tree_json import json_leaves

from pyqgd import registry
from pyqgd.estimate import LOADINGS, EstimateInputError, OdeProblem, ode_solver_cost
from pyqgd.estimate.tree import ADDITIVE, REST, cost_tree

COMBOS = [(be, ld, sv) for be in registry.names("encoding") for ld in LOADINGS for sv in ("qsvt", "kernel", "auto")]


def test_every_built_combination_is_priced():
    """The combinations the tree test skips (not priced by the estimator) include no built one."""
    for be, ld, sv in COMBOS:
        if registry.built_combination(be, ld):
            ode_solver_cost(OdeProblem(n=40, s=8, N=2, T=7, epsilon=1e-2, loading=ld, block_encoding=be, solver=sv))


@pytest.mark.parametrize("n,T", [(7_000_000, 1000), (40, 7)])
@pytest.mark.parametrize("be,loading,solver", COMBOS)
def test_leaves_sum_to_the_estimate_totals(be, loading, solver, n, T):
    try:
        cost = ode_solver_cost(OdeProblem(n=n, s=min(8, n), N=2, T=T, epsilon=1e-2, loading=loading,
                                          block_encoding=be, solver=solver))
    except EstimateInputError as exc:  # not a combination the estimator prices (never a built one, test above)
        pytest.skip(str(exc)[:80])
    tree = cost_tree(cost)
    leaves = tree.leaves_total()
    for f in ADDITIVE:
        assert leaves[f] == getattr(cost.total, f), f
    # nothing is left unaccounted: every part of the composition is itemised
    assert not [node.name for node, *_ in tree.walk() if node.name == REST]
    # the JSON view: nested nodes whose leaves × counts give the root's totals, equal to the estimate's
    d = json.loads(json.dumps(tree.to_dict()))
    assert set(d) >= {"name", "count", "ccz", "t", "rotations", "qubits", "children"}
    assert (d["ccz"], d["t"], d["rotations"]) == (cost.total.ccz_count, cost.total.t_count, cost.total.rotation_count)
    assert json_leaves(d) == {"ccz": d["ccz"], "t": d["t"], "rotations": d["rotations"]}
    assert d["qubits"] == max(cost.total.num_qubits, cost.total.qubits_allocated)
    assert d["share"] == pytest.approx(1.0)


def test_the_levels_are_the_solver_operations():
    cost = ode_solver_cost(OdeProblem(n=7_000_000, s=8, N=2, T=1000, epsilon=1e-2, block_encoding="kronecker", solver="qsvt"))
    tree = cost_tree(cost)
    amp = tree.find("fixed-point amplification")
    qsvt = tree.find("QSVT")
    call = tree.find("block-encoding call")
    assert [c.name.split(" ")[0] for c in tree.children] == ["fixed-point"]  # solve → amplification → QSVT → call
    assert qsvt in amp.children and call in qsvt.children
    assert qsvt.count == cost.amplification_length and call.count == cost.degree
    assert tree.find("|B⟩ preparation").count == cost.amplification_length
    assert call.cost == cost.block_encoding and qsvt.find("projector phase").count == cost.degree + 1
    assert tree.find("reflection round").count == (cost.amplification_length - 1) // 2
    # the call is itemised (traced skeleton and the reads of F1, F2): its parts' shares make up the call's
    d = tree.to_dict()
    node = d["children"][0]["children"][1]["children"][0]
    assert node["name"].startswith("block-encoding call") and len(node["children"]) >= 2
    assert sum(c["share"] for c in node["children"]) == pytest.approx(node["share"])
    rows = {r["name"].split(" (")[0]: r for r in tree.rows()}
    if "F2 record lookups" in rows:  # the records composition: the n·s² records of F2 dominate at paper scale
        assert rows["F2 record lookups"]["share"] > rows["F1 record lookups"]["share"] > rows["skeleton"]["share"]


def test_sparse_call_is_itemised_down_to_the_lookups():
    cost = ode_solver_cost(OdeProblem(n=40, s=8, N=2, T=7, epsilon=1e-2, block_encoding="sparse"))
    call = cost_tree(cost).find("block-encoding call")
    names = [n.name for n, *_ in call.walk()]
    for part in ("D_s", "column oracle", "entry oracle", "row oracle", "table lookup", "clock comparators",
                 "flag rotations"):
        assert any(x.startswith(part) for x in names), part


@pytest.mark.slow  # builds the seven example instances (~30 s)
def test_exact_instance_tree_sums_to_the_traced_total():
    from pyqgd.estimate.validation import example_solver_instances

    inst = example_solver_instances()[0]
    cost = ode_solver_cost(OdeProblem(n=inst.n, s=1, N=inst.N, T=inst.T, epsilon=0.3, instance=inst))
    tree = cost_tree(cost)
    assert tree.leaves_total() == {f: getattr(cost.total, f) for f in ADDITIVE}


def test_views_agree():
    pd = pytest.importorskip("pandas")
    cost = ode_solver_cost(OdeProblem(n=10**5, s=8, N=2, T=100, epsilon=1e-2))
    tree = cost_tree(cost)
    df = tree.to_dataframe()
    assert isinstance(df, pd.DataFrame) and len(df) == sum(1 for _ in tree.walk())
    assert df.loc[0, "total_ccz"] == cost.total.ccz_count
    html = tree._repr_html_()
    assert html.count("<details") == sum(1 for n, *_ in tree.walk() if n.children)
    assert "block-encoding call" in html
    text = tree.table(max_depth=2)
    assert "fixed-point amplification" in text and "block-encoding call" not in text


def test_rejects_what_is_not_a_cost():
    with pytest.raises(EstimateInputError):
        cost_tree(object())
    with pytest.raises(EstimateInputError):
        cost_tree(replace)


def test_readme_cost_tree_is_the_paper_scale_run():
    """The README's table is this tree at n = 7×10⁶, T = 1000 (default encoding: Kronecker with QROM)."""
    from pathlib import Path

    from pyqgd.estimate import paper_problem

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    table = cost_tree(ode_solver_cost(paper_problem(7_000_000, 1000))).markdown(max_depth=4).splitlines()
    shown = [ln for ln in readme.splitlines() if ln.startswith("| ") and ln.split("|")[1].strip().isdigit()
             and "· " in ln or ln.startswith("| 0 | solver run")]
    assert table[0] in readme and len(shown) >= 10
    assert all(ln in table for ln in shown), [ln for ln in shown if ln not in table]
