"""(b) The sparse download / re-upload scheme of Liu et al. (2024, §4) with a classically emulated quantum segment.

Three schemes, all on the pruned digits MLP of experiment (a) (90 % pruned, n = 241 survivors, full-batch loss,
mask held throughout), for the same total number of GD steps:

* **sparse** — plain sparse GD θ ← θ − η∇L(θ) on the survivors (the classical reference);
* **re-upload** — segments of K steps (paper: 100). A segment starts by "uploading" θ_s and expanding the loss there;
  the quantum solver would return the state of the Carleman-linearised GD map after K steps. We emulate that
  classically:
  - ``emulator="taylor"`` (default): the quadratic Taylor map of the segment start,
    u ↦ u + F0 + F1 u + F2 (u⊗u) with F0 = −η∇L(θ_s), F1 u = −η H(θ_s) u (one HVP), F2(u⊗u) = −(η/2)∇³L(θ_s)[·, u, u]
    (one third-order directional derivative) — the map the truncated Carleman system converges to as N → ∞
    (exactly, for the iterates, before truncation). At n = 241 the discrete Carleman system at N = 2 has
    n + n² = 58 322 coordinates and a (2,2) block (I+F1)⊗(I+F1) with ~n⁴ = 3.4×10⁹ nonzeros (the cross-entropy
    Hessian is dense), and exact F2 needs n²/2 ≈ 29 000 third-order passes per segment: too expensive here, so the
    default is the Taylor map.
  - ``emulator="carleman"``: the truncated discrete Carleman system of order N (``pyqgd.carleman``) built from the
    exact F0, F1, F2 — practical only at small n (tests use it at n ≈ 30–65).
  Then the **download**: tomography at precision δ returns the normalised state with ℓ2 error ≈ δ (docs/math.md §12),
  i.e. the parameters with ℓ2 error ≈ δ‖θ‖. Noise model: θ_read = θ + δ‖θ‖·z/‖z‖ with z ~ N(0, I) on the survivors
  (exactly that ℓ2 size, a uniformly random direction, support = the mask; the norm ‖θ‖ is taken as known, signs
  as recovered). Re-upload = the next segment starts at θ_read (re-expanded there).
* **QRAM** — as re-upload, but after each download C = 10 exact classical GD steps (dense parameters would be
  re-uploaded via QRAM; here the mask is still held), so segments are K + C steps.

Segment length: at η = 2 the quadratic Taylor map of the pruned start point is 18 % off exact GD after 5 steps, 71 %
after 10 and diverges (10²³) by 20; at η = 1 it is 7 % / 20 % / 89 % off after 5 / 10 / 20 steps. The paper's K = 100
is therefore out of reach for this model; the defaults are η = 1, K = 10.

Per quantum segment we also report the emulation error against exact GD from the same start,
‖θ_emul(K) − θ_GD(K)‖ / ‖θ_GD(K) − θ_s‖ (the Taylor-model error that the paper's E(t) is a proxy for).
"""

from __future__ import annotations

import time

import numpy as np

from experiments._common import PrunedSetup, finish, plotted, pruned_digits_mlp

__all__ = ["tomography_noise", "emulate_segment", "run_scheme", "run", "plot", "main"]


def tomography_noise(theta, delta: float, rng) -> np.ndarray:
    """Read-out error of ℓ2 size exactly δ‖θ‖ in a uniformly random direction (on the given coordinates)."""
    theta = np.asarray(theta, float)
    if delta == 0:
        return np.zeros_like(theta)
    z = rng.standard_normal(theta.shape)
    return delta * np.linalg.norm(theta) * z / np.linalg.norm(z)


def emulate_segment(setup: PrunedSetup, theta_s, lr: float, K: int, *, emulator: str = "taylor", N: int = 2) -> np.ndarray:
    """The K-step trajectory θ(0..K) of the quantum segment started at θ_s, emulated classically (module doc)."""
    ex = setup.expansion(theta_s, lr)
    n = ex.n
    if emulator == "taylor":
        F0 = -lr * ex.gradient()
        u = np.zeros(n)
        traj = [u]
        for _ in range(K):
            u = u + F0 - lr * ex.hvp(u) - 0.5 * lr * ex.third(u, u)
            if not np.all(np.isfinite(u)):
                raise FloatingPointError("the Taylor map diverged; lower lr or K")
            traj.append(u)
        U = np.array(traj)
    elif emulator == "carleman":
        from pyqgd.carleman import discrete_carleman, solve_history

        qm = ex.coefficients(sparse=True).quadratic_map()
        U = np.asarray(solve_history(discrete_carleman(qm, N), np.zeros(n), K).u)
    else:
        raise ValueError(f"emulator must be 'taylor' or 'carleman', got {emulator!r}")
    return np.asarray(theta_s, float) + U


