"""The use of the towns' results (004 八–九; ADR 26, 27): each town's result notice (issue and
download), the consequence its grade gives, and its rectification items walked through the
county's steps and inspection. Permissions as the API's (``api/town_outcomes.py``): reading
needs ``read`` on the county, every form ``verify_towns``; a refusal is shown beside its field.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from domain import report_commands as rc
from domain import verification_commands as v
from domain.access import Action
from domain.errors import DomainError, NotFound
from domain.rectification import STATUS_LABELS
from pages import reads_verification as rv
from pages import verification as pv
from pages.review_forms import NOTHING_FAILED, Failed, done, posted, refused, year_field
from pages.session import Viewer, platform_of, require, viewer
from pages.writes import issue_town_notice, verification_command
from ruraleval.files import attachment

router = APIRouter(tags=["pages"], include_in_schema=False)
Signed = Annotated[Viewer, Depends(viewer)]
BASE = "/counties/{code}/verification"
Make = Callable[[int, str, str], v.VerificationCommand]
STEPS: dict[str, tuple[str, Make]] = {  # the step's form field, and the command it makes
    "plan": ("text", lambda year, item, text: rc.FileRectificationPlan(year, item, text)),
    "progress": ("text", lambda year, item, text: rc.ReportRectificationProgress(year, item, text)),
    "done": ("text", lambda year, item, text: rc.DeclareRectificationDone(year, item, text)),
    "verify": ("comment", lambda year, item, text: rc.VerifyRectification(year, item, text)),
    "reject": ("reason", lambda year, item, text: rc.RejectRectification(year, item, text)),
}


def outcomes_page(
    request: Request, who: Viewer, code: str, year: int | None, failed: Failed = NOTHING_FAILED, notice: str = ""
) -> Response:
    context = pv.base(request, who, code, year)
    found = context["found"]
    if found:
        context |= {"scores": rv.scores(found, None), "outcomes": rv.outcomes(found), "status_labels": STATUS_LABELS}
    return pv.render(request, "verification/outcomes.html", context, failed, notice)


@router.get(BASE + "/outcomes", response_class=HTMLResponse)
def outcomes(request: Request, code: str, who: Signed, year: pv.YearParam = None, done: str = "") -> Response:
    return outcomes_page(request, who, code, year, notice=done)


@router.get(BASE + "/notices/{notice_id}.pdf")
def notice_file(request: Request, code: str, notice_id: str, who: Signed, year: pv.YearParam = None) -> Response:
    context = pv.base(request, who, code, year)
    found = context["found"]
    if found is None or notice_id not in found.book.notices:  # a stale link: back to the list of notices
        return done(f"/counties/{code}/verification/outcomes", "", year=context["year"])
    ascii_name, name, content = rv.notice_file(platform_of(request), found, notice_id)
    return Response(content, media_type="application/pdf", headers=attachment(ascii_name, name))


async def _run(request: Request, who: Viewer, code: str, form: str, fields: tuple[str, ...],
               make: Callable[[dict[str, str], int], Awaitable[None]], notice: str) -> Response:  # fmt: skip
    require(who, Action.VERIFY_TOWNS, code)
    values = await posted(request)
    year = year_field(values) or 0
    try:
        values.check()
        await make(values, year)
    except DomainError as error:
        return outcomes_page(request, who, code, year, refused(form, fields, error, values))
    return done(f"/counties/{code}/verification/outcomes", notice, year=year)


@router.post(BASE + "/towns/{town}/notices", response_class=HTMLResponse)
async def issue_notice(request: Request, code: str, town: str, who: Signed) -> Response:
    async def make(values: dict[str, str], year: int) -> None:
        await issue_town_notice(request, code, year, town)

    return await _run(request, who, code, f"notice-{town}", ("town",), make, "notice")


@router.post(BASE + "/towns/{town}/consequences", response_class=HTMLResponse)
async def decide(request: Request, code: str, town: str, who: Signed) -> Response:
    async def make(values: dict[str, str], year: int) -> None:
        await verification_command(request, code, year, v.DecideTownConsequences(town))

    return await _run(request, who, code, f"decide-{town}", ("town",), make, "decided")


@router.post(BASE + "/towns/{town}/rectification", response_class=HTMLResponse)
async def raise_item(request: Request, code: str, town: str, who: Signed) -> Response:
    async def make(values: dict[str, str], year: int) -> None:
        command = v.RaiseTownRectification(town, values.get("requirement", ""), values.get("deadline", ""),
                                           values.get("answerer", ""), values.get("problem_id") or None,
                                           values.get("problem", ""))  # fmt: skip
        await verification_command(request, code, year, command)

    fields = ("problem_id", "problem", "requirement", "deadline", "answerer")
    return await _run(request, who, code, f"raise-{town}", fields, make, "raised")


@router.post(BASE + "/rectification/{item_id}/{step}", response_class=HTMLResponse)
async def step(request: Request, code: str, item_id: str, step: str, who: Signed) -> Response:
    if step not in STEPS:
        raise NotFound.of("step", "known_step", f"整改步骤只有 {'、'.join(STEPS)}，收到“{step[:20]}”")
    field, command = STEPS[step]

    async def make(values: dict[str, str], year: int) -> None:
        await verification_command(request, code, year, command(year, item_id, values.get(field, "")))

    return await _run(request, who, code, f"{step}-{item_id}", (field, "item_id"), make, f"item-{step}")


@router.get("/audit/counties/{code}/verification", response_class=HTMLResponse)
def audit_events(request: Request, code: str, who: Signed, year: pv.YearParam = None) -> Response:
    """The auditor's list of a verification year's events (not in the county's own stream)."""
    require(who, Action.READ_AUDIT)
    context = pv.base(request, who, code, year)
    context["events"] = rv.events(platform_of(request), code, context["year"]) if context["found"] else []
    return pv.render(request, "verification/audit.html", context, NOTHING_FAILED, "")
