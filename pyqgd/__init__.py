"""pyqgd: could a fault-tolerant quantum computer speed up training this model, and what would it cost?

Layers (dependencies point one way): ``models`` / ``dynamics`` → ``carleman`` → ``quantum`` → ``estimate`` → ``report``.
"""

__version__ = "0.1.0"
