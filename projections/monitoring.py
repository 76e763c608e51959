"""The monitoring read model: the temporal facts behind the collection schedule and the
early warnings (跟踪数据采集预警), and the questions asked of it.

A row says: from recorded instant ``from_us`` until ``to_us`` (open while current), this
fact of a county's year stood like this. ``since_us`` is when the fact's condition (nothing
received, unconfirmed, unanswered, behind the path) began, carried across rows while it
holds without a break, so that a warning's ``raised_at`` survives changes of its figures.
Each event's facts are computed from the county as it stood after that event, so the model
is a function of the log and a rebuild gives it back row for row. A data or feedback event
touches one indicator's facts; a structural one (scheme, indicator definitions) the year.

Warnings are judged when read: the facts standing at ``as_of`` (``from_us <= as_of <
to_us``), on the Beijing day ``at``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import orjson

from domain.collection import STATUSES, beijing_date, has_ended, start_of_day, status
from domain.county import County
from domain.warnings import (
    FACT_KIND,
    KINDS,
    LEVEL_RANK,
    LEVELS,
    WARNING_KIND,
    Fact,
    FactKey,
    Warning,
    facts,
    in_scope,
    judge,
    level_dates,
    worst,
)
from projections.runner import CachedSource, Projection
from projections.store import ReadStore, Sql
from projections.temporal import instant, micros

COLUMNS = ("county", "year", "kind", "indicator", "period", "pending", "ripe", "since_us", "data", "from_us",
           "to_us", "version", "position", "orange_from", "red_from", "dimension")  # fmt: skip
FACT_FIELDS = "f.county, f.year, f.kind, f.indicator, f.period, f.pending, f.ripe, f.since_us, f.data"
KIND_ORDER = {FACT_KIND[kind]: index for index, kind in enumerate(KINDS)}  # as Warning.sort_key orders kinds
VALID_AT = "f.from_us <= %s AND (f.to_us IS NULL OR f.to_us > %s)"
# Events that change no fact: scores, points, weights, batch receipts, action plans, proposals
# (an approved one is followed by its own event). (Closing a
# period waives what it still owed.)
INERT = frozenset({"ScoreOverridden", "OverrideRevoked", "PointsAdjusted", "PointsRevoked", "WeightsAdjusted",
                   "BatchReceived", "ActionPlanRecorded",
                   "ChangeProposed", "ProposalApproved", "ProposalRejected", "ProposalWithdrawn"})  # fmt: skip
# Events that may change the shape of a year: every fact of it is recomputed.
STRUCTURAL = frozenset({"Enrolled", "SchemeAdopted", "IndicatorDefined", "IndicatorRevised", "IndicatorRetired"})

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
    )
    clear = ("DELETE FROM warning_facts",)

    def __init__(self, maxsize: int = 500) -> None:
        # Our own folded counties: we need the state after every event, and must not
        # mutate the aggregates the score projections share through the CachedSource.
        self._states: OrderedDict[UUID, _State] = OrderedDict()
        self.maxsize = maxsize

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
    period (None: all). A data or feedback event moves one indicator's period and its path."""
    kind = type(event).__name__
    if kind in INERT:
        return []
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
    groups = before.values() if indicators is None else [before.get(code, {}) for code in indicators]
    for group in groups:
        for key in [key for key in group if in_scope(key, indicators, period) and key not in now]:
            _close(pending, (code, year, key), at)
            del group[key]
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
        _, orange, red = level_dates(fact, instant(since))
        row = [code, year, fact.kind, fact.indicator, fact.period, 1 if fact.pending else 0, fact.ripe, since,
               _data(fact), at, None, event.originator_version, position, orange, red,
               fact.data.get("dimension") or fact.indicator]  # fmt: skip
        pending.rows.append(row)
        pending.open[(code, year, key)] = row


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


# ------------------------------------------------------------------------------ queries


@dataclass(frozen=True)
class Filters:
    county: str | None = None
    region: str | None = None
    year: int | None = None
    kind: str | None = None
    level: str | None = None
    indicator: str | None = None
    visible: frozenset[str] | None = None  # None: every county


def _standing(
    store: ReadStore,
    at_us: int | None,
    filters: Filters,
    where: Sequence[str],
    params: Sequence[Any],
    extra: str = "",
) -> list[dict[str, Any]]:
    """Facts standing at ``at_us`` (None: now), with their county's name and region (and ``extra`` columns)."""
    conditions, values = list(where), list(params)
    if at_us is None:
        conditions.append("f.to_us IS NULL")
    else:
        conditions.append(VALID_AT)
        values += [at_us, at_us]
    _narrow(filters, conditions, values)
    rows = store.query(
        f"SELECT {FACT_FIELDS}{extra}, c.name AS county_name, c.region FROM warning_facts f"
        f" JOIN county_list c ON c.code = f.county WHERE {' AND '.join(conditions)}",
        values,
    )
    return [row for row in rows if filters.visible is None or row["county"] in filters.visible]


