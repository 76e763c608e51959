"""Shared route helpers: a route's permission, and how a county command is run and answered.

Routes and pages import these rather than one another's route modules.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from decimal import Decimal
from typing import Any

import orjson
from fastapi import Depends, Request

from api.auth import require
from api.context import command_context, county_in_path
from api.models_counties import Recorded
from api.models_scores import PointsOut, ResultOut
from domain import commands as c
from domain.access import Action
from domain.decimals import round2
from ruraleval.ledger import Outcome
from ruraleval.platform import Platform


def allowed(action: Action, *, county_param: str | None = "code") -> list[Any]:
    return [Depends(require(action, county_param=county_param))]


async def record(
    service: Platform, request: Request, code: str, command: c.CountyCommand, action: Action | None = None
) -> Recorded:
    """Runs a command; answers once its events are durably stored."""
    return recorded(code, await committed(service, request, code, command, action))


async def committed(
    service: Platform, request: Request, code: str, command: c.CountyCommand, action: Action | None = None
) -> Outcome:
    """Runs a command; its outcome once its events are durably stored (figures rounded as shown)."""
    context = command_context(request, action, county_in_path(code))
    outcome = await asyncio.wrap_future(service.ledger.submit(code, command, context))
    return replace(outcome, result=rounded(outcome.result))


def recorded(code: str, outcome: Outcome) -> Recorded:
    result = outcome.result
    points = result.get("points")
    counted = (
        [e["counted"] for e in points["entries"] if e["adjustment_id"] == result.get("adjustment_id")] if points else []
    )
    return Recorded(
        **_plain_fields(code, outcome),
        standing=ResultOut(**result["standing"]) if result.get("standing") else None,
        points=PointsOut(**points) if points else None,
        counted=counted[0] if counted else None,
    )


def recorded_json(code: str, outcome: Outcome) -> bytes:
    """The ``Recorded`` answer written once, without building and validating the model again:
    an answer with figures (a standing, points) is still written by the model."""
    if outcome.result.get("standing") or outcome.result.get("points"):
        return recorded(code, outcome).model_dump_json().encode()
    return orjson.dumps(_plain_fields(code, outcome) | {"standing": None, "counted": None, "points": None})


def _plain_fields(code: str, outcome: Outcome) -> dict[str, Any]:
    """``Recorded``'s fields that need no model, in its order."""
    result = outcome.result
    return {
        "county": code,
        "version": outcome.version,
        "position": outcome.position,
        "events": outcome.events,
        "replayed": bool(result.get("replayed", False)),
        "unchanged": bool(result.get("unchanged", False)),
        "override_id": result.get("override_id"),
        "adjustment_id": result.get("adjustment_id"),
        "proposal_id": result.get("proposal_id"),
        "item_id": result.get("item_id"),
        "flag": result.get("flag"),
    }


def rounded(value: Any) -> Any:
    """Figures as shown everywhere: exact decimals rounded to two places."""
    if isinstance(value, Decimal):
        return round2(value)
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [rounded(item) for item in value]
    return value
