"""docs/architecture.md cites only names that exist: every `pyqgd.…` name resolves, every cited path is in the tree,
and the registry calls in its example run as written. The package's code keeps its imports at the top of each module
(a function imports only an optional dependency) and its functions short."""

import ast
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


#: Modules a function may import on first use, and why: the optional dependencies only (extras of pyproject.toml, or
#: the standard library's Unix-only ``resource``) and ``pyqgd.models`` (needs torch); every core dependency (numpy,
#: scipy, qdk, numba, pyqsp, matplotlib, tqdm) is imported at the top of its module.
DEFERRED_IMPORTS = {
    "torch": "torch extra", "pandas": "DataFrames", "azure": "azure extra",
    "qsharp_widgets": "notebooks extra", "IPython": "notebooks", "ipywidgets": "notebooks",
    "sklearn": "zoo data", "nbformat": "notebooks", "nbclient": "notebooks", "resource": "Unix only",
    "hypothesis": "dev extra", "pyqgd.models": "needs torch",
}
MAX_FUNCTION_LINES = 100
SOURCES = sorted((ROOT / "pyqgd").rglob("*.py"))


def _functions(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]


def _imported_modules(node):
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:  # relative: the package's own code
        return [f".{node.module or ''}"]
    return [f"{node.module}.{alias.name}" for alias in node.names]  # `from pyqgd import models` names pyqgd.models


def _deferred_ok(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in DEFERRED_IMPORTS)


def test_functions_import_only_optional_dependencies():
    found = []
    for path in SOURCES:
        for fn in _functions(path):
            for node in ast.walk(fn):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    found += [f"{path.relative_to(ROOT)}:{node.lineno} {fn.name} imports {m}"
                              for m in _imported_modules(node) if not _deferred_ok(m)]
    assert not found, "import these at the top of the module:\n" + "\n".join(found)


def test_the_import_check_sees_a_function_local_import():
    fn = ast.parse("def f():\n    import numpy\n    from pyqgd import models\n    from scipy import sparse\n").body[0]
    modules = [m for node in ast.walk(fn) if isinstance(node, (ast.Import, ast.ImportFrom)) for m in _imported_modules(node)]
    assert modules == ["numpy", "pyqgd.models", "scipy.sparse"]
    assert [_deferred_ok(m) for m in modules] == [False, True, False]


def test_no_function_is_longer_than_100_lines():
    long = [f"{path.relative_to(ROOT)}:{fn.lineno} {fn.name} ({fn.end_lineno - fn.lineno + 1} lines)"
            for path in SOURCES for fn in _functions(path) if fn.end_lineno - fn.lineno + 1 > MAX_FUNCTION_LINES]
    assert not long, "split these functions:\n" + "\n".join(long)
