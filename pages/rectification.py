"""Rectification pages (整改): a county's ledger (一账) with each item's steps, the county's forms
(plan, progress with evidence, done) and the evaluators' (raise, verify, reject); the
evaluators' inspection queue across their counties (leaders see all, read-only).

Permissions are the API's (``api/rectification.py``): reading the ledger and the queue needs
``read``; raising, verifying and rejecting ``inspect_rectification``; the county's steps
``rectify``. Writes go through ``pages.writes``; a refusal is shown beside its field.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from domain import commands as c
from domain import report_commands as rc
from domain.access import Action
from domain.errors import DomainError
from domain.rectification import year_of_item
from pages import reads, reads_rectification
from pages.reads_leader import as_of_instant
from pages.render import page
from pages.review import YearParam, known_county, year_of
from pages.review_forms import NOTHING_FAILED, Failed, done, posted, refused, uploads, year_field
from pages.session import Viewer, platform_of, require, viewer
from pages.writes import county_command
from projections.catalog import RECTIFICATION
from ruraleval.evidence import Step, step_with_files
from ruraleval.files import attachment

router = APIRouter(tags=["pages"], include_in_schema=False)
Signed = Annotated[Viewer, Depends(viewer)]
TextParam = Annotated[str | None, Query(max_length=40)]
NOTICES = {
    "raise": "整改事项已下达。",
    "plan": "整改方案已保存。",
    "progress": "整改进展已报告。",
    "done": "已申报整改完成，等待评估组核验。",
    "verify": "已核验销号。",
    "reject": "核验未通过，已退回县里继续整改。",
}
RAISE_FIELDS = ("source", "report_id", "problem_id", "problem", "indicator", "requirement", "deadline", "answerer")
STEPS: dict[str, type[rc.FileRectificationPlan | rc.ReportRectificationProgress | rc.DeclareRectificationDone]] = {
    "plan": rc.FileRectificationPlan,
    "progress": rc.ReportRectificationProgress,
    "done": rc.DeclareRectificationDone,
}


def _page(
    request: Request, who: Viewer, code: str, year: int | None, as_of: str | None = None,
    failed: Failed = NOTHING_FAILED, notice: str = "",
) -> Response:  # fmt: skip
    require(who, Action.READ, code)
    meta = known_county(request, code)
    service = platform_of(request)
    chosen = year_of(platform_of(request), meta, year)
    errors: dict[str, str] = {}
    try:
        at = as_of_instant(service, as_of)
    except DomainError as refusal:
        at, errors["as_of"] = None, refusal.problems[0].message
    found = reads_rectification.ledger(service, meta, chosen, at)
    may = {"rectify": who.principal.may(Action.RECTIFY, code) and at is None,
           "inspect": who.principal.may(Action.INSPECT_RECTIFICATION, code) and at is None}  # fmt: skip
    # "本县待办" is the county's own users' word; others see whose to-do list it is.
    own = any(scope.role in ("county_coordinator", "department_user") and scope.counties is not None
              and scope.covers(code) for scope in who.principal.scopes)  # fmt: skip
    context = {"county": meta, "ledger": found, "may": may, "county_user": own, "failed": failed,
               "notice": NOTICES.get(notice, ""),
               "errors": errors, "as_of_day": (as_of or "").strip() if errors or at else "",
               "today": reads.today(service).isoformat()}  # fmt: skip
    status = failed.status if failed.form else 422 if errors else 200
    return page(request, "rectification/ledger.html", context, status=status)


@router.get("/counties/{code}/rectification", response_class=HTMLResponse)
def county_ledger(
    request: Request, code: str, who: Signed, year: YearParam = None, as_of: TextParam = None, done: str = ""
) -> Response:
    return _page(request, who, code, year, as_of, notice=done)


@router.post("/counties/{code}/rectification", response_class=HTMLResponse)
async def raise_item(request: Request, code: str, who: Signed) -> Response:
    """From a report's problem (the select's ``report_id|problem_id``) or the evaluator's own words."""
    require(who, Action.INSPECT_RECTIFICATION, code)
    values = await posted(request)
    year = year_field(values)
    try:
        values.check()  # the API's input rules (ADR 17): no NUL, digits 0–9
        report_id, _, problem_id = values.get("source", "").partition("|")
        command = rc.RaiseRectification(year or 0, values.get("requirement", ""), values.get("deadline", ""),
                                       values.get("answerer", ""), report_id or None, problem_id or None,
                                       values.get("indicator") or None, values.get("problem", ""))  # fmt: skip
        await county_command(request, code, command, Action.INSPECT_RECTIFICATION, reads=RECTIFICATION)
    except DomainError as error:
        return _page(request, who, code, year, failed=refused("raise", RAISE_FIELDS, error, values))
    return done(f"/counties/{code}/rectification", "raise", year=year)


