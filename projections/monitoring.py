"""The monitoring read model: the temporal facts behind the collection schedule and the
early warnings (跟踪数据采集预警). The questions asked of it are in
``projections.monitoring_queries``.

A row says: from recorded instant ``from_us`` until ``to_us`` (open while current), this
fact of a county's year stood like this. ``since_us`` is when the fact's condition (nothing
received, unconfirmed, unanswered, behind the path) began, carried across rows while it
holds without a break, so that a warning's ``raised_at`` survives changes of its figures.
Each event's facts are computed from the county as it stood after that event, so the model
is a function of the log and a rebuild gives it back row for row. A data or feedback event
touches one indicator's facts; a structural one (scheme, indicator definitions) the year.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from uuid import UUID

import orjson

from domain.county import County
from domain.warnings import NEVER, Fact, FactKey, facts, level_dates
from domain.warnings import RECTIFICATION as RECTIFICATION_FACT
from projections.runner import CachedSource, Projection
from projections.store import Sql
from projections.temporal import instant, micros

COLUMNS = ("county", "year", "kind", "indicator", "period", "pending", "ripe", "since_us", "data", "from_us",
           "to_us", "version", "position", "orange_from", "red_from", "dimension")  # fmt: skip
FACT_FIELDS = "f.county, f.year, f.kind, f.indicator, f.period, f.pending, f.ripe, f.since_us, f.data"
# Events that change no fact: scores, points, weights, batch receipts, action plans, proposals
# (an approved one is followed by its own event). (Closing a
# period waives what it still owed.)
INERT = frozenset({"ScoreOverridden", "OverrideRevoked", "PointsAdjusted", "PointsRevoked", "WeightsAdjusted",
                   "BatchReceived", "ActionPlanRecorded",
                   "ChangeProposed", "ProposalApproved", "ProposalRejected", "ProposalWithdrawn",
                   "ReportIssued", "ConsequenceDecided"})  # fmt: skip
# Events of rectification items: their facts are the year's (an item's indicator is no data's scope).
RECTIFICATION = frozenset(
    {
        "RectificationRaised",
        "RectificationPlanFiled",
        "RectificationProgressReported",
        "RectificationDeclaredDone",
        "RectificationVerified",
        "RectificationRejected",
    }
)
# Events that may change the shape of a year: every fact of it is recomputed.
STRUCTURAL = frozenset({"Enrolled", "SchemeAdopted", "IndicatorDefined", "IndicatorRevised", "IndicatorRetired"})

# The fact kinds no indicator's scope holds (``in_scope``), and the level days of a fact not pending.
OUTSIDE_INDICATORS = frozenset({"dimension", RECTIFICATION_FACT})
NOT_PENDING = (NEVER, NEVER)
YearFacts = dict[str, dict[FactKey, tuple[Fact, int]]]  # per indicator: each open fact with its since_us
Scope = tuple[str, set[str] | None, str | None]  # (year, indicators or None for all, period or None for all)


@dataclass
class _State:
    """A county as this projection last folded it, with its open facts per year."""

    version: int
    county: Any
    open: dict[str, YearFacts] = field(default_factory=dict)


@dataclass
class _Pending:
    rows: list[list[Any]] = field(default_factory=list)
    open: dict[tuple[str, int, FactKey], list[Any]] = field(default_factory=dict)
    closes: dict[tuple[str, int, FactKey], int] = field(default_factory=dict)


class MonitoringProjection(Projection):
    name = "monitoring"
    tables = (
        "CREATE TABLE IF NOT EXISTS warning_facts (county TEXT NOT NULL, year INTEGER NOT NULL, kind TEXT NOT NULL,"
        " indicator TEXT NOT NULL, period TEXT NOT NULL, pending INTEGER NOT NULL, ripe TEXT NOT NULL,"
        " since_us BIGINT NOT NULL, data TEXT NOT NULL, from_us BIGINT NOT NULL, to_us BIGINT,"
        " version BIGINT NOT NULL, position BIGINT NOT NULL, orange_from TEXT NOT NULL, red_from TEXT NOT NULL,"
        " dimension TEXT NOT NULL, PRIMARY KEY (county, year, kind, indicator, period, version))",
        # Closing a fact's open row, and current reads, find it here however long the history grows.
        "CREATE INDEX IF NOT EXISTS warning_facts_current ON warning_facts (county, year, kind, indicator, period)"
        " WHERE to_us IS NULL",
        # Warnings as of an instant read only the rows whose condition held.
        "CREATE INDEX IF NOT EXISTS warning_facts_pending ON warning_facts (year, from_us) WHERE pending = 1",
        # The grid of now counts the standing conditions only: a few among every one ever pending.
        "CREATE INDEX IF NOT EXISTS warning_facts_pending_now ON warning_facts (year)"
        " WHERE pending = 1 AND to_us IS NULL",
    )
    clear = ("DELETE FROM warning_facts",)

    def __init__(self, maxsize: int = 500) -> None:
        # Our own folded counties: we need the state after every event, and must not
        # mutate the aggregates the score projections share through the CachedSource.
        self._states: OrderedDict[UUID, _State] = OrderedDict()
        self.maxsize = maxsize

    def forget(self, streams: Iterable[UUID]) -> None:
        for stream in streams:
            self._states.pop(stream, None)

    def process(self, sql: Sql, events: list[tuple[int, Any]], source: CachedSource) -> None:
        pending = _Pending()
        streams: dict[UUID, list[tuple[int, Any]]] = {}
        for position, event in events:
            if isinstance(event, County.Event):
                streams.setdefault(event.originator_id, []).append((position, event))
        for stream, stream_events in streams.items():
            self._replay(sql, stream, stream_events, source, pending)
        _flush(sql, pending)

    def _state(self, sql: Sql, stream: UUID, version: int, source: CachedSource) -> _State:
        """The county at ``version`` and its open facts: ours if we hold it, else from the log and the table.

        A version check keeps this right after a failed batch or another process's work."""
        state = self._states.pop(stream, None)
        if state is not None and state.version == version:
            return state
        if version == 0:
            return _State(0, None)
        county: Any = source.source.aggregate(stream, version)  # a fresh copy, ours to mutate
        loaded = _State(version, county)
        for row in sql.execute(
            f"SELECT {FACT_FIELDS.replace('f.', '')} FROM warning_facts WHERE county = %s AND to_us IS NULL",
            [county.code],
        ):
            fact = fact_of(row)
            by_indicator = loaded.open.setdefault(str(row["year"]), {}).setdefault(fact.indicator, {})
            by_indicator[fact.key] = (fact, int(row["since_us"]))
        return loaded

    def _replay(
        self, sql: Sql, stream: UUID, events: list[tuple[int, Any]], source: CachedSource, pending: _Pending
    ) -> None:
        state = self._state(sql, stream, events[0][1].originator_version - 1, source)
        for position, event in events:
            state.county = event.mutate(state.county)
            state.version = event.originator_version
            for year, indicators, period in touched(event, state.county):
                book = state.county.years.get(year)
                now = facts(book, indicators, period) if book is not None else {}
                before = state.open.setdefault(year, {})
                _apply(state.county.code, int(year), before, now, (year, indicators, period), event, position, pending)
        self._states[stream] = state
        while len(self._states) > self.maxsize:
            self._states.popitem(last=False)


