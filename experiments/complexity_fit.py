"""(c) The complexity claim: fitted exponents of the per-run quantum cost in T, n and log n (QRAM and QROM loading),
and of the total cost with tomographic read-out, next to the paper's O(T² polylog n) and [Ye]'s (s³T²/ε²)·polylog.

All costs come from the logical cost model :func:`pyqgd.estimate.ode_solver_cost` (its parts are validated against
traced Q# circuits; see README "Resource estimates"), with the paper-scale assumptions of
:func:`pyqgd.estimate.paper_problem` (s = 8, N = 2, ε = 10⁻², padding p = T, q = 1). "Work" is the per-run count of
non-Clifford operations, Toffoli (CCZ) + T + arbitrary rotations; the total multiplies it by the tomography runs
⌈s_w ln s_w / δ²⌉ (s_w = n nonzero weights, δ = 10⁻²; paper.md F12). Nothing here is a physical time.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from experiments._common import out_paths, save_json

__all__ = ["work", "sweep", "fit_loglog", "run", "plot", "main"]

DEFAULT_TS = (10, 30, 100, 300, 1000, 3000)
DEFAULT_NS = tuple(int(10**k) for k in range(3, 13))
DEFAULT_SS = (2, 4, 8, 16, 32, 64)
DEFAULT_EPS = (1e-1, 3e-2, 1e-2, 3e-3, 1e-3)


def work(problem) -> float:
    """Per-run non-Clifford count (CCZ + T + rotations) of one quantum GD run."""
    from pyqgd.estimate import ode_solver_cost

    c = ode_solver_cost(problem).total
    return float(c.ccz_count + c.t_count + c.rotation_count)


def fit_loglog(x, y) -> float:
    """Least-squares slope of log y against log x."""
    return float(np.polyfit(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)), 1)[0])


def sweep(loading: str, *, n: int = 103_000_000, T: int = 1000, s: int = 8, Ts=DEFAULT_TS, ns=DEFAULT_NS, ss=DEFAULT_SS,
          epsilons=DEFAULT_EPS, delta: float = 1e-2) -> dict:
    """Per-run work over T (at n), over n (at T), over s and ε; total work with read-out over n. Exponents fitted."""
    from pyqgd.estimate import paper_problem, tomography_samples

    base = paper_problem(n, T, loading=loading, s=s)
    wT = [work(replace(base, T=t, p=None)) for t in Ts]
    wn = [work(replace(base, n=m, nnz_F=None, s_w=None)) for m in ns]
    ws = [work(replace(base, s=k, nnz_F=None, s_M=None)) for k in ss]
    we = [work(replace(base, epsilon=e)) for e in epsilons]
    samples = [tomography_samples(m, delta) for m in ns]
    total = [w * k for w, k in zip(wn, samples)]
    logn = np.log2(np.asarray(ns, float))
    return {
        "loading": loading, "base": {"n": n, "T": T, "s": s, "N": base.N, "epsilon": base.epsilon, "delta": delta},
        "Ts": list(Ts), "work_T": wT, "ns": list(ns), "work_n": wn, "ss": list(ss), "work_s": ws,
        "epsilons": list(epsilons), "work_eps": we, "samples_n": samples, "total_n": total,
        "T_exponent": fit_loglog(Ts, wT),
        "n_exponent": fit_loglog(ns, wn),
        "logn_exponent": fit_loglog(logn, wn),
        "s_exponent": fit_loglog(ss, ws),
        "inv_eps_exponent": fit_loglog(1 / np.asarray(epsilons), we),
        "total_n_exponent": fit_loglog(ns, total),
    }


def run(*, n: int = 103_000_000, T: int = 1000, **kw) -> dict:
    """Both loadings (QRAM and QROM); returns {"qram": sweep, "qrom": sweep, "seconds"}."""
    t0 = time.perf_counter()
    out = {ld: sweep(ld, n=n, T=T, **kw) for ld in ("qram", "qrom")}
    out["claims"] = {"paper_thm2": "O(T^2 polylog n): T exponent 2, n exponent 0, log n exponent O(1)",
                     "ye": "(s^3 T^2 / eps^2) poly(log n, log 1/eps): s exponent 3, T exponent 2, 1/eps exponent 2 (with read-out)"}
    out["seconds"] = time.perf_counter() - t0
    return out


def plot(res: dict, path=None):
    import matplotlib

    if path is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 3, figsize=(15, 4.2))
    for ld, col in (("qram", "C0"), ("qrom", "C3")):
        r = res[ld]
        ax[0].loglog(r["Ts"], r["work_T"], "o-", color=col, label=f"{ld.upper()}: T^{r['T_exponent']:.2f}")
        ax[1].loglog(r["ns"], r["work_n"], "o-", color=col, label=f"{ld.upper()} per run: n^{r['n_exponent']:.2f}")
        ax[1].loglog(r["ns"], r["total_n"], "s--", color=col, ms=4, label=f"{ld.upper()} with read-out: n^{r['total_n_exponent']:.2f}")
        ax[2].loglog(r["ss"], r["work_s"], "o-", color=col, label=f"{ld.upper()} vs s: s^{r['s_exponent']:.2f}")
    r = res["qram"]
    Ts = np.asarray(r["Ts"], float)
    ax[0].loglog(Ts, r["work_T"][0] * (Ts / Ts[0]) ** 2, "k:", label="T² (paper)")
    ss = np.asarray(r["ss"], float)
    ax[2].loglog(ss, r["work_s"][0] * (ss / ss[0]) ** 3, "k:", label="s³ [Ye]")
    ns = np.asarray(r["ns"], float)
    ax[1].loglog(ns, r["work_n"][0] * np.log2(ns) / np.log2(ns[0]), "k:", label="∝ log₂ n")
    ax[1].loglog(ns, r["work_n"][0] * ns / ns[0], "k-.", lw=0.8, label="∝ n")
    b = r["base"]
    ax[0].set_title(f"per-run work vs T (n = {b['n']:.3g})")
    ax[1].set_title(f"work vs n (T = {b['T']})")
    ax[2].set_title(f"per-run work vs sparsity s (n = {b['n']:.3g}, T = {b['T']})")
    for a, xl in zip(ax, ("T (GD steps)", "n (surviving parameters)", "s (nonzeros per row of F1)")):
        a.set_xlabel(xl)
        a.set_ylabel("Toffoli + T + rotations")
        a.legend(fontsize=8)
        a.grid(alpha=0.3, which="both")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=90)
    return fig


def main(argv=None):
    res = run()
    png, js = out_paths("complexity_fit")
    plot(res, png)
    print("fitted exponents of the logical cost model (per-run Toffoli+T+rotations; total = × tomography runs):")
    print(f"{'loading':8s} {'T':>6s} {'n':>6s} {'log n':>7s} {'s':>6s} {'1/eps':>6s} {'n (total)':>10s}")
    for ld in ("qram", "qrom"):
        r = res[ld]
        print(f"{ld:8s} {r['T_exponent']:6.2f} {r['n_exponent']:6.2f} {r['logn_exponent']:7.2f} {r['s_exponent']:6.2f} "
              f"{r['inv_eps_exponent']:6.2f} {r['total_n_exponent']:10.2f}")
    print(f"{'paper':8s} {2:6.2f} {0:6.2f} {'O(1)':>7s} {'-':>6s} {'poly':>6s} {'-':>10s}   O(T^2 polylog n) (Thm 2)")
    print(f"{'[Ye]':8s} {2:6.2f} {0:6.2f} {'O(1)':>7s} {3:6.2f} {2:6.2f} {'-':>10s}   (s^3 T^2/eps^2) polylog")
    save_json(res, js)
    print(f"figure: {png}\nresults: {js}\n({res['seconds']:.1f} s)")
    return res


if __name__ == "__main__":
    main()
