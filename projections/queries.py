"""Questions the read models answer: county list, scorecards, history, events (rankings: ``ranking_queries``).

Current answers read the current-scores model; "as of" answers read the temporal model
(rows valid at the instant). Both are shaped by the same functions.

Each function reads through a ``View``: the caller opens one ``ReadStore.snapshot()`` per
answer and asks every question of that answer inside it, so a total never comes from
one commit of a projection and its nodes from the next.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from decimal import Decimal
from typing import Any

import orjson

from domain.decimals import ZERO, round2
from domain.scheme import AUTHORITY_LABELS, DEFAULT_AUTHORITIES
from domain.scoring import counted_points
from projections.store import View
from projections.temporal import TOTAL, instant

NODE_FIELDS = "code, name, parent, level, kind, value, computed, score, max, overridden, authority, override_id"
VALID_AT = "from_us <= %s AND (to_us IS NULL OR to_us > %s)"


def positions(view: View) -> dict[str, int]:
    """The log position each projection had reached in the view's snapshot: the answer
    read in it reflects the log up to there."""
    rows = view.execute("SELECT name, position FROM projection_tracking")
    return {row["name"]: int(row["position"]) for row in rows}


def list_counties(view: View, region: str | None = None) -> list[dict[str, Any]]:
    statement = "SELECT code, name, province, region, schemes, enrolled_at FROM county_list"
    params: list[Any] = []
    if region:
        statement += " WHERE region = %s"
        params.append(region)
    rows = view.execute(statement + " ORDER BY code", params)
    for row in rows:
        row["schemes"] = orjson.loads(row["schemes"])
    return rows


def years_with_values(view: View, counties: Collection[str] | None = None) -> set[int]:
    """The scheme years in which ``counties`` (None: any county) have a value recorded."""
    statement = "SELECT DISTINCT year FROM node_scores WHERE value IS NOT NULL"
    params: list[Any] = []
    if counties is not None:
        chosen = sorted(counties)
        if not chosen:
            return set()
        statement += f" AND county IN ({', '.join(['%s'] * len(chosen))})"
        params += chosen
    return {int(row["year"]) for row in view.execute(statement, params)}


def county(view: View, code: str) -> dict[str, Any] | None:
    rows = view.execute(
        "SELECT code, name, province, region, enrolled_at, stream FROM county_list WHERE code = %s", [code]
    )
    return rows[0] if rows else None


def scorecard(view: View, code: str, year: int) -> dict[str, Any] | None:
    """A county's scores for a year, numbers rounded to two places; None if unknown."""
    totals = view.execute("SELECT * FROM county_totals WHERE county = %s AND year = %s", [code, year])
    if not totals:
        return None
    total = totals[0]
    nodes = view.execute(
        f"SELECT {NODE_FIELDS} FROM node_scores WHERE county = %s AND year = %s ORDER BY ordinal", [code, year]
    )
    summary = {key: total[key] for key in ("total", "computed_total", "bonus", "penalty", "grade", "authority")}
    summary["composites"] = orjson.loads(total["composites"])
    summary["overridden"] = total["overridden"]
    summary["override_id"] = _total_override_id(view, code, year)
    card = _card(code, total["name"], total["region"], year, summary, nodes)
    return _with_results(card, Results.read(view, code, year, None), nodes, summary)


def scorecard_as_of(view: View, code: str, year: int, at_us: int) -> dict[str, Any] | None:
    """The scorecard as the platform knew it at ``at_us``; None if it had none then."""
    rows = view.execute(
        f"SELECT {NODE_FIELDS}, detail FROM score_history WHERE county = %s AND year = %s AND {VALID_AT}"
        " ORDER BY ordinal",
        [code, year, at_us, at_us],
    )
    total = next((row for row in rows if row["code"] == TOTAL), None)
    meta = county(view, code)
    if total is None or meta is None:
        return None
    nodes = [r for r in rows if r["code"] != TOTAL]
    summary = _summary(total)
    card = _card(code, meta["name"], meta["region"], year, summary, nodes)
    return _with_results(card, Results.read(view, code, year, at_us), nodes, summary)


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
        "override_id": total["override_id"],
        "composites": detail["composites"],
    }


def _total_override_id(view: View, code: str, year: int) -> str | None:
    """The override standing for the total (the current totals row keeps only its authority)."""
    rows = view.execute(
        "SELECT override_id FROM score_history WHERE county = %s AND year = %s AND code = %s AND to_us IS NULL",
        [code, year, TOTAL],
    )
    return rows[0]["override_id"] if rows else None


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
        "authority_label": AUTHORITY_LABELS.get(node["authority"]) if node["authority"] else None,
        "override_id": node["override_id"],
    }


