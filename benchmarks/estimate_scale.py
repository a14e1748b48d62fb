"""Benchmark: analytic cost model vs tracing the Q# circuit, and the full paper-scale estimate.

(a) At sizes where both run: the time of our estimate (formula + LogicalCounts(...).estimate) vs `qsharp.estimate`
    tracing the Q# circuit (global interpreter with the project loaded), the ratio, and whether the logical counts
    agree (exact except the stated rotation-depth tolerance, see pyqgd.estimate.validation).
(b) The wall time of a full all-presets estimate at n = 1.03e8, T = 1000 (QROM and QRAM), plus the README table.
Last line: one JSON object.
"""

import json
import os
import time
import warnings

os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")
warnings.simplefilter("ignore", DeprecationWarning)

import qdk  # noqa: E402
from qdk import qsharp  # noqa: E402

from pyqgd.estimate import QUBIT_PRESETS, estimate_model, estimate_physical, fit_exponents, markdown_table, paper_problem  # noqa: E402
from pyqgd.estimate import logical as lg  # noqa: E402
from pyqgd.estimate.validation import COMPARED_FIELDS, _compare, example_instances, instance_data  # noqa: E402
from pyqgd.quantum._context import qsharp_project_root  # noqa: E402


def _trace_vs_formula(callable_, args, formula, slack, reps: int = 20):
    """(trace result, trace seconds, our physical estimate, our seconds per estimate, counts agree)."""
    t0 = time.perf_counter()
    r = qsharp.estimate(callable_, {"qubitParams": {"name": "qubit_gate_ns_e3"}, "errorBudget": 1e-3}, *args)
    t_trace = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(reps):
        cost = formula()
        ours = estimate_physical(cost, "qubit_gate_ns_e3", error_budget=1e-3)
    t_ours = (time.perf_counter() - t0) / reps
    return r, t_trace, ours, t_ours, _compare(cost.traced_view(), dict(r["logicalCounts"]), slack)


