"""The composites of a county year (综合得分, ADR 4): recording their inputs from outside the
indicator tree, and each composite with its value or the inputs it still lacks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from api.context import command_context, county_in_path, one_hop, platform
from api.dependencies import allowed
from api.models import Body, Number, Year
from api.reads import AS_OF, YearQuery
from domain import commands as c
from domain.access import Action
from domain.composite_inputs import missing_inputs
from domain.decimals import round2
from domain.errors import NotFound
from domain.recorded_time import parse_as_of
from domain.scoring import score_year
from ruraleval.platform import Platform
from ruraleval.replay import county_as_of

router = APIRouter(prefix="/api/v1/counties", tags=["县 counties"])


class CompositeInputIn(Body):
    year: Year | None = Field(default=None, description="评估年度；省略为最新年度")
    input: str = Field(min_length=1, max_length=64, description="方案 composite_inputs 中的编号")
    values: list[Number] = Field(min_length=1, max_length=1000, description="数值；many 的输入项可有多个")
    reason: str = Field(default="", max_length=2000)


@router.post(
    "/{code}/composite-inputs",
    status_code=201,
    dependencies=allowed(Action.RECORD_COMPOSITE_INPUTS),
    summary="录入综合得分的输入项（方案 composite_inputs，如抽查村得分）；再次录入取代前值",
)
@one_hop
def record_input(
    code: str, body: CompositeInputIn, request: Request, service: Platform = Depends(platform)
) -> dict[str, Any]:
    command = c.RecordCompositeInput(body.input, list(body.values), body.reason, body.year)
    outcome = service.ledger.execute(county_in_path(code), command, command_context(request))
    return {
        "county": code,
        "version": outcome.version,
        "position": outcome.position,
        "events": outcome.events,
        "input": body.input,
        "values": [str(v) for v in body.values],
    }


@router.get(
    "/{code}/composites",
    dependencies=allowed(Action.READ),
    summary="综合得分：各项的值，或尚缺的输入项；as_of 查看任一时刻平台所知",
)
@one_hop
def composites(
    code: str, year: YearQuery, as_of: str | None = AS_OF, service: Platform = Depends(platform)
) -> dict[str, Any]:
    if as_of is None:
        county, instant = service.ledger.county(code), None
    else:
        instant = parse_as_of(as_of, service.ledger.clock())
        service.ledger.settle(instant)
        found = county_as_of(service.ledger, code, instant)
        if found is None:
            raise NotFound.of("as_of", "known_county", f"县 {code} 在该时刻尚未入选评估")
        county = found
    book = county.book(year)
    card = score_year(book)
    lacking = missing_inputs(book)
    names = {item.code: item.name for item in book.scheme.composite_inputs}
    return {
        "county": code,
        "year": book.scheme.year,
        "as_of": instant.isoformat() if instant else None,
        "inputs": {k: [str(v) for v in values] for k, values in book.composite_inputs.items()},
        "composites": [
            {
                "code": composite.code,
                "name": composite.name,
                "value": None
                if card.composites.get(composite.code) is None
                else str(round2(card.composites[composite.code])),
                "missing": [{"input": code, "name": names.get(code, code)} for code in lacking[composite.code]],
            }
            for composite in book.scheme.composites
        ],
    }