def _gd(setup, ex0, theta, lr, steps):
    """Exact sparse GD from θ (survivors) using the expansion object ex0 (anchored at setup.theta0)."""
    u = np.asarray(theta, float) - setup.theta0
    out = [setup.theta0 + u]
    for _ in range(steps):
        u = u - lr * ex0.gradient(u)
        out.append(setup.theta0 + u)
    return np.array(out)


def run_scheme(setup: PrunedSetup, scheme: str, *, lr: float = 2.0, total_steps: int = 300, K: int = 50,
               classical_steps: int = 10, delta: float = 1e-2, emulator: str = "taylor", N: int = 2,
               record_every: int = 5, seed: int = 0, check_emulation: bool = True) -> dict:
    """Run one scheme ("sparse", "reupload" or "qram"); returns the recorded curves and per-segment diagnostics."""
    if scheme not in ("sparse", "reupload", "qram"):
        raise ValueError(f"scheme must be 'sparse', 'reupload' or 'qram', got {scheme!r}")
    rng = np.random.default_rng(seed)
    ex0 = setup.expansion(setup.theta0, lr)
    theta = setup.theta0.copy()
    path = [theta]
    kinds = ["start"]
    segments = []
    if scheme == "sparse":
        path = list(_gd(setup, ex0, theta, lr, total_steps))
        kinds += ["classical"] * total_steps
    else:
        while len(path) - 1 < total_steps:
            k = min(K, total_steps - (len(path) - 1))
            traj = emulate_segment(setup, theta, lr, k, emulator=emulator, N=N)
            seg = {"start_step": len(path) - 1, "K": k}
            if check_emulation:
                ref = _gd(setup, ex0, theta, lr, k)
                moved = np.linalg.norm(ref[-1] - ref[0])
                seg["emulation_error"] = float(np.linalg.norm(traj[-1] - ref[-1]) / max(moved, 1e-300))
            noise = tomography_noise(traj[-1], delta, rng)
            seg["noise_l2"] = float(np.linalg.norm(noise))
            seg["theta_norm"] = float(np.linalg.norm(traj[-1]))
            theta = traj[-1] + noise
            path += list(traj[1:-1]) + [theta]
            kinds += ["quantum"] * (k - 1) + ["download"]
            if scheme == "qram":
                c = min(classical_steps, total_steps - (len(path) - 1))
                if c > 0:
                    g = _gd(setup, ex0, theta, lr, c)
                    path += list(g[1:])
                    kinds += ["classical"] * c
                    theta = g[-1]
            segments.append(seg)
    path = np.array(path)
    steps = np.arange(0, len(path), record_every)
    if steps[-1] != len(path) - 1:
        steps = np.append(steps, len(path) - 1)
    # also record right before and after each download (the accuracy dip)
    dl = [i for i, k in enumerate(kinds) if k == "download"]
    steps = np.unique(np.concatenate([steps, dl, [i - 1 for i in dl if i > 0]]).astype(int))
    return {"scheme": scheme, "steps": steps, "loss": np.array([setup.loss(path[i]) for i in steps]),
            "train_accuracy": np.array([setup.accuracy(path[i], "train") for i in steps]),
            "test_accuracy": np.array([setup.accuracy(path[i], "test") for i in steps]),
            "download_steps": np.array(dl), "segments": segments, "theta_final": path[-1],
            "full_final": setup.full_vector(path[-1])}


def run(*, lr: float = 1.0, total_steps: int = 200, K: int = 10, classical_steps: int = 10, delta: float = 1e-2,
        emulator: str = "taylor", N: int = 2, hidden: int = 32, amount: float = 0.9, seed: int = 0, setup=None,
        record_every: int = 5, schemes=("sparse", "reupload", "qram")) -> dict:
    """All three schemes on one pruned model; returns {scheme: run_scheme result, "config", "seconds"}."""
    t0 = time.perf_counter()
    setup = setup if setup is not None else pruned_digits_mlp(hidden=hidden, amount=amount, seed=seed)
    out = {s: run_scheme(setup, s, lr=lr, total_steps=total_steps, K=K, classical_steps=classical_steps, delta=delta,
                         emulator=emulator, N=N, seed=seed, record_every=record_every) for s in schemes}
    out["config"] = {"lr": lr, "total_steps": total_steps, "K": K, "classical_steps": classical_steps, "delta": delta,
                     "emulator": emulator, "N": N, "n_surviving": setup.mask.n_surviving, "n_total": setup.mask.n_total,
                     "noise_model": "theta_read = theta + delta*||theta||*z/||z||, z ~ N(0, I) on the survivors",
                     "pruned_test_accuracy": setup.pruned_test_accuracy, "dense_test_accuracy": setup.dense_test_accuracy}
    out["seconds"] = time.perf_counter() - t0
    return out


