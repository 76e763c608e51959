"""Correcting a registered town, village or household of a verification year, with a reason
(ADR 27; ``domain.registry_correction``). The county's coordinator (``verify_towns``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import Field

from api.context import platform
from api.models import Body
from api.verification_writes import WrittenOut, write, write_routes
from domain import verification_commands as v
from ruraleval.platform import Platform

router = APIRouter(prefix="/api/v1/counties", tags=["镇级核查 verification"])
YearPath = Annotated[int, Path(ge=2000, le=2100, description="核查年度，如 2023")]
write_route = write_routes(router)


class CorrectionIn(Body):
    reason: str = Field(max_length=2000, description="更正的理由")
    name: str | None = Field(default=None, max_length=200, description="镇或村的名称")
    poverty_relief: bool | None = Field(default=None, description="村：是否脱贫村/重点帮扶村")
    head: str | None = Field(default=None, max_length=200, description="户：户主")
    flags: list[Annotated[str, Field(max_length=20)]] | None = Field(
        default=None, max_length=10, description="户：标识"
    )


@write_route("/{code}/verification/{year}/registry/{object_code}/correction",
             summary="更正登记的镇、村或户（须填写理由；原登记保留在历史中）")  # fmt: skip
async def correct(code: str, year: YearPath, object_code: str, body: CorrectionIn, request: Request,
                  service: Platform = Depends(platform)) -> WrittenOut:  # fmt: skip
    command = v.CorrectRegisteredObject(object_code, body.reason, body.name, body.poverty_relief, body.head,
                                        None if body.flags is None else list(body.flags))  # fmt: skip
    return await write(service, request, code, year, command)
