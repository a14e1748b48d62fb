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
    ex = GDExpansion(model, torch.nn.functional.cross_entropy, (X, y), lr=0.1, device=device)
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
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        spec = json.loads(args.child)
        if spec["kind"] == "timing":
            out = child_timing(spec["size"], spec["batch"], spec["device"], spec["reps"])
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
    rows = []
    for s in sizes:
        base = dict(size=s, batch=args.batch, device=args.device)
        t = _run_child(dict(base, kind="timing", reps=args.reps))
        mem = {} if args.no_memory else {v: _run_child(dict(base, kind="lanczos", variant=v, iters=args.iters))
                                         for v in ("baseline", "bounded", "pyhessian")}
        rows.append((s, t, mem))
    hdr = (f"{'params':>10} | {'grad s':>7} | {'HVP rr s':>8} | {'HVP fr s':>8} | {'rr/grad':>7} | {'fr/grad':>7} | "
           f"{'base RSS':>8} | {'3-vec RSS':>9} | {'PyH RSS':>8} | {'ratio':>5} | {'3-vec +':>8} | {'PyH +':>8} | {'m·n·4':>8}")
    print(hdr)
    print("-" * len(hdr))
    gib = 2.0 ** 30
    hvp_ratios, mem_ratios, extra_ratios = [], [], []
    for s, t, mem in rows:
        n = t["n"]
        rr, fr = t["hvp_rev-rev"] / t["grad"], t["hvp_fwd-rev"] / t["grad"]
        hvp_ratios.append(rr)
        if not mem:
            print(f"{n:>10,} | {t['grad']:>7.3f} | {t['hvp_rev-rev']:>8.3f} | {t['hvp_fwd-rev']:>8.3f} | {rr:>7.2f} | "
                  f"{fr:>7.2f} | (memory skipped)")
            continue
        b, k3, ph = (mem[v]["peak_rss"] for v in ("baseline", "bounded", "pyhessian"))
        mem_ratios.append(k3 / ph)
        extra_ratios.append(max(k3 - b, 0) / max(ph - b, 1))
        print(f"{n:>10,} | {t['grad']:>7.3f} | {t['hvp_rev-rev']:>8.3f} | {t['hvp_fwd-rev']:>8.3f} | {rr:>7.2f} | "
              f"{fr:>7.2f} | {b / gib:>7.2f}G | {k3 / gib:>8.2f}G | {ph / gib:>7.2f}G | {k3 / ph:>5.2f} | "
              f"{(k3 - b) / gib:>7.3f}G | {(ph - b) / gib:>7.3f}G | {args.iters * n * 4 / gib:>7.3f}G")
    print("# rr = reverse-over-reverse HVP (pyqgd default for one vector), fr = forward-over-reverse (torch.func jvp)")
    print("# RSS = peak resident set size of a fresh subprocess (ru_maxrss); '+' = above the no-Lanczos baseline;")
    print("# m·n·4 = the storage of every Lanczos vector in float32 that the PyHessian-style variant needs")
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
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
