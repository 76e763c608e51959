"""Rectification (整改) in a county's year: items, their steps and inspection (ADR 26).

An item is raised from a report's problem or by an evaluator, with a requirement and a
deadline; the county files a plan, reports progress with evidence and declares it done;
an evaluator inspects it and verifies it (销号) or rejects it with a reason, which sends
it back to in progress. Statuses: ``raised`` (no plan yet), ``in_progress``,
``awaiting_inspection``, ``verified``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from domain import commands as c
from domain import report_commands as rc
from domain.collection import beijing_date
from domain.errors import ConflictError, Forbidden, InvalidCommand, NotFound, Problem
from domain.inputs import shown
from domain.periods import day_words
from domain.recorded_time import missing_day
from domain.review import MAX_PLAN_FILES, check_plan_file
from domain.state import CountyYear, RectificationItem, RectificationStep

if TYPE_CHECKING:
    from domain.county import County

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


# What the county still has to do (and the evaluators to inspect) while an item is not verified.
OPEN_STATUSES = ("raised", "in_progress", "awaiting_inspection")
MAX_TEXT = 2000  # a problem, a requirement, a reason or a comment
MAX_STEP_TEXT = 2000  # a plan, a progress report, a declaration: the details go in the evidence files
MAX_ANSWERER = 100
MAX_DEADLINE_DAYS = 730  # a deadline is at most two years ahead: further is a typing error, not a plan


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


def apply_raised(book: Any, event: Any) -> None:
    """``book``: a county's year or a verification year's book: whatever holds ``rectification``."""
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


def apply_step(book: Any, event: Any, kind: str) -> None:
    item = book.rectification[event.item_id]
    text = event.reason if kind == "rejected" else event.text
    item.steps.append(_step(event, kind, text, getattr(event, "files", None)))
    item.status = STATUS_AFTER[kind]


def apply_verified(book: Any, event: Any) -> None:
    item = book.rectification[event.item_id]
    item.steps.append(_step(event, "verified", event.comment))
    item.status = "verified"
    item.verified_on = event.verified_on


# ---------------------------------------------------------------------------------- commands


def year_of_item(item_id: str, year: int | None = None) -> int:
    """The year an item belongs to: the one named, else its id's (``2024-Z1`` is of 2024)."""
    if year is not None:
        return year
    head = (item_id or "").strip()[:5]
    if len(head) == 5 and head[:4].isascii() and head[:4].isdigit() and head[4] == "-":
        return int(head[:4])
    raise NotFound.of("item_id", "known_item", f"没有编号为“{shown(item_id)}”的整改事项（编号形如 2024-Z1）")


def recorded_day(aggregate: Any, context: c.Context) -> date:
    """The Beijing day the command's events will carry (as ``County.record`` and
    ``TownVerification.record`` stamp them)."""
    moment = max(context.recorded_at or aggregate.Event.create_timestamp(), aggregate.modified_on)
    return beijing_date(moment)


