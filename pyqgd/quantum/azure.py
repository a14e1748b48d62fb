"""The Azure Quantum path: compile a small solver instance to QIR, and submit it to a workspace the user supplies.

``compile_qir(M, b)`` compiles the QSVT linear solver (``Azure.Entry.QsvtSolveMeasured``: prepare |b>, apply the
real-part QSVT of P ≈ c/x to the sparse-access block-encoding of Mᵀ/α, measure every qubit) — or, with
``program="block_encoding"``, one application of the block-encoding — to QIR text under a restricted target profile.
It uses a private ``qdk.Context`` per profile (never the global interpreter). The entry points in
``qsharp_src/src/Azure/Entry.qs`` compose the same circuits as the simulator bridge from direct calls, because QIR
generation needs every callable argument to be known at compile time; the tests check that their state equals the
bridge's amplitude by amplitude.

``submit(program, workspace=... | connection_string=...)`` sends it to an Azure Quantum target. pyqgd never builds a
workspace on its own — ``azure.quantum.Workspace`` constructors may authenticate and contact Azure — so one of the
two must be passed explicitly; ``azure-quantum`` is imported only then (optional extra: ``pip install 'pyqgd[azure]'``).
Resource *estimation* is local (``qdk``); azure-quantum 3.x has no estimator target.

Reading results: a shot succeeded when its first ``success_prefix`` results are all Zero; its last
``system_qubits`` results (big-endian) are then a sample of |x_i|² (``postselect``).
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

from pyqgd._checks import check_positive_float, check_positive_int

__all__ = ["QirProgram", "PROFILES", "compile_qir", "submit", "postselect", "AzureWorkspaceRequired", "DEFAULT_TARGET"]

#: Accepted profile names → qdk.TargetProfile attribute. Base runs on the most hardware; the adaptive profiles allow
#: mid-circuit measurement (the table lookups then uncompute with measurements: about half the gates).
PROFILES = {"base": "Base", "adaptive_ri": "Adaptive_RI", "adaptive_rif": "Adaptive_RIF"}

#: Quantinuum's emulator (an Azure Quantum target that accepts adaptive-profile QIR); any target name may be passed.
DEFAULT_TARGET = "quantinuum.sim.h2-1e"

_PIP_HINT = "pip install 'pyqgd[azure]'"


class AzureWorkspaceRequired(ValueError):
    """Raised by :func:`submit` when no workspace or connection string was passed (nothing was contacted)."""


@dataclass(frozen=True)
class QirProgram:
    """A compiled QIR program with what is needed to read its shots.

    ``qir`` is the LLVM-IR text (``str(program)`` gives it too); ``entry`` the Q# operation, ``entry_point`` the QIR
    function marked ``entry_point``. ``success_prefix`` leading results must all be Zero
    for a successful shot; the last ``system_qubits`` results are the system register (big-endian), whose first
    ``n`` basis states carry the answer. ``expected_success_probability`` and ``expected_probabilities`` are what an
    ideal device gives (numpy, from the same quantized matrix and polynomial).
    """

    qir: str
    entry: str
    entry_point: str
    profile: str
    num_qubits: int
    num_results: int
    success_prefix: int
    system_qubits: int
    n: int
    expected_success_probability: float
    expected_probabilities: np.ndarray
    details: dict = field(default_factory=dict)
    qir_input: Any = field(default=None, repr=False, compare=False)

    def __str__(self) -> str:
        return self.qir


def _profile(profile) -> tuple[str, Any]:
    import qdk

    if isinstance(profile, qdk.TargetProfile):
        for key, attr in PROFILES.items():
            if profile == getattr(qdk.TargetProfile, attr):
                return key, profile
        raise ValueError(f"QIR needs a restricted target profile ({', '.join(PROFILES)}), got {profile}")
    key = str(profile).lower()
    if key not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}: use one of {', '.join(PROFILES)}")
    return key, getattr(qdk.TargetProfile, PROFILES[key])


@functools.lru_cache(maxsize=len(PROFILES))
def _context(profile_key: str):
    """A private ``qdk.Context`` with the pyqgd Q# project, compiled for one target profile."""
    os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")
    import qdk

    from pyqgd.quantum._context import qsharp_project_root

    root = qsharp_project_root()
    if not (root / "qsharp.json").exists():
        raise FileNotFoundError(f"the Q# project was not found at {root} (expected qsharp.json there)")
    return qdk.Context(project_root=str(root), target_profile=getattr(qdk.TargetProfile, PROFILES[profile_key]))