@dataclass(frozen=True)
class Found:
    warning: Warning
    county_name: str
    region: str
    year: int


@dataclass(frozen=True)
class Page:
    total: int
    levels: dict[str, int]
    found: list[Found]


def warnings(store: ReadStore, at: date, at_us: int | None, filters: Filters) -> list[Found]:
    """Every warning standing at ``at_us`` judged on day ``at``: red first, then county, indicator, period."""
    return warning_page(store, at, at_us, filters).found


def warning_page(
    store: ReadStore, at: date, at_us: int | None, filters: Filters, offset: int = 0, limit: int | None = None
) -> Page:
    """One page of the warnings, with the total and the count per level of all of them.

    Levels and order come from the days stored with each fact, so only the page's warnings
    are judged in words: a platform-wide list of 15,000 stays cheap to page through.
    """
    where, params = ["f.pending = 1", "f.ripe <= %s", "f.since_us < %s"], [at.isoformat(), _day_after(at)]
    if filters.kind is not None:
        where.append("f.kind = %s")
        params.append(FACT_KIND[filters.kind])
    day = at.isoformat()
    ranked = []
    for row in _standing(store, at_us, filters, where, params, extra=", f.orange_from, f.red_from"):
        level = "red" if row["red_from"] <= day else "orange" if row["orange_from"] <= day else "yellow"
        if filters.level is None or level == filters.level:
            order = (LEVEL_RANK[level], row["county"], row["indicator"], row["period"], KIND_ORDER[row["kind"]])
            ranked.append((order, level, row))
    ranked.sort(key=lambda item: item[0])
    levels = dict.fromkeys(LEVEL_RANK, 0)
    for _, level, _ in ranked:
        levels[level] += 1
    chosen = ranked[offset:] if limit is None else ranked[offset : offset + limit]
    found = []
    for _, _, row in chosen:
        warning = judge(row["county"], fact_of(row), instant(int(row["since_us"])), at)
        if warning is not None:  # judged from the same days as the level above
            found.append(Found(warning, row["county_name"], row["region"], int(row["year"])))
    return Page(len(ranked), levels, found)


def _narrow(filters: Filters, conditions: list[str], values: list[Any]) -> None:
    """The filters' county, indicator, year and region as SQL conditions on facts ``f`` and counties ``c``."""
    for column, value in (("f.county", filters.county), ("f.indicator", filters.indicator), ("f.year", filters.year),
                          ("c.region", filters.region)):  # fmt: skip
        if value is not None:
            conditions.append(f"{column} = %s")
            values.append(value)


def _day_after(at: date) -> int:
    """The first instant after Beijing day ``at``: conditions that began later are no warning on it."""
    return micros(start_of_day(at + timedelta(days=1)))


def has_year(store: ReadStore, code: str, year: int, at_us: int | None) -> bool:
    """Whether the county had the scheme of ``year`` at ``at_us`` (its dimensions stood)."""
    rows = _standing(store, at_us, Filters(county=code, year=year), ["f.kind = %s"], ["dimension"])
    return bool(rows)


def schedule(store: ReadStore, code: str, year: int, at: date, at_us: int | None) -> list[dict[str, Any]]:
    """Each submission owed for a period over by day ``at``, with its deadline and status."""
    rows = _standing(store, at_us, Filters(county=code, year=year), ["f.kind = %s"], ["expected"])
    entries = []
    for row in rows:
        if not has_ended(row["period"], at):
            continue
        data = orjson.loads(row["data"])
        received = None if data["received_at"] is None else datetime.fromisoformat(data["received_at"])
        due = date.fromisoformat(data["due"])
        entries.append({
            "indicator": row["indicator"], "name": data["name"], "department": data["department"],
            "person": data["person"], "frequency": data["frequency"], "period": row["period"], "due": due,
            "status": status(due, received, at, bool(data.get("waived"))), "received_at": received,
        })  # fmt: skip
    entries.sort(key=lambda entry: (entry["due"], entry["indicator"], entry["period"]))
    return entries


