"""The ``pyqgd`` command line.

    pyqgd demo [...]       the whole pipeline on the embedded toy loss: Carleman check vs true GD, verdict, Q#
                           simulation, resource estimates; writes report.json + plots
    pyqgd analyze [...]    the pipeline on a built-in PyTorch model (mlp, cnn, transformer) or on a saved one
                           (--model-file, --data-file)
    pyqgd simulate [...]   a toy instance on the local Q# simulator
    pyqgd estimate [...]   fault-tolerant cost of the quantum GD run for sizes given directly

Error policy. A user mistake (bad option, unreadable or unsafe file, output folder that cannot take the report,
a problem too large for this machine) exits with code 2 and ONE line on stderr that says what to do; everything
that can be checked is checked before the long work starts. Anything else is a bug: exit code 1 and one line
"internal error, please report …" (the traceback with ``--debug``). An exception counts as a user mistake when it is
one of pyqgd's input-error classes or a ``ValueError``/``TypeError``/``FloatingPointError`` raised by a ``raise``
statement in pyqgd's own code (a deliberate check); the same types raised inside numpy, scipy or torch are bugs.
"""

from __future__ import annotations

import argparse
import json
import linecache
import math
import os
import platform
import sys
import traceback
from dataclasses import replace
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace

import numpy
import numpy as np
import scipy
from tqdm import tqdm

from pyqgd import __version__, registry
from pyqgd._checks import InputTypeError, TooLargeError
from pyqgd.carleman import NotDissipativeError, discrete_carleman
from pyqgd.dynamics import gd_map, toy_cubic
from pyqgd.estimate import LOADINGS, QUBIT_PRESETS, READOUTS, OdeProblem, check_presets, estimate_model
from pyqgd.estimate.bottom_line import DEVICE_PLAN_QUBITS, bottom_line, option_label
from pyqgd.estimate.errors import ErrorBudgetError, EstimateInputError, UnknownPresetError
from pyqgd.estimate.tree import cost_tree
from pyqgd.limits import check_cost_sizes, check_max_params, check_pipeline_order
from pyqgd.quantum import ode, solve_gd
from pyqgd.quantum.structured_oracles import carleman_layout
from pyqgd.report import pipeline
from pyqgd.report.io import OutputDir, OutputError, atomic_write_text

__all__ = ["main", "build_parser", "UsageError"]

#: Output files of a report (the plots' stems; each may be written as PNG, SVG or PDF).
_PLOT_STEMS = ("trajectory_error", "spectrum", "error_proxy", "cost_breakdown", "qubits_runtime", "break_even")
_REPORT_NAMES = ("report.json",) + tuple(f"{s}.{ext}" for s in _PLOT_STEMS for ext in ("png", "svg", "pdf"))
_ISSUES = "https://github.com/pyqgd/pyqgd/issues"
DEFAULT_SEED = 0
#: Loadings the demo and analyze cost unless --loading says otherwise (the two extremes: QROM and QRAM).
_PIPELINE_LOADINGS = ("qrom", "qram")

_EXAMPLES = {
    "pyqgd": """examples:
  pyqgd demo                                   # start here: the whole pipeline on a toy loss (~20 s)
  pyqgd analyze mlp --prune 0.95               # a built-in PyTorch model (needs the torch extra)
  pyqgd simulate --params 2 --order 2 --T 4    # the Q# solver on the local simulator
  pyqgd estimate --params 7e6 --T 1000         # fault-tolerant cost at a given size
  pyqgd COMMAND --help                         # options of one command""",
    "demo": """examples:
  pyqgd demo
  pyqgd demo --T 50 --order 3 --out runs/toy --seed 1
  pyqgd demo --json --preset qubit_maj_ns_e6 > report.json""",
    "analyze": """examples:
  pyqgd analyze mlp
  pyqgd analyze mlp --prune 0.95 --eta 0.5
  pyqgd analyze cnn --no-simulate --out runs/cnn
  pyqgd analyze --model-file weights.pt --model-class mypkg.nets:Net --data-file batch.pt --loss cross_entropy
      weights.pt: torch.save(model.state_dict(), "weights.pt"); mypkg.nets.Net() must build the model;
      batch.pt: torch.save((X, y), "batch.pt")""",
    "simulate": """examples:
  pyqgd simulate
  pyqgd simulate --params 2 --order 2 --T 2 --epsilon 0.05 --json""",
    "estimate": """examples:
  pyqgd estimate --params 7e6 --T 1000
  pyqgd estimate --params 1e5 --T 50 --order 3 --loading qram --preset qubit_maj_ns_e6 --json
  pyqgd estimate --params 1e8 --T 100 --error-budget 1e-2 --out runs/estimate
  pyqgd estimate --params 7e6 --T 1000 --block-encoding kronecker --solver auto""",
}

