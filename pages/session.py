"""Who is looking at a page: the session cookie, the principal, CSRF (ADR 23).

The principal is resolved exactly as for a bearer token (``ruraleval.signin``): the
stored organisation's roles on every request, a password change ending earlier sign-ins.
Every unsafe request to a page (POST, PUT, PATCH, DELETE) must carry the session's CSRF
token, as the form field ``csrf_token`` or the header ``X-CSRF-Token`` (htmx sends it,
``static/js/app.js``); the sign-in form carries a signed token tied to a cookie instead.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import structlog
from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from domain.access import Action, Principal, refusal_message
from domain.errors import Forbidden, Problem
from domain.organisation import Organisation
from domain.organisation_rules import ROLE_LABELS
from ruraleval.platform import Platform
from ruraleval.sessions import Session, SessionStore
from ruraleval.settings import production
from ruraleval.signin import signed_in_principal

log = structlog.get_logger("ruraleval.pages")
COOKIE = "ruraleval_session"
SIGNIN_COOKIE = "ruraleval_signin"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_lock = threading.Lock()


NOTICES = {
    "expired": "登录已过期（30 分钟未操作，或登录已满 8 小时），请重新登录。",
    "ended": "您的登录已失效（密码已修改或账号已停用），请重新登录。",
    "signed_out": "您已安全退出。",
}


class SignInRequired(Exception):
    """No live session: the page answers with the sign-in form (401 → redirect).

    ``notice`` is a key of ``NOTICES``: the sign-in page shows only our own words, never
    text taken from its URL.
    """

    def __init__(self, notice: str = "") -> None:
        super().__init__(notice)
        self.notice = notice


class CsrfRefused(Exception):
    """An unsafe request without the right CSRF token: refused with 403, nothing done."""


def platform_of(request: Request) -> Platform:
    found: Platform = request.app.state.platform
    return found


def sessions(request: Request) -> SessionStore:
    """The session store of this process (one per application, made on first use)."""
    state = request.app.state
    store: SessionStore | None = getattr(state, "page_sessions", None)
    if store is None:
        with _lock:
            store = getattr(state, "page_sessions", None)
            if store is None:
                service = platform_of(request)
                store = SessionStore(service.reads, service.tokens.key)
                state.page_sessions = store
    return store


def secure_cookies(request: Request) -> bool:
    return request.url.scheme == "https" or production()


@dataclass(frozen=True)
class Viewer:
    """The signed-in user as the layout shows them: name, roles, navigation."""

    principal: Principal
    display_name: str
    session: Session
    counties: frozenset[str] | None = field(default=None)

    @property
    def username(self) -> str:
        return self.principal.name

    @property
    def roles(self) -> list[str]:
        return sorted({scope.role for scope in self.principal.scopes})

    @property
    def role_label(self) -> str:
        return "、".join(ROLE_LABELS.get(role, role) for role in self.roles) or "无任何角色"

    @property
    def csrf(self) -> str:
        return self.session.csrf

    def home_county(self) -> str | None:
        """The county of a county-side user (coordinator or department), if exactly one."""
        counties = {
            county
            for scope in self.principal.scopes
            if scope.role in ("county_coordinator", "department_user")
            for county in scope.counties or ()
        }
        return next(iter(counties)) if len(counties) == 1 else None


async def viewer(request: Request) -> Viewer:
    """The signed-in user of a page; ``SignInRequired`` without a live session."""
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        raise SignInRequired()
    service = platform_of(request)
    store, view = sessions(request), service.organisation

    def look_up() -> tuple[Session | None, Organisation]:  # the queries, in one worker thread
        return store.find(cookie), view.current()

    held = view.cached()
    if held is None:
        session, organisation = await run_in_threadpool(look_up)
    else:
        session, organisation = await run_in_threadpool(store.find, cookie), held
    if session is None:
        raise SignInRequired("expired")
    found = signed_in_principal(view, session.username, session.created, organisation)
    if isinstance(found, str):
        await run_in_threadpool(store.end, cookie)
        raise SignInRequired("ended")
    user = organisation.users.get(session.username)
    seen = Viewer(found, user.display_name if user else session.username, session, found.readable_counties())
    request.state.actor = found.name
    request.state.principal = found
    request.state.viewer = seen
    structlog.contextvars.bind_contextvars(actor=found.name)
    await _check_csrf(request, seen.session)
    return seen


async def _check_csrf(request: Request, session: Session) -> None:
    if request.method in SAFE_METHODS:
        return
    offered = request.headers.get(CSRF_HEADER)
    if offered is None and "form" in request.headers.get("content-type", ""):
        form = await request.form()  # kept by Starlette: the route reads the same form
        value = form.get(CSRF_FIELD)
        offered = value if isinstance(value, str) else None
    if not session.csrf_matches(offered):
        log.warning("csrf_refused", method=request.method, path=request.url.path)
        raise CsrfRefused()


async def signin_csrf(request: Request) -> None:
    """The sign-in form's token: the MAC of the nonce in the sign-in cookie."""
    form = await request.form()
    token = form.get(CSRF_FIELD)
    nonce = request.cookies.get(SIGNIN_COOKIE)
    if not sessions(request).signin_token_matches(nonce, token if isinstance(token, str) else None):
        log.warning("csrf_refused", method=request.method, path=request.url.path)
        raise CsrfRefused()


def require(viewer: Viewer, action: Action, county: str | None = None) -> None:
    """The same permission as the API route of the same data (``api.auth.require``)."""
    if not viewer.principal.may(action, county):
        log.info("forbidden", action=action.value, county=county)
        raise Forbidden(
            Problem("authorization", f"permission:{action.value}", refusal_message(viewer.principal, action, county))
        )
