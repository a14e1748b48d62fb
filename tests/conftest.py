"""Shared fixtures."""

import os

import pytest

os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")


@pytest.fixture(scope="module")
def torch_single_thread():
    """Tiny float64 models: one intra-op thread is fastest and immune to OpenMP oversubscription on a busy machine."""
    torch = pytest.importorskip("torch")
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)
