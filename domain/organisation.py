"""The organisation: users, role grants, evaluation teams and county API keys.

One small stream for the whole platform, so that "who could do what on date D" is a
replay of it up to D. Secrets never enter it: passwords and API keys arrive hashed.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import duties
from domain.commands import Context, is_county_code
from domain.errors import ConflictError, InvalidCommand, NotFound, Problem
from domain.organisation_rules import (
    grant_problems,
    keep_an_admin,
    prefixed,
    required_reason,
    same_scope,
    team_problems,
    user_problems,
)

ORGANISATION_ID: UUID = uuid5(NAMESPACE_URL, "https://ruraleval.cn/organisation")


@dataclass
class Grant:
    """One role held by a user, with its scope."""

    id: str
    role: str
    county: str | None = None
    team: str | None = None
    department: str | None = None
    revoked: bool = False


@dataclass
class User:
    username: str
    display_name: str
    password_hash: str
    grants: list[Grant] = field(default_factory=list)
    active: bool = True
    demo: bool = False

    def active_grants(self) -> list[Grant]:
        return [grant for grant in self.grants if not grant.revoked] if self.active else []


@dataclass
class Team:
    code: str
    name: str
    region: str
    counties: list[str] = field(default_factory=list)


@dataclass
class ApiKey:
    """A county's machine interface key; only its hash is kept."""

    id: str
    county: str
    label: str
    secret_hash: str
    indicators: list[str] = field(default_factory=list)
    revoked: bool = False


