"""Reads from the read models, as far as they are projected (read-your-writes by position: ADR 24)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from api.auth import require
from api.consistency import READ_WAIT_SECONDS, in_snapshot, reading, reading_as_of
from api.context import county_in_path, one_hop, platform
from api.lean import lean_route, plain_year, route_dependencies
from api.models import Year
from api.models_audit import EventOut, EventsPage
from api.models_counties import CountyOut
from api.models_scores import ChangeOut, HistoryOut, RankingOut, RankingsOut, ScoresOut
from api.schemes import plain_numbers
from domain.access import Action, Principal
from domain.collection import STATUS_LABELS, action_plan_status, beijing_date, takes_data
from domain.commands import REGION_LABELS
from domain.errors import NotFound
from domain.recorded_time import parse_as_of
from domain.scheme import IndicatorDef, indicator_document
from domain.state import CountyYear
from projections import queries, ranking_queries
from projections.catalog import COUNTIES, EVENTS, HISTORY, SCORES, SCORES_AS_OF
from projections.progress import unavailable
from projections.scorecards import current_card
from projections.store import View
from projections.temporal import instant, micros
from ruraleval.platform import Platform

router = APIRouter(prefix="/api/v1", tags=["查询 reads"])
YearQuery = Annotated[Year, Query(ge=2000, le=2100, description="评估年度，如 2023")]
Region = Literal["east", "central", "west"]


READ_ALL = Depends(require(Action.READ, county_param=None))
READ_COUNTY_CHECK = require(Action.READ)
READ_COUNTY = [Depends(READ_COUNTY_CHECK)]


AS_OF = Query(
    None,
    description="记录时间：日期（北京时间当日结束时）或带时区的时刻，如 2024-01-15T08:00:00+08:00；省略为现在",
    examples=["2024-01-15T08:00:00+08:00"],
)


@router.get("/counties", response_model=list[CountyOut], summary="入选县名单")
async def list_counties(
    region: Literal["east", "central", "west"] | None = Query(None, description="east / central / west"),
    principal: Principal = READ_ALL,
    service: Platform = Depends(reading(*COUNTIES)),
) -> list[CountyOut]:
    """Only the counties within the caller's scope."""
    visible = principal.readable_counties()
    found = await in_snapshot(service, lambda view: queries.list_counties(view, region))
    rows = [row for row in found if visible is None or row["code"] in visible]
    return [CountyOut(region_label=REGION_LABELS[row["region"]], **row) for row in rows]


@router.get(
    "/counties/{code}/indicators",
    dependencies=READ_COUNTY,
    summary="县的指标体系（含个性指标、当前权重、来源 origin：scheme 评估方案 / county 本县、责任部门和行动方案进度）",
)
@one_hop
def county_indicators(
    code: str, year: Year | None = Query(None, ge=2000, le=2100), service: Platform = Depends(platform)
) -> dict[str, Any]:
    county = service.ledger.county(code)
    book = county.book(year)
    today = beijing_date(service.ledger.clock())
    from_scheme = {node.code for node in book.scheme.indicators}
    return {
        "county": code,
        "year": book.scheme.year,
        "scheme": book.scheme.id,
        "closed_periods": list(book.closed),
        "indicators": [
            plain_numbers(indicator_document(node))
            | {
                "origin": "scheme" if code in from_scheme else "county",  # the centre's, or the county's own
                "responsibility": vars(book.responsibility[code]) if code in book.responsibility else None,
                "action_plan": _plan_state(book, node, today),
            }
            for code, node in book.indicators.items()
        ],
    }


def _plan_state(book: CountyYear, node: IndicatorDef, today: date) -> dict[str, Any] | None:
    """Where the indicator's action plan stands (only indicators that take data have one)."""
    if not takes_data(book, node):
        return None
    due, status = action_plan_status(book, node.code, today)
    plan = book.action_plans.get(node.code)
    return {
        "due": due.isoformat(),
        "status": status,
        "status_label": STATUS_LABELS[status],
        "recorded_at": plan.recorded_at.isoformat() if plan is not None else None,
        "files": len(plan.files) if plan is not None else 0,
    }


