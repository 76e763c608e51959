"""Commands on county streams: enrolment, indicators, weights, data, scores, periods."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool

from api.auth import Authenticated, require
from api.context import command_context, may_correct, one_hop, platform
from api.dependencies import allowed, committed, record, recorded_json
from api.lean import json_body, lean_route, route_dependencies
from api.models import CorrectionIn, OptionalReasonIn, ReasonIn
from api.models_counties import (
    AdoptionIn,
    CountyIn,
    IndicatorIn,
    IndicatorRetirementIn,
    IndicatorRevisionIn,
    Recorded,
    ResponsibilityIn,
    SubmissionIn,
    WeightsIn,
    WithdrawalIn,
)
from api.models_scores import AdjustmentIn, OverrideIn
from domain import commands as c
from domain import county_decides
from domain.access import Action, Principal, refusal_message
from domain.errors import DomainError, Forbidden, Problem
from ruraleval.platform import Platform

router = APIRouter(prefix="/api/v1/counties", tags=["县 counties"])


def centre_side(kind: str) -> list[Any]:
    """The tree's direct routes are the centre's side (admin, the county's evaluators). A
    county user is refused (403) with what is the centre's and where to propose (ADR 20)."""

    async def check(request: Request, principal: Authenticated, service: Platform = Depends(platform)) -> Principal:
        code = request.path_params.get("code")
        if principal.may(Action.MANAGE_INDICATORS, code):
            return principal
        message = refusal_message(principal, Action.MANAGE_INDICATORS, code)
        if code is not None and principal.may(Action.PROPOSE_CHANGES, code):
            body = await request.body()
            target = request.path_params.get("indicator")
            message = await run_in_threadpool(county_side_refusal, service, code, kind, target, body)
        raise Forbidden(Problem("authorization", f"permission:{Action.MANAGE_INDICATORS.value}", message))

    check.__name__ = f"centre_side_{kind}"
    return [Depends(check)]


def county_side_refusal(service: Platform, code: str, kind: str, target: str | None, body: bytes) -> str:
    """Why a county user cannot make this change directly, and how to propose it."""
    try:
        content = orjson.loads(body) if body else {}
    except orjson.JSONDecodeError:
        content = {}
    content = content if isinstance(content, dict) else {}
    year = content.get("year") if isinstance(content.get("year"), int) else None
    parent = content.get("parent") if isinstance(content.get("parent"), str) else None
    try:
        book = service.ledger.county(code).book(year)
        what = county_decides.explain_direct(book, kind, target if kind != "adjust_weights" else parent)
    except DomainError:
        what = "指标体系由中心（评估方案）确定"
    return (
        f"县级不能直接修改指标体系：{what}。县里可以决定的事项（本县个性指标的新增、修订、停用，"
        f"方案允许县调整的分支内的权重）请提交变更申请：POST /api/v1/counties/{code}/proposals"
        f"（kind 为 {kind}），经本县评估组批准后生效"
    )


async def submit_data(code: str, body: SubmissionIn, request: Request) -> Response:
    service: Platform = request.app.state.platform  # not a dependency: one fewer to resolve per submission
    command = c.SubmitData(
        body.indicator,
        body.period,
        body.value,
        body.source,
        body.idempotency_key,
        body.comment,
        body.reason,
        may_correct=may_correct(request, code),
    )
    outcome = await committed(service, request, code, command, Action.SUBMIT_DATA)
    # 200 when nothing was created: the same value stands already. The answer is ``Recorded``
    # (the route's response_model, for the schema), written once (the hottest write, issue 10).
    status = 200 if outcome.result.get("unchanged") else 201
    return Response(recorded_json(code, outcome), status_code=status, media_type="application/json")


SUBMIT_CHECK = require(Action.SUBMIT_DATA)


async def lean_submission(request: Request) -> Response | None:
    """A submission whose body is valid: ``submit_data``'s dependencies and endpoint, without
    FastAPI's resolving (``api.lean``, ~a fifth of a submission's event-loop time); None for
    anything else, which FastAPI's handler answers (its 422s, in its words)."""
    data = await json_body(request)
    if data is None:
        return None
    try:
        body = SubmissionIn.model_validate(data)
    except ValueError:  # pydantic's ValidationError: FastAPI validates it again and answers 422
        return None
    await route_dependencies(request, SUBMIT_CHECK)
    return await submit_data(request.path_params["code"], body, request)


# The busiest route first: FastAPI tries a router's routes in order (see api.app). Registered
# here, before the decorated routes below; a decorator cannot name a route class.
router.add_api_route(
    "/{code}/submissions",
    submit_data,
    methods=["POST"],
    status_code=201,
    response_model=Recorded,
    dependencies=[Depends(SUBMIT_CHECK)],
    summary="报送数据（同一幂等键、同一内容的重复报送按首次结果答复，replayed 为 true，不再存储）",
    route_class_override=lean_route(lean_submission),
)


@router.post(
    "",
    status_code=201,
    response_model=Recorded,
    dependencies=allowed(Action.ENROL_COUNTY, county_param=None),
    summary="县入选（按评估方案建立指标体系）",
)
@one_hop
def enrol_county(body: CountyIn, request: Request, service: Platform = Depends(platform)) -> Recorded:
    scheme = service.ledger.scheme(body.scheme).scheme
    command = c.EnrolCounty(body.code, body.name, body.province, body.region, scheme)
    outcome = service.ledger.enrol(command, command_context(request))
    return Recorded(county=body.code, version=outcome.version, position=outcome.position, events=outcome.events)


@router.post(
    "/{code}/schemes",
    status_code=201,
    response_model=Recorded,
    dependencies=allowed(Action.ENROL_COUNTY, county_param=None),
    summary="县采用另一年度的评估方案（如 2024、2025 年度）",
)
async def adopt_scheme(
    code: str, body: AdoptionIn, request: Request, service: Platform = Depends(platform)
) -> Recorded:
    scheme = service.ledger.scheme(body.scheme).scheme
    return await record(service, request, code, c.AdoptScheme(scheme))


@router.post(
    "/{code}/indicators",
    status_code=201,
    response_model=Recorded,
    dependencies=centre_side("define_indicator"),
    summary="新增个性指标（中心专班或评估组直接修改，须填写理由；县里请提交变更申请）",
)
async def define_indicator(
    code: str, body: IndicatorIn, request: Request, service: Platform = Depends(platform)
) -> Recorded:
    command = c.DefineIndicator(body.indicator, body.reason, body.sibling_weights, body.year)
    return await record(service, request, code, command)


@router.patch(
    "/{code}/indicators/{indicator}",
    response_model=Recorded,
    dependencies=centre_side("revise_indicator"),
    summary="修订指标（名称、单位、评分方法等）（中心专班或评估组直接修改，须填写理由；县里请提交变更申请）",
)
async def revise_indicator(
    code: str, indicator: str, body: IndicatorRevisionIn, request: Request, service: Platform = Depends(platform)
) -> Recorded:
    return await record(service, request, code, c.ReviseIndicator(indicator, body.changes, body.reason, body.year))


@router.post(
    "/{code}/indicators/{indicator}/retire",
    response_model=Recorded,
    dependencies=centre_side("retire_indicator"),
    summary="停用指标（中心专班或评估组直接修改，须填写理由；县里请提交变更申请）",
)
async def retire_indicator(
    code: str, indicator: str, body: IndicatorRetirementIn, request: Request, service: Platform = Depends(platform)
) -> Recorded:
    command = c.RetireIndicator(indicator, body.reason, body.sibling_weights, body.year)
    return await record(service, request, code, command)


@router.put(
    "/{code}/weights",
    response_model=Recorded,
    dependencies=centre_side("adjust_weights"),
    summary="调整权重（同一上级下变动的指标一次提交）（中心专班或评估组直接修改，须填写理由；县里请提交变更申请）",
)
async def adjust_weights(
    code: str, body: WeightsIn, request: Request, service: Platform = Depends(platform)
) -> Recorded:
    return await record(service, request, code, c.AdjustWeights(body.parent, body.weights, body.reason, body.year))


@router.put(
    "/{code}/indicators/{indicator}/responsibility",
    response_model=Recorded,
    dependencies=allowed(Action.ORGANISE_WORK),
    summary="指定指标的责任部门和责任人",
)
async def assign_responsibility(
    code: str, indicator: str, body: ResponsibilityIn, request: Request, service: Platform = Depends(platform)
) -> Recorded:
    command = c.AssignResponsibility(indicator, body.department, body.person, body.year)
    return await record(service, request, code, command)


@router.post(
    "/{code}/corrections",
    response_model=Recorded,
    dependencies=allowed(Action.CORRECT_DATA),
    summary="更正数据（须填写理由）",
)
async def correct_data(
    code: str, body: CorrectionIn, request: Request, service: Platform = Depends(platform)
) -> Recorded:
    command = c.CorrectData(body.indicator, body.period, body.value, body.reason)
    return await record(service, request, code, command, Action.CORRECT_DATA)


@router.post(
    "/{code}/withdrawals",
    response_model=Recorded,
    dependencies=allowed(Action.CORRECT_DATA),
    summary="撤回数据（须填写理由）",
)
async def withdraw_data(
    code: str, body: WithdrawalIn, request: Request, service: Platform = Depends(platform)
) -> Recorded:
    command = c.WithdrawSubmission(body.indicator, body.period, body.reason)
    return await record(service, request, code, command, Action.CORRECT_DATA)


@router.post(
    "/{code}/overrides",
    status_code=201,
    response_model=Recorded,
    dependencies=allowed(Action.OVERRIDE_SCORE),
    summary="调整得分（覆盖计算得分）",
)
async def override_score(
    code: str, body: OverrideIn, request: Request, service: Platform = Depends(platform)
) -> Recorded:
    command = c.OverrideScore(body.year, body.node, body.score, body.authority, body.reason, uuid.uuid4().hex)
    return await record(service, request, code, command)


@router.post(
    "/{code}/overrides/{override_id}/revoke",
    response_model=Recorded,
    dependencies=allowed(Action.OVERRIDE_SCORE),
    summary="撤销得分调整（须填写理由），恢复其下的有效结果：次高权限（同权限时较新）的调整，或计算得分",
)
async def revoke_override(
    code: str, override_id: str, body: ReasonIn, request: Request, service: Platform = Depends(platform)
) -> Recorded:
    return await record(service, request, code, c.RevokeOverride(override_id, body.reason))


@router.post(
    "/{code}/adjustments",
    status_code=201,
    response_model=Recorded,
    dependencies=allowed(Action.ADJUST_POINTS),
    summary="加减分（类别定正负；答复含本条及年度各条封顶后计入的分值）",
)
async def adjust_points(
    code: str, body: AdjustmentIn, request: Request, service: Platform = Depends(platform)
) -> Recorded:
    command = c.AdjustPoints(body.year, body.points, body.category, body.reason, uuid.uuid4().hex)
    return await record(service, request, code, command)


@router.post(
    "/{code}/adjustments/{adjustment_id}/revoke",
    response_model=Recorded,
    dependencies=allowed(Action.ADJUST_POINTS),
    summary="撤销加减分（须填写理由；答复含撤销后年度各条计入的分值）",
)
async def revoke_points(
    code: str, adjustment_id: str, body: ReasonIn, request: Request, service: Platform = Depends(platform)
) -> Recorded:
    return await record(service, request, code, c.RevokePoints(adjustment_id, body.reason))


@router.post(
    "/{code}/periods/{period}/close",
    response_model=Recorded,
    dependencies=allowed(Action.CLOSE_PERIOD),
    summary="关账（此后该期间不再接收数据）",
)
async def close_period(
    code: str,
    period: str,
    request: Request,
    body: OptionalReasonIn | None = None,
    service: Platform = Depends(platform),
) -> Recorded:
    return await record(service, request, code, c.ClosePeriod(period, body.reason if body else ""))


@router.post(
    "/{code}/periods/{period}/reopen",
    response_model=Recorded,
    dependencies=allowed(Action.CLOSE_PERIOD),
    summary="重新开启已关账的期间（须填写理由）",
)
async def reopen_period(
    code: str, period: str, body: ReasonIn, request: Request, service: Platform = Depends(platform)
) -> Recorded:
    return await record(service, request, code, c.ReopenPeriod(period, body.reason))
