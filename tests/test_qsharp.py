"""Every Q# @Test() operation of qsharp_src/ as one pytest case (run in the package's private qdk.Context)."""

import os

import pytest

os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")

from pyqgd.quantum._context import get_context  # noqa: E402


def _test_callables(module, out):
    # qdk marks @Test() callables with __is_test__ (what qdk.test_utils.run_tests uses)
    for name in sorted(dir(module)):
        if name.startswith("_"):
            continue
        attr = getattr(module, name)
        if callable(attr) and getattr(attr, "__is_test__", False):
            out.append(attr)
        elif not callable(attr) and hasattr(attr, "__dict__"):
            _test_callables(attr, out)
    return out


_TESTS = _test_callables(get_context().code, [])


def test_the_project_has_qsharp_tests():
    assert len(_TESTS) >= 7


@pytest.mark.parametrize("qs_test", _TESTS, ids=lambda t: t.__name__)
def test_qsharp(qs_test):
    get_context().run(qs_test, 1)
