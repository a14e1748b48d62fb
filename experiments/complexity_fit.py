"""(c) The complexity claim: fitted exponents of the per-run quantum cost in T, n and log n, with the measured
attribution (κ growth → QSVT degree, amplification rounds, one block-encoding call → loading), and of the total cost
with read-out, next to the paper's Theorems 1 (O(T·polylog n), fully dissipative) and 2 (O(T²·polylog n)) and [Ye]'s
(s³T²/ε²)·polylog.

All costs come from :func:`pyqgd.estimate.ode_solver_cost`: the built solver circuit (``block_encoding="sparse"``,
equal to the QDK trace of the whole Q# solver at small sizes; README "Resource estimates") and, for comparison, the
F-tables-only oracle model (``"f_tables_model"``, a circuit that is not built), with the paper-scale assumptions of
:func:`pyqgd.estimate.paper_problem` (s = 8, N = 2, ε = 10⁻², padding p = T, q = 1, ‖M‖ ≤ 1). The dissipative family
has a contraction ‖M^k‖ ≤ 0.9^k, p = 10 idle steps, F0 ≠ 0 with s nonzeros (‖F0‖ = 0.05) and a fixed point
‖u(T)‖ = ‖u_in‖/2. "Work" is the per-run count of non-Clifford operations, Toffoli (CCZ) + T + arbitrary rotations;
the total multiplies it by the read-out runs (the cheaper of ℓ2 sampling and Heisenberg-limited tomography,
:mod:`pyqgd.estimate.readout`, δ = 10⁻²). Nothing here is a physical time.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from experiments._common import finish, plotted

__all__ = ["work", "sweep", "dissipative_sweep", "dissipative_problem", "fit_loglog", "run", "plot", "main"]

DEFAULT_TS = (10, 30, 100, 300, 1000, 3000)
DEFAULT_NS = tuple(int(10**k) for k in range(3, 13))
DEFAULT_SS = (2, 4, 8, 16, 32, 64)
DEFAULT_EPS = (1e-1, 3e-2, 1e-2, 3e-3, 1e-3)


def work(problem) -> float:
    """Per-run non-Clifford count (CCZ + T + rotations) of one quantum GD run."""
    from pyqgd.estimate import ode_solver_cost

    c = ode_solver_cost(problem).total
    return float(c.non_clifford_count)


def fit_loglog(x, y) -> float:
    """Least-squares slope of log y against log x."""
    return float(np.polyfit(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)), 1)[0])


def _readout_runs(problem, delta: float) -> int:
    from pyqgd.estimate import READOUTS, ode_solver_cost, readout_cost

    c = ode_solver_cost(problem)
    return min(readout_cost(r, problem.s_w or problem.n, delta, success_probability=c.success_probability,
                            amplification_length=c.amplification_length).runs for r in READOUTS)


def dissipative_problem(T: int, *, n: int = 10**4, loading: str = "qrom", block_encoding: str = "sparse"):
    """The fully dissipative family (module docstring) at T steps."""
    from pyqgd.estimate import paper_problem

    return paper_problem(n, T, loading=loading, block_encoding=block_encoding, contraction=0.9, p=10, nnz_F0=8,
                         norm_F0=0.05, q=2.0)


def sweep(loading: str, *, n: int = 103_000_000, T: int = 1000, s: int = 8, Ts=DEFAULT_TS, ns=DEFAULT_NS, ss=DEFAULT_SS,
          epsilons=DEFAULT_EPS, delta: float = 1e-2, block_encoding: str = "f_tables_model") -> dict:
    """Per-run work over T (at n), over n (at T), over s and ε; total work with read-out over n. Exponents fitted,
    with the T attribution (degree, amplification rounds, one block-encoding call)."""
    from pyqgd.estimate import ode_solver_cost, paper_problem

    base = paper_problem(n, T, loading=loading, s=s, block_encoding=block_encoding)
    costs_T = [ode_solver_cost(replace(base, T=t, p=None)) for t in Ts]
    wT = [work(replace(base, T=t, p=None)) for t in Ts]
    wn = [work(replace(base, n=m, nnz_F=None, s_w=None)) for m in ns]
    ws = [work(replace(base, s=k, nnz_F=None, s_M=None)) for k in ss]
    we = [work(replace(base, epsilon=e)) for e in epsilons]
    samples = [_readout_runs(replace(base, n=m, nnz_F=None, s_w=None), delta) for m in ns]
    total = [w * k for w, k in zip(wn, samples)]
    logn = np.log2(np.asarray(ns, float))

    def call_work(c):
        return float(c.block_encoding.non_clifford_count)

    return {
        "loading": loading, "block_encoding": block_encoding,
        "base": {"n": n, "T": T, "s": s, "N": base.N, "epsilon": base.epsilon, "delta": delta},
        "attribution_T": {"kappa_degree": fit_loglog(Ts, [c.degree for c in costs_T]),
                          "amplification": fit_loglog(Ts, [c.amplification_length for c in costs_T]),
                          "per_call": fit_loglog(Ts, [call_work(c) for c in costs_T])},
        "Ts": list(Ts), "work_T": wT, "ns": list(ns), "work_n": wn, "ss": list(ss), "work_s": ws,
        "epsilons": list(epsilons), "work_eps": we, "samples_n": samples, "total_n": total,
        "T_exponent": fit_loglog(Ts, wT),
        "n_exponent": fit_loglog(ns, wn),
        "logn_exponent": fit_loglog(logn, wn),
        "s_exponent": fit_loglog(ss, ws),
        "inv_eps_exponent": fit_loglog(1 / np.asarray(epsilons), we),
        "total_n_exponent": fit_loglog(ns, total),
    }


def dissipative_sweep(Ts=(10, 100, 1000, 10**4, 10**5, 10**6), **kw) -> dict:
    """Per-run work of the fully dissipative family over T, with its attribution."""
    from pyqgd.estimate import ode_solver_cost

    costs = [ode_solver_cost(dissipative_problem(t, **kw)) for t in Ts]
    w = [float(c.total.non_clifford_count) for c in costs]
    return {"Ts": list(Ts), "work_T": w, "T_exponent": fit_loglog(Ts, w),
            "kappa": [c.kappa for c in costs], "inverse_norm_bound": costs[0].inverse_norm_method,
            "attribution_T": {"kappa_degree": fit_loglog(Ts, [c.degree for c in costs]),
                              "amplification": fit_loglog(Ts, [c.amplification_length for c in costs]),
                              "per_call": fit_loglog(Ts, [float(c.block_encoding.non_clifford_count) for c in costs])}}


def run(*, n: int = 103_000_000, T: int = 1000, **kw) -> dict:
    """The F-tables model with both QRAM and QROM loading ("qram", "qrom"), the built circuit with QROM and
    SelectSwap ("built_qrom", "built_selectswap") and the dissipative family; plus the paper's claims."""
    t0 = time.perf_counter()
    out = {ld: sweep(ld, n=n, T=T, **kw) for ld in ("qram", "qrom")}
    for ld in ("qrom", "selectswap"):
        out[f"built_{ld}"] = sweep(ld, n=n, T=T, block_encoding="sparse", **kw)
    out["dissipative"] = dissipative_sweep()
    out["claims"] = {"paper_thm1": "O(T polylog n) for fully dissipative systems",
                     "paper_thm2": "O(T^2 polylog n): T exponent 2, n exponent 0, log n exponent O(1)",
                     "ye": "(s^3 T^2 / eps^2) poly(log n, log 1/eps): s exponent 3, T exponent 2, 1/eps exponent 2 (with read-out)"}
    out["seconds"] = time.perf_counter() - t0
    return out


