"""The rectification pages' reads (整改): a county's ledger (一账) as of an instant, what a
new item may be raised from, the evaluators' inspection queue, and the items a county owes.

Each function reads the rectification read model through ``projections.rectification_queries``
(as the API's ledger and queue routes do) and returns plain data shaped for its page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from domain.access import Principal
from domain.collection import judged_on
from domain.commands import REGION_LABELS
from domain.errors import NotFound
from domain.recorded_time import CHINA
from domain.rectification import STATUS_LABELS, STEP_LABELS
from pages.people import display_names, who
from projections import rectification_queries as queries
from projections.catalog import RECTIFICATION
from projections.progress import unavailable
from projections.temporal import micros
from reports.content import RECTIFICATION_DAYS
from ruraleval.files import StoredFile
from ruraleval.platform import Platform

READ_WAIT_SECONDS = 5.0
COUNTY_TURN = ("raised", "in_progress")  # the county has to act; after "done" the evaluators have


def _settled(service: Platform, at: datetime | None) -> int | None:
    """Waits until the read model can answer as of ``at`` (now: as projected); its µs, or None."""
    if at is None:
        service.progress.require(RECTIFICATION)
        return None
    service.progress.require(RECTIFICATION)
    reason = service.progress.wait_blocking(service.ledger.settle(at), RECTIFICATION, READ_WAIT_SECONDS)
    if reason is not None:
        raise unavailable(reason)
    return micros(at)


def _shaped(
    row: dict[str, Any], day: date, names: dict[str, str], people: dict[str, str] | None = None
) -> dict[str, Any]:
    """``people``: display names by username, so that a step says who acted as 显示名（用户名）."""
    steps = [step | {"label": STEP_LABELS[step["kind"]], "actor_shown": who(people or {}, step["actor"])}
             for step in row["steps"]]  # fmt: skip
    return row | {
        "steps": steps,
        "status_label": STATUS_LABELS[row["status"]],
        "last_step_label": STEP_LABELS[row["last_step"]],
        "overdue_days": queries.overdue_days(row, day),
        "indicator_name": names.get(row["indicator"] or "", ""),
        "has_plan": any(step["kind"] == "plan" for step in steps),
        "region_label": REGION_LABELS.get(row["region"], row["region"]),
    }


@dataclass
class Ledger:
    """A county's items of a year as they stood at ``as_of`` (None: now), judged on ``day``."""

    county: dict[str, Any]
    year: int
    as_of: datetime | None
    day: date
    items: list[dict[str, Any]]
    counts: dict[str, int]
    report_problems: list[dict[str, Any]]  # problems of issued reports not yet raised as items
    indicators: list[tuple[str, str]]  # the year's indicators, for an evaluator's own item


def ledger(service: Platform, meta: dict[str, Any], year: int, as_of: datetime | None) -> Ledger:
    at_us = _settled(service, as_of)
    day = judged_on(as_of, service.ledger.clock())
    book = service.ledger.county(meta["code"]).book(year)
    names = {code: node.name for code, node in book.indicators.items()}
    with service.reads.snapshot() as view:
        rows = queries.ledger(view, meta["code"], year, at_us)
    people = display_names(service.organisation.current())
    items = [_shaped(row, day, names, people) for row in rows]
    counts = {status: sum(1 for item in items if item["status"] == status) for status in STATUS_LABELS}
    counts["overdue"] = sum(1 for item in items if item["overdue_days"] > 0)
    raised = {(item.report_id, item.problem_id) for item in book.rectification.values()}
    # a problem is raised once a year, whichever report found it: the same rule on the same indicator
    raised_rules = {_rule_of(book, item.report_id, item.problem_id) for item in book.rectification.values()}
    problems = [
        {"report_id": report.id, "problem_id": str(problem.get("id")), "indicator": problem.get("indicator") or "",
         "title": str(problem.get("title") or ""), "advice": str(problem.get("advice") or ""),
         "serious": bool(problem.get("serious")), "deadline": notice_deadline(report.as_of)}
        for report in book.reports.values()
        for problem in report.problems
        if (report.id, str(problem.get("id"))) not in raised
        and not (problem.get("rule") and (problem.get("rule"), problem.get("indicator")) in raised_rules)
    ]  # fmt: skip
    indicators = [(code, node.name) for code, node in book.indicators.items() if not node.retired]
    return Ledger(meta, year, as_of, day, items, counts, problems, indicators)


def notice_deadline(as_of: datetime) -> str:
    """The 整改期限 the report's notice (一书) printed for its problems: the raise form's default."""
    return (as_of.astimezone(CHINA).date() + timedelta(days=RECTIFICATION_DAYS)).isoformat()


def _rule_of(book: Any, report_id: str | None, problem_id: str | None) -> tuple[Any, Any] | None:
    report = book.reports.get(report_id or "")
    found = next((p for p in report.problems if str(p.get("id")) == problem_id), None) if report else None
    return (found.get("rule"), found.get("indicator")) if found and found.get("rule") else None


@dataclass
class Queue:
    day: date
    year: int | None
    awaiting: list[dict[str, Any]]
    overdue: list[dict[str, Any]]


def queue(service: Platform, principal: Principal, year: int | None) -> Queue:
    """Items awaiting inspection and items past their deadline, of the counties the principal reads."""
    _settled(service, None)
    day = judged_on(None, service.ledger.clock())
    with service.reads.snapshot() as view:
        found = queries.queue(view, year, day, None, principal.readable_counties())
    return Queue(day, year, [_shaped(row, day, {}) for row in found["awaiting"]],
                 [_shaped(row, day, {}) for row in found["overdue"]])  # fmt: skip


def owed(service: Platform, code: str, year: int, departments: frozenset[str] | None = None) -> list[dict[str, Any]]:
    """The county's items it has to act on (no plan yet, or in progress), the most urgent first.

    ``departments`` (a department user's data scope; None: the whole county) keeps the items of
    the indicators those departments answer for; an item of no indicator is the coordinator's."""
    _settled(service, None)
    day = judged_on(None, service.ledger.clock())
    with service.reads.snapshot() as view:
        rows = queries.ledger(view, code, year, None)
    if departments is not None:
        answers = service.ledger.county(code).book(year).responsibility
        rows = [row for row in rows if row["indicator"] in answers
                and answers[row["indicator"]].department in departments]  # fmt: skip
    items = [_shaped(row, day, {}) for row in rows if row["status"] in COUNTY_TURN]
    return sorted(items, key=lambda item: (item["deadline"], item["ordinal"]))


def evidence_file(service: Platform, code: str, sha256: str) -> tuple[str, StoredFile]:
    """A file attached to one of the county's rectification steps: its (Chinese) name and bytes;
    refused (404) for a hash no step of this county names, so another county's file stays out."""
    county = service.ledger.county(code)
    names = {item.sha256: item.name for book in county.years.values() for entry in book.rectification.values()
             for step in entry.steps for item in step.files}  # fmt: skip
    if sha256 not in names:
        raise NotFound.of("sha256", "known_file", f"本县的整改材料中没有内容哈希为 {sha256[:64]} 的附件")
    return names[sha256], service.files.get(sha256)
