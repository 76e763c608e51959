"""The link to reward and penalty (一挂钩): a county's consequences of a year, each with its
rule, its causes (linked) and the points it put in the next year's book; the form to decide
them; and every county's consequences for leaders, filtered by kind.

Each handler checks the permission of the API route serving the same data
(``api/consequences.py``): ``READ`` on the county (or on any county for the list),
``DECIDE_CONSEQUENCES`` to decide. A refusal is shown beside its field and stores nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from domain.access import Action
from domain.errors import DomainError
from domain.inputs import normalise
from domain.report_commands import DecideConsequences
from pages import reads
from pages import reads_consequences as rc
from pages.leader_filters import read_filters
from pages.render import page
from pages.review_forms import NOTHING_FAILED, Failed, done, posted, refused, year_field
from pages.session import Viewer, platform_of, require, viewer
from pages.writes import county_command

router = APIRouter(tags=["pages"], include_in_schema=False)
Signed = Annotated[Viewer, Depends(viewer)]
TextParam = Annotated[str | None, Query(max_length=40)]
NOTICES = {"decided": "已按方案规则认定挂钩结果。", "unchanged": "没有新的挂钩结果：已认定过的不再重复记录。"}
FORM = "decide"


def _county_page(
    request: Request, who: Viewer, code: str, year: str | None, as_of: str | None = None,
    failed: Failed = NOTHING_FAILED, notice: str = "",
) -> Response:  # fmt: skip
    require(who, Action.READ, code)
    service = platform_of(request)
    meta = reads.enrolled_county(service, code)
    years = sorted((int(y) for y in meta["schemes"]), reverse=True)
    asked = read_filters(service, years, year=year, as_of=as_of, counties=[code])
    context: dict[str, Any] = {
        "county": meta, "years": years, "year": asked.year, "errors": asked.errors, "found": None,
        "as_of_day": asked.form["as_of"] if "as_of" in asked.errors else (asked.form["as_of"] or ""),
        "today": reads.today(service).isoformat(), "failed": failed, "notice": NOTICES.get(notice, ""),
        "may_decide": who.principal.may(Action.DECIDE_CONSEQUENCES, code),
    }  # fmt: skip
    if asked.errors or asked.year is None:
        return page(request, "consequences/county.html", context, status=422 if asked.errors else 200)
    audit = who.principal.may(Action.READ_AUDIT, code)
    context["found"] = rc.county_page(service, code, asked.year, asked.at, audit)
    return page(request, "consequences/county.html", context, status=failed.status if failed.form else 200)


@router.get("/counties/{code}/consequences", response_class=HTMLResponse)
def county_consequences(
    request: Request, code: str, who: Signed, year: TextParam = None, as_of: TextParam = None, done: str = ""
) -> Response:
    return _county_page(request, who, code, year, as_of, notice=done)


@router.post("/counties/{code}/consequences", response_class=HTMLResponse)
async def decide(request: Request, code: str, who: Signed) -> Response:
    require(who, Action.DECIDE_CONSEQUENCES, code)
    values = await posted(request)
    year = year_field(values)
    try:
        values.check()  # the API's input rules (ADR 17)
        on = values.get("on", "") or reads.today(platform_of(request)).isoformat()
        outcome = await county_command(request, code, DecideConsequences(year or 0, on), None)
    except DomainError as error:
        failed = refused(FORM, ("on", "year"), error, values)
        return _county_page(request, who, code, str(year or ""), failed=failed)
    notice = "decided" if outcome.result.get("consequences") else "unchanged"
    return done(f"/counties/{code}/consequences", notice, year=year)


@router.get("/consequences", response_class=HTMLResponse)
def every_county(request: Request, who: Signed, year: TextParam = None, kind: TextParam = None) -> Response:
    require(who, Action.READ)
    service = platform_of(request)
    years = reads.years(service)
    asked = read_filters(service, years, year=year)
    chosen_kind = normalise(kind or "")
    errors = dict(asked.errors)
    if chosen_kind and chosen_kind not in rc.KIND_CHOICES:
        errors["kind"] = "种类只能是" + "、".join(rc.KIND_CHOICES.values()) + "之一"
    context: dict[str, Any] = {"years": years, "year": asked.year, "kind": chosen_kind, "kinds": rc.KIND_CHOICES,
                               "errors": errors, "rows": None}  # fmt: skip
    if errors or asked.year is None:
        return page(request, "consequences/all.html", context, status=422 if errors else 200)
    rows = rc.every_county(service, asked.year, who.principal.readable_counties(), chosen_kind or None)
    return page(request, "consequences/all.html", context | {"rows": rows})
