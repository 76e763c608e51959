"""Correcting a registered town, village or household of a verification year, with a reason
(ADR 27; ``domain.registry_correction``). The county's coordinator (``verify_towns``)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import Field

from api.context import command_context, county_in_path, platform
from api.counties import allowed
from api.models import Body
from api.town_outcomes import WrittenOut
from domain import verification_commands as v
from domain.access import Action
from ruraleval.platform import Platform

router = APIRouter(prefix="/api/v1/counties", tags=["镇级核查 verification"])
YearPath = Annotated[int, Path(ge=2000, le=2100, description="核查年度，如 2023")]


class CorrectionIn(Body):
    reason: str = Field(max_length=2000, description="更正的理由")
    name: str | None = Field(default=None, max_length=200, description="镇或村的名称")
    poverty_relief: bool | None = Field(default=None, description="村：是否脱贫村/重点帮扶村")
    head: str | None = Field(default=None, max_length=200, description="户：户主")
    flags: list[Annotated[str, Field(max_length=20)]] | None = Field(
        default=None, max_length=10, description="户：标识"
    )


@router.post("/{code}/verification/{year}/registry/{object_code}/correction", status_code=201,
             response_model=WrittenOut, dependencies=allowed(Action.VERIFY_TOWNS),
             summary="更正登记的镇、村或户（须填写理由；原登记保留在历史中）")  # fmt: skip
async def correct(code: str, year: YearPath, object_code: str, body: CorrectionIn, request: Request,
                  service: Platform = Depends(platform)) -> WrittenOut:  # fmt: skip
    command = v.CorrectRegisteredObject(object_code, body.reason, body.name, body.poverty_relief, body.head,
                                        None if body.flags is None else list(body.flags))  # fmt: skip
    context = command_context(request)
    outcome = await asyncio.wrap_future(service.ledger.verify_towns(county_in_path(code), year, command, context))
    result: dict[str, Any] = outcome.result
    return WrittenOut(county=code, year=year, position=outcome.position, events=outcome.events, result=result)
