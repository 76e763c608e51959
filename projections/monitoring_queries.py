"""The questions asked of the monitoring read model (``projections.monitoring``): the
warnings standing at an instant and judged on a day, a page of them, the grid (region ×
county × dimension), a county's collection schedule, and the history of warnings.

Warnings are judged when read: the facts standing at ``as_of`` (``from_us <= as_of <
to_us``), on the Beijing day ``at``. Each function reads through a ``View``: the caller
opens one ``ReadStore.snapshot()`` per answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import orjson

from domain.collection import STATUSES, beijing_date, has_ended, start_of_day, status
from domain.commands import REGION_LABELS
from domain.rectification_warnings import NO_DIMENSION, NO_DIMENSION_NAME
from domain.warnings import FACT_KIND, KINDS, LEVEL_RANK, LEVELS, WARNING_KIND, Warning, judge, worst
from projections.monitoring import FACT_FIELDS, fact_of
from projections.store import View
from projections.temporal import instant, micros

KIND_ORDER = {FACT_KIND[kind]: index for index, kind in enumerate(KINDS)}  # as Warning.sort_key orders kinds
VALID_AT = "f.from_us <= %s AND (f.to_us IS NULL OR f.to_us > %s)"
# Columns of the grid that are no dimension: rectification items that name no indicator.
COLUMN_NAMES = {NO_DIMENSION: NO_DIMENSION_NAME}


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
    view: View,
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
    rows = view.execute(
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


def warnings(view: View, at: date, at_us: int | None, filters: Filters) -> list[Found]:
    """Every warning standing at ``at_us`` judged on day ``at``: red first, then county, indicator, period."""
    return warning_page(view, at, at_us, filters).found


def warning_page(
    view: View, at: date, at_us: int | None, filters: Filters, offset: int = 0, limit: int | None = None
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
    for row in _standing(view, at_us, filters, where, params, extra=", f.orange_from, f.red_from"):
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


def has_year(view: View, code: str, year: int, at_us: int | None) -> bool:
    """Whether the county had the scheme of ``year`` at ``at_us`` (its dimensions stood)."""
    rows = _standing(view, at_us, Filters(county=code, year=year), ["f.kind = %s"], ["dimension"])
    return bool(rows)


def schedule(view: View, code: str, year: int, at: date, at_us: int | None) -> list[dict[str, Any]]:
    """Each submission owed for a period over by day ``at``, with its deadline and status."""
    rows = _standing(view, at_us, Filters(county=code, year=year), ["f.kind = %s"], ["expected"])
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


def grid(view: View, year: int, at: date, at_us: int | None, visible: frozenset[str] | None) -> dict[str, Any]:
    """Region × county × dimension: the worst level in each cell, and counts per level and kind.

    Levels are counted in SQL from the days each fact turns yellow, orange and red."""
    filters = Filters(year=year, visible=visible)
    columns = _standing(view, at_us, filters, ["f.kind = %s"], ["dimension"])
    counties: dict[str, dict[str, Any]] = {}
    for row in sorted(columns, key=lambda r: (r["region"], r["county"], int(orjson.loads(r["data"])["ordinal"]))):
        county = counties.setdefault(row["county"], {"county": row["county"], "county_name": row["county_name"],
                                                     "region": row["region"], "cells": {}})  # fmt: skip
        county["cells"][row["indicator"]] = _cell(row["indicator"], orjson.loads(row["data"])["name"])
    day = at.isoformat()
    valid, values = ("f.to_us IS NULL", []) if at_us is None else (VALID_AT, [at_us, at_us])
    counted = view.execute(
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
        name = COLUMN_NAMES.get(row["dimension"], row["dimension"])
        cell = owner["cells"].setdefault(row["dimension"], _cell(row["dimension"], name))
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


def grid_by_region(
    view: View, year: int, at: date, at_us: int | None, visible: frozenset[str] | None
) -> dict[str, Any]:
    """The grid grouped by region (east, central, west first), each county and region with its
    worst level and counts, and the whole grid's counts: what the API and the pages show."""
    regions: dict[str, dict[str, Any]] = {}
    cells = 0
    overall = dict.fromkeys(LEVELS, 0)
    for county in grid(view, year, at, at_us, visible)["counties"]:
        region = regions.setdefault(county["region"], {
            "region": county["region"], "region_label": REGION_LABELS.get(county["region"], county["region"]),
            "worst": None, "levels": dict.fromkeys(LEVELS, 0), "counties": [],
        })  # fmt: skip
        levels = dict.fromkeys(LEVELS, 0)
        for cell in county["cells"]:
            cells += 1
            for name, count in cell["levels"].items():
                levels[name] += count
        for name, count in levels.items():
            region["levels"][name] += count
            overall[name] += count
        county["worst"] = _worst(levels)
        county["total"] = sum(levels.values())
        del county["region"]
        region["counties"].append(county)
    for region in regions.values():
        region["worst"] = _worst(region["levels"])
    ordered = [regions[name] for name in REGION_LABELS if name in regions]
    ordered += [region for name, region in sorted(regions.items()) if name not in REGION_LABELS]
    return {"year": year, "at": at.isoformat(), "cells": cells, "levels": overall, "regions": ordered}


def _worst(levels: dict[str, int]) -> str | None:
    return worst([level for level, count in levels.items() if count])


def _cell(code: str, name: str) -> dict[str, Any]:
    return {"dimension": code, "dimension_name": name, "worst": None, "total": 0,
            "levels": dict.fromkeys(LEVELS, 0), "kinds": dict.fromkeys(FACT_KIND, 0)}  # fmt: skip


def history(view: View, filters: Filters, now: datetime) -> list[dict[str, Any]]:
    """Every warning raised by ``now``: when it was raised and when it cleared (None while it stands).

    A warning is a run of a fact's rows whose condition held without a break (one
    ``since_us``); it is raised once ripe and clears when the run ends."""
    conditions: list[str] = ["f.pending = 1", "f.from_us <= %s"]
    values: list[Any] = [micros(now)]
    if filters.kind is not None:
        conditions.append("f.kind = %s")
        values.append(FACT_KIND[filters.kind])
    _narrow(filters, conditions, values)
    rows = view.execute(
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
