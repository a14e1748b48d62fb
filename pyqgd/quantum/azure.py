"""The Azure Quantum path: compile small solver instances to QIR, submit them to a workspace the user names, and read
the shots back as a post-selected result.

* ``compile_carleman_qir(system, u_in, T)`` compiles the quantum Carleman GD solver (``Azure.Entry.CarlemanSolveMeasured``:
  prepare the history-state right-hand side |B⟩ (docs/math.md Eqs. (4), (11)), apply the real-part QSVT inverse of the
  T-step matrix L through its structured sparse-access block-encoding, measure every qubit). A successful shot has
  every solver ancilla at Zero and its system register in the final window (clock ≥ T) at Carleman level 1; the slot
  index is then a sample of |u_i(T)|².
* ``compile_qir(M, b)`` compiles the generic QSVT linear solver (``Azure.Entry.QsvtSolveMeasured``), or with
  ``program="block_encoding"`` one application of the sparse-access block-encoding.

Both use a private ``qdk.Context`` per target profile (never the global interpreter). The entry points in
``qsharp_src/src/Azure/Entry.qs`` compose the same circuits as the simulator bridge from direct calls, because QIR
generation needs every callable argument to be known at compile time; the tests check that their states equal the
simulator's amplitude by amplitude. The compiled QIR is inspected with ``pyqir`` (installed with ``qdk``): entry point,
required qubits and results, and the count of each quantum instruction (:func:`qir_stats`).

``submit(program, resource_id=..., location=..., target=...)`` sends a program to the Azure Quantum target the user
names, authenticating with the Azure CLI login (``az login``; ``azure.identity``'s default credential chain) — the
path Azure's documentation leads with; a ``connection_string`` or a ready ``workspace`` are accepted too. pyqgd never
builds a workspace on its own: without one of them :class:`AzureWorkspaceRequired` is raised and nothing is contacted;
``azure-quantum`` is imported only then (optional extra ``pip install 'pyqgd[azure]'``, i.e. ``qdk[azure]``). The job's
shots come back post-selected in an :class:`AzureRunResult`. Resource *estimation* is local (``qdk``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np
import pyqir
import qdk

from pyqgd._checks import TooLargeError, check_positive_float, check_positive_int
from pyqgd.carleman import CarlemanSystem, solve_history
from pyqgd.quantum._context import qsharp_project_root
from pyqgd.quantum.polynomials import inverse_polynomial
from pyqgd.quantum.qsp import qsvt_angles
from pyqgd.quantum.solvers import normalized_solution, prepare_system
from pyqgd.quantum.structured_oracles import carleman_oracle_data, history_rhs

__all__ = ["QirProgram", "PROFILES", "compile_qir", "compile_carleman_qir", "qir_stats", "submit", "postselect",
           "AzureRunResult", "AzureWorkspaceRequired", "EXAMPLE_TARGETS"]

#: Accepted profile names → qdk.TargetProfile attribute. Base runs on the most hardware; the adaptive profiles allow
#: mid-circuit measurement (the table lookups then uncompute with measurements: about half the gates).
PROFILES = {"base": "Base", "adaptive_ri": "Adaptive_RI", "adaptive_rif": "Adaptive_RIF"}

#: Examples of Azure Quantum targets that accept adaptive-profile QIR (the user always names the target).
EXAMPLE_TARGETS = ("quantinuum.sim.h2-1e", "quantinuum.qpu.h2-1", "rigetti.sim.qvm")

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
    outcome_map: np.ndarray | None = field(default=None, repr=False, compare=False)

    def __str__(self) -> str:
        return self.qir

    def __repr__(self) -> str:
        return (f"QirProgram(entry={self.entry!r}, profile={self.profile!r}, qubits={self.num_qubits}, "
                f"results={self.num_results}, n={self.n}, p_success={self.expected_success_probability:.3g}, "
                f"qir={len(self.qir) / 1024:.0f} KiB)")


def _profile(profile) -> tuple[str, Any]:

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

    root = qsharp_project_root()
    if not (root / "qsharp.json").exists():
        raise FileNotFoundError(f"the Q# project was not found at {root} (expected qsharp.json there)")
    return qdk.Context(project_root=str(root), target_profile=getattr(qdk.TargetProfile, PROFILES[profile_key]))


def _inspect(qir: str) -> tuple[str, int, int]:
    """(entry-point name, required qubits, required results) of QIR text, read with pyqir."""

    module = pyqir.Module.from_ir(pyqir.Context(), qir)
    entries = [f for f in module.functions if pyqir.is_entry_point(f)]
    if len(entries) != 1:
        raise RuntimeError(f"the compiled QIR has {len(entries)} entry-point functions, expected one")
    f = entries[0]
    nq, nr = pyqir.required_num_qubits(f), pyqir.required_num_results(f)
    if nq is None or nr is None:
        raise RuntimeError("the compiled QIR does not state its required qubits and results")
    return f.name, int(nq), int(nr)


def qir_stats(program: "QirProgram | str") -> dict:
    """Counts of each QIR call in the entry point (``{"qis.h": 12, "qis.m": 5, "rt.result_record_output": 5, …}``),
    plus ``"branches"`` (conditional branches: mid-circuit feedback) and ``"blocks"``, read with pyqir."""

    qir = program.qir if isinstance(program, QirProgram) else str(program)
    module = pyqir.Module.from_ir(pyqir.Context(), qir)
    counts: dict = {"branches": 0, "blocks": 0}
    for f in module.functions:
        if not pyqir.is_entry_point(f):
            continue
        for block in f.basic_blocks:
            counts["blocks"] += 1
            for inst in block.instructions:
                if isinstance(inst, pyqir.Call):
                    name = inst.callee.name.removeprefix("__quantum__").replace("__body", "").replace("__", ".")
                    counts[name] = counts.get(name, 0) + 1
                elif inst.opcode == pyqir.Opcode.BR and len(inst.operands) == 3:
                    counts["branches"] += 1
    return counts


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
    entry_point, num_qubits, num_results = _inspect(qir)
    return QirProgram(
        qir=qir, entry=entry, entry_point=entry_point, profile=key, num_qubits=num_qubits, num_results=num_results,
        success_prefix=success_prefix, system_qubits=m, n=n,
        expected_success_probability=p_success, expected_probabilities=out[:n] ** 2 / p_success,
        details=details, qir_input=qir_input,
    )


#: QIR generation of the Carleman solver (the QDK's partial evaluation) grows fast with N and the degree: ~1.3 GB at
#: N = 1, T = 2, degree 13, but ~1.5 GB at N = 2 with degree 3 and > 6 GB at degree 7. These limits keep a compile
#: within a few GB; larger instances belong to the resource estimator (pyqgd.estimate).
MAX_CARLEMAN_QIR_WORK = 40


def compile_carleman_qir(
    system,
    u_in,
    T: int,
    p: int = 0,
    *,
    profile="adaptive_ri",
    epsilon: float = 0.3,
    angle_bits: int = 8,
    max_degree: int = 15,
    max_system_qubits: int = 4,
) -> QirProgram:
    """Compile the quantum Carleman GD solver of ``system`` (a :class:`~pyqgd.carleman.CarlemanSystem` from
    ``discrete_carleman``) for T steps and p idle padding steps, started at ``u_in``, to QIR.

    The circuit is that of ``Carleman.HistoryState.CarlemanQsvtSolve`` without amplification (shots and
    post-selection replace it): |B⟩ (Eq. (4) of docs/math.md), the real-part QSVT of P ≈ c/x with relative error
    ``epsilon`` on [1/κ, 1] (κ = α/σ_min of the quantized L, Eq. (10)), every qubit measured. The program's
    ``outcome_map`` sends each system basis state of the final window (clock ≥ T, level 1) to the parameter index i,
    so :func:`postselect` returns the distribution |u_i(T)|²/‖u(T)‖² of the Carleman solution.

    Limits (TooLargeError): ``max_system_qubits`` system qubits (clock + Carleman register), and a compile-work budget
    degree × 4^(N−1) ≤ :data:`MAX_CARLEMAN_QIR_WORK` (QIR generation memory, see there); ``DegreeTooLargeError``
    above ``max_degree``. Bad input raises ValueError/TypeError before anything is compiled.
    """

    if not isinstance(system, CarlemanSystem):
        raise TypeError(f"system must be a CarlemanSystem (pyqgd.carleman.discrete_carleman), got {type(system).__name__}")
    key, _ = _profile(profile)
    T = check_positive_int(T, "T")
    p = check_positive_int(p, "p", minimum=0)
    epsilon = check_positive_float(epsilon, "epsilon")
    if epsilon >= 1:
        raise ValueError(f"epsilon must be in (0, 1), got {epsilon}")
    angle_bits = check_positive_int(angle_bits, "angle_bits", minimum=2)
    u = np.asarray(u_in, dtype=float)
    if u.shape != (system.n,) or not np.all(np.isfinite(u)):
        raise ValueError(f"u_in must be a finite vector of length n = {system.n}")
    data = carleman_oracle_data(system, T, p, angle_bits=angle_bits)
    lay = data.layout
    m = lay.system_qubits
    if m > max_system_qubits:
        raise TooLargeError(f"n = {system.n}, N = {system.N}, T = {T}, p = {p} needs {m} system qubits, above "
                            f"max_system_qubits = {max_system_qubits}: reduce T, p or N, or estimate the cost with "
                            "pyqgd.estimate instead")
    rhs = history_rhs(system, u, T, p)
    A = data.quantized_matrix() / data.alpha
    U, S, Vt = np.linalg.svd(A)
    kappa = max(1.0 / S.min() * (1.0 + 1e-6), 1.0 + 1e-6)
    poly = inverse_polynomial(kappa, epsilon, max_degree=max_degree)
    work = poly.degree * 4 ** (system.N - 1)
    if work > MAX_CARLEMAN_QIR_WORK:
        raise TooLargeError(f"degree {poly.degree} at Carleman order N = {system.N}: compiling this to QIR would need "
                            f"many GB of memory (degree × 4^(N−1) = {work} > {MAX_CARLEMAN_QIR_WORK}); raise epsilon, "
                            "lower T, use N = 1, or estimate the cost with pyqgd.estimate")
    angles = qsvt_angles(poly)
    ctx = _context(key)
    qir_input = ctx.compile(ctx.code.Azure.Entry.CarlemanSolveMeasured, data.to_qsharp(), angles.phases.tolist(),
                            rhs.qsharp)
    x = Vt.T @ (poly(S) * (U.T @ rhs.vector))  # Re P^{(SV)}(Lᵀ/α)|B⟩ on the system register, ancillas |0⟩
    Dc = 2**lay.carleman_qubits
    outcome = np.full(2**m, -1, dtype=np.int64)
    idx1 = lay.carleman_index()[: lay.n]
    for t in range(T, 2**lay.clock_qubits):
        outcome[t * Dc + idx1] = np.arange(lay.n)
    good = outcome >= 0
    p_success = float(np.sum(x[good] ** 2))
    probs = np.bincount(outcome[good], weights=x[good] ** 2, minlength=lay.n) / p_success
    hist = solve_history(system, u, T, p)
    qir = str(qir_input)
    entry_point, num_qubits, num_results = _inspect(qir)
    return QirProgram(
        qir=qir, entry="Azure.Entry.CarlemanSolveMeasured", entry_point=entry_point, profile=key,
        num_qubits=num_qubits, num_results=num_results, success_prefix=3 + m, system_qubits=m, n=lay.n,
        expected_success_probability=p_success, expected_probabilities=probs,
        details={"T": T, "p": p, "N": system.N, "kappa": float(kappa), "epsilon": epsilon, "degree": angles.degree,
                 "block_encoding_calls": angles.degree, "alpha": data.alpha, "sparsity": data.sparsity,
                 "angle_bits": angle_bits, "clock_qubits": lay.clock_qubits, "carleman_qubits": lay.carleman_qubits,
                 "carleman_probabilities": (hist.u_final**2 / np.sum(hist.u_final**2)).tolist()},
        qir_input=qir_input, outcome_map=outcome,
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
    """(accepted fraction, empirical output distribution over the program's n outputs, number of accepted shots).

    ``shots``: one sequence of results per shot (qdk ``Result`` values, 0/1, bools or "0"/"1", nested tuples are
    flattened), in the order the program measures them. A shot is accepted when its first ``success_prefix`` results
    are all Zero and — for programs with an ``outcome_map`` (the Carleman solver) — its system basis state maps to an
    output (final window, level 1); otherwise the system state itself is the output (first n basis states).
    """
    shots = [[_bit(r) for r in _flatten(s)] for s in shots]
    if not shots:
        raise ValueError("no shots to post-select")
    width = program.success_prefix + program.system_qubits
    bad = [len(s) for s in shots if len(s) != width]
    if bad:
        raise ValueError(f"each shot must have {width} results, got {bad[0]}")
    counts = np.zeros(program.n)
    ok = 0
    for s in shots:
        if any(s[: program.success_prefix]):
            continue
        k = int("".join(map(str, s[program.success_prefix :])), 2)
        out = k if program.outcome_map is None else int(program.outcome_map[k])
        if program.outcome_map is not None and out < 0:
            continue
        ok += 1
        if out < program.n:
            counts[out] += 1
    probs = counts / ok if ok else np.full(program.n, np.nan)
    return ok / len(shots), probs, ok


def _flatten(shot):
    if isinstance(shot, (str, bytes)) or not hasattr(shot, "__iter__"):
        return [shot]
    out = []
    for r in shot:
        out.extend(_flatten(r) if isinstance(r, (list, tuple)) else [r])
    return out


@dataclass(frozen=True)
class AzureRunResult:
    """Shots of one Azure Quantum job, post-selected (:func:`postselect`).

    ``success_fraction``: accepted shots / shots; ``probabilities``: the empirical output distribution (for the
    Carleman program, |u_i(T)|²/‖u(T)‖²); ``expected_*``: what an ideal device gives. ``job`` is the azure-quantum job.
    """

    target: str
    shots: int
    accepted: int
    success_fraction: float
    probabilities: np.ndarray
    expected_success_probability: float
    expected_probabilities: np.ndarray
    job_id: str | None = None
    raw_shots: list = field(default_factory=list, repr=False)
    job: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def from_shots(cls, program: QirProgram, shots: list, *, target: str, job=None) -> "AzureRunResult":
        frac, probs, ok = postselect(program, shots)
        return cls(target=target, shots=len(shots), accepted=ok, success_fraction=frac, probabilities=probs,
                   expected_success_probability=program.expected_success_probability,
                   expected_probabilities=program.expected_probabilities,
                   job_id=getattr(job, "id", None), raw_shots=list(shots), job=job)

    def __repr__(self) -> str:
        return (f"AzureRunResult(target={self.target!r}, shots={self.shots}, accepted={self.accepted}, "
                f"success_fraction={self.success_fraction:.3g} (ideal {self.expected_success_probability:.3g}), "
                f"probabilities={np.array2string(self.probabilities, precision=3)})")


def _workspace(workspace, resource_id, location, connection_string):
    """The workspace the user named (exactly one way); contacts nothing before that."""
    given = [k for k, v in (("workspace", workspace), ("resource_id", resource_id),
                            ("connection_string", connection_string)) if v is not None]
    if not given:
        raise AzureWorkspaceRequired(
            "submit needs an Azure Quantum workspace, and pyqgd never creates one on its own (that would authenticate "
            "and contact Azure). Log in with the Azure CLI (`az login`) and pass resource_id='/subscriptions/<id>/"
            "resourceGroups/<group>/providers/Microsoft.Quantum/Workspaces/<name>' and location='<region>' (Azure "
            "portal → your Quantum workspace → Overview); or connection_string='SubscriptionId=...;"
            "ResourceGroupName=...;WorkspaceName=...;ApiKey=...;QuantumEndpoint=...' (→ Operations → Access keys); or "
            f"workspace=azure.quantum.Workspace(...) built yourself (needs {_PIP_HINT})")
    if len(given) > 1:
        raise ValueError(f"pass one of workspace, resource_id (+ location) or connection_string, not {' and '.join(given)}")
    if workspace is not None:
        if not hasattr(workspace, "get_targets"):
            raise TypeError(f"workspace must be an azure.quantum.Workspace, got {type(workspace).__name__}")
        return workspace
    if resource_id is not None:
        if not isinstance(resource_id, str) or "/providers/Microsoft.Quantum/Workspaces/" not in resource_id:
            raise ValueError("resource_id must look like '/subscriptions/<id>/resourceGroups/<group>/providers/"
                             "Microsoft.Quantum/Workspaces/<name>' (Azure portal → your Quantum workspace → Overview)")
        if not isinstance(location, str) or not location.strip():
            raise ValueError("location (the workspace's region, e.g. 'westeurope') is needed with resource_id")
    else:
        if not isinstance(connection_string, str) or not connection_string.strip():
            raise ValueError("connection_string must be a non-empty string copied from the Azure portal")
    try:
        from azure.quantum import Workspace
    except ImportError as err:
        raise ImportError(f"submitting to Azure Quantum needs the azure-quantum package: {_PIP_HINT}") from err
    if resource_id is not None:
        return Workspace(resource_id=resource_id, location=location.strip())  # default credential: Azure CLI login
    return Workspace.from_connection_string(connection_string)


def submit(
    program: QirProgram,
    *,
    target: str | None = None,
    resource_id: str | None = None,
    location: str | None = None,
    connection_string: str | None = None,
    workspace=None,
    shots: int = 100,
    name: str = "pyqgd",
    wait: bool = True,
    timeout_s: float | None = None,
):
    """Submit a compiled program to the Azure Quantum ``target`` you name; returns an :class:`AzureRunResult`.

    The workspace: ``resource_id`` + ``location`` with the Azure CLI login (``az login``; the documented default),
    or a ``connection_string`` (portal → Operations → Access keys), or a ``workspace`` object. Without any of them
    this raises :class:`AzureWorkspaceRequired` and contacts nothing. With ``wait=False`` the azure-quantum job is
    returned at once (read it later with ``AzureRunResult.from_shots(program, job.get_results_shots(), target=…)``).
    ``azure-quantum`` is imported only when a workspace must be built; if it is missing, ImportError says
    ``pip install 'pyqgd[azure]'``.
    """
    if not isinstance(program, QirProgram):
        raise TypeError(f"program must be a QirProgram from pyqgd.quantum.azure.compile_qir, got {type(program).__name__}")
    shots = check_positive_int(shots, "shots")
    ws = _workspace(workspace, resource_id, location, connection_string)
    if not isinstance(target, str) or not target.strip():
        raise ValueError(f"name the Azure Quantum target, e.g. target={EXAMPLE_TARGETS[0]!r} (list the workspace's "
                         "targets with workspace.get_targets())")
    backend = ws.get_targets(target)
    if backend is None or isinstance(backend, list):
        raise ValueError(f"target {target!r} is not available in this workspace; list them with workspace.get_targets()")
    job = backend.submit(program.qir_input, name, shots=shots,
                         input_params={"entryPoint": program.entry_point, "arguments": []})
    if not wait:
        return job
    job.wait_until_completed(timeout_secs=timeout_s)
    return AzureRunResult.from_shots(program, job.get_results_shots(), target=target, job=job)
