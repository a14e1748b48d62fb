"""QSVT inversion degree: what pyqgd uses vs the best possible, the CKS bound and pyqsp's PolyOneOverX.

Usage:  QDK_PYTHON_TELEMETRY=none python benchmarks/qsvt_degree.py [--angles-up-to D]

For κ ∈ {10, 100, 1000} and ε ∈ {1e-2, 1e-4} it builds pyqgd's inverse polynomial (relative error ε on [1/κ, 1])
and prints its degree and measured error; the best possible degree d*(κ, ε) for that error (the Chebyshev
extremal bound 1/T_{(d+1)/2}((κ²+1)/(κ²−1)) ≤ ε, a proven lower bound for every odd polynomial, checked against a
linear program in tests/test_quantum_qsvt.py); the truncated Childs–Kothari–Somma series degree (CKS 2017,
Lemma 19; the explicit form of GSLW 2019 Cor. 69); pyqsp 0.2.0's untruncated PolyOneOverX degree 2⌊κ² ln(κ/ε)⌋ − 1;
and, up to ``--angles-up-to``, the time and reconstruction error of the QSVT phases (pyqsp sym_qsp).
The last line is a JSON object with "max_degree_ratio" (used / best) and the rows.
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")

from pyqgd.quantum.polynomials import cks_degree, inverse_polynomial, optimal_inverse_degree, pyqsp_one_over_x_degree  # noqa: E402
from pyqgd.quantum.qsp import qsvt_angles  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--angles-up-to", type=int, default=300, help="compute QSVT phases for degrees up to this")
    args = ap.parse_args()
    rows = []
    for kappa in (10, 100, 1000):
        for eps in (1e-2, 1e-4):
            t = time.perf_counter()
            poly = inverse_polynomial(kappa, eps, max_degree=10**6)
            t_poly = time.perf_counter() - t
            best = optimal_inverse_degree(kappa, eps)
            row = {
                "kappa": kappa,
                "epsilon": eps,
                "degree_used": poly.degree,
                "best_known_degree": best,
                "ratio": poly.degree / best,
                "measured_relative_error": poly.relative_error(),
                "cks_degree": cks_degree(kappa, eps),
                "pyqsp_degree": pyqsp_one_over_x_degree(kappa, eps),
                "polynomial_seconds": t_poly,
                "angle_seconds": None,
                "angle_error": None,
            }
            row["pyqsp_over_used"] = row["pyqsp_degree"] / poly.degree
            if poly.degree <= args.angles_up_to:
                t = time.perf_counter()
                ang = qsvt_angles(poly)
                row["angle_seconds"] = time.perf_counter() - t
                row["angle_error"] = ang.max_error
            rows.append(row)
    hdr = (f"{'kappa':>6} {'eps':>7} {'used':>6} {'best':>6} {'used/best':>9} {'rel.err':>9} {'CKS':>7} "
           f"{'pyqsp':>10} {'pyqsp/used':>10} {'angles':>14}")
    print("QSVT inverse-polynomial degrees (relative error eps of c/x on [1/kappa, 1])")
    print("best = minimal odd degree reaching eps (Chebyshev extremal property, a proven lower bound);")
    print("CKS = truncated Childs-Kothari-Somma series (Lemma 19); pyqsp = PolyOneOverX 0.2.0, untruncated")
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        ang = "-" if r["angle_seconds"] is None else f"{r['angle_seconds']:.1f}s/{r['angle_error']:.0e}"
        print(f"{r['kappa']:>6} {r['epsilon']:>7.0e} {r['degree_used']:>6} {r['best_known_degree']:>6} "
              f"{r['ratio']:>9.2f} {r['measured_relative_error']:>9.2e} {r['cks_degree']:>7} {r['pyqsp_degree']:>10} "
              f"{r['pyqsp_over_used']:>10.1f} {ang:>14}")
    print(json.dumps({"max_degree_ratio": max(r["ratio"] for r in rows), "rows": rows}))


if __name__ == "__main__":
    main()
