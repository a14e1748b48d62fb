"""(a) Hessian spectra, dissipative fractions and the error proxy E(t) along sparse training after 90 % pruning.

Protocol (Fig. 2 of Liu et al. 2024, at laptop scale):

1. dense pre-training of the digits MLP 64 → 32 → 10 (tanh, cross-entropy, 2 410 parameters; the zoo's Adam recipe);
2. global magnitude pruning of 90 % of all parameters (the paper keeps the largest 10 %): n = 241 survivors;
3. continued *sparse* training: full-batch gradient descent θ ← θ − η∇L on the survivors only, pruned entries held
   at exactly 0 (the training set has 1 438 samples, fewer than the paper's minibatch of 2 048, so one step uses all
   of them and is deterministic);
4. every ``spectrum_every`` steps, the Hessian on the surviving subspace: exact eigenvalues (n HVPs + eigvalsh) for
   n ≤ ``exact_max_n``, otherwise an SLQ density (:func:`pyqgd.models.slq_density`);
5. the dissipative fraction (0 < ηλ < 2, i.e. |1 − ηλ| < 1), the divergent fraction (ηλ < 0) and the error proxy
   E(t) of Eqs. 7–8 (docs/math.md §13): E(t) = Σ_{|a|≥c} w |1 + a|^t / Σ_{|a|≥c} w with a = −ηλ and cut-off c = 0.4.

How η enters (the paper writes a = −λ and is silent on η): we take a to be the eigenvalue of F1 = −ηH, so 1 + a =
1 − ηλ is exactly the per-step factor of GD on the linear mode λ (``lr`` of :func:`pyqgd.models.error_proxy`, set to
the training learning rate). Two readings of "E(t) along training" are reported:

* *frozen*: E(t) with the spectrum at the last upload (step 0, right after pruning), t steps later;
* *running*: E(t) with the spectrum measured at (the latest checkpoint before) step t.

The "early-stage window" closes where E first stops decreasing (the first local minimum over t), if it does.
Because the cut-off is the paper's 0.4 in units of a = −ηλ, the result depends on η; E(t) is also reported for
smaller cut-offs to show what the 0.4 window discards.
"""

from __future__ import annotations

import time

import numpy as np

from experiments._common import PrunedSetup, finish, plotted, pruned_digits_mlp

__all__ = ["sparse_training", "error_proxy_curves", "window_close", "run", "plot", "main"]


def sparse_training(setup: PrunedSetup, *, lr: float = 2.0, steps: int = 400, record_every: int = 10,
                    spectrum_every: int = 40, exact_max_n: int = 2000, slq_probes: int = 8, slq_steps: int = 60,
                    seed: int = 0) -> dict:
    """Full-batch GD on the surviving parameters with the mask held, spectra at intervals.

    Returns a dict of numpy arrays / lists: ``steps`` and ``loss``, ``train_accuracy``, ``test_accuracy`` at every
    ``record_every`` steps; ``spectrum_steps`` and ``spectra`` (exact eigenvalues, or (nodes, weights) pairs of an
    SLQ density) at every ``spectrum_every`` steps, plus ``fractions`` (dissipative / divergent / unstable);
    ``theta_final`` (survivors) and ``full_final`` (full flat vector: zero at pruned entries), ``n``, ``lr``.
    """
    from pyqgd.models import mode_fractions, slq_density

    ex = setup.expansion(setup.theta0, lr)
    n = ex.n
    u = np.zeros(n)
    rec = {"steps": [], "loss": [], "train_accuracy": [], "test_accuracy": []}
    spec_steps, spectra, fracs, kinds = [], [], [], []
    theta0 = setup.theta0
    for t in range(steps + 1):
        if t % record_every == 0 or t == steps:
            th = theta0 + u
            rec["steps"].append(t)
            rec["loss"].append(ex.loss(u))
            rec["train_accuracy"].append(setup.accuracy(th, "train"))
            rec["test_accuracy"].append(setup.accuracy(th, "test"))
        if t % spectrum_every == 0 or t == steps:
            if n <= exact_max_n:
                ev = np.linalg.eigvalsh(ex.hessian(u=u))
                spectra.append(ev)
                mf = mode_fractions(ev, lr)
                kinds.append("exact")
            else:
                dens = slq_density(ex, u=u, n_probes=slq_probes, n_steps=slq_steps, seed=seed)
                nodes, w = dens.all_nodes()
                spectra.append((nodes, w))
                mf = mode_fractions(nodes, lr, weights=w)
                kinds.append("slq")
            spec_steps.append(t)
            fracs.append({"dissipative": mf.dissipative, "divergent": mf.divergent, "unstable": mf.unstable, "marginal": mf.marginal,
                          "spectral_radius": mf.spectral_radius})
        if t < steps:
            g = ex.gradient(u)
            if not np.all(np.isfinite(g)):
                raise FloatingPointError(f"gradient not finite at step {t}; lower lr")
            u = u - lr * g
    theta = theta0 + u
    return {**{k: np.asarray(v) for k, v in rec.items()}, "spectrum_steps": np.asarray(spec_steps),
            "spectra": spectra, "spectrum_kind": kinds, "fractions": fracs, "theta_final": theta,
            "full_final": setup.full_vector(theta), "n": n, "lr": float(lr)}


