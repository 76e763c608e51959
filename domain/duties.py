"""Who may evaluate which county: separation of duties and the teams' regions (ADR 18).

Separation of duties (职责分离): nobody is on the county side of a county (its county
coordinator or one of its department users) and on the evaluating side of the same
county (a member of the evaluator team that holds it). Three commands can bring the two
sides together: granting the evaluator role of a team, granting a county-side role, and
assigning counties to a team (registering a user with several roles at once is the
first two together). Each compares the conflicts standing after it with those standing
before and is refused if it would add one; conflicts recorded before the rule existed
are not a reason to refuse an unrelated command, and ``ruraleval users check`` lists
them.

Regions: a team holds counties of its own region (east, central, west) unless the
administrator says otherwise, with a reason that the event keeps.

Pure: the functions read users, grants and teams of the organisation as they stand and
the counties' regions the application service read from the counties' streams.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from domain.commands import REGION_LABELS
from domain.errors import ConflictError, Problem
from domain.organisation_rules import ROLE_LABELS

if TYPE_CHECKING:
    from domain.organisation import Grant, Organisation, Team, User

COUNTY_SIDE_ROLES = ("county_coordinator", "department_user")
EVALUATING_ROLE = "evaluator"
RULE = "separation_of_duties"


def _label(role: str) -> str:
    return ROLE_LABELS.get(role, role)


@dataclass(frozen=True, order=True)
class Conflict:
    """One person on both sides of one county: a county-side grant and an evaluator grant."""

    username: str
    county: str
    team: str
    county_role: str
    county_grant: str
    evaluator_grant: str
    department: str | None = None

    def roles(self) -> str:
        """Both roles, in words: 县 130425 的县级管理员 and 评估组“east-1”的评估组成员."""
        department = f"（{self.department}）" if self.department else ""
        return (
            f"县 {self.county} 的{_label(self.county_role)}{department}，"
            f"又是负责该县的评估组“{self.team}”的{_label(EVALUATING_ROLE)}"
        )

    def describe(self) -> str:
        """A line for ``ruraleval users check``: the user, both roles, the county, the team, the grants."""
        grants = f"（授权编号 {self.county_grant}、{self.evaluator_grant}）"
        return f"违反职责分离：用户“{self.username}”既是{self.roles()}{grants}"


def conflicts(users: Iterable[User], team_counties: Mapping[str, Collection[str]]) -> list[Conflict]:
    """Every active user holding both sides of a county, sorted."""
    found: list[Conflict] = []
    for user in users:
        grants = user.active_grants()
        county_side = [grant for grant in grants if grant.role in COUNTY_SIDE_ROLES and grant.county]
        for evaluating in (grant for grant in grants if grant.role == EVALUATING_ROLE and grant.team):
            team = evaluating.team or ""
            held = team_counties.get(team, ())
            found.extend(
                Conflict(
                    user.username,
                    grant.county or "",
                    team,
                    grant.role,
                    grant.id,
                    evaluating.id,
                    grant.department,
                )
                for grant in county_side
                if grant.county in held
            )
    return sorted(found)


def standing(organisation: Organisation) -> list[Conflict]:
    """The conflicts the organisation holds now (recorded before the rule, or by a bypass)."""
    held = {code: team.counties for code, team in organisation.teams.items()}
    return conflicts(organisation.users.values(), held)


def introduced(before: Iterable[Conflict], after: Iterable[Conflict]) -> list[Conflict]:
    """The conflicts of ``after`` that ``before`` did not have."""
    known = set(before)
    return [conflict for conflict in after if conflict not in known]


def with_grants(user: User, grants: Iterable[Grant]) -> User:
    """The user as it would stand with ``grants`` added."""
    return replace(user, grants=[*user.grants, *grants])


def refusal(found: list[Conflict], field: str, doing: str | Callable[[Conflict], str]) -> ConflictError:
    """409 naming, for each conflict, the user, both roles, the county and the team.

    ``doing`` says what the refused command would have done (授予该角色), or how, for each conflict.
    """
    problems = []
    for conflict in found:
        what = doing(conflict) if callable(doing) else doing
        problems.append(
            Problem(
                field,
                RULE,
                f"违反职责分离：{what}将使用户“{conflict.username}”既是{conflict.roles()}；"
                "同一人不能既在县方又在评估方，请先撤销其中一个角色",
            )
        )
    return ConflictError(problems)


def keep_apart(
    teams: Mapping[str, Team],
    before: list[User],
    after: list[User],
    field_name: str,
    doing: str | Callable[[Conflict], str],
    teams_after: Mapping[str, list[str]] | None = None,
) -> None:
    """Refuses a change that would put someone on both sides of a county; ``teams_after``: the
    teams' counties after it, when it assigns counties."""
    held = {code: team.counties for code, team in teams.items()}
    found = introduced(conflicts(before, held), conflicts(after, teams_after or held))
    if found:
        raise refusal(found, field_name, doing)


def region_problems(
    team: str,
    team_region: str,
    counties: Iterable[str],
    regions: Mapping[str, str],
    override: bool,
    override_reason: str | None,
) -> tuple[list[Problem], list[str]]:
    """Problems with the counties' regions, and the counties outside the team's region.

    ``regions`` holds the region each enrolled county was enrolled in; a county missing
    from it is not enrolled, and an unenrolled county cannot be given to a team (its
    region is unknown).
    """
    counties = sorted(set(counties))
    problems = []
    unknown = [county for county in counties if county not in regions]
    if unknown:
        problems.append(
            Problem("counties", "enrolled_county", f"这些县尚未入选评估，不能分配给评估组：{'、'.join(unknown)}")
        )
    outside = [county for county in counties if county in regions and regions[county] != team_region]
    if outside and not override:
        where = "、".join(f"{county}（{REGION_LABELS.get(regions[county], regions[county])}）" for county in outside)
        problems.append(
            Problem(
                "counties",
                "team_region",
                f"评估组“{team}”属于{REGION_LABELS.get(team_region, team_region)}，这些县不在该区域：{where}；"
                "如确需跨区域分配，请勾选“跨区域分配”并填写跨区域分配的理由",
            )
        )
    if override and not (override_reason and override_reason.strip()):
        problems.append(Problem("region_override_reason", "reason_required", "跨区域分配必须填写理由"))
    if not override and override_reason:
        problems.append(
            Problem(
                "region_override_reason",
                "not_applicable",
                "只有勾选“跨区域分配”时才能填写跨区域分配的理由",
            )
        )
    return problems, outside
