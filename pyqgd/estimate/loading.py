"""Data-loading models for the oracle tables: the cost of one lookup of E entries of w bits (with k controls).

``qrom`` is built in this project (the std ``Select`` that ``Carleman/StructuredOracles.qs`` calls; its counts
are traced), and so is a clean QROAM for the Kronecker encoding's dense F tables (``Oracles/Qroam.qs``; its closed
form :func:`qroam_read_cost` equals the traced counts). For the structured oracles ``selectswap`` remains the model
:func:`lookup_cost`, and the QRAMs model circuits that are **not built** here (:data:`LOADING_LABELS` says so):

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

from pyqgd import registry
from pyqgd._bits import ceil_log2
from pyqgd.estimate.errors import EstimateInputError, check_size
from pyqgd.estimate.logical import LOADINGS, LogicalCost

__all__ = ["LOADINGS", "BUILT_LOADINGS", "LOADING_LABELS", "check_loading", "selectswap_block", "lookup_cost",
           "extra_qubits", "qram_router_error_needed", "qrom_read_cost", "qroam_read_cost", "qroam_blocks",
           "read_select_sizes"]

#: Loadings whose circuit exists in ``qsharp_src`` for some encoding (:func:`pyqgd.registry.built_combination` says
#: for which; the others are models of circuits not built here).
BUILT_LOADINGS = registry.names("loading", built_only=True)

#: How every table shows each loading (the registry's label and status).
LOADING_LABELS = {c.name: c.display for c in registry.LOADINGS}


def check_loading(loading: str) -> str:
    if loading not in LOADINGS:
        raise EstimateInputError(f"unknown loading {loading!r}; use one of {', '.join(LOADINGS)}")
    return loading


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
        return LogicalCost(measurement_count=2 * ceil_log2(E) + w, qram_queries=1, qram_cells=E)
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
    return failure_budget / (Q * max(ceil_log2(E), 1) ** 2)


def _select_ccz(E: int, controls: int = 0) -> int:
    """Toffolis (and measurements) of the library's Select over E words under k controls: E − 2 + k (none for
    E = 1 without controls), traced."""
    return 0 if E <= 1 and controls == 0 else max(E - 2 + controls, 0)


def _select_aux(E: int, controls: int = 0) -> int:
    """Scratch qubits of the library's Select over E words: ⌈log₂ E⌉ − 1, ⌈log₂ E⌉ under one control."""
    return max(ceil_log2(E) - 1 + controls, 0)


def _traced_scratch(key: int, cached: int) -> int:
    """Scratch the QDK tracer allocates for the library's ``SinglyControlledSelect`` over ``key`` (a power of two)
    words: one helper per recursion level, except at the levels whose table size the tracer has already seen — it
    caches that operation's counts per table size (``BeginEstimateCaching``) and replays them without allocating.
    After any Select over K words every size ≤ K is cached, so the cache is one number, ``cached``: the largest
    ``SinglyControlledSelect`` size already traced (1: none)."""
    return max(ceil_log2(key) - ceil_log2(cached), 0)


