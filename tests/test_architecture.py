"""docs/architecture.md cites only names that exist: every `pyqgd.…` name resolves, every cited path is in the tree,
and the registry calls in its example run as written."""

import importlib
import re
from pathlib import Path

import pytest

from pyqgd import registry

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
PROSE = re.sub(r"^```.*?^```", "", DOC, flags=re.S | re.M)      # the inline citations, not the illustrative code
CITED = sorted(set(re.findall(r"`([^`\n]+)`", PROSE)))


def _resolve(dotted: str):
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(dotted)


@pytest.mark.parametrize("name", [c for c in CITED if re.fullmatch(r"pyqgd(\.\w+)+", c)])
def test_cited_python_names_exist(name):
    assert _resolve(name) is not None


@pytest.mark.parametrize("path", [c for c in CITED if re.fullmatch(r"[\w./-]+\.(py|qs|md)|[\w-]+(/[\w.-]*)+/?", c)])
def test_cited_paths_exist(path):
    # a bare folder ("Oracles/") is one of the Q# project's rooms
    assert (ROOT / path).exists() or (ROOT / "qsharp_src" / "src" / path).exists(), path


def test_the_registry_example_runs_as_written():
    assert registry.names("encoding")[0] == "kronecker"
    assert registry.get("encoding", "kronecker").display == "Kronecker encoding (built)"
    assert callable(registry.get("encoding", "kronecker").resolve("builder"))
    for kind in ("encoding", "solver", "loading"):
        assert f'Circuit("{kind}"' in DOC or kind == "loading"
