"""The analysis of one county's node across time (纵向): its score, value and rank in each of
its scheme years, and in a year at the end of each Beijing month (``vertical``).

It reads as the rest of the analysis does (``reports.analysis``): the temporal scores model
for scores, values and ranks, the county's scheme book as it stood at the instant for names,
and ``Shared`` for what a batch of reports of one instant reads alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson

from domain.analysis import ranks
from domain.collection import start_of_day
from domain.errors import NotFound
from domain.state import CountyYear
from projections import analysis_queries as queries
from projections.store import View
from projections.temporal import TOTAL, micros
from reports.analysis import TOTAL_NAME, Shared, county_at, ranked_measure
from reports.model import MonthPoint, Vertical, YearPoint
from ruraleval.platform import Platform


def vertical(
    service: Platform, code: str, node: str, year: int, at: datetime | None, shared: Shared | None = None
) -> Vertical:
    """The county's ``node`` in each of its scheme years (matched by code), with its rank among
    all counties that year, and in ``year`` at the end of each Beijing month."""
    county = county_at(service, code, at, shared)
    book = county.book(year)
    name = _known_node(book, node, year)
    at_us = None if at is None else micros(at)
    with service.reads.snapshot() as view:
        own = {int(row["year"]): row for row in queries.node_across_years(view, code, node, at_us)}
        with_data = {other: queries.counties_with_values(view, other, at_us) for other in own}
        empty = {other for other in own if code not in with_data[other]}  # no data: no score, rank or grade
        ranked = {other: _ranks(view, other, node, at, shared) for other in own if other not in empty}
        versions = queries.node_versions(view, code, year, node, at_us)
    years = []
    for each in sorted({int(y) for y in county.years} | set(own)):
        row = own.get(each)
        if row is not None and each in empty:
            years.append(YearPoint(each, None, Decimal(row["max"]), None, None, None))
            continue
        years.append(YearPoint(
            year=each,
            score=None if row is None else Decimal(row["score"]),
            max=None if row is None else Decimal(row["max"]),
            value=None if row is None or row["value"] is None or node == TOTAL else Decimal(row["value"]),
            rank=None if row is None else ranked[each].get(code),
            grade=orjson.loads(row["detail"])["grade"] if row is not None and node == TOTAL else None,
        ))  # fmt: skip
    cap = at if at is not None else service.ledger.clock()
    standing = own.get(year)
    latest = (
        MonthPoint("", None, None)
        if standing is None or year in empty
        else MonthPoint("", Decimal(standing["score"]), _value(standing, node))
    )
    return Vertical(code, node, name, at, years, _months(node, year, versions, cap, empty), latest)


def _ranks(view: View, year: int, node: str, at: datetime | None, shared: Shared | None) -> dict[str, int]:
    """Every county's rank by ``node`` in ``year``."""
    kept = shared.ranks if shared is not None and at is not None else {}
    key = (year, node, at) if at is not None else None
    if key in kept:
        return kept[key]
    at_us = None if at is None else micros(at)
    with_data = queries.counties_with_values(view, year, at_us)  # a county without data is not ranked
    rows = [r for r in queries.node_across_counties(view, year, node, at_us) if r["county"] in with_data]
    found = ranks(ranked_measure(node, rows))
    if key is not None and shared is not None:
        shared.ranks[key] = found
    return found


def month_ends(year: int, cap: datetime) -> list[tuple[str, datetime]]:
    """Each month of ``year`` begun by ``cap``, with the last instant of it (Beijing time),
    ``cap`` itself for a month not yet over."""
    found = []
    for month in range(1, 13):
        if start_of_day(date(year, month, 1)) > cap:
            break
        following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
        end = start_of_day(following) - timedelta(microseconds=1)
        found.append((f"{year}-{month:02d}", min(end, cap)))
    return found


def _months(
    node: str, year: int, versions: Sequence[dict[str, Any]], cap: datetime, empty: set[int]
) -> list[MonthPoint]:
    """At each month's end, the score and (a data indicator's) year value as they stood then:
    both as known at that instant, so a month's data sent in the following month shows in the
    following month's row."""
    points = []
    for month, end in month_ends(year, cap):
        row = None if year in empty else _standing(versions, micros(end))
        score = None if row is None else Decimal(row["score"])
        points.append(MonthPoint(month, score, None if row is None else _value(row, node)))
    return points


def _value(row: dict[str, Any], node: str) -> Decimal | None:
    return None if row["value"] is None or node == TOTAL else Decimal(row["value"])


def _standing(versions: Sequence[dict[str, Any]], at_us: int) -> dict[str, Any] | None:
    for row in versions:
        if int(row["from_us"]) <= at_us and (row["to_us"] is None or int(row["to_us"]) > at_us):
            return row
    return None


def _known_node(book: CountyYear, node: str, year: int) -> str:
    """The node's name in the book; NotFound if the year has no such weighted node."""
    if node == TOTAL:
        return TOTAL_NAME
    definition = book.indicators.get(node)
    if definition is None or not definition.weighted:
        raise NotFound.of(
            "node", "known_node", f"该县 {year} 年度的评估方案中没有指标 node“{node}”（可填指标代码或 total）"
        )
    return definition.name
