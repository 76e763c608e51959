"""Questions the read models answer: the county list, a scorecard, the rankings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson

from domain.decimals import round2
from projections.store import ReadStore


def list_counties(store: ReadStore, region: str | None = None) -> list[dict[str, Any]]:
    statement = "SELECT code, name, province, region, schemes, enrolled_at FROM county_list"
    params: list[Any] = []
    if region:
        statement += " WHERE region = %s"
        params.append(region)
    rows = store.query(statement + " ORDER BY code", params)
    for row in rows:
        row["schemes"] = orjson.loads(row["schemes"])
    return rows


def scorecard(store: ReadStore, code: str, year: int) -> dict[str, Any] | None:
    """A county's scores for a year, numbers rounded to two places; None if unknown."""
    totals = store.query("SELECT * FROM county_totals WHERE county = %s AND year = %s", [code, year])
    if not totals:
        return None
    total = totals[0]
    nodes = store.query(
        "SELECT code, name, parent, level, kind, value, computed, score, max, overridden, authority, override_id"
        " FROM node_scores WHERE county = %s AND year = %s ORDER BY ordinal",
        [code, year],
    )
    return {
        "county": code,
        "name": total["name"],
        "region": total["region"],
        "year": year,
        "total": _round(total["total"]),
        "computed_total": _round(total["computed_total"]),
        "bonus": _round(total["bonus"]),
        "penalty": _round(total["penalty"]),
        "grade": total["grade"],
        "total_overridden": bool(total["overridden"]),
        "total_authority": total["authority"],
        "composites": {key: _round(value) for key, value in orjson.loads(total["composites"]).items()},
        "nodes": [
            {
                "code": node["code"],
                "name": node["name"],
                "parent": node["parent"],
                "level": int(node["level"]),
                "kind": node["kind"],
                "value": _round(node["value"]),
                "score": _round(node["score"]),
                "computed": _round(node["computed"]),
                "max": _round(node["max"]),
                "overridden": bool(node["overridden"]),
                "authority": node["authority"],
                "override_id": node["override_id"],
            }
            for node in nodes
        ],
    }


def rankings(store: ReadStore, year: int) -> list[dict[str, Any]]:
    """Every county's total and grade, ranked overall and within its region (ties share a rank)."""
    rows = store.query("SELECT county, name, region, province, total, grade FROM county_totals WHERE year = %s", [year])
    entries = [
        {
            "county": row["county"],
            "name": row["name"],
            "region": row["region"],
            "province": row["province"],
            "exact": Decimal(row["total"]),
            "grade": row["grade"],
        }
        for row in rows
    ]
    entries.sort(key=lambda entry: (-entry["exact"], entry["county"]))
    _rank(entries, "rank")
    for region in {entry["region"] for entry in entries}:
        _rank([entry for entry in entries if entry["region"] == region], "region_rank")
    for entry in entries:
        entry["total"] = round2(entry.pop("exact"))
    return entries


def _rank(ordered: list[dict[str, Any]], key: str) -> None:
    """Standard competition ranking on the two-place totals people see: 1, 2, 2, 4."""
    previous: Decimal | None = None
    for index, entry in enumerate(ordered, start=1):
        shown = round2(entry["exact"])
        if shown != previous:
            rank = index
        entry[key] = rank
        previous = shown


def _round(value: str | None) -> Decimal | None:
    return None if value is None else round2(Decimal(value))