def as_of_micros(service: Platform, as_of: str | None) -> int | None:
    """The instant asked for, in µs (the route's ``reading_as_of`` dependency settled it and
    waited for the read models to hold everything recorded up to it)."""
    if as_of is None:
        return None
    return micros(parse_as_of(as_of, service.ledger.clock()))


def known_county(view: View, code: str, at_us: int | None = None) -> dict[str, Any]:
    """The county's row, read in the answer's snapshot; NotFound if it is not enrolled (at ``at_us``)."""
    meta = queries.county(view, county_in_path(code))
    if meta is None:
        raise NotFound.of("code", "known_county", f"行政区划代码为 {code} 的县尚未入选评估")
    if at_us is not None and micros(datetime.fromisoformat(meta["enrolled_at"])) > at_us:
        raise NotFound.of("as_of", "county_existed", f"该县于 {meta['enrolled_at']} 入选，所查时刻之前平台尚无其记录")
    return meta


SCORES_READY = reading_as_of(SCORES, SCORES_AS_OF)


async def lean_scores(request: Request) -> Response | None:
    """The current scores of a plainly written year: ``county_scores``'s dependencies and its
    answer from the card, without FastAPI's resolving (``api.lean``); None for anything else."""
    year = plain_year(request)
    if year is None:
        return None
    await route_dependencies(request, READ_COUNTY_CHECK)
    service = await SCORES_READY(request, request.app.state.platform)
    answer = await _current_scores(service, request.path_params["code"], year)
    return None if answer is None else Response(answer, media_type="application/json")


async def county_scores(
    code: str,
    year: YearQuery,
    as_of: str | None = AS_OF,
    service: Platform = Depends(SCORES_READY),
) -> Any:
    at_us = as_of_micros(service, as_of)
    if at_us is None:
        answer = await _current_scores(service, code, year)
        if answer is not None:
            return Response(answer, media_type="application/json")
    card = await in_snapshot(service, lambda view: _scorecard(view, code, year, at_us))
    if card is None:
        raise NotFound.of("year", "scheme_year", f"该县（在所查时刻）没有 {year} 年度的评估方案")
    return card | {"as_of": None if at_us is None else instant(at_us).isoformat()}


# The busiest read (issue 10): ``lean_scores`` answers the plain request, FastAPI the others.
# Registered here, in the decorators' order; they cannot name a route class.
router.add_api_route(
    "/counties/{code}/scores",
    county_scores,
    methods=["GET"],
    response_model=ScoresOut,
    dependencies=READ_COUNTY,
    summary="县的年度得分（各级指标、总分、等级）；as_of 查看任一时刻平台所知",
    route_class_override=lean_route(lean_scores),
)


@router.get(
    "/rankings",
    response_model=RankingsOut,
    summary="全部县的总分、等级和排名（含分区排名）；as_of 查看任一时刻平台所知",
)
async def rankings(
    year: YearQuery,
    as_of: str | None = AS_OF,
    region: Region | None = Query(None, description="只列该分区的县：east / central / west；省略为全部分区"),
    principal: Principal = READ_ALL,
    service: Platform = Depends(reading_as_of(SCORES, SCORES_AS_OF)),
) -> RankingsOut:
    """Ranks are among all counties; a scoped reader sees only the rows of its counties, and
    with ``region`` only those of that region (as the page 得分排名 does)."""
    at_us = as_of_micros(service, as_of)
    found = await in_snapshot(
        service,
        lambda view: (
            ranking_queries.rankings(view, year) if at_us is None else ranking_queries.rankings_as_of(view, year, at_us)
        ),
    )
    entries = [RankingOut(**entry) for entry in ranking_queries.in_scope(found, principal.readable_counties(), region)]
    regions: dict[str, list[RankingOut]] = {}
    for entry in sorted(entries, key=lambda e: (e.region, e.region_rank, e.county)):
        regions.setdefault(entry.region, []).append(entry)
    effective = None if at_us is None else instant(at_us).isoformat()
    return RankingsOut(as_of=effective, year=year, region=region, counties=entries, regions=regions)