def _attribute(qir: str, name: str) -> int:
    match = re.search(rf'"{name}"="(\d+)"', qir)
    if match is None:
        raise RuntimeError(f"the compiled QIR has no {name} attribute")
    return int(match.group(1))


def _entry_point(qir: str) -> str:
    attrs = {m.group(1) for m in re.finditer(r'attributes #(\d+) = \{[^}]*"entry_point"', qir)}
    for m in re.finditer(r"define \S+ @([\w.]+)\(\) #(\d+)", qir):
        if m.group(2) in attrs:
            return m.group(1)
    raise RuntimeError("the compiled QIR has no entry-point function")


def compile_qir(
    M,
    b,
    *,
    program: str = "qsvt_solve",
    profile="base",
    epsilon: float = 0.1,
    kappa: float | None = None,
    angle_bits: int = 10,
    max_degree: int = 101,
    max_system_qubits: int = 3,
) -> QirProgram:
    """Compile a small solver instance for M x = b (real, square, n ≤ 2^max_system_qubits) to QIR.

    ``program="qsvt_solve"`` (default): the QSVT inversion with the degree-optimal polynomial of relative error
    ``epsilon`` on [1/κ, 1] (κ = α/σ_min of the quantized matrix unless given), all qubits measured.
    ``program="block_encoding"``: U_M applied to |0>|b>, all qubits measured (success = M b/α, ‖M b‖²/α²).
    ``angle_bits`` is the precision of the entry oracle (error ≤ max|M|·π·2^{-b}); ``profile`` one of
    :data:`PROFILES` (or a ``qdk.TargetProfile``). The limits keep programs hardware-sized: every polynomial degree
    is one block-encoding call. Raises ValueError/TypeError for bad input (before compiling) and
    ``DegreeTooLargeError`` when the degree would exceed ``max_degree``.
    """
    from pyqgd.quantum.polynomials import inverse_polynomial
    from pyqgd.quantum.qsp import qsvt_angles
    from pyqgd.quantum.solvers import normalized_solution, prepare_system

    if program not in ("qsvt_solve", "block_encoding"):
        raise ValueError(f"program must be 'qsvt_solve' or 'block_encoding', got {program!r}")
    key, _ = _profile(profile)
    epsilon = check_positive_float(epsilon, "epsilon")
    angle_bits = check_positive_int(angle_bits, "angle_bits", minimum=2)
    data, bp, n = prepare_system(M, b, angle_bits=angle_bits, max_system_qubits=max_system_qubits)
    m = data.num_system
    A = data.quantized_matrix() / data.alpha
    ctx = _context(key)
    details: dict = {"alpha": data.alpha, "sparsity": data.sparsity, "angle_bits": angle_bits}
    if program == "block_encoding":
        entry = "Azure.Entry.BlockEncodingMeasured"
        qir_input = ctx.compile(ctx.code.Azure.Entry.BlockEncodingMeasured, data.to_qsharp(), bp.tolist())
        out = A @ bp
        success_prefix = m + 1
    else:
        U, S, Vt = np.linalg.svd(A)
        if S.min() <= 1e-14:
            raise ValueError("M is singular (smallest singular value ≈ 0): M x = b has no unique solution")
        kappa_be = 1.0 / S.min()
        if kappa is None:
            kappa = max(kappa_be * (1.0 + 1e-6), 1.0 + 1e-6)
        else:
            kappa = check_positive_float(kappa, "kappa")
            if kappa < kappa_be:
                raise ValueError(f"kappa = {kappa:g} is below α/σ_min = {kappa_be:g}: the polynomial would not cover "
                                 "every singular value of M/α")
        poly = inverse_polynomial(kappa, epsilon, max_degree=max_degree)
        angles = qsvt_angles(poly)
        entry = "Azure.Entry.QsvtSolveMeasured"
        qir_input = ctx.compile(ctx.code.Azure.Entry.QsvtSolveMeasured, data.to_qsharp(), angles.phases.tolist(),
                                bp.tolist())
        out = Vt.T @ (poly(S) * (U.T @ bp))  # Re P^{(SV)}(Aᵀ) b
        success_prefix = 3 + m
        details.update(kappa=float(kappa), epsilon=epsilon, degree=angles.degree, polynomial_scale=poly.scale,
                       block_encoding_calls=angles.degree,
                       classical_probabilities=(normalized_solution(data.matrix[:n, :n], bp[:n]) ** 2).tolist())
    qir = str(qir_input)
    p_success = float(out @ out)
    return QirProgram(
        qir=qir, entry=entry, entry_point=_entry_point(qir), profile=key,
        num_qubits=_attribute(qir, "required_num_qubits"), num_results=_attribute(qir, "required_num_results"),
        success_prefix=success_prefix, system_qubits=m, n=n,
        expected_success_probability=p_success, expected_probabilities=out[:n] ** 2 / p_success,
        details=details, qir_input=qir_input,
    )


