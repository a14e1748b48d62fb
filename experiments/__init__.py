"""The paper's experiments (Liu et al., Nat. Commun. 15:434, 2024, §4) at the scale of a 2-core laptop.

* :mod:`experiments.sparse_training_spectra` — (a) dense pre-training → 90 % global magnitude pruning → sparse GD,
  Hessian spectra on the surviving subspace, dissipative fractions and the error proxy E(t) (Eqs. 7–8), accuracy;
* :mod:`experiments.download_reupload` — (b) the sparse download / re-upload scheme with a classically emulated
  "quantum" segment (the quadratic Taylor map, i.e. the N → ∞ Carleman limit, or the truncated Carleman system at
  small n) plus read-out noise, the QRAM variant, against plain sparse training;
* :mod:`experiments.complexity_fit` — (c) fitted exponents of the per-run cost in T, n and log n from
  :mod:`pyqgd.estimate`, QRAM vs QROM, next to O(T² polylog n) and s³T²/ε².

Each module has library functions that return data (no printing) and a ``main()`` that prints a summary table, saves
a PNG under ``experiments/figures/`` and a JSON under ``experiments/results/``. Run e.g.
``QDK_PYTHON_TELEMETRY=none .venv/bin/python -m experiments.sparse_training_spectra``.
"""
