"""The link to reward and penalty (一挂钩) and the findings it follows from: deciding the
consequences of a county's year, reading them (per county, or every readable county), and
the highlights and problems the scheme's rules choose (ADR 26)."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from api.auth import require
from api.consistency import reading, reading_as_of
from api.context import command_context, county_in_path, one_hop, platform
from api.reads import AS_OF, YearQuery
from domain import report_commands as rc
from domain.access import Action, Principal
from domain.collection import beijing_date
from domain.errors import InvalidCommand
from domain.inputs import normalise
from domain.recorded_time import parse_as_of
from projections.catalog import COUNTIES
from reports import consequences as read
from reports.analysis import ANALYSIS_FACTS
from ruraleval.platform import Platform

router = APIRouter(prefix="/api/v1", tags=["一挂钩 consequences"])
_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
# The read models the findings' facts come from (the analysis').
FACTS = (ANALYSIS_FACTS, ANALYSIS_FACTS)
Kind = Literal["commendation", "interview_deputy", "interview_principal", "penalty_points", "bonus_points"]


class DecisionIn(BaseModel):
    year: int = Field(ge=2000, le=2100, description="评估年度，如 2023")
    on: str | None = Field(
        default=None,
        max_length=40,
        description="认定日（北京时间，如 2024-06-01）：以此日判断整改事项是否逾期；省略为今天",
    )


class AdjustmentOut(BaseModel):
    id: str
    year: int
    category: str | None
    points: str | None
    reason: str | None
    revoked: bool | None
    history: str = Field(description="该年度总分的变化记录（其中可见这条加减分及其理由）")


class ConsequenceOut(BaseModel):
    county: str
    county_name: str
    year: int
    id: str
    kind: str
    label: str
    rule: str
    rule_words: str
    causes: dict[str, Any] = Field(
        description="造成该结果的事实：报告编号、截至时刻、等级、总分；整改事项及其期限、核验事件版本"
    )
    cause_words: str
    points: str | None
    points_year: int | None
    adjustment: AdjustmentOut | None
    actor: str
    recorded_at: str


class DecidedOut(BaseModel):
    county: str
    year: int
    on: str
    version: int | None
    position: int | None
    events: list[str]
    unchanged: bool = Field(description="没有新的挂钩结果（已认定过的不再重复记录）")
    consequences: list[ConsequenceOut]


class CountyConsequencesOut(BaseModel):
    county: str
    name: str
    year: int
    as_of: str | None
    reports: list[dict[str, Any]]
    items: list[dict[str, Any]]
    consequences: list[ConsequenceOut]


class AllConsequencesOut(BaseModel):
    year: int
    kind: str | None
    consequences: list[ConsequenceOut]


class FindingOut(BaseModel):
    side: str
    rule: str
    kind: str
    indicator: str
    title: str
    numbers: dict[str, str]
    advice: str
    serious: bool


class FindingsOut(BaseModel):
    county: str
    year: int
    as_of: str | None
    highlights: list[FindingOut]
    problems: list[FindingOut]
    notes: list[str]


def instant_of(service: Platform, as_of: str | None) -> datetime | None:
    """The instant asked for, made final (nothing recorded later can be stamped at or before it)."""
    if as_of is None:
        return None
    at = parse_as_of(as_of, service.ledger.clock())
    service.ledger.settle(at)
    return at


@router.post(
    "/counties/{code}/consequences",
    status_code=201,
    response_model=DecidedOut,
    dependencies=[Depends(require(Action.DECIDE_CONSEQUENCES))],
    summary="认定挂钩结果：按方案规则，由最新评估报告的等级、突出问题和整改事项的结果认定（已认定的不重复）",
)
async def decide(
    code: str, body: DecisionIn, request: Request, response: Response, service: Platform = Depends(platform)
) -> DecidedOut:
    county_in_path(code)
    today = beijing_date(service.ledger.clock())
    on = normalise(body.on) if body.on else today.isoformat()
    if _DAY.match(on) and on > today.isoformat():
        raise InvalidCommand.of("on", "not_future", "on 不能晚于今天（北京时间）：逾期与否要到那一天才知道")
    context = command_context(request, Action.DECIDE_CONSEQUENCES, code)
    outcome = await asyncio.wrap_future(service.ledger.submit(code, rc.DecideConsequences(body.year, on), context))
    recorded = set(outcome.result.get("consequences", []))

    def answer() -> list[dict[str, Any]]:
        found = read.county_consequences(service, code, body.year, None)["consequences"]
        return [item for item in found if item["id"] in recorded]

    decided = await asyncio.to_thread(answer)
    if not recorded:
        response.status_code = 200  # nothing created: the consequences were decided before
    return DecidedOut(
        county=code,
        year=body.year,
        on=on,
        version=outcome.version,
        position=outcome.position,
        events=outcome.events,
        unchanged=not recorded,
        consequences=[ConsequenceOut(**item) for item in decided],
    )


@router.get(
    "/counties/{code}/consequences",
    response_model=CountyConsequencesOut,
    dependencies=[Depends(require(Action.READ))],
    summary="县的挂钩结果（每条结果的规则、原因，及其在下一年度的加减分）；as_of 查看任一时刻平台所知",
)
@one_hop
def county_consequences(
    code: str, year: YearQuery, as_of: str | None = AS_OF, service: Platform = Depends(platform)
) -> CountyConsequencesOut:
    county_in_path(code)
    return CountyConsequencesOut(**read.county_consequences(service, code, year, instant_of(service, as_of)))


@router.get("/consequences", response_model=AllConsequencesOut, summary="全部（可查看的）县的挂钩结果，可按种类筛选")
@one_hop
def all_consequences(
    year: YearQuery,
    kind: Kind | None = Query(None, description="只列该种类：commendation、interview_deputy 等"),
    as_of: str | None = AS_OF,
    principal: Principal = Depends(require(Action.READ, county_param=None)),
    service: Platform = Depends(reading(*COUNTIES)),
) -> AllConsequencesOut:
    at = instant_of(service, as_of)
    found = read.all_consequences(service, year, principal.readable_counties(), kind, at)
    return AllConsequencesOut(year=year, kind=kind, consequences=[ConsequenceOut(**item) for item in found])


@router.get(
    "/counties/{code}/findings",
    response_model=FindingsOut,
    dependencies=[Depends(require(Action.READ))],
    summary="县的亮点和问题：按方案的报告规则确定性地选出，各附选中它的规则和依据的数字；as_of 查看任一时刻",
)
@one_hop
def findings(
    code: str, year: YearQuery, as_of: str | None = AS_OF, service: Platform = Depends(reading_as_of(*FACTS))
) -> FindingsOut:
    county_in_path(code)
    at = None if as_of is None else parse_as_of(as_of, service.ledger.clock())  # settled by reading_as_of
    selection = read.county_findings(service, code, year, at)
    return FindingsOut(
        county=code,
        year=year,
        as_of=at.isoformat() if at is not None else None,
        highlights=[FindingOut(**dataclasses.asdict(f)) for f in selection.highlights],
        problems=[FindingOut(**dataclasses.asdict(f)) for f in selection.problems],
        notes=selection.notes,
    )