def touched(event: Any, county: County) -> list[Scope]:
    """The years an event may change, each with the indicators whose facts it moves and the
    period (None: all). A data or feedback event moves one indicator's period and its path; a
    rectification event the year (its items' facts come only with the whole year)."""
    kind = type(event).__name__
    if kind in INERT:
        return []
    if kind in RECTIFICATION:
        return [(str(event.year), None, None)]
    year = getattr(event, "year", None)
    if year is None and getattr(event, "period", None):
        year = str(event.period)[:4]
    indicator = getattr(event, "indicator", None)
    if kind not in STRUCTURAL and isinstance(indicator, str) and year is not None:
        period = getattr(event, "period", None)
        return [(str(year), {indicator}, period or None)]
    if kind == "SchemeAdopted":
        return [(str(event.scheme.year), None, None)]
    if year is not None:
        return [(str(year), None, None)]
    return [(name, None, None) for name in sorted(county.years)]


def _apply(
    code: str,
    year: int,
    before: YearFacts,
    now: dict[FactKey, Fact],
    scope: Scope,
    event: Any,
    position: int,
    pending: _Pending,
) -> None:
    at = micros(event.timestamp)
    _, indicators, period = scope
    for key in _gone(before, now, indicators, period):
        _close(pending, (code, year, key), at)
        del before[key[1]][key]
    for key, fact in now.items():
        group = before.setdefault(fact.indicator, {})
        previous = group.get(key)
        if previous is not None and previous[0] == fact:
            continue
        if previous is not None:
            _close(pending, (code, year, key), at)
        # The condition's start survives changes of figures while it holds.
        since = previous[1] if previous is not None and previous[0].pending and fact.pending else at
        group[key] = (fact, since)
        # The days it turns yellow, orange, red: the grid counts levels without judging each row.
        # (From the yellow day, "ripe", on a pending fact's row; the column keeps the fact's own ripe.)
        orange, red = level_dates(fact, _since(since))[1:] if fact.pending else NOT_PENDING
        row = [code, year, fact.kind, fact.indicator, fact.period, 1 if fact.pending else 0, fact.ripe, since,
               _data(fact), at, None, event.originator_version, position, orange, red,
               fact.data.get("dimension") or fact.indicator]  # fmt: skip
        pending.rows.append(row)
        pending.open[(code, year, key)] = row


