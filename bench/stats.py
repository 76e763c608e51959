"""Summaries of repeated measurements: median and spread."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any


def percentile(values: Sequence[float], fraction: float) -> float:
    """Linear-interpolated percentile (``fraction`` in 0..1) of a non-empty sequence."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Summary:
    """Median and spread of ``n`` samples, in the unit of the samples."""

    n: int
    median: float
    min: float
    max: float
    p5: float
    p95: float
    mean: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Summary:
        if not values:
            nan = float("nan")
            return cls(0, nan, nan, nan, nan, nan, nan)
        return cls(
            n=len(values),
            median=statistics.median(values),
            min=min(values),
            max=max(values),
            p5=percentile(values, 0.05),
            p95=percentile(values, 0.95),
            mean=statistics.fmean(values),
        )

    def scaled(self, factor: float) -> Summary:
        """The same summary in another unit (e.g. seconds to milliseconds)."""
        return Summary(
            self.n,
            self.median * factor,
            self.min * factor,
            self.max * factor,
            self.p5 * factor,
            self.p95 * factor,
            self.mean * factor,
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
