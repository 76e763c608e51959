"""Users, role grants, evaluation teams, county API keys, and their audit history."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query, Request

from api.auth import Authenticated, require
from api.context import command_context, one_hop, platform
from api.models import ReasonIn, TeamIn
from api.models_audit import AuditEventOut
from api.models_organisation import (
    ApiKeyIn,
    ApiKeyOut,
    GrantChangeIn,
    GrantOut,
    NewApiKeyOut,
    PrincipalOut,
    TeamCountiesIn,
    TeamOut,
    UserIn,
    UserOut,
)
from api.schemes import plain_numbers
from domain.access import Action
from domain.commands import Context
from domain.organisation import ApiKey, Grant, Organisation, User
from domain.organisation_rules import ROLE_LABELS
from domain.recorded_time import parse_as_of
from ruraleval import api_keys
from ruraleval.organisation_record import OrganisationChange, changes
from ruraleval.platform import Platform
from ruraleval.security import hash_password

router = APIRouter(prefix="/api/v1", tags=["用户与权限 access"])
MANAGE = Depends(require(Action.MANAGE_ORGANISATION, county_param=None))
READ_ORG = Depends(require(Action.READ_ORGANISATION, county_param=None))
KEYS = Depends(require(Action.MANAGE_API_KEYS))
AS_OF = Query(None, description="记录时间：日期（北京时间当日结束时）或带时区的时刻；省略为现在")


def grant_out(grant: Grant) -> GrantOut:
    return GrantOut(role_label=ROLE_LABELS[grant.role], **vars(grant))


def user_out(user: User) -> UserOut:
    return UserOut(
        username=user.username,
        display_name=user.display_name,
        active=user.active,
        demo=user.demo,
        grants=[grant_out(grant) for grant in user.grants],
    )


def key_out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(id=key.id, county=key.county, label=key.label, indicators=key.indicators, revoked=key.revoked)


def organisation_at(service: Platform, as_of: str | None) -> Organisation:
    """The organisation now, or as recorded at ``as_of`` (same rules as every as-of read)."""
    if as_of is None:
        return service.organisation.current()
    # Grants are rare and made one at a time: unlike scores, no settling delay is applied.
    return service.organisation.as_of(parse_as_of(as_of, service.ledger.clock()))


@router.get("/auth/me", response_model=PrincipalOut, tags=["登录 auth"], summary="当前登录者及其角色范围")
async def who_am_i(principal: Authenticated) -> PrincipalOut:
    readable = principal.readable_counties()
    return PrincipalOut(
        name=principal.name,
        kind=principal.kind,
        roles=[scope.label for scope in principal.scopes],
        readable_counties=None if readable is None else sorted(readable),
    )


@router.get("/users", response_model=list[UserOut], dependencies=[READ_ORG], summary="用户及其授权（可查看任一时刻）")
@one_hop
def list_users(as_of: str | None = AS_OF, service: Platform = Depends(platform)) -> list[UserOut]:
    users = organisation_at(service, as_of).users.values()
    return [user_out(user) for user in sorted(users, key=lambda u: u.username)]


@router.post("/users", status_code=201, response_model=UserOut, dependencies=[MANAGE], summary="新增用户")
@one_hop
def add_user(body: UserIn, request: Request, service: Platform = Depends(platform)) -> UserOut:
    grants = [Grant(uuid.uuid4().hex[:12], g.role, g.county, g.team, g.department) for g in body.roles]
    password_hash = hash_password(body.password)
    enrolled = service.ledger.enrolled_regions(grant.county for grant in grants if grant.county)

    def change(organisation: Organisation, context: Context) -> None:
        organisation.register_user(body.username, body.display_name, password_hash, grants, context, enrolled=enrolled)

    service.ledger.organise(change, command_context(request), "RegisterUser")
    return user_out(service.organisation.current().user(body.username))


@router.get("/users/{username}", response_model=UserOut, dependencies=[READ_ORG], summary="查看用户（可查看任一时刻）")
@one_hop
def get_user(username: str, as_of: str | None = AS_OF, service: Platform = Depends(platform)) -> UserOut:
    return user_out(organisation_at(service, as_of).user(username))


@router.post(
    "/users/{username}/grants", status_code=201, response_model=UserOut, dependencies=[MANAGE], summary="授予角色"
)
@one_hop
def grant_role(username: str, body: GrantChangeIn, request: Request, service: Platform = Depends(platform)) -> UserOut:
    grant = Grant(uuid.uuid4().hex[:12], body.role, body.county, body.team, body.department)
    enrolled = service.ledger.enrolled_regions([body.county] if body.county else [])

    def change(organisation: Organisation, context: Context) -> None:
        organisation.grant_role(username, grant, body.reason, context, enrolled=enrolled)

    service.ledger.organise(change, command_context(request), "GrantRole")
    return user_out(service.organisation.current().user(username))


@router.post(
    "/users/{username}/grants/{grant_id}/revoke", response_model=UserOut, dependencies=[MANAGE], summary="撤销角色"
)
@one_hop
def revoke_role(
    username: str, grant_id: str, body: ReasonIn, request: Request, service: Platform = Depends(platform)
) -> UserOut:
    def change(organisation: Organisation, context: Context) -> None:
        organisation.revoke_role(username, grant_id, body.reason, context)

    service.ledger.organise(change, command_context(request), "RevokeRole")
    return user_out(service.organisation.current().user(username))


@router.post("/users/{username}/deactivate", response_model=UserOut, dependencies=[MANAGE], summary="停用用户")
@one_hop
def deactivate_user(username: str, body: ReasonIn, request: Request, service: Platform = Depends(platform)) -> UserOut:
    def change(organisation: Organisation, context: Context) -> None:
        organisation.deactivate_user(username, body.reason, context)

    service.ledger.organise(change, command_context(request), "DeactivateUser")
    return user_out(service.organisation.current().user(username))


@router.get("/teams", response_model=list[TeamOut], dependencies=[READ_ORG], summary="评估组及其负责的县")
@one_hop
def list_teams(service: Platform = Depends(platform)) -> list[TeamOut]:
    teams = service.organisation.current().teams.values()
    return [TeamOut(code=t.code, name=t.name, region=t.region, counties=t.counties) for t in teams]


@router.post("/teams", status_code=201, response_model=TeamOut, dependencies=[MANAGE], summary="组建评估组")
@one_hop
def form_team(body: TeamIn, request: Request, service: Platform = Depends(platform)) -> TeamOut:
    def change(organisation: Organisation, context: Context) -> None:
        organisation.form_team(body.code, body.name, body.region, context)

    service.ledger.organise(change, command_context(request), "FormTeam")
    return TeamOut(code=body.code, name=body.name.strip(), region=body.region, counties=[])


@router.put("/teams/{team}/counties", response_model=TeamOut, dependencies=[MANAGE], summary="为评估组分配县")
@one_hop
def assign_counties(
    team: str, body: TeamCountiesIn, request: Request, service: Platform = Depends(platform)
) -> TeamOut:
    # The counties' regions are facts of their own streams, fixed at enrolment: read them
    # first, and let the organisation judge the assignment with them (ADR 18).
    regions = service.ledger.enrolled_regions(body.counties)

    def change(organisation: Organisation, context: Context) -> None:
        organisation.assign_counties(
            team,
            body.counties,
            body.reason,
            context,
            regions=regions,
            region_override=body.region_override,
            region_override_reason=body.region_override_reason,
        )

    service.ledger.organise(change, command_context(request), "AssignCounties")
    found = service.organisation.current().team(team)
    return TeamOut(code=found.code, name=found.name, region=found.region, counties=found.counties)


@router.get("/counties/{code}/api-keys", response_model=list[ApiKeyOut], dependencies=[KEYS], summary="县数据接口密钥")
@one_hop
def list_api_keys(code: str, service: Platform = Depends(platform)) -> list[ApiKeyOut]:
    keys = service.organisation.current().api_keys.values()
    return [key_out(key) for key in keys if key.county == code]


@router.post(
    "/counties/{code}/api-keys",
    status_code=201,
    response_model=NewApiKeyOut,
    dependencies=[KEYS],
    summary="创建县数据接口密钥（完整密钥只显示这一次）",
)
@one_hop
def issue_api_key(code: str, body: ApiKeyIn, request: Request, service: Platform = Depends(platform)) -> NewApiKeyOut:
    known = api_keys.known_indicators(service.ledger.county(code))
    issued = api_keys.issue(code, body.label, body.indicators, known)
    service.ledger.organise(issued.change, command_context(request), "IssueApiKey")
    key = service.organisation.current().api_keys[issued.key_id]
    return NewApiKeyOut(key=issued.token, **key_out(key).model_dump())


@router.post(
    "/counties/{code}/api-keys/{key_id}/revoke", response_model=ApiKeyOut, dependencies=[KEYS], summary="撤销接口密钥"
)
@one_hop
def revoke_api_key(
    code: str, key_id: str, body: ReasonIn, request: Request, service: Platform = Depends(platform)
) -> ApiKeyOut:
    change = api_keys.revocation(code, key_id, body.reason)
    service.ledger.organise(change, command_context(request), "RevokeApiKey")
    return key_out(service.organisation.current().api_keys[key_id])


@router.get(
    "/audit/organisation",
    response_model=list[AuditEventOut],
    dependencies=[Depends(require(Action.READ_AUDIT, county_param=None))],
    summary="用户、授权、评估组和接口密钥的全部变更记录",
)
@one_hop
def organisation_history(
    username: str | None = Query(None, description="只看与该用户有关的记录"), service: Platform = Depends(platform)
) -> list[AuditEventOut]:
    return [audit_event(change) for change in changes(service.organisation.events(), username)]


def audit_event(change: OrganisationChange) -> AuditEventOut:
    return AuditEventOut(
        version=change.version,
        type=change.type,
        recorded_at=change.recorded_at.isoformat(),
        actor=change.actor,
        reason=change.reason,
        payload=plain_numbers(change.payload),
    )
