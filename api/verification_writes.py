"""How every write route of a county's verification of its towns (ADR 27) goes: declared by
``write_routes`` (POST, 201, ``verify_towns`` on the county in the path), it reads the body and
builds the command; ``write_to_year`` records it in the county's verification year through the
group-commit writer and returns once its events are stored (a refusal raises, storing nothing);
the route answers with what was stored (``write`` does both).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from pydantic import BaseModel

from api.context import command_context, county_in_path
from api.dependencies import allowed
from domain.access import Action
from domain.verification_commands import VerificationCommand
from ruraleval.platform import Platform
from ruraleval.writer_jobs import Outcome


class WrittenOut(BaseModel):
    county: str
    year: int
    position: int | None = None
    events: list[str] = []
    result: dict[str, Any] = {}


Route = TypeVar("Route", bound=Callable[..., Any])


def write_routes(
    router: APIRouter, response_model: type[BaseModel] = WrittenOut
) -> Callable[..., Callable[[Route], Route]]:
    """``route(path, summary=...)``: declares a write route on ``router``: POST ``path``, answering
    201 with ``response_model``, allowed to whoever may ``verify_towns`` on the county in the path."""

    def route(path: str, **options: Any) -> Callable[[Route], Route]:
        return router.post(
            path,
            status_code=201,
            response_model=response_model,
            dependencies=allowed(Action.VERIFY_TOWNS),
            **options,
        )

    return route


async def write_to_year(
    service: Platform, request: Request, code: str, year: int, command: VerificationCommand
) -> Outcome:
    """Records ``command`` in county ``code``'s verification year ``year`` (no thread held while it waits)."""
    context = command_context(request)
    return await asyncio.wrap_future(service.ledger.verify_towns(county_in_path(code), year, command, context))


def result_out(result: dict[str, Any]) -> dict[str, Any]:
    """A command's result as answered: decimals (a score) as text, the rest (ids, counts, lists, flags) as it is."""
    return {key: str(value) if isinstance(value, Decimal) else value for key, value in result.items()}


async def write(service: Platform, request: Request, code: str, year: int, command: VerificationCommand) -> WrittenOut:
    """Records ``command`` (``write_to_year``) and answers with the position, events and result."""
    outcome = await write_to_year(service, request, code, year, command)
    result = result_out(outcome.result)
    return WrittenOut(county=code, year=year, position=outcome.position, events=outcome.events, result=result)
