"""The organisation's rules: roles and their scopes, usernames, team codes, reasons, an administrator kept."""

from __future__ import annotations

import re
from collections.abc import Container, Mapping
from typing import TYPE_CHECKING

from domain.commands import REGIONS, is_county_code
from domain.errors import ConflictError, InvalidCommand, Problem

if TYPE_CHECKING:
    from domain.organisation import Grant, User

ROLES = ("admin", "evaluator", "county_coordinator", "department_user", "leader", "auditor")
ROLE_LABELS = {
    "admin": "中心专班管理员",
    "evaluator": "评估组成员",
    "county_coordinator": "县级管理员",
    "department_user": "责任部门用户",
    "leader": "领导小组",
    "auditor": "审计",
}
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._\-]{2,31}$")
MAX_DISPLAY_NAME = 50  # characters: a name or a unit, shown in every list of users and every timeline
TEAM_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,31}$")


def check_grant(role: str, county: str | None, team: str | None, department: str | None) -> list[Problem]:
    """Each role's scope: what it needs, and nothing it does not."""
    problems = []
    if role not in ROLES:
        roles = "、".join(ROLE_LABELS.values())
        problems.append(Problem("role", "one_of", f"角色只能是{roles}之一，收到“{role[:40]}”"))
        return problems
    needs_county = role in ("county_coordinator", "department_user")
    if needs_county and not is_county_code(county):
        problems.append(Problem("county", "required", f"{ROLE_LABELS[role]}必须指定所属县（6 位行政区划代码）"))
    if not needs_county and county:
        problems.append(Problem("county", "not_applicable", f"{ROLE_LABELS[role]}不按县划定范围，不能指定所属县"))
    if role == "evaluator" and not team:
        problems.append(Problem("team", "required", "评估组成员必须指定所属评估组"))
    if role != "evaluator" and team:
        problems.append(Problem("team", "not_applicable", f"{ROLE_LABELS[role]}不属于评估组，不能指定所属评估组"))
    if role == "department_user" and not (department and department.strip()):
        problems.append(Problem("department", "required", "责任部门用户必须指定部门"))
    if role != "department_user" and department:
        problems.append(Problem("department", "not_applicable", f"{ROLE_LABELS[role]}不能指定部门"))
    return problems


def grant_problems(grant: Grant, enrolled: Container[str], teams: Container[str]) -> list[Problem]:
    """A grant's scope, against the enrolled counties and the teams formed."""
    problems = check_grant(grant.role, grant.county, grant.team, grant.department)
    if grant.county is not None and is_county_code(grant.county) and grant.county not in enrolled:
        # A role over a county not (yet) enrolled would scope nothing, or the wrong county.
        problems.append(Problem("county", "enrolled_county",
                                f"行政区划代码为 {grant.county} 的县尚未入选评估，不能授予该县的角色"))  # fmt: skip
    if grant.team and grant.team not in teams:
        problems.append(Problem("team", "known_team", f"评估组“{grant.team}”不存在"))
    return problems


def user_problems(username: str, display_name: str) -> list[Problem]:
    """A new user's own fields: the username's pattern and the display name's length."""
    problems = []
    if not USERNAME.match(username):
        problems.append(
            Problem("username", "pattern", "用户名须为 3–32 位小写字母、数字、点、下划线或连字符，以字母或数字开头")
        )
    if len(display_name.strip()) > MAX_DISPLAY_NAME:
        problems.append(Problem("display_name", "max_length", f"姓名或单位不能超过 {MAX_DISPLAY_NAME} 个字，"
                                f"收到 {len(display_name.strip())} 个字"))  # fmt: skip
    return problems


def team_problems(code: str, name: str, region: str) -> list[Problem]:
    """A new team's fields."""
    problems = []
    if not TEAM_CODE.match(code):
        problems.append(Problem("code", "pattern", "评估组编号只能由字母、数字、下划线和连字符组成"))
    if not name.strip():
        problems.append(Problem("name", "required", "评估组名称必须填写"))
    if region not in REGIONS:
        problems.append(Problem("region", "one_of", "分区只能是东部、中部或西部"))
    return problems


def keep_an_admin(users: Mapping[str, User], leaving: str, field_name: str) -> None:
    """Someone must remain who can manage users: the last administrator cannot leave."""
    others = [
        user for user in users.values()
        if user.username != leaving and any(grant.role == "admin" for grant in user.active_grants())
    ]  # fmt: skip
    leaving_user = users[leaving]
    if not others and any(grant.role == "admin" for grant in leaving_user.active_grants()):
        raise ConflictError.of(
            field_name, "last_admin", "不能停用最后一名管理员或撤销其管理员角色：请先为他人授予管理员角色"
        )


def same_scope(a: Grant, b: Grant) -> bool:
    return (a.role, a.county, a.team, a.department) == (b.role, b.county, b.team, b.department)


def required_reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise InvalidCommand.of("reason", "reason_required", "必须填写理由，不能为空")
    return reason.strip()


def prefixed(prefix: str, problems: list[Problem]) -> list[Problem]:
    return [Problem(f"{prefix}.{p.field}", p.rule, p.message) for p in problems]