def plot(res: dict, path=None):
    import matplotlib

    if path is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    cfg = res["config"]
    fig, ax = plt.subplots(1, 2, figsize=(12, 4.2))
    labels = {"sparse": "plain sparse GD", "reupload": f"download/re-upload every K = {cfg['K']}",
              "qram": f"QRAM variant (+{cfg['classical_steps']} classical steps)"}
    for s, col in (("sparse", "k"), ("reupload", "C0"), ("qram", "C3")):
        if s not in res:
            continue
        r = res[s]
        ax[0].semilogy(r["steps"], r["loss"], color=col, label=labels[s])
        ax[1].plot(r["steps"], r["train_accuracy"], color=col, label=labels[s])
        for d in r["download_steps"]:
            ax[1].axvline(d, color=col, lw=0.3, alpha=0.5)
    ax[0].set_ylabel("training loss (cross-entropy)")
    ax[1].set_ylabel("training accuracy")
    for a in ax:
        a.set_xlabel("GD step")
        a.legend(fontsize=8)
        a.grid(alpha=0.3)
    fig.suptitle(f"n = {cfg['n_surviving']} survivors, η = {cfg['lr']}, emulator: {cfg['emulator']}, read-out noise δ = {cfg['delta']}"
                 " (thin lines: downloads)", fontsize=10)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=90)
    return fig


def summary(res: dict) -> dict:
    out = {}
    for s in ("sparse", "reupload", "qram"):
        if s not in res:
            continue
        r = res[s]
        segs = r["segments"]
        dips = []
        steps = list(r["steps"])
        for d in r["download_steps"]:
            if d - 1 in steps:
                i = steps.index(d)
                dips.append(float(r["train_accuracy"][i - 1] - r["train_accuracy"][i]))
        out[s] = {"final_loss": float(r["loss"][-1]), "final_train_accuracy": float(r["train_accuracy"][-1]),
                  "final_test_accuracy": float(r["test_accuracy"][-1]), "downloads": len(r["download_steps"]),
                  "emulation_error_per_segment": [g.get("emulation_error") for g in segs],
                  "noise_l2_per_segment": [g["noise_l2"] for g in segs],
                  "accuracy_drop_at_download": dips}
    out["seconds"] = res["seconds"]
    return out


def main(argv=None):
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lr", type=float, default=1.0)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--K", type=int, default=10)
    ap.add_argument("--delta", type=float, default=1e-2)
    args = ap.parse_args(argv)
    res = run(lr=args.lr, total_steps=args.steps, K=args.K, delta=args.delta)
    png, js = plotted("download_reupload", res, plot)
    s = summary(res)
    cfg = res["config"]
    print(f"n = {cfg['n_surviving']} survivors, η = {cfg['lr']}, {cfg['total_steps']} steps, K = {cfg['K']}, "
          f"δ = {cfg['delta']}, emulator = {cfg['emulator']}")
    print(f"{'scheme':9s} {'downloads':>9s} {'final loss':>10s} {'train acc':>9s} {'test acc':>8s} "
          f"{'max emul. err':>13s} {'mean acc drop':>13s}")
    for k in ("sparse", "reupload", "qram"):
        v = s[k]
        ee = [e for e in v["emulation_error_per_segment"] if e is not None]
        print(f"{k:9s} {v['downloads']:9d} {v['final_loss']:10.4f} {v['final_train_accuracy']:9.3f} "
              f"{v['final_test_accuracy']:8.3f} {max(ee) if ee else float('nan'):13.3g} "
              f"{np.mean(v['accuracy_drop_at_download']) if v['accuracy_drop_at_download'] else float('nan'):13.4f}")
    for k in ("reupload", "qram"):
        print(f"  {k}: emulation error per segment {np.round(s[k]['emulation_error_per_segment'], 4).tolist()}")
    finish({"summary": s, "config": cfg, **{k: {kk: res[k][kk] for kk in ("steps", "loss", "train_accuracy", "test_accuracy",
                                                                              "download_steps", "segments")}
                                                for k in ("sparse", "reupload", "qram")}}, js, png, res['seconds'])
    return s


if __name__ == "__main__":
    main()
