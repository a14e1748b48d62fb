"""Register widths: the one bit-length helper every layer uses."""

__all__ = ["ceil_log2"]


def ceil_log2(k: int) -> int:
    """⌈log₂ k⌉ for k ≥ 1 (0 for k = 1): the qubits that index k values."""
    return (int(k) - 1).bit_length()
