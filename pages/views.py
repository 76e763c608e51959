"""The root (each user to their home) and the clerk's "what I owe" (the ranking and a
county's scores are the leader's: ``pages.leader``).

Each handler checks the permission of the API route that serves the same data, reads
through ``pages.reads`` and renders one template.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from domain.access import Action
from domain.errors import NotFound
from pages import reads, reads_clerk, reads_rectification
from pages.navigation import home_for
from pages.render import page
from pages.session import Viewer, platform_of, require, viewer

router = APIRouter(tags=["pages"], include_in_schema=False)
Signed = Annotated[Viewer, Depends(viewer)]
YearParam = Annotated[int | None, Query(ge=2000, le=2100)]


@router.get("/")
async def home(who: Signed) -> RedirectResponse:
    return RedirectResponse(home_for(who), status_code=303)


@router.get("/counties/{code}/tasks", response_class=HTMLResponse)
def county_tasks(request: Request, code: str, who: Signed, year: YearParam = None) -> Response:
    require(who, Action.READ, code)
    meta = reads.enrolled_county(platform_of(request), code)
    service = platform_of(request)
    chosen = reads.county_year(service, meta, year)
    if chosen is None or str(chosen) not in meta["schemes"]:
        raise NotFound.of("year", "scheme_year", f"该县没有 {chosen or ''} 年度的评估方案")
    owed = reads.owed(service, who.principal, meta, chosen, reads.today(service))
    may_submit = who.principal.may(Action.SUBMIT_DATA, code)

    def entry_href(period: str) -> str:  # the clerk's form of the month that asks for ``period``
        return f"/counties/{code}/entry?period={reads_clerk.entry_period(period)}" if period else ""

    rectification = reads_rectification.owed(service, code, chosen, owed.departments)
    context = {"owed": owed, "may_submit": may_submit, "entry_href": entry_href, "rectification": rectification,
               "may_rectify": who.principal.may(Action.RECTIFY, code)}  # fmt: skip
    return page(request, "tasks.html", context)
