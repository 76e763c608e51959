"""Every command on a verification year and the function that checks it and records its events.

``handle`` looks the command up in ``VERIFICATION_HANDLERS`` (as ``domain.handlers`` does for
counties). Each handler judges the whole year's state first: a refusal records nothing. Here:
opening the year, registering, teams, absences and samples; scoring is in
``domain.verification_scores``, the use of the results in ``domain.town_outcomes``, corrections
of the registry in ``domain.registry_correction``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from domain import verification_commands as v
from domain.collection import beijing_date
from domain.commands import Context
from domain.errors import ConflictError, InvalidCommand, NotFound, Problem, require_reason
from domain.registry_correction import correct_registered_object
from domain.sampling import draw, population_of, sample_problems
from domain.town_outcomes import OUTCOME_HANDLERS
from domain.towns import COUNTY_OFFICE, COUNTY_OFFICE_LABEL, MAX_NAME, OBJECT_CODE, registration_problems
from domain.verification import TownVerification
from domain.verification_rules import ABSENCE_KINDS, ABSENCE_LABELS
from domain.verification_scores import SCORE_HANDLERS, date_problems
from domain.verification_state import Member, Team

ABSENCE_BY_LABEL = {label: kind for kind, label in ABSENCE_LABELS.items()}

SEED = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")


def open_verification(code: str, county_name: str, command: v.OpenVerification, context: Context) -> TownVerification:
    if command.scheme.object != "town":
        raise InvalidCommand.of("scheme.object", "town_scheme", "核查方案的 object 必须是 town（县对镇的核查方案）")
    return TownVerification.open(code, county_name, command.scheme, context)


def register_objects(year: TownVerification, command: v.RegisterObjects, context: Context) -> dict[str, Any]:
    if not (command.towns or command.villages or command.households):
        raise InvalidCommand.of("towns", "not_empty", "没有要登记的镇、村或户")
    flags = year.scheme.verification.household_flags
    problems = registration_problems(
        year.registry, command.towns, command.villages, command.households, flags, command.places
    )
    if problems:
        raise InvalidCommand(problems)
    year.record(
        year.ObjectsRegistered,
        context,
        towns=[replace(t, name=t.name.strip()) for t in command.towns],
        villages=[replace(village, name=village.name.strip()) for village in command.villages],
        households=[replace(h, head=h.head.strip(), flags=list(h.flags)) for h in command.households],
        source=command.source,
        filename=command.filename,
    )
    return {"towns": len(command.towns), "villages": len(command.villages), "households": len(command.households)}


OFFICE_WORDS = ("县核查办", COUNTY_OFFICE_LABEL, "县直单位（县核查办）")


def home_code(home: str) -> str:
    """A member's home as stored: a town's code, or ``county_office`` for 县核查办 (as an official types it)."""
    return COUNTY_OFFICE if home.strip() in OFFICE_WORDS else home


def form_team(year: TownVerification, command: v.FormTeam, context: Context) -> dict[str, Any]:
    if command.team_id in year.book.teams:
        raise ConflictError.of("team_id", "unique_team", f"编号为“{command.team_id}”的核查组已经组建")
    problems: list[Problem] = []
    if not OBJECT_CODE.match(command.team_id):
        problems.append(Problem("team_id", "object_code", "核查组编号只能由字母、数字、点、下划线和连字符组成"))
    if not command.name.strip() or len(command.name) > MAX_NAME:
        problems.append(Problem("name", "required", f"核查组名称必须填写，至多 {MAX_NAME} 个字"))
    if not command.members:
        problems.append(Problem("members", "not_empty", "核查组至少要有一名成员"))
    command = replace(command, members=[replace(m, home=home_code(m.home)) for m in command.members])
    elsewhere = {m.name: team.name for team in year.book.teams.values() for m in team.members}
    names: set[str] = set()
    for index, member in enumerate(command.members):
        path = f"members[{index}]"
        if not member.name.strip() or len(member.name) > MAX_NAME:
            problems.append(Problem(f"{path}.name", "required", f"成员姓名必须填写，至多 {MAX_NAME} 个字"))
        elif member.name in names:
            problems.append(Problem(f"{path}.name", "unique_member", f"成员“{member.name}”在本组重复"))
        elif member.name in elsewhere:
            problems.append(
                Problem(f"{path}.name", "one_team", f"“{member.name}”已是核查组“{elsewhere[member.name]}”的成员")
            )
        names.add(member.name)
        if member.home != COUNTY_OFFICE and member.home not in year.registry.towns:  # 县核查办: read by home_code
            problems.append(
                Problem(
                    f"{path}.home",
                    "known_town",
                    f"成员“{member.name}”的来源“{member.home}”既不是已登记的镇，也不是县直单位（县核查办）",
                )
            )
        if member.helped_village and member.helped_village not in year.registry.villages:
            problems.append(
                Problem(
                    f"{path}.helped_village",
                    "known_village",
                    f"成员“{member.name}”所帮扶的村“{member.helped_village}”尚未登记",
                )
            )
    if problems:
        raise InvalidCommand(problems)
    members = [Member(m.name.strip(), m.home, m.helped_village) for m in command.members]  # homes as read above
    year.record(year.TeamFormed, context, team_id=command.team_id, name=command.name.strip(), members=members)
    return {"team_id": command.team_id}


def assign_team(year: TownVerification, command: v.AssignTeam, context: Context) -> dict[str, Any]:
    team = _team(year, command.team_id)
    town = _town(year, command.town, "town")
    problems: list[Problem] = []  # every conflict of the assignment at once
    if team.town is not None:
        problems.append(Problem(
            "team_id",
            "one_town_per_team",
            f"核查组“{team.name}”已负责{year.registry.town_name(team.town)}，每个核查组负责一个镇",
        ))  # fmt: skip
    holder = year.book.team_of_town(town)
    if holder is not None:
        problems.append(Problem(
            "town", "one_team_per_town", f"{year.registry.town_name(town)}已由核查组“{holder.name}”核查"
        ))  # fmt: skip
    own = [member for member in team.members if member.home == town]
    if own:
        names = "、".join(member.name for member in own)
        problems.append(Problem(
            "town",
            "cross_check",
            f"核查组“{team.name}”的成员 {names} 来自{year.registry.town_name(town)}，不能核查本镇（交叉核查）",
        ))  # fmt: skip
    if problems:
        raise ConflictError(problems)
    year.record(year.TeamAssigned, context, team_id=team.id, town=town)
    return {"team_id": team.id, "town": town}


def record_absence(year: TownVerification, command: v.RecordAbsence, context: Context) -> dict[str, Any]:
    team = _team(year, command.team_id)
    if any(absence.id == command.absence_id for absence in year.book.absences):
        raise ConflictError.of("absence_id", "unique_id", f"编号为“{command.absence_id}”的缺勤记录已存在")
    problems = []
    if command.member not in {member.name for member in team.members}:
        problems.append(Problem("member", "team_member", f"“{command.member}”不是核查组“{team.name}”的成员"))
    kind = ABSENCE_BY_LABEL.get(command.kind.strip(), command.kind.strip())  # 缺勤, 迟到, 早退 or their codes
    if kind not in ABSENCE_KINDS:
        kinds = "、".join(ABSENCE_LABELS.values())
        problems.append(Problem("kind", "one_of", f"类型只能是 {kinds} 之一，收到“{command.kind[:20]}”"))
    problems.extend(date_problems(command.on, "on", "日期", year, context))
    if problems:
        raise InvalidCommand(problems)
    reason = require_reason(command.reason)
    year.record(
        year.AbsenceRecorded,
        context,
        absence_id=command.absence_id,
        team_id=team.id,
        member=command.member,
        kind=kind,
        on=command.on,
        reason=reason,
    )
    return {"absence_id": command.absence_id}


def draw_sample(year: TownVerification, command: v.DrawSample, context: Context) -> dict[str, Any]:
    town = _town(year, command.town, "town")
    if town in year.book.samples:
        earlier = year.book.samples[town]
        raise ConflictError.of(
            "town",
            "one_sample_per_town",
            f"{year.registry.town_name(town)}已于 {beijing_date(earlier.recorded_at)} 抽样"
            f"（种子 {earlier.seed}），不能重抽",
        )
    if not SEED.match(command.seed):
        raise InvalidCommand.of("seed", "seed", "种子只能由 1 至 64 个字母、数字、下划线和连字符组成")
    rules = year.scheme.verification.sample
    population = population_of(year.registry, town, rules)
    drawn = draw(command.seed, population, rules)
    problems = sample_problems(drawn, population, rules)
    if problems:
        raise InvalidCommand(problems)
    year.record(
        year.SampleDrawn,
        context,
        town=town,
        seed=command.seed,
        rules=replace(rules),
        population=population,
        drawn=drawn,
    )
    return {"town": town, "seed": command.seed, "villages": drawn.villages, "households": drawn.households}


# ------------------------------------------------------------------ helpers


def _team(year: TownVerification, team_id: str) -> Team:
    team = year.book.teams.get(team_id)
    if team is None:
        raise NotFound.of("team_id", "known_team", f"找不到编号为“{team_id}”的核查组")
    return team


def _town(year: TownVerification, code: str, field: str) -> str:
    if not code.strip():
        raise InvalidCommand.of(field, "required", "请选择镇")
    if code not in year.registry.towns:
        raise InvalidCommand.of(field, "known_town", f"找不到编码为“{code}”的镇")
    return code


Handler = Callable[[TownVerification, Any, Context], dict[str, Any]]

VERIFICATION_HANDLERS: dict[type, Handler] = {
    v.RegisterObjects: register_objects,
    v.FormTeam: form_team,
    v.AssignTeam: assign_team,
    v.RecordAbsence: record_absence,
    v.DrawSample: draw_sample,
    v.CorrectRegisteredObject: correct_registered_object,
    **SCORE_HANDLERS,  # higher-level sampling, recording and revoking scores (004 四–六)
    **OUTCOME_HANDLERS,  # the use of the results: notices, consequences, rectification (004 八–九)
}


def handle(year: TownVerification, command: v.VerificationCommand, context: Context) -> dict[str, Any]:
    return VERIFICATION_HANDLERS[type(command)](year, command, context)