_RENAMED = {"--n": "--params", "--N": "--order"}


class UsageError(ValueError):
    """A command-line mistake found by the CLI itself; the message says what to do."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (usage is in --help) raised as UsageError instead of exiting."""
    def error(self, message):
        raise UsageError(f"{message} (see {self.prog} --help)")


class _DeprecatedAlias(argparse.Action):
    """The old spelling of a renamed option: sets the new option's value and says on stderr which name to use."""

    def __init__(self, option_strings, dest, new: str, **kwargs):
        super().__init__(option_strings, dest, **kwargs)
        self.new = new

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"{parser.prog}: warning: {option_string} is deprecated, use {self.new}", file=sys.stderr)
        setattr(namespace, self.dest, values)


def _formatter(prog):
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=32)


# ---- argument types ------------------------------------------------------------------------------------------------

def _count(text: str) -> int:
    """A positive integer given as 1000, 1e3 or 7e6."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer such as 1000 or 7e6, got {text!r}") from None
    if not math.isfinite(value) or not value.is_integer():
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}")
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be ≥ 1, got {text!r}")
    return int(value)


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be in [0, 2³²), got {text!r}")
    return value


def _float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _positive(text: str) -> float:
    value = _float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text!r} (an explicit 0 is not replaced by a default)")
    return value


def _open_unit(text: str) -> float:
    value = _float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must lie in (0, 1), e.g. 1e-2; got {text!r}")
    return value


def _prune(text: str) -> float:
    value = _float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be a fraction in [0, 1), e.g. 0.95; got {text!r}")
    return value


# ---- the parser ----------------------------------------------------------------------------------------------------

#: Each command's one-line help (``pyqgd --help``) and its description (``pyqgd COMMAND --help``).
_COMMANDS = {
    "demo": ("end-to-end demo on the embedded toy loss (start here)",
             "Gradient descent on a quadratic + cubic toy loss: Carleman linearization checked against true GD "
             "(orders 1..4 with rigorous bounds), the dissipation verdict, the Q# linear-ODE solver on the local "
             "simulator, and fault-tolerant resource estimates with break-even."),
    "analyze": ("analyze a PyTorch model: pruning → dynamics → verdict → cost",
                "Prune a model, extract its gradient-descent Taylor coefficients on the surviving parameters, judge "
                "the regime (dissipative / almost / not applicable), and estimate the quantum cost next to classical "
                "training. Needs the torch extra: pip install -e '.[torch]'."),
    "simulate": ("a toy GD instance on the local Q# simulator",
                 "Solve the T-step Carleman system of a toy GD problem with the Q# QSVT or kernel-reflection solver "
                 "(the plan with the lower predicted simulator cost) on the local simulator and compare with the "
                 "classical Carleman solution and true GD."),
    "estimate": ("fault-tolerant resource estimate for sizes given directly",
                 "Logical and physical (surface-code) cost of one quantum gradient-descent run (Carleman T-step "
                 "system, QSVT inversion, amplification) and of reading the parameters out, next to the classical "
                 "GPU time of the same T steps."),
}


def build_parser() -> argparse.ArgumentParser:
    """The ``pyqgd`` parser: one subcommand per entry of ``_COMMANDS``, its options added by ``_OPTIONS``."""
    parser = _Parser(prog="pyqgd", formatter_class=_formatter, epilog=_EXAMPLES["pyqgd"],
                     description="Could a fault-tolerant quantum computer speed up training this model, and what would "
                     "it cost? (Liu et al., Nat. Commun. 15, 434, 2024)")
    parser.add_argument("--version", action="version", version=f"pyqgd {__version__}")
    parser.add_argument("--debug", action="store_true", help="print the traceback of an internal error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (help_, description) in _COMMANDS.items():
        p = sub.add_parser(name, help=help_, description=description, epilog=_EXAMPLES[name],
                           formatter_class=_formatter)
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="print the traceback of an internal error")
        _OPTIONS[name](p)
    return parser


def _demo_options(demo) -> None:
    """The options of ``pyqgd demo``: the pipeline's, with the toy loss's learning rate as η's default."""
    _pipeline_options(demo, eta_default="0.3")


