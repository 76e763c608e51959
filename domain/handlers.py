"""Every county command and the function that checks it and records its events.

``County.handle`` looks the command up here (cosmicpython's ``COMMAND_HANDLERS``): grep a
command's name to find what it does. The handlers of a topic live in its own module:
the indicator tree in ``indicators``, data in ``intake`` (batches in ``batches``), review
in ``review``, overrides and points in ``overrides``, proposals in ``proposals``,
rectification (整改) in ``rectification``; the county's calendar and enrolment are here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from domain import (
    batches,
    consequences,
    county_checks,
    indicators,
    intake,
    overrides,
    proposals,
    rectification,
    reports,
    review,
)
from domain import commands as c
from domain import composite_inputs as composite_input_rules
from domain import report_commands as rc
from domain.errors import ConflictError, InvalidCommand, Problem, require_reason
from domain.periods import parse_period
from domain.provinces import names_of, province_of, region_of

if TYPE_CHECKING:
    from domain.county import County

TOWN_SCHEME_WORDS = (
    "这是县对镇的核查方案（object 为 town），请在本县镇级核查中使用：POST /api/v1/counties/{code}/verification"
)
MAX_COUNTY_NAME = 30  # characters of a county's name (a long one breaks every table it is shown in)


def adopt_scheme(county: County, command: c.AdoptScheme, context: c.Context) -> None:
    if command.scheme is not None and command.scheme.object != "county":  # the enrolment page judges a missing one
        raise InvalidCommand.of("scheme", "county_scheme", TOWN_SCHEME_WORDS)
    if str(command.scheme.year) in county.years:
        raise ConflictError.of(
            "scheme", "one_scheme_per_year", f"{county.name}已采用 {command.scheme.year} 年度的评估方案"
        )
    county.record(county.SchemeAdopted, context, scheme=command.scheme)


def close_period(county: County, command: c.ClosePeriod, context: c.Context) -> None:
    period = parse_period(command.period)
    book = county.book(period.year, "period")
    county_checks.check_open(book, period, "period")
    county.record(county.PeriodClosed, context, period=str(period), reason=command.reason.strip())


def reopen_period(county: County, command: c.ReopenPeriod, context: c.Context) -> None:
    reason = require_reason(command.reason)
    period = parse_period(command.period)
    book = county.book(period.year, "period")
    if str(period) not in book.closed:
        raise ConflictError.of("period", "closed_period", f"期间“{period}”没有关账，无需重新开启")
    county.record(county.PeriodReopened, context, period=str(period), reason=reason)


CommandHandler = Callable[["County", Any, c.Context], "dict[str, Any] | None"]

COMMAND_HANDLERS: dict[type, CommandHandler] = {
    c.AdoptScheme: adopt_scheme,
    c.DefineIndicator: indicators.define_indicator,
    c.ReviseIndicator: indicators.revise_indicator,
    c.RetireIndicator: indicators.retire_indicator,
    c.AdjustWeights: indicators.adjust_weights,
    c.AssignResponsibility: indicators.assign_responsibility,
    c.SubmitData: intake.submit_data,
    c.CorrectData: intake.correct_data,
    c.WithdrawSubmission: intake.withdraw_submission,
    c.SubmitBatch: batches.submit_batch,
    c.ConfirmAnomaly: intake.confirm_anomaly,
    c.ReviewSubmission: review.review_submission,
    c.PostFeedback: review.post_feedback,
    c.CloseThread: review.close_thread,
    c.RecordActionPlan: review.record_action_plan,
    c.OverrideScore: overrides.override_score,
    c.RevokeOverride: overrides.revoke_override,
    c.AdjustPoints: overrides.adjust_points,
    c.RevokePoints: overrides.revoke_points,
    c.RecordCompositeInput: composite_input_rules.record_composite_input,
    c.ClosePeriod: close_period,
    c.ReopenPeriod: reopen_period,
    c.ProposeChange: proposals.propose_change,
    c.ApproveProposal: proposals.approve_proposal,
    c.RejectProposal: proposals.reject_proposal,
    c.WithdrawProposal: proposals.withdraw_proposal,
    rc.DecideConsequences: consequences.decide_consequences,
    rc.IssueReport: reports.issue_report,
    rc.RaiseRectification: rectification.raise_rectification,
    rc.FileRectificationPlan: rectification.file_plan,
    rc.ReportRectificationProgress: rectification.report_progress,
    rc.DeclareRectificationDone: rectification.declare_done,
    rc.VerifyRectification: rectification.verify,
    rc.RejectRectification: rectification.reject,
}


def check_enrolment(command: c.EnrolCounty) -> None:
    problems = []
    if not c.is_county_code(command.code):
        problems.append(Problem("code", "admin_code", f"县级行政区划代码必须是 6 位数字，收到“{command.code}”"))
    elif province_of(command.code) is None:
        problems.append(Problem("code", "province_code", f"行政区划代码“{command.code}”的前两位不是省级代码"
                                "（如 13 河北省、14 山西省）"))  # fmt: skip
    name, province = command.name.strip(), command.province.strip()
    if not name:
        problems.append(Problem("name", "required", "县名称必须填写"))
    elif len(name) > MAX_COUNTY_NAME:
        problems.append(Problem("name", "max_length", f"县名称不能超过 {MAX_COUNTY_NAME} 个字，收到 {len(name)} 个字"))
    if not province:
        problems.append(Problem("province", "required", "所属省份必须填写"))
    elif province_of(command.code) is not None and province not in names_of(command.code):
        problems.append(Problem("province", "code_province", f"所属省份与行政区划代码不符：代码 {command.code} "
                                f"属于{province_of(command.code)}，收到“{province[:MAX_COUNTY_NAME]}”"))  # fmt: skip
    if command.region not in c.REGIONS:
        problems.append(Problem("region", "one_of", "分区只能是东部、中部或西部"))
    elif region_of(command.code) not in (None, command.region) and not problems:
        expected = c.REGION_LABELS[region_of(command.code) or ""]
        message = (f"分区（region）与所属省份（province）不符：{province_of(command.code)}属于{expected}，"
                   f"收到“{c.REGION_LABELS[command.region]}”")  # fmt: skip
        problems.append(Problem("region", "province_region", message))
    if command.scheme is not None and command.scheme.object != "county":  # the enrolment page judges a missing one
        problems.append(Problem("scheme", "county_scheme", TOWN_SCHEME_WORDS))
    if problems:
        raise InvalidCommand(problems)
