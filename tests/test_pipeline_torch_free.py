"""The toy pipeline (what `pyqgd demo` runs) must work on the core install, without PyTorch."""

import json
import os
import subprocess
import sys

SCRIPT = r"""
import json, sys
sys.modules["torch"] = None  # any `import torch` now raises ImportError, as on a core-only install
from pyqgd.report.pipeline import analyze
r = analyze("toy", T=20, presets=("qubit_gate_ns_e4",), loadings=("qrom",))
print(json.dumps({"verdict": r.verdict, "fidelity": r.simulation.fidelity_carleman,
                  "estimates": len(r.estimates),
                  "models_loaded": sorted(m for m in sys.modules if m.startswith("pyqgd.models"))}))
"""


def test_toy_pipeline_runs_with_torch_unimportable():
    env = dict(os.environ, QDK_PYTHON_TELEMETRY="none")
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["models_loaded"] == []
    assert out["verdict"] == "dissipative"
    assert out["fidelity"] is not None and out["fidelity"] > 0.99
    assert out["estimates"] == 1


def test_models_without_torch_names_the_extra():
    code = "import sys; sys.modules['torch'] = None\nimport pyqgd.models"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "pip install 'pyqgd[torch]'" in proc.stderr