@router.get(
    "/counties/{code}/scores/{node}/history",
    response_model=HistoryOut,
    dependencies=READ_COUNTY,
    summary="某一得分节点（指标、一级指标或 total）的每一次变化及其原因",
)
async def score_history(
    code: str,
    node: str,
    year: YearQuery,
    as_of: str | None = AS_OF,
    service: Platform = Depends(reading_as_of(HISTORY, HISTORY)),
) -> HistoryOut:
    at_us = as_of_micros(service, as_of)

    def read(view: View) -> list[dict[str, Any]]:
        known_county(view, code, at_us)
        return queries.node_history(view, code, year, node, at_us)

    changes = await in_snapshot(service, read)
    if not changes:
        raise NotFound.of("node", "known_node", f"{year} 年度没有得分节点“{node}”的记录")
    return HistoryOut(county=code, year=year, node=node, changes=[ChangeOut(**change) for change in changes])


async def _current_scores(service: Platform, code: str, year: int) -> bytes | None:
    """The current card, kept whole by its projection (one row), validated and written once.

    The process also keeps the answer in memory until the card changes (``CardCache``, kept
    in step by its projection thread or its follower): an unchanged county is then answered
    without the database.
    """
    cache = service.card_cache
    if cache is not None:
        generation = cache.generation(code)
        known = cache.get(code, year)
        if known is not None:
            return known
    kept = await in_snapshot(service, lambda view: current_card(view, code, year))
    if kept is None:
        return None
    answer = ScoresOut.model_validate_json(kept).model_dump_json().encode()
    if cache is not None:
        cache.put(code, year, generation, answer)
    return answer


def _scorecard(view: View, code: str, year: int, at_us: int | None) -> dict[str, Any] | None:
    known_county(view, code, at_us)
    if at_us is None:
        return queries.scorecard(view, code, year)
    return queries.scorecard_as_of(view, code, year, at_us)


@router.get(
    "/counties/{code}/events",
    response_model=EventsPage,
    dependencies=[Depends(require(Action.READ_AUDIT))],
    summary="县事件流原始记录（分页，可按类型和记录时间筛选）",
)
@one_hop
def county_event_stream(
    code: str,
    event_type: list[str] = Query([], alias="type", description="事件类型，如 DataCorrected；可重复"),
    recorded_from: str | None = Query(None, alias="from", description="记录时间下限（含）"),
    recorded_to: str | None = Query(None, alias="to", description="记录时间上限（含）"),
    offset: int = Query(0, ge=0, le=10_000_000),
    limit: int = Query(100, ge=1, le=1000),
    service: Platform = Depends(reading(*EVENTS)),
) -> EventsPage:
    with service.reads.snapshot() as view:  # the stream a county was enrolled with never changes
        meta = known_county(view, code)
    now = service.ledger.clock()
    low = micros(parse_as_of(recorded_from, now, "from")) if recorded_from else None
    upper = parse_as_of(recorded_to, now, "to") if recorded_to else None
    if upper is not None:  # the events up to ``to`` are all there, for good
        reason = service.progress.wait_blocking(service.ledger.settle(upper), EVENTS, READ_WAIT_SECONDS)
        if reason is not None:
            raise unavailable(reason)
    high = None if upper is None else micros(upper)
    with service.reads.snapshot() as view:  # the total and the page from one snapshot
        total, rows = queries.county_events(view, meta["stream"], event_type, low, high, offset, limit)
    return EventsPage(county=code, total=total, offset=offset, limit=limit, events=[EventOut(**row) for row in rows])
