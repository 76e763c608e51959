"""A batch of rows (a workbook upload or an API batch): every row is checked, in period
order, before the first event is recorded, so a batch is recorded whole or refused whole
with each row's problems; a replayed batch key answers the receipt recorded.

Runs inside the ``County`` aggregate (``domain.handlers.COMMAND_HANDLERS``); single
values and what a batch's receipt changes are in ``intake``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from domain import commands as c
from domain import county_checks
from domain.anomaly import Flag
from domain.errors import ConflictError, DomainError, InvalidCommand, Problem
from domain.intake import BATCH_PREFIX, change_of, check_value, flag_for, follow_up
from domain.periods import parse_period

if TYPE_CHECKING:
    from domain.county import County

BATCH_COLUMNS = ("indicator", "period", "value", "reason", "comment")
CORRECTION_RULES = ("correction_allowed", "reason_required")


@dataclass
class _Planned:
    row: c.BatchRow
    outcome: str  # submitted, corrected, unchanged, confirmed
    previous: Decimal | None
    flag: Flag | None


def submit_batch(county: County, command: c.SubmitBatch, context: c.Context) -> dict[str, Any]:
    if not command.rows:
        raise InvalidCommand.of("rows", "required", "没有可报送的数据行（数值均为空）")
    seen = county.idempotency.get(BATCH_PREFIX + command.key)
    if seen is not None:
        if seen["fingerprint"] != command.fingerprint:
            raise ConflictError.of("key", "same_content", f"批次标识“{command.key}”已用于内容不同的另一批数据")
        return {"replayed": True, "dry_run": command.dry_run, "version": seen["version"],
                "summary": seen["summary"], "rows": []}  # fmt: skip
    plan = _plan(county, command, context)
    summary = _summary(plan)
    # A batch that changes nothing (a template sent back as it came) leaves no receipt either.
    if not command.dry_run and (summary["submitted"] or summary["corrected"] or summary["confirmed"]):
        _record_batch(county, command, plan, summary, context)
    return {
        "replayed": False,
        "dry_run": command.dry_run,
        "summary": summary,
        "rows": [
            {"row": item.row.row, "indicator": item.row.indicator, "period": item.row.period,
             "outcome": item.outcome, "flag": item.flag.message if item.flag else None}
            for item in plan
        ],
    }  # fmt: skip


def _plan(county: County, command: c.SubmitBatch, context: c.Context) -> list[_Planned]:
    problems: list[Problem] = []
    plan: list[_Planned] = []
    first_row: dict[tuple[str, str], int] = {}
    planned: dict[tuple[str, str], Decimal] = {}
    for row in sorted(command.rows, key=lambda r: _order(r)):
        where = f"rows[{row.row}]"
        key = (row.indicator, row.period)
        if key in first_row:
            message = f"第 {row.row} 行：指标“{row.indicator}”的“{row.period}”与第 {first_row[key]} 行重复"
            problems.append(Problem(f"{where}.period", "unique_row", message))
            continue
        first_row[key] = row.row
        try:
            item = _plan_row(county, row, command, context, planned)
        except DomainError as error:
            problems.extend(_row_problems(row, error))
            continue
        if item.outcome in ("submitted", "corrected"):
            planned[key] = row.value
        plan.append(item)
    if problems:
        ordered = sorted(problems, key=_problem_order)
        # A batch refused only for changing standing values is a conflict, as on the form.
        if all(problem.rule in CORRECTION_RULES for problem in ordered):
            raise ConflictError(ordered)
        raise InvalidCommand(ordered)
    return sorted(plan, key=lambda item: item.row.row)


def _order(row: c.BatchRow) -> tuple[Any, ...]:
    """Rows are checked in period order, so a year imported at once is judged month by month."""
    try:
        return (0, parse_period(row.period), row.row)
    except InvalidCommand:
        return (1, row.row)


def _problem_order(problem: Problem) -> tuple[int, str]:
    number = problem.field.split("]")[0].removeprefix("rows[")
    return (int(number) if number.isdigit() else 0, problem.field)


def _plan_row(
    county: County,
    row: c.BatchRow,
    command: c.SubmitBatch,
    context: c.Context,
    planned: dict[tuple[str, str], Decimal],
) -> _Planned:
    book, indicator, _ = county_checks.data_indicator(county, row.indicator, row.period, context)
    check_value(indicator, row.value)
    outcome, standing = change_of(county, book, row.indicator, row.period, row.value, row.comment, row.reason,
                                  may_correct=command.may_correct)  # fmt: skip
    if outcome in ("unchanged", "confirmed"):
        return _Planned(row, outcome, standing.value if standing else None, None)
    flag = flag_for(county, row.indicator, row.period, row.value, planned)
    return _Planned(row, outcome, standing.value if standing else None, flag)


def _row_problems(row: c.BatchRow, error: DomainError) -> list[Problem]:
    problems = []
    for problem in error.problems:
        column = problem.field if problem.field in BATCH_COLUMNS else "indicator"
        problems.append(Problem(f"rows[{row.row}].{column}", problem.rule, f"第 {row.row} 行：{problem.message}"))
    return problems


def _summary(plan: list[_Planned]) -> dict[str, int]:
    outcomes = [item.outcome for item in plan]
    return {
        "rows": len(plan),
        "submitted": outcomes.count("submitted"),
        "corrected": outcomes.count("corrected"),
        "unchanged": outcomes.count("unchanged"),
        "flagged": sum(1 for item in plan if item.flag is not None),
        "confirmed": outcomes.count("confirmed"),
    }


def _record_batch(
    county: County, command: c.SubmitBatch, plan: list[_Planned], summary: dict[str, int], context: c.Context
) -> None:
    for item in sorted(plan, key=lambda item: (parse_period(item.row.period), item.row.row)):
        row = item.row
        if item.outcome == "unchanged":
            continue
        if item.outcome == "confirmed":
            county.record(county.AnomalyConfirmed, context, indicator=row.indicator, period=row.period,
                          comment=row.comment.strip())  # fmt: skip
            continue
        if item.outcome == "submitted":
            county.record(county.DataSubmitted, context, indicator=row.indicator, period=row.period,
                           value=row.value, source=command.channel, idempotency_key=None)  # fmt: skip
        else:
            county.record(county.DataCorrected, context, indicator=row.indicator, period=row.period,
                           value=row.value, previous=item.previous, reason=row.reason.strip())  # fmt: skip
        follow_up(county, row.indicator, row.period, row.value, row.comment, context)
    county.record(
        county.BatchReceived, context, channel=command.channel, key=command.key, fingerprint=command.fingerprint,
        filename=command.filename, rows=summary["rows"], submitted=summary["submitted"],
        corrected=summary["corrected"], unchanged=summary["unchanged"], flagged=summary["flagged"],
        confirmed=summary["confirmed"],
    )  # fmt: skip
