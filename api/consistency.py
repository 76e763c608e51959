"""Read-your-writes by log position (ADR 24): reads wait for the read models, never catch up.

A write answers with the log position of its last event (header ``X-Log-Position``; the
body's ``position`` where the answer has one). A client that wants to read its own
writes sends the highest position it holds back in the same header; the read then waits,
bounded, until every read model it needs has reached it. Without the header a read
answers from what is projected. Either way the answer says which position the read
models had reached (``X-Read-Position``: at least that; the read itself is one snapshot).

A read model that failed, stalled, or did not get there in time answers 503 with the
reason (and ``Retry-After``) on the reads that need it; the other reads go on.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from api.context import LOG_POSITION, platform
from domain.errors import InvalidCommand
from domain.recorded_time import parse_as_of
from projections.progress import unavailable
from projections.store import View
from ruraleval.platform import Platform

# How long a read waits for the read models to reach the position it names.
READ_WAIT_SECONDS = float(os.environ.get("RURALEVAL_READ_WAIT_SECONDS", "5"))
_MAX_POSITION = 2**63 - 1
T = TypeVar("T")


def requested_position(request: Request) -> int:
    """The position named by the client (0 when none); 422 for anything but a whole number."""
    raw = request.headers.get(LOG_POSITION)
    if raw is None or not raw.strip():
        return 0
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or int(text) > _MAX_POSITION:
        raise InvalidCommand.of(LOG_POSITION, "log_position", "X-Log-Position 必须是写入应答给出的日志位置（非负整数）")
    return int(text)


async def wait_for(request: Request, service: Platform, names: tuple[str, ...], target: int) -> None:
    """Waits until ``names`` reached ``target``; refuses with 503 if they cannot; notes the position."""
    if target > 0:
        reason = await service.progress.wait(target, names, READ_WAIT_SECONDS)
        if reason is not None:
            raise unavailable(reason)
    else:
        service.progress.require(names)
    reached = service.progress.positions()
    request.state.read_position = min(reached[name] for name in names)


def reading(*names: str) -> Callable[..., Awaitable[Platform]]:
    """A read's dependency: the platform, once the read models ``names`` can answer."""

    async def ready(request: Request, service: Platform = Depends(platform)) -> Platform:
        await wait_for(request, service, names, requested_position(request))
        return service

    ready.__name__ = f"reading_{'_'.join(names)}"
    return ready


def reading_as_of(current: tuple[str, ...], past: tuple[str, ...]) -> Callable[..., Awaitable[Platform]]:
    """A read that may be as of an instant: ``current`` models for now, ``past`` for an instant.

    An instant is first made final (ADR 16: one barrier on the store, in a worker thread);
    the read then waits for the position the barrier found, like any named position.
    """

    async def ready(request: Request, service: Platform = Depends(platform)) -> Platform:
        target = requested_position(request)
        as_of = request.query_params.get("as_of")
        if as_of is None:
            await wait_for(request, service, current, target)
            return service
        moment = parse_as_of(as_of, service.ledger.clock())
        settled = await run_in_threadpool(service.ledger.settle, moment)
        await wait_for(request, service, past, max(target, settled))
        return service

    ready.__name__ = "reading_as_of"
    return ready


async def in_snapshot(service: Platform, read: Callable[[View], T]) -> T:
    """Runs ``read`` on one snapshot of the read models, in a worker thread: the one thread
    hop of a read (ADR 24); everything else of the request runs on the event loop."""

    def run() -> T:
        with service.reads.snapshot() as view:
            return read(view)

    return await run_in_threadpool(run)
