"""Independent reading of a cost tree's JSON (``pyqgd estimate --json``'s ``"cost_tree"``): leaves × counts."""


def json_leaves(d: dict, mult: int = 1, out: dict | None = None) -> dict:
    """Σ over leaves of (product of the counts on the path) × the leaf's ccz, t, rotations."""
    out = {"ccz": 0, "t": 0, "rotations": 0} if out is None else out
    m = mult * d["count"]
    if not d["children"]:
        for k in out:
            out[k] += m * d[k]
    for ch in d["children"]:
        json_leaves(ch, m, out)
    return out
