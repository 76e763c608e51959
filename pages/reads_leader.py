"""The leader's reads (领导小组): the ranking now or as of any instant, its replay, the
网格化预警 grid, and a county's scores with its months and its region.

As ``pages.reads``: the read models are checked first (503 if one failed or stalled), then
one snapshot per answer. An as-of read first makes its instant final (``ledger.settle``,
ADR 16) and waits until the read models hold every event recorded up to it, as the API's
``reading_as_of`` does; page handlers are plain functions, run in a worker thread, so the
wait blocks that thread, never the event loop.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from domain.access import Principal
from domain.collection import beijing_date, judged_on
from domain.commands import REGION_LABELS
from domain.decimals import round2
from domain.errors import InvalidCommand
from domain.recorded_time import CHINA, parse_as_of
from pages.writes import READ_WAIT_SECONDS
from projections import leader_queries as leader
from projections import monitoring_queries as monitoring
from projections import queries, ranking_queries
from projections.catalog import SCORES, SCORES_AS_OF, WARNINGS
from projections.progress import unavailable
from projections.temporal import instant as from_micros
from projections.temporal import micros
from ruraleval.platform import Platform
from ruraleval.replay import county_as_of

# Now: the current scores, and the temporal model for the months and whose result stands.
SERIES = (*SCORES, "score_history")


def as_of_instant(service: Platform, text: str | None) -> datetime | None:
    """The instant a page's ``as_of`` names (a date: the end of that Beijing day), or None for now."""
    if text is None or not text.strip():
        return None
    try:
        return parse_as_of(text.strip(), service.ledger.clock())
    except InvalidCommand as refused:  # the same rules as the API's, in the page's words
        problem = refused.problems[0]
        words = problem.message.removeprefix("as_of").lstrip()
        message = "查询日期" + (" " if words[:1].isascii() else "") + words  # 查询日期 2023-02-30 不是…
        raise InvalidCommand.of("as_of", problem.rule, message) from None


def _settled(service: Platform, at: datetime | None, current: tuple[str, ...], past: tuple[str, ...]) -> int | None:
    """Waits until the read models can answer as of ``at`` (now: as projected); its µs, or None."""
    if at is None:
        service.progress.require(current)
        return None
    service.progress.require(past)
    position = service.ledger.settle(at)
    reason = service.progress.wait_blocking(position, past, READ_WAIT_SECONDS)
    if reason is not None:
        raise unavailable(reason)
    return micros(at)


def end_of_day(service: Platform, day: date) -> datetime:
    """The last instant of a Beijing day, or now if that is still to come."""
    return min(datetime.combine(day, time.max, tzinfo=CHINA), service.ledger.clock())


# ------------------------------------------------------------------------------ the ranking


@dataclass
class LeaderRanking:
    year: int
    region: str | None
    as_of: datetime | None  # None: now
    rows: list[dict[str, Any]]
    total: int  # counties ranked (ranks are among all of them)
    grades: dict[str, int] = field(default_factory=dict)
    since: datetime | None = None  # the instant the ranks' moves are counted from


def ranking_as_of(
    service: Platform,
    principal: Principal,
    year: int,
    instant: datetime | None,
    region: str | None,
    *,
    since: datetime | None = None,
) -> LeaderRanking:
    """Every visible county's total, grade, rank, region rank and the results standing in its
    figures, as the platform knew them at ``instant`` (None: now); with ``since``, how far each
    rank moved from then (one step of the replay). One snapshot of the temporal model."""
    at_us = _settled(service, instant, SERIES, SCORES_AS_OF)
    since_us = None if since is None or instant is None else micros(since)
    with service.reads.snapshot() as view:
        found = (
            ranking_queries.rankings(view, year) if at_us is None else ranking_queries.rankings_as_of(view, year, at_us)
        )
        marks = leader.result_marks(view, year, at_us)
        before = ranking_queries.rankings_as_of(view, year, since_us) if since_us is not None else None
    earlier = {row["county"]: row["rank"] for row in before} if before is not None else {}
    rows = []
    for row in ranking_queries.in_scope(found, principal.readable_counties(), region):
        was = earlier.get(row["county"])
        rows.append(row | {"region_label": REGION_LABELS.get(row["region"], row["region"]),
                           "marks": marks.get(row["county"], []),
                           "move": None if was is None else was - row["rank"]})  # fmt: skip
    grades: dict[str, int] = {}
    for row in rows:
        grades[row["grade"]] = grades.get(row["grade"], 0) + 1
    return LeaderRanking(year, region, instant, rows, len(found), grades, since if since_us is not None else None)


# ------------------------------------------------------------------------------- the replay


@dataclass(frozen=True)
class Replay:
    unit: str  # "month" or "day"
    days: list[date]  # each step's Beijing day (its instant: the end of that day)

    def labels(self) -> list[str]:
        if self.unit == "month":
            return [f"{day.year}年{day.month}月" for day in self.days]
        return [f"{day.year}年{day.month}月{day.day}日" for day in self.days]

    def index_of(self, day: date | None) -> int:
        """The step showing ``day`` (the last step for now or after the last)."""
        if day is None:
            return len(self.days) - 1
        return next((index for index, step in enumerate(self.days) if step >= day), len(self.days) - 1)

    def label_of(self, day: date | None) -> str:
        """The slider's words for ``day``: its step's label if it is a step's day, else the day
        itself (2020年1月1日), so the slider never names another day than the table shows."""
        index = self.index_of(day)
        if day is None or self.days[index] == day:
            return self.labels()[index]
        return f"{day.year}年{day.month}月{day.day}日"


