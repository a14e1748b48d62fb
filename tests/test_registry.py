"""The circuit registry: every reference resolves, every named Q# operation exists, built encodings build."""

import re

import numpy as np
import pytest

from pyqgd import registry
from pyqgd.carleman import discrete_carleman
from pyqgd.problem import QuadraticMap
from pyqgd.quantum._context import qsharp_project_root


def _qsharp_callables() -> set[str]:
    """``Namespace.Name`` of every operation/function in qsharp_src (namespace = path below src/, as the QDK does)."""
    src = qsharp_project_root() / "src"
    found = set()
    for f in src.rglob("*.qs"):
        ns = ".".join(f.relative_to(src).with_suffix("").parts)
        for name in re.findall(r"^\s*(?:internal\s+)?(?:operation|function)\s+(\w+)", f.read_text(), re.M):
            found.add(f"{ns}.{name}")
    return found


def test_names_are_unique_per_kind_and_labelled():
    for kind in ("encoding", "loading", "solver"):
        ns = registry.names(kind)
        assert len(ns) == len(set(ns)) > 0
        for n in ns:
            c = registry.get(kind, n)
            assert c.label and c.kind == kind
            assert ("not built" in c.display) == (not c.built) and ("built" in c.display)


def test_every_reference_resolves_and_every_qsharp_operation_exists():
    ops = _qsharp_callables()
    for c in registry.REGISTRY.values():
        for which in ("builder", "cost"):
            if getattr(c, which) is not None:
                assert callable(c.resolve(which)), (c.name, which)
        for op in c.qsharp:
            if not op.startswith("Std."):
                assert op in ops, f"{c.kind} {c.name}: Q# {op} not found in qsharp_src"
        if c.built and c.kind == "encoding":
            assert c.qsharp and c.builder and c.cost, c.name


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(registry.UnknownCircuitError, match="kronecker"):
        registry.get("encoding", "nope")
    with pytest.raises(ValueError):
        registry.get("solver", "nope")
    assert registry.label("loading", "unknown-thing") == "unknown-thing"


@pytest.mark.parametrize("name", registry.names("encoding", built_only=True))
def test_built_encoding_builders_satisfy_the_protocol(name):
    rng = np.random.default_rng(7)
    n = 2
    qm = QuadraticMap(0.05 * rng.standard_normal(n), -0.3 * np.eye(n) + 0.05 * rng.standard_normal((n, n)),
                      0.05 * rng.standard_normal((n, n * n)))
    system = discrete_carleman(qm, N=2)
    enc = registry.get("encoding", name).resolve("builder")(system, 2, 1)
    assert isinstance(enc, registry.BlockEncodingBuilder)
    L = enc.quantized_matrix()
    dim = L.shape[0]
    assert L.shape == (dim, dim) and dim & (dim - 1) == 0     # padded to 2^m system qubits
    # α normalizes the encoding: the encoded L/α is a contraction.
    assert np.linalg.norm(L, 2) <= enc.alpha * (1 + 1e-9)