class Results:
    """The overrides and points of a county's year standing at an instant (or now), with
    the year's order of authorities and caps (``projections.results``)."""

    def __init__(self, rules: dict[str, Any] | None, overrides: list[dict[str, Any]], points: list[dict[str, Any]]):
        self.authorities: list[str] = orjson.loads(rules["authorities"]) if rules else list(DEFAULT_AUTHORITIES)
        self.bonus_cap = Decimal(rules["bonus_cap"]) if rules else ZERO
        self.penalty_cap = Decimal(rules["penalty_cap"]) if rules else ZERO
        self.overrides = {row["override_id"]: row for row in overrides}
        self.points = points

    @classmethod
    def read(cls, view: View, code: str, year: int, at_us: int | None) -> Results:
        meta = county(view, code)
        stream = meta["stream"] if meta else ""
        if at_us is None:
            valid, params = "revoked_version IS NULL", [stream, year]
        else:
            valid, params = (
                "recorded_us <= %s AND (revoked_us IS NULL OR revoked_us > %s)",
                [stream, year, at_us, at_us],
            )
        where = "stream = %s AND year = %s"
        rules = view.execute(f"SELECT * FROM result_rules WHERE {where}", [stream, year])
        return cls(
            rules[0] if rules else None,
            view.execute(
                f"SELECT * FROM score_overrides WHERE stream = %s AND year = %s AND {valid} ORDER BY version", params
            ),
            view.execute(
                f"SELECT * FROM point_adjustments WHERE stream = %s AND year = %s AND {valid} ORDER BY version", params
            ),
        )

    def beneath(self, node: str, standing: str | None, maximum: str) -> list[dict[str, Any]]:
        """The node's other overrides not revoked, in precedence (the higher authority first,
        the latest among equals), each saying whether it fits the node's maximum now."""
        order = {authority: index for index, authority in enumerate(self.authorities)}
        others = [row for row in self.overrides.values() if row["node"] == node and row["override_id"] != standing]
        others.sort(key=lambda row: (order.get(row["authority"], len(order)), -int(row["version"])))
        return [describe(row) | {"fits": Decimal(row["score"]) <= Decimal(maximum)} for row in others]

    def adjustments(self) -> list[dict[str, Any]]:
        amounts = [Decimal(row["points"]) for row in self.points]
        counted = counted_points(amounts, self.bonus_cap, self.penalty_cap)
        return [
            {
                "adjustment_id": row["adjustment_id"],
                "category": row["category"],
                "kind": "bonus" if amount > 0 else "penalty",
                "points": round2(amount),
                "counted": round2(share),
                "actor": row["actor"],
                "reason": row["reason"],
                "recorded_at": instant(int(row["recorded_us"])).isoformat(),
            }
            for row, amount, share in zip(self.points, amounts, counted, strict=True)
        ]


def describe(row: dict[str, Any]) -> dict[str, Any]:
    """An override as the answers show it: whose result, which, who recorded it, why, when."""
    return {
        "source": "override",
        "score": _round(row["score"]),
        "override_id": row["override_id"],
        "authority": row["authority"],
        "authority_label": AUTHORITY_LABELS.get(row["authority"], row["authority"]),
        "actor": row["actor"],
        "reason": row["reason"],
        "recorded_at": instant(int(row["recorded_us"])).isoformat(),
    }


def _with_results(
    card: dict[str, Any], results: Results, nodes: Sequence[dict[str, Any]], summary: dict[str, Any]
) -> dict[str, Any]:
    """Adds whose result stands for each node and what stands beneath it, and the points."""
    for shown, node in zip(card["nodes"], nodes, strict=True):
        standing = results.overrides.get(node["override_id"]) if node["override_id"] else None
        shown["override"] = describe(standing) if standing else None
        shown["superseded"] = results.beneath(node["code"], node["override_id"], node["max"])
    total_id = summary.get("override_id")
    total = results.overrides.get(total_id) if total_id else None
    card["total_override"] = describe(total) if total else None
    card["total_superseded"] = results.beneath(TOTAL, total_id, "100")
    card["total_authority_label"] = AUTHORITY_LABELS.get(summary["authority"]) if summary["authority"] else None
    card["adjustments"] = results.adjustments()
    card["bonus_cap"] = round2(results.bonus_cap)
    card["penalty_cap"] = round2(results.penalty_cap)
    amounts = [Decimal(row["points"]) for row in results.points]
    card["bonus_before_cap"] = round2(sum((amount for amount in amounts if amount > 0), ZERO))
    card["penalty_before_cap"] = round2(ZERO - sum((amount for amount in amounts if amount < 0), ZERO))
    return card


