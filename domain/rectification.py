"""Rectification (整改) in a county's year: items, their steps and inspection (ADR 26).

An item is raised from a report's problem or by an evaluator, with a requirement and a
deadline; the county files a plan, reports progress with evidence and declares it done;
an evaluator inspects it and verifies it (销号) or rejects it with a reason, which sends
it back to in progress. Statuses: ``raised`` (no plan yet), ``in_progress``,
``awaiting_inspection``, ``verified``.
"""

from __future__ import annotations

from typing import Any

from domain.state import CountyYear, RectificationItem, RectificationStep

STATUSES = ("raised", "in_progress", "awaiting_inspection", "verified")
STATUS_LABELS = {
    "raised": "待制定方案",
    "in_progress": "整改中",
    "awaiting_inspection": "待核验",
    "verified": "已销号",
}
STEP_LABELS = {
    "raised": "下达整改事项",
    "plan": "制定整改方案",
    "progress": "报告整改进展",
    "done": "申报整改完成",
    "verified": "核验销号",
    "rejected": "核验未通过",
}
# The status each step leaves the item in.
STATUS_AFTER = {
    "raised": "raised",
    "plan": "in_progress",
    "progress": "in_progress",
    "done": "awaiting_inspection",
    "verified": "verified",
    "rejected": "in_progress",
}


def next_item_id(book: CountyYear) -> str:
    """``<year>-Z<n>``: numbered in the order raised within the year."""
    return f"{book.scheme.year}-Z{len(book.rectification) + 1}"


def _step(event: Any, kind: str, text: str, files: list[Any] | None = None) -> RectificationStep:
    return RectificationStep(
        kind=kind,
        text=text,
        files=list(files or []),
        actor=event.actor,
        recorded_at=event.timestamp,
        version=event.originator_version,
    )


def apply_raised(book: CountyYear, event: Any) -> None:
    item = RectificationItem(
        id=event.item_id,
        source=event.source,
        report_id=event.report_id,
        problem_id=event.problem_id,
        indicator=event.indicator,
        problem=event.problem,
        requirement=event.requirement,
        deadline=event.deadline,
        answerer=event.answerer,
        status="raised",
    )
    item.steps.append(_step(event, "raised", event.requirement))
    book.rectification[item.id] = item


def apply_step(book: CountyYear, event: Any, kind: str) -> None:
    item = book.rectification[event.item_id]
    text = event.reason if kind == "rejected" else event.text
    item.steps.append(_step(event, kind, text, getattr(event, "files", None)))
    item.status = STATUS_AFTER[kind]


def apply_verified(book: CountyYear, event: Any) -> None:
    item = book.rectification[event.item_id]
    item.steps.append(_step(event, "verified", event.comment))
    item.status = "verified"
    item.verified_on = event.verified_on
