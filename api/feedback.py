"""Review and feedback (在线反馈), flagged values, and action plans with their files."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from pydantic import AfterValidator, BaseModel, Field

from api.auth import require
from api.context import attachment, one_hop, platform
from api.dependencies import allowed, record
from api.models import Body, Period, Text, Year, no_nul
from api.models_counties import Recorded
from domain import commands as c
from domain.access import Action, Principal
from domain.errors import NotFound
from domain.review import describe_thread, speaking_side, threads_in_order
from domain.state import ActionPlan
from ruraleval.action_plans import plan_with_files
from ruraleval.platform import Platform

router = APIRouter(prefix="/api/v1/counties", tags=["反馈 feedback"])

# A thread is about a submission (its period) or, with no period, the indicator as a whole.
ThreadPeriod = Annotated[Period, Field(description="2023-05 等；为空表示针对指标整体")]


class ReviewIn(Body):
    indicator: str = Field(max_length=32, examples=["1.2"])
    period: Period
    decision: Literal["accept", "return"] = Field(description="accept 通过 / return 退回")
    comment: Text = ""


class ConfirmationIn(Body):
    indicator: str = Field(max_length=32)
    period: Period
    comment: Text = Field(description="对异常波动的说明")


class FeedbackIn(Body):
    indicator: str = Field(max_length=32)
    period: ThreadPeriod = ""
    comment: Text
    year: Year | None = Field(default=None, ge=2000, le=2100)


class CloseIn(Body):
    indicator: str = Field(max_length=32)
    period: ThreadPeriod = ""
    comment: Text = ""
    year: Year | None = Field(default=None, ge=2000, le=2100)


class CommentOut(BaseModel):
    actor: str
    side: str
    text: str
    at: datetime
    action: str


class ThreadOut(BaseModel):
    indicator: str
    indicator_name: str
    period: str
    status: str
    status_label: str
    waiting_on: str | None = Field(description="county / evaluator / null")
    returned_at: datetime | None
    answered_at: datetime | None
    updated_at: datetime | None
    flag: str | None = Field(description="未确认的数值异常波动提示")
    comments: list[CommentOut]


class FeedbackOut(BaseModel):
    county: str
    year: int
    threads: list[ThreadOut]


class AttachedFileOut(BaseModel):
    name: str
    sha256: str
    size: int
    media_type: str
    url: str


class ActionPlanOut(BaseModel):
    county: str
    year: int
    indicator: str
    text: str
    files: list[AttachedFileOut]
    actor: str
    recorded_at: datetime
    version: int


@router.post("/{code}/reviews", response_model=Recorded, dependencies=allowed(Action.REVIEW_DATA),
             summary="审核报送数据：通过，或退回并填写意见")  # fmt: skip
async def review_submission(
    code: str, body: ReviewIn, request: Request, service: Platform = Depends(platform)
) -> Recorded:
    command = c.ReviewSubmission(body.indicator, body.period, body.decision, body.comment)
    return await record(service, request, code, command, Action.REVIEW_DATA)


@router.post("/{code}/confirmations", response_model=Recorded, dependencies=allowed(Action.SUBMIT_DATA),
             summary="确认异常波动的数值（须填写说明）")  # fmt: skip
async def confirm_anomaly(
    code: str, body: ConfirmationIn, request: Request, service: Platform = Depends(platform)
) -> Recorded:
    command = c.ConfirmAnomaly(body.indicator, body.period, body.comment)
    return await record(service, request, code, command, Action.SUBMIT_DATA)


@router.post("/{code}/feedback", status_code=201, response_model=Recorded, summary="在线反馈留言")
async def post_feedback(
    code: str,
    body: FeedbackIn,
    request: Request,
    principal: Principal = Depends(require(Action.DISCUSS)),
    service: Platform = Depends(platform),
) -> Recorded:
    command = c.PostFeedback(body.indicator, body.period, speaking_side(principal, code), body.comment, body.year)
    return await record(service, request, code, command, Action.DISCUSS)


@router.post("/{code}/feedback/close", response_model=Recorded, dependencies=allowed(Action.REVIEW_DATA),
             summary="结束一条反馈")  # fmt: skip
async def close_thread(code: str, body: CloseIn, request: Request, service: Platform = Depends(platform)) -> Recorded:
    command = c.CloseThread(body.indicator, body.period, body.comment, body.year)
    return await record(service, request, code, command, Action.REVIEW_DATA)


@router.get("/{code}/feedback", response_model=FeedbackOut, dependencies=allowed(Action.READ),
            summary="反馈列表（status=open 为未结束的反馈）")  # fmt: skip
@one_hop
def list_feedback(
    code: str,
    status: Literal["open", "returned", "answered", "accepted", "closed", "all"] = Query(
        "open", description="open（未结束：讨论中、已退回、已答复）/ returned / answered / accepted / closed / all"
    ),
    indicator: str | None = Query(None, max_length=32),
    year: Year | None = Query(None, ge=2000, le=2100),
    service: Platform = Depends(platform),
) -> FeedbackOut:
    book = service.ledger.county(code).book(year)
    threads = [ThreadOut(**describe_thread(book, thread)) for thread in threads_in_order(book, status, indicator)]
    return FeedbackOut(county=code, year=book.scheme.year, threads=threads)


@router.put("/{code}/indicators/{indicator}/action-plan", response_model=Recorded,
            dependencies=allowed(Action.ORGANISE_WORK), summary="上传指标的行动方案（文字与附件）")  # fmt: skip
async def record_action_plan(
    code: str,
    indicator: str,
    request: Request,
    text: Annotated[str, Form(max_length=20000, description="行动方案内容"), AfterValidator(no_nul)],
    files: Annotated[list[UploadFile] | None, File(description="附件（每个不超过 20 MB）")] = None,
    year: Year | None = Query(None, ge=2000, le=2100),
    service: Platform = Depends(platform),
) -> Recorded:
    async def run(command: c.RecordActionPlan) -> Recorded:
        return await record(service, request, code, command)

    command = await plan_with_files(service, run, indicator, text, files or [], year)
    return await record(service, request, code, command)


@router.get("/{code}/indicators/{indicator}/action-plan", response_model=ActionPlanOut,
            dependencies=allowed(Action.READ), summary="指标的行动方案")  # fmt: skip
@one_hop
def action_plan(
    code: str, indicator: str, year: Year | None = Query(None, ge=2000, le=2100), service: Platform = Depends(platform)
) -> ActionPlanOut:
    book = service.ledger.county(code).book(year)
    plan = book.action_plans.get(indicator)
    if plan is None:
        raise NotFound.of("indicator", "action_plan", f"指标“{indicator}”尚未上传行动方案")
    return _plan_out(code, book.scheme.year, indicator, plan)


def _plan_out(code: str, year: int, indicator: str, plan: ActionPlan) -> ActionPlanOut:
    files = [AttachedFileOut(**vars(item), url=f"/api/v1/counties/{code}/files/{item.sha256}") for item in plan.files]
    return ActionPlanOut(county=code, year=year, indicator=indicator, text=plan.text, files=files,
                         actor=plan.actor, recorded_at=plan.recorded_at, version=plan.version)  # fmt: skip


@router.get("/{code}/files/{sha256}", dependencies=allowed(Action.READ), response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}}, "description": "附件内容"}},
            summary="下载行动方案或整改材料的附件（按内容哈希）")  # fmt: skip
@one_hop
def download_file(code: str, sha256: str, service: Platform = Depends(platform)) -> Response:
    county = service.ledger.county(code)
    names = {item.sha256: item.name for book in county.years.values() for plan in book.action_plans.values()
             for item in plan.files}  # fmt: skip
    names |= {item.sha256: item.name for book in county.years.values() for entry in book.rectification.values()
              for step in entry.steps for item in step.files if item.sha256 not in names}  # fmt: skip
    if sha256 not in names:
        raise NotFound.of("sha256", "known_file", f"本县的行动方案和整改材料中没有内容哈希为 {sha256} 的附件")
    stored = service.files.get(sha256)
    headers = attachment(sha256[:12], names[sha256]) | {"ETag": f'"{sha256}"'}
    # Never the uploader's type: an uploaded page or script must not run in our origin (ADR 15).
    return Response(stored.content, media_type="application/octet-stream", headers=headers)