# Points move the total's bonus or penalty even when the total, clamped at 0 or 100, stays:
# the total's history lists them all the same (why did the county lose 2 points?).
POINTS_EVENTS = ("PointsAdjusted", "PointsRevoked")


def _points_of(detail: str | None) -> tuple[Any, Any]:
    """The bonus and penalty a total's row carries (nothing for other nodes)."""
    if not detail:
        return None, None
    loaded = orjson.loads(detail)
    return loaded.get("bonus"), loaded.get("penalty")


def node_history(view: View, code: str, year: int, node: str, until_us: int | None) -> list[dict[str, Any]]:
    """Every change of a node's score, or of whose result stands for it, in recorded order:
    when, before, after, why, and the result standing afterwards. A revocation names what it
    revoked and, when that stood for the node, what it restored (ADR 19). Every step of a
    change proposal about the node is listed too (its score unchanged until approved)."""
    statement = (
        "SELECT score, override_id, detail, from_us, cause FROM score_history"
        " WHERE county = %s AND year = %s AND code = %s"
    )
    params: list[Any] = [code, year, node]
    if until_us is not None:
        statement += " AND from_us <= %s"
        params.append(until_us)
    rows = view.execute(statement + " ORDER BY version", params)
    meta = county(view, code)
    stream = meta["stream"] if meta else ""
    overrides = view.execute("SELECT * FROM score_overrides WHERE stream = %s AND year = %s", [stream, year])
    by_id = {row["override_id"]: row for row in overrides}
    revoked_at = {int(row["revoked_version"]): row for row in overrides if row["revoked_version"] is not None}
    points = view.execute(
        "SELECT * FROM point_adjustments WHERE stream = %s AND year = %s AND revoked_version IS NOT NULL",
        [stream, year],
    )
    points_revoked_at = {int(row["revoked_version"]): row for row in points}
    changes: list[dict[str, Any]] = []
    before: tuple[str | None, str | None] = (None, None)
    points_before: tuple[Any, Any] = (None, None)
    for row in rows:
        cause = orjson.loads(row["cause"])
        points_now = _points_of(row["detail"])
        points_moved = points_now != points_before and cause.get("event") in POINTS_EVENTS
        points_before = points_now
        if (row["score"], row["override_id"]) == before and "proposal" not in cause and not points_moved:
            continue  # the node changed shape (a weight, a name), not its score nor whose result stands
        standing = by_id.get(row["override_id"]) if row["override_id"] else None
        change: dict[str, Any] = {
            "recorded_at": instant(int(row["from_us"])).isoformat(),
            "before": _round(before[0]),
            "after": _round(row["score"]),
            "cause": cause,
            "standing": describe(standing) if standing else {"source": "computed", "score": _round(row["score"])},
            "revoked": None,
            "restored": None,
        }
        version = int(cause.get("version", 0))
        if cause.get("event") == "OverrideRevoked" and version in revoked_at:
            revoked = revoked_at[version]
            change["revoked"] = describe(revoked) | {"revoked_by": revoked["revoked_by"],
                                                     "revoke_reason": revoked["revoke_reason"]}  # fmt: skip
            if revoked["node"] == node and before[1] == revoked["override_id"]:
                change["restored"] = change["standing"]
        elif cause.get("event") == "PointsRevoked" and version in points_revoked_at:
            entry = points_revoked_at[version]
            change["revoked"] = {
                "source": "points", "score": None, "adjustment_id": entry["adjustment_id"],
                "points": _round(entry["points"]),
                "category": entry["category"], "actor": entry["actor"], "reason": entry["reason"],
                "recorded_at": instant(int(entry["recorded_us"])).isoformat(), "revoked_by": entry["revoked_by"],
                "revoke_reason": entry["revoke_reason"],
            }  # fmt: skip
        changes.append(change)
        before = (row["score"], row["override_id"])
    return changes


def county_events(
    view: View,
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
    total = int(view.execute(f"SELECT COUNT(*) AS n FROM county_events WHERE {condition}", params)[0]["n"])
    rows = view.execute(
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
