"""An evaluator's decisions for one county: proposals, score overrides, points, closing periods.

Each form checks the permission of its API route (api/proposals.py, api/counties.py):
``decide_proposals``, ``override_score``, ``adjust_points``, ``close_period``. A refusal is
shown beside its field and stores nothing; a success comes back to this page with a notice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from domain import commands as c
from domain.access import Action
from domain.errors import DomainError
from pages import reads_review as rr
from pages.render import page
from pages.review import YearParam, known_county, year_of
from pages.review_forms import NOTHING_FAILED, Failed, done, number, posted, refused, year_field
from pages.session import Viewer, platform_of, require, viewer
from pages.writes import county_command

router = APIRouter(tags=["pages"], include_in_schema=False)
Signed = Annotated[Viewer, Depends(viewer)]
NOTICES = {
    "approve": "变更申请已批准，指标体系已按申请修改。",
    "reject": "变更申请已驳回。",
    "override": "得分调整已记录。",
    "override-revoked": "得分调整已撤销，恢复其下的有效结果。",
    "points": "加减分已记录。",
    "points-revoked": "加减分已撤销。",
    "close": "期间已关账。",
    "reopen": "期间已重新开启。",
}
ACTIONS = {"proposals": Action.DECIDE_PROPOSALS, "overrides": Action.OVERRIDE_SCORE,
           "points": Action.ADJUST_POINTS, "periods": Action.CLOSE_PERIOD}  # fmt: skip


def _desk(request: Request, who: Viewer, code: str, year: int | None, failed: Failed = NOTHING_FAILED,
          notice: str = "") -> Response:  # fmt: skip
    require(who, Action.REVIEW_DATA, code)
    meta = known_county(request, code)
    chosen = year_of(platform_of(request), meta, year)
    desk = rr.desk(platform_of(request), code, chosen)
    failed = failed.placed(lambda form: not form.startswith("reopen-") or form[7:] in desk["closed"])
    may = {name: who.principal.may(action, code) for name, action in ACTIONS.items()}
    context = {"county": meta, "desk": desk, "failed": failed, "notice": NOTICES.get(notice, ""), "may": may}
    return page(request, "review/desk.html", context, status=failed.status if failed.form else 200)


@router.get("/counties/{code}/evaluation", response_class=HTMLResponse)
def evaluation_desk(request: Request, code: str, who: Signed, year: YearParam = None, done: str = "") -> Response:
    return _desk(request, who, code, year, notice=done)


async def _write(
    request: Request, who: Viewer, code: str, action: Action, form: str, fields: tuple[str, ...],
    build: Callable[[dict[str, str]], c.CountyCommand], notice: str, digits: tuple[str, ...] = (),
) -> Response:  # fmt: skip
    """Checks ``action``, builds the command from the form, records it; the refusal beside its field.

    The desk reads the county's own stream, which holds the change once it is recorded: no
    read model needs to be waited for before the page shown next.
    """
    require(who, action, code)
    values = await posted(request, digits)
    year = year_field(values)
    try:
        values.check()  # the API's input rules (ADR 17): no NUL, digits 0–9
        await county_command(request, code, build(values), None)
    except DomainError as error:
        return _desk(request, who, code, year, refused(form, fields, error, values))
    return done(f"/counties/{code}/evaluation", notice, year=year)


@router.post("/counties/{code}/proposals/{proposal_id}/decide", response_class=HTMLResponse)
async def decide_proposal(request: Request, code: str, proposal_id: str, who: Signed) -> Response:
    values = await posted(request)
    approving = values.get("decision") == "approve"

    def build(values: dict[str, str]) -> c.CountyCommand:
        reason = values.get("reason", "")
        return c.ApproveProposal(proposal_id, reason) if approving else c.RejectProposal(proposal_id, reason)

    return await _write(request, who, code, Action.DECIDE_PROPOSALS, f"proposal-{proposal_id}", ("reason",), build,
                        "approve" if approving else "reject")  # fmt: skip


@router.post("/counties/{code}/overrides", response_class=HTMLResponse)
async def override(request: Request, code: str, who: Signed) -> Response:
    def build(values: dict[str, str]) -> c.CountyCommand:
        score = number(values, "score", "调整后的得分")
        year = year_field(values, 0) or 0
        node, authority, reason = values.get("node", ""), values.get("authority", ""), values.get("reason", "")
        return c.OverrideScore(year, node, score, authority, reason, uuid.uuid4().hex)

    return await _write(request, who, code, Action.OVERRIDE_SCORE, "override", ("node", "score", "authority",
                        "reason"), build, "override", ("score",))  # fmt: skip


@router.post("/counties/{code}/overrides/{override_id}/revoke", response_class=HTMLResponse)
async def revoke_override(request: Request, code: str, override_id: str, who: Signed) -> Response:
    def build(values: dict[str, str]) -> c.CountyCommand:
        return c.RevokeOverride(override_id, values.get("reason", ""))

    return await _write(request, who, code, Action.OVERRIDE_SCORE, f"revoke-{override_id}", ("reason",), build,
                        "override-revoked")  # fmt: skip


@router.post("/counties/{code}/adjustments", response_class=HTMLResponse)
async def adjust_points(request: Request, code: str, who: Signed) -> Response:
    def build(values: dict[str, str]) -> c.CountyCommand:
        points = number(values, "points", "分值")
        year = year_field(values, 0) or 0
        return c.AdjustPoints(year, points, values.get("category", ""), values.get("reason", ""), uuid.uuid4().hex)

    return await _write(request, who, code, Action.ADJUST_POINTS, "points", ("points", "category", "reason"),
                        build, "points", ("points",))  # fmt: skip


@router.post("/counties/{code}/adjustments/{adjustment_id}/revoke", response_class=HTMLResponse)
async def revoke_points(request: Request, code: str, adjustment_id: str, who: Signed) -> Response:
    def build(values: dict[str, str]) -> c.CountyCommand:
        return c.RevokePoints(adjustment_id, values.get("reason", ""))

    return await _write(request, who, code, Action.ADJUST_POINTS, f"revoke-{adjustment_id}", ("reason",), build,
                        "points-revoked")  # fmt: skip


@router.post("/counties/{code}/periods/close", response_class=HTMLResponse)
async def close_period(request: Request, code: str, who: Signed) -> Response:
    def build(values: dict[str, str]) -> c.CountyCommand:
        return c.ClosePeriod(values.get("period", ""), values.get("reason", ""))

    return await _write(request, who, code, Action.CLOSE_PERIOD, "close", ("period", "reason"), build, "close")


@router.post("/counties/{code}/periods/reopen", response_class=HTMLResponse)
async def reopen_period(request: Request, code: str, who: Signed) -> Response:
    values = await posted(request)
    form = "reopen-" + values.get("period", "").replace(".", "_")

    def build(values: dict[str, str]) -> c.CountyCommand:
        return c.ReopenPeriod(values.get("period", ""), values.get("reason", ""))

    return await _write(request, who, code, Action.CLOSE_PERIOD, form, ("reason",), build, "reopen")