def main():
    qsharp.init(project_root=str(qsharp_project_root()))
    print("(a) formula + physical estimate vs qsharp.estimate tracing the Q# circuit (qubit_gate_ns_e3, budget 1e-3)")
    print(f"{'instance':10s} {'circuit':16s} {'trace s':>9s} {'ours s':>9s} {'speedup':>9s} counts_agree phys_qubits(trace/ours)")
    speedups, agree_all = [], True
    for inst in example_instances():
        data, kappa, degree, phases, b, sched = instance_data(inst)
        q = data.to_qsharp()
        m, s, bits = data.num_system, data.sparsity, data.angle_bits
        cases = [("qsvt", "Estimation.Traces.TraceQsvtSolve", (q, phases.tolist(), b.tolist()),
                  lambda: lg.qsvt_solve(m, s, bits, degree), 1),
                 ("qsvt_amplified", "Estimation.Traces.TraceQsvtSolveAmplified",
                  (q, phases.tolist(), b.tolist(), sched.alphas.tolist(), sched.betas.tolist()),
                  lambda: lg.qsvt_solve_amplified(m, s, bits, degree, sched.length), sched.length * (2**m - m))]
        for name, op, args, formula, slack in cases:
            callable_ = getattr(qdk.code.Estimation.Traces, op.rsplit(".", 1)[1])
            r, t_trace, ours, t_ours, ok = _trace_vs_formula(callable_, args, formula, slack)
            agree_all &= ok
            sp = t_trace / t_ours
            speedups.append(sp)
            print(f"{inst.name:10s} {name:16s} {t_trace:9.4f} {t_ours:9.5f} {sp:9.1f} {str(ok):12s} "
                  f"{r['physicalCounts']['physicalQubits']}/{ours.estimates[0].physical_qubits}")
    tiny_min = min(speedups)
    print(f"(tiny circuits: tracing takes milliseconds, both sides are dominated by the QDK's physical step; min ratio {tiny_min:.1f})")
    # mid sizes: full (uncached) traces of QSVT / amplified QSVT with generic phases, degree d, on n = 2^m
    import numpy as np

    print("\nmid sizes (full traces, generic phases):")
    speedups = []
    rng = np.random.default_rng(0)
    for inst_i, d, L in [(1, 801, 1), (3, 401, 1), (5, 401, 1), (1, 101, 9), (3, 61, 11)]:
        inst = example_instances()[inst_i]
        data, kappa, degree, phases, b, sched = instance_data(inst)
        m, s, bits = data.num_system, data.sparsity, data.angle_bits
        ph = rng.uniform(0.1, 1.4, d + 1).tolist()
        if L == 1:
            callable_, args = qdk.code.Estimation.Traces.TraceQsvtSolve, (data.to_qsharp(), ph, b.tolist())
            formula, slack = (lambda: lg.qsvt_solve(m, s, bits, d)), 1
        else:
            l = (L - 1) // 2
            al = rng.uniform(0.1, 1.4, l).tolist()
            callable_ = qdk.code.Estimation.Traces.TraceQsvtSolveAmplified
            args = (data.to_qsharp(), ph, b.tolist(), al, [-a for a in al[::-1]])
            formula, slack = (lambda: lg.qsvt_solve_amplified(m, s, bits, d, L)), L * (2**m - m)
        r, t_trace, ours, t_ours, ok = _trace_vs_formula(callable_, args, formula, slack)
        same_phys = r["physicalCounts"]["physicalQubits"] == ours.estimates[0].physical_qubits
        agree_all &= ok
        speedups.append(t_trace / t_ours)
        print(f"n={2**m:3d} s={s} degree={d:4d} L={L:2d}: trace {t_trace:8.3f} s, ours {t_ours:.5f} s, speedup "
              f"{t_trace / t_ours:9.1f}, counts agree {ok}, CCZ {r['logicalCounts']['cczCount']:.3g}, "
              f"physical qubits trace/ours {r['physicalCounts']['physicalQubits']}/{ours.estimates[0].physical_qubits}"
              f"{'' if same_phys else ' (differ: ours uses the allocation-true qubit count)'}")
    print("\n(b) paper scale: n = 1.03e8, T = 1000, all six presets (surface code), QROM and QRAM")
    t0 = time.perf_counter()
    ests = []
    for loading in ("qrom", "qram"):
        me = estimate_model(paper_problem(103_000_000, 1000, loading=loading), QUBIT_PRESETS)
        ests.append(me)
    t_paper = time.perf_counter() - t0
    for me in ests:
        print(f"-- loading {me.problem.loading}: QSVT degree {me.cost.degree}, AA length {me.cost.amplification_length}, "
              f"kappa {me.cost.kappa:.3g}, {me.samples:.3g} tomography runs; infeasible: {sorted(me.infeasible)}")
        print(me.physical.table())
    print(f"full all-presets paper-scale estimate (2 loadings x 6 presets): {t_paper:.3f} s")
    t7 = [estimate_model(paper_problem(7_000_000, 1000, loading=l), ("qubit_gate_ns_e4", "qubit_maj_ns_e6")) for l in ("qrom", "qram")]
    print("\nREADME table (per-run and total-with-read-out quantum time vs classical GPU time for the same T steps):")
    print(markdown_table(t7 + ests))
    print("\nexponent fits (per-run Toffoli+T+rotation count):")
    fits = [fit_exponents(paper_problem(103_000_000, 1000, loading=l)) for l in ("qrom", "qram")]
    for f in fits:
        print(f"  {f['loading']}: T^{f['T_exponent']:.2f}, (log n)^{f['logn_exponent']:.2f}, n^{f['n_exponent']:.2f}"
              f"  vs paper O(T^2 polylog n) and s^3 T^2/eps^2 polylog")
    from pyqgd.estimate import break_even

    print("\nbreak-even over n (T = 1000, total quantum time with read-out vs classical GPU time):")
    for loading in ("qrom", "qram"):
        for preset in QUBIT_PRESETS:
            be = break_even(paper_problem(10**6, 1000, loading=loading), preset)
            last = be["rows"][-1]
            q = "infeasible" if last["quantum_seconds"] is None else f"{last['quantum_seconds']:.3g} s"
            print(f"  {loading:4s} {preset:17s} crossover n: {be['crossover_n'] or 'none up to 1e12'}"
                  f" (at n=1e12: quantum {q}, classical {last['classical_seconds']:.3g} s)")
    print(json.dumps({"min_speedup_vs_trace": round(min(speedups), 2), "min_speedup_tiny": round(tiny_min, 2), "counts_agree": bool(agree_all),
                      "paper_scale_seconds": round(t_paper, 4),
                      "T_exponent_qram": round(fits[1]["T_exponent"], 3), "n_exponent_qrom": round(fits[0]["n_exponent"], 3)}))


if __name__ == "__main__":
    main()
