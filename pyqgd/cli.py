"""The ``pyqgd`` command line.

    pyqgd demo [--out DIR] [--json]       Carleman linearization of GD on an embedded toy loss: errors vs N, bounds,
                                          diagnostics; writes demo.json and carleman_error.png into DIR
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
    demo = sub.add_parser("demo", help="Carleman linearization of gradient descent on an embedded toy loss",
                          description="Run gradient descent on a quadratic + cubic toy loss, linearize it by Carleman "
                          "embedding at orders N = 1..4, and compare with the true trajectory and the rigorous bound.")
    demo.add_argument("--out", type=Path, default=Path("pyqgd-out"), help="output directory (default: ./pyqgd-out)")
    demo.add_argument("--json", action="store_true", help="print the JSON report instead of the text summary")
    demo.add_argument("--n", type=int, default=4, help="number of parameters of the toy loss (default 4)")
    demo.add_argument("--eta", type=float, default=0.3, help="learning rate (default 0.3)")
    demo.add_argument("--steps", type=int, default=20, help="GD steps T (default 20)")
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
    from pyqgd.estimate import QUBIT_PRESETS, OdeProblem, estimate_model

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
            print(f"   fastest total with read-out: {best[0]} {_years(best[1])} vs classical GPU "
                  f"{r.classical_seconds:.3g} s\n")
    return 0


def _years(seconds: float) -> str:
    return f"{seconds / 3.156e7:.3g} yr" if seconds > 3.156e7 else f"{seconds:.3g} s"


def _demo(args) -> int:
    from pyqgd.report.carleman_demo import carleman_demo, plot_carleman_demo

    result = carleman_demo(n=args.n, eta=args.eta, T=args.steps)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "demo.json").write_text(result.to_json())
    png = plot_carleman_demo(result, args.out / "carleman_error.png")
    print(result.to_json() if args.json else result.summary())
    if not args.json:
        print(f"\nwrote {args.out / 'demo.json'} and {png}")
    return 0


def main(argv=None) -> int:
    os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")
    args = build_parser().parse_args(argv)
    try:
        return {"demo": _demo, "estimate": _estimate}[args.command](args)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        print(f"pyqgd {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