def _nodes(spec):
    if isinstance(spec, tuple):
        return spec
    lam = np.asarray(spec, float)
    return lam, np.full(lam.size, 1.0 / lam.size)


def error_proxy_curves(spectra, spectrum_steps, t, *, lr: float, cutoff: float = 0.4, mode: str = "frozen") -> np.ndarray:
    """E(t) (Eqs. 7–8, a = −ηλ, cut-off c) for each t in ``t``.

    ``mode="frozen"``: the first spectrum for every t (the spectrum at the last upload). ``mode="running"``: at each
    t the spectrum of the latest checkpoint ≤ t. Returns NaN where no spectral weight has |a| ≥ c.
    """
    from pyqgd.models import error_proxy

    t = np.asarray(t, dtype=float)
    spectrum_steps = np.asarray(spectrum_steps)
    out = np.full(t.shape, np.nan)
    for i, ti in enumerate(t):
        k = 0 if mode == "frozen" else int(np.searchsorted(spectrum_steps, ti, side="right") - 1)
        lam, w = _nodes(spectra[max(k, 0)])
        try:
            out[i] = float(error_proxy(ti, lam, eta=lr, cutoff=cutoff, weights=w))
        except ValueError:
            pass
    return out


def window_close(t, E) -> dict:
    """Where the early-stage window closes: ``t_min`` = the first global minimum of E over the range (None if E
    only grows from t = 0, or keeps decreasing to the end), and ``t_back`` = the first t > t_min with E(t) ≥ E(0) = 1,
    i.e. where the proxy is back at its value at the upload (None if not within the range). The window is
    "closed" only when ``t_back`` is not None."""
    E = np.asarray(E, float)
    t = np.asarray(t)
    ok = np.isfinite(E)
    if ok.sum() < 3:
        return {"t_min": None, "t_back": None}
    E, t = E[ok], t[ok]
    i = int(np.argmin(E))
    t_min = None if i == len(E) - 1 else int(t[i])
    back = np.flatnonzero((np.arange(len(E)) > i) & (E >= E[0]))
    return {"t_min": t_min, "t_back": int(t[back[0]]) if back.size else None}


def run(*, hidden: int = 32, amount: float = 0.9, lr: float = 2.0, steps: int = 400, spectrum_every: int = 40,
        record_every: int = 10, cutoffs=(0.4, 0.1, 0.02), epochs: int = 30, seed: int = 0, setup=None) -> dict:
    """The whole experiment (a): returns training curves, spectra, fractions and E(t) curves (no printing)."""
    t0 = time.perf_counter()
    setup = setup if setup is not None else pruned_digits_mlp(hidden=hidden, amount=amount, epochs=epochs, seed=seed)
    tr = sparse_training(setup, lr=lr, steps=steps, spectrum_every=spectrum_every, record_every=record_every, seed=seed)
    t = np.arange(steps + 1)
    curves = {}
    for c in cutoffs:
        fr = error_proxy_curves(tr["spectra"], tr["spectrum_steps"], t, lr=lr, cutoff=c, mode="frozen")
        ru = error_proxy_curves(tr["spectra"], tr["spectrum_steps"], t, lr=lr, cutoff=c, mode="running")
        curves[float(c)] = {"frozen": fr, "running": ru, "window_close_frozen": window_close(t, fr),
                            "window_close_running": window_close(t, ru)}
    weight_above = []
    for spec in tr["spectra"]:
        lam, w = _nodes(spec)
        weight_above.append({float(c): float(w[np.abs(lr * lam) >= c].sum()) for c in cutoffs})
    ext = [(float(_nodes(s)[0].min()), float(_nodes(s)[0].max())) for s in tr["spectra"]]
    return {"config": {"model": f"digits MLP 64-{hidden}-10 tanh, cross-entropy", "amount": amount, "lr": lr,
                       "steps": steps, "spectrum_every": spectrum_every, "cutoffs": list(cutoffs), "seed": seed,
                       "n_total": setup.mask.n_total, "n_surviving": setup.mask.n_surviving,
                       "eta_convention": "a = -lr*lambda (eigenvalue of F1 = -eta H); 1 + a = per-step GD factor"},
            "dense_test_accuracy": setup.dense_test_accuracy, "pruned_test_accuracy": setup.pruned_test_accuracy,
            "training": tr, "t": t, "E": curves, "weight_above_cutoff": weight_above, "lambda_extremes": ext,
            "seconds": time.perf_counter() - t0}


