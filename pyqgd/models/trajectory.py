"""The true nonlinear GD trajectory of a pruned model, and its comparison with the Carleman solution.

:func:`gd_trajectory` runs plain full-batch gradient descent with torch autograd (``torch.autograd.grad``,
independent of the torch.func transforms that build the Taylor coefficients) on the surviving parameters, holding
pruned entries at zero, and returns u(t) = θ(t) − θ* on the survivors. :func:`carleman_vs_gd` compares that trajectory with
the quadratic map of the Taylor coefficients and with its Carleman linearisation (``pyqgd.carleman``) for several
truncation orders N and learning rates η.
"""

from __future__ import annotations

import warnings

import numpy as np

from pyqgd._checks import check_positive_float, check_positive_int
from pyqgd.carleman import discrete_carleman, solve_history
from pyqgd.models._torch import torch
from pyqgd.models.pruning import ParameterMask
from pyqgd.models.taylor import GDExpansion

__all__ = ["gd_trajectory", "masked_gd_trajectory", "carleman_vs_gd"]


def masked_gd_trajectory(model, loss_fn, data, *, lr: float, steps: int, **kw) -> np.ndarray:
    """Deprecated alias of :func:`gd_trajectory` (``lr`` → ``eta``, ``steps`` → ``T``)."""
    warnings.warn("masked_gd_trajectory(lr=, steps=) is deprecated: use gd_trajectory(model, loss_fn, data, eta=, T=)",
                  DeprecationWarning, stacklevel=2)
    return gd_trajectory(model, loss_fn, data, eta=lr, T=steps, **kw)


def gd_trajectory(model, loss_fn, data, *, eta: float, T: int, mask: ParameterMask | None = None,
                  theta_star=None, dtype=None, device=None, train_mode: bool = False) -> np.ndarray:
    """u(0..T) of plain full-batch GD with torch autograd on the pruned model, as u(t) = θ(t) − θ* on the survivors.

    Each step evaluates the loss of the model with parameters θ* + E u (survivors moved, pruned entries held at 0;
    the same weighted batch loss as :class:`~pyqgd.models.taylor.GDExpansion`), takes ∇_u L with
    ``torch.autograd.grad`` (plain reverse mode, none of the torch.func transforms that build the Taylor
    coefficients, so it is an independent reference) and sets u ← u − η∇L. GD starts at the (masked) checkpoint,
    u(0) = θ_checkpoint − θ* (0 when ``theta_star`` is None). The caller's model is not modified.
    """
    steps = check_positive_int(T, "T")
    eta = check_positive_float(eta, "eta")
    ex = GDExpansion(model, loss_fn, data, eta=eta, mask=mask, theta_star=theta_star, dtype=dtype, device=device,
                     train_mode=train_mode)
    u = torch.as_tensor(ex.u_checkpoint, dtype=ex.dtype, device=ex.device)
    out = np.empty((steps + 1, ex.n))
    out[0] = ex.u_checkpoint
    for t in range(steps):
        w = u.detach().requires_grad_(True)
        with torch.enable_grad():
            loss = ex._sum_batches(lambda f: f(w))
            if not torch.isfinite(loss):
                raise ValueError(f"the loss became {float(loss)} at GD step {t}; lower the learning rate")
            (g,) = torch.autograd.grad(loss, w)
        u = (w - eta * g).detach()
        out[t + 1] = u.cpu().double().numpy()
    return out


def carleman_vs_gd(model, loss_fn, data, *, eta: float | None = None, T: int = 5, orders=(1, 2, 3), etas=None,
                   mask: ParameterMask | None = None, theta_star=None, dtype=None, tol: float = 0.0,
                   max_dim: int = 2_000_000, train_mode: bool = False, lr: float | None = None, steps: int | None = None,
                   lrs=None) -> list:
    """Carleman solution of the GD map vs the true GD trajectory, for truncation orders N and learning rates η.

    The model is expanded at θ* (default: the masked checkpoint, GD starting there, u_in = 0; see
    :class:`~pyqgd.models.taylor.GDExpansion`). The Taylor coefficients are taken once at ``lr`` (exact sparse path, entries below ``tol`` dropped) and
    rescaled for each η in ``lrs`` (F_ℓ ∝ η). For each (η, N) the row reports
    ``err_vs_gd`` = max_t ‖ŷ₁(t) − u_GD(t)‖ / max_t ‖u_GD(t) − u_GD(0)‖ (relative to how far GD moved),
    ``err_vs_quadratic`` (same with the quadratic map's iterates, i.e. the Carleman truncation error alone) and
    ``taylor_err`` (quadratic map vs GD: the cubic Taylor remainder, a floor for err_vs_gd).
    Orders whose Carleman dimension Σ_{j≤N} n^j exceeds ``max_dim`` are skipped.
    """


    if lr is not None or steps is not None or lrs is not None:
        warnings.warn("carleman_vs_gd(lr=, steps=, lrs=) is deprecated: pass eta=, T=, etas=", DeprecationWarning,
                      stacklevel=2)
        eta = lr if lr is not None else eta
        T = steps if steps is not None else T
        etas = lrs if lrs is not None else etas
    if eta is None:
        raise TypeError("carleman_vs_gd needs the learning rate eta=")
    steps = check_positive_int(T, "T")
    lr = check_positive_float(eta, "eta")
    lrs = (lr,) if etas is None else tuple(check_positive_float(x, "eta") for x in etas)
    expansion = GDExpansion(model, loss_fn, data, eta=lr, mask=mask, theta_star=theta_star, dtype=dtype,
                            train_mode=train_mode)
    coeffs = expansion.coefficients(sparse=True, tol=tol)
    base = coeffs.quadratic_map()
    n = expansion.n
    rows = []
    for eta in lrs:
        qm = base.scaled(eta / lr)
        gd = gd_trajectory(model, loss_fn, data, eta=eta, T=steps, mask=expansion.mask,
                                  theta_star=expansion.theta_star, dtype=expansion.dtype, train_mode=train_mode)
        u0 = gd[0]
        quad = qm.trajectory(u0, steps)
        scale = max(np.max(np.linalg.norm(gd - gd[0], axis=1)), 1e-300)
        taylor_err = float(np.max(np.linalg.norm(quad - gd, axis=1)) / scale)
        for N in orders:
            N = check_positive_int(N, "N")
            dim = sum(n ** j for j in range(1, N + 1))
            if dim > max_dim:
                continue
            sol = solve_history(discrete_carleman(qm, N), u0, steps)
            y = np.asarray(sol.u)
            rows.append({
                "eta": eta, "lr": eta, "N": N, "n": n, "steps": steps,
                "err_vs_gd": float(np.max(np.linalg.norm(y - gd, axis=1)) / scale),
                "err_vs_quadratic": float(np.max(np.linalg.norm(y - quad, axis=1)) / scale),
                "taylor_err": taylor_err,
                "gd_displacement": float(scale),
            })
    return rows