def _estimate_options(est) -> None:
    """The options of ``pyqgd estimate``: the sizes, the precisions, and which circuits and read-outs are costed."""
    est.add_argument("--params", type=_count, required=True, metavar="n",
                     help="model size: surviving parameters n, e.g. 7e6")
    est.add_argument("--T", type=_count, required=True, help="gradient-descent steps")
    est.add_argument("--s", type=_count, default=8, help="nonzeros per row of F1 / F2 (default 8; ≤ --params)")
    _precision_options(est)
    est.add_argument("--preset", action="append", metavar="NAME",
                     help="QDK qubit preset (repeatable; default: all): qubit_gate_ns_e3, qubit_gate_ns_e4, "
                     "qubit_gate_us_e3, qubit_gate_us_e4, qubit_maj_ns_e4, qubit_maj_ns_e6")
    est.add_argument("--loading", choices=tuple(LOADINGS) + ("all",), default="all",
                     help="data loading (default all; the Kronecker encoding reads its F tables by qrom or selectswap)")
    est.add_argument("--block-encoding", choices=("auto",) + registry.names("encoding"), default="auto",
                     help="block-encoding of the T-step matrix: auto (the cheaper built one per loading), sparse "
                     "(structured oracles over M's tables, built), kronecker (from F0, F1, F2 alone, built, QROM or QROAM), "
                     "f_tables_model (oracles storing only the F's: a model, not built) (default auto)")
    est.add_argument("--solver", choices=("qsvt", "kernel", "auto"), default="auto",
                     help="linear solver: qsvt (QSVT inversion + fixed-point amplification), kernel (kernel-reflection "
                     "QLSS, Dalzell 2024), auto (the cheaper of the two rigorous built solvers per instance) "
                     "(default auto)")
    est.add_argument("--readout", choices=tuple(READOUTS) + ("all",), default=None,
                     help="how the trained parameters are read out (default: the cheaper of the two per estimate; "
                     "all: one estimate per read-out)")
    est.add_argument("--breakdown", action="store_true",
                     help="print the cost tree of the bottom-line option: where one run's Toffolis, T gates and "
                     "rotations go (solve → amplification → QSVT → block-encoding call → lookups …)")
    est.add_argument("--json", action="store_true", help="print JSON instead of tables")
    est.add_argument("--out", type=Path, metavar="DIR", help="also write estimate.json into this folder")
    est.add_argument("--force", action="store_true", help="replace files in --out that pyqgd did not write")


def _analyze_options(an) -> None:
    """The options of ``pyqgd analyze``: the model, its files and how they load, pruning, then the pipeline's."""
    an.add_argument("model", nargs="?", default=None, choices=("mlp", "cnn", "transformer"),
                    help="built-in model: mlp, cnn or transformer (default mlp; not with --model-file)")
    an.add_argument("--model-file", type=Path, metavar="FILE",
                    help="your model's weights: a state_dict (torch.save(model.state_dict())) "
                    "with --model-class")
    an.add_argument("--model-class", metavar="MODULE:CLASS",
                    help="the class a state_dict --model-file loads into, e.g. mypkg.nets:Net (built with no arguments)")
    an.add_argument("--data-file", type=Path, metavar="FILE",
                    help="(inputs, targets) tensors saved with torch.save((X, y), FILE); goes with --model-file")
    an.add_argument("--loss", choices=("mse", "cross_entropy"), default=None,
                    help="loss for --model-file (default mse): mse needs float targets of the outputs' shape; "
                    "cross_entropy needs ≥ 2 outputs and integer labels")
    an.add_argument("--unsafe-load", action="store_true",
                    help="also accept a --model-file that is code: TorchScript (torch.jit.save; its weights go into "
                    "--model-class) or a pickled module (torch.save(model)). RISK: loading runs any code the file "
                    "contains, with your permissions; use only for files you made yourself")
    an.add_argument("--unsafe-load-data", action="store_true",
                    help="also accept a pickled --data-file (any Python objects). RISK: runs code from the file")
    an.add_argument("--prune", type=_prune, default=None,
                    help="fraction of weights pruned by magnitude (default: automatic, see --max-params)")
    an.add_argument("--max-params", type=_count, default=None, metavar="n",
                    help="with automatic pruning, keep about this many parameters (default: the pipeline's)")
    an.add_argument("--no-simulate", action="store_true",
                    help="skip the Q# simulation attempt (the expansion point and the verdict do not change)")
    an.add_argument("--memory-gb", type=_positive, default=None, metavar="GB",
                    help="memory the Hessian and third-order stages may use (default 1.5); their time and memory are "
                    "predicted before they start, and a model that does not fit is refused with the option that fits")
    _pipeline_options(an, eta_default="1/λ_max of the Hessian, stated in the report")


