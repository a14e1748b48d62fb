"""Benchmark: block-encodings of the T-step Carleman matrix L — the structured sparse-access oracles (old) vs the
Kronecker encoding from F0, F1, F2 (new), on the same instances, in one run.

Per instance (toy GD maps: toy_cubic loss, η = 0.2, expansion offset 0.1 so that F0 ≠ 0, discrete Carleman map):
α_L/‖L‖, κ_eff = α_L·‖L⁻¹‖ (‖·‖ from numpy's SVD of the padded L), the traced logical counts of ONE block-encoding call
(CCZ, T, rotations; ``qsharp.logical_counts`` of ``TraceStructuredBlockEncoding`` / ``TraceKroneckerBlockEncoding``),
stored numbers, and max|α·block − L| of the new encoding (Q# unitary dump vs numpy). Then the wall time of the
amplified QSVT solve of the n = 2, N = 2, T = 4 toy (the same driver ``pyqgd.quantum.ode.solve_gd`` for both encodings:
the un-amplified run and the amplified run, as ``solve_gd`` does; the wall time includes the driver's classical work,
the Q# simulation time is printed beside it), and of an un-amplified n = 4 solve (the old amplified one takes too long
for a benchmark). Finally the paper instance (n = 7·10⁶, s = 8, N = 2, T = 1000): α_L and Toffolis
per run from ``pyqgd.estimate.ode_solver_cost`` with block_encoding="sparse" vs "kronecker" (α inputs of the new one:
``pyqgd.estimate.kronecker`` defaults, printed). Last line: one JSON object.

    QDK_PYTHON_TELEMETRY=none python benchmarks/block_encoding.py [--quick] [--skip-n4]

``--quick`` skips the two timed solves; ``--skip-n4`` only the n = 4 one (its old solve takes ~25 minutes on 2
shared cores).
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")

import numpy as np

from pyqgd.carleman import discrete_carleman
from pyqgd.dynamics import gd_map, toy_cubic
from pyqgd.quantum._context import get_context
from pyqgd.quantum.kronecker import kronecker_block, kronecker_encoding
from pyqgd.quantum.ode import solve_gd
from pyqgd.quantum.structured_oracles import carleman_oracle_data, padded_tstep_matrix

# (name, n, N, T, p)
INSTANCES = [("n2-N2-T4", 2, 2, 4, 3), ("n2-N1-T16", 2, 1, 16, 15), ("n3-N2-T2", 3, 2, 2, 1), ("n4-N2-T2", 4, 2, 2, 1),
             ("n2-N3-T2", 2, 3, 2, 1)]


def _system(n, N):
    return discrete_carleman(gd_map(toy_cubic(n, seed=1), 0.2, 0.1 * np.ones(n)), N)


def _u(n):
    u = np.zeros(n)
    u[::2] = 0.3
    u[0] = -0.2
    return u


def _counts(op, *args):
    ctx = get_context()
    return dict(ctx.logical_counts(op, *args))


def _gates(c):
    return int(c["cczCount"]) + int(c["tCount"]) + int(c["rotationCount"])


def _encodings(n, N, T, p):
    s = _system(n, N)
    old = carleman_oracle_data(s, T, p)
    new = kronecker_encoding(s, T, p)
    return s, old, new


def _solve(which, s, old, new, T, p, amplify):
    t0 = time.perf_counter()
    r = solve_gd(s, _u(s.n), T, p, amplify=amplify, parameters="exact", simulate="circuit",
                 block_encoding="sparse" if which == "old" else "kronecker")
    return r, time.perf_counter() - t0


def _per_call_paper() -> dict:
    """One Kronecker call at the paper instance for each loading of its F tables (model of
    ``pyqgd.estimate.kronecker``: traced skeleton + the read closed forms), printed row by row."""
    from pyqgd.estimate.kronecker import kronecker_block_encoding_cost

    print("\none Kronecker call at n = 7e6, s = 8, N = 2, T = 1000 (F2 = ∇³L-symmetric, mirrored dense tables):",
          flush=True)
    out = {}
    for loading in ("records", "qrom", "selectswap"):
        c = kronecker_block_encoding_cost(7_000_000, 8, 2, T=1000, loading=loading)
        # qubits: the call's allocation-true peak (what the physical estimate uses); qubits_tracer: the QDK tracer's
        # peak of a lone call, which replays a Select of a table size it has traced without its scratch
        out[loading] = {"toffolis": c.cost.toffoli_count, "t": c.cost.t_count, "rotations": c.cost.rotation_count,
                        "qubits": c.cost.qubits_allocated, "qubits_tracer": c.cost.num_qubits, "alpha": c.alpha}
        print(f"  {loading:10}: Toffolis/call {c.cost.toffoli_count:10.4g}  T {c.cost.t_count:6d}  rotations "
              f"{c.cost.rotation_count:10.4g}  qubits {c.cost.qubits_allocated:8d} (tracer {c.cost.num_qubits})  "
              f"alpha_L {c.alpha:.3f}", flush=True)
    return out


def _lookup_counts_agree() -> bool:
    """Closed-form read costs (``pyqgd.estimate.loading``) and one built call per loading
    (``pyqgd.estimate.kronecker.kronecker_call_cost``) against the QDK tracer: CCZ, T, rotations, measurements and
    qubits (the tracer's peak)."""
    from pyqgd.estimate.kronecker import kronecker_call_cost
    from pyqgd.estimate.loading import qroam_read_cost, qrom_read_cost

    ctx = get_context()
    keys = ("cczCount", "tCount", "rotationCount", "measurementCount")
    ok = True
    for a, w in ((4, 3), (6, 5), (8, 7)):
        tr = _counts(ctx.code.Oracles.Qroam.TraceQromRead, a, w, 1)
        f = qrom_read_cost(a, w, 1).traced_view()
        ok &= all(tr[k] == f[k] for k in keys) and tr["numQubits"] == 1 + a + w + f["numQubits"]
        tr = _counts(ctx.code.Oracles.Qroam.TraceQroamRead, a, w, 4, 4, True, 1)
        f = qroam_read_cost(a, w, 4, 4).traced_view()
        ok &= all(tr[k] == f[k] for k in keys) and tr["numQubits"] == 1 + a + w + f["numQubits"]
    for loading in ("records", "qrom", "selectswap"):
        enc = kronecker_encoding(_system(3, 2), 4, 3, loading=loading)
        tr = _counts(ctx.code.Carleman.Kronecker.TraceKroneckerBlockEncoding, enc.to_qsharp())
        f = kronecker_call_cost(enc).traced_view()
        ok &= all(tr[k] == f[k] for k in keys + ("numQubits",))
    print(f"\nlookup and call closed forms = traced counts: {ok}", flush=True)
    return bool(ok)


def main() -> None:
    quick = "--quick" in sys.argv
    skip_n4 = "--skip-n4" in sys.argv
    ctx = get_context()
    hdr = (f"{'instance':10} {'enc':4} {'alpha_L':>8} {'a/|L|':>6} {'k_eff':>7} {'CCZ/call':>9} {'T/call':>6} "
           f"{'rot/call':>8} {'gates':>7} {'stored':>7} {'max|aB-L|':>9}")
    print(hdr)
    print("-" * len(hdr), flush=True)
    rows, max_err = [], 0.0
    for name, n, N, T, p in INSTANCES:
        s, old, new = _encodings(n, N, T, p)
        L = padded_tstep_matrix(s, T, p).toarray()
        sv = np.linalg.svd(L, compute_uv=False)
        nrm, inv = float(sv.max()), float(1.0 / sv.min())
        c_old = _counts(ctx.code.Carleman.Kronecker.TraceStructuredBlockEncoding, old.to_qsharp())
        c_new = _counts(ctx.code.Carleman.Kronecker.TraceKroneckerBlockEncoding, new.to_qsharp())
        B, stored_qs = kronecker_block(new) if new.num_system <= 8 else (None, new.stored_entries)
        err = float(np.max(np.abs(new.alpha * B - L))) if B is not None else float("nan")
        if B is not None:
            max_err = max(max_err, err)
        row = {"name": name, "n": n, "N": N, "T": T, "p": p, "norm_L": nrm, "norm_L_inv": inv}
        for tag, a, c, st, e in (("old", old.alpha, c_old, old.stored_entries, None),
                                 ("new", new.alpha, c_new, stored_qs, err)):
            row[tag] = {"alpha": a, "alpha_over_norm": a / nrm, "kappa_eff": a * inv, "counts": c, "gates": _gates(c),
                        "stored_entries": int(st), "max_be_error": e}
            print(f"{name:10} {tag:4} {a:8.3f} {a / nrm:6.2f} {a * inv:7.2f} {c['cczCount']:>9} {c['tCount']:>6} "
                  f"{c['rotationCount']:>8} {_gates(c):>7} {int(st):>7} {'' if e is None else f'{e:9.1e}':>9}",
                  flush=True)
        rows.append(row)

    solves = {}
    if not quick:
        print("\nwall time of simulated solves (same driver, same ε = 0.01, 40-bit angles):", flush=True)
        timed = [("n2-N2-T4 amplified", 2, 2, 4, 3, True)]
        if not skip_n4:
            timed.append(("n4-N2-T2 un-amplified", 4, 2, 2, 1, False))
        for label, n, N, T, p, amplify in timed:
            s, old, new = _encodings(n, N, T, p)
            out = {}
            for which in ("new", "old"):
                r, wall = _solve(which, s, old, new, T, p, amplify)
                out[which] = {"wall_s": wall, "simulation_s": r.simulated_seconds, "degree": r.degree,
                              "amplification_length": r.amplification_length,
                              "calls": r.block_encoding_calls, "fidelity_carleman": r.fidelity_carleman,
                              "success_probability": r.success_probability,
                              "amplified_success_probability": r.amplified_success_probability}
                print(f"  {label:24} {which}: {wall:7.1f} s ({r.simulated_seconds:.1f} s in Q#), degree {r.degree}, "
                      f"AA length {r.amplification_length}, "
                      f"{r.block_encoding_calls} calls, fidelity {r.fidelity_carleman:.6f}", flush=True)
            out["speedup"] = out["old"]["wall_s"] / out["new"]["wall_s"]
            out["simulation_speedup"] = out["old"]["simulation_s"] / out["new"]["simulation_s"]
            print(f"  {label:24} speed-up old/new: {out['speedup']:.2f}x (Q# simulation alone "
                  f"{out['simulation_speedup']:.2f}x)", flush=True)
            solves[label] = out

    from pyqgd.estimate.kronecker import DEFAULT_F1_ALPHA, DEFAULT_F2_ALPHA
    from pyqgd.estimate.ode import ode_solver_cost
    from pyqgd.estimate.scale import paper_problem

    print("\npaper instance n = 7e6, s = 8, N = 2, T = 1000 (per run; κ_eff = α_L·‖L⁻¹‖ with the same ‖L⁻¹‖ bound):")
    pr = paper_problem(7_000_000, 1000)
    paper = {}
    for tag, be in (("old", "sparse"), ("new", "kronecker")):
        c = ode_solver_cost(pr, block_encoding=be)
        paper[tag] = {"alpha": c.alpha, "kappa_eff": c.kappa, "degree": c.degree, "calls": c.block_encoding_calls,
                      "toffolis_per_call": c.block_encoding.toffoli_count, "toffolis_per_run": c.total.toffoli_count,
                      "stored_entries": c.table_entries}
        print(f"  {tag} ({be:9}): alpha_L {c.alpha:10.3f}  kappa_eff {c.kappa:10.4g}  degree {c.degree:10.4g}  "
              f"calls {c.block_encoding_calls:10.4g}  Toffolis/call {c.block_encoding.toffoli_count:10.4g}  "
              f"Toffolis/run {c.total.toffoli_count:10.4g}  stored {c.table_entries:10.4g}", flush=True)
    ratio = paper["old"]["kappa_eff"] / paper["new"]["kappa_eff"]
    print(f"  kappa_eff ratio old/new: {ratio:.1f}  (new α inputs: s·max|F1| = {DEFAULT_F1_ALPHA}, "
          f"√(s_r s_c)·max|F2| = {DEFAULT_F2_ALPHA}, F0 = 0; old: s_L·max(1, max|M|) with max|M| = 1)", flush=True)
    per_call = _per_call_paper()
    agree = _lookup_counts_agree()
    best = min(("qrom", "selectswap"), key=lambda k: per_call[k]["toffolis"])
    toy = rows[0]
    print(json.dumps({
        "per_call_toffoli_paper": per_call[best]["toffolis"],
        "per_call_qubits_paper": per_call[best]["qubits"],
        "per_call_loading_paper": best,
        "lookup_counts_agree": agree,
        "per_call_paper": per_call,
        "kappa_eff_ratio_paper": ratio,
        "amplified_solve_speedup": solves.get("n2-N2-T4 amplified", {}).get("speedup"),
        "amplified_simulation_speedup": solves.get("n2-N2-T4 amplified", {}).get("simulation_speedup"),
        "n4_unamplified_speedup": solves.get("n4-N2-T2 un-amplified", {}).get("speedup"),
        "max_be_error": max_err,
        "stored_entries_new": toy["new"]["stored_entries"],
        "stored_entries_old": toy["old"]["stored_entries"],
        "toy_alpha_over_norm": {"old": toy["old"]["alpha_over_norm"], "new": toy["new"]["alpha_over_norm"]},
        "toy_gates_per_call": {"old": toy["old"]["gates"], "new": toy["new"]["gates"]},
        "paper": paper, "instances": rows, "solves": solves,
    }, default=float))


if __name__ == "__main__":
    main()
