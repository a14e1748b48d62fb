"""Execute every ``notebooks/*.ipynb`` headless (one test case each) and check they are committed without outputs.

The kernel is the interpreter running pytest (a temporary kernelspec pointing at ``sys.executable``), with
``QDK_PYTHON_TELEMETRY=none`` and ``MPLBACKEND=Agg``; the working directory is ``notebooks/``. Notebooks added later
are picked up by the glob. A notebook may set its own limit in its metadata (``"pyqgd": {"timeout": seconds}``);
the default is ``DEFAULT_TIMEOUT`` seconds for the whole notebook.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
DEFAULT_TIMEOUT = 120
KERNEL_ENV = {"QDK_PYTHON_TELEMETRY": "none", "MPLBACKEND": "Agg", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
              "PYQGD_PROGRESS": "0"}  # no one watches a headless run: no progress widgets in the outputs


def _timeout(path: Path) -> int:
    meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
    return int(meta.get("pyqgd", {}).get("timeout", DEFAULT_TIMEOUT))


def _params():
    return [pytest.param(p, id=p.stem, marks=pytest.mark.timeout(_timeout(p) + 60)) for p in NOTEBOOKS]


@pytest.fixture(scope="module")
def kernel_spec_dir(tmp_path_factory):
    """A kernelspec that runs ipykernel in the current interpreter (not whatever ``python3`` spec is installed)."""
    pytest.importorskip("ipykernel", reason="executing notebooks needs the 'notebooks' extra: pip install -e '.[notebooks]'")
    root = tmp_path_factory.mktemp("kernels")
    spec = root / "pyqgd-test"
    spec.mkdir()
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "pyqgd test kernel",
        "language": "python",
        "env": KERNEL_ENV,
    }))
    return root


def test_notebooks_exist():
    assert NOTEBOOKS, f"no notebooks found in {NOTEBOOK_DIR}"
    assert (NOTEBOOK_DIR / "README.md").exists()


@pytest.mark.parametrize("path", _params())
def test_notebook_is_committed_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    dirty = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not dirty, f"{path.name}: clear the outputs of cells {dirty} before committing (keeps diffs small)"


@pytest.mark.parametrize("path", _params())
def test_notebook_executes(path, kernel_spec_dir, monkeypatch):
    nbformat = pytest.importorskip("nbformat", reason="needs the 'notebooks' extra: pip install -e '.[notebooks]'")
    nbclient = pytest.importorskip("nbclient", reason="needs the 'notebooks' extra: pip install -e '.[notebooks]'")
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    for key, value in KERNEL_ENV.items():
        monkeypatch.setenv(key, value)
    nb = nbformat.read(path, as_version=4)
    ksm = KernelSpecManager(kernel_dirs=[str(kernel_spec_dir)])
    km = KernelManager(kernel_name="pyqgd-test", kernel_spec_manager=ksm)
    budget = _timeout(path)
    client = nbclient.NotebookClient(nb, km=km, timeout=budget, startup_timeout=60, allow_errors=False,
                                     resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    start = time.perf_counter()
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as err:  # the message carries the failing cell and traceback
        pytest.fail(f"{path.name} failed:\n{err}", pytrace=False)
    elapsed = time.perf_counter() - start
    assert elapsed < budget, f"{path.name} took {elapsed:.0f} s, over its {budget} s budget"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code), "not every code cell ran"
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    # a notebook ends in a table or a plot: its last code cell must show something
    assert code[-1].outputs, f"{path.name}: the last code cell shows nothing (end in a table or a plot)"


#: import name → distribution name, for the modules whose names differ
_DIST = {"sklearn": "scikit-learn", "IPython": "ipython", "yaml": "pyyaml"}
#: what installing ipykernel / jupyter brings along
_WITH_JUPYTER = {"ipython", "ipykernel", "jupyter", "nbformat", "nbclient", "ipywidgets"}


def _requirement_names(reqs) -> set[str]:
    import re

    return {re.split(r"[\s\[<>=!~;]", r, maxsplit=1)[0].lower() for r in reqs}


def _notebook_imports(path: Path) -> set[str]:
    """Top-level modules a notebook imports outside try/except ImportError (those are optional)."""
    import ast

    nb = json.loads(path.read_text(encoding="utf-8"))
    mods = set()
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"])
        src = "\n".join(line for line in src.splitlines() if not line.lstrip().startswith(("%", "!")))
        tree = ast.parse(src)
        optional = {id(n) for t in ast.walk(tree) if isinstance(t, ast.Try) for b in t.body for n in ast.walk(b)}
        for node in ast.walk(tree):
            if id(node) in optional:
                continue
            if isinstance(node, ast.Import):
                mods |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                mods.add(node.module.split(".")[0])
    return mods


def test_notebooks_extra_provides_every_import():
    """``pip install -e ".[notebooks]"`` (the README's line) is enough: every module a notebook imports comes from the
    core dependencies, the ``notebooks`` extra, or the standard library."""
    import tomllib

    project = tomllib.loads((NOTEBOOK_DIR.parent / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    provided = _requirement_names(project["dependencies"]) | _requirement_names(
        project["optional-dependencies"]["notebooks"])
    if provided & {"jupyter", "ipykernel"}:
        provided |= _WITH_JUPYTER
    missing = {}
    for path in NOTEBOOKS:
        for mod in _notebook_imports(path):
            dist = _DIST.get(mod, mod).lower()
            local = (NOTEBOOK_DIR.parent / mod).is_dir()  # the repository's own folders (pyqgd, experiments)
            if mod in sys.stdlib_module_names or local or dist in provided:
                continue
            missing.setdefault(path.name, []).append(mod)
    assert not missing, f"add these to the 'notebooks' extra in pyproject.toml: {missing}"
    readme = (NOTEBOOK_DIR / "README.md").read_text(encoding="utf-8")
    assert 'pip install -e ".[notebooks]"' in readme