def _select_key(E: int, controls: int) -> int:
    """The ``SinglyControlledSelect`` size a Select over E words runs: E under one control, E/2 without (the top
    address bit is the control of its two halves); 1 (nothing) for a lone word without controls."""
    return E if controls else max(E // 2, 1)


def read_select_sizes(address_bits: int, controls: int = 1, *, block: int | None = None,
                      fix_block: int | None = None, measured: bool = True) -> list[int]:
    """The ``SinglyControlledSelect`` sizes one read runs, in order (QROM when ``block`` is None, else QROAM with
    (λ, λ′) = (``block``, ``fix_block``)); the tracer's cache after the read is max(cached, max of these)."""
    E = 2 ** check_size(address_bits, "address_bits", minimum=0)
    if block is None:
        return [_select_key(E, controls)]
    sizes = [_select_key(E // block, 0)]
    if measured:
        sizes += [_select_key(fix_block, 0), _select_key(E // fix_block, 0)]
    return sizes


def qrom_read_cost(address_bits: int, width: int, controls: int = 1, *, cached: int = 1) -> LogicalCost:
    """One dense QROM read (unary iteration, the library's Select; Babbush et al. 2018 §III.A) of E = 2^a words of w
    bits under k controls (``Oracles/Qroam.qs``): E − 2 + k Toffolis and as many measurements (the AND gates'
    measurement-based uncomputation). Scratch beyond address, target and controls: ``qubits_allocated`` =
    ⌈log₂ E⌉ − 1 + k (what the circuit holds), ``num_qubits`` = what the QDK tracer counts when Selects up to
    ``cached`` words were traced before (:func:`read_select_sizes`; the project's convention of
    :mod:`pyqgd.estimate.logical`)."""
    a = check_size(address_bits, "address_bits", minimum=0)
    check_size(width, "width")
    if controls not in (0, 1):
        raise EstimateInputError(f"controls must be 0 or 1 (AND several controls into one first); got {controls}")
    E = 2**a
    k = _select_ccz(E, controls)
    traced = _traced_scratch(_select_key(E, controls), cached)
    return LogicalCost(ccz_count=k, measurement_count=k, num_qubits=traced, qubits_allocated=_select_aux(E, controls))


def qroam_blocks(address_bits: int, width: int, *, max_extra_qubits: int | None = None) -> tuple[int, int]:
    """(λ, λ′) of a measured QROAM read of 2^a words of w bits: λ the power of two minimising E/λ + (λ − 1)·w
    (≈ √(E/w), Low–Kliuchnikov–Schaeffer Thm 1) with λ·w ≤ ``max_extra_qubits`` when given, λ′ the one minimising
    the phase clean-up's E/λ′ + 2λ′ (≈ √(E/2), Berry et al. 2019 App. C)."""
    a, w = check_size(address_bits, "address_bits", minimum=0), check_size(width, "width")
    E = 2**a
    lam = min((2**j for j in range(a + 1) if max_extra_qubits is None or 2**j * w <= max_extra_qubits or j == 0),
              key=lambda x: (_select_ccz(E // x) + (x - 1) * w, x))
    fix = min((2**j for j in range(a + 1)), key=lambda x: (2 * _select_ccz(x) + _select_ccz(E // x), x))
    return lam, fix


def qroam_read_cost(address_bits: int, width: int, block: int, fix_block: int, *, controls: int = 1,
                    measured: bool = True, cached: int = 1) -> LogicalCost:
    """One QROAM read target ^= data[x] of E = 2^a words of w bits (``Oracles/Qroam.qs`` QroamXor; Low, Kliuchnikov,
    Schaeffer, arXiv:1812.00954; Berry, Gidney, Motta, McClean, Babbush, Quantum 3, 208 (2019), App. B–C), blocks of
    λ = ``block`` words, under k ≤ 1 controls:

    * Select over the E/λ blocks into λ·w fresh qubits: E/λ − 2 Toffolis (and measurements);
    * the swap network: (λ − 1)·w controlled SWAPs, one Toffoli each; the copy: k·w Toffolis;
    * ``measured``: λ·w X-basis measurements and the phase clean-up split at λ′ = ``fix_block``:
      2(λ′ − 2) + E/λ′ − 2 Toffolis (and measurements); else the swap network and Select again.

    Peak scratch beyond address, target and controls: ``qubits_allocated`` = λ·w + ⌈log₂(E/λ)⌉ − 1 (the block and
    its Select's scratch; the clean-up's one-hot register λ′ with its Selects' scratch when larger); ``num_qubits``
    the same as the QDK tracer counts it, which replays the Selects of table sizes already traced (up to ``cached``
    words before the read, then those of the read itself, :func:`read_select_sizes`) without their scratch.
    """
    a, w = check_size(address_bits, "address_bits", minimum=0), check_size(width, "width")
    lam, fix = check_size(block, "block"), check_size(fix_block, "fix_block")
    E = 2**a
    for name, v in (("block", lam), ("fix_block", fix)):
        if v & (v - 1) or v > E:
            raise EstimateInputError(f"{name} must be a power of two ≤ 2^address_bits = {E}; got {v}")
    if controls not in (0, 1):
        raise EstimateInputError(f"controls must be 0 or 1 (AND several controls into one first); got {controls}")
    sel = _select_ccz(E // lam)
    swaps = (lam - 1) * w
    ccz = sel + swaps + controls * w
    meas = sel
    if measured:
        fixup = 2 * _select_ccz(fix) + _select_ccz(E // fix)
        ccz += fixup
        meas += lam * w + fixup
    else:
        ccz += swaps + sel
        meas += sel
    peak = lam * w + _select_aux(E // lam)
    k1, k2, k3 = read_select_sizes(a, block=lam, fix_block=fix, measured=True)
    traced = lam * w + _traced_scratch(k1, cached)
    if measured:
        peak = max(peak, fix + max(_select_aux(fix), _select_aux(E // fix)))
        c = max(cached, k1)
        traced = max(traced, fix + max(_traced_scratch(k2, c), _traced_scratch(k3, max(c, k2))))
    return LogicalCost(ccz_count=ccz, measurement_count=meas, num_qubits=traced, qubits_allocated=peak)