def plot(res: dict, path=None):
    import matplotlib

    if path is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 3, figsize=(15, 4.2))
    for key, col in (("built_qrom", "C2"), ("built_selectswap", "C4")):
        if key in res:
            r = res[key]
            ax[0].loglog(r["Ts"], r["work_T"], "^-", color=col, label=f"built, {r['loading']}: T^{r['T_exponent']:.2f}")
            ax[1].loglog(r["ns"], r["work_n"], "^-", color=col, label=f"built, {r['loading']}: n^{r['n_exponent']:.2f}")
    if "dissipative" in res:
        d = res["dissipative"]
        ax[0].loglog(d["Ts"], d["work_T"], "v-", color="C1", label=f"built, dissipative: T^{d['T_exponent']:.2f}")
    for ld, col in (("qram", "C0"), ("qrom", "C3")):
        r = res[ld]
        ax[0].loglog(r["Ts"], r["work_T"], "o-", color=col, label=f"F-tables model (not built), {ld.upper()}: T^{r['T_exponent']:.2f}")
        ax[1].loglog(r["ns"], r["work_n"], "o-", color=col, label=f"model {ld.upper()} per run: n^{r['n_exponent']:.2f}")
        ax[1].loglog(r["ns"], r["total_n"], "s--", color=col, ms=4, label=f"model {ld.upper()} with read-out: n^{r['total_n_exponent']:.2f}")
        ax[2].loglog(r["ss"], r["work_s"], "o-", color=col, label=f"model {ld.upper()} vs s: s^{r['s_exponent']:.2f}")
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
    png, js = plotted("complexity_fit", res, plot)
    print("fitted exponents (per-run Toffoli+T+rotations; total = × read-out runs); T attribution: degree, rounds, call")
    print(f"{'circuit':24s} {'T':>6s} {'n':>6s} {'log n':>7s} {'s':>6s} {'1/eps':>6s} {'n (total)':>10s}   T: deg / rounds / call")
    for key in ("built_qrom", "built_selectswap", "qram", "qrom"):
        r = res[key]
        a = r["attribution_T"]
        name = ("built " if key.startswith("built") else "model ") + r["loading"]
        print(f"{name:24s} {r['T_exponent']:6.2f} {r['n_exponent']:6.2f} {r['logn_exponent']:7.2f} {r['s_exponent']:6.2f} "
              f"{r['inv_eps_exponent']:6.2f} {r['total_n_exponent']:10.2f}   {a['kappa_degree']:.2f} / {a['amplification']:.2f} / {a['per_call']:.2f}")
    d = res["dissipative"]
    a = d["attribution_T"]
    print(f"{'built, dissipative':24s} {d['T_exponent']:6.2f} {'':>6s} {'':>7s} {'':>6s} {'':>6s} {'':>10s}   "
          f"{a['kappa_degree']:.2f} / {a['amplification']:.2f} / {a['per_call']:.2f}  (‖L⁻¹‖: {d['inverse_norm_bound']})")
    print(f"{'paper Thm 1':24s} {1:6.2f} {0:6.2f} {'O(1)':>7s}   O(T polylog n), fully dissipative")
    print(f"{'paper':8s} {2:6.2f} {0:6.2f} {'O(1)':>7s} {'-':>6s} {'poly':>6s} {'-':>10s}   O(T^2 polylog n) (Thm 2)")
    print(f"{'[Ye]':8s} {2:6.2f} {0:6.2f} {'O(1)':>7s} {3:6.2f} {2:6.2f} {'-':>10s}   (s^3 T^2/eps^2) polylog")
    finish(res, js, png, res['seconds'])
    return res


if __name__ == "__main__":
    main()