def _bit(r) -> int:
    if isinstance(r, str):
        if r.strip().lower() in ("0", "zero"):
            return 0
        if r.strip().lower() in ("1", "one"):
            return 1
        raise ValueError(f"cannot read measurement result {r!r}")
    name = getattr(r, "name", None)  # qdk.Result.Zero / .One
    if name in ("Zero", "One"):
        return int(name == "One")
    v = int(r)
    if v not in (0, 1):
        raise ValueError(f"cannot read measurement result {r!r}")
    return v


def postselect(program: QirProgram, shots: Iterable) -> tuple[float, np.ndarray, int]:
    """(success fraction, empirical |x_i|² over the first n basis states, number of successful shots).

    ``shots``: one sequence of results per shot (qdk ``Result`` values, 0/1, bools or "0"/"1"), in the order the
    program measures them.
    """
    shots = [[_bit(r) for r in s] for s in shots]
    if not shots:
        raise ValueError("no shots to post-select")
    width = program.success_prefix + program.system_qubits
    bad = [len(s) for s in shots if len(s) != width]
    if bad:
        raise ValueError(f"each shot must have {width} results, got {bad[0]}")
    counts = np.zeros(2**program.system_qubits)
    ok = 0
    for s in shots:
        if not any(s[: program.success_prefix]):
            ok += 1
            counts[int("".join(map(str, s[program.success_prefix :])), 2)] += 1
    probs = counts[: program.n] / ok if ok else np.full(program.n, np.nan)
    return ok / len(shots), probs, ok


def submit(
    program: QirProgram,
    *,
    workspace=None,
    connection_string: str | None = None,
    target: str = DEFAULT_TARGET,
    shots: int = 100,
    name: str = "pyqgd",
):
    """Submit a compiled program to an Azure Quantum target; returns the ``azure.quantum`` job.

    Pass exactly one of ``workspace`` (an ``azure.quantum.Workspace`` you built) or ``connection_string`` (from the
    Azure portal: your Quantum workspace → Operations → Access keys). Without either this raises
    :class:`AzureWorkspaceRequired` and contacts nothing. ``azure-quantum`` is imported only for a connection string;
    if it is missing, ImportError says ``pip install 'pyqgd[azure]'``.
    """
    if not isinstance(program, QirProgram):
        raise TypeError(f"program must be a QirProgram from pyqgd.quantum.azure.compile_qir, got {type(program).__name__}")
    shots = check_positive_int(shots, "shots")
    if workspace is None and connection_string is None:
        raise AzureWorkspaceRequired(
            "submit needs an Azure Quantum workspace, and pyqgd never creates one on its own (that would authenticate "
            "and contact Azure): pass connection_string='SubscriptionId=...;ResourceGroupName=...;WorkspaceName=...;"
            "ApiKey=...;QuantumEndpoint=https://<region>.quantum.azure.com/;' (Azure portal → your Quantum workspace → "
            "Operations → Access keys), or workspace=azure.quantum.Workspace(...) built yourself "
            f"(needs {_PIP_HINT})"
        )
    if workspace is not None and connection_string is not None:
        raise ValueError("pass either workspace or connection_string, not both")
    if workspace is None:
        if not isinstance(connection_string, str) or not connection_string.strip():
            raise ValueError("connection_string must be a non-empty string copied from the Azure portal")
        try:
            from azure.quantum import Workspace
        except ImportError as err:
            raise ImportError(f"submitting to Azure Quantum needs the azure-quantum package: {_PIP_HINT}") from err
        workspace = Workspace.from_connection_string(connection_string)
    if not hasattr(workspace, "get_targets"):
        raise TypeError(f"workspace must be an azure.quantum.Workspace, got {type(workspace).__name__}")
    backend = workspace.get_targets(target)
    if backend is None or isinstance(backend, list):
        raise ValueError(f"target {target!r} is not available in this workspace; list them with workspace.get_targets()")
    return backend.submit(program.qir_input, name, shots=shots,
                          input_params={"entryPoint": program.entry_point, "arguments": []})
