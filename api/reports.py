"""The annual report (评估报告) and its 一表 / 一书 / 一账 files: issue, list, download, check (ADR 25)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from api.auth import require
from api.consistency import READ_WAIT_SECONDS
from api.context import attachment, command_context, county_in_path, one_hop, platform
from api.dependencies import allowed
from api.models import Body, Year
from domain.access import Action, Principal
from domain.recorded_time import CHINA, parse_as_of
from domain.reports import FILE_NAMES
from domain.state import IssuedReport
from projections.progress import unavailable
from reports import issue
from ruraleval.platform import Platform

router = APIRouter(prefix="/api/v1", tags=["评估报告 reports"])
YearQuery = Query(ge=2000, le=2100, description="评估年度，如 2023")
# As the other routes read a year (full-width digits too, ADR 17): the validator stays in ``Annotated``.
YearParam = Annotated[Year, Query(ge=2000, le=2100, description="评估年度，如 2023")]
OptionalYear = Annotated[Year | None, Query(ge=2000, le=2100, description="评估年度，如 2023；省略为全部年度")]
AS_OF = Query(None, description="记录时间：日期（北京时间当日结束时）或带时区的时刻；只列此前出具的报告；省略为现在")


def recorded_by(service: Platform, as_of: str | None) -> datetime | None:
    """The instant asked for, made final; None for now."""
    if as_of is None:
        return None
    at = parse_as_of(as_of, service.ledger.clock())
    service.ledger.settle(at)
    return at


def issued_by(report: IssuedReport, at: datetime | None) -> bool:
    return at is None or report.recorded_at <= at


class IssueIn(Body):
    year: Year = Field(ge=2000, le=2100, description="评估年度")
    as_of: str | None = Field(
        default=None, max_length=40,
        description="数据截止时刻：日期（北京时间当日结束时）或带时区的时刻；省略为现在",
        examples=["2024-01-15T08:00:00+08:00"],
    )  # fmt: skip


class ReportFileOut(BaseModel):
    name: str = Field(description="report.pdf 评估报告 / notice.pdf 整改通知书（一书）/ table.xlsx 指标表（一表）/ "
                                  "ledger.xlsx 整改台账（一账）")  # fmt: skip
    title: str
    sha256: str
    href: str


class ReportOut(BaseModel):
    id: str
    county: str
    year: int
    as_of: datetime
    content_sha256: str = Field(description="报告内容（规范化 JSON）的 SHA-256，即报告上印出的哈希")
    files: list[ReportFileOut]
    total: float
    grade: str
    rank: int | None
    region_rank: int | None
    highlights: list[dict[str, Any]]
    problems: list[dict[str, Any]]
    issued_by: str
    issued_at: datetime
    position: int | None = Field(default=None, description="出具时：记录该事件的日志位置")


class ReportsOut(BaseModel):
    year: int | None
    reports: list[ReportOut]


class CheckOut(BaseModel):
    report_id: str
    as_of: datetime
    matches: bool = Field(description="按原数据截止时刻重新生成的报告与出具时逐字节一致")
    content_matches: bool
    content_sha256: dict[str, str] = Field(description="issued 出具时 / regenerated 重新生成的报告内容哈希")
    files: dict[str, dict[str, str | bool]]
    message: str


def report_out(code: str, year: int, report: IssuedReport, position: int | None = None) -> ReportOut:
    base = f"/api/v1/counties/{code}/reports/{report.id}/files"
    return ReportOut(
        id=report.id, county=code, year=year, as_of=report.as_of.astimezone(CHINA),
        content_sha256=report.content_sha256,
        files=[ReportFileOut(name=name, title=issue.TITLES[name], sha256=report.files[name], href=f"{base}/{name}")
               for name in FILE_NAMES if name in report.files],
        total=float(report.total), grade=report.grade, rank=report.rank, region_rank=report.region_rank,
        highlights=report.highlights, problems=report.problems, issued_by=report.actor,
        issued_at=report.recorded_at.astimezone(CHINA), position=position,
    )  # fmt: skip


async def settled_at(service: Platform, at: datetime) -> None:
    """Makes ``at`` final and waits until every read model holds what was recorded up to it (ADR 16, 24)."""
    position = await run_in_threadpool(service.ledger.settle, at)
    reason = await service.progress.wait(position, tuple(service.progress.positions()), READ_WAIT_SECONDS)
    if reason is not None:
        raise unavailable(reason)


@router.post("/counties/{code}/reports", status_code=201, response_model=ReportOut,
             dependencies=allowed(Action.ISSUE_REPORT),
             summary="出具评估报告（本县评估组或中心专班）：按数据截止时刻生成报告 PDF、整改通知书、指标表和整改台账，"
                     "记录其哈希")  # fmt: skip
async def issue_report(code: str, body: IssueIn, request: Request, service: Platform = Depends(platform)) -> ReportOut:
    county_in_path(code)
    now = service.ledger.clock()
    at = parse_as_of(body.as_of, now) if body.as_of else now
    await settled_at(service, at)
    _, command = await run_in_threadpool(issue.prepare, service, code, body.year, at)
    context = command_context(request, Action.ISSUE_REPORT, code)
    outcome = await asyncio.wrap_future(service.ledger.submit(code, command, context))
    found = await run_in_threadpool(issue.issued, service, code, body.year, str(outcome.result["report_id"]))
    return report_out(code, body.year, found, outcome.position)


@router.get("/counties/{code}/reports", response_model=ReportsOut, dependencies=allowed(Action.READ),
            summary="县的评估报告（按出具顺序）")  # fmt: skip
@one_hop
def county_reports(code: str, year: OptionalYear = None, as_of: str | None = AS_OF,
                   service: Platform = Depends(platform)) -> ReportsOut:  # fmt: skip
    county = service.ledger.county(county_in_path(code))
    at = recorded_by(service, as_of)
    books = [county.book(year)] if year is not None else [county.years[y] for y in sorted(county.years)]
    found = [report_out(code, b.scheme.year, r) for b in books for r in b.reports.values() if issued_by(r, at)]
    return ReportsOut(year=year, reports=found)


@router.get("/reports", response_model=ReportsOut, summary="可查看的各县评估报告")
@one_hop
def all_reports(
    year: YearParam,
    as_of: str | None = AS_OF,
    principal: Principal = Depends(require(Action.READ, county_param=None)),
    service: Platform = Depends(platform),
) -> ReportsOut:
    at = recorded_by(service, as_of)
    found = issue.issued_reports(service, principal.readable_counties(), year)
    return ReportsOut(year=year, reports=[report_out(code, year, r) for code, r in found if issued_by(r, at)])


@router.get("/counties/{code}/reports/{report_id}/files/{name}", dependencies=allowed(Action.READ),
            summary="下载报告文件（出具时存储的字节）：report.pdf / notice.pdf / table.xlsx / ledger.xlsx")  # fmt: skip
@one_hop
def download(code: str, report_id: str, name: str, service: Platform = Depends(platform)) -> Response:
    found = issue.stored_file(service, county_in_path(code), report_id, name)
    headers = attachment(found.ascii_name, found.name) | {"ETag": f'"{found.stored.sha256}"'}
    return Response(found.stored.content, media_type=found.stored.media_type, headers=headers)


@router.get("/counties/{code}/reports/{report_id}/check", response_model=CheckOut, dependencies=allowed(Action.READ),
            summary="按出具时的数据截止时刻重新生成报告，与出具的文件逐一比对哈希")  # fmt: skip
async def check_report(code: str, report_id: str, service: Platform = Depends(platform)) -> CheckOut:
    year, report = await run_in_threadpool(issue.find, service, county_in_path(code), report_id)
    await settled_at(service, report.as_of)
    result = await run_in_threadpool(issue.check, service, code, year, report)
    return check_out(result)


def check_out(result: issue.Check) -> CheckOut:
    files: dict[str, dict[str, str | bool]] = {
        name: {"issued": a, "regenerated": b, "matches": a == b} for name, (a, b) in result.files.items()
    }
    message = result.message()
    return CheckOut(report_id=result.report_id, as_of=result.as_of, matches=result.matches,
                    content_matches=result.content_matches, files=files, message=message,
                    content_sha256={"issued": result.issued_content_sha256,
                                    "regenerated": result.regenerated_content_sha256})  # fmt: skip
