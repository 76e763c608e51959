"""The analysis (数据分析): a node across counties, a county's node across years and months
(``reports.analysis_vertical``), its indicators against their targets and region, and the
facts the report's rules read.

Scores, values and ranks come from the temporal scores model (``score_history``), one
snapshot per answer; targets, units, directions and names from the county's scheme book as
it stood at the instant (``at`` None: as it stands now). The caller has made the read
models hold everything recorded up to ``at`` (``service.settle`` in the CLI and tests, the
as-of wait of the API and pages); ``horizontal``, ``vertical`` and ``gap`` read the models
``ANALYSIS`` names, ``indicator_facts`` also the warnings (``ANALYSIS_FACTS``).

Statistics and ranks are over every county with the node in the year; ``visible`` and
``region`` only choose which counties are listed.

``Shared`` keeps, for one instant, what every county's report reads alike (a node across all
counties, every county's nodes of a year) and the counties replayed to it, so a report reads
each once and a batch of reports (``reports build``, the bench) once for all (ADR 25).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.analysis import (
    HIGHER,
    Statistics,
    attainment,
    best_of,
    code_key,
    loss_order,
    lost,
    order_by_rank,
    ranks,
    shortfall,
    statistics,
)
from domain.collection import data_indicators, dimension_of, judged_on
from domain.county import County
from domain.errors import NotFound
from domain.findings import IndicatorFacts
from projections import analysis_queries as queries
from projections import monitoring_queries as monitoring
from projections.store import View
from projections.temporal import TOTAL, micros
from reports.model import CountyPoint, Gap, GapRow, Horizontal, Spread
from ruraleval.platform import Platform
from ruraleval.replay import county_as_of

ANALYSIS = ("counties", "score_history")
ANALYSIS_FACTS = ("counties", "score_history", "monitoring")
TOTAL_NAME = "总分"


class Shared:
    """Answers that depend only on the instant (never None) and the store, kept for one report or
    one batch of reports of that instant: the read models hold everything up to it, so they stay
    the same. Not for "now" (``at`` None) and not shared between threads."""

    def __init__(self) -> None:
        self.horizontals: dict[tuple[int, str, datetime], Horizontal] = {}
        self.years: dict[tuple[int, datetime], _Year] = {}
        self.ranks: dict[tuple[int, str, datetime], dict[str, int]] = {}
        self.counties: dict[tuple[str, datetime], County | None] = {}

    def county(self, service: Platform, code: str, at: datetime) -> County | None:
        key = (code, at)
        if key not in self.counties:
            if len(self.counties) >= 8:  # a report replays its own county and a few others
                self.counties.clear()
            self.counties[key] = county_as_of(service.ledger, code, at)
        return self.counties[key]

    def year(self, service: Platform, year: int, at: datetime) -> _Year:
        key = (year, at)
        found = self.years.get(key)
        if found is None:
            with service.reads.snapshot() as view:
                found = self.years[key] = _Year(queries.year_nodes(view, year, micros(at)))
        return found


# ------------------------------------------------------------------------------ horizontal


def horizontal(
    service: Platform,
    year: int,
    node: str,
    at: datetime | None,
    visible: frozenset[str] | None = None,
    region: str | None = None,
    shared: Shared | None = None,
) -> Horizontal:
    """``node`` (an indicator's code, or ``total``) of every county in ``year``: the visible
    counties of ``region`` best first, with ranks and the statistics of all counties."""
    if shared is not None and at is not None:
        key = (year, node, at)
        every = shared.horizontals.get(key)
        if every is None:
            every = shared.horizontals[key] = _horizontal(service, year, node, at, None, None, shared)
        return _only(every, visible, region)
    return _horizontal(service, year, node, at, visible, region, None)


def _horizontal(
    service: Platform,
    year: int,
    node: str,
    at: datetime | None,
    visible: frozenset[str] | None,
    region: str | None,
    shared: Shared | None,
) -> Horizontal:
    at_us = None if at is None else micros(at)
    with service.reads.snapshot() as view:
        rows = queries.node_across_counties(view, year, node, at_us)
        if not rows:
            _refuse_unknown(view, year, node, at_us)
        with_data = queries.counties_with_values(view, year, at_us)
    direction = _direction(service, rows[0]["county"], year, node, at, shared)
    node_name = TOTAL_NAME if node == TOTAL else rows[0]["name"]
    rows = [row for row in rows if row["county"] in with_data]  # a county without data: not ranked nor counted
    scores = {row["county"]: Decimal(row["score"]) for row in rows}
    measure = ranked_measure(node, rows)
    values = {row["county"]: Decimal(row["value"]) for row in rows if row["value"] is not None}
    members: dict[str, list[str]] = {}
    for row in rows:
        members.setdefault(row["region"], []).append(row["county"])
    overall = ranks(measure)
    in_region: dict[str, int] = {}
    for counties in members.values():
        in_region |= ranks({county: measure[county] for county in counties})
    by_county = {row["county"]: row for row in rows}
    points = []
    for county in order_by_rank(measure):
        row = by_county[county]
        if (visible is not None and county not in visible) or (region is not None and row["region"] != region):
            continue
        points.append(CountyPoint(
            county=county, name=row["county_name"], region=row["region"],
            value=values.get(county) if node != TOTAL else None, score=scores[county], max=Decimal(row["max"]),
            rank=overall[county], count=len(scores),
            region_rank=in_region[county], region_count=len(members[row["region"]]),
        ))  # fmt: skip
    return Horizontal(
        year=year,
        node=node,
        node_name=node_name,
        as_of=at,
        counties=points,
        scores=spread(scores.values()),
        values=spread(values.values(), direction),
        region_scores={name: spread(scores[c] for c in counties) for name, counties in sorted(members.items())},
        region_values={
            name: spread((values[c] for c in counties if c in values), direction)
            for name, counties in sorted(members.items())
        },
    )


def _only(every: Horizontal, visible: frozenset[str] | None, region: str | None) -> Horizontal:
    """``every`` (all counties listed) listing only the visible counties of ``region``."""
    points = [
        point for point in every.counties
        if (visible is None or point.county in visible) and (region is None or point.region == region)
    ]  # fmt: skip
    return replace(every, counties=points)


def ranked_measure(node: str, rows: Iterable[dict[str, Any]]) -> dict[str, Decimal]:
    """What ranks compare, by county: the total's score (out of 100 for every county), a node's
    attainment (score ÷ its maximum, in per cent), as its maximum may differ between counties."""
    if node == TOTAL:
        return {row["county"]: Decimal(row["score"]) for row in rows}
    return {row["county"]: attainment(Decimal(row["score"]), Decimal(row["max"])) for row in rows}


def spread(values: Iterable[Decimal], direction: str = HIGHER) -> Spread:
    found: Statistics = statistics(values, direction)
    return Spread(found.count, found.mean, found.median, found.best, found.q1, found.q3)


def _refuse_unknown(view: View, year: int, node: str, at_us: int | None) -> None:
    if not queries.has_year(view, year, at_us):
        raise NotFound.of(
            "year", "scheme_year", f"年度 {year} 在所查时刻没有任何县的得分：该年度没有评估方案或尚未入选县"
        )
    raise NotFound.of(
        "node", "known_node", f"指标 node“{node}”在 {year} 年度没有得分：请填写该年度评估方案中的指标代码或 total"
    )


def _direction(service: Platform, code: str, year: int, node: str, at: datetime | None, shared: Shared | None) -> str:
    """The node's direction as ``code``'s book defines it (scores and parents: higher is better)."""
    county = county_at(service, code, at, shared)
    book = county.years.get(str(year))
    definition = None if book is None else book.indicators.get(node)
    return HIGHER if definition is None else definition.direction


def county_at(service: Platform, code: str, at: datetime | None, shared: Shared | None = None) -> County:
    county: County | None
    if at is None:
        county = service.ledger.county(code)
    else:
        county = shared.county(service, code, at) if shared is not None else county_as_of(service.ledger, code, at)
    if county is None:
        raise NotFound.of("code", "known_county", f"行政区划代码为 {code} 的县在所查时刻尚未入选评估")
    return county


# ------------------------------------------------------------------------------------ gap


class _Year:
    """Every county's nodes of a year at an instant, grouped for the gap and the facts."""

    def __init__(self, rows: Sequence[dict[str, Any]]) -> None:
        self.scores: dict[str, dict[str, Decimal]] = {}  # node → county → score
        self.values: dict[str, dict[str, Decimal]] = {}
        self.rows: dict[tuple[str, str], dict[str, Any]] = {}  # (county, node) → row
        self.region: dict[str, str] = {}
        for row in rows:
            county, node = row["county"], row["code"]
            self.rows[(county, node)] = row
            self.region[county] = row["region"]
            self.scores.setdefault(node, {})[county] = Decimal(row["score"])
            if row["value"] is not None:
                self.values.setdefault(node, {})[county] = Decimal(row["value"])

    def attained(self, node: str) -> dict[str, Decimal]:
        """The attainment (per cent) of ``node`` of each county with a value recorded for it:
        what the rules' ranks compare (a county without a value is not ranked)."""
        return {
            county: attainment(score, Decimal(self.rows[(county, node)]["max"]))
            for county, score in self.scores.get(node, {}).items()
            if county in self.values.get(node, {})
        }

    def peers(self, node: str, region: str, measure: dict[str, dict[str, Decimal]]) -> dict[str, Decimal]:
        return {county: figure for county, figure in measure.get(node, {}).items() if self.region[county] == region}


def gap(service: Platform, code: str, year: int, at: datetime | None, shared: Shared | None = None) -> Gap:
    """Each data indicator of the county's year against its target and the best and median
    values of its region: what it lost (weight − score), by the loss, largest first."""
    county = county_at(service, code, at, shared)
    book = county.book(year)
    known = _year(service, year, at, shared)
    rows = []
    for definition in data_indicators(book):
        row = known.rows.get((code, definition.code))
        if row is None:
            continue
        value = None if row["value"] is None else Decimal(row["value"])
        target = definition.method.target if definition.method is not None else None
        peers = known.peers(definition.code, county.region, known.values)
        region_best = best_of(peers.values(), definition.direction)
        score, maximum = Decimal(row["score"]), Decimal(row["max"])
        dimension = book.indicators[dimension_of(book, definition.code)].name
        rows.append(GapRow(
            code=definition.code, name=definition.name, dimension=dimension,
            unit=definition.unit, direction=definition.direction, max=maximum, value=value, target=target,
            score=score, lost=lost(maximum, score), to_target=shortfall(value, target, definition.direction),
            region_best=region_best, region_median=statistics(peers.values()).median,
            to_region_best=shortfall(value, region_best, definition.direction),
        ))  # fmt: skip
    rows.sort(key=lambda r: loss_order(r.lost, r.max, r.code))
    return Gap(code, year, at, rows)


# ---------------------------------------------------------------------- the rules' facts


def _year(service: Platform, year: int, at: datetime | None, shared: Shared | None) -> _Year:
    if shared is not None and at is not None:
        return shared.year(service, year, at)
    with service.reads.snapshot() as view:
        return _Year(queries.year_nodes(view, year, None if at is None else micros(at)))


def indicator_facts(
    service: Platform, code: str, year: int, at: datetime | None, shared: Shared | None = None
) -> list[IndicatorFacts]:
    """What the report's rules read of each data indicator of the county's year, in code order:
    value, target, score, weight, ranks by the indicator's score (overall and in the region),
    last year's rank of the same code, the region's best value, the open red warnings on it
    (judged on the Beijing day of ``at``, or today) and its submissions returned unanswered."""
    county = county_at(service, code, at, shared)
    book = county.book(year)
    at_us = None if at is None else micros(at)
    day = judged_on(at, service.ledger.clock())
    known, before = _year(service, year, at, shared), _year(service, year - 1, at, shared)
    with service.reads.snapshot() as view:
        red = monitoring.warnings(view, day, at_us, monitoring.Filters(county=code, year=year, level="red"))
    red_count: dict[str, int] = {}
    for found in red:
        red_count[found.warning.indicator] = red_count.get(found.warning.indicator, 0) + 1
    facts = []
    for definition in sorted(data_indicators(book), key=lambda d: code_key(d.code)):
        row = known.rows.get((code, definition.code))
        if row is None:
            continue
        everyone = known.attained(definition.code)
        region = {other: figure for other, figure in everyone.items() if known.region[other] == county.region}
        earlier = ranks(before.attained(definition.code))
        values = known.peers(definition.code, county.region, known.values)
        facts.append(IndicatorFacts(
            code=definition.code, name=definition.name, unit=definition.unit, direction=definition.direction,
            weight=Decimal(row["max"]), value=None if row["value"] is None else Decimal(row["value"]),
            target=definition.method.target if definition.method is not None else None,
            score=Decimal(row["score"]), rank=ranks(everyone).get(code), count=len(everyone),  # with values only
            region_rank=ranks(region).get(code), region_count=len(region), last_year_rank=earlier.get(code),
            region_best=best_of(values.values(), definition.direction),
            red_warnings=red_count.get(definition.code, 0),
            returned=sum(1 for thread in book.threads.values()
                         if thread.indicator == definition.code and thread.period and thread.status == "returned"),
        ))  # fmt: skip
    return facts
