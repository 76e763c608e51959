"""Questions the read models answer: county list, scorecards, rankings, history, events.

Current answers read the current-scores model; "as of" answers read the temporal model
(rows valid at the instant). Both are shaped by the same functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import orjson

from domain.decimals import round2
from projections.store import ReadStore
from projections.temporal import TOTAL, instant

NODE_FIELDS = "code, name, parent, level, kind, value, computed, score, max, overridden, authority, override_id"
VALID_AT = "from_us <= %s AND (to_us IS NULL OR to_us > %s)"


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


def county(store: ReadStore, code: str) -> dict[str, Any] | None:
    rows = store.query(
        "SELECT code, name, province, region, enrolled_at, stream FROM county_list WHERE code = %s", [code]
    )
    return rows[0] if rows else None


def scorecard(store: ReadStore, code: str, year: int) -> dict[str, Any] | None:
    """A county's scores for a year, numbers rounded to two places; None if unknown."""
    totals = store.query("SELECT * FROM county_totals WHERE county = %s AND year = %s", [code, year])
    if not totals:
        return None
    total = totals[0]
    nodes = store.query(
        f"SELECT {NODE_FIELDS} FROM node_scores WHERE county = %s AND year = %s ORDER BY ordinal", [code, year]
    )
    summary = {key: total[key] for key in ("total", "computed_total", "bonus", "penalty", "grade", "authority")}
    summary["composites"] = orjson.loads(total["composites"])
    summary["overridden"] = total["overridden"]
    return _card(code, total["name"], total["region"], year, summary, nodes)


def scorecard_as_of(store: ReadStore, code: str, year: int, at_us: int) -> dict[str, Any] | None:
    """The scorecard as the platform knew it at ``at_us``; None if it had none then."""
    rows = store.query(
        f"SELECT {NODE_FIELDS}, detail FROM score_history WHERE county = %s AND year = %s AND {VALID_AT}"
        " ORDER BY ordinal",
        [code, year, at_us, at_us],
    )
    total = next((row for row in rows if row["code"] == TOTAL), None)
    meta = county(store, code)
    if total is None or meta is None:
        return None
    return _card(code, meta["name"], meta["region"], year, _summary(total), [r for r in rows if r["code"] != TOTAL])


def _summary(total: dict[str, Any]) -> dict[str, Any]:
    detail = orjson.loads(total["detail"])
    return {
        "total": total["score"],
        "computed_total": detail["computed_total"],
        "bonus": detail["bonus"],
        "penalty": detail["penalty"],
        "grade": detail["grade"],
        "authority": total["authority"],
        "overridden": total["overridden"],
        "composites": detail["composites"],
    }


def _card(
    code: str, name: str, region: str, year: int, summary: dict[str, Any], nodes: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "county": code,
        "name": name,
        "region": region,
        "year": year,
        "total": _round(summary["total"]),
        "computed_total": _round(summary["computed_total"]),
        "bonus": _round(summary["bonus"]),
        "penalty": _round(summary["penalty"]),
        "grade": summary["grade"],
        "total_overridden": bool(summary["overridden"]),
        "total_authority": summary["authority"],
        "composites": {key: _round(value) for key, value in summary["composites"].items()},
        "nodes": [_node(node) for node in nodes],
    }


def _node(node: dict[str, Any]) -> dict[str, Any]:
    return {
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


def rankings(store: ReadStore, year: int) -> list[dict[str, Any]]:
    """Every county's total and grade, ranked overall and within its region (ties share a rank)."""
    rows = store.query("SELECT county, name, region, province, total, grade FROM county_totals WHERE year = %s", [year])
    return rank(rows)


def rankings_as_of(store: ReadStore, year: int, at_us: int) -> list[dict[str, Any]]:
    rows = store.query(
        "SELECT h.county, c.name, c.region, c.province, h.score AS total, h.detail FROM score_history h"
        " JOIN county_list c ON c.code = h.county WHERE h.year = %s AND h.code = %s"
        " AND h.from_us <= %s AND (h.to_us IS NULL OR h.to_us > %s)",
        [year, TOTAL, at_us, at_us],
    )
    for row in rows:
        row["grade"] = orjson.loads(row.pop("detail"))["grade"]
    return rank(rows)


def rank(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    entries = [
        {"county": row["county"], "name": row["name"], "region": row["region"], "province": row["province"],
         "exact": Decimal(row["total"]), "grade": row["grade"]}
        for row in rows
    ]  # fmt: skip
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


def node_history(store: ReadStore, code: str, year: int, node: str, until_us: int | None) -> list[dict[str, Any]]:
    """Every change of a node's score in recorded order: when, before, after, and why; and
    every step of a change proposal about the node (its score unchanged until approved)."""
    statement = "SELECT score, from_us, cause FROM score_history WHERE county = %s AND year = %s AND code = %s"
    params: list[Any] = [code, year, node]
    if until_us is not None:
        statement += " AND from_us <= %s"
        params.append(until_us)
    changes: list[dict[str, Any]] = []
    before: str | None = None
    for row in store.query(statement + " ORDER BY version", params):
        cause = orjson.loads(row["cause"])
        if row["score"] == before and "proposal" not in cause:
            continue  # the node changed shape (a weight, a name), not its score
        changes.append(
            {
                "recorded_at": instant(int(row["from_us"])).isoformat(),
                "before": _round(before),
                "after": _round(row["score"]),
                "cause": cause,
            }
        )
        before = row["score"]
    return changes


def county_events(
    store: ReadStore,
    stream: str,
    types: Sequence[str],
    from_us: int | None,
    to_us: int | None,
    offset: int,
    limit: int,
) -> tuple[int, list[dict[str, Any]]]:
    """A page of a county's raw events, filtered by type and recorded-time range."""
    where: list[str] = ["stream = %s"]
    params: list[Any] = [stream]
    if types:
        where.append(f"type IN ({', '.join(['%s'] * len(types))})")
        params.extend(types)
    if from_us is not None:
        where.append("recorded_us >= %s")
        params.append(from_us)
    if to_us is not None:
        where.append("recorded_us <= %s")
        params.append(to_us)
    condition = " AND ".join(where)
    total = int(store.query(f"SELECT COUNT(*) AS n FROM county_events WHERE {condition}", params)[0]["n"])
    rows = store.query(
        "SELECT position, version, type, recorded_us, actor, correlation_id, reason, payload FROM county_events"
        f" WHERE {condition} ORDER BY version LIMIT %s OFFSET %s",
        [*params, limit, offset],
    )
    for row in rows:
        row["recorded_at"] = instant(int(row.pop("recorded_us"))).isoformat()
        row["payload"] = orjson.loads(row["payload"])
    return total, rows


def _round(value: str | None) -> Decimal | None:
    return None if value is None else round2(Decimal(value))
