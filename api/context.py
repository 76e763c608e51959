"""Per-request context: request id, actor, and the platform of this process."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Awaitable, Callable

import structlog
from fastapi import Request, Response

from domain.access import Action
from domain.commands import Context
from ruraleval.platform import Platform

log = structlog.get_logger("ruraleval.api")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")


def platform(request: Request) -> Platform:
    found: Platform = request.app.state.platform
    return found


def command_context(request: Request, action: Action | None = None, county: str | None = None) -> Context:
    """Who is acting (the authenticated principal), and the correlation id of this request.

    For data actions inside a county, the principal's narrower scope (a department's
    indicators, an API key's list) travels with the command to the county's rules.
    """
    principal = getattr(request.state, "principal", None)
    scope = principal.data_scope(action, county) if principal and action and county else None
    return Context(actor=request.state.actor, correlation_id=request.state.request_id, data_scope=scope)


async def request_context(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Binds request id and actor to every log line of the request; logs its outcome."""
    offered = request.headers.get("x-request-id", "")
    request_id = offered if _SAFE_ID.match(offered) else uuid.uuid4().hex
    actor = "anonymous"  # replaced by the authenticated principal, never by a request body
    request.state.request_id = request_id
    request.state.actor = actor
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id, actor=actor)
    started = time.perf_counter()
    response = await call_next(request)
    response.headers["X-Request-ID"] = request_id
    structlog.contextvars.bind_contextvars(actor=getattr(request.state, "actor", actor))
    log.info(
        "request",
        method=request.method,
        path=request.url.path,
        status=response.status_code,
        ms=round((time.perf_counter() - started) * 1000, 2),
    )
    return response
