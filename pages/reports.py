"""The report pages (评估报告): the year's reports by county, with the 出具报告 form for the
county's evaluators and the centre; a county's own reports; downloads of the stored files;
regenerate and compare. Each handler checks the permission of the API route serving the same
data (``api.reports``): READ to see, ISSUE_REPORT to issue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from domain.access import Action
from domain.errors import DomainError, InvalidCommand, NotFound
from domain.recorded_time import parse_as_of
from pages import reads
from pages.downloads import check_table
from pages.reads_reports import counties_with_reports
from pages.render import page
from pages.review_forms import done, posted
from pages.session import Viewer, platform_of, require, viewer
from pages.writes import county_command, settled_instant
from reports import issue
from ruraleval.files import attachment

router = APIRouter(tags=["pages"], include_in_schema=False)
Signed = Annotated[Viewer, Depends(viewer)]
YearParam = Annotated[int | None, Query(ge=2000, le=2100)]
TABLES = {"reports": "已出具的评估报告"}


def _year(request: Request, year: int | None) -> int:
    found = year or reads.default_year(platform_of(request), reads.years(platform_of(request)))
    if found is None:
        raise NotFound.of("year", "scheme_year", "平台上还没有任何年度的评估方案")
    return found


@router.get("/reports", response_class=HTMLResponse)
def reports_page(request: Request, who: Signed, year: YearParam = None) -> Response:
    require(who, Action.READ)
    check_table(request, TABLES)
    chosen = _year(request, year)
    rows = counties_with_reports(platform_of(request), who.principal, chosen)
    return page(request, "reports/list.html", {"year": chosen, "years": reads.years(platform_of(request)),
                                                "rows": rows, "county": None, "errors": {}})  # fmt: skip


@router.get("/counties/{code}/reports", response_class=HTMLResponse)
def county_reports_page(request: Request, code: str, who: Signed, year: YearParam = None) -> Response:
    require(who, Action.READ, code)
    check_table(request, TABLES)
    meta = reads.enrolled_county(platform_of(request), code)
    chosen = _year(request, year)
    rows = counties_with_reports(platform_of(request), who.principal, chosen, only=code)
    return page(request, "reports/list.html", {"year": chosen, "years": reads.years(platform_of(request)),
                                                "rows": rows, "county": meta, "errors": {}})  # fmt: skip


@router.post("/counties/{code}/reports", response_class=HTMLResponse)
async def issue_from_page(request: Request, code: str, who: Signed) -> Response:
    """The 出具报告 form: as of the end of the day given (Beijing), or now."""
    require(who, Action.ISSUE_REPORT, code)
    values = await posted(request, ("year",))
    service = platform_of(request)
    asked = values.get("back") or ""
    back = asked if asked in ("/reports", f"/counties/{code}/reports") else "/reports"
    try:
        values.check()
        year_text = values.get("year", "")
        if not year_text.isdigit():
            raise InvalidCommand.of("year", "scheme_year", "请选择评估年度")
        year = int(year_text)
        now = service.ledger.clock()
        at = parse_as_of(values.get("as_of", ""), now) if values.get("as_of") else now
        await settled_instant(request, at)
        _, command = await run_in_threadpool(issue.prepare, service, code, year, at)
        await county_command(request, code, command, Action.ISSUE_REPORT)
    except DomainError as error:
        rows = await run_in_threadpool(counties_with_reports, service, who.principal, _year(request, None))
        errors = {code: "；".join(p.message for p in error.problems)}
        return page(request, "reports/list.html", {"year": _year(request, None), "years": reads.years(service),
                                                    "rows": rows, "county": None, "errors": errors},
                    status=error.status)  # fmt: skip
    return done(back, "issued", year=year)


@router.get("/counties/{code}/reports/{report_id}/files/{name}")
def download_page(request: Request, code: str, report_id: str, name: str, who: Signed) -> Response:
    require(who, Action.READ, code)
    found = issue.stored_file(platform_of(request), code, report_id, name)
    headers = attachment(found.ascii_name, found.name) | {"ETag": f'"{found.stored.sha256}"'}
    return Response(found.stored.content, media_type=found.stored.media_type, headers=headers)


@router.get("/counties/{code}/reports/{report_id}/check", response_class=HTMLResponse)
async def check_page(request: Request, code: str, report_id: str, who: Signed) -> Response:
    require(who, Action.READ, code)
    service = platform_of(request)
    year, report = await run_in_threadpool(issue.find, service, code, report_id)
    await settled_instant(request, report.as_of)
    result = await run_in_threadpool(issue.check, service, code, year, report)
    return page(request, "reports/check.html", {"code": code, "year": year, "report": report, "result": result,
                                                 "titles": issue.TITLES})  # fmt: skip