def _simulate_options(sim) -> None:
    """The options of ``pyqgd simulate``: the toy instance, the solve's precision, amplification and circuit."""
    sim.add_argument("--params", type=_count, default=2, metavar="n",
                     help="model size: number of parameters n of the toy loss (default 2; 4 takes minutes)")
    sim.add_argument("--order", type=_count, default=2, metavar="N", help="Carleman truncation order N (default 2)")
    sim.add_argument("--T", type=_count, default=4, help="gradient-descent steps (default 4)")
    sim.add_argument("--eta", type=_positive, default=0.3, help="learning rate η > 0 (default 0.3)")
    sim.add_argument("--epsilon", type=_open_unit, default=0.05, help="error ε in (0, 1) of the output state (default 0.05)")
    sim.add_argument("--no-amplify", action="store_true", help="skip the fixed-point amplitude amplification")
    sim.add_argument("--circuit", action="store_true",
                     help="run the Q# circuit even when it is predicted over the auto budget (may take minutes)")
    sim.add_argument("--seed", type=_seed, default=DEFAULT_SEED, help=f"seed of the toy loss (default {DEFAULT_SEED})")
    sim.add_argument("--json", action="store_true", help="print JSON")


def _pipeline_options(p, eta_default):
    p.add_argument("--eta", type=_positive, default=None, help=f"learning rate η > 0 (default {eta_default})")
    p.add_argument("--T", type=_count, default=100, help="gradient-descent steps to cost (default 100)")
    _precision_options(p)
    p.add_argument("--loading", choices=tuple(LOADINGS) + ("all",), default=None,
                   help="data loading to cost (default: QROM and QRAM)")
    p.add_argument("--preset", action="append", metavar="NAME", help="QDK qubit preset (repeatable; default "
                   "qubit_gate_ns_e4 and qubit_maj_ns_e6)")
    p.add_argument("--seed", type=_seed, default=DEFAULT_SEED,
                   help=f"random seed (models, data, toy loss; default {DEFAULT_SEED}, recorded in report.json)")
    p.add_argument("--out", type=Path, default=Path("pyqgd-out"), metavar="DIR",
                   help="output folder (default ./pyqgd-out)")
    p.add_argument("--force", action="store_true", help="replace files in --out that pyqgd did not write")
    p.add_argument("--json", action="store_true", help="print the JSON report instead of the text summary")


def _precision_options(p) -> None:
    """The options that set what one costed run must achieve (``demo``, ``analyze``, ``estimate``): Carleman order,
    solver precision ε, read-out precision δ, error budget."""
    p.add_argument("--order", type=_count, default=2, metavar="N", help="Carleman truncation order N (default 2)")
    p.add_argument("--epsilon", type=_open_unit, default=1e-2, help="solver precision ε in (0, 1) (default 1e-2)")
    p.add_argument("--tomography-precision", type=_open_unit, default=1e-2, metavar="δ",
                   help="ℓ2 precision δ in (0, 1) of reading the trained parameters out (tomography; default 1e-2)")
    p.add_argument("--delta", type=_open_unit, dest="tomography_precision", action=_DeprecatedAlias,
                   new="--tomography-precision", help=argparse.SUPPRESS)
    p.add_argument("--error-budget", type=_open_unit, default=1e-3, help="error budget per run (default 1e-3)")


#: The function that adds each command's options (after ``--debug``).
_OPTIONS = {"demo": _demo_options, "analyze": _analyze_options, "simulate": _simulate_options,
            "estimate": _estimate_options}