async def _county_step(request: Request, code: str, item_id: str, step: str, who: Viewer) -> Response:
    """The county's plan, progress or declaration with its evidence: checked first, then the
    files stored, then the step (as the API's routes)."""
    require(who, Action.RECTIFY, code)
    values = await posted(request)
    year = year_field(values)
    try:
        values.check()  # the API's input rules (ADR 17): no NUL, digits 0–9
        known_county(request, code)
        files = await uploads(request, "files")

        async def run(command: Step) -> object:
            return await county_command(request, code, command, Action.RECTIFY, reads=RECTIFICATION)

        command = STEPS[step](year_of_item(item_id, year), item_id, values.get("text", ""))
        await run(await step_with_files(platform_of(request), run, command, files))
    except DomainError as error:
        failed = refused(f"{step}-{item_id}", ("text", "files"), error, values)
        return _page(request, who, code, year, failed=failed)
    return done(f"/counties/{code}/rectification", step, year=year)


async def _inspection(request: Request, code: str, item_id: str, step: str, who: Viewer) -> Response:
    """The evaluators' verification (销号) or rejection (a reason required) of an item awaiting inspection."""
    require(who, Action.INSPECT_RECTIFICATION, code)
    values = await posted(request)
    year = year_field(values)
    try:
        values.check()  # the API's input rules (ADR 17): no NUL, digits 0–9
        known_county(request, code)
        item_year = year_of_item(item_id, year)
        command: c.CountyCommand = (
            rc.VerifyRectification(item_year, item_id, values.get("comment", "")) if step == "verify"
            else rc.RejectRectification(item_year, item_id, values.get("reason", ""))
        )  # fmt: skip
        await county_command(request, code, command, Action.INSPECT_RECTIFICATION, reads=RECTIFICATION)
    except DomainError as error:
        failed = refused(f"{step}-{item_id}", ("comment", "reason"), error, values)
        return _page(request, who, code, year, failed=failed)
    return done(f"/counties/{code}/rectification", step, year=year)


@router.post("/counties/{code}/rectification/{item_id}/plan", response_class=HTMLResponse)
async def file_plan(request: Request, code: str, item_id: str, who: Signed) -> Response:
    return await _county_step(request, code, item_id, "plan", who)


@router.post("/counties/{code}/rectification/{item_id}/progress", response_class=HTMLResponse)
async def report_progress(request: Request, code: str, item_id: str, who: Signed) -> Response:
    return await _county_step(request, code, item_id, "progress", who)


@router.post("/counties/{code}/rectification/{item_id}/done", response_class=HTMLResponse)
async def declare_done(request: Request, code: str, item_id: str, who: Signed) -> Response:
    return await _county_step(request, code, item_id, "done", who)


@router.post("/counties/{code}/rectification/{item_id}/verify", response_class=HTMLResponse)
async def verify(request: Request, code: str, item_id: str, who: Signed) -> Response:
    return await _inspection(request, code, item_id, "verify", who)


@router.post("/counties/{code}/rectification/{item_id}/reject", response_class=HTMLResponse)
async def reject(request: Request, code: str, item_id: str, who: Signed) -> Response:
    return await _inspection(request, code, item_id, "reject", who)


@router.get("/counties/{code}/rectification/files/{sha256}")
def evidence_file(request: Request, code: str, sha256: str, who: Signed) -> Response:
    """An evidence file of the county's rectification, for anyone who may read the county."""
    require(who, Action.READ, code)
    known_county(request, code)
    name, stored = reads_rectification.evidence_file(platform_of(request), code, sha256)
    headers = attachment(sha256[:12], name) | {"ETag": f'"{sha256}"'}
    # Never the uploader's type: an uploaded page or script must not run in our origin (ADR 15).
    return Response(stored.content, media_type="application/octet-stream", headers=headers)


@router.get("/rectification", response_class=HTMLResponse)
def inspection_queue(request: Request, who: Signed, year: YearParam = None) -> Response:
    """The evaluators' queue across their counties; leaders and auditors see every county, read-only."""
    require(who, Action.READ)
    service = platform_of(request)
    found = reads_rectification.queue(service, who.principal, year)
    inspects = {row["county"]: who.principal.may(Action.INSPECT_RECTIFICATION, row["county"])
                for row in found.awaiting + found.overdue}  # fmt: skip
    context = {"queue": found, "inspects": inspects, "years": reads.years(service)}
    return page(request, "rectification/queue.html", context)
