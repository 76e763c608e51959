"""The leader's pages (领导小组): the ranking with its as-of picker and replay, the 网格化预警
grid, and a county's scores with its months and its region. Every table downloads as Excel.

Each handler checks the permission of the API route serving the same data (``Action.READ``;
a county's page: ``READ`` on that county), reads through ``pages.reads_leader`` and renders
one template; the replay answers one block of the ranking's template (an htmx fragment).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from domain.access import Action
from domain.collection import beijing_date
from domain.commands import REGION_LABELS
from domain.errors import InvalidCommand, NotFound, Problem
from pages import leader_charts as charts
from pages import leader_tables as tables
from pages import reads
from pages.downloads import check_table, download_url, wants_xlsx, xlsx
from pages.leader_filters import UNITS, Filters, read_filters
from pages.reads_leader import county_scores, end_of_day, ranking_as_of, replay, warning_grid
from pages.render import environment, page
from pages.session import Viewer, platform_of, require, viewer
from ruraleval.platform import Platform

router = APIRouter(tags=["pages"], include_in_schema=False)
Signed = Annotated[Viewer, Depends(viewer)]
# Filters arrive as text: a bad one is shown beside its field on the page (pages.leader_filters).
TextParam = Annotated[str | None, Query(max_length=40)]


def _years(service: Platform) -> list[int]:
    return reads.years(service)


def _refused(filters: Filters) -> None:
    """A fragment has no form to show a message beside: its refusal is a page naming the fields."""
    if filters.errors:
        raise InvalidCommand([Problem(name, "filter", message) for name, message in filters.errors.items()])


def _fragment(request: Request, template: str, block: str, context: dict[str, Any]) -> HTMLResponse:
    """One block of a page's template, for htmx: the fragment is part of its page, not a copy."""
    chosen = environment.get_template(template)
    viewer_now = getattr(request.state, "viewer", None)
    values = chosen.new_context({"request": request, "viewer": viewer_now, "path": request.url.path, **context})
    response = HTMLResponse("".join(chosen.blocks[block](values)))
    response.headers["Cache-Control"] = "no-store"
    return response


def _ranking_context(request: Request, ranking: Any, region: str | None, unit: str) -> dict[str, Any]:
    table = tables.ranking_table(ranking, REGION_LABELS.get(region or ""))
    return {"ranking": ranking, "table": table, "region": region, "regions": REGION_LABELS, "unit": unit,
            "download": download_url(request, None), "marks": tables.mark_text,
            "as_of_day": _day(ranking.as_of)}  # fmt: skip


@router.get("/rankings", response_class=HTMLResponse)
def rankings(
    request: Request, who: Signed, year: TextParam = None, region: TextParam = None, as_of: TextParam = None,
    unit: TextParam = None,
) -> Response:  # fmt: skip
    require(who, Action.READ)
    check_table(request, {"ranking": "得分排名"})
    service = platform_of(request)
    years = _years(service)
    asked = read_filters(service, years, year=year, region=region, as_of=as_of, unit=unit)
    context = _filter_context(service, years, asked) | {"units": UNITS, "ranking": None}
    if asked.errors or asked.year is None:
        return page(request, "leader/rankings.html", context, status=422 if asked.errors else 200)
    ranking = ranking_as_of(service, who.principal, asked.year, asked.at, asked.region)
    context |= _ranking_context(request, ranking, asked.region, asked.unit)
    if wants_xlsx(request):
        return xlsx(context["table"], key=f"ranking-{asked.year}")
    plan = replay(service, asked.year, asked.unit)
    shown_day = beijing_date(asked.at) if asked.at else None
    context |= {"replay": plan, "step": plan.index_of(shown_day), "step_label": plan.label_of(shown_day)}
    return page(request, "leader/rankings.html", context)