# ---- shared helpers ------------------------------------------------------------------------------------------------

def _versions(torch_used: bool = False) -> dict:



    def dist(name):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None

    out = {"pyqgd": __version__, "qdk": dist("qdk"), "numpy": numpy.__version__, "scipy": scipy.__version__,
           "python": platform.python_version()}
    if torch_used:
        import torch

        out["torch"] = torch.__version__
    return out


def _provenance(args, inputs: dict, torch_used: bool = False) -> dict:
    return {"command": args.command, "versions": _versions(torch_used), "inputs": inputs}


def _presets(args, default):

    presets = tuple(args.preset or default)
    check_presets(presets)
    return presets


def _selected_loadings(choice):
    return tuple(LOADINGS) if choice == "all" else (choice,)


def _output(args, names):

    out = OutputDir(args.out, force=args.force)
    out.check(names)
    return out


def _progress_enabled(args) -> bool:
    return not args.json and sys.stderr.isatty()


def _pipeline_inputs(args, eta, presets, loadings, **extra) -> dict:
    return {"eta": eta, "T": args.T, "N": args.order, "epsilon": args.epsilon,
            "tomography_precision": args.tomography_precision, "error_budget": args.error_budget,
            "presets": list(presets), "loadings": list(loadings), "seed": args.seed, **extra}


def _analyze_kwargs(args, eta, presets, loadings) -> dict:
    return {"eta": eta, "T": args.T, "N": args.order, "epsilon": args.epsilon,
            "tomography_precision": args.tomography_precision, "error_budget": args.error_budget, "presets": presets,
            "loadings": loadings, "seed": args.seed, "progress": _progress_enabled(args),
            "progress_label": f"pyqgd {args.command}"}


def _write_report(report, args, out, provenance) -> int:

    data = json.loads(report.to_json())
    inputs = provenance["inputs"]
    for key in ("eta", "prune"):  # automatic choices: record the value the pipeline took
        if key in inputs and inputs[key] is None and data.get(key) is not None:
            inputs[key] = data[key]
            inputs[f"{key}_automatic"] = True
    data["provenance"] = provenance
    text = json.dumps(data, indent=2)
    with out.transaction("report.json") as staging:
        pngs = report.plots(staging)
        atomic_write_text(staging / "report.json", text)
    if args.json:
        print(text)
    else:
        print(report.summary())
        print(f"\nwrote {args.out / 'report.json'} and {len(pngs)} plots into {args.out}/")
    return 0


# ---- the commands --------------------------------------------------------------------------------------------------

def _check_pipeline_sizes(args) -> None:
    """The limits of :mod:`pyqgd.limits` on the pipeline's options, before any folder is touched."""
    check_pipeline_order(args.order)
    check_cost_sizes(N=args.order, T=args.T, epsilon=args.epsilon)
    check_max_params(getattr(args, "max_params", None))


def _demo(args) -> int:

    _check_pipeline_sizes(args)
    presets = _presets(args, ("qubit_gate_ns_e4", "qubit_maj_ns_e6"))
    loadings = _selected_loadings(args.loading) if args.loading else _PIPELINE_LOADINGS
    out = _output(args, _REPORT_NAMES)
    eta = 0.3 if args.eta is None else args.eta
    provenance = _provenance(args, _pipeline_inputs(args, eta, presets, loadings, model="toy"))
    report = pipeline.analyze("toy", check_orders=(1, 2, 3, 4), **_analyze_kwargs(args, eta, presets, loadings))
    return _write_report(report, args, out, provenance)


