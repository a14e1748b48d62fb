"""HVP cost vs gradient cost, and peak memory of 3-vector Lanczos vs a PyHessian-style Lanczos, at 10^5–7×10^6 parameters.

Run:  python benchmarks/hvp.py [--device cpu|cuda] [--sizes 1e5,1e6,7e6] [--batch 64] [--iters 20]

Models: ``pyqgd.models.zoo.SequenceTransformer`` stacks (d_model 64/128/256 with 2/5/9 encoder layers: 1.0×10^5,
1.0×10^6, 7.1×10^6 parameters) on generated token sequences (length 16), float32, cross-entropy, batch ``--batch``.

Timing: median of ``--reps`` runs after one warm-up, of one gradient (torch.func.grad) and one Hessian-vector product
(``GDExpansion`` HVP in each mode: "rev-rev" = autograd double backward, the default for single vectors, and
"fwd-rev" = torch.func jvp of grad).

Memory: each variant runs in its own fresh subprocess, which reports its peak resident set size
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``, whole process: interpreter, torch, model, data, autograd buffers,
Lanczos vectors); on CUDA also ``torch.cuda.max_memory_allocated``. Variants, same model, same start vector, same
number of iterations: "baseline" (model + one HVP, no Lanczos), "bounded" (pyqgd's ``lanczos_tridiagonal``, three
length-n vectors) and "pyhessian" (the same recurrence storing every Lanczos vector and fully reorthogonalising, as
PyHessian does). The last line of output is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

SIZES = {"1e5": (64, 2), "1e6": (128, 5), "7e6": (256, 9)}


def _build(size: str, batch: int, device: str):
    import torch

    from pyqgd.models import GDExpansion
    from pyqgd.models.zoo import SequenceTransformer

    d, layers = SIZES[size]
    torch.manual_seed(0)
    model = SequenceTransformer(vocab=16, length=16, d_model=d, nhead=4, dim_feedforward=4 * d, n_classes=2,
                                n_layers=layers)
    g = torch.Generator().manual_seed(1)
    X = torch.randint(0, 16, (batch, 16), generator=g)
    y = torch.randint(0, 2, (batch,), generator=g)
    ex = GDExpansion(model, torch.nn.functional.cross_entropy, (X, y), eta=0.1, device=device)
    return ex


def _sync(device):
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def child_timing(size, batch, device, reps):
    import torch

    from pyqgd.models import GDExpansion

    ex = _build(size, batch, device)
    u0 = ex._u(None)
    v = torch.randn(ex.n, generator=torch.Generator().manual_seed(2)).to(ex.device, ex.dtype)
    out = {"n": ex.n}
    fns = {"grad": lambda: ex._grad_t(u0)}
    for mode in ("rev-rev", "fwd-rev"):
        exm = GDExpansion.__new__(GDExpansion)
        exm.__dict__.update(ex.__dict__)
        exm.hvp_mode = mode
        fns[f"hvp_{mode}"] = (lambda e: (lambda: e._hvp_single(u0, v)))(exm)
    reused = ex.hvp_closure()  # the gradient graph built once, one backward pass per product (Lanczos / SLQ path)
    fns["hvp_reused"] = lambda: reused(v)
    for name, fn in fns.items():
        fn()
        _sync(device)
        ts = []
        for _ in range(reps):
            t = time.perf_counter()
            fn()
            _sync(device)
            ts.append(time.perf_counter() - t)
        out[name] = statistics.median(ts)
    return out


def child_lanczos(size, batch, device, variant, iters):
    import torch

    from pyqgd.models import lanczos_tridiagonal
    from pyqgd.models.lanczos import as_torch_operator

    ex = _build(size, batch, device)
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    A = as_torch_operator(ex)
    t = time.perf_counter()
    if variant == "baseline":
        A.matvec(torch.ones(ex.n, dtype=ex.dtype, device=ex.device))
        alpha = []
    else:
        alpha, _ = lanczos_tridiagonal(A, m=iters, seed=0, reorthogonalize=(variant == "pyhessian"))
    _sync(device)
    out = {"n": ex.n, "variant": variant, "iters": len(alpha), "seconds": time.perf_counter() - t,
           "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
           "top_ritz": float(max(alpha)) if len(alpha) else None}
    if device.startswith("cuda"):
        out["cuda_peak"] = torch.cuda.max_memory_allocated()
    return out


def child_float32(hidden):
    """Max relative error of float32 3-vector Lanczos (top and bottom 5) vs numpy eigvalsh of the exact float64
    Hessian, digits MLP pruned 90 % globally (the README's Models example)."""
    import numpy as np
    import torch

    from pyqgd.models import GDExpansion, digits_mlp, global_magnitude_prune, hessian_extremes

    model, loss_fn, data = digits_mlp(hidden=hidden)
    pruned, _ = global_magnitude_prune(model, 0.9)
    batch = data.batch(256)
    ex32 = GDExpansion(pruned, loss_fn, batch, eta=0.5)
    ev = np.linalg.eigvalsh(GDExpansion(pruned, loss_fn, batch, eta=0.5, dtype=torch.float64).hessian())
    t = time.perf_counter()
    r = hessian_extremes(ex32, k=5)
    sec = time.perf_counter() - t
    top, bot = ev[::-1][:5], ev[:5]
    err = max(np.max(np.abs(r.largest - top) / np.abs(top)), np.max(np.abs(r.smallest - bot) / np.abs(bot)))
    return {"n": ex32.n, "dtype": str(ex32.dtype), "max_rel_err": float(err), "seconds": sec, "iters": r.n_iter,
            "largest": r.largest.tolist(), "exact_largest": top.tolist()}


def child_slq(size, batch, device, probes, steps):
    from pyqgd.models import slq_density

    ex = _build(size, batch, device)
    t = time.perf_counter()
    d = slq_density(ex, n_probes=probes, n_steps=steps, seed=0)
    _sync(device)
    return {"n": ex.n, "seconds": time.perf_counter() - t, "probes": probes, "steps": d.n_steps,
            "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}


def child_f2(ns):
    """Seconds of the exact sparse third-order tensor (F2) of the digits MLP (batch 256, float64) at several n."""
    import numpy as np
    import torch

    from pyqgd.models import GDExpansion, ParameterMask, digits_mlp, prune

    model, loss_fn, data = digits_mlp(hidden=16, loss="mse", epochs=5)
    batch = data.batch(256)
    out = []
    for n in ns:
        mask = prune(model, max_params=n).mask
        keep = np.array(mask.keep)
        idx = np.flatnonzero(keep)
        keep[idx[n:]] = False
        ex = GDExpansion(model, loss_fn, batch, eta=1.0, mask=ParameterMask(mask.layout, keep), dtype=torch.float64)
        t = time.perf_counter()
        ex.third_order(sparse=True)
        out.append({"n": ex.n, "seconds": time.perf_counter() - t})
    return {"rows": out}


def _run_child(spec: dict) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--child", json.dumps(spec)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"child {spec} failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="cpu", help="cpu or cuda (cuda only where torch.cuda.is_available())")
    ap.add_argument("--sizes", default="1e5,1e6,7e6", help="comma-separated subset of 1e5,1e6,7e6")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--iters", type=int, default=20, help="Lanczos iterations for the memory comparison")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--no-memory", action="store_true", help="timings only (skip the Lanczos memory subprocesses)")
    ap.add_argument("--slq-probes", type=int, default=4, help="SLQ probes at 7e6 parameters")
    ap.add_argument("--slq-steps", type=int, default=40, help="SLQ Lanczos steps per probe at 7e6 parameters")
    ap.add_argument("--f2-sizes", default="60,120", help="two survivor counts at which exact F2 is timed")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        spec = json.loads(args.child)
        if spec["kind"] == "timing":
            out = child_timing(spec["size"], spec["batch"], spec["device"], spec["reps"])
        elif spec["kind"] == "float32":
            out = child_float32(spec["hidden"])
        elif spec["kind"] == "slq":
            out = child_slq(spec["size"], spec["batch"], spec["device"], spec["probes"], spec["steps"])
        elif spec["kind"] == "f2":
            out = child_f2(spec["ns"])
        else:
            out = child_lanczos(spec["size"], spec["batch"], spec["device"], spec["variant"], spec["iters"])
        print(json.dumps(out))
        return
    from pyqgd.models import resolve_device

    resolve_device(args.device)  # a clear error before any work if CUDA is asked for and missing
    import torch

    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    for s in sizes:
        if s not in SIZES:
            ap.error(f"unknown size {s!r}; choose from {list(SIZES)}")
    print(f"# pyqgd HVP benchmark: device={args.device}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"batch {args.batch} x length 16, float32, Lanczos {args.iters} iterations")
    hdr = (f"{'params':>10} | {'grad s':>7} | {'HVP rr s':>8} | {'HVP fr s':>8} | {'reused s':>8} | {'rr/grad':>7} | "
           f"{'fr/grad':>7} | {'base RSS':>8} | {'3-vec RSS':>9} | {'PyH RSS':>8} | {'ratio':>5} | {'3-vec +':>8} | "
           f"{'PyH +':>8} | {'m·n·4':>8}")
    print(hdr, flush=True)
    print("-" * len(hdr), flush=True)
    gib = 2.0 ** 30
    rows = []
    hvp_ratios, mem_ratios, extra_ratios = [], [], []
    for s in sizes:
        base = dict(size=s, batch=args.batch, device=args.device)
        t = _run_child(dict(base, kind="timing", reps=args.reps))
        mem = {} if args.no_memory else {v: _run_child(dict(base, kind="lanczos", variant=v, iters=args.iters))
                                         for v in ("baseline", "bounded", "pyhessian")}
        rows.append((s, t, mem))
        n = t["n"]
        rr, fr = t["hvp_rev-rev"] / t["grad"], t["hvp_fwd-rev"] / t["grad"]
        hvp_ratios.append(rr)
        line = (f"{n:>10,} | {t['grad']:>7.3f} | {t['hvp_rev-rev']:>8.3f} | {t['hvp_fwd-rev']:>8.3f} | "
                f"{t['hvp_reused']:>8.3f} | {rr:>7.2f} | {fr:>7.2f} | ")
        if not mem:
            print(line + "(memory skipped)", flush=True)
            continue
        b, k3, ph = (mem[v]["peak_rss"] for v in ("baseline", "bounded", "pyhessian"))
        mem_ratios.append(k3 / ph)
        extra_ratios.append(max(k3 - b, 0) / max(ph - b, 1))
        print(line + f"{b / gib:>7.2f}G | {k3 / gib:>8.2f}G | {ph / gib:>7.2f}G | {k3 / ph:>5.2f} | "
              f"{(k3 - b) / gib:>7.3f}G | {(ph - b) / gib:>7.3f}G | {args.iters * n * 4 / gib:>7.3f}G", flush=True)
    print("# rr = reverse-over-reverse HVP (pyqgd default for one vector), fr = forward-over-reverse (torch.func jvp)")
    print("# RSS = peak resident set size of a fresh subprocess (ru_maxrss); '+' = above the no-Lanczos baseline;")
    print("# m·n·4 = the storage of every Lanczos vector in float32 that the PyHessian-style variant needs")
    print("# reused = rev-rev HVP with the gradient graph built once (GDExpansion.hvp_closure, used by Lanczos/SLQ)",
          flush=True)

    f32 = _run_child({"kind": "float32", "hidden": 32})
    print(f"float32 Lanczos, digits MLP pruned 90 % (n = {f32['n']}): max relative error of top/bottom 5 vs eigvalsh "
          f"{f32['max_rel_err']:.2e} ({f32['iters']} iterations, {f32['seconds']:.2f} s)", flush=True)
    slq = None
    if "7e6" in sizes:
        slq = _run_child(dict(size="7e6", batch=args.batch, device=args.device, kind="slq", probes=args.slq_probes,
                              steps=args.slq_steps))
        print(f"SLQ at n = {slq['n']:,}: {slq['probes']} probes × {slq['steps']} Lanczos steps in {slq['seconds']:.1f} s, "
              f"peak RSS {slq['peak_rss'] / gib:.2f} GB", flush=True)
    f2 = _run_child({"kind": "f2", "ns": [int(x) for x in args.f2_sizes.split(",")]})
    for r in f2["rows"]:
        print(f"exact F2 (digits MLP, batch 256, float64): n = {r['n']:>4}: {r['seconds']:.1f} s", flush=True)
    import math

    from pyqgd.models import exact_third_max_n

    (n1, t1), (n2, t2) = ((r["n"], r["seconds"]) for r in (f2["rows"][0], f2["rows"][-1]))
    p = math.log(t2 / t1) / math.log(n2 / n1) if n2 != n1 else 3.0
    n_time = int(n2 * (300.0 / t2) ** (1.0 / p))
    n_mem = exact_third_max_n()
    f2_max = min(n_time, n_mem)
    print(f"exact F2 time ∝ n^{p:.2f} → n ≈ {n_time} in 5 min (extrapolated from the two sizes); memory limit "
          f"n = {n_mem} → exact_f2_max_n_5min = {f2_max}", flush=True)
    result = {
        "device": args.device,
        "batch": args.batch,
        "lanczos_iters": args.iters,
        "sizes": [t["n"] for _, t, _ in rows],
        "hvp_over_grad": [round(r, 3) for r in hvp_ratios],
        "hvp_fwd_rev_over_grad": [round(t["hvp_fwd-rev"] / t["grad"], 3) for _, t, _ in rows],
        "lanczos_peak_rss_bytes": [{v: m[v]["peak_rss"] for v in m} for _, _, m in rows],
        "max_hvp_over_grad": round(max(hvp_ratios), 3),
        "lanczos_mem_ratio": round(mem_ratios[-1], 3) if mem_ratios else None,
        "lanczos_mem_ratios": [round(r, 3) for r in mem_ratios],
        "lanczos_extra_mem_ratios": [round(r, 3) for r in extra_ratios],
        "hvp_reused_over_grad": [round(t["hvp_reused"] / t["grad"], 3) for _, t, _ in rows],
        "lanczos_float32_max_rel_err": float(f"{f32['max_rel_err']:.3g}"),
        "slq_seconds_7e6": round(slq["seconds"], 1) if slq else None,
        "exact_f2_max_n_5min": f2_max,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
