"""The pages of this step: each role's home, the clerk's "what I owe", the ranking, a scorecard.

Each handler checks the permission of the API route that serves the same data, reads
through ``pages.reads`` and renders one template.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from domain.access import Action
from domain.errors import NotFound
from domain.inputs import county_code_refusal
from pages import reads
from pages.navigation import Link, home_for
from pages.render import page
from pages.session import Viewer, platform_of, require, viewer

router = APIRouter(tags=["pages"], include_in_schema=False)
Signed = Annotated[Viewer, Depends(viewer)]
YearParam = Annotated[int | None, Query(ge=2000, le=2100)]
REGIONS = {"east": "东部", "central": "中部", "west": "西部"}


@router.get("/")
async def home(who: Signed) -> RedirectResponse:
    return RedirectResponse(home_for(who), status_code=303)


def _year(request: Request, asked: int | None) -> int | None:
    if asked is not None:
        return asked
    found = reads.years(platform_of(request))
    return found[0] if found else None


def _known_county(request: Request, code: str) -> dict[str, Any]:
    if county_code_refusal(code) is not None:
        raise NotFound.of("code", "known_county", f"“{code[:12]}”不是县级行政区划代码")
    meta = reads.county(platform_of(request), code)
    if meta is None:
        raise NotFound.of("code", "known_county", f"行政区划代码为 {code} 的县尚未入选评估")
    return meta


@router.get("/rankings", response_class=HTMLResponse)
def rankings(
    request: Request,
    who: Signed,
    year: YearParam = None,
    region: Literal["east", "central", "west"] | None = None,
) -> HTMLResponse:
    require(who, Action.READ)
    service = platform_of(request)
    chosen = _year(request, year)
    ranking = reads.ranking(service, who.principal, chosen, region) if chosen else None
    return page(request, "rankings.html", {"ranking": ranking, "years": reads.years(service), "year": chosen,
                                           "region": region, "regions": REGIONS})  # fmt: skip


@router.get("/counties/{code}/tasks", response_class=HTMLResponse)
def county_tasks(request: Request, code: str, who: Signed, year: YearParam = None) -> HTMLResponse:
    require(who, Action.READ, code)
    meta = _known_county(request, code)
    service = platform_of(request)
    chosen = year or max((int(y) for y in meta["schemes"]), default=None)
    if chosen is None or str(chosen) not in meta["schemes"]:
        raise NotFound.of("year", "scheme_year", f"该县没有 {chosen or ''} 年度的评估方案")
    owed = reads.owed(service, who.principal, meta, chosen, reads.today(service))
    may_submit = who.principal.may(Action.SUBMIT_DATA, code)
    return page(request, "tasks.html", {"owed": owed, "may_submit": may_submit})


@router.get("/counties/{code}", response_class=HTMLResponse)
def county_scores(request: Request, code: str, who: Signed, year: YearParam = None) -> HTMLResponse:
    require(who, Action.READ, code)
    meta = _known_county(request, code)
    chosen = year or max((int(y) for y in meta["schemes"]), default=None)
    card = reads.scorecard(platform_of(request), code, chosen) if chosen else None
    if card is None:
        raise NotFound.of("year", "scheme_year", f"该县没有 {chosen or ''} 年度的得分")
    return page(request, "county.html", {"county": meta, "card": card, "year": chosen})


# Homes of the roles whose own pages come in later steps: what they can open today, and
# what their workbench will hold (the API already does all of it).
AUDITOR_LATER = [
    "得分变化时间线：每一次变化的数值、原因、事件、操作人、理由和权限层级",
    "两个时刻之间某县发生了哪些变化",
    "哈希链校验和摘要，结果以文字说明",
]
CENTRE_LATER = [
    "上传评估方案（JSON），逐条列出不符合规则之处",
    "县入选登记",
    "用户、角色和授权及其历史",
    "评估组及其负责的县",
]
RANKING_LINK = Link("各县得分排名", "/rankings", "各县总分、等级、全国排名和分区排名")


def _role_home(request: Request, title: str, now: list[Link], later: list[str]) -> HTMLResponse:
    return page(request, "role_home.html", {"title": title, "now": now, "later": later})


@router.get("/audit", response_class=HTMLResponse)
def audit_home(request: Request, who: Signed) -> HTMLResponse:
    require(who, Action.READ_AUDIT)
    docs = Link("接口文档：审计接口", "/docs", "事件流、哈希链校验、摘要和组织变更记录（/api/v1/audit/…）")
    return _role_home(request, "审计工作台", [RANKING_LINK, docs], AUDITOR_LATER)


@router.get("/centre", response_class=HTMLResponse)
def centre_home(request: Request, who: Signed) -> HTMLResponse:
    require(who, Action.MANAGE_ORGANISATION)
    docs = Link("接口文档", "/docs", "发布评估方案、县入选登记、用户和评估组管理的接口")
    return _role_home(request, "中心专班工作台", [RANKING_LINK, docs], CENTRE_LATER)
