"""Every write the pages make, in one place: a command on the ledger, then read-your-writes.

A page that writes answers once the command's events are durably stored (as the API does)
and once the read models its next view needs have applied them (ADR 24), so the fragment or
page rendered after a save never shows the value from before it. The wait is bounded by the
API's ``RURALEVAL_READ_WAIT_SECONDS``; a read model that fails or stalls answers 503, as on
the API. Refusals of the domain (``DomainError``) propagate unchanged: a form handler catches
them to show the message beside its field, otherwise the error pages render them.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from domain import commands as c
from domain.access import Action
from domain.organisation import Organisation
from domain.scheme import Scheme
from domain.verification_commands import OpenVerification, VerificationCommand
from projections.progress import unavailable
from reports import town_notice
from ruraleval.platform import Platform
from ruraleval.writer_jobs import Outcome

READ_WAIT_SECONDS = float(os.environ.get("RURALEVAL_READ_WAIT_SECONDS", "5"))


def _service(request: Request) -> Platform:
    found: Platform = request.app.state.platform
    return found


def context(request: Request, action: Action | None = None, county: str | None = None) -> c.Context:
    """Who acts (the page's signed-in principal) under this request's correlation id.

    For data actions inside a county the principal's narrower scope (a department's
    indicators) travels with the command to the county's rules, as on the API.
    """
    principal = request.state.principal
    scope = principal.data_scope(action, county) if action is not None and county is not None else None
    return c.Context(actor=principal.name, correlation_id=request.state.request_id, data_scope=scope)


async def settled(request: Request, outcome: Outcome, reads: tuple[str, ...]) -> Outcome:
    """Waits until the read models ``reads`` hold the outcome's events (503 if they cannot)."""
    if outcome.position is not None and reads:
        reason = await _service(request).progress.wait(outcome.position, reads, READ_WAIT_SECONDS)
        if reason is not None:
            raise unavailable(reason)
    return outcome


async def county_command(
    request: Request, code: str, command: c.CountyCommand, action: Action | None, *, reads: tuple[str, ...] = ()
) -> Outcome:
    """Runs ``command`` on county ``code`` through the group-commit writer (no thread held)."""
    outcome = await asyncio.wrap_future(_service(request).ledger.submit(code, command, context(request, action, code)))
    return await settled(request, outcome, reads)


async def organisation_change(
    request: Request,
    change: Callable[[Organisation, c.Context], dict[str, Any] | None],
    label: str,
    *,
    reads: tuple[str, ...] = (),
) -> Outcome:
    """Applies ``change`` to the organisation (users, grants, teams) as the signed-in admin."""
    service = _service(request)
    outcome = await run_in_threadpool(service.ledger.organise, change, context(request), label)
    return await settled(request, outcome, reads)


async def publish_scheme(request: Request, scheme: Scheme) -> Outcome:
    """Publishes a scheme (its own stream) as the signed-in admin; no read model holds schemes."""
    outcome = await run_in_threadpool(_service(request).ledger.publish_scheme, scheme, context(request))
    return await settled(request, outcome, ())


async def enrol_county(request: Request, command: c.EnrolCounty, *, reads: tuple[str, ...] = ()) -> Outcome:
    """Enrols a county (a new county stream) as the signed-in admin."""
    outcome = await run_in_threadpool(_service(request).ledger.enrol, command, context(request))
    return await settled(request, outcome, reads)


async def settled_instant(request: Request, at: Any) -> None:
    """Makes the instant ``at`` final and waits until every read model holds what was recorded
    up to it (ADR 16, 24): a report as of ``at`` then reads everything known at ``at``."""
    service = _service(request)
    position = await run_in_threadpool(service.ledger.settle, at)
    reason = await service.progress.wait(position, tuple(service.progress.positions()), READ_WAIT_SECONDS)
    if reason is not None:
        raise unavailable(reason)


async def verification_command(request: Request, code: str, year: int, command: VerificationCommand) -> Outcome:
    """Runs a command on a county's verification year; its pages read that stream itself, so
    nothing needs to be waited for (ADR 27)."""
    return await asyncio.wrap_future(_service(request).ledger.verify_towns(code, year, command, context(request)))


async def open_verification(request: Request, code: str, command: OpenVerification) -> Outcome:
    """Opens a county's verification year with its own scheme, as the signed-in user."""
    return await run_in_threadpool(_service(request).ledger.open_verification, code, command, context(request))


async def issue_town_notice(request: Request, code: str, year: int, town: str) -> Outcome:
    """Issues a town's result notice as of now: its year settled at the instant, the PDF
    built and stored by hash (``reports.town_notice``), then ``IssueTownNotice`` recorded."""
    service = _service(request)
    at = service.ledger.clock()
    await run_in_threadpool(service.ledger.settle, at)
    _, command = await run_in_threadpool(town_notice.prepare, service, code, year, town, at)
    return await verification_command(request, code, year, command)
