"""What the review pages read: the evaluator's queue and desk, feedback threads, the county's tree.

These read a county's own stream (its recorded state, as the API's feedback and proposal
routes do) after checking that the county list can answer; each function reads each county
once, so the rows of one answer belong together. None holds SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from domain import proposals as proposal_rules
from domain.access import Principal
from domain.commands import DataScope
from domain.county_decides import INDICATOR_KIND_LABELS
from domain.periods import FREQUENCY_LABELS
from domain.review import WAITING_LABELS, describe_thread, threads_in_order
from domain.scheme import AUTHORITY_LABELS, TOTAL, IndicatorDef
from domain.state import CountyYear, Thread, thread_key
from pages import reads
from pages.people import display_names, who
from ruraleval.api_keys import known_indicators
from ruraleval.platform import Platform

# The queue's statuses: what an evaluator acts on (the first three), and what waits on the county.
QUEUE_LABELS = {
    "answered": "县里已答复，待审核",
    "flagged": "异常波动，待审核",
    "submitted": "已报送，待审核",
    "returned": "已退回，待县里答复",
}
ROW_LABELS = QUEUE_LABELS | {"accepted": "审核通过", "closed": "反馈已结束"}
TODO = ("answered", "flagged", "submitted")
QUEUE_FILTERS = {"todo": "全部待审核", **QUEUE_LABELS}
PAGE_SIZE = 50


def book_of(service: Platform, code: str, year: int | None) -> CountyYear:
    return service.ledger.county(code).book(year)


def key_indicators(service: Platform, code: str) -> frozenset[str]:
    """The indicator codes an API key of the county may be limited to (the API's rule)."""
    return known_indicators(service.ledger.county(code))


def reviewable(service: Platform, principal: Principal, may: Callable[[str], bool]) -> list[dict[str, Any]]:
    """The readable counties for which ``may(code)`` holds (e.g. the team's, for an evaluator)."""
    return [row for row in reads.counties(service, principal) if may(row["code"])]


# ------------------------------------------------------------------------------------ the queue


@dataclass
class Queue:
    status: str
    county: str | None
    year: int | None
    rows: list[dict[str, Any]]
    counts: dict[str, int]
    page: int
    pages: int
    total: int
    counties: list[dict[str, Any]] = field(default_factory=list)


def _queue_status(book: CountyYear, indicator: str, period: str) -> str:
    key = thread_key(indicator, period)
    thread = book.threads.get(key)
    status = thread.status if thread else "open"
    if status in ("accepted", "closed", "returned", "answered"):
        return status
    if key in book.anomalies:  # flagged at entry, confirmed by the county or not: the evaluators look
        return "flagged"
    return "submitted"


def _row(meta: dict[str, Any], book: CountyYear, indicator: str, period: str, status: str) -> dict[str, Any]:
    definition = book.indicators.get(indicator)
    submission = book.data[indicator][period]
    key = thread_key(indicator, period)
    thread, anomaly = book.threads.get(key), book.anomalies.get(key)
    return {
        "county": meta["code"], "county_name": meta["name"], "indicator": indicator,
        "name": definition.name if definition else "", "unit": definition.unit if definition else "",
        "period": period, "value": submission.value, "corrected": submission.corrected,
        "received_at": submission.received_at, "status": status, "status_label": ROW_LABELS[status],
        "flag": anomaly.message if anomaly is not None else None,
        "flag_confirmed": bool(anomaly and anomaly.confirmed), "flag_comment": anomaly.comment if anomaly else "",
        "last": thread.comments[-1] if thread and thread.comments else None,
    }  # fmt: skip


def _queue_rows(meta: dict[str, Any], book: CountyYear) -> list[dict[str, Any]]:
    rows = []
    for indicator, values in book.data.items():
        for period in values:
            status = _queue_status(book, indicator, period)
            if status in QUEUE_LABELS:
                rows.append(_row(meta, book, indicator, period, status))
    return rows


def queue_row(service: Platform, meta: dict[str, Any], indicator: str, period: str) -> dict[str, Any] | None:
    """One value as its queue row shows it now (after a decision: accepted, or returned)."""
    book = book_of(service, meta["code"], int(period[:4]) if period[:4].isdigit() else None)
    if period not in book.data.get(indicator, {}):
        return None
    return _row(meta, book, indicator, period, _queue_status(book, indicator, period))


ORDER = {"answered": 0, "flagged": 1, "submitted": 2, "returned": 3}


def queue(
    service: Platform, counties: list[dict[str, Any]], year: int | None, status: str, county: str | None, page: int
) -> Queue:
    """The values of ``counties`` that wait for review (or, filtered, on the county), answers first."""
    found: list[dict[str, Any]] = []
    for meta in counties:
        if county is not None and meta["code"] != county:
            continue
        if year is not None and str(year) not in meta["schemes"]:
            continue
        chosen = reads.county_year(service, meta, year)
        found += _queue_rows(meta, book_of(service, meta["code"], chosen))
    counts = {name: sum(1 for row in found if row["status"] == name) for name in QUEUE_LABELS}
    counts["todo"] = sum(counts[name] for name in TODO)
    wanted = TODO if status == "todo" else (status,)
    rows = [row for row in found if row["status"] in wanted]
    rows.sort(key=lambda r: (r["county"], r["indicator"]))
    rows.sort(key=lambda r: r["period"], reverse=True)  # the latest periods first
    rows.sort(key=lambda r: ORDER[r["status"]])  # stable: answers first, then flags, then the rest
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return Queue(status, county, year, shown, counts, page, pages, len(rows), counties)


# ------------------------------------------------------------------------------ feedback threads


def threads(
    service: Platform, code: str, year: int | None, status: str, scope: DataScope | None = None
) -> dict[str, Any]:
    """The county's threads that match, latest first, and the indicators a new question may be
    about: within ``scope`` (a department's own indicators), as the command checks."""
    book = book_of(service, code, year)
    found = [_shown(book, thread) for thread in threads_in_order(book, status)]
    allowed = [node for node in leaves(book) if scope is None or scope.allows(node.code, _department(book, node.code))]
    return {"year": book.scheme.year, "threads": found, "leaves": allowed}


def _department(book: CountyYear, indicator: str) -> str | None:
    duty = book.responsibility.get(indicator)
    return duty.department if duty is not None else None


def _shown(book: CountyYear, thread: Thread) -> dict[str, Any]:
    described = describe_thread(book, thread)
    definition = book.indicators.get(thread.indicator)
    submission = book.data.get(thread.indicator, {}).get(thread.period) if thread.period else None
    return described | {
        "waiting_label": WAITING_LABELS[described["waiting_on"]],
        "unit": definition.unit if definition else "",
        "value": submission.value if submission else None,
        "corrected": bool(submission and submission.corrected),
    }


def thread(service: Platform, code: str, year: int | None, indicator: str, period: str) -> dict[str, Any] | None:
    """One thread (a submission's, or the indicator's when ``period`` is ""), as it stands; a
    submission with no thread yet shows as an open one with no comments. None: nothing to show."""
    if year is None and period[:4].isdigit():
        year = int(period[:4])  # a submission's thread lives in its period's year
    book = book_of(service, code, year)
    if indicator not in book.indicators:
        return None
    found = book.threads.get(thread_key(indicator, period))
    if found is None and period and period not in book.data.get(indicator, {}):
        return None
    shown = _shown(book, found or Thread(indicator, period))
    anomaly = book.anomalies.get(thread_key(indicator, period))
    return shown | {"year": book.scheme.year, "new": found is None,
                    "anomaly": vars(anomaly) if anomaly is not None else None}  # fmt: skip


# ----------------------------------------------------------------------- the tree and its nodes


def ordered(book: CountyYear, *, retired: bool = False) -> list[tuple[int, IndicatorDef]]:
    """The tree depth first (level, node), bonus/penalty categories last."""
    children: dict[str | None, list[IndicatorDef]] = {}
    for node in book.indicators.values():
        if node.retired and not retired:
            continue
        children.setdefault(node.parent, []).append(node)

    def key(node: IndicatorDef) -> tuple[bool, list[tuple[int, str]]]:
        parts = [(int(p), "") if p.isdigit() else (0, p) for p in node.code.split(".")]
        return node.kind == "bonus_penalty", parts

    out: list[tuple[int, IndicatorDef]] = []

    def walk(parent: str | None, level: int) -> None:
        for node in sorted(children.get(parent, []), key=key):
            out.append((level, node))
            walk(node.code, level + 1)

    walk(None, 1)
    return out


def leaves(book: CountyYear) -> list[IndicatorDef]:
    parents = {node.parent for node in book.indicators.values() if not node.retired}
    return [node for _, node in ordered(book) if node.code not in parents and node.weighted]


def tree(service: Platform, code: str, year: int | None) -> dict[str, Any]:
    """The coordinator's view: nodes with weights, who answers for them, their action plans,
    the county's proposals and the branches whose weights it may propose to shift."""
    book = book_of(service, code, year)
    parents = {node.parent for node in book.indicators.values() if not node.retired}
    rows = []
    for level, node in ordered(book):
        duty = book.responsibility.get(node.code)
        plan = book.action_plans.get(node.code)
        rows.append({
            "code": node.code, "name": node.name, "level": level, "weight": node.weight, "unit": node.unit,
            "kind_label": INDICATOR_KIND_LABELS.get(node.kind, node.kind), "leaf": node.code not in parents,
            "frequency_label": FREQUENCY_LABELS.get(node.frequency, node.frequency), "weighted": node.weighted,
            "department": duty.department if duty else "", "person": duty.person if duty else "",
            "plan": plan,
        })  # fmt: skip
    branches = [
        {"code": node.code, "name": node.name, "weight": node.weight,
         "min_share": node.county_adjustable.min_share, "max_share": node.county_adjustable.max_share,
         "children": [child for _, child in ordered(book) if child.parent == node.code and child.weighted],
         "next_code": _next_code(book, node.code)}
        for _, node in ordered(book)
        if node.county_adjustable is not None and node.weighted
    ]  # fmt: skip
    leaf_rows = [row for row in rows if row["leaf"] and row["weighted"]]
    return {
        "year": book.scheme.year,
        "rows": rows,
        "leaves": leaf_rows,
        "filed": sum(1 for row in leaf_rows if row["plan"] is not None),
        "proposals": proposals(book),
        "branches": branches,
    }


def _next_code(book: CountyYear, parent: str) -> str:
    """The code a new child of ``parent`` would take: one after the highest in use (retired ones, and
    those proposed and waiting, too)."""
    used = [node.code.rpartition(".")[2] for node in book.indicators.values() if node.parent == parent]
    used += [str(p.change["indicator"].get("code", "")).rpartition(".")[2] for p in book.proposals.values()
             if p.status == "pending" and p.kind == "define_indicator"
             and p.change["indicator"].get("parent") == parent]  # fmt: skip
    return f"{parent}.{max((int(part) for part in used if part.isdigit()), default=0) + 1}"


def proposals(book: CountyYear, status: str | None = None) -> list[dict[str, Any]]:
    return [
        {"id": p.id, "kind_label": proposal_rules.KIND_LABELS[p.kind], "summary": proposal_rules.describe(p),
         "reason": p.reason, "proposed_by": p.proposed_by, "proposed_at": p.proposed_at, "status": p.status,
         "status_label": proposal_rules.STATUS_LABELS[p.status], "decided_by": p.decided_by,
         "decided_at": p.decided_at, "decision_reason": p.decision_reason}
        for p in reversed(book.proposals.values())
        if status is None or p.status == status
    ]  # fmt: skip


# ---------------------------------------------------------------------------- the evaluator's desk


def desk(service: Platform, code: str, year: int | None) -> dict[str, Any]:
    """A county's decisions for its evaluators: proposals waiting, overrides, points, periods."""
    book = book_of(service, code, year)
    standing = book.active_overrides()
    names = {node.code: node.name for node in book.indicators.values()} | {TOTAL: "总分"}
    people = display_names(service.organisation.current())
    overrides = [
        {"id": o.id, "node": o.node, "name": names.get(o.node, ""), "score": o.score,
         "authority_label": AUTHORITY_LABELS.get(o.authority, o.authority), "reason": o.reason,
         "actor": who(people, o.actor),
         "recorded_at": o.recorded_at, "standing": standing.get(o.node) is o}
        for o in book.overrides.values()
        if not o.revoked
    ]  # fmt: skip
    adjustments = [
        {"id": a.id, "points": a.points, "category": a.category, "name": names.get(a.category, ""),
         "reason": a.reason, "actor": who(people, a.actor), "recorded_at": a.recorded_at}
        for a in book.adjustments
        if not a.revoked
    ]  # fmt: skip
    nodes = [{"code": TOTAL, "label": "总分（满分 100）"}] + [
        {"code": node.code, "label": f"{node.code} {node.name}（满分 {node.weight.normalize():f}）"}
        for _, node in ordered(book)
        if node.weighted
    ]
    categories = [
        {"code": node.code, "label": f"{node.code} {node.name}（{'加分' if node.sign == 'bonus' else '减分'}）"}
        for node in book.indicators.values()
        if node.kind == "bonus_penalty" and not node.retired
    ]
    authorities = [{"code": a, "label": AUTHORITY_LABELS.get(a, a)} for a in book.scheme.authorities]
    return {
        "year": book.scheme.year,
        "pending": proposals(book, "pending"),
        "decided": [p for p in proposals(book) if p["status"] != "pending"][:10],
        "overrides": overrides,
        "adjustments": adjustments,
        "closed": sorted(book.closed),
        "nodes": nodes,
        "categories": categories,
        "authorities": authorities,
        "caps": {"bonus": book.scheme.bonus_cap, "penalty": book.scheme.penalty_cap},
    }


def api_keys(service: Platform, code: str) -> list[dict[str, Any]]:
    """The county's API keys (never a secret: only hashes are kept), live ones first."""
    keys = [key for key in service.organisation.current().api_keys.values() if key.county == code]
    return [vars(key) | {"secret_hash": ""} for key in sorted(keys, key=lambda key: key.revoked)]


def plain(value: Decimal) -> str:
    return f"{value.normalize():f}"