def _analyze(args) -> int:
    if args.model_file is not None and args.model is not None:
        raise UsageError(f"analyze {args.model} --model-file: give either a built-in model name or --model-file, "
                         "not both")
    if (args.model_file is None) != (args.data_file is None):
        raise UsageError("--model-file and --data-file go together: pass both (or neither, for a built-in model)")
    if args.model_file is None:
        for flag, value in (("--model-class", args.model_class), ("--loss", args.loss)):
            if value is not None:
                raise UsageError(f"{flag} applies to --model-file only; the built-in models bring their own")
        if args.unsafe_load or args.unsafe_load_data:
            raise UsageError("--unsafe-load and --unsafe-load-data apply to --model-file / --data-file only")
    _check_pipeline_sizes(args)
    presets = _presets(args, ("qubit_gate_ns_e4", "qubit_maj_ns_e6"))
    try:
        import torch
    except ImportError:
        raise UsageError("analyze needs PyTorch, which the core install leaves out: pip install -e '.[torch]'") \
            from None

    loadings = _selected_loadings(args.loading) if args.loading else _PIPELINE_LOADINGS
    eta = args.eta  # None: the pipeline chooses η = 1/λ_max and states it in the report
    torch.manual_seed(args.seed)
    model, loss_fn, data, loading = args.model or "mlp", None, None, "built-in"
    if args.model_file is not None:
        from pyqgd.models.files import check_model_data, check_readable, load_data_file, load_model_file

        check_readable(args.model_file, "model file")
        check_readable(args.data_file, "data file")
        loss = args.loss or "mse"
        model = load_model_file(args.model_file, model_class=args.model_class, unsafe=args.unsafe_load)
        data = load_data_file(args.data_file, unsafe=args.unsafe_load_data)
        check_model_data(model, data, loss)
        loss_fn = loss  # the pipeline's as_loss maps the name to the loss check_model_data checked
        loading = (f"state_dict into {args.model_class}" if not args.unsafe_load else
                   f"--unsafe-load (code in the file was run), weights into {args.model_class}" if args.model_class
                   else "--unsafe-load: full unpickling (code in the file was run)")
    out = _output(args, _REPORT_NAMES)  # after the files are checked: a refused run leaves --out untouched
    inputs = _pipeline_inputs(args, eta, presets, loadings, prune=args.prune, max_params=args.max_params,
                              simulate=not args.no_simulate,
                              model=str(args.model_file or model), data=str(args.data_file) if args.data_file else None,
                              loss=args.loss or ("mse" if args.model_file else None), model_loading=loading)
    provenance = _provenance(args, inputs, torch_used=True)
    extra = {} if args.max_params is None else {"max_params": args.max_params}
    if args.memory_gb is not None:
        extra["memory_budget_gb"] = args.memory_gb
    report = pipeline.analyze(model, loss_fn=loss_fn, data=data, prune=args.prune, simulate=not args.no_simulate,
                     **extra, **_analyze_kwargs(args, eta, presets, loadings))
    return _write_report(report, args, out, provenance)


def _check_simulator_size(n: int, N: int, T: int) -> None:
    """Refuse before building anything when the instance needs more qubits than the simulator allows.

    Same count as :func:`pyqgd.quantum.ode.check_gd_input`: 2m + 3 qubits in superposition for m system qubits of the
    layout (:func:`pyqgd.quantum.structured_oracles.carleman_layout`, which reads only n and N of the system),
    against the limit ``solve_gd`` applies by default.
    """


    # solve_gd's default (simulate="auto") takes the larger of the circuit limit and the block-level limit
    limit = max(ode.MAX_SIMULATED_QUBITS, 2 * ode.MAX_BLOCK_SYSTEM_QUBITS + 3)
    m = carleman_layout(SimpleNamespace(n=n, N=N), T, ode.default_padding(T)).system_qubits
    if 2 * m + 3 > limit:
        raise TooLargeError(f"--params {n} --order {N} --T {T} needs {2 * m + 3} qubits in superposition, above the "
                            f"simulator limit of {limit}; reduce --params, --order or --T, or use "
                            "`pyqgd estimate` for this size")


#: CPU seconds of Q# simulation ``pyqgd simulate`` accepts before ``simulate="auto"`` falls back to the block level:
#: its default solve (n = 2, N = 2, T = 4, a-priori parameters, amplified; kernel reflection, 2,290 calls) was
#: predicted at ≈ 69 CPU-s and measured at 111 CPU-s on 2 shared cores.
SIMULATE_BUDGET_SECONDS = 180.0


