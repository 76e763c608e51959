"""The use of a town's results (004 八–九; ADR 26, 27): its result notice (核查结果通报, a PDF
stored by hash and recorded with its as-of and hashes), its consequence by the scheme's grade
rules, and rectification items walked through the county's steps and inspection.

Everything is done by the county office (``verify_towns``: the coordinator, or an
administrator); whoever declared an item done does not verify it (separation of duties).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import Field

from api.context import attachment, county_in_path, one_hop, platform
from api.dependencies import allowed
from api.models import Body
from api.verification_writes import WrittenOut, write, write_routes
from domain import report_commands as rc
from domain import verification_commands as v
from domain.access import Action
from domain.recorded_time import parse_as_of
from reports import town_notice
from ruraleval import town_outcome_reads
from ruraleval.platform import Platform

router = APIRouter(prefix="/api/v1/counties", tags=["镇级核查结果运用 verification outcomes"])
YearPath = Annotated[int, Path(ge=2000, le=2100, description="核查年度，如 2023")]
BASE = "/{code}/verification/{year}"
write_route = write_routes(router)
READ = allowed(Action.READ)
MAX_TEXT = 20000


class NoticeIn(Body):
    as_of: str | None = Field(
        default=None,
        max_length=40,
        description="数据截止时刻：日期（北京时间当日结束时）或带时区的时刻；省略为现在。同一时刻重新生成得到相同的文件",
        examples=["2024-01-15T08:00:00+08:00"],
    )


class ItemIn(Body):
    requirement: str = Field(max_length=2000)
    deadline: str = Field(max_length=20, description="整改期限 YYYY-MM-DD")
    answerer: str = Field(max_length=100, description="责任单位或责任人")
    problem_id: str | None = Field(default=None, max_length=20, description="最新核查结果通报中的问题编号，如 P1")
    problem: str = Field(default="", max_length=2000, description="不来自通报时：问题")


class StepIn(Body):
    text: str = Field(max_length=MAX_TEXT)


class VerifyIn(Body):
    comment: str = Field(default="", max_length=2000)


class RejectIn(Body):
    reason: str = Field(max_length=2000)


@router.get(BASE + "/outcomes", dependencies=READ, summary="各镇核查结果通报、表扬约谈和整改事项")
@one_hop
def outcomes(code: str, year: YearPath, town: str | None = None, service: Platform = Depends(platform)) -> Any:
    return town_outcome_reads.outcomes(service.ledger.town_verification(county_in_path(code), year), town)


@write_route(BASE + "/towns/{town}/notices", summary="出具某镇的核查结果通报（PDF 按哈希保存，出具记为事件）")
async def issue_notice(
    code: str, year: YearPath, town: str, body: NoticeIn, request: Request, service: Platform = Depends(platform)
) -> WrittenOut:
    now = service.ledger.clock()
    at = parse_as_of(body.as_of, now) if body.as_of else now  # a date: the end of that Beijing day; never future
    await run_in_threadpool(service.ledger.settle, at)
    _, command = await run_in_threadpool(town_notice.prepare, service, county_in_path(code), year, town, at)
    return await write(service, request, code, year, command)


PDF: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}}}


@router.get(BASE + "/notices/{notice_id}/file", response_class=Response, dependencies=READ, responses=PDF,
            summary="下载核查结果通报（出具时保存的字节）")  # fmt: skip
@one_hop
def notice_file(code: str, year: YearPath, notice_id: str, service: Platform = Depends(platform)) -> Response:
    found = service.ledger.town_verification(county_in_path(code), year)
    notice = town_outcome_reads.notice_of(found, notice_id)
    stored = service.files.get(notice.file_sha256)
    name = f"{found.registry.town_name(notice.town)}-{year}年度核查结果通报-{notice.id}.pdf"
    return Response(stored.content, media_type=stored.media_type,
                    headers=attachment(f"{code}-{year}-{notice.town}-{notice.id}.pdf", name))  # fmt: skip


@write_route(
    BASE + "/towns/{town}/consequences",
    summary="按方案的挂钩规则认定某镇的表扬或约谈（依据最新的核查结果通报）",
)
async def decide(code: str, year: YearPath, town: str, request: Request,
                 service: Platform = Depends(platform)) -> WrittenOut:  # fmt: skip
    return await write(service, request, code, year, v.DecideTownConsequences(town))


@write_route(BASE + "/towns/{town}/rectification", summary="下达某镇的整改事项（来自通报的问题或县核查办）")
async def raise_item(code: str, year: YearPath, town: str, body: ItemIn, request: Request,
                     service: Platform = Depends(platform)) -> WrittenOut:  # fmt: skip
    command = v.RaiseTownRectification(town, body.requirement, body.deadline, body.answerer, body.problem_id,
                                       body.problem)  # fmt: skip
    return await write(service, request, code, year, command)


@write_route(BASE + "/rectification/{item_id}/plan", summary="录入镇的整改方案")
async def plan(code: str, year: YearPath, item_id: str, body: StepIn, request: Request,
               service: Platform = Depends(platform)) -> WrittenOut:  # fmt: skip
    return await write(service, request, code, year, rc.FileRectificationPlan(year, item_id, body.text))


@write_route(BASE + "/rectification/{item_id}/progress", summary="录入镇的整改进展")
async def progress(code: str, year: YearPath, item_id: str, body: StepIn, request: Request,
                   service: Platform = Depends(platform)) -> WrittenOut:  # fmt: skip
    return await write(service, request, code, year, rc.ReportRectificationProgress(year, item_id, body.text))


@write_route(BASE + "/rectification/{item_id}/done", summary="申报镇的整改完成")
async def done(code: str, year: YearPath, item_id: str, body: StepIn, request: Request,
               service: Platform = Depends(platform)) -> WrittenOut:  # fmt: skip
    return await write(service, request, code, year, rc.DeclareRectificationDone(year, item_id, body.text))


@write_route(BASE + "/rectification/{item_id}/verify", summary="核验销号（申报完成者以外的人）")
async def verify(code: str, year: YearPath, item_id: str, body: VerifyIn, request: Request,
                 service: Platform = Depends(platform)) -> WrittenOut:  # fmt: skip
    return await write(service, request, code, year, rc.VerifyRectification(year, item_id, body.comment))


@write_route(BASE + "/rectification/{item_id}/reject", summary="核验未通过，退回整改")
async def reject(code: str, year: YearPath, item_id: str, body: RejectIn, request: Request,
                 service: Platform = Depends(platform)) -> WrittenOut:  # fmt: skip
    return await write(service, request, code, year, rc.RejectRectification(year, item_id, body.reason))
