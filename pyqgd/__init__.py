"""pyqgd: could a fault-tolerant quantum computer speed up training this model, and what would it cost?

Layers (dependencies point one way): ``models`` / ``dynamics`` → ``carleman`` → ``quantum`` → ``estimate`` → ``report``.
"""

import os

# The QDK reads its telemetry switch once, when it is first imported: pyqgd keeps it off unless the user set it.
os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")

#: The package version (the only place it is written: pyproject.toml reads it; `pyqgd --version` prints it).
__version__ = "0.1.0"
