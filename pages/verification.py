"""The county's verification of its towns (镇级核查, 004; ADR 27): registry, teams, samples,
score entry for a team, and the town ranking with each composite's formula filled in.

Permissions are the API's (api/verification.py): reading needs ``read`` on the county, every
form ``verify_towns`` (shown only to who may). The forms are in ``pages.verification_forms``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from domain.access import Action
from domain.recorded_time import CHINA
from domain.towns import COUNTY_OFFICE
from domain.verification_rules import ABSENCE_LABELS
from pages import reads_verification as rv
from pages.render import page
from pages.review import known_county
from pages.review_forms import NOTHING_FAILED, Failed
from pages.session import Viewer, platform_of, require, viewer
from ruraleval.files import attachment
from ruraleval.imports import XLSX

router = APIRouter(tags=["pages"], include_in_schema=False)
Signed = Annotated[Viewer, Depends(viewer)]
YearParam = Annotated[int | None, Query(ge=2000, le=2100)]
NOTICES = {
    "opened": "镇级核查已开始：请登记镇、村、户。",
    "registered": "登记已保存。",
    "corrected": "登记已更正，原登记和理由保留在历史中。",
    "team": "核查组已组建。",
    "assigned": "核查组已指定负责的镇。",
    "absence": "缺勤记录已保存，按方案扣分。",
    "sample": "抽样已完成，种子和总体已记录。",
    "marked": "已标记为上级抽查。",
    "score": "核查得分已录入。",
    "revoked": "核查得分已撤销，恢复其下的结果。",
    "notice": "核查结果通报已出具，文件按哈希保存。",
    "decided": "已按挂钩规则认定。",
    "raised": "整改事项已下达。",
    "item-plan": "整改方案已录入。",
    "item-progress": "整改进展已录入。",
    "item-done": "已申报整改完成，待核验。",
    "item-verify": "整改事项已核验销号。",
    "item-reject": "核验未通过，已退回整改。",
}
TABS = (
    ("", "登记"),
    ("/teams", "核查组"),
    ("/samples", "抽样"),
    ("/entry", "录入得分"),
    ("/ranking", "排名与综合评价"),
    ("/outcomes", "结果运用"),
)


def base(request: Request, who: Viewer, code: str, year: int | None) -> dict[str, Any]:
    """What every verification page has: the county, the year, the tabs, who may write."""
    require(who, Action.READ, code)
    meta = known_county(request, code)
    schemes = [int(y) for y in meta["schemes"]]
    this_year = datetime.now(CHINA).year
    candidates = range(min([*schemes, this_year]) - 1, max([*schemes, this_year]) + 2)
    years = rv.opened_years(platform_of(request), code, candidates)
    # the latest year with a verification opened; before any, the county's latest scheme year
    chosen = year or (years[-1] if years else max(schemes, default=this_year))
    found = rv.verification_year(platform_of(request), code, chosen)
    may_audit = who.principal.may(Action.READ_AUDIT)  # the year's events are not in the county's stream
    audit = [(f"/audit/counties/{code}/verification?year={chosen}", "事件流（审计）")] if may_audit else []
    return {
        "county": meta,
        "year": chosen,
        "years": sorted({*years, chosen}),
        "found": found,
        "tabs": [(f"/counties/{code}/verification{suffix}?year={chosen}", label) for suffix, label in TABS] + audit,
        "may_write": who.principal.may(Action.VERIFY_TOWNS, code),
        "county_office": COUNTY_OFFICE,
    }


def render(request: Request, template: str, context: dict[str, Any], failed: Failed, notice: str) -> Response:
    context |= {"failed": failed, "notice": NOTICES.get(notice, "")}
    return page(request, template, context, status=failed.status if failed.form else 200)


def registry_page(
    request: Request,
    who: Viewer,
    code: str,
    year: int | None,
    failed: Failed = NOTHING_FAILED,
    notice: str = "",
    rows: list[Any] | None = None,
    village: str = "",
) -> Response:
    context = base(request, who, code, year)
    context["summary"] = rv.summary(context["found"]) if context["found"] else None
    context["import_rows"] = rows or []
    context["village"] = village  # the households shown are one village's (a county registers thousands)
    return render(request, "verification/registry.html", context, failed, notice)


@router.get("/counties/{code}/verification", response_class=HTMLResponse)
def registry(
    request: Request,
    code: str,
    who: Signed,
    year: YearParam = None,
    done: str = "",
    village: str = Query("", max_length=32),
) -> Response:
    return registry_page(request, who, code, year, notice=done, village=village)


@router.get("/counties/{code}/verification/registry-template.xlsx")
def registry_template(request: Request, code: str, who: Signed, year: YearParam = None) -> Response:
    context = base(request, who, code, year)
    found = context["found"]
    if found is None:
        return registry_page(request, who, code, year)
    headers = attachment(f"{code}-{context['year']}-registry.xlsx", f"{context['year']}年镇村户登记表.xlsx")
    return Response(rv.registry_template(found), media_type=XLSX, headers=headers)


def teams_page(
    request: Request, who: Viewer, code: str, year: int | None, failed: Failed = NOTHING_FAILED, notice: str = ""
) -> Response:
    context = base(request, who, code, year)
    if context["found"]:
        context |= {"summary": rv.summary(context["found"]), "teams": rv.teams(context["found"])}
    context["absence_kinds"] = ABSENCE_LABELS
    return render(request, "verification/teams.html", context, failed, notice)


@router.get("/counties/{code}/verification/teams", response_class=HTMLResponse)
def teams(request: Request, code: str, who: Signed, year: YearParam = None, done: str = "") -> Response:
    return teams_page(request, who, code, year, notice=done)


def samples_page(
    request: Request, who: Viewer, code: str, year: int | None, failed: Failed = NOTHING_FAILED, notice: str = ""
) -> Response:
    context = base(request, who, code, year)
    if context["found"]:
        context |= {"summary": rv.summary(context["found"]), "samples": rv.samples(context["found"])}
    return render(request, "verification/samples.html", context, failed, notice)


@router.get("/counties/{code}/verification/samples", response_class=HTMLResponse)
def samples(request: Request, code: str, who: Signed, year: YearParam = None, done: str = "") -> Response:
    return samples_page(request, who, code, year, notice=done)


def entry_page(
    request: Request,
    who: Viewer,
    code: str,
    year: int | None,
    team: str | None,
    failed: Failed = NOTHING_FAILED,
    notice: str = "",
) -> Response:
    context = base(request, who, code, year)
    found = context["found"]
    context |= {"team": None, "town": None, "teams": []}
    if found:
        context |= {"summary": rv.summary(found), "teams": rv.teams(found)["teams"]}
        chosen = next((t for t in context["teams"] if t["team_id"] == team), None)
        if chosen is None and context["teams"]:
            chosen = next((t for t in context["teams"] if t["town"]), None)
        context["team"] = chosen
        if chosen and chosen["town"]:
            towns = rv.scores(found, None)["towns"]
            context["town"] = next(t for t in towns if t["town"] == chosen["town"])
    return render(request, "verification/entry.html", context, failed, notice)


@router.get("/counties/{code}/verification/entry", response_class=HTMLResponse)
def entry(
    request: Request,
    code: str,
    who: Signed,
    year: YearParam = None,
    team: str | None = Query(None, max_length=32),
    done: str = "",
) -> Response:
    return entry_page(request, who, code, year, team, notice=done)


@router.get("/counties/{code}/verification/ranking", response_class=HTMLResponse)
def ranking(
    request: Request, code: str, who: Signed, year: YearParam = None, as_of: str | None = Query(None, max_length=40)
) -> Response:
    context = base(request, who, code, year)
    context["as_of"] = as_of or ""
    if context["found"]:
        found, instant = rv.as_of(platform_of(request), code, context["year"], as_of or None)
        context["scores"] = rv.scores(found, instant)
    return render(request, "verification/ranking.html", context, NOTHING_FAILED, "")