def _text(problems: list[Problem], value: str, field: str, label: str, limit: int, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        problems.append(Problem(field, "required", f"{label}（{field}）必须填写，不能为空"))
    elif len(text) > limit:
        problems.append(Problem(field, "max_length", f"{label}（{field}）不能超过 {limit} 字，收到 {len(text)} 字"))
    return text


def _deadline(problems: list[Problem], raw: str, today: date) -> str:
    text = (raw or "").strip()
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        why = missing_day(text)  # as as_of says it (2024-02-30: "2024年2月只有 29 天")
        message = f"整改期限（deadline）应为日期，如 2025-06-30，收到“{shown(text)}”" + (f"：{why}" if why else "")
        problems.append(Problem("deadline", "date", message))
        return text
    if day < today:
        message = f"整改期限（deadline）不能早于今天（{day_words(today)}），收到 {day_words(day)}"
        problems.append(Problem("deadline", "not_past", message))
    elif day > today + timedelta(days=MAX_DEADLINE_DAYS):
        latest = today + timedelta(days=MAX_DEADLINE_DAYS)
        message = f"整改期限（deadline）最晚为两年内（{day_words(latest)}），收到 {day_words(day)}"
        problems.append(Problem("deadline", "within_two_years", message))
    return day.isoformat()


def _from_report(book: CountyYear, report_id: str, problem_id: str) -> tuple[str | None, str]:
    """The indicator and the words of a report's problem; refused unless the report issued it."""
    report = book.reports.get(report_id)
    if report is None:
        issued = "、".join(book.reports) or "无"
        message = f"{book.scheme.year} 年度没有编号为“{shown(report_id)}”的评估报告（已出具：{issued}）"
        raise NotFound.of("report_id", "issued_report", message)
    found = next((item for item in report.problems if str(item.get("id")) == problem_id), None)
    if found is None:
        known = "、".join(str(item.get("id")) for item in report.problems) or "无"
        message = f"评估报告 {report_id} 中没有编号为“{shown(problem_id)}”的问题（报告列出的问题：{known}）"
        raise NotFound.of("problem_id", "report_problem", message)
    for item in book.rectification.values():
        if item.report_id == report_id and item.problem_id == problem_id:
            message = f"评估报告 {report_id} 的问题 {problem_id} 已下达为整改事项 {item.id}，不能重复下达"
            raise ConflictError.of("problem_id", "raised_once", message)
        if _same_problem(book, item.report_id, item.problem_id, found):  # a later report finding it again
            message = (f"评估报告 {report_id} 的问题 {problem_id} 与评估报告 {item.report_id} 的问题 {item.problem_id}"
                       f"（同一规则、同一指标）相同，本年度已下达为整改事项 {item.id}，不能重复下达")  # fmt: skip
            raise ConflictError.of("problem_id", "raised_once", message)
    indicator = found.get("indicator")
    words = str(found.get("title") or found.get("advice") or "").strip()
    return (str(indicator) if indicator else None), words or f"评估报告 {report_id} 的问题 {problem_id}"


def _same_problem(book: CountyYear, report_id: str | None, problem_id: str | None, found: dict[str, Any]) -> bool:
    """Whether an item's problem is ``found`` again: the same rule on the same indicator (a
    year's problem is raised once, whichever report found it)."""
    report = book.reports.get(report_id or "")
    if report is None or not found.get("rule"):
        return False
    earlier = next((p for p in report.problems if str(p.get("id")) == problem_id), None)
    return earlier is not None and (earlier.get("rule"), earlier.get("indicator")) == (
        found.get("rule"), found.get("indicator"))  # fmt: skip


def raise_rectification(county: County, command: rc.RaiseRectification, context: c.Context) -> dict[str, Any]:
    """An item from a report's problem (its words and indicator taken from the report) or an
    evaluator's own (the problem in words, an indicator optional); a requirement, a deadline
    not before today and an answerer (责任单位/责任人) either way."""
    book = county.book(command.year)
    problems: list[Problem] = []
    report_id, problem_id = (command.report_id or "").strip(), (command.problem_id or "").strip()
    if bool(report_id) != bool(problem_id):
        missing = "problem_id" if report_id else "report_id"
        message = "从评估报告下达整改事项须同时填写报告编号（report_id）和问题编号（problem_id）"
        problems.append(Problem(missing, "both_or_neither", message))
    if problem_id and (command.problem or "").strip():
        message = ("问题编号（problem_id）和问题描述（problem）只能填写一项：从评估报告下达时问题取自报告，"
                   "自行下达时填写问题描述")  # fmt: skip
        problems.append(Problem("problem", "one_source", message))
    fields = item_fields(problems, command.requirement, command.deadline, command.answerer,
                         recorded_day(county, context))  # fmt: skip
    indicator = (command.indicator or "").strip() or None
    problem = ""
    if report_id and problem_id:
        indicator, problem = _from_report(book, report_id, problem_id)
    elif not report_id and not problem_id:
        problem = problem_text(problems, command.problem)
        if indicator is not None and indicator not in book.indicators:
            problems.append(Problem("indicator", "known_indicator",
                                    f"{book.scheme.year} 年度没有编号为“{shown(indicator)}”的指标"))  # fmt: skip
    if problems:
        raise InvalidCommand(problems)
    item_id = next_item_id(book)
    county.record(county.RectificationRaised, context, year=book.scheme.year, item_id=item_id,
                  source="report" if report_id else "evaluator", report_id=report_id or None,
                  problem_id=problem_id or None, indicator=indicator, problem=problem[:MAX_TEXT], **fields)  # fmt: skip
    return {"item_id": item_id}


def item_of(county: County, year: int, item_id: str) -> tuple[CountyYear, RectificationItem]:
    book = county.book(year)
    item = book.rectification.get((item_id or "").strip())
    if item is None:
        raise NotFound.of("item_id", "known_item",
                          f"{county.name} {book.scheme.year} 年度没有编号为“{shown(item_id)}”的整改事项")  # fmt: skip
    return book, item


def _in_status(item: RectificationItem, allowed: tuple[str, ...], doing: str) -> None:
    if item.status not in allowed:
        wanted = "或".join(f"“{STATUS_LABELS[status]}”" for status in allowed)
        message = f"整改事项 {item.id} 当前为“{STATUS_LABELS[item.status]}”，只有{wanted}的事项才能{doing}"
        raise ConflictError.of("item_id", "item_status", message)


def _evidence(command: Any, label: str) -> str:
    problems: list[Problem] = []
    text = _text(problems, command.text, "text", label, MAX_STEP_TEXT)
    if len(command.files) > MAX_PLAN_FILES:
        problems.append(Problem("files", "max_items", f"附件不能超过 {MAX_PLAN_FILES} 个"))
    if problems:
        raise InvalidCommand(problems)
    for attached in command.files:
        check_plan_file(attached.name)
    return text


# The checks of each step, shared by the county's items and the towns' (ADR 27): each answers
# the fields its event records, or refuses.


def plan_fields(item: RectificationItem, command: Any) -> dict[str, Any]:
    _in_status(item, ("raised", "in_progress"), "制定或修改整改方案")
    return {"text": _evidence(command, "整改方案"), "files": list(command.files)}


def progress_fields(item: RectificationItem, command: Any) -> dict[str, Any]:
    _in_status(item, ("in_progress",), "报告整改进展")
    return {"text": _evidence(command, "整改进展"), "files": list(command.files)}


def done_fields(item: RectificationItem, command: Any) -> dict[str, Any]:
    _in_status(item, ("in_progress",), "申报整改完成")
    if not any(step.kind == "plan" for step in item.steps):
        raise ConflictError.of("item_id", "plan_first", f"整改事项 {item.id} 还没有整改方案，须先制定整改方案")
    return {"text": _evidence(command, "整改完成情况"), "files": list(command.files)}


def verify_fields(item: RectificationItem, command: Any, context: c.Context, today: date) -> dict[str, Any]:
    _in_status(item, ("awaiting_inspection",), "核验销号")
    _inspector(item, context)
    problems: list[Problem] = []
    comment = _text(problems, command.comment, "comment", "核验意见", MAX_TEXT, required=False)
    if problems:
        raise InvalidCommand(problems)
    return {"comment": comment, "verified_on": today.isoformat()}


def reject_fields(item: RectificationItem, command: Any, context: c.Context) -> dict[str, Any]:
    _in_status(item, ("awaiting_inspection",), "核验退回")
    _inspector(item, context)
    problems: list[Problem] = []
    reason = _text(problems, command.reason, "reason", "核验未通过的理由", MAX_TEXT)
    if problems:
        raise InvalidCommand(problems)
    return {"reason": reason}


def item_fields(problems: list[Problem], requirement: str, deadline: str, answerer: str, today: date) -> dict[str, str]:
    """The requirement, the deadline (not before ``today``) and the answerer of a new item."""
    return {
        "requirement": _text(problems, requirement, "requirement", "整改要求", MAX_TEXT),
        "deadline": _deadline(problems, deadline, today),
        "answerer": _text(problems, answerer, "answerer", "责任单位或责任人", MAX_ANSWERER),
    }


def problem_text(problems: list[Problem], problem: str) -> str:
    return _text(problems, problem, "problem", "问题", MAX_TEXT)


def file_plan(county: County, command: rc.FileRectificationPlan, context: c.Context) -> None:
    """The county's plan (整改方案): while the item is raised or in progress (a later plan replaces it)."""
    book, item = item_of(county, command.year, command.item_id)
    fields = plan_fields(item, command)
    if not command.dry_run:
        county.record(county.RectificationPlanFiled, context, year=book.scheme.year, item_id=item.id, **fields)


def report_progress(county: County, command: rc.ReportRectificationProgress, context: c.Context) -> None:
    book, item = item_of(county, command.year, command.item_id)
    fields = progress_fields(item, command)
    if not command.dry_run:
        county.record(county.RectificationProgressReported, context, year=book.scheme.year, item_id=item.id, **fields)


def declare_done(county: County, command: rc.DeclareRectificationDone, context: c.Context) -> None:
    """Done is declared in progress, after a plan: the item then awaits the evaluators' inspection."""
    book, item = item_of(county, command.year, command.item_id)
    fields = done_fields(item, command)
    if not command.dry_run:
        county.record(county.RectificationDeclaredDone, context, year=book.scheme.year, item_id=item.id, **fields)


def _inspector(item: RectificationItem, context: c.Context) -> None:
    """Whoever declared the item done does not inspect it (an administrator holds both rights)."""
    declared = next((step for step in reversed(item.steps) if step.kind == "done"), None)
    if declared is not None and declared.actor == context.actor:
        message = f"整改事项 {item.id} 由“{context.actor}”申报完成，核验须由另一人进行（职责分离）"
        raise Forbidden.of("item_id", "separation_of_duties", message)


def verify(county: County, command: rc.VerifyRectification, context: c.Context) -> None:
    """Verified (销号) on the Beijing day of the command: the item is closed for good."""
    book, item = item_of(county, command.year, command.item_id)
    fields = verify_fields(item, command, context, recorded_day(county, context))
    county.record(county.RectificationVerified, context, year=book.scheme.year, item_id=item.id, **fields)


def reject(county: County, command: rc.RejectRectification, context: c.Context) -> None:
    """Not accepted: the reason goes back to the county and the item is in progress again."""
    book, item = item_of(county, command.year, command.item_id)
    fields = reject_fields(item, command, context)
    county.record(county.RectificationRejected, context, year=book.scheme.year, item_id=item.id, **fields)