def replay(service: Platform, year: int, unit: str) -> Replay:
    """The steps of the year's replay: each month's end (or each day) from the first change of
    any county's total of ``year`` to its last (corrections of January included), up to today."""
    service.progress.require(SCORES_AS_OF)
    with service.reads.snapshot() as view:
        found = leader.span(view, year)
    today = beijing_date(service.ledger.clock())
    if found is None:
        return Replay(unit, [today])
    first, last = (beijing_date(from_micros(value)) for value in found)
    return Replay(unit, steps(first, min(max(last, date(year, 12, 31)), today), unit))


def steps(first: date, last: date, unit: str) -> list[date]:
    """Days from ``first`` to ``last``, or each month's last day (the last step is ``last``)."""
    if unit == "day":
        return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    found, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        found.append(min(date(year, month, monthrange(year, month)[1]), last))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


# --------------------------------------------------------------------------------- the grid


def warning_grid(
    service: Platform, principal: Principal, year: int, instant: datetime | None, region: str | None
) -> dict[str, Any]:
    """网格化预警 as the API's ``/warnings/grid`` answers it, judged on the Beijing day of
    ``instant`` (or today) with the facts standing then; only ``region``'s rows if given."""
    at_us = _settled(service, instant, WARNINGS, WARNINGS)
    day = judged_on(instant, service.ledger.clock())
    visible = principal.readable_counties()
    with service.reads.snapshot() as view:
        grid = monitoring.grid_by_region(view, year, day, at_us, visible)
    if region is not None:
        grid["regions"] = [row for row in grid["regions"] if row["region"] == region]
    return grid


# ------------------------------------------------------------------------------- one county


@dataclass
class CountyScores:
    card: dict[str, Any]
    months: list[dict[str, Any]]  # each month's end: total and dimensions as then recorded
    dimensions: list[dict[str, Any]]  # code, name of each dimension, in order
    comparison: list[dict[str, Any]]  # per dimension: the county, its region's mean and best, the maximum
    region_counties: int
    units: dict[str, str] = field(default_factory=dict)  # indicator → its unit ("" when it has none)


def county_scores(service: Platform, code: str, year: int, instant: datetime | None) -> CountyScores | None:
    """The county's scorecard at ``instant`` (None: now), its months, and its region; None if
    it had no scores of ``year`` then. One snapshot."""
    at_us = _settled(service, instant, SERIES, SCORES_AS_OF)
    with service.reads.snapshot() as view:
        if at_us is None:
            card = queries.scorecard(view, code, year)
        else:
            card = queries.scorecard_as_of(view, code, year, at_us)
        if card is None:
            return None
        history = leader.dimension_history(view, code, year)
        everyone = leader.dimensions(view, year, at_us)
    dims = [{"code": n["code"], "name": n["name"]} for n in card["nodes"] if n["level"] == 1]
    months = _months(service, history, dims, instant, year)
    comparison, counted = _comparison(card, everyone, dims)
    return CountyScores(card, months, dims, comparison, counted, _units(service, code, year, instant))


def _units(service: Platform, code: str, year: int, instant: datetime | None) -> dict[str, str]:
    """Each indicator's unit (%, 元, 万人 …) as the county's scheme defined it at ``instant``:
    the score models keep values, not units, so they are read from the county's own record."""
    county = service.ledger.county(code) if instant is None else county_as_of(service.ledger, code, instant)
    book = None if county is None else county.years.get(str(year))
    return {} if book is None else {indicator: definition.unit for indicator, definition in book.indicators.items()}


def _months(
    service: Platform, history: list[dict[str, Any]], dims: list[dict[str, Any]], instant: datetime | None, year: int
) -> list[dict[str, Any]]:
    """Each month's end of the evaluation ``year`` (from the first score recorded, if later
    than January) up to ``instant`` or today: the year's months, whatever is recorded after it."""
    if not history:
        return []
    cap = beijing_date(instant or service.ledger.clock())
    first = max(beijing_date(from_micros(min(int(row["from_us"]) for row in history))), date(year, 1, 1))
    last = min(date(year, 12, 31), cap)
    if first > last:
        return []
    points = []
    for day in steps(first, last, "month"):
        moment = end_of_day(service, day) if instant is None else min(end_of_day(service, day), instant)
        standing = leader.standing_at(history, micros(moment))
        total = standing.get("total")
        points.append({
            "day": day, "label": f"{day.year}年{day.month}月",
            "total": _exact(total["score"]) if total else None,
            "scores": {d["code"]: _exact(standing[d["code"]]["score"]) if d["code"] in standing else None
                       for d in dims},
        })  # fmt: skip
    return points


def _comparison(
    card: dict[str, Any], everyone: list[dict[str, Any]], dims: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], int]:
    region = card["region"]
    peers = [row for row in everyone if row["region"] == region]
    rows = []
    for dim in dims:
        scores = [Decimal(row["score"]) for row in peers if row["code"] == dim["code"]]
        own = next(n for n in card["nodes"] if n["code"] == dim["code"])
        rows.append({
            "code": dim["code"], "name": dim["name"], "score": own["score"], "max": own["max"],
            "node": own,
            "mean": round2(sum(scores, Decimal(0)) / len(scores)) if scores else None,
            "best": round2(max(scores)) if scores else None,
        })  # fmt: skip
    return rows, len({row["county"] for row in peers})


def _exact(text: str | None) -> Decimal | None:
    return None if text is None else round2(Decimal(text))
