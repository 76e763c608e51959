"""The collection schedule and the early warnings (跟踪数据采集预警, 网格化预警)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from api.consistency import in_snapshot, reading, reading_as_of
from api.models import CountyCode, Year
from api.reads import AS_OF, READ_ALL, READ_COUNTY, Region, YearQuery, as_of_micros, known_county
from domain.access import Principal
from domain.collection import STATUS_LABELS, judged_on
from domain.commands import REGION_LABELS
from domain.errors import InvalidCommand, NotFound
from domain.inputs import normalise
from domain.recorded_time import CHINA
from domain.warnings import KIND_LABELS, LEVEL_LABELS
from projections import monitoring_queries as monitoring
from projections.catalog import WARNINGS
from projections.store import View
from projections.temporal import instant
from ruraleval.platform import Platform

router = APIRouter(prefix="/api/v1", tags=["采集与预警 collection and warnings"])

Kind = Literal["overdue", "off_track", "anomaly", "unanswered", "rectification_overdue"]
Level = Literal["red", "orange", "yellow"]
AT = Query(
    None,
    description="判断截止日期的日期（北京时间），如 2023-06-11；省略时为 as_of 所在的日期，无 as_of 时为今天",
    examples=["2023-06-11"],
)


class WarningOut(BaseModel):
    county: str
    county_name: str
    region: str
    region_label: str
    year: int
    indicator: str
    indicator_name: str
    dimension: str = Field(description="所属一级指标编号")
    period: str = Field(description="期间；进度滞后为整个指标，期间为空；整改逾期为整改事项编号")
    kind: Kind
    kind_label: str
    level: Level
    level_label: str
    reason: str
    raised_at: str = Field(description="预警条件开始成立的时刻（北京时间）")
    department: str | None = None
    person: str | None = None


class WarningsOut(BaseModel):
    at: str
    as_of: str | None = Field(default=None, description="实际采用的记录时刻（有 as_of 时）")
    total: int = Field(description="符合条件的预警总数（分页前）")
    levels: dict[str, int] = Field(description="符合条件的预警按等级计数（分页前）")
    offset: int
    limit: int
    warnings: list[WarningOut]


class HistoryEntryOut(WarningOut):
    cleared_at: str | None = Field(description="预警解除的时刻；仍在预警中为 null")
    worst_level: Level = Field(description="该预警达到过的最高等级")


class WarningHistoryOut(BaseModel):
    warnings: list[HistoryEntryOut]


class CellOut(BaseModel):
    dimension: str
    dimension_name: str
    worst: Level | None
    total: int
    levels: dict[str, int]
    kinds: dict[str, int]


class GridCountyOut(BaseModel):
    county: str
    county_name: str
    worst: Level | None
    total: int
    cells: list[CellOut]


class GridRegionOut(BaseModel):
    region: str
    region_label: str
    worst: Level | None
    levels: dict[str, int]
    counties: list[GridCountyOut]


class GridOut(BaseModel):
    year: int
    at: str
    as_of: str | None = None
    cells: int
    levels: dict[str, int]
    regions: list[GridRegionOut]


class ScheduleEntryOut(BaseModel):
    indicator: str
    name: str
    department: str | None
    person: str | None
    frequency: str
    period: str
    due: date
    status: Literal["due", "received", "late", "missing", "waived"]
    status_label: str
    received_at: str | None


class ScheduleOut(BaseModel):
    county: str
    year: int
    at: str
    as_of: str | None = None
    counts: dict[str, int]
    submissions: list[ScheduleEntryOut]


def judging_day(service: Platform, at: str | None, at_us: int | None = None) -> date:
    """The Beijing day deadlines are judged on: ``at``, or the day of ``as_of`` (``at_us``), or today."""
    if at is None:
        return judged_on(None if at_us is None else instant(at_us), service.ledger.clock())
    text = normalise(at)  # ２０２３-06-11 is 2023-06-11 (ADR 17); fromisoformat takes ASCII digits only
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise InvalidCommand.of("at", "date", f"at 应为日期，如 2023-06-11，收到“{at[:40]}”")
    if not 2000 <= day.year <= 2100:
        raise InvalidCommand.of("at", "year_range", f"at 的年份应在 2000 至 2100 之间，收到“{text}”")
    return day


def beijing(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(CHINA).isoformat()


def _effective(at_us: int | None) -> str | None:
    return None if at_us is None else beijing(instant(at_us))


def _warning(found: monitoring.Found) -> dict[str, Any]:
    warning = found.warning
    return {
        "county": warning.county, "county_name": found.county_name, "region": found.region,
        "region_label": REGION_LABELS.get(found.region, found.region), "year": found.year,
        "indicator": warning.indicator, "indicator_name": warning.indicator_name, "dimension": warning.dimension,
        "period": warning.period, "kind": warning.kind, "kind_label": KIND_LABELS[warning.kind],
        "level": warning.level, "level_label": LEVEL_LABELS[warning.level], "reason": warning.reason,
        "raised_at": beijing(warning.raised_at), "department": warning.department, "person": warning.person,
    }  # fmt: skip


@router.get("/warnings", response_model=WarningsOut,
            summary="预警：逾期未报、进度滞后、异常待确认、退回未答复、整改逾期")  # fmt: skip
async def list_warnings(
    county: CountyCode | None = Query(None, description="县级行政区划代码", max_length=6),
    region: Region | None = Query(None, description="east / central / west"),
    level: Level | None = Query(None, description="red / orange / yellow"),
    kind: Kind | None = Query(None, description="overdue / off_track / anomaly / unanswered / rectification_overdue"),
    year: Year | None = Query(None, ge=2000, le=2100, description="评估年度；省略为全部年度"),
    at: str | None = AT,
    as_of: str | None = AS_OF,
    offset: int = Query(0, ge=0, description="跳过的条数"),
    limit: int = Query(500, ge=1, le=5000, description="本页最多条数"),
    principal: Principal = READ_ALL,
    service: Platform = Depends(reading_as_of(WARNINGS, WARNINGS)),
) -> dict[str, Any]:
    """Only the counties within the caller's scope; red first, then county, indicator, period."""
    at_us = as_of_micros(service, as_of)
    day = judging_day(service, at, at_us)
    filters = monitoring.Filters(county=county, region=region, year=year, kind=kind, level=level,
                                 visible=principal.readable_counties())  # fmt: skip
    page = await in_snapshot(service, lambda view: monitoring.warning_page(view, day, at_us, filters, offset, limit))
    return {"at": day.isoformat(), "as_of": _effective(at_us), "total": page.total, "levels": page.levels,
            "offset": offset, "limit": limit, "warnings": [_warning(item) for item in page.found]}  # fmt: skip


