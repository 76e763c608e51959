"""The analysis pages (数据分析): a node across counties (横向比较) and a county's node across
years and months with its gaps (纵向比较、差距分析). Every table downloads as Excel
(``data-table``: the workbook holds exactly the rows the page shows).

Each handler checks the permission of the API route serving the same data (``Action.READ``;
the county's page: ``READ`` on that county) and reads through ``pages.reads_analysis``. A bad
filter is shown beside its field (status 422) and no figures are shown.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from domain.access import Action
from domain.analysis import attainment
from domain.collection import beijing_date
from domain.commands import REGION_LABELS
from domain.inputs import normalise
from pages import analysis_charts as charts
from pages import reads
from pages.leader_filters import read_filters
from pages.reads_analysis import across_counties, county_analysis, county_node_choices, node_choices
from pages.render import page
from pages.session import Viewer, platform_of, require, viewer

router = APIRouter(tags=["pages"], include_in_schema=False)
Signed = Annotated[Viewer, Depends(viewer)]
TextParam = Annotated[str | None, Query(max_length=40)]
TOTAL = "total"


def _node(text: str | None, choices: list[dict[str, Any]], errors: dict[str, str]) -> str | None:
    """The node asked for (the total when none is), refused beside its field if the year has none such."""
    value = normalise(text or "") or TOTAL
    if value not in {choice["code"] for choice in choices}:
        errors["node"] = f"所选年度没有指标“{value[:20]}”：请从列表中选择"
        return None
    return value


def _when(at: datetime | None) -> str:
    if at is None:
        return "当前数据"
    day = beijing_date(at)
    return f"截至 {day.year}年{day.month}月{day.day}日日终"


def _day(at: datetime | None) -> str:
    return beijing_date(at).isoformat() if at else ""


@router.get("/analysis", response_class=HTMLResponse)
def across(
    request: Request, who: Signed, year: TextParam = None, node: TextParam = None, region: TextParam = None,
    as_of: TextParam = None,
) -> Response:  # fmt: skip
    require(who, Action.READ)
    service = platform_of(request)
    years = reads.years(service)
    asked = read_filters(service, years, year=year, region=region, as_of=as_of)
    choices = node_choices(service, asked.year) if asked.year is not None else []
    errors = dict(asked.errors)
    chosen = _node(node, choices, errors) if asked.year is not None else None
    context: dict[str, Any] = {
        "years": years, "year": asked.year, "region": asked.region, "regions": REGION_LABELS,
        "nodes": choices, "node": chosen if chosen is not None else normalise(node or ""),
        "as_of_day": asked.form["as_of"] if "as_of" in errors else _day(asked.at),
        "today": reads.today(service).isoformat(), "errors": errors, "across": None,
    }  # fmt: skip
    if errors or asked.year is None or chosen is None:
        return page(request, "analysis/horizontal.html", context, status=422 if errors else 200)
    found = across_counties(service, who.principal, asked.year, chosen, asked.at, asked.region)
    context |= {"across": found, "when": _when(asked.at), "chart": charts.scores_bars(found), "attained": attainment}
    return page(request, "analysis/horizontal.html", context)


@router.get("/counties/{code}/analysis", response_class=HTMLResponse)
def county(
    request: Request, code: str, who: Signed, year: TextParam = None, node: TextParam = None,
    as_of: TextParam = None,
) -> Response:  # fmt: skip
    require(who, Action.READ, code)
    service = platform_of(request)
    meta = reads.enrolled_county(service, code)
    years = sorted((int(y) for y in meta["schemes"]), reverse=True)
    asked = read_filters(service, years, year=year, as_of=as_of, counties=[code])
    choices = county_node_choices(service, code, asked.year) if asked.year is not None else []
    errors = dict(asked.errors)
    chosen = _node(node, choices, errors) if asked.year is not None else None
    context: dict[str, Any] = {
        "county": meta, "years": years, "year": asked.year, "nodes": choices,
        "node": chosen if chosen is not None else normalise(node or ""),
        "as_of_day": asked.form["as_of"] if "as_of" in errors else _day(asked.at),
        "today": reads.today(service).isoformat(), "errors": errors, "found": None,
    }  # fmt: skip
    if errors or asked.year is None or chosen is None:
        return page(request, "analysis/county.html", context, status=422 if errors else 200)
    found = county_analysis(service, code, asked.year, chosen, asked.at)
    context |= {
        "found": found, "when": _when(asked.at), "years_chart": charts.years_bars(found.vertical),
        "months_chart": charts.months_lines(found.vertical, found.unit),
    }  # fmt: skip
    return page(request, "analysis/county.html", context)
