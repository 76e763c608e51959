"""The clerk's pages (填报): the monthly entry form, saved cell by cell, and the workbook door.

Every value goes through the county's own rules, as on the API: a cell posts one
``SubmitData`` (a correction when a value stands, with its reason), a flagged value is
confirmed by ``ConfirmAnomaly`` (the command of ``POST …/confirmations``), a workbook is one
all-or-nothing ``SubmitBatch`` (``ruraleval.imports``, shared with ``POST …/imports``). A
refused value is answered with its row, the message beside the cell, and nothing stored.
"""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from domain import commands as c
from domain.access import Action
from domain.decimals import NotANumber, plain, read_number, within_reach
from domain.errors import ConflictError, DomainError, InvalidCommand, NotFound
from domain.inputs import NUL_WORDS
from domain.periods import Period, parse_period
from pages import reads, reads_clerk
from pages.render import environment, page
from pages.session import Viewer, platform_of, require, viewer
from pages.writes import county_command
from ruraleval import imports, workbooks
from ruraleval.files import attachment
from ruraleval.platform import Platform

router = APIRouter(tags=["pages"], include_in_schema=False)
Signed = Annotated[Viewer, Depends(viewer)]
TEMPLATE = "clerk/entry.html"
MAX_TEXT = 2000
MAX_NUMBER = 64  # characters of a typed number
# What a save answers with (the row, the import's counts) is read from the county's stream,
# current once the command is stored: no read model to wait for. The home's lists (read
# models) follow within the projections' interval.
NEXT_VIEW: tuple[str, ...] = ()


def _text(form: Any, name: str, limit: int = MAX_TEXT) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _wanted(request: Request, meta: dict[str, Any], who: Viewer, year: int | None, period: str | None) -> Period:
    """The period asked for, else the first month of the year the user still owes."""
    if period:
        return parse_period(period.strip(), "period")
    service = platform_of(request)
    code = meta["code"]
    chosen = reads.county_year(service, meta, year)
    if chosen is None or str(chosen) not in meta["schemes"]:
        raise NotFound.of("year", "scheme_year", f"该县没有 {chosen or ''} 年度的评估方案")
    county = service.ledger.county(code)
    return parse_period(reads_clerk.default_period(county, who.principal, chosen, reads.today(service)))


