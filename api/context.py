"""Per-request context: request id, actor, and the platform of this process."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Awaitable, Callable

import structlog
from fastapi import Request, Response

from domain.commands import Context
from ruraleval.platform import Platform

log = structlog.get_logger("ruraleval.api")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")


def platform(request: Request) -> Platform:
    found: Platform = request.app.state.platform
    return found


def command_context(request: Request) -> Context:
    """Who is acting, and the correlation id that ties their events to this request."""
    return Context(actor=request.state.actor, correlation_id=request.state.request_id)


async def request_context(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Binds request id and actor to every log line of the request; logs its outcome."""
    offered = request.headers.get("x-request-id", "")
    request_id = offered if _SAFE_ID.match(offered) else uuid.uuid4().hex
    # Until sign-in exists the caller names itself; it is never taken from a request body.
    offered_actor = request.headers.get("x-actor", "")
    actor = offered_actor if _SAFE_ID.match(offered_actor) else "anonymous"
    request.state.request_id = request_id
    request.state.actor = actor
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id, actor=actor)
    started = time.perf_counter()
    response = await call_next(request)
    response.headers["X-Request-ID"] = request_id
    log.info(
        "request",
        method=request.method,
        path=request.url.path,
        status=response.status_code,
        ms=round((time.perf_counter() - started) * 1000, 2),
    )
    return response