class Organisation(Aggregate):
    class Event(Aggregate.Event):
        actor: str
        correlation_id: str

    class Founded(Event, Aggregate.Created):
        pass

    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self.teams: dict[str, Team] = {}
        self.api_keys: dict[str, ApiKey] = {}

    @classmethod
    def found(cls, context: Context) -> Organisation:
        return cls._create(
            cls.Founded,
            id=ORGANISATION_ID,
            timestamp=context.recorded_at,
            actor=context.actor,
            correlation_id=context.correlation_id,
        )

    def _record(self, event_class: type[Event], context: Context, **fields: object) -> None:
        self.trigger_event(
            event_class,
            timestamp=context.recorded_at,
            actor=context.actor,
            correlation_id=context.correlation_id,
            **fields,
        )

    # ----------------------------------------------------------------- lookups

    def user(self, username: str) -> User:
        found = self.users.get(username)
        if found is None:
            raise NotFound.of("username", "known_user", f"用户“{username}”不存在")
        return found

    def team(self, code: str, field_name: str = "team") -> Team:
        found = self.teams.get(code)
        if found is None:
            raise NotFound.of(field_name, "known_team", f"评估组“{code}”不存在")
        return found

    def team_counties(self, code: str) -> list[str]:
        team = self.teams.get(code)
        return list(team.counties) if team else []

    # ---------------------------------------------------------------- commands

    def register_user(
        self,
        username: str,
        display_name: str,
        password_hash: str,
        grants: list[Grant],
        context: Context,
        *,
        enrolled: Container[str],
        demo: bool = False,
    ) -> None:
        """``enrolled`` holds (at least) the grants' counties that are enrolled, read from the
        counties' streams by the caller, as for ``assign_counties`` (ADR 18)."""
        if username in self.users:
            raise ConflictError.of("username", "unique_username", f"用户名“{username}”已被使用")
        problems = self.registration_problems(username, display_name, grants, enrolled)
        if problems:
            raise InvalidCommand(problems)
        newcomer = User(username, display_name, password_hash, list(grants))
        duties.keep_apart(self.teams, [], [newcomer], "roles", "创建该用户并同时授予这些角色")
        self._record(
            self.UserRegistered,
            context,
            username=username,
            display_name=display_name.strip() or username,
            password_hash=password_hash,
            demo=demo,
        )
        for grant in grants:
            self._record(self.RoleGranted, context, username=username, grant=grant, reason="创建用户时授予")

    def registration_problems(
        self, username: str, display_name: str, grants: list[Grant], enrolled: Container[str]
    ) -> list[Problem]:
        """Every problem of a new user's fields at once (a form shows them all beside their fields)."""
        problems = user_problems(username, display_name)
        for index, grant in enumerate(grants):
            problems.extend(prefixed(f"roles[{index}]", grant_problems(grant, enrolled, self.teams)))
        return problems

    def grant_role(
        self, username: str, grant: Grant, reason: str, context: Context, *, enrolled: Container[str]
    ) -> None:
        """``enrolled``: as for ``register_user``."""
        user = self.user(username)
        problems = grant_problems(grant, enrolled, self.teams)
        if problems:
            raise InvalidCommand(problems)
        if any(same_scope(existing, grant) for existing in user.active_grants()):
            raise ConflictError.of("role", "not_granted", f"用户“{username}”已拥有该角色和范围")
        where = "team" if grant.role == duties.EVALUATING_ROLE else "county"
        duties.keep_apart(self.teams, [user], [duties.with_grants(user, [grant])], where, "授予该角色")
        self._record(self.RoleGranted, context, username=username, grant=grant, reason=required_reason(reason))

    def revoke_role(self, username: str, grant_id: str, reason: str, context: Context) -> None:
        user = self.user(username)
        grant = next((g for g in user.grants if g.id == grant_id), None)
        if grant is None:
            raise NotFound.of("grant_id", "known_grant", f"用户“{username}”没有编号为 {grant_id} 的授权")
        if grant.revoked:
            raise ConflictError.of("grant_id", "not_revoked", "该授权已撤销")
        if grant.role == "admin":
            keep_an_admin(self.users, username, "grant_id")
        self._record(self.RoleRevoked, context, username=username, grant_id=grant_id, reason=required_reason(reason))

    def change_password(
        self, username: str, password_hash: str, context: Context, *, reason: str | None = None
    ) -> None:
        """One's own change needs no reason; a reset of someone else's password does (an
        administrator or an operator acting on another's account says why, for the audit)."""
        self.user(username)
        own = context.actor == username and not (reason and reason.strip())
        self._record(self.PasswordChanged, context, username=username, password_hash=password_hash,
                     reason=None if own else required_reason(reason or ""))  # fmt: skip

    def deactivate_user(self, username: str, reason: str, context: Context) -> None:
        if not self.user(username).active:
            raise ConflictError.of("username", "active_user", f"用户“{username}”已停用")
        keep_an_admin(self.users, username, "username")
        self._record(self.UserDeactivated, context, username=username, reason=required_reason(reason))

    def form_team(self, code: str, name: str, region: str, context: Context) -> None:
        problems = team_problems(code, name, region)
        if problems:
            raise InvalidCommand(problems)
        if code in self.teams:
            raise ConflictError.of("code", "unique_team", f"评估组“{code}”已存在")
        self._record(self.TeamFormed, context, code=code, name=name.strip(), region=region)

    def assign_counties(
        self,
        team_code: str,
        counties: list[str],
        reason: str,
        context: Context,
        *,
        regions: Mapping[str, str],
        region_override: bool = False,
        region_override_reason: str | None = None,
    ) -> None:
        """Gives a team its counties (all of them: the list replaces the one before).

        ``regions`` is the region each enrolled county was enrolled in, as read from the
        counties' streams by the application service (ADR 18); counties outside the
        team's region need ``region_override`` and a reason.
        """
        assigned_team = self.team(team_code)
        bad = [county for county in counties if not is_county_code(county)]
        if bad:
            raise InvalidCommand.of("counties", "admin_code", f"县级行政区划代码必须是 6 位数字：{'、'.join(bad)}")
        problems, outside = duties.region_problems(
            team_code, assigned_team.region, counties, regions, region_override, region_override_reason
        )
        if problems:
            raise InvalidCommand(problems)
        taken = {
            county: team.code for team in self.teams.values() if team.code != team_code for county in team.counties
        }
        clash = [f"{county}（{taken[county]}）" for county in counties if county in taken]
        if clash:
            raise ConflictError.of("counties", "one_team_per_county", f"这些县已分配给其他评估组：{'、'.join(clash)}")
        reason = required_reason(reason)
        assigned = sorted(set(counties))
        teams_after = {code: found.counties for code, found in self.teams.items()} | {team_code: assigned}
        members = list(self.users.values())
        duties.keep_apart(
            self.teams,
            members,
            members,
            "counties",
            lambda conflict: f"把县 {conflict.county} 分配给评估组“{team_code}”",
            teams_after=teams_after,
        )
        self._record(
            self.CountiesAssigned,
            context,
            team=team_code,
            counties=assigned,
            reason=reason,
            region_override=region_override,
            region_override_reason=region_override_reason.strip() if region_override_reason else None,
            outside_region=outside,
        )

    def issue_api_key(
        self, key_id: str, county: str, label: str, secret_hash: str, indicators: list[str], context: Context
    ) -> None:
        if not is_county_code(county):
            raise InvalidCommand.of("county", "admin_code", "县级行政区划代码必须是 6 位数字")
        if not label.strip():
            raise InvalidCommand.of("label", "required", "接口密钥必须填写用途说明")
        self._record(
            self.ApiKeyIssued,
            context,
            key_id=key_id,
            county=county,
            label=label.strip(),
            secret_hash=secret_hash,
            indicators=sorted(set(indicators)),
        )

    def revoke_api_key(self, key_id: str, reason: str, context: Context) -> None:
        key = self.api_keys.get(key_id)
        if key is None:
            raise NotFound.of("key_id", "known_api_key", f"接口密钥 {key_id} 不存在")
        if key.revoked:
            raise ConflictError.of("key_id", "not_revoked", "该接口密钥已撤销")
        self._record(self.ApiKeyRevoked, context, key_id=key_id, reason=required_reason(reason))

    # ------------------------------------------------------------------ events

    class UserRegistered(Event):
        username: str
        display_name: str
        password_hash: str
        demo: bool

        def apply(self, organisation: Organisation) -> None:
            organisation.users[self.username] = User(
                self.username, self.display_name, self.password_hash, demo=self.demo
            )

    class RoleGranted(Event):
        username: str
        grant: Grant
        reason: str

        def apply(self, organisation: Organisation) -> None:
            organisation.users[self.username].grants.append(Grant(**vars(self.grant)))

    class RoleRevoked(Event):
        username: str
        grant_id: str
        reason: str

        def apply(self, organisation: Organisation) -> None:
            for grant in organisation.users[self.username].grants:
                if grant.id == self.grant_id:
                    grant.revoked = True

    class PasswordChanged(Event):
        """A new password hash; ``reason`` is required for a reset of another's password."""

        class_version = 2
        username: str
        password_hash: str
        reason: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            """Changes recorded before resets needed a reason: none was given."""
            state["reason"] = None

        def apply(self, organisation: Organisation) -> None:
            organisation.users[self.username].password_hash = self.password_hash

    class UserDeactivated(Event):
        username: str
        reason: str

        def apply(self, organisation: Organisation) -> None:
            organisation.users[self.username].active = False

    class TeamFormed(Event):
        code: str
        name: str
        region: str

        def apply(self, organisation: Organisation) -> None:
            organisation.teams[self.code] = Team(self.code, self.name, self.region)

    class CountiesAssigned(Event):
        """A team was given its counties; ``outside_region`` lists those the administrator
        placed outside the team's region, with ``region_override_reason`` (ADR 18)."""

        class_version = 2
        team: str
        counties: list[str]
        reason: str
        region_override: bool
        region_override_reason: str | None
        outside_region: list[str]

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            """Assignments recorded before the region rule: no override, nothing outside."""
            state.update(region_override=False, region_override_reason=None, outside_region=[])

        def apply(self, organisation: Organisation) -> None:
            organisation.teams[self.team].counties = list(self.counties)

    class ApiKeyIssued(Event):
        key_id: str
        county: str
        label: str
        secret_hash: str
        indicators: list[str]

        def apply(self, organisation: Organisation) -> None:
            organisation.api_keys[self.key_id] = ApiKey(
                self.key_id, self.county, self.label, self.secret_hash, list(self.indicators)
            )

    class ApiKeyRevoked(Event):
        key_id: str
        reason: str

        def apply(self, organisation: Organisation) -> None:
            organisation.api_keys[self.key_id].revoked = True
