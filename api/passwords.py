"""Passwords: a user changes its own (the current one required); an admin resets anyone's.

A change is a ``PasswordChanged`` event of the organisation stream (the new hash, as
user creation records it; never the password) and ends every token issued before it.
"""

from __future__ import annotations

import structlog
from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool

from api.auth import THROTTLED, client_address, require, throttled
from api.context import command_context, platform
from api.models_organisation import PasswordIn
from domain.access import Action, Principal
from domain.commands import Context
from domain.errors import InvalidCommand, Problem
from domain.organisation import Organisation
from ruraleval.platform import Platform
from ruraleval.security import hash_password, verify_password

log = structlog.get_logger("ruraleval.auth")
router = APIRouter(prefix="/api/v1", tags=["用户与权限 access"])
# One's own password needs no right beyond being signed in; anyone else's needs an admin's.
OWN_OR_MANAGE = require(Action.MANAGE_ORGANISATION, county_param=None, unless_self="username")


@router.post(
    "/users/{username}/password",
    status_code=204,
    response_class=Response,
    responses=THROTTLED,
    summary="修改密码：本人须提供原密码；管理员为他人重设只需新密码。此前签发的令牌随即失效",
)
async def change_password(
    username: str,
    body: PasswordIn,
    request: Request,
    principal: Principal = Depends(OWN_OR_MANAGE),
    service: Platform = Depends(platform),
) -> Response:
    own = principal.kind == "user" and principal.name == username
    if own:
        if body.old_password is None:
            raise InvalidCommand.of("old_password", "required", "修改自己的密码须填写原密码 old_password")
        address = client_address(request)
        refusal = await throttled(service, username, address, "old_password")
        if refusal is not None:
            return refusal
        user = service.organisation.current(fresh=True).user(username)
        if not await run_in_threadpool(verify_password, user.password_hash, body.old_password):
            await run_in_threadpool(service.throttle.failed, username, address, known=True)
            log.warning("password_change_refused", username=username, rule="current_password")
            raise InvalidCommand(Problem("old_password", "current_password", "原密码不正确，密码未修改"))
    else:
        if body.old_password is not None:
            raise InvalidCommand.of(
                "old_password", "not_applicable", "为他人重设密码不需要原密码：请不要填写 old_password"
            )
        service.organisation.current().user(username)  # 404 before the cost of hashing
    password_hash = await run_in_threadpool(hash_password, body.new_password)

    def change(organisation: Organisation, context: Context) -> None:
        organisation.change_password(username, password_hash, context, reason=body.reason)

    await run_in_threadpool(service.ledger.organise, change, command_context(request), "ChangePassword")
    log.info("password_changed", username=username, by=principal.name, how="own" if own else "reset")
    return Response(status_code=204)