def plot(res: dict, path=None, *, sigma: float = 0.01):
    """Fig. 2-like figure: (a) spectra of ηλ over training, (b) E(t), (c) accuracy. Returns the matplotlib figure."""
    import matplotlib

    if path is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    tr = res["training"]
    lr = tr["lr"]
    fig, ax = plt.subplots(1, 3, figsize=(15, 4.2))
    cmap = plt.get_cmap("viridis")
    allx = np.concatenate([lr * _nodes(s)[0] for s in tr["spectra"]])
    grid = np.linspace(allx.min() - 0.1, allx.max() + 0.1, 1500)
    K = len(tr["spectra"])
    for k, (step, spec) in enumerate(zip(tr["spectrum_steps"], tr["spectra"])):
        lam, w = _nodes(spec)
        x = lr * lam
        z = (grid[:, None] - x[None, :]) / sigma
        rho = (w * np.exp(-0.5 * z * z)).sum(1) / (sigma * np.sqrt(2 * np.pi))
        ax[0].semilogy(grid, rho + 1e-4, color=cmap(k / max(K - 1, 1)), lw=1, label=f"step {step}" if k in (0, K // 2, K - 1) else None)
    c0 = res["config"]["cutoffs"][0]
    ax[0].axvspan(-c0, c0, color="0.85", zorder=0, label=f"|ηλ| < {c0} (cut off)")
    ax[0].axvline(0, color="k", lw=0.5)
    ax[0].set_xlabel("ηλ  (Hessian eigenvalue × learning rate; a = −ηλ)")
    ax[0].set_ylabel("density (Gaussian σ = %.2g)" % sigma)
    ax[0].set_title(f"(a) Hessian spectra on the {tr['n']} survivors")
    ax[0].legend(fontsize=8)
    t = res["t"]
    styles = ["-", "--", ":"]
    for i, (c, cur) in enumerate(res["E"].items()):
        ax[1].semilogy(t, cur["running"], styles[i % 3], color="C0", label=f"running, cut-off {c}")
        ax[1].semilogy(t, cur["frozen"], styles[i % 3], color="C3", label=f"frozen (step-0 spectrum), cut-off {c}")
        wc = cur["window_close_frozen"]["t_back"]
        if wc is not None:
            ax[1].axvline(wc, color="C3", lw=0.6, ls=styles[i % 3])
    ax[1].set_xlabel("steps t since upload")
    ax[1].set_ylabel("error proxy E(t)")
    ax[1].set_ylim(1e-12, None)
    ax[1].set_title("(b) error proxy, Eqs. 7–8")
    ax[1].legend(fontsize=7)
    ax[2].plot(tr["steps"], tr["train_accuracy"], label="train")
    ax[2].plot(tr["steps"], tr["test_accuracy"], label="test")
    ax[2].axhline(res["dense_test_accuracy"], color="0.5", ls="--", lw=0.8, label="dense test (before pruning)")
    fr = np.array([f["dissipative"] for f in tr["fractions"]])
    ax2 = ax[2].twinx()
    ax2.plot(tr["spectrum_steps"], fr, "k.-", lw=0.8, label="dissipative fraction")
    ax2.set_ylim(0, 1.05)
    ax2.set_ylabel("dissipative fraction (0 < ηλ < 2)")
    ax[2].set_xlabel("sparse GD step")
    ax[2].set_ylabel("accuracy")
    ax[2].set_title(f"(c) accuracy, η = {lr}")
    ax[2].legend(loc="lower right", fontsize=8)
    ax2.legend(loc="center right", fontsize=8)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=90)
    return fig


def summary(res: dict) -> dict:
    """Headline numbers of a :func:`run` result (JSON-ready)."""
    tr = res["training"]
    first, last = tr["fractions"][0], tr["fractions"][-1]
    return {
        "n_surviving": res["config"]["n_surviving"], "lr": tr["lr"],
        "dense_test_accuracy": res["dense_test_accuracy"], "pruned_test_accuracy": res["pruned_test_accuracy"],
        "final_test_accuracy": float(tr["test_accuracy"][-1]), "final_train_accuracy": float(tr["train_accuracy"][-1]),
        "loss_first_last": [float(tr["loss"][0]), float(tr["loss"][-1])],
        "dissipative_fraction_first_last": [first["dissipative"], last["dissipative"]],
        "divergent_fraction_first_last": [first["divergent"], last["divergent"]],
        "lambda_min_max_first": res["lambda_extremes"][0], "lambda_min_max_last": res["lambda_extremes"][-1],
        "weight_above_cutoff_first_last": [res["weight_above_cutoff"][0], res["weight_above_cutoff"][-1]],
        "window_close": {c: {"frozen": v["window_close_frozen"], "running": v["window_close_running"]}
                         for c, v in res["E"].items()},
        "E_at": {c: {str(tt): [float(v["frozen"][tt]), float(v["running"][tt])] for tt in (0, 10, 50, 100, len(res["t"]) - 1)
                     if tt < len(res["t"])} for c, v in res["E"].items()},
        "seconds": res["seconds"],
    }


def main(argv=None):
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lr", type=float, default=2.0)
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--spectrum-every", type=int, default=40)
    ap.add_argument("--hidden", type=int, default=32)
    args = ap.parse_args(argv)
    res = run(lr=args.lr, steps=args.steps, spectrum_every=args.spectrum_every, hidden=args.hidden)
    png, js = plotted("sparse_training_spectra", res, plot)
    s = summary(res)
    tr = res["training"]
    print(f"digits MLP, {res['config']['n_total']} parameters, 90% pruned -> n = {tr['n']} survivors; η = {tr['lr']}")
    print(f"test accuracy: dense {res['dense_test_accuracy']:.3f}, right after pruning {res['pruned_test_accuracy']:.3f}, "
          f"after {res['config']['steps']} sparse GD steps {s['final_test_accuracy']:.3f}")
    print(f"{'step':>5} {'loss':>8} {'train acc':>9} {'λmin':>8} {'λmax':>7} {'dissip.':>7} {'diverg.':>7} "
          + " ".join(f"{'w(|a|≥' + str(c) + ')':>11}" for c in res['config']['cutoffs']))
    for k, step in enumerate(tr["spectrum_steps"]):
        i = int(np.searchsorted(tr["steps"], step))
        f = tr["fractions"][k]
        lo, hi = res["lambda_extremes"][k]
        print(f"{step:5d} {tr['loss'][i]:8.4f} {tr['train_accuracy'][i]:9.3f} {lo:8.4f} {hi:7.4f} {f['dissipative']:7.3f} "
              f"{f['divergent']:7.3f} " + " ".join(f"{res['weight_above_cutoff'][k][c]:11.3f}" for c in res['config']['cutoffs']))
    print("error proxy E(t) (frozen / running) and where the early-stage window closes (first minimum of E):")
    for c, v in res["E"].items():
        vals = ", ".join(f"t={tt}: {a:.3g}/{b:.3g}" for tt, (a, b) in s["E_at"][c].items())
        wf, wr = v["window_close_frozen"], v["window_close_running"]
        print(f"  cut-off {c}: {vals}; min of E at t = {wf['t_min']} / {wr['t_min']}, E back to E(0) at t = "
              f"{wf['t_back']} / {wr['t_back']} (frozen / running; None = not within {len(res['t']) - 1} steps)")
    finish({"summary": s, "config": res["config"], "t": res["t"][::5], "E": {c: {"frozen": v["frozen"][::5], "running": v["running"][::5]} for c, v in res["E"].items()},
               "spectrum_steps": tr["spectrum_steps"], "fractions": tr["fractions"],
               "steps": tr["steps"], "loss": tr["loss"], "train_accuracy": tr["train_accuracy"],
               "test_accuracy": tr["test_accuracy"]}, js, png, res['seconds'])
    return s


if __name__ == "__main__":
    main()
