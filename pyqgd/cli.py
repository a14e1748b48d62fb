"""The ``pyqgd`` command line.

    pyqgd demo [--out DIR] [--json]       the whole pipeline on the embedded toy loss: Carleman check vs true GD,
                                          verdict, Q# simulation, resource estimates; writes report.json + plots
    pyqgd analyze MODEL [...]             the pipeline on a built-in PyTorch model (mlp, cnn, transformer) or on a
                                          saved one (--model-file, --data-file)
    pyqgd simulate [...]                  a toy instance on the local Q# simulator
    pyqgd estimate --n N --T T [...]      fault-tolerant cost of the quantum GD run for sizes given directly, for
                                          QDK qubit presets, with QROM and/or QRAM loading, vs classical GPU time
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pyqgd",
        description="Could a fault-tolerant quantum computer speed up training this model, and what would it cost? "
        "(Liu et al., Nat. Commun. 15, 434, 2024)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = sub.add_parser("demo", help="end-to-end demo on the embedded toy loss (start here)",
                          description="Gradient descent on a quadratic + cubic toy loss: Carleman linearization checked "
                          "against true GD (orders 1..4 with rigorous bounds), the dissipation verdict, the Q# linear-ODE "
                          "solver on the local simulator, and fault-tolerant resource estimates with break-even.")
    _common(demo)
    an = sub.add_parser("analyze", help="analyze a PyTorch model: pruning → dynamics → verdict → cost",
                        description="Prune a model, extract its gradient-descent Taylor coefficients on the surviving "
                        "parameters, judge the regime (dissipative / almost / not applicable), and estimate the quantum "
                        "cost next to classical training. Needs the torch extra: pip install -e '.[torch]'.")
    an.add_argument("model", nargs="?", default="mlp", help="built-in model: mlp, cnn, transformer (default mlp)")
    an.add_argument("--model-file", type=Path, help="a torch.save()d nn.Module (instead of a built-in model)")
    an.add_argument("--data-file", type=Path, help="a torch.save()d (inputs, targets) tuple for --model-file")
    an.add_argument("--loss", choices=("mse", "cross_entropy"), default="mse", help="loss for --model-file (default mse)")
    an.add_argument("--prune", type=float, default=0.95, help="fraction of weights pruned by magnitude (default 0.95)")
    an.add_argument("--no-simulate", action="store_true", help="skip the Q# simulation attempt")
    _common(an)
    sim = sub.add_parser("simulate", help="a toy GD instance on the local Q# simulator",
                         description="Solve the T-step Carleman system of a toy GD problem with the Q# QSVT solver on the "
                         "local simulator and compare with the classical Carleman solution and true GD.")
    sim.add_argument("--n", type=int, default=2, help="parameters (default 2; 4 takes minutes)")
    sim.add_argument("--N", type=int, default=2, help="Carleman order (default 2)")
    sim.add_argument("--T", type=int, default=4, help="GD steps (default 4)")
    sim.add_argument("--eta", type=float, default=0.3, help="learning rate (default 0.3)")
    sim.add_argument("--epsilon", type=float, default=0.05, help="QSVT precision (default 0.05)")
    sim.add_argument("--amplify", action="store_true", help="fixed-point amplitude amplification (slower)")
    sim.add_argument("--json", action="store_true", help="print JSON")
    est = sub.add_parser("estimate", help="fault-tolerant resource estimate for sizes given directly",
                         description="Logical and physical (surface-code) cost of one quantum gradient-descent run "
                         "(Carleman T-step system, QSVT inversion, amplification) and of reading the parameters out, "
                         "next to the classical GPU time of the same T steps.")
    est.add_argument("--n", type=_count, required=True, help="surviving parameters, e.g. 7e6")
    est.add_argument("--T", type=_count, required=True, help="gradient-descent steps")
    est.add_argument("--s", type=_count, default=8, help="nonzeros per row of F1 / F2 (default 8)")
    est.add_argument("--N", type=_count, default=2, help="Carleman truncation order (default 2)")
    est.add_argument("--epsilon", type=float, default=1e-2, help="solver precision ε in (0, 1) (default 1e-2)")
    est.add_argument("--delta", type=float, default=1e-2, help="read-out (tomography) precision δ (default 1e-2)")
    est.add_argument("--preset", action="append", metavar="NAME",
                     help="QDK qubit preset (repeatable; default: all six): qubit_gate_ns_e3, qubit_gate_ns_e4, "
                     "qubit_gate_us_e3, qubit_gate_us_e4, qubit_maj_ns_e4, qubit_maj_ns_e6")
    est.add_argument("--loading", choices=("qrom", "qram", "both"), default="both", help="data loading (default both)")
    est.add_argument("--error-budget", type=float, default=1e-3, help="error budget per run (default 1e-3)")
    est.add_argument("--json", action="store_true", help="print JSON instead of tables")
    est.add_argument("--out", type=Path, help="also write estimate.json into this directory")
    return parser


def _common(p):
    p.add_argument("--eta", type=float, default=None, help="learning rate (default: 0.3 toy, 0.5 models)")
    p.add_argument("--T", type=int, default=100, help="GD steps to cost (default 100)")
    p.add_argument("--N", type=int, default=2, help="Carleman order (default 2)")
    p.add_argument("--epsilon", type=float, default=1e-2, help="solver precision ε (default 1e-2)")
    p.add_argument("--preset", action="append", metavar="NAME", help="QDK qubit preset (repeatable; default "
                   "qubit_gate_ns_e4 and qubit_maj_ns_e6)")
    p.add_argument("--out", type=Path, default=Path("pyqgd-out"), help="output directory (default ./pyqgd-out)")
    p.add_argument("--json", action="store_true", help="print the JSON report instead of the text summary")


def _count(text: str) -> int:
    """An integer given as 1000, 1e3 or 7e6 (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer such as 1000 or 7e6, got {text!r}") from None
    if not value.is_integer():
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}")
    return int(value)