def status_counts(entries: Iterable[dict[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for entry in entries:
        counts[entry["status"]] += 1
    return counts


def grid(store: ReadStore, year: int, at: date, at_us: int | None, visible: frozenset[str] | None) -> dict[str, Any]:
    """Region × county × dimension: the worst level in each cell, and counts per level and kind.

    Levels are counted in SQL from the days each fact turns yellow, orange and red."""
    filters = Filters(year=year, visible=visible)
    columns = _standing(store, at_us, filters, ["f.kind = %s"], ["dimension"])
    counties: dict[str, dict[str, Any]] = {}
    for row in sorted(columns, key=lambda r: (r["region"], r["county"], int(orjson.loads(r["data"])["ordinal"]))):
        county = counties.setdefault(row["county"], {"county": row["county"], "county_name": row["county_name"],
                                                     "region": row["region"], "cells": {}})  # fmt: skip
        county["cells"][row["indicator"]] = _cell(row["indicator"], orjson.loads(row["data"])["name"])
    day = at.isoformat()
    valid, values = ("f.to_us IS NULL", []) if at_us is None else (VALID_AT, [at_us, at_us])
    counted = store.query(
        "SELECT f.county, f.dimension, f.kind, COUNT(*) AS total,"
        " SUM(CASE WHEN f.red_from <= %s THEN 1 ELSE 0 END) AS red,"
        " SUM(CASE WHEN f.red_from > %s AND f.orange_from <= %s THEN 1 ELSE 0 END) AS orange"
        f" FROM warning_facts f WHERE f.pending = 1 AND f.ripe <= %s AND f.since_us < %s AND f.year = %s AND {valid}"
        " GROUP BY f.county, f.dimension, f.kind",
        [day, day, day, day, _day_after(at), year, *values],
    )
    for row in counted:
        owner = counties.get(row["county"])
        if owner is None:  # not visible to the caller, or no scheme of the year then
            continue
        cell = owner["cells"].setdefault(row["dimension"], _cell(row["dimension"], row["dimension"]))
        red, orange, total = int(row["red"]), int(row["orange"]), int(row["total"])
        for level, count in (("red", red), ("orange", orange), ("yellow", total - red - orange)):
            cell["levels"][level] += count
        cell["kinds"][WARNING_KIND[row["kind"]]] += total
        cell["total"] += total
    for county in counties.values():
        for cell in county["cells"].values():
            cell["worst"] = worst([level for level in LEVELS if cell["levels"][level]])
        county["cells"] = list(county["cells"].values())
    return {"counties": list(counties.values())}


def _cell(code: str, name: str) -> dict[str, Any]:
    return {"dimension": code, "dimension_name": name, "worst": None, "total": 0,
            "levels": dict.fromkeys(LEVELS, 0), "kinds": dict.fromkeys(FACT_KIND, 0)}  # fmt: skip


def history(store: ReadStore, filters: Filters, now: datetime) -> list[dict[str, Any]]:
    """Every warning raised by ``now``: when it was raised and when it cleared (None while it stands).

    A warning is a run of a fact's rows whose condition held without a break (one
    ``since_us``); it is raised once ripe and clears when the run ends."""
    conditions: list[str] = ["f.pending = 1", "f.from_us <= %s"]
    values: list[Any] = [micros(now)]
    if filters.kind is not None:
        conditions.append("f.kind = %s")
        values.append(FACT_KIND[filters.kind])
    _narrow(filters, conditions, values)
    rows = store.query(
        f"SELECT {FACT_FIELDS}, f.from_us, f.to_us, c.name AS county_name, c.region FROM warning_facts f"
        f" JOIN county_list c ON c.code = f.county WHERE {' AND '.join(conditions)}"
        " ORDER BY f.county, f.year, f.kind, f.indicator, f.period, f.from_us",
        values,
    )
    runs: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in rows:
        if filters.visible is None or row["county"] in filters.visible:
            key = (row["county"], row["year"], row["kind"], row["indicator"], row["period"], row["since_us"])
            runs.setdefault(key, []).append(row)
    entries = []
    now_us = micros(now)
    for run in runs.values():
        entry = _run_warning(run, now, now_us)
        if entry is not None and (filters.level is None or entry["warning"].level == filters.level):
            entries.append(entry)
    entries.sort(key=lambda e: (e["warning"].raised_at, e["warning"].sort_key()))
    return entries


def _run_warning(run: list[dict[str, Any]], now: datetime, now_us: int) -> dict[str, Any] | None:
    last_end = run[-1]["to_us"]
    cleared = None if last_end is None or int(last_end) > now_us else instant(int(last_end))
    judged: list[Warning] = []
    for row in run:
        end = now if row["to_us"] is None or int(row["to_us"]) > now_us else instant(int(row["to_us"]))
        warning = judge(row["county"], fact_of(row), instant(int(row["since_us"])), beijing_date(end))
        if warning is not None and (warning.raised_at < end or row["to_us"] is None):
            judged.append(warning)
    if not judged:
        return None
    level = worst([warning.level for warning in judged])
    latest = judged[-1]
    if cleared is not None and latest.raised_at >= cleared:
        return None
    return {"warning": latest, "level": level, "cleared_at": cleared, "county_name": run[0]["county_name"],
            "region": run[0]["region"], "year": int(run[0]["year"])}  # fmt: skip
