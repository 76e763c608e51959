"""The analysis a report and its pages are built from: plain values, as of one instant.

Horizontal (a node across counties), vertical (a county's node across years and months)
and gap (each indicator against its target and its region). Statistics and ranks are over
every enrolled county of the year; which counties a caller may see is the caller's filter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class Spread:
    """A group's figures for one measure: count, mean, median, best and quartiles (None if empty)."""

    count: int
    mean: Decimal | None
    median: Decimal | None
    best: Decimal | None
    q1: Decimal | None
    q3: Decimal | None


@dataclass(frozen=True)
class CountyPoint:
    """One county's figures for a node in a year."""

    county: str
    name: str
    region: str
    value: Decimal | None  # the year's value of a data indicator; None for a parent node or the total
    score: Decimal
    max: Decimal
    rank: int  # among all counties of the year, by score (1 the best)
    count: int
    region_rank: int
    region_count: int


@dataclass(frozen=True)
class Horizontal:
    year: int
    node: str
    node_name: str
    as_of: datetime | None  # None: as it stands now
    counties: list[CountyPoint]  # those the caller may see, best first
    scores: Spread  # all counties
    values: Spread
    region_scores: dict[str, Spread] = field(default_factory=dict)  # region -> its counties
    region_values: dict[str, Spread] = field(default_factory=dict)


@dataclass(frozen=True)
class YearPoint:
    year: int
    score: Decimal | None  # None: the county has no such node (matched by code) that year
    max: Decimal | None
    value: Decimal | None
    rank: int | None
    grade: str | None  # the total's grade only


@dataclass(frozen=True)
class MonthPoint:
    month: str  # "2023-01"
    score: Decimal | None  # the node's score as it stood at the end of that month (Beijing)
    value: Decimal | None  # the data indicator's year value as it stood at the end of that month, too


@dataclass(frozen=True)
class Vertical:
    county: str
    node: str
    node_name: str
    as_of: datetime | None
    years: list[YearPoint]
    months: list[MonthPoint]  # of the year asked for
    latest: MonthPoint | None = None  # the year's score and value as they stand at the instant asked (month: "")


@dataclass(frozen=True)
class GapRow:
    """An indicator against its target and its region: what the county lost, and to whom."""

    code: str
    name: str
    dimension: str
    unit: str
    direction: str
    max: Decimal  # the weight: the most it can score
    value: Decimal | None
    target: Decimal | None
    score: Decimal
    lost: Decimal  # max − score
    to_target: Decimal | None  # how far the value is from the target, in the indicator's direction (≥ 0 short)
    region_best: Decimal | None  # the region's best value
    region_median: Decimal | None
    to_region_best: Decimal | None


@dataclass(frozen=True)
class Gap:
    county: str
    year: int
    as_of: datetime | None
    rows: list[GapRow]  # by lost, largest first; ties by weight, then code
