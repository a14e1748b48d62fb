"""The ``pyqgd`` command line.

    pyqgd demo [--out DIR] [--json]       Carleman linearization of GD on an embedded toy loss: errors vs N, bounds,
                                          diagnostics; writes demo.json and carleman_error.png into DIR
"""

from __future__ import annotations

import argparse
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
    return parser


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
        return {"demo": _demo}[args.command](args)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        print(f"pyqgd {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
