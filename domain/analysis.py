"""Statistics, ranks and gaps of the analysis (数据分析), over exact decimals (no floats).

Quartiles and the median are those of Excel's ``QUARTILE.INC`` (and ``MEDIAN``), by linear
interpolation between the sorted values: for ``n`` values ``x[0] ≤ … ≤ x[n-1]`` the ``p``
quantile sits at position ``h = (n − 1)·p``; with ``k = ⌊h⌋`` it is
``x[k] + (h − k)·(x[k+1] − x[k])``. So for 10, 20, 30, 40: q1 at h = 0.75 is
10 + 0.75·10 = 17.5, the median at h = 1.5 is 25, q3 at h = 2.25 is 32.5.

Quartiles are always of the values in ascending order; "best" follows the direction (the
highest for ``higher_better`` and for scores, the lowest for ``lower_better``). Ranks of an
indicator or dimension compare attainment (score ÷ its maximum, in per cent: counties may
weigh a node differently), ranks of the total compare the score (out of 100 for all). Ranks are
standard competition ranks (1, 2, 2, 4) on the two-place figures people see, best first,
ties listed by county code: the rule of the rankings (``projections.ranking_queries.rank``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from domain.decimals import round2

HIGHER = "higher_better"
LOWER = "lower_better"
QUARTER = Decimal("0.25")
HALF = Decimal("0.5")
THREE_QUARTERS = Decimal("0.75")


@dataclass(frozen=True)
class Statistics:
    """A group's figures for one measure; every figure None when the group is empty."""

    count: int
    mean: Decimal | None
    median: Decimal | None
    best: Decimal | None
    q1: Decimal | None
    q3: Decimal | None


def quantile(ordered: Sequence[Decimal], p: Decimal) -> Decimal:
    """The ``p`` quantile (0 ≤ p ≤ 1) of values sorted ascending, as ``QUARTILE.INC``."""
    if not ordered:
        raise ValueError("no values")
    position = (len(ordered) - 1) * p
    low = int(position)  # ⌊h⌋: position is never negative
    fraction = position - low
    if fraction == 0:
        return ordered[low]
    return ordered[low] + fraction * (ordered[low + 1] - ordered[low])


def best_of(values: Iterable[Decimal], direction: str = HIGHER) -> Decimal | None:
    found = list(values)
    if not found:
        return None
    return min(found) if direction == LOWER else max(found)


def statistics(values: Iterable[Decimal], direction: str = HIGHER) -> Statistics:
    """Count, mean, median, best (by ``direction``) and quartiles of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return Statistics(0, None, None, None, None, None)
    mean = sum(ordered, Decimal(0)) / len(ordered)
    return Statistics(
        count=len(ordered),
        mean=mean,
        median=quantile(ordered, HALF),
        best=best_of(ordered, direction),
        q1=quantile(ordered, QUARTER),
        q3=quantile(ordered, THREE_QUARTERS),
    )


def ranks(scores: Mapping[str, Decimal]) -> dict[str, int]:
    """Each county's rank by score, highest first: competition ranks on the two-place
    figures (19.996 and 20.004 both show 20.00 and share a rank), as the rankings rank totals."""
    ordered = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    found: dict[str, int] = {}
    previous: Decimal | None = None
    rank = 0
    for index, (county, score) in enumerate(ordered, start=1):
        shown = round2(score)
        if shown != previous:
            rank = index
        found[county] = rank
        previous = shown
    return found


def attainment(score: Decimal, maximum: Decimal) -> Decimal:
    """score ÷ maximum in per cent (0 when the node can score nothing): what ranks compare for
    an indicator, whose maximum differs between counties when one has shifted weights."""
    return score / maximum * 100 if maximum > 0 else Decimal(0)


def order_by_rank(scores: Mapping[str, Decimal]) -> list[str]:
    """The counties best first, ties by code (the order the rankings list them in)."""
    return [county for county, _ in sorted(scores.items(), key=lambda item: (-item[1], item[0]))]


def shortfall(value: Decimal | None, reference: Decimal | None, direction: str) -> Decimal | None:
    """How far ``value`` falls short of ``reference`` in the indicator's direction: positive
    when it is worse, zero when equal, negative when it is better; None if either is unknown."""
    if value is None or reference is None:
        return None
    return value - reference if direction == LOWER else reference - value


def lost(maximum: Decimal, score: Decimal) -> Decimal:
    """The points an indicator lost: its weight (the most it can score) minus its score."""
    return maximum - score


def code_key(code: str) -> tuple[tuple[int, int | str], ...]:
    """Indicator codes in their natural order: 1.2 before 1.10, numbers before words."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"[.\-]", code))


def loss_order(lost_points: Decimal, weight: Decimal, code: str) -> tuple[Any, ...]:
    """The sort key of gap rows: lost points, largest first; ties by weight, the heavier
    first, then by code in natural order."""
    return (-lost_points, -weight, code_key(code))
