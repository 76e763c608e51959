"""Authentication (OAuth2 password flow, bearer JWT, county API keys) and route permissions."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from math import ceil
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator

from api.context import platform
from api.models import no_nul
from api.models_organisation import TokenOut
from api.problems import RESPONSES, problem
from domain.access import Action, Principal, refusal_message
from domain.errors import Forbidden, Problem, Unauthenticated
from ruraleval.platform import Platform
from ruraleval.security import InvalidToken
from ruraleval.signin import check_password, signed_in_principal

log = structlog.get_logger("ruraleval.auth")
router = APIRouter(prefix="/api/v1/auth", tags=["登录 auth"])
bearer = HTTPBearer(auto_error=False, description="POST /api/v1/auth/token 取得的访问令牌")
api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="县数据接口密钥（rek_…）")
# The request's principal as this module found it (bearer token or API key). Not
# ``request.state.principal``: the pages set that from a session cookie, which must never
# stand for the credentials of an API call.
AUTHENTICATED = "api_authenticated"
THROTTLED: dict[int | str, dict[str, Any]] = {
    429: RESPONSES[422] | {"description": "密码错误次数过多，稍后再试（Retry-After）"}
}


def unauthenticated(message: str) -> Unauthenticated:
    return Unauthenticated(Problem("authorization", "authenticated", message))


def client_address(request: Request) -> str:
    """The caller's address (behind a proxy: as the server was told to trust, ADR 15)."""
    return request.client.host if request.client else "unknown"


async def throttled(service: Platform, username: str, address: str, field: str) -> JSONResponse | None:
    """A 429 answer when password attempts on ``username`` must stop for now; else None,
    after holding the request as long as the throttle asks (ADR 15)."""
    verdict = await run_in_threadpool(service.throttle.check, username, address)
    if verdict.refused:
        seconds = ceil(verdict.refuse_for)
        refusal = problem(429, [Problem(field, "login_throttled", f"密码错误次数过多，请 {seconds} 秒后再试")])
        refusal.headers["Retry-After"] = str(seconds)
        return refusal
    if verdict.hold:
        await asyncio.sleep(verdict.hold)
    return None


@router.post(
    "/token",
    response_model=TokenOut,
    responses=THROTTLED,
    summary="登录：用户名和密码换取访问令牌（OAuth2 password flow）",
)
async def issue_token(
    request: Request,
    username: Annotated[str, Form(min_length=1, max_length=64), AfterValidator(no_nul)],
    password: Annotated[str, Form(min_length=1, max_length=256)],
    service: Platform = Depends(platform),
) -> TokenOut | JSONResponse:
    address = client_address(request)
    refusal = await throttled(service, username, address, "username")
    if refusal is not None:
        return refusal
    known, right = await run_in_threadpool(check_password, service.organisation, username, password)
    if not right:
        await run_in_threadpool(service.throttle.failed, username, address, known=known)
        raise unauthenticated("用户名或密码不正确")
    await run_in_threadpool(service.throttle.succeeded, username, address)
    token, seconds = service.tokens.issue(username)
    log.info("login", username=username, client=address)
    return TokenOut(access_token=token, token_type="bearer", expires_in=seconds)


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    api_key: Annotated[str | None, Depends(api_key_header)],
) -> Principal:
    """The caller, from a bearer token or an API key; 401 without a valid one."""
    return await authenticated(request, credentials, api_key)


async def authenticated(
    request: Request, credentials: HTTPAuthorizationCredentials | None, api_key: str | None
) -> Principal:
    """``authenticate`` as a plain function: a permission check calls it directly, one dependency
    fewer to resolve on every request (issue 10). Two checks of one request authenticate once."""
    known: Principal | None = getattr(request.state, AUTHENTICATED, None)
    if known is not None:
        return known
    service: Platform = request.app.state.platform
    view = service.organisation
    # The organisation held in memory; refreshing it is a query, done off the event loop
    # (at most about once a second, or after this process changed it).
    organisation = view.cached() or await run_in_threadpool(view.current)
    if api_key:
        principal = view.key_principal(api_key, organisation)
        if principal is None:
            raise unauthenticated("接口密钥无效或已撤销")
    elif credentials is not None:
        try:
            claims = service.tokens.read(credentials.credentials)
        except InvalidToken:
            raise unauthenticated("登录已过期或令牌无效，请重新登录") from None
        found = signed_in_principal(view, claims.username, claims.issued_at, organisation)
        if isinstance(found, str):
            raise unauthenticated(found)
        principal = found
    else:
        raise unauthenticated("请先登录（Authorization: Bearer 令牌）或提供接口密钥（X-API-Key）")
    request.state.actor = principal.name
    request.state.principal = principal
    setattr(request.state, AUTHENTICATED, principal)
    structlog.contextvars.bind_contextvars(actor=principal.name)
    return principal


Authenticated = Annotated[Principal, Depends(authenticate)]


def require(
    action: Action, *, county_param: str | None = "code", unless_self: str | None = None
) -> Callable[..., Awaitable[Principal]]:
    """A route's permission: ``action`` on the county named by the path (if any).

    With ``unless_self``, the path parameter of that name naming the signed-in user
    (not an API key) is enough: a user's own account (e.g. its password).
    """

    async def check(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
        api_key: Annotated[str | None, Depends(api_key_header)],
    ) -> Principal:
        principal = await authenticated(request, credentials, api_key)
        county = request.path_params.get(county_param) if county_param else None
        if unless_self and principal.kind == "user" and request.path_params.get(unless_self) == principal.name:
            return principal
        if not principal.may(action, county):
            log.info("forbidden", action=action.value, county=county)
            raise Forbidden(
                Problem("authorization", f"permission:{action.value}", refusal_message(principal, action, county))
            )
        return principal

    check.__name__ = f"require_{action.value}"
    return check
