"""Sign-in, shared by the bearer API (``api.auth``) and the pages' session cookie (``pages``).

One password check and one throttle (ADR 15) for both ways in: a guesser gains nothing by
switching from ``POST /api/v1/auth/token`` to the sign-in form, or back.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import structlog

from domain.access import Principal
from domain.organisation import Organisation
from ruraleval.access import OrganisationView
from ruraleval.security import verify_password, verify_unknown_user
from ruraleval.throttle import LoginThrottle

log = structlog.get_logger("ruraleval.auth")


def check_password(organisation: OrganisationView, username: str, password: str) -> tuple[bool, bool]:
    """(the account exists and is active, the password is its password)."""
    user = organisation.current(fresh=True).users.get(username)
    if user is None or not user.active:
        return False, verify_unknown_user(password)
    return True, verify_password(user.password_hash, password)


@dataclass(frozen=True)
class Attempt:
    """How a sign-in went: ``ok``, ``wrong`` (user name or password), or ``throttled``."""

    outcome: str
    retry_after: int = 0  # seconds, when throttled

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


async def attempt(
    organisation: OrganisationView, throttle: LoginThrottle, username: str, password: str, address: str, *, via: str
) -> Attempt:
    """Checks a password under the throttle: held or refused first, counted after (ADR 15)."""
    verdict = await asyncio.to_thread(throttle.check, username, address)
    if verdict.refused:
        return Attempt("throttled", max(1, int(verdict.refuse_for + 0.999)))
    if verdict.hold:
        await asyncio.sleep(verdict.hold)
    known, right = await asyncio.to_thread(check_password, organisation, username, password)
    if not right:
        await asyncio.to_thread(throttle.failed, username, address, known=known)
        return Attempt("wrong")
    await asyncio.to_thread(throttle.succeeded, username, address)
    log.info("login", username=username, client=address, via=via)
    return Attempt("ok")


def signed_in_principal(
    organisation: OrganisationView, username: str, issued_at: float, state: Organisation | None = None
) -> Principal | str:
    """The principal of a user signed in at ``issued_at`` (epoch seconds), or why not, in Chinese.

    Roles come from the stored organisation on every request, never from the token or cookie.
    ``state`` is the organisation as already read (on the event loop: ``organisation.cached()``,
    or ``current()`` read in a worker thread); without it, it is read here (a query when due).
    """
    principal = organisation.user_principal(username, state)
    if principal is None:
        return "该用户不存在或已停用"
    if organisation.signed_in_before_password_change(username, issued_at):
        return "密码已修改，此前的登录已失效，请重新登录"
    return principal
