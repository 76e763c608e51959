"""The current-scores read model (per county, year and node) and the county list."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

import orjson

from domain.county import SCORELESS_EVENTS, County
from domain.scoring import Scorecard, score_year
from projections.runner import CachedSource, Projection
from projections.store import Sql

NODE_COLUMNS = (
    "county, year, ordinal, code, name, parent, level, kind, value, computed, score, max,"
    " overridden, authority, override_id"
)


def text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


class CountyListProjection(Projection):
    name = "counties"
    tables = (
        "CREATE TABLE IF NOT EXISTS county_list (code TEXT PRIMARY KEY, name TEXT NOT NULL,"
        " province TEXT NOT NULL, region TEXT NOT NULL, schemes TEXT NOT NULL,"
        " enrolled_at TEXT NOT NULL, stream TEXT NOT NULL)",
    )
    clear = ("DELETE FROM county_list",)

    def process(self, sql: Sql, events: list[tuple[int, Any]], source: CachedSource) -> None:
        for _, event in events:
            if isinstance(event, County.Enrolled):
                schemes = {str(event.scheme.year): event.scheme.id}
                sql.execute(
                    "INSERT INTO county_list (code, name, province, region, schemes, enrolled_at, stream)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    [
                        event.code,
                        event.name,
                        event.province,
                        event.region,
                        orjson.dumps(schemes).decode(),
                        event.timestamp.isoformat(),
                        event.originator_id.hex,
                    ],
                )
            elif isinstance(event, County.SchemeAdopted):
                rows = sql.execute("SELECT schemes FROM county_list WHERE stream = %s", [event.originator_id.hex])
                schemes = orjson.loads(rows[0]["schemes"])
                schemes[str(event.scheme.year)] = event.scheme.id
                sql.execute(
                    "UPDATE county_list SET schemes = %s WHERE stream = %s",
                    [orjson.dumps(schemes, option=orjson.OPT_SORT_KEYS).decode(), event.originator_id.hex],
                )


class ScoresProjection(Projection):
    """Recomputes the scorecard of every (county, year) a batch touched."""

    name = "scores"
    tables = (
        "CREATE TABLE IF NOT EXISTS node_scores (county TEXT NOT NULL, year INTEGER NOT NULL,"
        " ordinal INTEGER NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL, parent TEXT,"
        " level INTEGER NOT NULL, kind TEXT NOT NULL, value TEXT, computed TEXT NOT NULL,"
        " score TEXT NOT NULL, max TEXT NOT NULL, overridden INTEGER NOT NULL, authority TEXT,"
        " override_id TEXT, PRIMARY KEY (county, year, code))",
        "CREATE TABLE IF NOT EXISTS county_totals (county TEXT NOT NULL, year INTEGER NOT NULL,"
        " name TEXT NOT NULL, region TEXT NOT NULL, province TEXT NOT NULL, total TEXT NOT NULL,"
        " computed_total TEXT NOT NULL, bonus TEXT NOT NULL, penalty TEXT NOT NULL, grade TEXT NOT NULL,"
        " overridden INTEGER NOT NULL, authority TEXT, composites TEXT NOT NULL, version BIGINT NOT NULL,"
        " PRIMARY KEY (county, year))",
    )
    clear = ("DELETE FROM node_scores", "DELETE FROM county_totals")

    def process(self, sql: Sql, events: list[tuple[int, Any]], source: CachedSource) -> None:
        versions: dict[UUID, int] = {}
        # The version of the last event that may have moved each year's card (a year None: all of
        # them), recorded with it: the rows then do not depend on how the log is cut into batches.
        scored: dict[UUID, dict[str | None, int]] = {}
        touched: dict[UUID, set[str] | None] = {}  # None: every year
        for _, event in events:
            if not isinstance(event, County.Event):
                continue
            stream = event.originator_id
            versions[stream] = max(versions.get(stream, 0), event.originator_version)
            years = touched.setdefault(stream, set())
            if isinstance(event, SCORELESS_EVENTS):
                continue  # read at the latest version (the one cached), but no year to rescore
            year = _year_of(event)
            scored.setdefault(stream, {})[year] = event.originator_version
            if years is None:
                continue
            if year is None:
                touched[stream] = None
            else:
                years.add(year)
        for stream, years in touched.items():
            version = versions[stream]
            county = source.aggregate(stream, version)
            cards = source.derived(stream, version).get("cards", {})
            moved = scored.get(stream, {})
            for year in sorted(county.years) if years is None else sorted(years):
                card = cards.get(year) or score_year(county.years[year])
                write_scorecard(sql, county, card, max(moved.get(year, 0), moved.get(None, 0)))


def _year_of(event: County.Event) -> str | None:
    """The scheme year an event changes, or None when it may change any."""
    year = getattr(event, "year", None)
    if year is not None:
        return str(year)
    period = getattr(event, "period", None)
    if period is not None:
        return str(period)[:4]
    return None


def write_scorecard(sql: Sql, county: County, card: Scorecard, version: int) -> None:
    """The card's rows; ``version``: that of the county's last event that may have moved it (not
    the county's own, which later scoreless events raise: the rows must not depend on how the
    log was cut into batches)."""
    sql.execute("DELETE FROM node_scores WHERE county = %s AND year = %s", [county.code, card.year])
    sql.many(
        f"INSERT INTO node_scores ({NODE_COLUMNS}) VALUES ({', '.join(['%s'] * 15)})",
        [
            [
                county.code,
                card.year,
                ordinal,
                node.code,
                node.name,
                node.parent,
                node.level,
                node.kind,
                text(node.value),
                text(node.computed),
                text(node.score),
                text(node.max),
                1 if node.overridden else 0,
                node.override.authority if node.override else None,
                node.override.id if node.override else None,
            ]
            for ordinal, node in enumerate(card.nodes)
        ],
    )
    sql.execute("DELETE FROM county_totals WHERE county = %s AND year = %s", [county.code, card.year])
    composites = {code: text(value) for code, value in card.composites.items()}
    sql.execute(
        "INSERT INTO county_totals (county, year, name, region, province, total, computed_total, bonus,"
        " penalty, grade, overridden, authority, composites, version)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        [
            county.code,
            card.year,
            county.name,
            county.region,
            county.province,
            str(card.total),
            str(card.computed_total),
            str(card.bonus),
            str(card.penalty),
            card.grade,
            1 if card.total_override else 0,
            card.total_override.authority if card.total_override else None,
            orjson.dumps(composites, option=orjson.OPT_SORT_KEYS).decode(),
            version,
        ],
    )