@router.get("/rankings/replay", response_class=HTMLResponse)
def ranking_replay(
    request: Request, who: Signed, year: TextParam = None, region: TextParam = None, unit: TextParam = None,
    step: Annotated[int | None, Query(ge=0, le=100_000)] = None,
) -> Response:  # fmt: skip
    """One step of the replay (htmx): the ranking as of that step's day, with each rank's move.
    Asked for without htmx, it sends the browser to the ranking as of that day."""
    require(who, Action.READ)
    service = platform_of(request)
    asked = read_filters(service, _years(service), year=year, region=region, unit=unit)
    _refused(asked)
    if asked.year is None:
        raise NotFound.of("year", "scheme_year", "平台上还没有任何年度的评估方案")
    chosen, shown, unit = asked.year, asked.region, asked.unit
    plan = replay(service, chosen, unit)
    index = len(plan.days) - 1 if step is None else min(step, len(plan.days) - 1)
    query = {"year": chosen, **({"region": shown} if shown else {}), **({"unit": unit} if unit != "month" else {})}
    shared = f"/rankings?{urlencode(query | {'as_of': plan.days[index].isoformat()})}"
    if request.headers.get("HX-Request") != "true":
        return RedirectResponse(shared, status_code=303)
    at = end_of_day(service, plan.days[index])
    since = end_of_day(service, plan.days[index - 1]) if index > 0 else None
    ranking = ranking_as_of(service, who.principal, chosen, at, shown, since=since)
    context = _ranking_context(request, ranking, shown, unit) | {"year": chosen, "oob": True, "today": _today(service)}
    context["download"] = shared + "&format=xlsx"
    response = _fragment(request, "leader/rankings.html", "ranking", context)
    response.headers["HX-Push-Url"] = shared  # the address bar keeps the step: the view can be shared
    return response


@router.get("/warnings/grid", response_class=HTMLResponse)
def grid(
    request: Request, who: Signed, year: TextParam = None, region: TextParam = None, as_of: TextParam = None
) -> Response:
    require(who, Action.READ)
    check_table(request, {"grid": "网格化预警"})
    service = platform_of(request)
    years = _years(service)
    asked = read_filters(service, years, year=year, region=region, as_of=as_of)
    context = _filter_context(service, years, asked) | {"grid": None}
    if asked.errors or asked.year is None:
        return page(request, "leader/grid.html", context, status=422 if asked.errors else 200)
    found = warning_grid(service, who.principal, asked.year, asked.at, asked.region)
    table = tables.grid_table(found, asked.at)
    if wants_xlsx(request):
        return xlsx(table, key=f"warnings-grid-{asked.year}")
    context |= {"grid": found, "table": table, "columns": tables.grid_columns(found), "when": tables.when(asked.at),
                "chart": charts.grid_heatmap(found), "download": download_url(request)}  # fmt: skip
    return page(request, "leader/grid.html", context)


def _filter_context(service: Platform, years: list[int], asked: Filters) -> dict[str, Any]:
    """The filters' form: what was chosen, or (refused) what was typed, and each field's message."""
    as_of_day = asked.form["as_of"] if "as_of" in asked.errors else _day(asked.at)
    return {"years": years, "year": asked.year, "region": asked.region, "regions": REGION_LABELS,
            "unit": asked.unit, "as_of_day": as_of_day, "today": _today(service), "errors": asked.errors}  # fmt: skip


@router.get("/counties/{code}", response_class=HTMLResponse)
def county(request: Request, code: str, who: Signed, year: TextParam = None, as_of: TextParam = None) -> Response:
    require(who, Action.READ, code)
    service = platform_of(request)
    meta = reads.enrolled_county(service, code)
    years = sorted((int(y) for y in meta["schemes"]), reverse=True)
    asked = read_filters(service, years, year=year, as_of=as_of, counties=[code])
    context = _filter_context(service, years, asked) | {"county": meta, "card": None}
    if asked.errors:
        return page(request, "leader/county.html", context, status=422)
    chosen, at = asked.year, asked.at
    scores = county_scores(service, code, chosen, at) if chosen else None
    if scores is None:
        raise NotFound.of("year", "scheme_year", f"该县（在所查时刻）没有 {chosen or ''} 年度的得分")
    shown = {
        "scores": tables.scores_table(meta, scores, at),
        "months": tables.months_table(meta, scores, at),
        "compare": tables.comparison_table(meta, scores, at),
    }
    check_table(request, {name: table.title for name, table in shown.items()})
    for name, table in shown.items():
        if wants_xlsx(request, name):
            return xlsx(table, key=f"{code}-{name}-{chosen}")
    return page(request, "leader/county.html", context | {
        "card": scores.card, "scores": scores,
        "when": tables.when(at), "tables": shown, "downloads": {name: download_url(request, name) for name in shown},
        "node_mark": tables.node_mark, "total_mark": tables.total_mark,
        "lines": charts.months_lines(scores),
        "bars": charts.comparison_bars(scores, meta["name"], meta["region_label"]),
    })  # fmt: skip


def _today(service: Platform) -> str:
    """The as-of picker's latest day: the platform knows nothing of tomorrow."""
    return reads.today(service).isoformat()


def _day(at: datetime | None) -> str:
    """The as-of picker's value: the Beijing day of the instant shown (empty for now)."""
    return beijing_date(at).isoformat() if at else ""
