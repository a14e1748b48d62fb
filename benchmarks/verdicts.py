"""Verdicts a PyTorch user can trust: ``analyze`` with its defaults over model families, simulate on and off.

Each family (pyqgd.models.families) runs twice in a fresh child process (simulate=True, then False), so the wall
and CPU seconds and the peak resident memory (ru_maxrss of the child, torch and the QDK included) are per run. A
row is printed as soon as both runs of a family are measured:

    verdict, dissipative fraction, flat fraction, θ* (GD steps after the checkpoint), how far the quantum stage went
    ("circuit": the Q# circuit simulated; "block": the solver at block level in numpy, the circuit too large to
    simulate, then estimated; "estimated": the Q# program traced by the resource estimator only; "no"), cost tables, seconds, CPU seconds, peak RSS, switch-invariance, gate agreement

``verdict_switch_invariant``: verdict and fractions identical with and without simulation, for every family.
``verdict_gate_agree``: for every family, a *dissipative* verdict passes the quantum solver's input gate
(:func:`pyqgd.quantum.ode.check_gd_input`, called on the problem's own Carleman system) and a refusal by the gate
comes with a non-dissipative verdict. ``end_to_end_torch_models``: families whose verdict is dissipative and
that reached the Q# program (simulated, or traced by the resource estimator) with cost tables and break-even.

Run: ``PYTHONPATH=. QDK_PYTHON_TELEMETRY=none python benchmarks/verdicts.py`` (≈ 10 min on 2 shared CPUs).
The last line is one JSON object with the headline figures.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import resource
import sys
import time

os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")

#: family → analyze keywords beyond the defaults (the sparse-trained MLP is analysed on its own trained survivors)
FAMILY_ARGS = {"sparse_trained_mlp": {"max_params": 4, "keep": (), "prune_scope": "global"}}


def _gate(problem, N: int = 2) -> bool:
    """True when the quantum solver's input gate accepts the problem's map (dissipativity checks only)."""
    from pyqgd.carleman import NotDissipativeError, discrete_carleman
    from pyqgd.quantum.ode import check_gd_input

    try:
        check_gd_input(discrete_carleman(problem.qmap, N), problem.u_in, 4, 0, max_qubits=10**6)
    except NotDissipativeError:
        return False
    except ValueError:  # u_in = 0: nothing to encode, the gate refuses
        return False
    return True


def _child(name: str, simulate: bool, queue) -> None:
    import torch

    from pyqgd.models.families import FAMILIES
    from pyqgd.report import analyze

    torch.set_num_threads(1)
    model, loss_fn, data = FAMILIES[name]()
    work = {}
    t0, c0 = time.perf_counter(), time.process_time()
    report = analyze(model, loss_fn=loss_fn, data=data, simulate=simulate, progress=False, **FAMILY_ARGS.get(name, {}))
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    gate = None
    if report.n:
        from pyqgd.models import gd_problem

        prov = report.problem.get("provenance", {})
        work = {"expansion_point": prov.get("expansion_point", ""), "eta_source": prov.get("eta_source", "")}
        # the same problem again (deterministic) to ask the gate; not timed
        kw = FAMILY_ARGS.get(name, {})
        problem = gd_problem(model, loss_fn, data, expansion_steps="auto", max_params=kw.get("max_params", 100),
                             keep=kw.get("keep", ("norm", "bias")), prune_scope=kw.get("prune_scope", "per_layer"))
        gate = _gate(problem)
    sim = report.simulation
    mode = (sim.result.get("details") or {}).get("simulate")
    qsharp = (("circuit" if mode == "circuit" else "block") if sim.fidelity_carleman is not None
              else ("estimated" if report.estimates else "no"))
    queue.put({"verdict": report.verdict, "dissipative": report.spectrum.dissipative_fraction,
               "flat": report.spectrum.flat_fraction, "divergent": report.spectrum.divergent_fraction,
               "n": report.n, "eta": report.eta, "R": report.dissipation.R, "qsharp": qsharp,
               "costs": bool(report.estimates), "break_even": bool(report.break_even), "seconds": seconds, "cpu": cpu,
               "rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, "gate": gate,
               "predicted_s": report.timings.get("predicted_hessian_seconds", 0) + report.timings.get(
                   "predicted_third_seconds", 0),
               "predicted_gb": max(report.timings.get("predicted_hessian_gb", 0), report.timings.get("predicted_third_gb", 0)),
               "measured_derivatives_s": report.timings.get("measured_derivatives_seconds"), **work})


def _run(name: str, simulate: bool) -> dict:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_child, args=(name, simulate, q))
    p.start()
    out = q.get()
    p.join()
    return out


def main(names=None) -> dict:
    from pyqgd.models.families import FAMILIES

    names = list(names or FAMILIES)
    print(f"{'family':<20} {'n':>4} {'verdict':<19} {'diss.':>6} {'flat':>6} {'θ* steps':>8} {'Q#':<10} {'costs':<5} "
          f"{'s (sim on/off)':>15} {'CPU s':>6} {'RSS GB':>6} {'pred s':>7} {'deriv s':>7} {'invariant':<9} gate-agree",
          flush=True)
    rows = []
    for name in names:
        on, off = _run(name, True), _run(name, False)
        inv = all(on[k] == off[k] for k in ("verdict", "dissipative", "flat", "divergent", "eta", "R"))
        agree = on["gate"] is None or (on["gate"] == (on["verdict"] == "dissipative")) or (
            on["gate"] and on["flat"] > 0)
        steps = on.get("expansion_point", "").split(" true GD steps")[0].replace("θ* = ", "") or "0"
        e2e = on["verdict"] == "dissipative" and on["qsharp"] != "no" and on["costs"] and on["break_even"]
        rows.append({"family": name, **on, "off": off, "switch_invariant": inv, "gate_agree": agree, "end_to_end": e2e})
        print(f"{name:<20} {on['n']:>4} {on['verdict']:<19} {on['dissipative']:>6.1%} {on['flat']:>6.1%} {steps:>8} "
              f"{on['qsharp']:<10} {'yes' if on['costs'] else 'no':<5} {on['seconds']:>7.1f}/{off['seconds']:<7.1f} "
              f"{max(on['cpu'], off['cpu']):>6.1f} {max(on['rss_gb'], off['rss_gb']):>6.2f} {on['predicted_s']:>7.2g} "
              f"{on['measured_derivatives_s'] or 0:>7.2g} {str(inv):<9} {agree}", flush=True)
    summary = {
        "models": len(rows),
        "verdict_switch_invariant": all(r["switch_invariant"] for r in rows),
        "verdict_gate_agree": all(r["gate_agree"] for r in rows),
        "max_analyze_seconds": round(max(max(r["seconds"], r["off"]["seconds"]) for r in rows), 1),
        "max_analyze_cpu_seconds": round(max(max(r["cpu"], r["off"]["cpu"]) for r in rows), 1),
        "max_analyze_rss_gb": round(max(max(r["rss_gb"], r["off"]["rss_gb"]) for r in rows), 2),
        "end_to_end_torch_models": sum(r["end_to_end"] for r in rows),
        "end_to_end": [r["family"] for r in rows if r["end_to_end"]],
        "verdicts": {r["family"]: r["verdict"] for r in rows},
    }
    print(json.dumps(summary), flush=True)
    return summary


if __name__ == "__main__":
    main(sys.argv[1:] or None)