def fragment(request: Request, block: str, context: dict[str, Any], *, status: int = 200) -> Response:
    """One block of the entry template (an htmx answer), with the page's globals."""
    template = environment.get_template(TEMPLATE)
    viewer_ = getattr(request.state, "viewer", None)
    body = "".join(template.blocks[block](template.new_context({"viewer": viewer_, **context})))
    response = HTMLResponse(body, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/counties/{code}/entry", response_class=HTMLResponse)
def entry(
    request: Request,
    code: str,
    who: Signed,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    period: Annotated[str | None, Query(max_length=16)] = None,
) -> Response:
    require(who, Action.SUBMIT_DATA, code)
    meta = reads.enrolled_county(platform_of(request), code)
    service = platform_of(request)
    wanted = _wanted(request, meta, who, year, period)
    sheet = reads_clerk.entry_sheet(service, who.principal, meta, wanted, reads.today(service))
    return page(request, TEMPLATE, _context(sheet, None))


def _context(sheet: reads_clerk.EntrySheet, result: dict[str, Any] | None) -> dict[str, Any]:
    return {"sheet": sheet, "result": result, "history_text": reads_clerk.history_text,
            "labels": reads_clerk.STATE_LABELS}  # fmt: skip


# --------------------------------------------------------------------------------- one cell


def _row_answer(request: Request, row: reads_clerk.Row, *, status: int = 200, focus: str = "") -> Response:
    context = {"row": row, "code": request.path_params["code"], "focus": focus, "announce": True,
               "history_text": reads_clerk.history_text}  # fmt: skip
    return fragment(request, "row", context, status=status)


async def _current(request: Request, who: Viewer, code: str, indicator: str, period: str) -> reads_clerk.Row:
    service = platform_of(request)
    try:
        found = await run_in_threadpool(
            reads_clerk.entry_row, service, who.principal, code, indicator, period, reads.today(service)
        )
    except InvalidCommand:
        found = None
    if found is None:
        raise NotFound.of("indicator", "entry_row", f"{period} 没有需要您填报的指标“{indicator[:32]}”")
    return found


def _refusal(row: reads_clerk.Row, error: DomainError, typed: str) -> tuple[reads_clerk.Row, str]:
    """The row with why the value was not stored, in the clerk's words where the API's name a route."""
    rules = {problem.rule for problem in error.problems}
    if row.read_only:  # a closed period stays read-only, with the rule that keeps it so
        return reads_clerk.refused(row, "closed", "；".join(p.message for p in error.problems), ""), ""
    if "reason_required" in rules and row.value is not None:
        message = f"已报送 {plain(row.value)}，改为 {typed} 属于更正：请填写更正理由后按“保存更正”"
        return reads_clerk.refused(row, "reason", message, typed), "reason"
    if "correction_allowed" in rules and row.value is not None:
        message = f"已报送 {plain(row.value)}，您没有更正权限：请联系县级管理员或评估组更正"
        return reads_clerk.refused(row, "invalid", message, typed), "value"
    message = "；".join(problem.message for problem in error.problems)
    return reads_clerk.refused(row, "invalid", message, typed), "value"


@router.post("/counties/{code}/entry/values", response_class=HTMLResponse)
async def save_value(request: Request, code: str, who: Signed) -> Response:
    """One cell: checked by the county's rules and stored, or refused with nothing stored."""
    require(who, Action.SUBMIT_DATA, code)
    form = await request.form()
    indicator, period = _text(form, "indicator", 64), _text(form, "period", 16)
    typed, reason = _text(form, "value", MAX_TEXT), _text(form, "reason")
    row = await _current(request, who, code, indicator, period)
    if len(typed) > MAX_NUMBER:
        message = f"数值超过 {MAX_NUMBER} 个字符，无法读取"
        return _row_answer(request, reads_clerk.refused(row, "invalid", message, ""), status=422, focus="value")
    if not typed:
        if row.value is None:
            return _row_answer(request, row)
        message = f"已报送 {plain(row.value)}：清空单元格不会撤回数值，如需撤回请联系县级管理员或评估组"
        return _row_answer(request, reads_clerk.refused(row, "invalid", message, ""), status=422, focus="value")
    if "\x00" in typed:  # never echoed into the cell nor a message (ADR 17)
        refused = reads_clerk.refused(row, "invalid", f"数值{NUL_WORDS}", typed.replace("\x00", ""))
        return _row_answer(request, refused, status=422, focus="value")
    try:
        value = read_number(typed)
    except NotANumber as error:
        return _row_answer(request, reads_clerk.refused(row, "invalid", error.words, typed), status=422, focus="value")
    typed = plain(value)  # echoed as the platform reads it: ４.５ → 4.5
    if not within_reach(value):
        message = "数值过大或过小，无法计算"
        return _row_answer(request, reads_clerk.refused(row, "invalid", message, typed), status=422, focus="value")
    command = c.SubmitData(indicator, period, value, "form", None, "", reason,
                           may_correct=who.principal.may(Action.CORRECT_DATA, code))  # fmt: skip
    try:
        await county_command(request, code, command, Action.SUBMIT_DATA, reads=NEXT_VIEW)
    except DomainError as error:
        if error.status >= 500:
            raise
        refused, focus = _refusal(row, error, typed)
        return _row_answer(request, refused, status=error.status, focus=focus)
    saved = await _current(request, who, code, indicator, period)
    return _row_answer(request, saved, focus="comment" if saved.state == "flagged" else "")


@router.post("/counties/{code}/entry/confirmations", response_class=HTMLResponse)
async def confirm_value(request: Request, code: str, who: Signed) -> Response:
    """A flagged value confirmed with a comment: the command of the API's ``/confirmations``."""
    require(who, Action.SUBMIT_DATA, code)
    form = await request.form()
    indicator, period, comment = _text(form, "indicator", 64), _text(form, "period", 16), _text(form, "comment")
    row = await _current(request, who, code, indicator, period)
    try:
        await county_command(request, code, c.ConfirmAnomaly(indicator, period, comment), Action.SUBMIT_DATA,
                             reads=NEXT_VIEW)  # fmt: skip
    except DomainError as error:
        if error.status >= 500:
            raise
        message = "；".join(problem.message.replace("（comment）", "") for problem in error.problems)
        refused = reads_clerk.refused(row, row.state, message, "")
        return _row_answer(request, refused, status=error.status, focus="comment")
    return _row_answer(request, await _current(request, who, code, indicator, period))


# --------------------------------------------------------------------------------- workbooks


@router.get("/counties/{code}/entry/template.xlsx")
def template(
    request: Request,
    code: str,
    who: Signed,
    period: Annotated[str | None, Query(max_length=16)] = None,
) -> Response:
    """The API's template (``GET /api/v1/counties/{code}/template.xlsx``), for the signed-in user."""
    require(who, Action.READ, code)
    wanted = _wanted(request, reads.enrolled_county(platform_of(request), code), who, None, period)
    made = imports.template(platform_of(request).ledger.county(code), str(wanted), who.principal)
    return Response(made.content, media_type=imports.XLSX, headers=attachment(made.filename, made.chinese))


@router.post("/counties/{code}/entry/imports", response_class=HTMLResponse)
async def upload(request: Request, code: str, who: Signed) -> Response:
    """A workbook, all rows or none (the API's import rule); the refused cells listed on the page."""
    require(who, Action.SUBMIT_DATA, code)
    meta = await run_in_threadpool(reads.enrolled_county, platform_of(request), code)
    form = await request.form()
    period = _text(form, "period", 16)
    service = platform_of(request)
    # The form to show after it, judged before anything is stored: a bad period refuses the upload.
    wanted = await run_in_threadpool(_wanted, request, meta, who, None, period)
    await run_in_threadpool(_has_year, service, code, wanted)
    sent = form.get("file")
    result = await _import(request, code, sent if isinstance(sent, UploadFile) else None)
    result.update(code=code, period=str(wanted))
    status = 200 if result["ok"] else result["status"]
    if request.headers.get("HX-Request"):
        return fragment(request, "import_result", {"result": result, "sheet": None}, status=status)
    sheet = await run_in_threadpool(reads_clerk.entry_sheet, service, who.principal, meta, wanted, reads.today(service))
    return page(request, TEMPLATE, _context(sheet, result), status=status)


def _in_page_words(problem: workbooks.RowProblem) -> workbooks.RowProblem:
    """A row's refusal in the workbook's words: the API's names a field and a route
    (``reason``, ``POST /api/v1/…/corrections``); a clerk has a column to fill."""
    if problem.rule == "reason_required":
        already = problem.message.partition("属于更正")[0]
        message = f"{already}属于更正：请在“更正理由”列填写理由"
        return replace(problem, column=workbooks.HEADERS["reason"], message=message)
    if problem.rule == "correction_allowed":
        return replace(problem, message=problem.message.partition("（更正接口")[0])
    return problem


def _has_year(service: Platform, code: str, wanted: Period) -> None:
    service.ledger.county(code).book(wanted.year, "period")  # refused (422) when the county has no such year


async def _import(request: Request, code: str, sent: UploadFile | None) -> dict[str, Any]:
    if sent is None or not sent.filename:
        problem = workbooks.RowProblem(None, "", "file", "required", "请选择要上传的 Excel 文件（.xlsx）或 CSV 文件")
        return {"ok": False, "status": 422, "problems": [problem], "report": None, "filename": ""}
    data = await sent.read(imports.MAX_FILE_BYTES + 1)
    filename = sent.filename or ""
    large = imports.too_large(data)
    if large is not None:
        return {"ok": False, "status": 413, "problems": [large], "report": None, "filename": filename}
    may_correct = request.state.principal.may(Action.CORRECT_DATA, code)
    try:
        prepared = await run_in_threadpool(
            imports.prepare, data, filename, code, dry_run=False, may_correct=may_correct
        )
    except InvalidCommand as error:  # unreadable, or another county's template: the file as a whole
        return {"ok": False, "status": 422, "problems": imports.file_problems(error), "report": None,
                "filename": filename}  # fmt: skip
    outcome = None
    if prepared.runnable:
        try:
            outcome = await county_command(request, code, prepared.command, Action.SUBMIT_DATA, reads=NEXT_VIEW)
        except (InvalidCommand, ConflictError) as error:
            prepared.refused(error)
    if prepared.problems:
        prepared.problems = [_in_page_words(problem) for problem in prepared.problems]
        report = await run_in_threadpool(workbooks.error_report, prepared.upload, prepared.problems)
        href = f"data:{imports.XLSX};base64,{base64.b64encode(report).decode()}"
        return {"ok": False, "status": prepared.status, "problems": prepared.problems, "report": href,
                "report_name": f"{code}数据导入错误报告.xlsx", "filename": filename}  # fmt: skip
    assert outcome is not None
    summary = outcome.result.get("summary", {})
    return {"ok": True, "status": 200, "summary": summary, "replayed": bool(outcome.result.get("replayed")),
            "skipped": prepared.upload.skipped, "filename": filename,
            "stored": summary.get("submitted", 0) + summary.get("corrected", 0)}  # fmt: skip
