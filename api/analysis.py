"""The analysis (数据分析): a node across counties, a county's node across years and months,
and its indicators' gaps, now or as of any recorded instant (``reports.analysis``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.consistency import reading_as_of
from api.context import county_in_path
from api.reads import AS_OF, READ_ALL, READ_COUNTY, Region, YearQuery
from domain.access import Principal
from domain.analysis import attainment
from domain.commands import REGION_LABELS
from domain.decimals import round2
from domain.errors import InvalidCommand
from domain.inputs import ascii_digits_words, normalise
from domain.recorded_time import parse_as_of
from reports import analysis, analysis_vertical
from reports.analysis import ANALYSIS
from reports.model import Spread
from ruraleval.platform import Platform

router = APIRouter(prefix="/api/v1", tags=["数据分析 analysis"])
NodeQuery = Annotated[str, Query(min_length=1, max_length=50, description="指标代码（如 1.1、1）或 total（总分）")]
Figure = str | None  # a decimal to two places, as text ("88.00"); None when there is none


def figure(value: Decimal | None) -> Figure:
    shown = round2(value)
    return None if shown is None else f"{shown:.2f}"


class SpreadOut(BaseModel):
    count: int
    mean: Figure
    median: Figure
    best: Figure = Field(description="最优值：得分取最高；指标值按指标方向（越低越好者取最低）")
    q1: Figure = Field(description="下四分位数（线性插值，同 Excel QUARTILE.INC）")
    q3: Figure = Field(description="上四分位数")


def spread_out(found: Spread) -> SpreadOut:
    return SpreadOut(count=found.count, mean=figure(found.mean), median=figure(found.median),
                     best=figure(found.best), q1=figure(found.q1), q3=figure(found.q3))  # fmt: skip


class CountyPointOut(BaseModel):
    county: str
    name: str
    region: str
    region_label: str
    value: Figure = Field(description="数据指标的年度值；上级指标和总分为空")
    score: Figure
    max: Figure = Field(description="该县此指标的满分（权重）；各县可能不同（权重调整）")
    attainment: Figure = Field(description="得分率（得分 ÷ 满分，百分数）：指标名次按得分率排列")
    rank: int = Field(
        description="全部县中的名次（并列同名次）：总分按得分，指标按得分率（各县满分可能不同）；尚无数据的县不列出"
    )
    count: int
    region_rank: int
    region_count: int


class HorizontalOut(BaseModel):
    as_of: str | None = Field(default=None, description="实际采用的记录时刻（有 as_of 时）")
    year: int
    node: str
    node_name: str
    region: str | None = Field(default=None, description="只列出的分区（有 region 时）；统计量仍为全部县")
    counties: list[CountyPointOut] = Field(description="调用者可查看的已有数据的县，名次在前")
    scores: SpreadOut = Field(
        description="已有数据的全部县得分的统计量（原始得分：各县满分不同时参看各县的 attainment 得分率）"
    )
    values: SpreadOut = Field(description="全部县指标值的统计量（数据指标）")
    region_scores: dict[str, SpreadOut]
    region_values: dict[str, SpreadOut]


class YearPointOut(BaseModel):
    year: int
    score: Figure = Field(description="该年度方案中同一代码指标的得分；该年没有此指标或尚无数据时为空")
    max: Figure
    value: Figure
    rank: int | None = Field(description="全部已有数据的县中的名次：总分按得分，指标按得分率；尚无数据时为空")
    grade: str | None = Field(description="等级（仅总分）")


class MonthPointOut(BaseModel):
    month: str = Field(examples=["2023-01"])
    score: Figure = Field(description="该月末（北京时间）平台所知的得分")
    value: Figure = Field(description="该月末平台所知的数据指标年度值（与得分同一时刻；某月数据多在次月报送）")


class VerticalOut(BaseModel):
    as_of: str | None = None
    county: str
    node: str
    node_name: str
    years: list[YearPointOut]
    months: list[MonthPointOut]
    latest: MonthPointOut | None = Field(
        default=None, description="所查时刻（或现在）的全年得分和年度值：本年度目前的结果（month 为空）"
    )


class GapRowOut(BaseModel):
    code: str
    name: str
    dimension: str = Field(description="所属一级指标的名称")
    unit: str
    direction: str
    max: Figure = Field(description="权重：最多可得的分")
    value: Figure
    target: Figure
    score: Figure
    lost: Figure = Field(description="失分：权重 − 得分")
    to_target: Figure = Field(description="距目标值（按指标方向，正数为未达到）")
    region_best: Figure
    region_median: Figure
    to_region_best: Figure = Field(description="距本分区最优值（按指标方向）")


class GapOut(BaseModel):
    as_of: str | None = None
    county: str
    year: int
    rows: list[GapRowOut] = Field(description="按失分从多到少；失分相同按权重从大到小，再按指标代码")


def instant_of(service: Platform, as_of: str | None) -> datetime | None:
    """The instant ``as_of`` names (``reading_as_of`` has settled it and waited for the read models)."""
    return None if as_of is None else parse_as_of(as_of, service.ledger.clock())


def node_of(text: str) -> str:
    node = normalise(text)
    words = ascii_digits_words(node, "指标代码 node")
    if words is not None:
        raise InvalidCommand.of("node", "ascii_digits", words)
    if not node:
        raise InvalidCommand.of("node", "required", "请填写指标代码 node（如 1.1）或 total")
    return node


def _shown(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


@router.get(
    "/analysis/horizontal",
    response_model=HorizontalOut,
    summary="横向比较：某一年度某一指标（或总分）各县的值、得分、得分率、名次及全部县和各分区的统计量；"
    "总分按得分排名，指标按得分率（得分 ÷ 满分）排名；as_of 查看任一时刻",
)
async def horizontal(
    year: YearQuery,
    node: NodeQuery,
    as_of: str | None = AS_OF,
    region: Region | None = Query(None, description="只列该分区的县：east / central / west；省略为全部分区"),
    principal: Principal = READ_ALL,
    service: Platform = Depends(reading_as_of(ANALYSIS, ANALYSIS)),
) -> HorizontalOut:
    """Ranks and statistics are over all counties; a scoped reader is shown only its counties."""
    at, code = instant_of(service, as_of), node_of(node)
    found = await run_in_threadpool(analysis.horizontal, service, year, code, at, principal.readable_counties(), region)
    return HorizontalOut(
        as_of=_shown(at), year=found.year, node=found.node, node_name=found.node_name, region=region,
        counties=[
            CountyPointOut(
                county=p.county, name=p.name, region=p.region, region_label=REGION_LABELS.get(p.region, p.region),
                value=figure(p.value), score=figure(p.score), max=figure(p.max),
                attainment=figure(attainment(p.score, p.max)), rank=p.rank, count=p.count,
                region_rank=p.region_rank, region_count=p.region_count,
            )
            for p in found.counties
        ],
        scores=spread_out(found.scores), values=spread_out(found.values),
        region_scores={name: spread_out(s) for name, s in found.region_scores.items()},
        region_values={name: spread_out(s) for name, s in found.region_values.items()},
    )  # fmt: skip


@router.get(
    "/counties/{code}/analysis/vertical",
    response_model=VerticalOut,
    dependencies=READ_COUNTY,
    summary="纵向比较：县的某一指标（按代码匹配）在各评估年度的得分和名次，及所选年度各月末的得分和月度值",
)
async def vertical(
    code: str,
    year: YearQuery,
    node: NodeQuery,
    as_of: str | None = AS_OF,
    service: Platform = Depends(reading_as_of(ANALYSIS, ANALYSIS)),
) -> VerticalOut:
    at, indicator = instant_of(service, as_of), node_of(node)
    found = await run_in_threadpool(analysis_vertical.vertical, service, county_in_path(code), indicator, year, at)
    return VerticalOut(
        as_of=_shown(at), county=found.county, node=found.node, node_name=found.node_name,
        years=[YearPointOut(year=y.year, score=figure(y.score), max=figure(y.max), value=figure(y.value),
                            rank=y.rank, grade=y.grade) for y in found.years],
        months=[MonthPointOut(month=m.month, score=figure(m.score), value=figure(m.value)) for m in found.months],
        latest=None if found.latest is None else MonthPointOut(
            month="", score=figure(found.latest.score), value=figure(found.latest.value)
        ),
    )  # fmt: skip


@router.get(
    "/counties/{code}/analysis/gap",
    response_model=GapOut,
    dependencies=READ_COUNTY,
    summary="差距分析：县的各数据指标距目标值和本分区最优值的差距，按失分排序",
)
async def gap(
    code: str,
    year: YearQuery,
    as_of: str | None = AS_OF,
    service: Platform = Depends(reading_as_of(ANALYSIS, ANALYSIS)),
) -> GapOut:
    at = instant_of(service, as_of)
    found = await run_in_threadpool(analysis.gap, service, county_in_path(code), year, at)
    return GapOut(as_of=_shown(at), county=found.county, year=found.year, rows=[gap_row(row) for row in found.rows])


def gap_row(row: Any) -> GapRowOut:
    return GapRowOut(
        code=row.code, name=row.name, dimension=row.dimension, unit=row.unit, direction=row.direction,
        max=figure(row.max), value=figure(row.value), target=figure(row.target), score=figure(row.score),
        lost=figure(row.lost), to_target=figure(row.to_target), region_best=figure(row.region_best),
        region_median=figure(row.region_median), to_region_best=figure(row.to_region_best),
    )  # fmt: skip
