"""Benchmark: local Q# simulation of the Carleman GD solve — which instances the simulator runs, at what cost.

Toy GD maps (``toy_cubic`` loss, cubic = 0.5, η = 0.3, expansion at θ* = 0, u_in = 0.1·1), the Kronecker encoding,
amplification (δ = 0.5; standard where the bounds bracket the success probability, else fixed-point), ε = 0.1 on the
post-selected output (fidelity ≥ 0.99). Each row is one ``pyqgd.quantum.solve_gd(..., solver="auto")`` run through
the one solve driver (QSVT or the kernel reflection, whichever plan predicts the lower simulator cost; the padding
with the fewest planned calls), printed as it finishes:

* ``exact`` rows: instance-exact parameters (κ from the SVD, the window amplitude from the classical history
  solution), ``simulate="auto"`` with an unlimited budget, so the Q# circuit runs and the probe's CPU-second
  prediction stands beside the measured CPU seconds (the calibration of ``simulate="auto"``);
* ``bounds`` rows: the default a-priori parameters (``pyqgd.carleman.bounds``), ``simulate="auto"`` with its
  default budget: the circuit where it fits, else the block level with the reason.

Columns: instance, parameters, solver, path, qubits of the circuit's final state, its nonzero amplitudes, block-encoding calls
(counted by the Q# program on circuit rows), fidelity with the classical Carleman u_T, Q# seconds (wall) and Q#
CPU seconds (this process; 2 cores shared with other jobs, so wall ≥ CPU), predicted CPU seconds, preparation
seconds (classical: encoding data, bounds, references, pyqsp angle finding). Finally the demo's default solve
(``pyqgd demo``'s simulation stage on the problem ``analyze("toy")`` builds), timed. The last line is one JSON object with
``circuit_instances``, ``min_circuit_fidelity``, ``calls_counted_by_qsharp``, ``demo_solve_seconds`` (wall) and
``demo_solve_cpu_seconds``.

    QDK_PYTHON_TELEMETRY=none python benchmarks/simulate.py [--quick]
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")

import numpy as np

from pyqgd.carleman import discrete_carleman
from pyqgd.dynamics import gd_map, gd_problem, toy_cubic
from pyqgd.quantum.ode import solve_gd
from pyqgd.report.pipeline import _simulate

# (n, N, T, parameters, circuit budget in CPU seconds; None = solve_gd's default)
ROWS = [
    (2, 1, 4, "exact", 1e9),
    (3, 1, 4, "exact", 1e9),
    (2, 2, 4, "exact", 1e9),
    (2, 1, 4, "bounds", 1e9),
    (2, 1, 8, "exact", 1e9),
    (2, 2, 4, "bounds", None),
    (3, 2, 4, "bounds", None),
    (2, 2, 8, "bounds", None),
]


def _row(n, N, T, parameters, budget):
    qm = gd_map(toy_cubic(n, cubic=0.5, seed=0), 0.3, np.zeros(n))
    kw = {} if budget is None else {"circuit_budget_seconds": budget}
    t0 = time.perf_counter()
    r = solve_gd(discrete_carleman(qm, N), np.full(n, 0.1), T, epsilon=0.1, delta=0.5, parameters=parameters,
                 angle_bits=24, solver="auto", **kw)
    d = r.details
    pred = d.get("prediction") or {}
    return {"instance": f"n{n}-N{N}-T{T}", "parameters": parameters, "solver": d["solver"], "path": d["simulate"],
            "qubits": d["circuit_qubits"], "nonzero_amplitudes": r.nonzero_amplitudes,
            "calls": r.block_encoding_calls, "counted_by_qsharp": r.calls_counted_by_qsharp,
            "fidelity": r.fidelity_carleman, "qsharp_s": r.simulated_seconds, "qsharp_cpu_s": d["simulated_cpu_seconds"],
            "predicted_cpu_s": pred.get("seconds"), "preparation_s": r.preparation_seconds,
            "wall_s": time.perf_counter() - t0, "how": r.how_simulated()}


def _fmt(x, spec):
    return "-" if x is None else format(x, spec)


def main() -> None:
    quick = "--quick" in sys.argv
    hdr = (f"{'instance':10} {'params':6} {'solver':6} {'path':7} {'qubits':>6} {'nonzero':>7} {'calls':>7} {'Q#':>3} "
           f"{'fidelity':>9} {'Q# s':>7} {'Q# CPU s':>8} {'pred CPU':>8} {'prep s':>6}")
    print(hdr)
    print("-" * len(hdr), flush=True)
    rows = []
    for spec in ROWS[:3] if quick else ROWS:
        row = _row(*spec)
        rows.append(row)
        print(f"{row['instance']:10} {row['parameters']:6} {row['solver']:6} {row['path']:7} {_fmt(row['qubits'], '6d')} "
              f"{_fmt(row['nonzero_amplitudes'], '7d')} {row['calls']:7d} {'yes' if row['counted_by_qsharp'] else 'no':>3} "
              f"{row['fidelity']:9.6f} {row['qsharp_s']:7.1f} {row['qsharp_cpu_s']:8.1f} "
              f"{_fmt(row['predicted_cpu_s'], '8.1f')} {row['preparation_s']:6.1f}", flush=True)
        if row["path"] != "circuit":
            print(f"  {row['how']}", flush=True)
    # the demo's default solve: `pyqgd demo`'s simulation stage on the problem analyze("toy") builds (η = 0.3, T = 100)
    problem = gd_problem(toy_cubic(2, seed=0, cubic=0.5), 0.3, u_in=np.full(2, 0.1), T=100, name="toy")
    t0, c0 = time.perf_counter(), time.process_time()
    sim = _simulate(problem, 2, True)
    demo = {"seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0, "T": sim.get("T"),
            "how": sim.get("how"), "fidelity": sim.get("fidelity_carleman"), "block_level": sim.get("block_level")}
    print(f"demo (pyqgd demo, toy n = 2, N = 2): simulation stage {demo['seconds']:.1f} s wall; T = {demo['T']}: "
          f"{demo['how']}; fidelity {demo['fidelity']:.6f}", flush=True)
    if demo["block_level"]:
        print(f"  T = {demo['block_level']['T']}: {demo['block_level']['how']}", flush=True)
    circuit = [r for r in rows if r["path"] == "circuit"]
    ratios = [r["predicted_cpu_s"] / r["qsharp_cpu_s"] for r in circuit if r["predicted_cpu_s"]]
    print(json.dumps({
        "circuit_instances": len(circuit),
        "min_circuit_fidelity": min((r["fidelity"] for r in circuit), default=None),
        "calls_counted_by_qsharp": bool(circuit) and all(r["counted_by_qsharp"] for r in circuit),
        "demo_solve_seconds": round(demo["seconds"], 2),
        "demo_solve_cpu_seconds": round(demo["cpu"], 2),
        "demo_T_on_circuit": demo["T"] if "Q# circuit" in str(demo["how"]) else None,
        "prediction_over_measured_cpu": [round(min(ratios), 2), round(max(ratios), 2)] if ratios else None,
        "block_rows": len(rows) - len(circuit),
    }), flush=True)


if __name__ == "__main__":
    main()
