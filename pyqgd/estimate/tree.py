"""Where the cost goes: one solver run (:func:`pyqgd.estimate.ode.ode_solver_cost`) as a tree of its operations.

The tree is read off the same composition the estimate uses — never a second model of the circuit:

* the top levels from the :class:`~pyqgd.estimate.ode.OdeCost` fields: the run (``total``) = L inner calls
  (|B⟩ preparation ``state_preparation`` + the QSVT of degree d: d block-encoding calls ``block_encoding`` and d + 1
  projector phases) and (L − 1)/2 amplification reflection rounds (Yoder–Low–Chuang 2014); for the kernel-reflection
  solver (a model, :func:`pyqgd.estimate.solvers.kernel_reflection_cost`) 2L preparations and L kernel runs;
* one block-encoding call from the functions that compose it: for the structured oracles
  :func:`pyqgd.estimate.circuit.carleman_block_encoding`'s parts (D_s, column / entry / row oracles with their
  lookups, adders, comparators and rotations, GSLW 2019 Lemma 48), for the Kronecker encoding the ``parts`` of
  :func:`pyqgd.estimate.kronecker.kronecker_block_encoding_cost` (traced skeleton and record lookups).

Every node holds the cost of ONE execution and its ``count`` per execution of its parent, so a node's cost is the sum
over its children of count × cost (CCZ, T, rotations, measurements; qubits are peaks). Where a part is derived by
subtraction (e.g. the projector phases = QSVT − d block-encoding calls) the remainder is split into ``count`` equal
executions only when it divides exactly. If a composition changes so that the itemised parts no longer add up, the
difference appears as a leaf ``"other (not itemised)"`` and the sums still hold (the tests assert there is none).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field, fields, replace

from pyqgd.estimate import circuit as cc
from pyqgd.estimate import logical as lg
from pyqgd.estimate.errors import EstimateInputError
from pyqgd.estimate.kronecker import kronecker_block_encoding_cost
from pyqgd.estimate.loading import lookup_cost
from pyqgd.estimate.ode import OdeCost, _circuit

__all__ = ["CostNode", "cost_tree", "tree_html", "REST", "ADDITIVE"]

#: Name of the leaf that holds what the itemised parts do not account for (none for the built compositions).
REST = "other (not itemised)"
#: The LogicalCost fields that add up the tree (qubits are peaks, QRAM cells a maximum).
ADDITIVE = ("ccz_count", "t_count", "rotation_count", "measurement_count", "qram_queries")


def _minus(a: lg.LogicalCost, b: lg.LogicalCost) -> lg.LogicalCost:
    return replace(a, **{f: getattr(a, f) - getattr(b, f) for f in ADDITIVE},
                   rotation_depth=max(a.rotation_depth - b.rotation_depth, 0))


def _is_zero(c: lg.LogicalCost) -> bool:
    return all(getattr(c, f) == 0 for f in ADDITIVE)


def _nonnegative(c: lg.LogicalCost) -> bool:
    return all(getattr(c, f) >= 0 for f in ADDITIVE)


def _per(c: lg.LogicalCost, k: int) -> lg.LogicalCost | None:
    """c split into k equal executions, or None when a count does not divide."""
    if k <= 0 or any(getattr(c, f) % k for f in ADDITIVE):
        return None
    return replace(c, **{f: getattr(c, f) // k for f in ADDITIVE}, rotation_depth=c.rotation_depth // k)


@dataclass(frozen=True)
class CostNode:
    """One operation of the run: ``cost`` of ONE execution (a :class:`~pyqgd.estimate.logical.LogicalCost`), run
    ``count`` times per execution of its parent; ``children`` itemise ``cost`` (their count × cost sum to it)."""

    name: str
    count: int
    cost: lg.LogicalCost
    children: tuple = ()
    note: str = ""
    root_total: lg.LogicalCost | None = field(default=None, compare=False, repr=False)

    # ---- figures -----------------------------------------------------------------------------------------------
    @property
    def qubits(self) -> int:
        return int(max(self.cost.num_qubits, self.cost.qubits_allocated))

    @property
    def non_clifford(self) -> int:
        return self.cost.non_clifford_count

    def walk(self, depth: int = 0, multiplicity: int = 1, path: tuple = ()):
        """Yield (node, depth, executions per run = product of counts from the root, path of names)."""
        mult = multiplicity * self.count
        here = path + (self.name,)
        yield self, depth, mult, here
        for ch in self.children:
            yield from ch.walk(depth + 1, mult, here)

    def leaves_total(self) -> dict:
        """Σ over leaves of (product of counts from the root) × leaf cost, per additive field (the root's totals)."""
        out = dict.fromkeys(ADDITIVE, 0)
        for node, _, mult, _ in self.walk():
            if not node.children:
                for f in ADDITIVE:
                    out[f] += mult * getattr(node.cost, f)
        return out

    def find(self, name: str) -> "CostNode | None":
        """The first node (depth-first) whose name starts with ``name``."""
        return next((n for n, *_ in self.walk() if n.name.startswith(name)), None)

    # ---- views -------------------------------------------------------------------------------------------------
    def to_dict(self, *, _root: int | None = None, _mult: int = 1) -> dict:
        """Nested JSON: {"name", "count", "ccz", "t", "rotations", "measurements", "qubits", "share", "children"}
        with the counts of ONE execution; ``share`` is this node's fraction of the run's non-Clifford operations
        (CCZ + T + rotations) over all its executions."""
        root = self.non_clifford * self.count if _root is None else _root
        mult = _mult * self.count
        c = self.cost
        return {"name": self.name, "count": int(self.count), "ccz": int(c.ccz_count), "t": int(c.t_count),
                "rotations": int(c.rotation_count), "measurements": int(c.measurement_count), "qubits": self.qubits,
                "share": (mult * self.non_clifford / root) if root else 0.0,
                **({"note": self.note} if self.note else {}),
                "children": [ch.to_dict(_root=root, _mult=mult) for ch in self.children]}

    def rows(self, max_depth: int | None = None) -> list[dict]:
        """One row per node (depth-first): depth, path, count, executions per run, per-execution and total counts,
        qubits and share of the run's non-Clifford operations."""
        root = max(self.non_clifford * self.count, 1)
        out = []
        for node, depth, mult, path in self.walk():
            if max_depth is not None and depth > max_depth:
                continue
            c = node.cost
            out.append({"depth": depth, "name": node.name, "path": " / ".join(path), "count": int(node.count),
                        "executions": int(mult), "ccz": int(c.ccz_count), "t": int(c.t_count),
                        "rotations": int(c.rotation_count), "measurements": int(c.measurement_count),
                        "total_ccz": int(mult * c.ccz_count), "total_t": int(mult * c.t_count),
                        "total_rotations": int(mult * c.rotation_count), "qubits": node.qubits,
                        "share": mult * node.non_clifford / root})
        return out

    def to_dataframe(self, max_depth: int | None = None):
        """pandas DataFrame, one row per node (:meth:`rows`)."""
        import pandas as pd

        return pd.DataFrame(self.rows(max_depth))

    def table(self, max_depth: int | None = None) -> str:
        """Text table (indented names): count per parent, totals over the run, qubits, share."""
        head = f"{'operation':<60} {'count':>9} {'CCZ (run)':>10} {'T (run)':>9} {'rot. (run)':>10} {'qubits':>8} {'share':>7}"
        lines = ([self.note] if self.note else []) + [head, "-" * len(head)]
        for r in self.rows(max_depth):
            name = ("  " * r["depth"] + r["name"])[:60]
            lines.append(f"{name:<60} {_g(r['count']):>9} {_g(r['total_ccz']):>10} {_g(r['total_t']):>9} "
                         f"{_g(r['total_rotations']):>10} {r['qubits']:>8,} {100 * r['share']:>6.1f}%")
        return "\n".join(lines)

    def markdown(self, max_depth: int | None = None) -> str:
        """A Markdown table (the README's): level, operation, count per parent, totals over the run, qubits, share."""
        lines = ["| level | operation | count per parent | Toffolis (whole run) | T | rotations | logical qubits | share |",
                 "|---|---|---|---|---|---|---|---|"]
        for r in self.rows(max_depth):
            name = ("· " * r["depth"] + r["name"]).replace("|", "\\|")
            lines.append(f"| {r['depth']} | {name} | {_g(r['count'])} | {_g(r['total_ccz'])} | {_g(r['total_t'])} | "
                         f"{_g(r['total_rotations'])} | {r['qubits']} | {100 * r['share']:.1f} % |")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return tree_html(self.to_dict())


def tree_html(tree: dict, *, open_levels: int = 2) -> str:
    """An expandable HTML tree (nested <details>) of a cost tree's JSON (:meth:`CostNode.to_dict`): each line names
    the operation, its count per parent, its CCZ, T and rotations over the whole run, its qubits and its share
    (with a bar); the top ``open_levels`` levels start open."""

    def one(node, depth, mult):
        m = mult * node["count"]
        bar = (f'<span style="display:inline-block;width:{80 * node["share"]:.1f}px;height:.7em;'
               'background:#4c78a8;margin-left:.4em"></span>')
        label = (f"<b>{html.escape(node['name'])}</b> × {_g(node['count'])} — CCZ {_g(m * node['ccz'])}, "
                 f"T {_g(m * node['t'])}, rotations {_g(m * node['rotations'])}, {node['qubits']:,} qubits, "
                 f"{100 * node['share']:.1f}%{bar}")
        if not node["children"]:
            return f'<div class="pyqgd-leaf" style="margin-left:1.2em">{label}</div>'
        inner = "".join(one(ch, depth + 1, m) for ch in node["children"])
        return (f'<details{" open" if depth < open_levels else ""} style="margin-left:{0 if depth == 0 else 1.2}em">'
                f"<summary>{label}</summary>{inner}</details>")

    note = f"<p><small>{html.escape(tree['note'])}</small></p>" if tree.get("note") else ""
    return f'<div class="pyqgd-cost-tree">{note}{one(tree, 0, 1)}</div>'


def _g(x) -> str:
    x = int(x)
    return f"{x:,}" if abs(x) < 10**6 else f"{x:.3g}"


def _node(name: str, count: int, cost: lg.LogicalCost, parts=(), note: str = "") -> CostNode:
    """A node whose ``parts`` (CostNodes) itemise ``cost``; what they leave is the ``REST`` leaf, and parts that
    exceed ``cost`` (a composition this module does not know) are dropped for one ``REST`` leaf."""
    parts = tuple(p for p in parts if p is not None and p.count > 0)
    if not parts:
        return CostNode(name, int(count), cost, (), note)
    used = lg.ZERO
    for p in parts:
        used = used.then(p.cost.repeat(p.count))
    rest = _minus(cost, used)
    if not _nonnegative(rest):
        return CostNode(name, int(count), cost, (CostNode(REST, 1, cost),), note)
    if not _is_zero(rest):
        parts += (CostNode(REST, 1, replace(rest, num_qubits=0, qubits_allocated=0)),)
    return CostNode(name, int(count), cost, parts, note)


def _split(name: str, total: lg.LogicalCost, count: int, parts=(), note: str = "") -> CostNode | None:
    """``total`` as ``count`` equal executions when it divides, else one execution of all of them."""
    if count <= 0:
        return None
    one = _per(total, count)
    if one is None:
        return _node(f"{name} (all {count:,})", 1, total, parts, note)
    return _node(name, count, one, parts, note)


# ---- one block-encoding call ---------------------------------------------------------------------------------------


def _registers(cost):
    """The registers, encoding call and ancillas of the estimate's run, from the composition itself
    (``pyqgd.estimate.ode._circuit``; the kernel solve's clock holds one pad value more)."""

    return _circuit(cost.problem, pad_block=cost.solver == "kernel")


def _sparse_call(cost, be: lg.LogicalCost, c) -> CostNode:
    """The structured-oracle call as :func:`pyqgd.estimate.circuit.carleman_block_encoding` composes it."""
    pr = cost.problem
    mt, mc, b = c.mt, c.m - c.mt, pr.angle_bits

    def lk(E, width, controls):
        return lookup_cost(pr.loading, E, width, controls, max_extra_qubits=pr.max_extra_qubits)

    def lookup(width, controls, count):
        return CostNode(f"table lookup ({pr.loading.upper()}, 4^{mc} entries × {width} bits)", count,
                        lk(4**mc, width, controls))

    def column(extra=()):
        return [CostNode("index adder (IncByI, m qubits)", 1, cc.adder(mt + mc)),
                CostNode("l_t = 0 copy (controlled CNOT + X)", mc, cc.mcx(mt + 1).then(cc.mcx(mt))),
                lookup(mc, mt, 2),
                CostNode("controlled swaps", mc, cc.mcx(mt + 1)),
                CostNode("clock adder (IncByLE, m_t qubits)", 1 + len(extra), cc.adder(mt))]

    idle = c.p > 0
    max_abs = 1.0 if max(1.0, pr.max_entry) == 1.0 else None
    col = cc.carleman_column_oracle(mt, mc, lk)
    row = cc.carleman_row_oracle(mt, mc, lk)
    entry = cc.carleman_entry_oracle(mt, mc, b, idle=idle, max_abs=max_abs, lookup_fn=lk)
    flags = [CostNode("register equalities (multi-controlled X)", 1,
                      cc.mcx(mt).then(cc.mcx(mc)).then(cc.mcx(mt)).then(cc.mcx(2).repeat(2)).then(cc.mcx(3))),
             CostNode("shift adders (IncByI)", 2, cc.adder(mt)),
             CostNode("clock comparators (ApplyIfInRange)", 2 if idle else 1, cc.in_range(mt, True)),
             lookup(b, 0, 1)]
    flag_cost = lg.ZERO
    for f in flags:
        flag_cost = flag_cost.then(f.cost.repeat(f.count))
    entry_parts = [_node("case flags (computed, uncomputed)", 2, flag_cost, flags),
                   CostNode("flag rotations (controlled Ry)", 1, _minus(entry, flag_cost.repeat(2)))]
    ds = cc.index_superposition(cost.s_L, cost.m_sys)
    parts = [CostNode(f"D_s: index superposition over s_L = {cost.s_L}", 2, ds),
             _node("column oracle", 1, col, column()),
             _node("entry oracle", 1, entry, entry_parts),
             _node("row oracle†", 1, row, column(extra=("negation",)))]
    return _node("block-encoding call (structured sparse oracles)", 1, be, parts)


def _kronecker_call(cost, be: lg.LogicalCost, c) -> CostNode:
    """The Kronecker call as :func:`pyqgd.estimate.kronecker.kronecker_block_encoding_cost` composes it (its
    ``parts``), recomputed with the estimate's arguments; not itemised when it differs from the estimate's call."""

    pr = cost.problem
    kc = kronecker_block_encoding_cost(pr.n, pr.s, pr.N, T=pr.T, p=c.p, s_F2=pr.s_F2, nnz_F0=pr.nnz_F0,
                                       clock_qubits=c.mt, angle_bits=pr.angle_bits, loading=pr.loading,
                                       norm_F0=pr.norm_F0, max_extra_qubits=pr.max_extra_qubits)
    parts = [CostNode(name, k, one) for name, k, one in getattr(kc, "parts", ())] if kc.cost == be else []
    return _node("block-encoding call (Kronecker encoding)", 1, be, parts)


def _call(cost, c, count: int = 1, name_suffix: str = "") -> CostNode:
    be = cost.block_encoding
    if cost.exact_instance:
        node = CostNode("block-encoding call (structured sparse oracles, exact instance)", 1, be)
    elif cost.block_encoding_name == "sparse":
        node = _sparse_call(cost, be, c)
    elif cost.block_encoding_name == "kronecker":
        node = _kronecker_call(cost, be, c)
    else:
        node = CostNode("block-encoding call (F-tables model, not built)", 1, be)
    return replace(node, name=node.name + name_suffix, count=count)


# ---- the run -------------------------------------------------------------------------------------------------------


def _amplified(cost, c, step: CostNode, prep_name: str, qsvt_name: str, refl_round: CostNode | None) -> CostNode:
    """Fixed-point amplification of L inner calls (a preparation, then ``step``: the QSVT with its parts) and
    (L − 1)/2 reflection rounds, as the estimate's total; when the inner call does not divide out (an instance's
    own phases), the calls and preparations are itemised and the rest is one leaf."""
    d, L = cost.degree, cost.amplification_length
    rounds = (L - 1) // 2
    prep = CostNode(prep_name, L, cost.state_preparation)
    inner_all = cost.total if refl_round is None else _minus(cost.total, refl_round.cost.repeat(rounds))
    inner = _per(inner_all, L) if _nonnegative(inner_all) else None
    if inner is None:
        call = _call(cost, c, d * L)
        return _node(f"amplification, L = {L}", 1, cost.total, [
            prep, call, CostNode("projector phases and reflections (instance phases)", 1,
                                 _minus(cost.total, cost.state_preparation.repeat(L).then(call.cost.repeat(d * L))))])
    qsvt_cost = _minus(inner, cost.state_preparation)
    phases = _split("projector phase", _minus(qsvt_cost, step.cost.repeat(d)), d + 1)
    qsvt = _node(f"{qsvt_name}, degree {d}", L, qsvt_cost, [replace(step, count=d), phases])
    return _node(f"fixed-point amplification, L = {L} inner calls", 1, cost.total, [prep, qsvt, refl_round])


def _qsvt_run(cost) -> CostNode:
    """QSVT + fixed-point amplification as :func:`pyqgd.estimate.ode.ode_solver_cost` composes it: L inner calls,
    each |B⟩ then the QSVT of P(x) ≈ c/x (d calls and d + 1 projector phases), and (L − 1)/2 reflection rounds
    (``HistoryState.ApplyPhaseOnFinalWindow`` and the R1 on the whole register)."""
    c = None if cost.exact_instance else _registers(cost)
    rounds = (cost.amplification_length - 1) // 2
    refl_round = None
    if rounds and c is not None:
        a, ml, mt, m = c.ancillas, c.ml, c.mt, c.m
        refl_round = _node("reflection round", rounds, cc.final_window_phase(mt, a + 2, ml).then(
            cc.controlled_r1(a + m + 1, None)), [
            CostNode("clock comparison (clock < T, computed and uncomputed)", 2, cc.in_range(mt, False)),
            CostNode("phase on the final window (R1 on all-zero)", 1, cc.controlled_r1(a + 2 + ml, None)),
            CostNode("phase on all-zero of the whole register (R1)", 1, cc.controlled_r1(a + m + 1, None))])
    step = _call(cost, c)
    amp = _amplified(cost, c, step, "|B⟩ preparation (history-state right-hand side)", "QSVT of P(x) ≈ c/x",
                     refl_round)
    return _node("solver run", 1, cost.total, [amp])


def _kernel_run(cost) -> CostNode:
    """The kernel reflection on the history system as :func:`pyqgd.estimate.solvers.history_kernel_circuit`
    composes it: L runs of |e⟩ then the even QSVT of G (d calls of G — the encoding, |b'⟩ and its adjoint, the
    reflection's R1(π) — and d + 1 projector phases), and (L − 1)/2 rounds of window and all-zero phases."""
    c = _registers(cost)
    rounds = (cost.amplification_length - 1) // 2
    num_anc = c.ancillas + 3
    g_parts = [_call(cost, c), CostNode("|b'⟩ preparation and its adjoint", 2, cost.state_preparation),
               CostNode("reflection phase R1(π) on the system", 1, cc.controlled_r1(c.m, math.pi))]
    g_cost = lg.ZERO
    for part in g_parts:
        g_cost = g_cost.then(part.cost.repeat(part.count))
    step = _node("kernel reflection G", 1, g_cost, g_parts)
    refl_round = None
    if rounds:
        refl_round = _node("reflection round", rounds, cc.in_range(c.mt, True).repeat(2).then(
            cc.controlled_r1(num_anc + c.ml, None)).then(cc.controlled_r1(num_anc + c.m - 1, None)), [
            CostNode("clock window comparison (computed and uncomputed)", 2, cc.in_range(c.mt, True)),
            CostNode("phase on the window (R1)", 1, cc.controlled_r1(num_anc + c.ml, None)),
            CostNode("phase on all-zero of the whole register (R1)", 1, cc.controlled_r1(num_anc + c.m - 1, None))])
    amp = _amplified(cost, c, step, "|e⟩ preparation (history-state right-hand side)", "even QSVT of G", refl_round)
    return _node("solver run", 1, cost.total, [amp])


def cost_tree(cost) -> CostNode:
    """The cost tree of one solver run (module docstring) for an :class:`~pyqgd.estimate.ode.OdeCost` (or a
    :class:`~pyqgd.estimate.scale.ModelEstimate`, whose ``cost`` is used). The root is the run, with the estimate's
    total cost: its leaves × the counts up the tree sum to ``cost.total``."""

    cost = getattr(cost, "cost", cost) if not isinstance(cost, OdeCost) else cost
    if not isinstance(cost, OdeCost):
        raise EstimateInputError(f"cost_tree takes an OdeCost or a ModelEstimate, got {type(cost).__name__}")
    root = _kernel_run(cost) if cost.solver == "kernel" and not cost.exact_instance else _qsvt_run(cost)
    return replace(_inherit_qubits(root, root.qubits), note=cost.label, root_total=cost.total)


def _inherit_qubits(node: CostNode, live: int) -> CostNode:
    """Parts whose cost function counts no qubits run on their parent's live register: give them its count."""
    q = node.qubits or live
    cost = node.cost if node.qubits else replace(node.cost, num_qubits=q, qubits_allocated=q)
    return replace(node, cost=cost, children=tuple(_inherit_qubits(c, q) for c in node.children))


def _check_fields():  # the additive fields exist on LogicalCost (fails at import if the cost type changes)
    names = {f.name for f in fields(lg.LogicalCost)}
    missing = [f for f in ADDITIVE if f not in names]
    if missing:
        raise ImportError(f"LogicalCost lost the fields {missing} the cost tree adds up")


_check_fields()
