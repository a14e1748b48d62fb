"""Package-level behaviour: importing pyqgd keeps the QDK's telemetry off unless the user switched it on."""

import os
import subprocess
import sys


def _telemetry_enabled(env_value):
    env = {k: v for k, v in os.environ.items() if k not in ("QDK_PYTHON_TELEMETRY", "QSHARP_PYTHON_TELEMETRY")}
    if env_value is not None:
        env["QDK_PYTHON_TELEMETRY"] = env_value
    out = subprocess.run([sys.executable, "-c", "import pyqgd.quantum._context, qdk.telemetry as t; print(t.TELEMETRY_ENABLED)"],
                         env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip() == "True"


def test_importing_pyqgd_turns_qdk_telemetry_off_by_default():
    assert _telemetry_enabled(None) is False
    assert _telemetry_enabled("none") is False
