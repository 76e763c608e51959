"""The auditor's and the centre's reads: a node's timeline, what changed between two instants,
the chains, the organisation's record, the schemes, users and teams.

Read-model reads follow ``pages.reads``: the models can answer (503 otherwise), then one
snapshot per answer. An as-of read first makes its instant final (ADR 16: ``ledger.settle``
in a worker thread) and waits for the position that gives, as the API's ``reading_as_of``.
The chains, the schemes and the organisation are read from the log itself, as on the API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi.concurrency import run_in_threadpool

from domain.commands import REGION_LABELS
from domain.organisation import Grant, Organisation
from domain.organisation_rules import ROLE_LABELS
from domain.scheme import AUTHORITY_LABELS
from pages.people import display_names, who
from pages.writes import READ_WAIT_SECONDS
from projections import queries
from projections.catalog import HISTORY
from projections.causes import CAUSE_FIELDS, EVENT_LABELS, describe
from projections.progress import unavailable
from projections.temporal import TOTAL, micros
from ruraleval.audit import Verification, verify
from ruraleval.organisation_record import OrganisationChange, changes
from ruraleval.platform import Platform
from ruraleval.scheme_catalogue import SchemeEntry, published_schemes

TIMELINE = (*HISTORY, "county_events")  # score history, and the data events that moved no score
DATA_EVENTS = ("DataSubmitted", "DataCorrected", "SubmissionWithdrawn")
MOST_EVENTS = 500  # events listed between two instants (the count says how many there were)


def _stream(view: Any, code: str) -> str:
    """The county's stream id, by which the events read model keys its rows."""
    found = queries.county(view, code)
    return str(found["stream"]) if found else ""


# ---------------------------------------------------------------- a node's timeline


@dataclass
class Timeline:
    county: dict[str, Any]
    year: int
    node: str
    node_name: str
    nodes: list[dict[str, Any]]  # the year's nodes, for the picker
    entries: list[dict[str, Any]]


def timeline(service: Platform, meta: dict[str, Any], year: int, node: str) -> Timeline | None:
    """Every change of ``node``'s score (or of whose result stands for it), and, for an
    indicator, every value sent for it that moved no score; None if the year has no such node."""
    service.progress.require(TIMELINE)
    code = meta["code"]
    now_us = micros(service.ledger.clock())
    with service.reads.snapshot() as view:
        card = queries.scorecard_as_of(view, code, year, now_us)
        moves = queries.node_history(view, code, year, node, None)
        _, data = queries.county_events(view, _stream(view, code), DATA_EVENTS, None, None, 0, 100_000)
    if card is None:
        return None
    nodes = [{"code": TOTAL, "name": "总分", "level": 0}] + [
        {"code": n["code"], "name": n["name"], "level": n["level"]} for n in card["nodes"]
    ]
    named = {n["code"]: n["name"] for n in nodes}
    if node not in named:
        return None
    names = display_names(service.organisation.current())
    units = indicator_units(service, code, year)
    entries = [_moved(change, named, names, units) | _consequence(code, change) for change in moves]
    seen = {entry["version"] for entry in entries}
    entries += [
        _unmoved(row, names, units)
        for row in data
        if row["payload"].get("indicator") == node
        and str(row["payload"].get("period", "")).startswith(str(year))
        and int(row["version"]) not in seen
    ]
    entries.sort(key=lambda entry: (entry["recorded_at"], entry["version"]))
    return Timeline(meta, year, node, named[node], nodes, entries)


# Points a consequence recorded carry its id: ``<year>-C<n>-points`` (domain/consequences.py).
CONSEQUENCE_POINTS = re.compile(r"^((\d{4})-C\d+)-points$")


def _consequence(code: str, change: dict[str, Any]) -> dict[str, Any]:
    """The consequence behind points, with the page that shows it (none for other changes)."""
    cause = change["cause"]
    found = CONSEQUENCE_POINTS.match(str(cause.get("adjustment_id") or "")) if cause.get("event") in (
        "PointsAdjusted", "PointsRevoked") else None  # fmt: skip
    if found is None:
        return {"consequence": None}
    link = f"/counties/{code}/consequences?year={found.group(2)}#{found.group(1)}"
    return {"consequence": {"id": found.group(1), "link": link}}


def indicator_units(service: Platform, code: str, year: int) -> dict[str, str]:
    """Each indicator's unit by its code, as the county's scheme of the year defines it now."""
    book = service.ledger.county(code).years.get(str(year))
    return {key: node.unit for key, node in book.indicators.items() if node.unit} if book else {}


