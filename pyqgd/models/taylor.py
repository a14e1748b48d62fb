"""Taylor coefficients of the gradient-descent map of a (pruned) PyTorch model, restricted to surviving parameters.

One GD step θ ← θ − η ∇L(θ) on the surviving parameters, written around an expansion point θ* as
u = θ − θ* (survivors only; pruned entries are held at zero), is the map (Liu et al. 2024, Eq. 4)

    u(t+1) = u(t) + F0 + F1 u(t) + F2 (u(t) ⊗ u(t)) + O(‖u‖³),

    F0 = −η ∇L(θ*)                 (n),
    F1 = −η ∇²L(θ*)                (n × n, symmetric),
    F2 = −(η/2) mat(∇³L(θ*))       (n × n², row-major Kronecker order: column a·n + b multiplies u_a u_b),

with F2 symmetric in (a, b), so F2 (u ⊗ u) is exactly the second-order Taylor term of −η ∇L(θ* + u).

**Expansion point.** By default θ* is the (pruned) checkpoint itself, so the GD trajectory starts at u_in = 0. That
is the point where the truncated Taylor series is most accurate along the early trajectory, which is the regime the
paper's speedup argument is about (§4: "early stage after pruning"). Expanding at θ = 0 instead (the literal reading
of u(0) = θ(0) in Eq. 4) would describe a network with all weights zero, a different function far from the trained
one, and the cubic remainder would not be small. The price: the PNAS dissipation number R contains ‖F0‖/‖u_in‖,
which is infinite at u_in = 0 unless θ* is a critical point; pass ``theta_star`` (e.g. a later or earlier point
along training) to obtain u_in = θ_start − θ* ≠ 0, and see :func:`pyqgd.models.dissipation.dissipation_number`.

**Data.** The loss is L(θ) = Σ_b w_b ℓ(model(x_b; θ), y_b) over the given batches with w_b = |b| / Σ|b| (the full-data
mean for a mean-reduced loss). The model is evaluated in eval mode (dropout off, batch-norm running statistics)
unless ``train_mode=True``, so L is a deterministic function of θ.

**Exact paths** build F1 from n Hessian-vector products (vmapped over one-hot vectors) and F2 from n(n+1)/2 vmapped
third-order directional derivatives ∇³L[e_a, e_b] (a ≤ b, mirrored to (b, a)). Their cost is n resp. n²/2 HVP-like
passes: F1 is practical to ~10^4 surviving parameters, F2 to several hundred (n = 121: 4 s, n = 363: 285 s on 2 cores;
up to the memory limit, :func:`exact_third_max_n`); beyond that
use the matrix-free operators of :mod:`pyqgd.models.operators`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from tqdm.auto import tqdm

from pyqgd._checks import DEFAULT_MEMORY_LIMIT, TooLargeError, check_memory, check_positive_int
from pyqgd.models._torch import math_attention, resolve_device, resolve_dtype, torch
from pyqgd.models.pruning import ParameterLayout, ParameterMask, _module_param_entries, deepcopy_module
from pyqgd.problem import QuadraticMap
from pyqgd.spectrum import _eta

__all__ = [
    "GDExpansion",
    "TaylorCoefficients",
    "DroppedMass",
    "EXACT_HESSIAN_MAX_N",
    "EXACT_THIRD_MAX_N",
    "exact_third_max_n",
]

#: Default ceiling on n for the exact Hessian (n HVPs, n² entries).
EXACT_HESSIAN_MAX_N = 20_000
#: Historical fixed ceiling on n for the exact third-order tensor; the default is now :func:`exact_third_max_n`.
EXACT_THIRD_MAX_N = 400
#: Peak bytes per stored entry of the sparse third-order tensor: COO triplets (int64, int64, float64) while
#: streaming plus the CSR copy (int32/int64 index + float64) during conversion.
_THIRD_BYTES_PER_ENTRY = 40


def exact_third_max_n(memory_limit: float | None = None) -> int:
    """Largest n whose exact (dense-worst-case, n³ entries) sparse third-order tensor fits ``memory_limit`` bytes.

    Default limit: the smaller of pyqgd's explicit-matrix ceiling (``pyqgd._checks.DEFAULT_MEMORY_LIMIT``) and half
    of the memory currently available (``/proc/meminfo`` MemAvailable where present). Peak usage is taken as
    40 bytes per entry (COO triplets while streaming plus the CSR copy).
    """

    if memory_limit is None:
        memory_limit = float(DEFAULT_MEMORY_LIMIT)
        try:
            with open("/proc/meminfo") as fh:
                for line in fh:
                    if line.startswith("MemAvailable:"):
                        memory_limit = min(memory_limit, 0.5 * float(line.split()[1]) * 1024)
                        break
        except OSError:  # not Linux: the fixed ceiling applies
            pass
    return max(1, int((float(memory_limit) / _THIRD_BYTES_PER_ENTRY) ** (1 / 3)))

_MATRIX_FREE_HINT = (
    "use the matrix-free path instead: pyqgd.models.hessian_operator / F1_operator / F2_operator, "
    "hessian_extremes and slq_density work at 10^6+ parameters"
)


@dataclass(frozen=True)
class DroppedMass:
    """What sparse extraction dropped: entries with |value| < tol (absolute)."""
    tol: float
    count: int
    frobenius: float  # ‖dropped entries‖_F
    max_abs: float  # largest dropped |value|
    kept_frobenius: float  # ‖kept entries‖_F

    @property
    def relative(self) -> float:
        """‖dropped‖_F / ‖all‖_F (0 when nothing is dropped)."""
        tot = math.hypot(self.frobenius, self.kept_frobenius)
        return 0.0 if tot == 0 else self.frobenius / tot


@dataclass(frozen=True)
class TaylorCoefficients:
    """F0, F1, F2 of the GD map u ↦ u + F0 + F1 u + F2 (u ⊗ u) at θ* (paper Eq. 4, q = 2; module docstring).

    F1 / F2 are scipy.sparse CSR (sparse extraction) or dense numpy arrays; F2 is ``None`` when only the linear
    part was requested. ``dropped`` maps "F1"/"F2" to the :class:`DroppedMass` of sparse extraction.
    """

    F0: np.ndarray
    F1: object
    F2: object
    lr: float
    theta_star: np.ndarray  # full flat vector (pruned entries 0)
    mask: ParameterMask
    dropped: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return self.F0.shape[0]

    def density(self, name: str) -> float:
        """Fraction of nonzero entries of "F1" or "F2"."""
        m = getattr(self, name)
        nnz = m.nnz if sp.issparse(m) else np.count_nonzero(m)
        return nnz / (m.shape[0] * m.shape[1])

    @property
    def eta(self) -> float:
        """The learning rate η the coefficients carry."""
        return self.lr

    def quadratic_map(self):
        """The :class:`pyqgd.problem.QuadraticMap` (F0, F1, F2) of these coefficients."""
        return QuadraticMap(self.F0, self.F1, self.F2)

    def embed(self, u) -> np.ndarray:
        """Full flat parameter vector(s) θ = θ* + E u for survivor displacement(s) u (pruned entries stay 0)."""
        return self.theta_star + self.mask.embed(u)


def _as_batches(data):
    """Normalise ``data`` to a list of (inputs tuple, targets) pairs."""
    if isinstance(data, tuple) and len(data) == 2 and not isinstance(data[0], (list,)) and _is_batch(data):
        batches = [data]
    elif isinstance(data, (list, tuple)) and len(data) > 0 and all(_is_batch(b) for b in data):
        batches = list(data)
    else:
        raise TypeError(
            "data must be a batch (inputs, targets) or a non-empty list of such batches; inputs a tensor or a tuple "
            "of tensors passed as model(*inputs)"
        )
    return batches


def _is_batch(b) -> bool:
    return isinstance(b, tuple) and len(b) == 2 and isinstance(b[1], torch.Tensor) and (
        isinstance(b[0], torch.Tensor) or (isinstance(b[0], tuple) and all(isinstance(x, torch.Tensor) for x in b[0]))
    )


class GDExpansion:
    """The gradient-descent map of a (pruned) model as a Taylor series around θ*, on the surviving parameters.

    Parameters
    ----------
    model : torch.nn.Module, possibly pruned with ``torch.nn.utils.prune``. Never modified (a private copy is used).
    loss_fn : callable ``loss_fn(outputs, targets) -> scalar tensor``.
    data : one batch ``(inputs, targets)`` or a list of batches (module docstring: weighting).
    eta : learning rate η > 0 (F_ℓ carry the factor η); ``lr`` is a deprecated alias.
    mask : :class:`ParameterMask`, optional; default: the mask stored in a pruned model, or all-ones. Masked
        entries are held at zero (a checkpoint's values there are ignored, as pruning would set them to 0).
    theta_star : expansion point, optional: a survivor vector (length n) or a full flat vector (length n_total,
        zero at pruned entries). Default: the (masked) checkpoint, so u_in = 0 at the checkpoint.
    device : None/"cpu"/"cuda"; CUDA where none exists raises :class:`~pyqgd.models.DeviceUnavailableError`.
    dtype : torch dtype for all computations; default the model's. Use float64 for exact comparisons.
    hvp_mode : how Hessian-vector products are taken: "fwd-rev" (torch.func jvp of grad), "rev-rev" (reverse over
        reverse: torch.func vjp of grad when vmapped, autograd double-backward for one vector), or "auto" (default:
        fwd-rev when vmapped over many vectors, rev-rev for one vector, which has the least per-call overhead and
        memory here; see benchmarks/hvp.py).
    train_mode : evaluate the model in train mode (default eval mode).
    """

    def __init__(self, model, loss_fn, data, *, eta: float | None = None, mask: ParameterMask | None = None,
                 theta_star=None, device=None, dtype=None, hvp_mode: str = "auto", train_mode: bool = False,
                 lr: float | None = None):
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        if not callable(loss_fn):
            raise TypeError("loss_fn must be callable as loss_fn(outputs, targets)")
        if hvp_mode not in ("auto", "fwd-rev", "rev-rev"):
            raise ValueError(f"hvp_mode must be 'auto', 'fwd-rev' or 'rev-rev', got {hvp_mode!r}")
        if eta is None and lr is None:
            raise TypeError("GDExpansion needs the learning rate eta= (F0, F1, F2 carry the factor η)")
        self.eta = _eta(eta, lr)
        self.device = resolve_device(device)
        first = next(iter(model.parameters()), None)
        if first is None:
            raise ValueError("the model has no parameters")
        self.dtype = resolve_dtype(dtype, first.dtype if first.dtype.is_floating_point else torch.float32)
        self.hvp_mode = hvp_mode
        self.loss_fn = loss_fn

        if mask is None:
            mask = ParameterMask.from_model(model)
        elif not isinstance(mask, ParameterMask):
            raise TypeError("mask must be a ParameterMask (ParameterMask.from_tensors / from_flat / from_model)")
        layout = ParameterLayout.from_model(model)
        if layout != mask.layout:
            raise ValueError(
                "mask does not match the model's parameters (names or shapes differ); build it with "
                "ParameterMask.from_tensors(model, ...) for this model"
            )
        self.mask = mask
        self.layout = layout

        # Private, prune-free copy of the model: every tensor a plain buffer-free parameter with its masked value.
        clone = deepcopy_module(model)
        for _, module, attr, _, m in list(_module_param_entries(clone)):
            if m is not None:
                torch.nn.utils.prune.remove(module, attr)
        clone = clone.to(device=self.device, dtype=self.dtype)
        clone.train(bool(train_mode))
        for p in clone.parameters():
            p.requires_grad_(False)
        self._model = clone
        self._buffers = {k: v for k, v in clone.named_buffers()}
        self._numels = list(layout.numels)
        self._shapes = list(layout.shapes)
        self._names = list(layout.names)
        clean_names = [n for n, _ in clone.named_parameters()]
        if sorted(clean_names) != sorted(self._names):  # pragma: no cover - defensive
            raise RuntimeError("internal error: parameter names changed when removing the pruning reparametrisation")

        keep = torch.as_tensor(np.array(mask.keep), device=self.device)
        checkpoint = torch.as_tensor(layout.flatten(model), dtype=self.dtype, device=self.device) * keep
        if theta_star is None:
            theta = checkpoint
        else:
            ts = theta_star.detach().cpu().numpy() if isinstance(theta_star, torch.Tensor) else np.asarray(theta_star, dtype=float)
            if ts.ndim != 1 or ts.shape[0] not in (mask.n_surviving, mask.n_total):
                raise ValueError(
                    f"theta_star must be a survivor vector of length {mask.n_surviving} or a full flat vector of length "
                    f"{mask.n_total}, got shape {ts.shape}"
                )
            if not np.all(np.isfinite(ts)):
                raise ValueError("theta_star contains NaN or inf")
            if ts.shape[0] == mask.n_total and mask.n_total != mask.n_surviving:
                if np.any(ts[~mask.keep] != 0):
                    raise ValueError("theta_star has nonzero entries at pruned coordinates; pruned parameters are held at 0")
                ts = ts[mask.indices]
            theta = torch.as_tensor(mask.embed(ts), dtype=self.dtype, device=self.device)
        self._theta = theta
        self._checkpoint = checkpoint
        self._idx = torch.as_tensor(np.array(mask.indices), device=self.device)
        self._all = mask.n_surviving == mask.n_total

        batches = _as_batches(data)
        sizes = [int(b[1].shape[0]) if b[1].dim() > 0 else 1 for b in batches]
        total = float(sum(sizes))
        self._batches = []
        for (x, y), s in zip(batches, sizes):
            xs = x if isinstance(x, tuple) else (x,)
            xs = tuple(t.to(self.device, self.dtype) if t.is_floating_point() else t.to(self.device) for t in xs)
            yt = y.to(self.device, self.dtype) if y.is_floating_point() else y.to(self.device)
            self._batches.append((xs, yt, s / total))

        loss0 = self.loss()
        if not math.isfinite(loss0):
            raise ValueError(
                f"the loss is {loss0} at the expansion point θ*: check the data (NaN/inf inputs), the loss function and "
                "the checkpoint (a diverged training run), or pick another theta_star"
            )

    # --- basic quantities ---------------------------------------------------------------------------------------
    @property
    def lr(self) -> float:
        """Deprecated alias of :attr:`eta`."""
        return self.eta

    @property
    def n(self) -> int:
        """Number of surviving parameters (the dimension of u)."""
        return self.mask.n_surviving

    @property
    def theta_star(self) -> np.ndarray:
        """The expansion point θ* as a full flat float64 vector (zero at pruned entries)."""
        return self._theta.detach().cpu().double().numpy()

    @property
    def u_checkpoint(self) -> np.ndarray:
        """u of the (masked) checkpoint: θ_checkpoint − θ* on the survivors (0 when θ* is the checkpoint)."""
        return (self._checkpoint - self._theta)[self._idx].detach().cpu().double().numpy()

    def _vec(self, v, name="vector") -> "torch.Tensor":
        t = torch.as_tensor(np.asarray(v, dtype=float) if not isinstance(v, torch.Tensor) else v)
        if t.shape[-1] != self.n:
            raise ValueError(f"{name} must have length n = {self.n} (surviving parameters), got shape {tuple(t.shape)}")
        return t.to(self.device, self.dtype)

    def _u(self, u):
        return torch.zeros(self.n, dtype=self.dtype, device=self.device) if u is None else self._vec(u, "u")

    def _loss_batch(self, u, xs, y):
        full = self._theta + u if self._all else self._theta.index_add(0, self._idx, u)
        params = {name: t.view(shape) for name, t, shape in zip(self._names, full.split(self._numels), self._shapes)}
        out = torch.func.functional_call(self._model, (params, self._buffers), xs)
        loss = self.loss_fn(out, y)
        if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
            raise TypeError("loss_fn must return a scalar tensor (use a mean- or sum-reduced loss)")
        return loss.reshape(())

    def _sum_batches(self, fn):
        out = None
        with math_attention():
            for xs, y, w in self._batches:
                r = fn(lambda u, xs=xs, y=y: self._loss_batch(u, xs, y)) * w
                out = r if out is None else out + r
        return out

    # torch-level primitives (batched over a leading axis where noted)
    def _grad_t(self, u):
        return self._sum_batches(lambda f: torch.func.grad(f)(u))

    def _hvp_t(self, u, V):
        """H(θ*+u) V for V of shape (k, n) (vmapped)."""
        if self.hvp_mode in ("fwd-rev", "auto"):
            def one(f):
                return torch.func.vmap(lambda v: torch.func.jvp(torch.func.grad(f), (u,), (v,))[1])(V)
        else:
            def one(f):
                _, vjp_fn = torch.func.vjp(torch.func.grad(f), u)
                return torch.func.vmap(lambda v: vjp_fn(v)[0])(V)
        return self._sum_batches(one)

    def _hvp_single(self, u, v):
        """H(θ*+u) v for one vector v (n,), without vmap (the Lanczos / LinearOperator matvec)."""
        if self.hvp_mode == "fwd-rev":
            return self._sum_batches(lambda f: torch.func.jvp(torch.func.grad(f), (u,), (v,))[1])

        def one(f):
            with torch.enable_grad():
                w = u.detach().clone().requires_grad_(True)
                (g,) = torch.autograd.grad(f(w), w, create_graph=True)
                (hv,) = torch.autograd.grad(g, w, grad_outputs=v)
            return hv.detach()

        return self._sum_batches(one)

    def hvp_closure(self, u=None):
        """v ↦ H(θ*+u) v (torch vectors) that builds each batch's gradient graph once and reuses it for every product.

        Reverse over reverse: g_b = ∇L_b(w) with ``create_graph=True`` is kept, and each product is one backward
        pass ``autograd.grad(g_b, w, v, retain_graph=True)`` — no new forward or first backward per vector, which is
        what a Lanczos / SLQ loop of hundreds of products at a fixed point needs. Memory: the graphs of all batches
        stay alive while the closure does. With ``hvp_mode="fwd-rev"`` the per-call forward-over-reverse product is
        returned instead (torch.func cannot keep its graph between calls).
        """
        u0 = self._u(u)
        if self.hvp_mode == "fwd-rev":
            return lambda v: self._hvp_single(u0, v).detach()
        w = u0.detach().clone().requires_grad_(True)
        grads = []
        with math_attention(), torch.enable_grad():
            for xs, y, wt in self._batches:
                (g,) = torch.autograd.grad(self._loss_batch(w, xs, y) * wt, w, create_graph=True)
                grads.append(g)

        def hv(v):
            out = None
            with math_attention():
                for g in grads:
                    (r,) = torch.autograd.grad(g, w, grad_outputs=v, retain_graph=True)
                    out = r if out is None else out + r
            return out.detach()

        return hv

    def _third_t(self, u, A, B):
        """∇³L(θ*+u)[·, a_k, b_k] for rows a_k, b_k of A, B (shape (k, n)), vmapped."""
        def one(f):
            g = torch.func.grad(f)

            def contract(a, b):
                return torch.func.jvp(lambda w: torch.func.jvp(g, (w,), (b,))[1], (u,), (a,))[1]

            return torch.func.vmap(contract)(A, B)

        return self._sum_batches(one)

    def _third_rows_t(self, u, E):
        """∇³L(θ*+u)[e, ·, ·] (n × n) for each row e of E (k, n): the directional derivative of the Hessian,
        forward mode over torch.func.hessian (forward-over-reverse), vmapped over E. Each pass yields n² entries,
        about three times faster than n/2 vmapped third-order contractions ∇³L[·, a, b] on small models."""
        def one(f):
            hess = torch.func.hessian(f)
            return torch.func.vmap(lambda e: torch.func.jvp(hess, (u,), (e,))[1])(E)

        return self._sum_batches(one)

    # --- numpy-level single evaluations -------------------------------------------------------------------------
    def loss(self, u=None) -> float:
        """L(θ* + u) (u on the survivors; default u = 0)."""
        with torch.no_grad():
            val = self._sum_batches(lambda f: f(self._u(u)))
        return float(val)

    def gradient(self, u=None) -> np.ndarray:
        """∇L(θ* + u) restricted to the survivors (float64 numpy)."""
        g = self._grad_t(self._u(u)).detach().cpu().double().numpy()
        if not np.all(np.isfinite(g)):
            raise ValueError("the gradient contains NaN or inf at this point; check the loss and the expansion point")
        return g

    def hvp(self, v, u=None) -> np.ndarray:
        """H(θ* + u) v (one vector of length n, or a batch (k, n))."""
        V = self._vec(v)
        single = V.dim() == 1
        out = self._hvp_single(self._u(u), V) if single else self._hvp_t(self._u(u), V)
        return out.detach().cpu().double().numpy()

    def third(self, a, b, u=None) -> np.ndarray:
        """∇³L(θ* + u)[·, a, b] = Σ_{jk} ∂³L/∂θ_i∂θ_j∂θ_k a_j b_k (vectors of length n or batches (k, n))."""
        A, B = self._vec(a, "a"), self._vec(b, "b")
        single = A.dim() == 1
        if single:
            A, B = A[None], B[None]
        out = self._third_t(self._u(u), A, B).detach().cpu().double().numpy()
        return out[0] if single else out

    # --- exact extraction ---------------------------------------------------------------------------------------
    def _check_size(self, n_max, what):
        if self.n > n_max:
            raise TooLargeError(
                f"the exact {what} needs n = {self.n:,} surviving parameters ≤ max_n = {n_max:,}; {_MATRIX_FREE_HINT} "
                "(or pass max_n= to force the exact path)"
            )

    def hessian(self, *, sparse: bool = False, tol: float = 0.0, u=None, chunk_size: int = 64,
                max_n: int = EXACT_HESSIAN_MAX_N, memory_limit: float | None = None, progress: bool = False):
        """The Hessian ∇²L(θ*+u) on the survivors, from n vmapped HVPs with one-hot vectors.

        Row i is H e_i; the matrix is made exactly symmetric by keeping the upper triangle (j ≥ i) of each row and
        mirroring it. ``sparse=True`` returns ``(csr_matrix, DroppedMass)`` with entries |H_ij| < tol dropped while
        streaming (memory ∝ nnz); ``sparse=False`` returns a dense (n, n) float64 array.
        """

        self._check_size(max_n, "Hessian")
        n = self.n
        chunk_size = check_positive_int(chunk_size, "chunk_size")
        if not sparse:
            check_memory(8.0 * n * n, "the dense Hessian", memory_limit, "use sparse=True or " + _MATRIX_FREE_HINT)
            H = np.zeros((n, n))
        rows, cols, vals = [], [], []
        drop = _DropCounter(tol)
        u0 = self._u(u)
        for i0 in tqdm(range(0, n, chunk_size), disable=not progress, desc="Hessian rows"):
            i1 = min(n, i0 + chunk_size)
            E = torch.zeros(i1 - i0, n, dtype=self.dtype, device=self.device)
            E[torch.arange(i1 - i0), torch.arange(i0, i1)] = 1
            block = self._hvp_t(u0, E).detach().cpu().double().numpy()
            _check_finite(block, "Hessian")
            ii = np.arange(i0, i1)[:, None]
            jj = np.arange(n)[None, :]
            upper = jj >= ii
            if not sparse:
                H[i0:i1] = np.where(upper, block, 0.0)
                continue
            r, c = np.nonzero(upper)
            v = block[r, c]
            keep = drop.split(v, weights=np.where(c == r + i0, 1.0, 2.0))  # off-diagonal entries appear twice
            rows.append(r[keep] + i0)
            cols.append(c[keep])
            vals.append(v[keep])
        if not sparse:
            H = H + np.triu(H, 1).T
            return H
        r = np.concatenate(rows) if rows else np.zeros(0, np.int64)
        c = np.concatenate(cols) if cols else np.zeros(0, np.int64)
        v = np.concatenate(vals) if vals else np.zeros(0)
        off = r != c
        Hs = sp.coo_matrix((np.concatenate([v, v[off]]), (np.concatenate([r, c[off]]), np.concatenate([c, r[off]]))),
                           shape=(n, n)).tocsr()
        Hs.sum_duplicates()
        return Hs, drop.result()

    def third_order(self, *, sparse: bool = False, tol: float = 0.0, u=None, chunk_size: int = 256,
                    max_n: int | None = None, memory_limit: float | None = None, progress: bool = False,
                    rows_per_pass: int | None = None):
        """The third-derivative tensor ∇³L(θ*+u) as an n × n² matrix K̃[i, a·n+b] = ∂³L/∂θ_i∂θ_a∂θ_b.

        Computed row by row: row i is the directional derivative of the Hessian along e_i (forward mode over
        ``torch.func.hessian``), symmetrised in (a, b). Cost ≈ n² Hessian-vector-like passes plus n³ entries
        — about a third of the time of n(n+1)/2 contractions ∇³L[·, e_a, e_b], which took 4 s at n = 121 and 285 s at
        n = 363 (2 CPU cores, digits MLP, batch 256). ``rows_per_pass`` rows are vmapped together (default
        ≈ chunk_size/(n/8); :func:`pyqgd.models.budget.plan_exact_stages` picks it within a memory budget).
        ``max_n`` defaults to the memory limit (:func:`exact_third_max_n`). ``sparse=True`` returns
        ``(csr_matrix, DroppedMass)`` with |entries| < tol dropped while streaming; else a dense (n, n²) array.
        """

        self._check_size(exact_third_max_n(memory_limit) if max_n is None else max_n, "third-order tensor")
        n = self.n
        chunk_size = check_positive_int(chunk_size, "chunk_size")
        if not sparse:
            check_memory(8.0 * n ** 3, "the dense third-order tensor", memory_limit, "use sparse=True or " + _MATRIX_FREE_HINT)
            K = np.zeros((n, n * n))
        rows, cols, vals = [], [], []
        drop = _DropCounter(tol)
        u0 = self._u(u)
        chunk = max(1, min(n, chunk_size // max(1, n // 8)))  # ~chunk_size/(n/8) rows of n² entries per pass
        if rows_per_pass is not None:
            chunk = min(n, check_positive_int(rows_per_pass, "rows_per_pass"))
        for i0 in tqdm(range(0, n, chunk), disable=not progress, desc=f"third-order rows ({chunk} per pass)"):
            i1 = min(n, i0 + chunk)
            E = torch.zeros(i1 - i0, n, dtype=self.dtype, device=self.device)
            E[torch.arange(i1 - i0), torch.arange(i0, i1)] = 1
            block = self._third_rows_t(u0, E).detach().cpu().double().numpy()  # (k, n, n): block[p] = K[i0+p, :, :]
            _check_finite(block, "third-order tensor")
            block = 0.5 * (block + block.transpose(0, 2, 1))  # exactly symmetric in (a, b)
            flat = block.reshape(i1 - i0, n * n)
            if not sparse:
                K[i0:i1] = flat
                continue
            p, c = np.nonzero(flat)
            v = flat[p, c]
            drop.count += flat.size - v.size  # exact zeros are dropped entries too (mass 0)
            keep = drop.split(v, weights=np.ones(v.size))
            rows.append(p[keep] + i0)
            cols.append(c[keep])
            vals.append(v[keep])
        if not sparse:
            return K
        r = np.concatenate(rows) if rows else np.zeros(0, np.int64)
        c = np.concatenate(cols) if cols else np.zeros(0, np.int64)
        v = np.concatenate(vals) if vals else np.zeros(0)
        Ks = sp.coo_matrix((v, (r, c)), shape=(n, n * n)).tocsr()
        return Ks, drop.result()

    def coefficients(self, *, sparse: bool = True, tol: float = 0.0, second_order: bool = True,
                     chunk_size: int | None = None, max_n: int | None = None, memory_limit: float | None = None,
                     progress: bool = False, third_rows_per_pass: int | None = None) -> TaylorCoefficients:
        """F0 = −η∇L(θ*), F1 = −η∇²L(θ*), F2 = −(η/2)∇³L(θ*) on the survivors (paper Eq. 4).

        ``tol`` is an absolute threshold on the entries of F1 and F2 (i.e. after the factors η and η/2); entries
        below it are dropped and their mass reported in ``.dropped`` (sparse path; ``tol=0`` drops exact zeros only).
        ``second_order=False`` skips F2 (``F2=None``; the expensive part). Exact paths only: raises
        :class:`pyqgd._checks.TooLargeError` above ``max_n`` and points to the matrix-free operators.
        """
        tol = float(tol)
        if not (tol >= 0 and math.isfinite(tol)):
            raise ValueError(f"tol must be a finite number ≥ 0, got {tol}")
        eta = self.eta
        F0 = -eta * self.gradient()
        if not second_order:
            self._check_size(EXACT_HESSIAN_MAX_N if max_n is None else max_n, "Hessian")
        else:
            self._check_size(exact_third_max_n(memory_limit) if max_n is None else max_n, "third-order tensor")
        kw = dict(memory_limit=memory_limit, progress=progress, sparse=sparse)
        hk = dict(kw, max_n=EXACT_HESSIAN_MAX_N if max_n is None else max_n)
        if chunk_size is not None:
            hk["chunk_size"] = chunk_size
        dropped = {}
        if sparse:
            H, dH = self.hessian(tol=tol / eta, **hk)
            F1 = (-eta * H).tocsr()
            dropped["F1"] = dH.scaled(eta)
        else:
            F1 = -eta * self.hessian(**hk)
        F2 = None
        if second_order:
            tk = dict(kw, max_n=max_n, rows_per_pass=third_rows_per_pass)
            if chunk_size is not None:
                tk["chunk_size"] = chunk_size
            if sparse:
                K, dK = self.third_order(tol=2 * tol / eta, **tk)
                F2 = (-0.5 * eta * K).tocsr()
                dropped["F2"] = dK.scaled(eta / 2)
            else:
                F2 = -0.5 * eta * self.third_order(**tk)
        return TaylorCoefficients(F0=F0, F1=F1, F2=F2, lr=eta, theta_star=self.theta_star, mask=self.mask,
                                  dropped=dropped)


def _check_finite(block, what):
    if not np.all(np.isfinite(block)):
        raise ValueError(f"the {what} contains NaN or inf at this point; check the loss and the expansion point")


class _DropCounter:
    """Streams entries, keeps |v| ≥ tol, and accumulates the (multiplicity-weighted) mass of the dropped ones."""
    def __init__(self, tol):
        self.tol = float(tol)
        self.count = 0
        self.drop_sq = 0.0
        self.keep_sq = 0.0
        self.max_abs = 0.0

    def split(self, v, weights):
        keep = np.abs(v) >= self.tol
        if self.tol == 0:
            keep &= v != 0
        dv, dw = v[~keep], weights[~keep]
        self.count += int(dw.sum())
        self.drop_sq += float(np.sum(dw * dv * dv))
        self.keep_sq += float(np.sum(weights[keep] * v[keep] ** 2))
        if dv.size:
            self.max_abs = max(self.max_abs, float(np.max(np.abs(dv))))
        return keep

    def result(self) -> "_RawDropped":
        return _RawDropped(self.tol, self.count, math.sqrt(self.drop_sq), self.max_abs, math.sqrt(self.keep_sq))


@dataclass(frozen=True)
class _RawDropped(DroppedMass):
    def scaled(self, s: float) -> DroppedMass:
        """The same record for the matrix multiplied by −s (s > 0): thresholds and norms scale by s."""
        return DroppedMass(self.tol * s, self.count, self.frobenius * s, self.max_abs * s, self.kept_frobenius * s)
