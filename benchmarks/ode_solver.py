"""Benchmark: the quantum Carleman GD solver (issue 4) on toy problems, beside HHL on the same history system.

For each toy gradient-descent problem (toy_cubic loss, GD map around θ* = 0, discrete Carleman map at order N):
simulate ``pyqgd.quantum.solve_gd`` (structured oracles, |B⟩ preparation, QSVT inversion, fixed-point amplification
onto the final-time level-1 block) and ``pyqgd.quantum.solve_hhl`` on the explicit T-step matrix L and right-hand
side B (full history state; HHL's fidelity is with L⁻¹B). Prints a table; the last line is one JSON object.

    QDK_PYTHON_TELEMETRY=none python benchmarks/ode_solver.py [--all]
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")

import numpy as np

from pyqgd.carleman import discrete_carleman, tstep_matrix, tstep_rhs
from pyqgd.dynamics import gd_map, toy_cubic
from pyqgd.quantum import solve_gd, solve_hhl

# (name, n, N, T, u_in, amplify)
CASES = [
    ("n2-N2-T4", 2, 2, 4, [0.3, -0.1], True),
    ("n2-N2-T5", 2, 2, 5, [0.2, 0.2], True),
    ("n4-N2-T1", 4, 2, 1, [0.2, 0.0, -0.1, 0.1], False),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--all", action="store_true", help="also n2-N2-T5 and n4-N2-T1 (about 15 more minutes)")
    ap.add_argument("--epsilon", type=float, default=0.05)
    args = ap.parse_args()
    rows = []
    for name, n, N, T, u, amplify in CASES if args.all else CASES[:1]:
        s = discrete_carleman(gd_map(toy_cubic(n, seed=0), 0.2, np.zeros(n)), N)
        u = np.asarray(u, dtype=float)
        t0 = time.perf_counter()
        r = solve_gd(s, u, T, epsilon=args.epsilon, angle_bits=24, delta=0.5, amplify=amplify)
        wall = time.perf_counter() - t0
        L, B = tstep_matrix(s, T, r.p), tstep_rhs(s, u, T, r.p)
        t1 = time.perf_counter()
        h = solve_hhl(L, B, phase_qubits=7)
        hwall = time.perf_counter() - t1
        rows.append((name, r, wall, h, hwall))
    hdr = (f"{'case':10} {'m':>2} {'qb':>3} {'s':>3} {'kappa':>6} {'deg':>4} {'AA':>3} {'calls':>6} {'P':>8} {'P_pred':>8} "
           f"{'P_AA':>7} {'P_AA_pred':>9} {'F_carl':>7} {'F_gd':>7} {'sim_s':>6} | {'HHL qb':>6} {'calls':>6} {'F':>7} {'P':>8} {'s':>5}")
    lines = [hdr, "-" * len(hdr)]
    for name, r, wall, h, hwall in rows:
        pa = "-" if r.amplified_success_probability is None else f"{r.amplified_success_probability:.4f}"
        pap = "-" if r.amplified_success_probability_predicted is None else f"{r.amplified_success_probability_predicted:.4f}"
        lines.append(
            f"{name:10} {r.qubits['system']:>2} {r.qubits_in_superposition:>3} {r.sparsity:>3} {r.kappa:6.1f} {r.degree:>4} "
            f"{r.amplification_length:>3} {r.block_encoding_calls:>6} {r.success_probability:8.5f} "
            f"{r.success_probability_predicted:8.5f} {pa:>7} {pap:>9} {r.fidelity_carleman:7.5f} {r.fidelity_gd:7.5f} "
            f"{wall:6.1f} | {h.qubits:>6} {h.block_encoding_calls:>6} {h.fidelity:7.5f} {h.success_probability:8.5f} "
            f"{hwall:5.1f}"
        )
    for line in lines:
        print(line)
    print("m: system qubits; qb: qubits in superposition; calls: block-encoding calls (QSVT degree × amplification "
          "length); P: good-subspace probability (final window, level 1) simulated vs numpy; F_carl / F_gd: fidelity "
          "of |u_T> with the classical Carleman / true GD iterate. HHL: full history state L^-1 B, calls of controlled "
          "e^{iHt}, eigenbasis oracle (see pyqgd.quantum.hhl).")
    summary = {
        "min_fidelity": min(r.fidelity_carleman for _, r, *_ in rows),
        "instances": len(rows),
        "max_success_probability_error": max(abs(r.success_probability - r.success_probability_predicted) for _, r, *_ in rows),
        "cases": [{"name": name, **{k: v for k, v in r.to_dict().items() if k not in ("state", "u_carleman", "u_gd")},
                   "wall_s": wall, "hhl": {"fidelity": h.fidelity, "qubits": h.qubits, "calls": h.block_encoding_calls,
                                            "success_probability": h.success_probability}}
                  for name, r, wall, h, _ in rows],
    }
    print(json.dumps(summary, default=float))


if __name__ == "__main__":
    main()