def _simulate(args) -> int:


    check_pipeline_order(args.order)
    _check_simulator_size(args.params, args.order, args.T)

    qm = gd_map(toy_cubic(args.params, cubic=0.5, seed=args.seed), args.eta, np.zeros(args.params))
    res = solve_gd(discrete_carleman(qm, args.order), np.full(args.params, 0.1), args.T, epsilon=args.epsilon,
                   amplify=not args.no_amplify, angle_bits=24, simulate="circuit" if args.circuit else "auto",
                   solver="auto", circuit_budget_seconds=SIMULATE_BUDGET_SECONDS)
    if args.json:
        inputs = {"n": args.params, "N": args.order, "T": args.T, "eta": args.eta, "epsilon": args.epsilon,
                  "amplify": not args.no_amplify, "circuit": args.circuit, "seed": args.seed}
        d = {**res.to_dict(), "how": res.how_simulated(), "provenance": _provenance(args, inputs)}
        print(json.dumps(d, indent=2, default=lambda o: getattr(o, "tolist", lambda: str(o))()))
        return 0
    solver = "kernel-reflection" if res.method == "kernel_reflection" else "QSVT"
    print(f"toy GD, n = {args.params}, N = {args.order}, T = {args.T}, η = {args.eta}: {solver} solver, "
          f"{res.how_simulated()}" + ("" if res.calls_counted_by_qsharp else "; --circuit runs it anyway, a smaller "
                                      "--T fits the budget"))
    print(f"  fidelity with classical Carleman u_T: {res.fidelity_carleman:.6f}; with true GD u_T: {res.fidelity_gd:.6f}")
    print(f"  success probability {res.success_probability:.4g} (predicted {res.success_probability_predicted:.4g})"
          + (f", amplified {res.amplified_success_probability:.4g}" if res.amplified_success_probability else ""))
    print(f"  κ = {res.kappa:.3g}, {solver} degree {res.degree} × amplification length {res.amplification_length}, "
          f"{res.qubits_in_superposition} qubits; {res.simulated_seconds:.1f} s of Q# simulation, "
          f"{res.preparation_seconds:.1f} s classical preparation (bounds, polynomial, angles)")
    return 0


def _estimate(args) -> int:

    if args.s > args.params:
        raise UsageError(f"--s {args.s} exceeds --params {args.params}: a row has at most n nonzeros")
    presets = _presets(args, QUBIT_PRESETS)
    loadings = _selected_loadings(args.loading)
    block_encoding = args.block_encoding
    if block_encoding == "kronecker":
        if args.loading not in ("all", "qrom", "selectswap"):
            raise UsageError(f"--block-encoding kronecker reads its F tables by QROM or SelectSwap/QROAM, not "
                             f"{args.loading}; use --loading qrom, selectswap (or all)")
        loadings = ("qrom", "selectswap") if args.loading == "all" else (args.loading,)
    readout = args.readout
    readouts = tuple(READOUTS) if readout == "all" else (readout,)
    problems = [OdeProblem(n=args.params, s=args.s, N=args.order, T=args.T, epsilon=args.epsilon, loading=loading,
                           block_encoding=block_encoding, solver=args.solver)
                for loading in loadings]  # validated together before any estimate runs, and before --out is touched
    out = None
    if args.out is not None:
        out = _output(args, ("estimate.json",))
    results = [estimate_model(problem, presets, error_budget=args.error_budget,
                              tomography_precision=args.tomography_precision,
                              readout="all" if r is None else r)
               for problem in problems for r in readouts]
    inputs = {"n": args.params, "T": args.T, "s": args.s, "N": args.order, "epsilon": args.epsilon,
              "tomography_precision": args.tomography_precision, "error_budget": args.error_budget,
              "presets": list(presets), "loadings": list(loadings), "readout": readout,
              "block_encoding": block_encoding, "solver": args.solver}
    line = bottom_line(results, presets[0] if len(presets) == 1 else None)
    chosen = _bottom_line_estimate(results, line)
    tree = cost_tree(chosen.cost)
    report = {"bottom_line": line.as_dict(), "provenance": _provenance(args, inputs),
              "cost_tree": tree.to_dict(), "estimates": [r.summary() for r in results]}
    text = json.dumps(report, indent=2, default=str)
    if out is not None:

        with out.transaction("estimate.json") as staging:
            atomic_write_text(staging / "estimate.json", text)
    if args.json:
        print(text)
        return 0
    print("\n".join(line.lines()) + "\n")
    if args.breakdown:
        print("Cost tree of one run (counts per parent; CCZ, T, rotations over the whole run):")
        print(tree.table() + "\n")
    for r in results:
        _print_estimate(args, r)
    if out is not None:
        print(f"wrote {args.out / 'estimate.json'}")
    return 0


