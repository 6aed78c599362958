"""What every benchmark shares: the percentile of a list of figures (nearest rank)."""


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0–100) of `values`, by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]
