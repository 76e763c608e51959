"""Per-request context: request id, actor, and the platform of this process."""

from __future__ import annotations

import functools
import hashlib
import itertools
import os
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

import structlog
from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import internal_error
from domain.access import Action
from domain.commands import Context
from domain.errors import InvalidCommand
from domain.inputs import county_code_refusal, normalise
from ruraleval.files import attachment as attachment  # shared with the pages' downloads
from ruraleval.platform import Platform

log = structlog.get_logger("ruraleval.api")
P = ParamSpec("P")
R = TypeVar("R")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")
# A request id is a counter hashed with a key drawn once per process (keyed BLAKE2b): as unique
# and unguessable as a uuid4 (an id can be offered back, and names a request's writes in the
# audit trail and its position), without a uuid4's read of the kernel's random source, a system
# call that lets the writer thread take the interpreter lock in every request (ADR 24).
# A forked worker draws its own key.
_id_key = secrets.token_bytes(32)
_id_counter = itertools.count(1)


def _new_key() -> None:
    global _id_key, _id_counter
    _id_key, _id_counter = secrets.token_bytes(32), itertools.count(1)


os.register_at_fork(after_in_child=_new_key)


def new_request_id() -> str:
    return hashlib.blake2b(next(_id_counter).to_bytes(8, "big"), key=_id_key, digest_size=16).hexdigest()


# Path parameters that stand for a county code or a period (ADR 17).
NORMALISED_PATH_PARAMETERS = ("code", "period")
# Read-your-writes by position (ADR 24): a write's answer names its log position; a read
# names the position it needs in the same header, and its answer what it reflected.
LOG_POSITION = "x-log-position"
READ_POSITION = "x-read-position"


def one_hop(endpoint: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """A route whose work blocks (the store, the ledger), run as one worker-thread hop.

    FastAPI runs a plain ``def`` route in a worker thread and then validates its answer in
    another; as ``async`` with its body in one hop, the validation runs on the event loop.
    FastAPI reads the parameters (and their dependencies) through ``__wrapped__``.
    """

    @functools.wraps(endpoint)
    async def hop(*args: P.args, **kwargs: P.kwargs) -> R:
        return await run_in_threadpool(endpoint, *args, **kwargs)

    return hop


async def platform(request: Request) -> Platform:
    found: Platform = request.app.state.platform
    return found


async def normalised_path(request: Request) -> None:
    """Normalises the path's county code and period in place (NFKC, trimmed: ADR 17).

    A dependency of every route, resolved before the others: the permission check and the
    route then read the same ``130425`` for ``/counties/１３０４２５/…``. It refuses nothing,
    so that a caller without credentials still hears 401 first; the routes judge the result.
    """
    parameters = request.scope.get("path_params") or {}
    for name in NORMALISED_PATH_PARAMETERS:
        value = parameters.get(name)
        if isinstance(value, str):
            parameters[name] = normalise(value)


def county_in_path(code: str) -> str:
    """The path's county code, refused with 422 (``admin_code`` or ``ascii_digits``) unless 6 digits 0–9."""
    refusal = county_code_refusal(code)
    if refusal is not None:
        raise InvalidCommand.of("code", *refusal)
    return code


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

    It also answers an unexpected error (a 500 problem, logged with its traceback) instead of
    letting it escape: Starlette's outer error middleware sends its 500 and then re-raises,
    and uvicorn, seeing an exception after the response began, closes the connection, so a
    keep-alive client loses the connection its next request was to use.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = offered if _SAFE_ID.match(offered) else new_request_id()
        state = scope.setdefault("state", {})
        # "anonymous" until authentication names the principal; never taken from a request body.
        state.update(request_id=request_id, actor="anonymous")
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id, actor="anonymous")
        started = time.perf_counter()
        status = 500
        responded = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status, responded = message["status"], True
                service = getattr(scope["app"].state, "platform", None) if "app" in scope else None
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                    *position_headers(state, service),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as error:
            if responded:  # too late for an answer: the server ends the connection
                raise
            log.exception("unexpected_error", error=type(error).__name__)
            await internal_error()(scope, receive, send_with_id)
        finally:
            log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                ms=round((time.perf_counter() - started) * 1000, 2),
                actor=state.get("actor", "anonymous"),
            )


def position_headers(state: dict[str, Any], service: Any) -> list[tuple[bytes, bytes]]:
    """The position headers of an answer: a write's log position, and what a read reflected."""
    headers = []
    written = service.ledger.written_by(state.get("request_id", "")) if service is not None else None
    if written is not None:
        headers.append((LOG_POSITION.encode(), str(written).encode()))
    read = state.get("read_position")
    if read is not None:
        headers.append((READ_POSITION.encode(), str(read).encode()))
    return headers
