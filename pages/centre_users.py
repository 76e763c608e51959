"""The centre's user pages: users, their role grants and the history of those grants.

The same changes as the API's ``/api/v1/users`` routes (``MANAGE_ORGANISATION``), written
through ``pages.writes.organisation_change``: create a user (with a first role), grant and
revoke roles, deactivate, reset a password. Passwords are hashed before the organisation
sees them, and checked by the one password policy first.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from domain import commands as c
from domain.access import Action
from domain.errors import DomainError, InvalidCommand, Problem
from domain.inputs import normalise
from domain.organisation import Grant, Organisation, User
from domain.organisation_rules import ROLE_LABELS, ROLES
from domain.passwords import password_problems
from pages import reads, reads_audit, writes
from pages.centre_forms import Form, field_errors, read, refuse
from pages.render import page
from pages.session import Viewer, platform_of, require, viewer
from ruraleval.security import hash_password

router = APIRouter(tags=["pages"], include_in_schema=False)
Signed = Annotated[Viewer, Depends(viewer)]
Notice = Annotated[str | None, Query(max_length=32)]
Change = Callable[[Organisation, c.Context], None]
ROLE_FIELDS = {"role": "角色", "county": "所属县", "team": "所属评估组", "department": "部门"}
USER_LABELS = {"username": "用户名", "display_name": "姓名或单位", "password": "初始密码"} | ROLE_FIELDS
USER_FIELDS = tuple(USER_LABELS)
GRANT_LABELS = ROLE_FIELDS | {"reason": "授予理由"}
GRANT_FIELDS = tuple(GRANT_LABELS)
NOTICES = {
    "created": "用户已创建。",
    "granted": "已授予角色。",
    "revoked": "已撤销该授权。",
    "deactivated": "用户已停用：其登录随即失效。",
    "password": "密码已重设：该用户此前的登录随即失效，请把新密码当面或经安全渠道告知本人。",
}


def password_problems_of(password: str) -> list[Problem]:
    """The one password policy (``domain.passwords``), before the cost of hashing."""
    return [Problem("password", problem.rule, problem.message) for problem in password_problems(password, "密码")]


def _choices(request: Request) -> dict[str, object]:
    """The options of the role forms: roles, counties and teams, as (value, words)."""
    service = platform_of(request)
    teams = sorted(reads_audit.organisation(service).teams.values(), key=lambda team: team.code)
    counties = reads.counties(service, request.state.principal)
    return {
        "role_options": [(role, ROLE_LABELS[role]) for role in ROLES],
        "county_options": [(row["code"], f"{row['name']}（{row['code']}）") for row in counties],
        "team_options": [(team.code, f"{team.name}（{team.code}）") for team in teams],
    }


def _users_page(request: Request, form: Form, status: int = 200, notice: str | None = None) -> Response:
    organisation = reads_audit.organisation(platform_of(request))
    users = [
        {"username": user.username, "display_name": user.display_name, "active": user.active,
         "grants": [reads_audit.grant_words(grant) for grant in user.active_grants()]}
        for user in sorted(organisation.users.values(), key=lambda u: u.username)
    ]  # fmt: skip
    context = {"users": users, "form": form, "notice": NOTICES.get(notice or "")} | _choices(request)
    return page(request, "centre/users.html", context, status=status)


@router.get("/centre/users", response_class=HTMLResponse)
def users(request: Request, who: Signed, saved: Notice = None) -> Response:
    require(who, Action.MANAGE_ORGANISATION)
    return _users_page(request, Form(), notice=saved)


async def _enrolled(request: Request, county: str) -> dict[str, str]:
    """The county of the form if it is enrolled (the organisation refuses a role over one that is not)."""
    return await run_in_threadpool(reads_audit.enrolled_regions, platform_of(request), [county] if county else [])


def _check_new_user(request: Request, values: dict[str, str], grants: list[Grant], enrolled: dict[str, str],
                    unreadable: list[Problem]) -> None:  # fmt: skip
    """Every problem of the new-user form at once: the password policy's, a name left empty (the
    form asks for one; the API falls back to the username), and the organisation's own."""
    problems = [*unreadable, *password_problems_of(values["password"])]
    if not values["display_name"] and not any(problem.field == "display_name" for problem in problems):
        problems.append(Problem("display_name", "required", "姓名或单位必须填写"))
    if problems:
        organisation = reads_audit.organisation(platform_of(request))
        problems += organisation.registration_problems(values["username"], values["display_name"], grants, enrolled)
    refuse(problems)


def _grant(values: dict[str, str]) -> Grant:
    return Grant(uuid.uuid4().hex[:12], values["role"], values["county"] or None, values["team"] or None,
                 values["department"] or None)  # fmt: skip


@router.post("/centre/users", response_class=HTMLResponse, response_model=None)
async def create_user(request: Request, who: Signed) -> Response:
    require(who, Action.MANAGE_ORGANISATION)
    form = await request.form()
    values, unreadable = read(form, USER_LABELS)
    values["username"], values["county"] = values["username"].lower(), normalise(values["county"])
    grants = [_grant(values)] if values["role"] else []
    try:
        enrolled = await _enrolled(request, values["county"])
        await run_in_threadpool(_check_new_user, request, values, grants, enrolled, unreadable)
        password_hash = await run_in_threadpool(hash_password, values["password"])

        def change(organisation: Organisation, context: c.Context) -> None:
            organisation.register_user(values["username"], values["display_name"], password_hash, grants, context,
                                       enrolled=enrolled)  # fmt: skip

        await writes.organisation_change(request, change, "RegisterUser")
    except DomainError as error:
        values["password"] = ""  # never sent back to the browser
        failed = Form(values, field_errors(error, USER_FIELDS, "username"))
        return await run_in_threadpool(_users_page, request, failed, error.status)
    return RedirectResponse(f"/centre/users/{values['username']}?saved=created", status_code=303)


