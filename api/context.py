"""Per-request context: request id, actor, and the platform of this process."""

from __future__ import annotations

import re
import time
import uuid
from urllib.parse import quote

import structlog
from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.access import Action
from domain.commands import Context
from ruraleval.platform import Platform

log = structlog.get_logger("ruraleval.api")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")


async def platform(request: Request) -> Platform:
    found: Platform = request.app.state.platform
    return found


def attachment(ascii_name: str, name: str) -> dict[str, str]:
    """The download header: an ASCII file name for old clients, the real (Chinese) one for the rest (RFC 6266)."""
    return {"Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"}


def command_context(request: Request, action: Action | None = None, county: str | None = None) -> Context:
    """Who is acting (the authenticated principal), and the correlation id of this request.

    For data actions inside a county, the principal's narrower scope (a department's
    indicators, an API key's list) travels with the command to the county's rules.
    """
    principal = getattr(request.state, "principal", None)
    scope = principal.data_scope(action, county) if principal and action and county else None
    return Context(actor=request.state.actor, correlation_id=request.state.request_id, data_scope=scope)


def may_correct(request: Request, county: str) -> bool:
    """Whether the caller holds the correction right for this county (any channel's values)."""
    principal = getattr(request.state, "principal", None)
    return principal is not None and principal.may(Action.CORRECT_DATA, county)


class RequestContext:
    """ASGI middleware: a request id and the actor on every log line; one line per request.

    Plain ASGI rather than ``BaseHTTPMiddleware``, which costs a task and a stream copy
    per request on the hot path of every submission.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = offered if _SAFE_ID.match(offered) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        # "anonymous" until authentication names the principal; never taken from a request body.
        state.update(request_id=request_id, actor="anonymous")
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id, actor="anonymous")
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                ms=round((time.perf_counter() - started) * 1000, 2),
                actor=state.get("actor", "anonymous"),
            )
