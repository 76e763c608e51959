"""Rectification (整改, ADR 26): items raised by the evaluators, the county's plans, progress and
declarations with their evidence, the evaluators' inspection, the ledger (一账) as of any
instant, and the inspection queue across the counties a caller may read."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from pydantic import AfterValidator, BaseModel, Field

from api.consistency import in_snapshot, reading_as_of
from api.context import platform
from api.dependencies import allowed, record
from api.models import Body, Text, Year, no_nul
from api.models_counties import Recorded
from api.reads import AS_OF, READ_ALL, READ_COUNTY, YearQuery, as_of_micros, known_county
from domain import report_commands as rc
from domain.access import Action, Principal
from domain.collection import judged_on
from domain.commands import REGION_LABELS
from domain.errors import NotFound
from domain.recorded_time import CHINA
from domain.rectification import MAX_STEP_TEXT, STATUS_LABELS, STEP_LABELS, year_of_item
from projections import rectification_queries as rectification
from projections.catalog import RECTIFICATION
from projections.store import View
from projections.temporal import instant
from ruraleval.evidence import Step, step_with_files
from ruraleval.platform import Platform

router = APIRouter(prefix="/api/v1", tags=["整改 rectification"])
ItemYear = Annotated[Year | None, Query(ge=2000, le=2100, description="评估年度；省略时取整改事项编号的年份")]
# No length rule here: the domain's (MAX_STEP_TEXT) words it, as for the page, empty or too long.
StepText = Annotated[str, Form(description=f"内容（不超过 {MAX_STEP_TEXT} 字）"), AfterValidator(no_nul)]
Evidence = Annotated[list[UploadFile] | None, File(description="佐证材料（每个不超过 20 MB）")]


class RaiseIn(Body):
    year: Year = Field(ge=2000, le=2100)
    report_id: str | None = Field(default=None, max_length=32, description="评估报告编号，如 2023-R1")
    problem_id: str | None = Field(default=None, max_length=32, description="报告中问题的编号")
    indicator: str | None = Field(default=None, max_length=32, description="评估组自行下达时可注明指标")
    problem: Text = Field(default="", description="问题（评估组自行下达时必填；从报告下达时取自报告）")
    requirement: Text = Field(description="整改要求")
    deadline: str = Field(max_length=32, description="整改期限（北京时间日期），如 2024-06-30", examples=["2024-06-30"])
    answerer: str = Field(max_length=200, description="责任单位或责任人")


class VerifyIn(Body):
    comment: Text = Field(default="", description="核验意见")


class RejectIn(Body):
    reason: Text = Field(description="核验未通过的理由（必填）")


class FileOut(BaseModel):
    name: str
    sha256: str
    size: int
    url: str


class StepOut(BaseModel):
    kind: str = Field(description="raised / plan / progress / done / verified / rejected")
    kind_label: str
    text: str
    files: list[FileOut]
    actor: str
    at: str = Field(description="记录时刻（北京时间）")
    version: int = Field(description="县事件流中的版本号")


class ItemOut(BaseModel):
    item_id: str
    source: str = Field(description="report 来自评估报告 / evaluator 评估组下达")
    report_id: str | None
    problem_id: str | None
    indicator: str | None
    problem: str
    requirement: str
    deadline: str
    answerer: str
    status: str = Field(description="raised / in_progress / awaiting_inspection / verified")
    status_label: str
    overdue_days: int = Field(description="按 at 当日计逾期天数（已销号为 0）")
    verified_on: str | None
    last_step: str
    last_step_label: str
    last_actor: str
    last_at: str
    steps: list[StepOut]


class LedgerOut(BaseModel):
    county: str
    county_name: str
    year: int
    at: str = Field(description="判断逾期的日期（as_of 当日，或今天）")
    as_of: str | None
    items: list[ItemOut]


class QueueItemOut(ItemOut):
    county: str
    county_name: str
    region: str
    region_label: str
    year: int


class QueueOut(BaseModel):
    at: str
    as_of: str | None
    awaiting: list[QueueItemOut] = Field(description="待核验的整改事项，等待最久的在前")
    overdue: list[QueueItemOut] = Field(description="逾期未销号的整改事项，逾期最久的在前")


def _beijing(moment: datetime) -> str:
    return moment.astimezone(CHINA).isoformat()


def _item(code: str, row: dict[str, Any]) -> dict[str, Any]:
    steps = [
        {"kind": step["kind"], "kind_label": STEP_LABELS[step["kind"]], "text": step["text"],
         "files": [f | {"url": f"/api/v1/counties/{code}/files/{f['sha256']}"} for f in step["files"]],
         "actor": step["actor"], "at": _beijing(step["at"]), "version": step["version"]}
        for step in row["steps"]
    ]  # fmt: skip
    return {
        "item_id": row["item_id"], "source": row["source"], "report_id": row["report_id"],
        "problem_id": row["problem_id"], "indicator": row["indicator"], "problem": row["problem"],
        "requirement": row["requirement"], "deadline": row["deadline"], "answerer": row["answerer"],
        "status": row["status"], "status_label": STATUS_LABELS[row["status"]],
        "overdue_days": row.get("overdue_days", 0), "verified_on": row["verified_on"],
        "last_step": row["last_step"], "last_step_label": STEP_LABELS[row["last_step"]],
        "last_actor": row["last_actor"], "last_at": _beijing(row["last_at"]), "steps": steps,
    }  # fmt: skip


RAISE_SUMMARY = "下达整改事项：来自评估报告的问题（report_id、problem_id），或评估组自行下达（problem）"


@router.post("/counties/{code}/rectification", status_code=201, response_model=Recorded,
             dependencies=allowed(Action.INSPECT_RECTIFICATION), summary=RAISE_SUMMARY)  # fmt: skip
async def raise_item(code: str, body: RaiseIn, request: Request, service: Platform = Depends(platform)) -> Recorded:
    command = rc.RaiseRectification(body.year, body.requirement, body.deadline, body.answerer, body.report_id,
                                   body.problem_id, body.indicator, body.problem)  # fmt: skip
    return await record(service, request, code, command, Action.INSPECT_RECTIFICATION)


async def _step(
    service: Platform, request: Request, code: str, command: Step, files: list[UploadFile] | None
) -> Recorded:
    async def run(step: Step) -> Recorded:
        return await record(service, request, code, step, Action.RECTIFY)

    return await run(await step_with_files(service, run, command, files or []))


@router.post("/counties/{code}/rectification/{item_id}/plan", response_model=Recorded,
             dependencies=allowed(Action.RECTIFY), summary="县里制定（或修改）整改方案，可附佐证材料")  # fmt: skip
async def file_plan(code: str, item_id: str, request: Request, text: StepText = "", files: Evidence = None,
                    year: ItemYear = None, service: Platform = Depends(platform)) -> Recorded:  # fmt: skip
    command = rc.FileRectificationPlan(year_of_item(item_id, year), item_id, text)
    return await _step(service, request, code, command, files)


@router.post("/counties/{code}/rectification/{item_id}/progress", response_model=Recorded,
             dependencies=allowed(Action.RECTIFY), summary="县里报告整改进展，可附佐证材料")  # fmt: skip
async def report_progress(code: str, item_id: str, request: Request, text: StepText = "", files: Evidence = None,
                          year: ItemYear = None, service: Platform = Depends(platform)) -> Recorded:  # fmt: skip
    command = rc.ReportRectificationProgress(year_of_item(item_id, year), item_id, text)
    return await _step(service, request, code, command, files)


@router.post("/counties/{code}/rectification/{item_id}/done", response_model=Recorded,
             dependencies=allowed(Action.RECTIFY),
             summary="县里申报整改完成（须已有整改方案），待评估组核验")  # fmt: skip
async def declare_done(code: str, item_id: str, request: Request, text: StepText = "", files: Evidence = None,
                       year: ItemYear = None, service: Platform = Depends(platform)) -> Recorded:  # fmt: skip
    command = rc.DeclareRectificationDone(year_of_item(item_id, year), item_id, text)
    return await _step(service, request, code, command, files)


@router.post("/counties/{code}/rectification/{item_id}/verify", response_model=Recorded,
             dependencies=allowed(Action.INSPECT_RECTIFICATION), summary="评估组核验通过（销号）")  # fmt: skip
async def verify(code: str, item_id: str, body: VerifyIn, request: Request, year: ItemYear = None,
                 service: Platform = Depends(platform)) -> Recorded:  # fmt: skip
    command = rc.VerifyRectification(year_of_item(item_id, year), item_id, body.comment)
    return await record(service, request, code, command, Action.INSPECT_RECTIFICATION)


@router.post("/counties/{code}/rectification/{item_id}/reject", response_model=Recorded,
             dependencies=allowed(Action.INSPECT_RECTIFICATION),
             summary="评估组核验未通过（须填写理由），退回继续整改")  # fmt: skip
async def reject(code: str, item_id: str, body: RejectIn, request: Request, year: ItemYear = None,
                 service: Platform = Depends(platform)) -> Recorded:  # fmt: skip
    command = rc.RejectRectification(year_of_item(item_id, year), item_id, body.reason)
    return await record(service, request, code, command, Action.INSPECT_RECTIFICATION)


@router.get("/counties/{code}/rectification", response_model=LedgerOut, dependencies=READ_COUNTY,
            summary="整改台账（一账）：县的年度整改事项及其各步骤；as_of 查看任一时刻平台所知")  # fmt: skip
async def ledger(
    code: str,
    year: YearQuery,
    as_of: str | None = AS_OF,
    service: Platform = Depends(reading_as_of(RECTIFICATION, RECTIFICATION)),
) -> dict[str, Any]:
    at_us = as_of_micros(service, as_of)
    day = judged_on(None if at_us is None else instant(at_us), service.ledger.clock())

    def read(view: View) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        meta = known_county(view, code, at_us)
        if str(year) not in service.ledger.county(code).years:
            raise NotFound.of("year", "scheme_year", f"{meta['name']}没有 {year} 年度的评估方案")
        return meta, rectification.ledger(view, code, year, at_us)

    meta, rows = await in_snapshot(service, read)
    for row in rows:
        row["overdue_days"] = rectification.overdue_days(row, day)
    return {"county": code, "county_name": meta["name"], "year": year, "at": day.isoformat(),
            "as_of": None if at_us is None else _beijing(instant(at_us)),
            "items": [_item(code, row) for row in rows]}  # fmt: skip


@router.get("/rectification/queue", response_model=QueueOut,
            summary="整改核验队列：各县待核验和逾期未销号的整改事项（只含调用者可查看的县）")  # fmt: skip
async def queue(
    year: Year | None = Query(None, ge=2000, le=2100, description="评估年度；省略为全部年度"),
    as_of: str | None = AS_OF,
    principal: Principal = READ_ALL,
    service: Platform = Depends(reading_as_of(RECTIFICATION, RECTIFICATION)),
) -> dict[str, Any]:
    at_us = as_of_micros(service, as_of)
    day = judged_on(None if at_us is None else instant(at_us), service.ledger.clock())
    visible = principal.readable_counties()
    found = await in_snapshot(service, lambda view: rectification.queue(view, year, day, at_us, visible))

    def out(row: dict[str, Any]) -> dict[str, Any]:
        where = {"county": row["county"], "county_name": row["county_name"], "region": row["region"],
                 "year": row["year"], "region_label": REGION_LABELS.get(row["region"], row["region"])}  # fmt: skip
        return _item(row["county"], row) | where

    return {"at": day.isoformat(), "as_of": None if at_us is None else _beijing(instant(at_us)),
            "awaiting": [out(row) for row in found["awaiting"]],
            "overdue": [out(row) for row in found["overdue"]]}  # fmt: skip