def _estimate(args) -> int:
    from pyqgd.estimate import QUBIT_PRESETS, OdeProblem, estimate_model, format_seconds

    presets = tuple(args.preset or QUBIT_PRESETS)
    loadings = ("qrom", "qram") if args.loading == "both" else (args.loading,)
    results = []
    for loading in loadings:
        problem = OdeProblem(n=args.n, s=args.s, N=args.N, T=args.T, epsilon=args.epsilon, loading=loading)
        results.append(estimate_model(problem, presets, error_budget=args.error_budget, delta=args.delta))
    report = [r.summary() for r in results]
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "estimate.json").write_text(json.dumps(report, indent=2, default=str))
    if args.json:
        print(json.dumps(report, indent=2, default=str))
        return 0
    for r in results:
        c = r.cost
        print(f"== n = {args.n:.3g}, T = {args.T}, s = {args.s}, N = {args.N}, ε = {args.epsilon:g}, "
              f"loading = {r.problem.loading.upper()}")
        print(f"   QSVT degree {c.degree}, amplification rounds {c.amplification_length}, κ ≈ {c.kappa:.3g}, "
              f"tomography runs {r.samples:.3g}")
        print(r.physical.table())
        for preset, why in r.infeasible.items():
            print(f"   {preset}: infeasible — {why}")
        best = min(r.total_seconds.items(), key=lambda kv: kv[1]) if r.total_seconds else None
        if best:
            print(f"   fastest total with read-out: {best[0]} {format_seconds(best[1])} vs classical GPU "
                  f"{format_seconds(r.classical_seconds)}\n")
    return 0


def _write_report(report, args) -> int:
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.json").write_text(report.to_json())
    pngs = report.plots(args.out)
    if args.json:
        print(report.to_json())
    else:
        print(report.summary())
        print(f"\nwrote {args.out / 'report.json'} and {len(pngs)} plots into {args.out}/")
    return 0


def _presets(args):
    """The requested presets, validated before any long stage runs."""
    from pyqgd.estimate import check_presets

    presets = tuple(args.preset or ("qubit_gate_ns_e4", "qubit_maj_ns_e6"))
    check_presets(presets)
    return presets


def _demo(args) -> int:
    from pyqgd.report.pipeline import analyze

    report = analyze("toy", eta=args.eta or 0.3, T=args.T, N=args.N, epsilon=args.epsilon, presets=_presets(args),
                     check_orders=(1, 2, 3, 4), progress=not args.json)
    return _write_report(report, args)


def _analyze(args) -> int:
    presets = _presets(args)
    try:
        import torch
    except ImportError:
        raise ValueError("analyze needs PyTorch: pip install -e '.[torch]'") from None
    from pyqgd.report.pipeline import analyze

    model, loss_fn, data = args.model, None, None
    if args.model_file or args.data_file:
        if not (args.model_file and args.data_file):
            raise ValueError("--model-file and --data-file go together")
        for f in (args.model_file, args.data_file):
            if not f.is_file():
                raise FileNotFoundError(f"no such file: {f}")
        model = torch.load(args.model_file, weights_only=False)
        data = tuple(torch.load(args.data_file, weights_only=False))
        loss_fn = _mse if args.loss == "mse" else torch.nn.functional.cross_entropy
    report = analyze(model, loss_fn=loss_fn, data=data, prune=args.prune, eta=args.eta or 0.5, T=args.T, N=args.N,
                     epsilon=args.epsilon, presets=presets, simulate=not args.no_simulate, progress=not args.json)
    return _write_report(report, args)


def _mse(outputs, targets):
    """Mean squared error written out: torch's fused mse_loss has no forward-over-reverse rule for every case
    (it raises "ZeroTensors are immutable" inside jvp-of-grad), and the Hessian extraction needs one."""
    return ((outputs - targets) ** 2).mean()


def _simulate(args) -> int:
    import numpy as np

    from pyqgd.carleman import discrete_carleman
    from pyqgd.dynamics import gd_map, toy_cubic
    from pyqgd.quantum import solve_gd

    qm = gd_map(toy_cubic(args.n, cubic=0.5), args.eta, np.zeros(args.n))
    res = solve_gd(discrete_carleman(qm, args.N), np.full(args.n, 0.1), args.T, epsilon=args.epsilon,
                   amplify=args.amplify, angle_bits=24)
    d = res.to_dict()
    if args.json:
        print(json.dumps({k: v for k, v in d.items()}, indent=2, default=lambda o: getattr(o, "tolist", lambda: str(o))()))
        return 0
    print(f"toy GD, n = {args.n}, N = {args.N}, T = {args.T}, η = {args.eta}: Q# QSVT solver on the local simulator")
    print(f"  fidelity with classical Carleman u_T: {res.fidelity_carleman:.6f}; with true GD u_T: {res.fidelity_gd:.6f}")
    print(f"  success probability {res.success_probability:.4g} (predicted {res.success_probability_predicted:.4g})"
          + (f", amplified {res.amplified_success_probability:.4g}" if res.amplified_success_probability else ""))
    print(f"  κ = {res.kappa:.3g}, QSVT degree {res.degree}, {res.block_encoding_calls} block-encoding calls, "
          f"{res.qubits_in_superposition} qubits in superposition ({res.qubits_total} allocated), "
          f"{res.simulated_seconds:.1f} s simulated")
    return 0


def main(argv=None) -> int:
    os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")
    args = build_parser().parse_args(argv)
    try:
        return {"demo": _demo, "analyze": _analyze, "simulate": _simulate, "estimate": _estimate}[args.command](args)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        print(f"pyqgd {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
