"""Reads from the read models. Each first catches the models up (read-your-writes)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from api.auth import require
from api.context import platform
from api.models import CountyOut, RankingOut, RankingsOut, ScoresOut
from api.schemes import plain_numbers
from domain.access import Action, Principal
from domain.commands import REGION_LABELS
from domain.errors import InvalidCommand, NotFound
from domain.scheme import indicator_document
from projections import queries
from ruraleval.platform import Platform

router = APIRouter(prefix="/api/v1", tags=["查询 reads"])
YEAR = Query(ge=2000, le=2100, description="评估年度，如 2023")


READ_ALL = Depends(require(Action.READ, county_param=None))
READ_COUNTY = [Depends(require(Action.READ))]


def fresh(service: Platform = Depends(platform)) -> Platform:
    service.projections.ensure_fresh()
    return service


@router.get("/counties", response_model=list[CountyOut], summary="入选县名单")
def list_counties(
    region: str | None = Query(None, description="east / central / west"), service: Platform = Depends(fresh)
) -> list[CountyOut]:
    if region is not None and region not in REGION_LABELS:
        raise InvalidCommand.of("region", "one_of", "region 只能是 east（东部）、central（中部）、west（西部）之一")
    return [
        CountyOut(region_label=REGION_LABELS[row["region"]], **row)
        for row in queries.list_counties(service.reads, region)
    ]


@router.get("/counties/{code}/indicators", dependencies=READ_COUNTY, summary="县的指标体系（含个性指标、当前权重）")
def county_indicators(
    code: str, year: int | None = Query(None, ge=2000, le=2100), service: Platform = Depends(platform)
) -> dict[str, Any]:
    county = service.ledger.county(code)
    book = county.book(year)
    return {
        "county": code,
        "year": book.scheme.year,
        "scheme": book.scheme.id,
        "closed_periods": list(book.closed),
        "indicators": [
            plain_numbers(indicator_document(node))
            | {"responsibility": vars(book.responsibility[code]) if code in book.responsibility else None}
            for code, node in book.indicators.items()
        ],
    }


@router.get(
    "/counties/{code}/scores",
    response_model=ScoresOut,
    dependencies=READ_COUNTY,
    summary="县的年度得分（各级指标、总分、等级）",
)
def county_scores(code: str, year: int = YEAR, service: Platform = Depends(fresh)) -> dict[str, Any]:
    card = queries.scorecard(service.reads, code, year)
    if card is None:
        if not any(row["code"] == code for row in queries.list_counties(service.reads)):
            raise NotFound.of("code", "known_county", f"行政区划代码为 {code} 的县尚未入选评估")
        raise NotFound.of("year", "scheme_year", f"该县没有 {year} 年度的评估方案")
    return card


@router.get("/rankings", response_model=RankingsOut, summary="全部县的总分、等级和排名（含分区排名）")
def rankings(year: int = YEAR, principal: Principal = READ_ALL, service: Platform = Depends(fresh)) -> RankingsOut:
    """Ranks are among all counties; a scoped reader sees only the rows of its counties."""
    visible = principal.readable_counties()
    entries = [
        RankingOut(**entry)
        for entry in queries.rankings(service.reads, year)
        if visible is None or entry["county"] in visible
    ]
    regions: dict[str, list[RankingOut]] = {}
    for entry in sorted(entries, key=lambda e: (e.region, e.region_rank, e.county)):
        regions.setdefault(entry.region, []).append(entry)
    return RankingsOut(year=year, counties=entries, regions=regions)