def _moved(change: dict[str, Any], named: dict[str, str], names: dict[str, str],
           units: dict[str, str]) -> dict[str, Any]:  # fmt: skip
    cause = change["cause"]
    standing = change["standing"]
    shown = {key: cause[key] for key in cause if key in CAUSE_FIELDS and key not in ("value", "previous")}
    return {
        "recorded_at": change["recorded_at"],
        "version": int(cause.get("version", 0)),
        "event": cause.get("event", ""),
        "label": cause.get("label", ""),
        "actor": who(names, cause.get("actor", "")),
        "reason": cause.get("reason"),
        "authority": AUTHORITY_LABELS.get(cause.get("authority") or "", None),
        "period": cause.get("period"),
        "value": cause.get("value"),
        "previous": cause.get("previous"),
        "before": change["before"],
        "after": change["after"],
        "moved": change["before"] != change["after"],
        "children": [{"code": c, "name": named.get(c, "")} for c in cause.get("children", [])],
        "standing": standing,
        "standing_label": _standing_words(standing),
        "revoked": change["revoked"],
        "unit": units.get(str(cause.get("indicator") or ""), ""),
        "details": describe(shown, units),  # the value and the one it replaced are shown beside, with their unit
    }


def _unmoved(row: dict[str, Any], names: dict[str, str], units: dict[str, str]) -> dict[str, Any]:
    payload = row["payload"]
    return {
        "recorded_at": row["recorded_at"],
        "version": int(row["version"]),
        "event": row["type"],
        "label": EVENT_LABELS.get(row["type"], row["type"]),
        "actor": who(names, row["actor"]),
        "reason": row["reason"],
        "authority": None,
        "period": payload.get("period"),
        "value": payload.get("value"),
        "previous": payload.get("previous"),
        "before": None,
        "after": None,
        "moved": False,
        "consequence": None,
        "children": [],
        "standing": None,
        "standing_label": "得分未变（该期数值不计入年度值，或计入后得分相同）",
        "revoked": None,
        "unit": units.get(str(payload.get("indicator") or ""), ""),
        "details": "",
    }


def _standing_words(standing: dict[str, Any] | None) -> str:
    if not standing:
        return ""
    if standing.get("source") == "override":
        label = standing.get("authority_label") or standing.get("authority") or ""
        return f"{label}调整结果有效（{standing.get('actor', '')}：{standing.get('reason') or ''}）"
    return "按数据计算的得分有效"


# ------------------------------------------------- what changed between two instants


@dataclass
class Changes:
    county: dict[str, Any]
    year: int
    start: datetime
    end: datetime
    nodes: list[dict[str, Any]]  # nodes whose value, score or standing differ
    events: list[dict[str, Any]]
    events_total: int
    total_before: Any = None
    total_after: Any = None
    known_before: bool = True
    known_after: bool = True


async def settle(service: Platform, until: datetime, names: tuple[str, ...]) -> None:
    """Makes ``until`` final and waits until ``names`` hold everything recorded up to it."""
    position = await run_in_threadpool(service.ledger.settle, until)
    reason = await service.progress.wait(position, names, READ_WAIT_SECONDS)
    if reason is not None:
        raise unavailable(reason)


def changes_between(service: Platform, meta: dict[str, Any], year: int, start: datetime, end: datetime) -> Changes:
    """The nodes of ``meta``'s year that differ between ``start`` and ``end``, and the county's
    events recorded after ``start`` up to ``end``; the caller settled ``end`` (``settle``)."""
    service.progress.require(TIMELINE)
    low, high = micros(start), micros(end)
    with service.reads.snapshot() as view:  # both cards and the events from one snapshot
        before = queries.scorecard_as_of(view, meta["code"], year, low)
        after = queries.scorecard_as_of(view, meta["code"], year, high)
        total, rows = queries.county_events(view, _stream(view, meta["code"]), (), low + 1, high, 0, MOST_EVENTS)
    names = display_names(service.organisation.current())
    units = indicator_units(service, meta["code"], year)
    events = [_event(row, names, units) for row in rows]
    found = Changes(meta, year, start, end, _differing(before, after, units), events, total)
    found.total_before = before["total"] if before else None
    found.total_after = after["total"] if after else None
    found.known_before, found.known_after = before is not None, after is not None
    return found


