"""Data-loading models for the oracle tables: the cost of one lookup of E entries of w bits (with k controls).

Only ``qrom`` is built in this project (the std ``Select`` that ``Carleman/StructuredOracles.qs`` calls; its counts
are traced). The others model circuits that are **not built** here and say so in :data:`LOADING_LABELS`:

* ``qrom`` — unary-iteration QROM (Babbush et al., PRX 8, 041015, 2018, §III.A): E − 2 + k Toffolis and as many
  measurements, a + w + (a − 1) qubits (a = ⌈log₂ E⌉ address bits); traced (:func:`pyqgd.estimate.circuit.lookup`).
* ``selectswap`` — SelectSwap / QROAM (Low, Kliuchnikov, Schaeffer, arXiv:1812.00954, Thm 1; Berry, Gidney, Motta,
  McClean, Babbush, Quantum 3, 208, 2019, App. B): a QROM over ⌈E/λ⌉ blocks of λ·w bits, then a swap network moving
  the addressed w-bit word into place: ⌈E/λ⌉ − 2 + k + (λ − 1)·w Toffolis, ⌈E/λ⌉ − 2 + k measurements, and
  (λ − 1)·w **extra qubits** (λ output words instead of one). λ is the power of two minimising the Toffolis,
  ≈ √(E/w) (LKS Thm 1), capped by ``max_extra_qubits`` when given (the space–time trade-off).
* ``qram`` — bucket-brigade QRAM (Giovannetti, Lloyd, Maccone, PRL 100, 160501, 2008): E routing nodes (hardware
  outside the surface-code layout, counted in ``qram_cells``); one query takes 2⌈log₂ E⌉ + w routing time steps
  (address in and out, data copy), charged as logical time steps (``measurement_count``), no Toffolis. Error model
  (Hann, Lee, Girvin, Jiang, PRX Quantum 2, 020311, 2021): the query infidelity is at most ε_r·⌈log₂ E⌉² for
  independent router error rate ε_r, so Q queries fail with probability ≤ Q·ε_r·⌈log₂ E⌉²;
  :func:`qram_router_error_needed` gives the ε_r a budget requires.
* ``qram_free`` — the same QRAM at zero cost per query: a **lower bound** only (no such device is specified).
"""

from __future__ import annotations

from pyqgd.estimate.errors import EstimateInputError, check_size
from pyqgd.estimate.logical import LOADINGS, LogicalCost

__all__ = ["LOADINGS", "BUILT_LOADINGS", "LOADING_LABELS", "check_loading", "selectswap_block", "lookup_cost",
           "extra_qubits", "qram_router_error_needed"]

#: Loadings whose circuit exists in ``qsharp_src`` (the others are models of circuits not built here).
BUILT_LOADINGS = ("qrom",)

#: How every table shows each loading.
LOADING_LABELS = {
    "qrom": "QROM (built, std Select)",
    "selectswap": "SelectSwap/QROAM (model, not built)",
    "qram": "bucket-brigade QRAM (model, not built)",
    "qram_free": "free QRAM (lower bound, not built)",
}


def check_loading(loading: str) -> str:
    if loading not in LOADINGS:
        raise EstimateInputError(f"unknown loading {loading!r}; use one of {', '.join(LOADINGS)}")
    return loading


def _bits(E: int) -> int:
    return (int(E) - 1).bit_length()


def selectswap_block(entries: int, width: int, *, max_extra_qubits: int | None = None) -> int:
    """λ: the power of two minimising ⌈E/λ⌉ + (λ − 1)·w (≈ √(E/w)), with (λ − 1)·w ≤ ``max_extra_qubits``."""
    E, w = check_size(entries, "entries"), check_size(width, "width")
    best, lam = None, 1
    while lam <= E:
        if max_extra_qubits is not None and (lam - 1) * w > max_extra_qubits:
            break
        cost = -(-E // lam) + (lam - 1) * w
        if best is None or cost < best[0]:
            best = (cost, lam)
        lam *= 2
    return best[1]


def lookup_cost(loading: str, entries: int, width: int, controls: int = 0, *, block: int | None = None,
                max_extra_qubits: int | None = None) -> LogicalCost:
    """One lookup of E entries of w bits under k controls (module docstring). ``num_qubits`` of the result is the
    lookup's scratch beyond its address and output registers (the extra (λ − 1)·w words for SelectSwap)."""
    check_loading(loading)
    E, w = check_size(entries, "entries"), check_size(width, "width")
    if loading == "qrom":
        k = max(E - 2 + controls, 0)
        return LogicalCost(ccz_count=k, measurement_count=k)
    if loading == "selectswap":
        lam = block or selectswap_block(E, w, max_extra_qubits=max_extra_qubits)
        blocks = -(-E // lam)
        sel = max(blocks - 2 + controls, 0)
        extra = (lam - 1) * w
        return LogicalCost(num_qubits=extra, qubits_allocated=extra, ccz_count=sel + (lam - 1) * w,
                           measurement_count=sel)
    if loading == "qram":
        return LogicalCost(measurement_count=2 * _bits(E) + w, qram_queries=1, qram_cells=E)
    return LogicalCost(qram_queries=1, qram_cells=E)  # qram_free: a lower bound


def extra_qubits(loading: str, entries: int, width: int, *, max_extra_qubits: int | None = None) -> int:
    """Extra logical qubits a loading needs beyond the built QROM's registers ((λ − 1)·w for SelectSwap)."""
    if loading != "selectswap":
        return 0
    lam = selectswap_block(entries, width, max_extra_qubits=max_extra_qubits)
    return (lam - 1) * width


def qram_router_error_needed(queries: int, entries: int, failure_budget: float) -> float:
    """ε_r such that Q queries of a bucket-brigade QRAM of E cells fail with probability ≤ budget
    (Hann et al. 2021: infidelity ≤ ε_r·⌈log₂ E⌉² per query)."""
    Q, E = check_size(queries, "queries"), check_size(entries, "entries")
    if not 0 < failure_budget < 1:
        raise EstimateInputError(f"failure_budget must be in (0, 1), got {failure_budget}")
    return failure_budget / (Q * max(_bits(E), 1) ** 2)