def _user_page(request: Request, username: str, forms: dict[str, Form], status: int = 200,
               notice: str | None = None) -> Response:  # fmt: skip
    service = platform_of(request)
    user = reads_audit.organisation(service).user(username)
    grants = [{"id": g.id, "words": reads_audit.grant_words(g), "revoked": g.revoked} for g in user.grants]
    context = {"user": user, "grants": grants, "history": reads_audit.grant_history(service, username),
               "forms": forms, "blank": Form(), "notice": NOTICES.get(notice or ""),
               "refusal": _unshown_refusal(user, forms)} | _choices(request)  # fmt: skip
    return page(request, "centre/user.html", context, status=status)


@router.get("/centre/users/{username}", response_class=HTMLResponse)
def user(request: Request, username: str, who: Signed, saved: Notice = None) -> Response:
    require(who, Action.MANAGE_ORGANISATION)
    return _user_page(request, username, {}, notice=saved)


def _unshown_refusal(user: User, forms: dict[str, Form]) -> str | None:
    """The messages of a refused form the page does not show (a revoked grant's, a deactivated
    user's, an unknown grant's): said at the top of the page, so no refusal goes unexplained."""
    shown = {"grant", "password", "deactivate"} | {f"revoke-{g.id}" for g in user.grants if not g.revoked}
    visible = shown if user.active else set()
    messages = [message for name, form in forms.items() if name not in visible
                for found in form.errors.values() for message in found]  # fmt: skip
    return "；".join(messages) or None


async def _change(request: Request, username: str, form_name: str, fields: tuple[str, ...], values: dict[str, str],
                  change: Change, label: str, saved: str) -> Response:  # fmt: skip
    try:
        await writes.organisation_change(request, change, label)
    except DomainError as error:
        failed = Form(values, field_errors(error, fields, fields[-1]))
        return await run_in_threadpool(_user_page, request, username, {form_name: failed}, error.status)
    return RedirectResponse(f"/centre/users/{username}?saved={saved}", status_code=303)


@router.post("/centre/users/{username}/grants", response_class=HTMLResponse, response_model=None)
async def grant_role(request: Request, username: str, who: Signed) -> Response:
    require(who, Action.MANAGE_ORGANISATION)
    form = await request.form()
    values, unreadable = read(form, GRANT_LABELS)
    values["county"] = normalise(values["county"])
    grant = _grant(values)
    enrolled = await _enrolled(request, values["county"])

    def change(organisation: Organisation, context: c.Context) -> None:
        refuse(unreadable)
        organisation.grant_role(username, grant, values["reason"], context, enrolled=enrolled)

    return await _change(request, username, "grant", GRANT_FIELDS, values, change, "GrantRole", "granted")


@router.post("/centre/users/{username}/grants/{grant_id}/revoke", response_class=HTMLResponse, response_model=None)
async def revoke_role(request: Request, username: str, grant_id: str, who: Signed) -> Response:
    require(who, Action.MANAGE_ORGANISATION)
    values, unreadable = read(await request.form(), {"reason": "撤销理由"})

    def change(organisation: Organisation, context: c.Context) -> None:
        refuse(unreadable)
        organisation.revoke_role(username, grant_id, values["reason"], context)

    return await _change(request, username, f"revoke-{grant_id}", ("grant_id", "reason"), values, change,
                         "RevokeRole", "revoked")  # fmt: skip


@router.post("/centre/users/{username}/deactivate", response_class=HTMLResponse, response_model=None)
async def deactivate_user(request: Request, username: str, who: Signed) -> Response:
    require(who, Action.MANAGE_ORGANISATION)
    values, unreadable = read(await request.form(), {"reason": "停用理由"})

    def change(organisation: Organisation, context: c.Context) -> None:
        refuse(unreadable)
        organisation.deactivate_user(username, values["reason"], context)

    return await _change(request, username, "deactivate", ("username", "reason"), values, change,
                         "DeactivateUser", "deactivated")  # fmt: skip


@router.post("/centre/users/{username}/password", response_class=HTMLResponse, response_model=None)
async def reset_password(request: Request, username: str, who: Signed) -> Response:
    require(who, Action.MANAGE_ORGANISATION)
    values, unreadable = read(await request.form(), {"password": "新密码", "reason": "重设理由"})
    password = values.pop("password")
    try:
        problems = [*unreadable, *password_problems_of(password)]
        if not values["reason"] and not any(problem.field == "reason" for problem in problems):
            problems.append(Problem("reason", "reason_required", "必须填写重设理由"))
        refuse(problems)
    except InvalidCommand as error:
        failed = Form(values, field_errors(error, ("password", "reason"), "password"))
        return await run_in_threadpool(_user_page, request, username, {"password": failed}, error.status)
    password_hash = await run_in_threadpool(hash_password, password)

    def change(organisation: Organisation, context: c.Context) -> None:
        organisation.change_password(username, password_hash, context, reason=values["reason"])

    return await _change(request, username, "password", ("password", "reason"), values, change, "ChangePassword",
                         "password")  # fmt: skip