# The instant of a condition's start: the same few for the many rows of a fact that stays pending.
_since = lru_cache(maxsize=8192)(instant)


def _gone(
    before: YearFacts, now: dict[FactKey, Fact], indicators: set[str] | None, period: str | None
) -> list[FactKey]:
    """The open facts in the scope that ``now`` no longer has (``in_scope`` inlined: a rebuild asks
    this once per event, of every fact of the indicator)."""
    if indicators is None:
        return [key for group in before.values() for key in group if key not in now]
    return [
        key
        for indicator in indicators
        for key in before.get(indicator, ())
        if (period is None or key[2] == period or key[0] == "off_track") and key[0] not in OUTSIDE_INDICATORS
        and key not in now
    ]  # fmt: skip


def _data(fact: Fact) -> str:
    return orjson.dumps(fact.data, option=orjson.OPT_SORT_KEYS).decode()


def _close(pending: _Pending, key: tuple[str, int, FactKey], at: int) -> None:
    row = pending.open.pop(key, None)
    if row is not None:
        row[10] = at
    elif key not in pending.closes:
        pending.closes[key] = at


def _flush(sql: Sql, pending: _Pending) -> None:
    sql.many(
        "UPDATE warning_facts SET to_us = %s WHERE county = %s AND year = %s AND kind = %s AND indicator = %s"
        " AND period = %s AND to_us IS NULL",
        [[at, county, year, *key] for (county, year, key), at in pending.closes.items()],
    )
    placeholders = ", ".join(["%s"] * len(COLUMNS))
    sql.many(f"INSERT INTO warning_facts ({', '.join(COLUMNS)}) VALUES ({placeholders})", pending.rows)


def fact_of(row: dict[str, Any]) -> Fact:
    return Fact(row["kind"], row["indicator"], row["period"], bool(row["pending"]), row["ripe"],
                orjson.loads(row["data"]))  # fmt: skip
