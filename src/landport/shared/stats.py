"""One percentile for every figure the platform reports: the live time-release report, the
digital twin and the benchmarks give the same p50 for the same values."""

from __future__ import annotations

from collections.abc import Iterable


def percentile(values: Iterable[float], q: float) -> float | None:
    """The q-th percentile (0-100) of finite values by linear interpolation between the
    closest ranks, as numpy's default and a spreadsheet's PERCENTILE.INC compute it; None for
    no values."""
    if not 0 <= q <= 100:
        raise ValueError(f"percentile q must be within 0..100, got {q}")
    ordered = sorted(values)
    if not ordered:
        return None
    rank = q / 100 * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
