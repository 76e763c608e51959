"""Bulk data (批量报送): the Excel template, file imports and JSON batches of a county's own systems.

Every channel ends in one ``SubmitBatch`` command: all rows or none. A refused file is
answered with every bad row and column at once, as problem+json whose ``errors`` items
also carry ``row`` and ``column``, or, when the caller prefers a workbook, as the uploaded
rows with the bad cells marked (错误报告).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from api.context import attachment, command_context, county_in_path, may_correct, one_hop, platform
from api.dependencies import allowed
from api.models import Body, Number, Period
from api.problems import PROBLEM_TYPE, ProblemDetail
from api.problems import problem as problem_json
from domain import commands as c
from domain.access import Action, Principal
from domain.errors import ConflictError, InvalidCommand, Problem
from domain.intake import batch_fingerprint
from ruraleval import imports, workbooks
from ruraleval.platform import Platform

router = APIRouter(prefix="/api/v1/counties", tags=["批量报送 imports"])
MAX_FILE_BYTES = imports.MAX_FILE_BYTES
MAX_ROWS = imports.MAX_ROWS
XLSX = imports.XLSX
DETAIL_MESSAGES = 10  # problems named in ``detail``; ``errors`` lists them all
_ROW_FIELD = re.compile(r"^rows\[(\d+)\]\.(\w+)$")


# ------------------------------------------------------------------------------------ models


class BatchItemIn(Body):
    indicator: str = Field(min_length=1, max_length=64, examples=["1.2"])
    period: Period = Field(min_length=1)
    value: Number
    comment: str = Field(default="", max_length=2000, description="说明；数值被提示异常波动时即视为确认")
    reason: str = Field(default="", max_length=2000, description="更正理由：改动已报送的数值时必填")


class BatchIn(Body):
    idempotency_key: str = Field(
        min_length=1,
        max_length=128,
        description="批次标识：同一标识、同一内容重复发送只记录一次",
        examples=["erp-2023-05-001"],
    )
    submissions: list[BatchItemIn] = Field(min_length=1, max_length=MAX_ROWS)


class BatchSummaryOut(BaseModel):
    rows: int
    submitted: int
    corrected: int
    unchanged: int
    flagged: int = 0
    confirmed: int = Field(default=0, description="数值未变、以说明确认异常波动的行数")


class BatchRowOut(BaseModel):
    row: int = Field(description="文件中的行号，或批次中的第几条（从 1 开始）")
    indicator: str
    period: str
    outcome: str = Field(description="submitted / corrected / unchanged / confirmed（数值未变，说明确认了异常波动）")
    flag: str | None = Field(default=None, description="数值波动较大时的提示")


class BatchOut(BaseModel):
    """What a batch did (or, for a dry run, would do)."""

    county: str
    version: int | None = None
    position: int | None = None
    replayed: bool = False
    dry_run: bool = False
    summary: BatchSummaryOut
    rows: list[BatchRowOut]
    skipped: int = Field(default=0, description="数值为空而未报送的行数（文件导入）")


class RowProblemDetail(ProblemDetail):
    row: int | None = Field(default=None, description="出错的行号（文件）或第几条（批次，从 1 开始）")
    column: str | None = Field(default=None, description="出错的列（中文表头）或字段名")


class RowProblemOut(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    errors: list[RowProblemDetail]


def _row_problems_documented(description: str, *, workbook: bool) -> dict[str, Any]:
    content: dict[str, Any] = {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/RowProblemOut"}}}
    if workbook:
        content[XLSX] = {}
    return {"model": RowProblemOut, "description": description, "content": content}


IMPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": BatchOut, "description": "试校验（dry_run）的结果，或同一文件再次上传（replayed，不再记录）"},
    413: _row_problems_documented("文件超过 5 MB", workbook=False),
    422: _row_problems_documented(
        "文件有误，整份文件未入库：errors 列出每个有误的行（row）和列（column）；"
        "Accept 首选 xlsx 时返回标出错误的工作簿",
        workbook=True,
    ),
    409: _row_problems_documented(
        "整份文件未入库：有的行要改动已有数据，而您没有更正权限或没有填写更正理由（更正：POST …/corrections）",
        workbook=True,
    ),
}
BATCH_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": BatchOut, "description": "试校验（dry_run）的结果，或同一批次再次发送（replayed，不再记录）"},
    422: _row_problems_documented(
        "批次有误，整批未入库：errors 列出每条的字段（submissions[i].value，i 从 0 起）和第几条（row，从 1 起）",
        workbook=False,
    ),
    409: _row_problems_documented(
        "整批未入库：有的条目要改动已有数据，而您没有更正权限或没有填写更正理由；或批次标识已用于其他内容",
        workbook=False,
    ),
}


# ---------------------------------------------------------------------------------- template


@router.get(
    "/{code}/template.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "Excel 数据报送模板"}},
    dependencies=allowed(Action.READ),
    summary="下载数据报送模板（该期间应报的指标，预填名称、单位、有效范围和已报数值）",
)
@one_hop
def template(
    code: str,
    request: Request,
    period: str = Query(
        min_length=1,
        max_length=16,
        description="月度 2023-05（季末月含季度指标，12 月含年度指标）、季度 2023-Q2 或年度 2023",
        examples=["2023-05"],
    ),
    service: Platform = Depends(platform),
) -> Response:
    principal: Principal | None = getattr(request.state, "principal", None)
    made = imports.template(service.ledger.county(code), period, principal)
    return Response(made.content, media_type=XLSX, headers=attachment(made.filename, made.chinese))


# ------------------------------------------------------------------------------------ imports


@router.post(
    "/{code}/imports",
    status_code=201,
    response_model=BatchOut,
    responses=IMPORT_RESPONSES,
    dependencies=allowed(Action.SUBMIT_DATA),
    summary="上传 Excel（.xlsx）或 CSV 批量报送：整份文件全部入库或全部不入库；dry_run=true 只校验",
)
async def import_file(
    code: str,
    request: Request,
    file: Annotated[UploadFile, File(description="平台模板填好的 .xlsx，或同样表头的 CSV（UTF-8 或 GB18030）")],
    dry_run: bool = Query(False, description="只校验、不入库，返回每行的处理结果"),
    service: Platform = Depends(platform),
) -> Response:
    data = await file.read(MAX_FILE_BYTES + 1)
    large = imports.too_large(data)
    if large is not None:
        return _problem_response(413, [large])
    prepared = await run_in_threadpool(
        imports.prepare, data, file.filename or "", code, dry_run=dry_run, may_correct=may_correct(request, code)
    )
    wants_workbook = _prefers_workbook(request.headers.get("accept", ""))
    outcome = None
    if prepared.runnable:
        try:
            outcome = await _run(service, request, code, prepared.command)
        except (InvalidCommand, ConflictError) as error:
            prepared.refused(error)
    if prepared.problems:
        if wants_workbook:
            report = await run_in_threadpool(workbooks.error_report, prepared.upload, prepared.problems)
            return _report_response(report, code, prepared.status)
        return _problem_response(prepared.status, prepared.problems)
    assert outcome is not None
    body = _batch_out(code, outcome, prepared.upload.skipped)
    return _json(body, _status(outcome))


def _prefers_workbook(accept: str) -> bool:
    """True when the Accept header ranks the xlsx type above JSON (equal: the one listed first)."""
    best: dict[str, tuple[float, int]] = {}
    for index, part in enumerate(accept.split(",")):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        kind = "xlsx" if media.lower() == XLSX else "json" if media.lower().endswith(("json", "*")) else ""
        if kind and (kind not in best or quality > best[kind][0]):
            best[kind] = (quality, index)
    if "xlsx" not in best or best["xlsx"][0] <= 0:
        return False
    if "json" not in best:
        return True
    (xlsx_q, xlsx_at), (json_q, json_at) = best["xlsx"], best["json"]
    return xlsx_q > json_q or (xlsx_q == json_q and xlsx_at < json_at)


def _report_response(report: bytes, code: str, status: int = 422) -> Response:
    code = code if c.is_county_code(code) else "county"  # the path is not checked against the counties here
    filename = f"{code}-import-errors.xlsx"
    chinese = f"{code}数据导入错误报告.xlsx"
    return Response(report, status_code=status, media_type=XLSX, headers=attachment(filename, chinese))


# ------------------------------------------------------------------------------------ batches


@router.post(
    "/{code}/batches",
    status_code=201,
    response_model=BatchOut,
    responses=BATCH_RESPONSES,
    dependencies=allowed(Action.SUBMIT_DATA),
    summary="数据接口批量报送（JSON，带批次标识）：整批全部入库或全部不入库；dry_run=true 只校验",
)
async def submit_batch(
    code: str,
    body: BatchIn,
    request: Request,
    dry_run: bool = Query(False, description="只校验、不入库，返回每条的处理结果"),
    service: Platform = Depends(platform),
) -> Response:
    rows = tuple(
        c.BatchRow(index, item.indicator, item.period, item.value, item.comment, item.reason)
        for index, item in enumerate(body.submissions, start=1)
    )
    command = c.SubmitBatch(
        rows=rows,
        channel="api",
        key=body.idempotency_key,
        fingerprint=batch_fingerprint(rows),
        dry_run=dry_run,
        may_correct=may_correct(request, code),
    )
    try:
        outcome = await _run(service, request, code, command)
    except (InvalidCommand, ConflictError) as error:
        status = 409 if isinstance(error, ConflictError) else 422
        return _problem_response(status, [_batch_problem(problem) for problem in error.problems])
    result = _batch_out(code, outcome, 0)
    return _json(result, _status(outcome))


def _batch_problem(problem: Any) -> workbooks.RowProblem:
    match = _ROW_FIELD.match(problem.field)
    if match is None:
        field = "submissions" if problem.field == "rows" else problem.field
        return workbooks.RowProblem(None, "", field, problem.rule, problem.message)
    row, name = int(match.group(1)), match.group(2)
    message = problem.message.replace(f"第 {row} 行", f"第 {row} 条")
    # The index in ``field`` counts from 0, as in the JSON array (and in validation errors); ``row`` from 1.
    return workbooks.RowProblem(row, name, f"submissions[{row - 1}].{name}", problem.rule, message)


# ------------------------------------------------------------------------------------- shared


async def _run(service: Platform, request: Request, code: str, command: c.SubmitBatch) -> Any:
    context = command_context(request, Action.SUBMIT_DATA, county_in_path(code))
    return await asyncio.wrap_future(service.ledger.submit(code, command, context))


def _batch_out(code: str, outcome: Any, skipped: int) -> BatchOut:
    result: dict[str, Any] = outcome.result
    return BatchOut(
        county=code,
        version=result.get("version", outcome.version),
        position=outcome.position,
        replayed=bool(result.get("replayed", False)),
        dry_run=bool(result.get("dry_run", False)),
        summary=BatchSummaryOut(**result["summary"]),
        rows=[BatchRowOut(**row) for row in result.get("rows", [])],
        skipped=skipped,
    )


def _status(outcome: Any) -> int:
    """201 when something was stored; 200 for a dry run, a replay, or a batch that changed nothing
    (which still answers a position: the one its unchanged values can be read at)."""
    return 201 if outcome.events else 200


def _json(body: BatchOut, status: int) -> Response:
    return Response(orjson.dumps(body.model_dump()), status_code=status, media_type="application/json")


def _problem_response(status: int, problems: Sequence[workbooks.RowProblem]) -> JSONResponse:
    messages = [item.message for item in problems]
    more = f"；另有 {len(messages) - DETAIL_MESSAGES} 处问题，见 errors" if len(messages) > DETAIL_MESSAGES else ""
    return problem_json(
        status,
        [Problem(item.field, item.rule, item.message) for item in problems],
        "；".join(messages[:DETAIL_MESSAGES]) + more,
        [{"row": item.row, "column": item.column or None} for item in problems],
    )
