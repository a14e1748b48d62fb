"""The core install (no torch) runs the toy pipeline, and the CLI names the extra a torch model needs.

A fresh interpreter with ``torch`` made unimportable stands in for the README's first command on a fresh machine
(CI runs that command itself, verbatim, on a clean clone: ``.ci/run``).
"""

import json
import os
import subprocess
import sys
import textwrap

NO_TORCH = textwrap.dedent("""
    import sys
    sys.modules["torch"] = None  # `import torch` now raises ImportError, as without the torch extra
""")


def run_without_torch(code: str, tmp_path):
    return subprocess.run([sys.executable, "-c", NO_TORCH + textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=600, cwd=tmp_path, env={**os.environ, "QDK_PYTHON_TELEMETRY": "none"})


def test_toy_pipeline_runs_without_torch(tmp_path):
    proc = run_without_torch("""
        import json
        from pyqgd.report.pipeline import analyze
        r = analyze("toy", T=10, simulate=False, presets=("qubit_maj_ns_e6",), loadings=("qrom",))
        assert "torch" not in sys.modules or sys.modules["torch"] is None
        print(json.dumps({"verdict": r.verdict, "n": r.n}))
    """, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == {"verdict": "dissipative", "n": 2}


def test_cli_without_torch(tmp_path):
    proc = run_without_torch("""
        from pyqgd.cli import main
        assert main(["--version"]) == 0
        sys.exit(main(["analyze", "mlp", "--out", "o"]))
    """, tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install -e '.[torch]'" in lines[0] and "Traceback" not in proc.stderr