@router.get("/warnings/history", response_model=WarningHistoryOut, summary="预警的产生与解除记录")
async def warning_history(
    county: CountyCode | None = Query(None, description="县级行政区划代码", max_length=6),
    indicator: str | None = Query(None, description="指标编号", max_length=32),
    kind: Kind | None = Query(None, description="overdue / off_track / anomaly / unanswered / rectification_overdue"),
    region: Region | None = Query(None, description="east / central / west"),
    year: Year | None = Query(None, ge=2000, le=2100, description="评估年度；省略为全部年度"),
    principal: Principal = READ_ALL,
    service: Platform = Depends(reading(*WARNINGS)),
) -> dict[str, Any]:
    """Each warning raised so far, with the instant it cleared by itself (null while it stands)."""
    filters = monitoring.Filters(county=county, region=region, year=year, kind=kind, indicator=indicator,
                                 visible=principal.readable_counties())  # fmt: skip
    now = service.ledger.clock()
    entries = await in_snapshot(service, lambda view: monitoring.history(view, filters, now))
    return {
        "warnings": [
            _warning(monitoring.Found(e["warning"], e["county_name"], e["region"], e["year"]))
            | {"cleared_at": beijing(e["cleared_at"]), "worst_level": e["level"]}
            for e in entries
        ]
    }


@router.get("/warnings/grid", response_model=GridOut, summary="网格化预警：分区 × 县 × 一级指标，每格最高等级和数量")
async def warning_grid(
    year: YearQuery,
    at: str | None = AT,
    as_of: str | None = AS_OF,
    principal: Principal = READ_ALL,
    service: Platform = Depends(reading_as_of(WARNINGS, WARNINGS)),
) -> dict[str, Any]:
    at_us = as_of_micros(service, as_of)
    day = judging_day(service, at, at_us)
    visible = principal.readable_counties()
    found = await in_snapshot(service, lambda view: monitoring.grid_by_region(view, year, day, at_us, visible))
    return found | {"as_of": _effective(at_us)}


@router.get(
    "/counties/{code}/schedule",
    response_model=ScheduleOut,
    dependencies=READ_COUNTY,
    summary="县的数据采集日程：已到期的各期报送、截止日期与状态（待报送、按时、逾期报送、逾期未报）",
)
async def county_schedule(
    code: str,
    year: YearQuery,
    at: str | None = AT,
    as_of: str | None = AS_OF,
    service: Platform = Depends(reading_as_of(WARNINGS, WARNINGS)),
) -> dict[str, Any]:
    at_us = as_of_micros(service, as_of)
    day = judging_day(service, at, at_us)

    def read(view: View) -> list[dict[str, Any]]:
        known_county(view, code, at_us)
        if not monitoring.has_year(view, code, year, at_us):
            raise NotFound.of("year", "scheme_year", f"该县（在所查时刻）没有 {year} 年度的评估方案")
        return monitoring.schedule(view, code, year, day, at_us)

    entries = await in_snapshot(service, read)
    for entry in entries:
        entry["status_label"] = STATUS_LABELS[entry["status"]]
        entry["received_at"] = beijing(entry["received_at"])
    return {"county": code, "year": year, "at": day.isoformat(), "as_of": _effective(at_us),
            "counts": monitoring.status_counts(entries), "submissions": entries}  # fmt: skip