def _bottom_line_estimate(results, line):
    """The estimate the bottom line names (the first built one, else the first, when none is feasible)."""
    if line.best is not None:
        for r in results:
            if option_label(r.summary()) == line.best.label:
                return r
    return next((r for r in results if r.cost.built), results[0])


def _print_estimate(args, r) -> None:


    """One estimate's details: its solver figures and its physical table (infeasible presets are in the bottom
    line's lines, once per reason)."""
    c = r.cost
    print(f"== {c.label}: n = {args.params:.3g}, T = {args.T}, s = {args.s}, N = {args.order}, ε = {args.epsilon:g}")
    print(f"   QSVT degree {c.degree}, amplification rounds {c.amplification_length}, κ ≈ {c.kappa:.3g}, "
          f"read-out runs {r.samples:.3g} ({r.readout})")
    if r.physical is not None:
        rows = tuple(e for e in r.physical.estimates if e.physical_qubits <= DEVICE_PLAN_QUBITS)
        if rows:
            print(replace(r.physical, estimates=rows).table())
        if len(rows) < len(r.physical.estimates) + len(r.infeasible):
            print("   (presets not listed are infeasible: see the lines above)")
    print()


# ---- the error policy ----------------------------------------------------------------------------------------------

def _user_error_types() -> tuple:

    types = (UsageError, TooLargeError, NotDissipativeError, EstimateInputError, UnknownPresetError, ErrorBudgetError,
             OutputError, InputTypeError)
    files = sys.modules.get("pyqgd.models.files")  # loaded only when a model file was read (it may need torch)
    return types + ((files.ModelFileError,) if files is not None else ())


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _raised_deliberately(exc: BaseException) -> bool:
    """True when ``exc`` came out of a ``raise`` statement in pyqgd's own code (an input check), not from a library."""
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    filename = os.path.abspath(tb.tb_frame.f_code.co_filename)
    if not filename.startswith(_PACKAGE_DIR + os.sep):
        return False
    return linecache.getline(filename, tb.tb_lineno).lstrip().startswith("raise")


def _is_user_error(exc: BaseException) -> bool:
    if isinstance(exc, _user_error_types()):
        return True
    return isinstance(exc, (ValueError, TypeError, FloatingPointError)) and _raised_deliberately(exc)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text


def _close_progress_bars() -> None:
    """Close open tqdm bars so that an error line starts on a fresh line (bars are drawn with carriage returns)."""
    bars = list(getattr(tqdm, "_instances", ()))
    for bar in bars:
        bar.close()
    if bars and sys.stderr.isatty():
        sys.stderr.write("\n")


def main(argv=None) -> int:
    """Run the CLI; returns the exit code (0 success, 1 internal error, 2 user mistake)."""
    os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")
    argv = list(sys.argv[1:] if argv is None else argv)
    prog = "pyqgd"
    debug = "--debug" in argv
    try:
        for old, new in _RENAMED.items():
            if old in argv:
                raise UsageError(f"{old} was renamed {new} ({'--params: the model size n' if new == '--params' else '--order: the Carleman order N'}); "
                                 "see pyqgd COMMAND --help")
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as exit_:  # --help / --version
            return int(exit_.code or 0)
        if args.command is None:
            raise UsageError("choose a command: demo, analyze, simulate or estimate (see pyqgd --help)")
        prog = f"pyqgd {args.command}"
        handler = {"demo": _demo, "analyze": _analyze, "simulate": _simulate, "estimate": _estimate}[args.command]
        return handler(args)
    except KeyboardInterrupt:
        _close_progress_bars()
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        _close_progress_bars()
        print(f"{prog}: error: ran out of memory; reduce the problem size (--params, --order, --T)", file=sys.stderr)
        return 2
    except Exception as exc:
        _close_progress_bars()
        if isinstance(exc, UsageError) and prog == "pyqgd":
            sub = next((a for a in argv if a in ("demo", "analyze", "simulate", "estimate")), None)
            prog = f"pyqgd {sub}" if sub else prog
        if _is_user_error(exc):
            print(f"{prog}: error: {_one_line(exc)}", file=sys.stderr)
            return 2
        if debug:
            traceback.print_exc()
        print(f"{prog}: internal error, please report it at {_ISSUES} with the command line and the output of "
              f"`pyqgd --version` ({type(exc).__name__}: {_one_line(exc)[:200]}; rerun with --debug for the traceback)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
