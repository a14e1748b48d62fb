"""The registry of circuits: one entry per block-encoding, data loading and linear solver.

Every layer that names a circuit reads it here — ``pyqgd.quantum`` (which builder and which Q# operation to run),
``pyqgd.estimate`` (which cost function prices it), ``pyqgd.report`` (its label) and the CLI (its choices) — so a
circuit is added in one place: one :class:`Circuit` entry, its Q# operations and its tests
(``docs/architecture.md`` shows how).

An entry names its Python builder and cost function as ``"module:attribute"`` strings, resolved on first use
(:meth:`Circuit.resolve`). That keeps the registry at the bottom of the dependency order
(model → problem → carleman → quantum → estimate → report): it imports no layer, and every layer can import it.
``tests/test_registry.py`` resolves every reference and checks every Q# operation exists in ``qsharp_src``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable, Literal, Protocol, runtime_checkable

__all__ = ["Circuit", "BlockEncodingBuilder", "ENCODINGS", "LOADINGS", "SOLVERS", "REGISTRY", "get", "names",
           "built", "built_combination", "label", "UnknownCircuitError"]

Kind = Literal["encoding", "loading", "solver"]


class UnknownCircuitError(ValueError):
    """A circuit name that the registry does not hold; the message lists the names it does."""


@runtime_checkable
class BlockEncodingBuilder(Protocol):
    """What a block-encoding builder returns: the data a Q# solve needs and the matrix it encodes.

    ``alpha`` is the normalization (the Q# unitary's top-left block is L/α), ``num_ancillas`` the encoding's ancilla
    qubits, ``to_qsharp()`` the struct passed to its Q# operations (the solve driver runs the encoding's
    ``Solve.HistorySolve`` entry on it), ``quantized_matrix()`` the matrix the circuit really encodes (angles
    quantized), against which simulations are compared.
    """

    alpha: float
    num_ancillas: int

    def to_qsharp(self): ...

    def quantized_matrix(self): ...


@dataclass(frozen=True)
class Circuit:
    """One circuit the product can build or price.

    ``built`` — the circuit exists in ``qsharp_src`` and its cost function equals its trace; otherwise the entry is a
    *model* of a published circuit, labelled so everywhere and never chosen as "cheapest built".
    ``qsharp`` — the Q# operations (``Namespace.Name``) that implement it; ``builder`` — the Python function that
    turns a Carleman system into the circuit's data (encodings only); ``cost`` — the function that prices it.
    """

    kind: Kind
    name: str
    label: str
    built: bool
    qsharp: tuple[str, ...] = ()
    builder: str | None = None
    cost: str | None = None
    #: for a loading: the encodings it is built for (empty: every built encoding)
    built_with: tuple[str, ...] = field(default=())
    #: the status shown after the label, when "built" / "model, not built" says too little
    status: str | None = None

    def resolve(self, which: Literal["builder", "cost"]) -> Callable:
        """The Python callable behind ``builder`` or ``cost`` (imported on first use)."""
        ref = getattr(self, which)
        if ref is None:
            raise UnknownCircuitError(f"{self.kind} {self.name!r} has no {which}")
        module, _, attr = ref.partition(":")
        return getattr(importlib.import_module(module), attr)

    @property
    def display(self) -> str:
        """The label with its status: "Kronecker encoding (built)" / "… (model, not built)"."""
        return f"{self.label} ({self.status or ('built' if self.built else 'model, not built')})"


ENCODINGS = (
    Circuit("encoding", "kronecker", "Kronecker encoding", True,
            qsharp=("Carleman.Kronecker.ApplyKroneckerCarleman", "Solve.HistorySolve.HistorySolveKronecker"),
            builder="pyqgd.quantum.kronecker:kronecker_encoding",
            cost="pyqgd.estimate.kronecker:kronecker_block_encoding_cost"),
    Circuit("encoding", "sparse", "structured oracles", True,
            qsharp=("Carleman.StructuredOracles.CarlemanSparseOracles", "Solve.HistorySolve.HistorySolveStructured"),
            builder="pyqgd.quantum.ode:SparseEncoding",
            cost="pyqgd.estimate.circuit:carleman_block_encoding"),
    Circuit("encoding", "f_tables_model", "F-tables model", False, status="not built"),
)

LOADINGS = (
    Circuit("loading", "qrom", "QROM", True, qsharp=("Std.TableLookup.Select", "Oracles.Qroam.TraceQromRead"),
            cost="pyqgd.estimate.loading:lookup_cost", status="built, std Select"),
    Circuit("loading", "selectswap", "SelectSwap/QROAM", True, qsharp=("Oracles.Qroam.QroamXor",),
            cost="pyqgd.estimate.loading:lookup_cost", built_with=("kronecker",),
            status="built for the Kronecker encoding, a model for the others"),
    Circuit("loading", "qram", "bucket-brigade QRAM", False, cost="pyqgd.estimate.loading:lookup_cost"),
    Circuit("loading", "qram_free", "free QRAM", False, cost="pyqgd.estimate.loading:lookup_cost",
            status="lower bound, not built"),
)

SOLVERS = (
    Circuit("solver", "qsvt", "QSVT inversion + fixed-point amplification", True,
            qsharp=("Solve.HistorySolve.HistorySolve", "Qsvt.Qsvt.ApplyRealQsvt",
                    "Amplification.FixedPoint.ApplyFixedPointAmplification"),
            cost="pyqgd.estimate.solvers:qsvt_calls"),
    Circuit("solver", "kernel", "kernel reflection (Dalzell 2024)", True,
            qsharp=("Solvers.HistoryKernel.HistoryKernelSolveWith", "Solvers.KernelReflection.KernelReflectionSolveWith"),
            cost="pyqgd.estimate.solvers:history_kernel_calls"),
    Circuit("solver", "hhl", "HHL (qubitized-walk phase estimation)", True,
            qsharp=("Solvers.Hhl.HhlSolveWith",), cost="pyqgd.estimate.solvers:hhl_calls"),
)

REGISTRY: dict[tuple[str, str], Circuit] = {(c.kind, c.name): c for c in ENCODINGS + LOADINGS + SOLVERS}


def names(kind: Kind, *, built_only: bool = False) -> tuple[str, ...]:
    """The names of every ``kind`` circuit (only the built ones with ``built_only``), in registry order."""
    return tuple(c.name for (k, _), c in REGISTRY.items() if k == kind and (c.built or not built_only))


def get(kind: Kind, name: str) -> Circuit:
    """The entry ``name`` of ``kind``; an unknown name raises :class:`UnknownCircuitError` listing the known ones."""
    try:
        return REGISTRY[(kind, name)]
    except KeyError:
        raise UnknownCircuitError(f"unknown {kind} {name!r}; use one of {', '.join(names(kind))}") from None


def built(kind: Kind, name: str) -> bool:
    """Whether ``name`` is a circuit built (and traced) in ``qsharp_src``."""
    return get(kind, name).built


def built_combination(encoding: str, loading: str) -> bool:
    """Whether the encoding with that loading is a circuit built in ``qsharp_src`` (both built, and the loading
    built for that encoding)."""
    e, ld = get("encoding", encoding), get("loading", loading)
    return e.built and ld.built and (not ld.built_with or encoding in ld.built_with)


def label(kind: Kind, name: str) -> str:
    """The short human label of ``name`` ("Kronecker encoding", "QROM", …); unknown names are returned as given."""
    c = REGISTRY.get((kind, name))
    return c.label if c else name