def _differing(
    before: dict[str, Any] | None, after: dict[str, Any] | None, units: dict[str, str]
) -> list[dict[str, Any]]:
    def nodes(card: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
        if card is None:
            return {}
        rows = {n["code"]: n for n in card["nodes"]}
        rows[TOTAL] = {"code": TOTAL, "name": "总分", "level": 0, "value": None, "score": card["total"],
                       "overridden": card["total_overridden"], "authority": card["total_authority"]}  # fmt: skip
        return rows

    old, new = nodes(before), nodes(after)
    differing = []
    for code in [*new, *(c for c in old if c not in new)]:
        a, b = old.get(code), new.get(code)
        keys = ("value", "score", "overridden", "authority")
        if a is not None and b is not None and all(a[k] == b[k] for k in keys):
            continue
        shown = b or a or {}
        differing.append({
            "code": code, "name": shown.get("name", ""), "level": shown.get("level", 0), "unit": units.get(code, ""),
            "value_before": a["value"] if a else None, "value_after": b["value"] if b else None,
            "score_before": a["score"] if a else None, "score_after": b["score"] if b else None,
            "standing_changed": bool(a and b and (a["overridden"], a["authority"]) != (b["overridden"],
                                                                                       b["authority"])),
        })  # fmt: skip
    return sorted(differing, key=lambda row: (row["code"] != TOTAL, row["code"]))


def _event(row: dict[str, Any], names: dict[str, str], units: dict[str, str]) -> dict[str, Any]:
    payload = row["payload"]
    return {
        "recorded_at": row["recorded_at"],
        "version": row["version"],
        "label": EVENT_LABELS.get(row["type"], row["type"]),
        "actor": who(names, row["actor"]),
        "reason": row["reason"],
        "details": describe({key: payload[key] for key in CAUSE_FIELDS if key in payload and key != "scheme"}, units),
    }


# ------------------------------------------------------------------ the chains


@dataclass
class Chains:
    verification: Verification
    digest: str
    expected: str | None


def chains(service: Platform, expected: str | None) -> Chains:
    """Every county's hash chain recomputed (against a digest written down earlier, if given),
    and the digest of the stream heads now. ``InvalidDigest`` for a malformed digest."""
    checked = verify(service.ledger, expected)  # one walk of the log gives the current digest too
    return Chains(checked, checked.digest, expected)


# ------------------------------------------------------------ the organisation


def organisation_record(service: Platform, username: str | None) -> list[dict[str, Any]]:
    """The organisation's changes in words, latest first; with ``username``, about that user."""
    organisation = service.organisation.current()
    names = display_names(organisation)
    return [_change(change, names) for change in reversed(changes(service.organisation.events(), username))]


def _change(change: OrganisationChange, names: dict[str, str]) -> dict[str, Any]:
    return {
        "version": change.version,
        "recorded_at": change.recorded_at,
        "label": change.label,
        "type": change.type,
        "actor": who(names, change.actor),
        "reason": change.reason,
        "subject": change.username,
        "details": _change_words(change.payload),
    }


def _change_words(payload: dict[str, Any]) -> str:
    words = []
    if payload.get("display_name"):
        words.append(f"姓名 {payload['display_name']}")
    grant = payload.get("grant")
    if isinstance(grant, dict):
        words.append(grant_words(Grant(**grant)))
    if payload.get("grant_id"):
        words.append(f"授权编号 {payload['grant_id']}")
    if payload.get("code") and payload.get("name"):
        region = REGION_LABELS.get(payload.get("region", ""), "")
        words.append(f"评估组 {payload['name']}（{payload['code']}，{region}）")
    if payload.get("team"):
        words.append(f"评估组 {payload['team']}")
    if isinstance(payload.get("counties"), list):
        words.append(f"负责的县 {'、'.join(payload['counties']) or '无'}")
    if payload.get("region_override"):
        words.append(f"跨区域分配：{payload.get('region_override_reason') or ''}")
    if payload.get("county") and payload.get("label"):
        words.append(f"县 {payload['county']}，用途 {payload['label']}")
    if payload.get("key_id"):
        words.append(f"密钥编号 {payload['key_id']}")
    return "；".join(words)


def grant_words(grant: Grant) -> str:
    """A grant as people say it: 评估组成员（评估组 east-1）."""
    scope = []
    if grant.county:
        scope.append(f"县 {grant.county}")
    if grant.team:
        scope.append(f"评估组 {grant.team}")
    if grant.department:
        scope.append(f"部门 {grant.department}")
    label = ROLE_LABELS.get(grant.role, grant.role)
    return f"{label}（{'，'.join(scope)}）" if scope else label


# ------------------------------------------------------------- the centre's lists


def schemes(service: Platform) -> list[SchemeEntry]:
    return published_schemes(service.ledger)


def organisation(service: Platform) -> Organisation:
    return service.organisation.current()


def grant_history(service: Platform, username: str) -> list[dict[str, Any]]:
    """The user's changes (grants, revocations, password, deactivation), latest first."""
    return organisation_record(service, username)


def enrolled_regions(service: Platform, codes: list[str]) -> dict[str, str]:
    """The region each county was enrolled in (read from its stream, as the API does)."""
    return service.ledger.enrolled_regions(codes)
