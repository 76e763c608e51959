"""Sign-in and sign-out of the pages: the same users, passwords and throttle as the API."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pages import session as s
from pages.render import page
from ruraleval.sessions import ABSOLUTE
from ruraleval.signin import attempt

router = APIRouter(tags=["pages"], include_in_schema=False)
MAX_USERNAME, MAX_PASSWORD = 64, 256


def safe_next(target: str | None) -> str:
    """Only a path of this site (no scheme, no host, not ``//host``): no open redirect."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def signin_form(
    request: Request, *, status: int = 200, errors: dict[str, str] | None = None, username: str = "",
    notice: str = "", next_url: str = "/",
) -> Response:  # fmt: skip
    nonce, token = s.sessions(request).signin_nonce()
    response = page(
        request,
        "signin.html",
        {
            "errors": errors or {},
            "username": username,
            "notice": notice,
            "next_url": safe_next(next_url),
            "csrf_token": token,
        },
        status=status,
    )
    response.set_cookie(s.SIGNIN_COOKIE, nonce, max_age=3600, path="/signin", httponly=True, samesite="strict",
                        secure=s.secure_cookies(request))  # fmt: skip
    return response


@router.get("/signin", response_class=HTMLResponse)
async def signin_page(request: Request, next: str = "/", notice: str = "") -> Response:
    return signin_form(request, next_url=next, notice=s.NOTICES.get(notice, ""))


@router.post("/signin", response_class=HTMLResponse, dependencies=[Depends(s.signin_csrf)])
async def signin(request: Request) -> Response:
    form = await request.form()
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    next_url = safe_next(str(form.get("next") or "/"))
    errors = {}
    if not username:
        errors["username"] = "请填写用户名"
    elif len(username) > MAX_USERNAME or "\x00" in username:
        errors["username"] = f"用户名不超过 {MAX_USERNAME} 个字符"
    if not password:
        errors["password"] = "请填写密码"
    elif len(password) > MAX_PASSWORD:
        errors["password"] = f"密码不超过 {MAX_PASSWORD} 个字符"
    if errors:
        return signin_form(request, status=422, errors=errors, username=username[:MAX_USERNAME], next_url=next_url)
    service = s.platform_of(request)
    address = request.client.host if request.client else "unknown"
    outcome = await attempt(service.organisation, service.throttle, username, password, address, via="page")
    if outcome.outcome == "throttled":
        response = signin_form(request, status=429, username=username, next_url=next_url,
                               errors={"password": f"密码错误次数过多，请 {outcome.retry_after} 秒后再试"})  # fmt: skip
        response.headers["Retry-After"] = str(outcome.retry_after)
        return response
    if not outcome.ok:
        return signin_form(request, status=401, username=username, next_url=next_url,
                           errors={"password": "用户名或密码不正确"})  # fmt: skip
    cookie, _ = s.sessions(request).begin(username)
    redirect = RedirectResponse(next_url, status_code=303)
    redirect.set_cookie(s.COOKIE, cookie, max_age=ABSOLUTE, path="/", httponly=True, samesite="lax",
                        secure=s.secure_cookies(request))  # fmt: skip
    redirect.delete_cookie(s.SIGNIN_COOKIE, path="/signin")
    return redirect


@router.post("/signout")
async def signout(request: Request, viewer: Annotated[s.Viewer, Depends(s.viewer)]) -> Response:
    s.sessions(request).end(request.cookies.get(s.COOKIE))
    s.log.info("logout", username=viewer.username)
    redirect = RedirectResponse("/signin?notice=signed_out", status_code=303)
    redirect.delete_cookie(s.COOKIE, path="/", httponly=True, samesite="lax", secure=s.secure_cookies(request))
    return redirect
