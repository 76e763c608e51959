"""Every command on a verification year and the function that checks it and records its events.

``handle`` looks the command up in ``VERIFICATION_HANDLERS`` (as ``domain.handlers`` does for
counties). Each handler judges the whole year's state first: a refusal records nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from domain import verification_commands as v
from domain.collection import beijing_date
from domain.commands import Context
from domain.decimals import ZERO, at_most_two_places, plain
from domain.errors import ConflictError, InvalidCommand, NotFound, Problem, require_reason
from domain.rectification import recorded_day
from domain.registry_correction import correct_registered_object
from domain.sampling import draw, population_of, sample_problems
from domain.scheme import AUTHORITY_LABELS
from domain.town_outcomes import OUTCOME_HANDLERS
from domain.towns import COUNTY_OFFICE, COUNTY_OFFICE_LABEL, MAX_NAME, OBJECT_CODE, registration_problems
from domain.verification import TownVerification
from domain.verification_rules import ABSENCE_KINDS, ABSENCE_LABELS, SHEET_OBJECT_LABELS, sheet_leaves
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
    problems.extend(_date_problems(command.on, "on", "日期", year, context))
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


def mark_sampled_by_higher_level(
    year: TownVerification, command: v.MarkSampledByHigherLevel, context: Context
) -> dict[str, Any]:
    if command.object not in year.registry.towns and command.object not in year.registry.villages:
        raise NotFound.of("object", "known_object", f"找不到编码为“{command.object}”的镇或村")
    _higher_authority(year, command.authority)
    if year.book.marked(command.object, command.authority):
        raise ConflictError.of(
            "object", "marked_once", f"“{_name(year, command.object)}”已标记为{AUTHORITY_LABELS[command.authority]}抽查"
        )
    reason = require_reason(command.reason)
    year.record(year.SampledByHigherLevel, context, object=command.object, authority=command.authority, reason=reason)
    return {"object": command.object, "authority": command.authority}


def record_town_score(year: TownVerification, command: v.RecordTownScore, context: Context) -> dict[str, Any]:
    if command.score_id in year.book.scores:
        raise ConflictError.of("score_id", "unique_id", f"编号为“{command.score_id}”的核查得分已存在")
    sheet = year.scheme.verification.sheet(command.sheet)
    if sheet is None:
        known = "、".join(f"{s.input}（{sheet_name(year, s.input)}）" for s in year.scheme.verification.sheets)
        raise InvalidCommand.of("sheet", "known_sheet", f"方案没有评分表“{command.sheet}”（有：{known}）")
    registered = year.registry.towns if sheet.object == "town" else year.registry.villages
    if command.object not in registered:
        raise InvalidCommand.of(
            "object",
            f"known_{sheet.object}",
            f"评分表“{sheet_name(year, sheet.input)}”为{SHEET_OBJECT_LABELS[sheet.object]}级，"
            f"找不到编码为“{command.object}”的{SHEET_OBJECT_LABELS[sheet.object]}",
        )
    town = command.object if sheet.object == "town" else year.registry.villages[command.object].town
    if command.authority not in year.scheme.authorities:
        raise InvalidCommand.of("authority", "scheme_authority", f"本方案不接受“{command.authority}”的核查结果")
    if command.authority == "county":
        _county_may_score(year, command, town, sheet.object)
    elif not year.book.marked(command.object, command.authority):
        raise ConflictError.of(
            "authority",
            "sampled_by_authority",
            f"“{_name(year, command.object)}”未标记为{AUTHORITY_LABELS[command.authority]}抽查，请先标记再录入其结果",
        )
    for record in year.book.scores.values():
        if (record.sheet, record.object, record.authority, record.revoked) == (
            sheet.input,
            command.object,
            command.authority,
            False,
        ):
            raise ConflictError.of(
                "score_id",
                "one_result",
                f"“{_name(year, command.object)}”的{sheet_name(year, sheet.input)}已有"
                f"{AUTHORITY_LABELS[command.authority]}结果（{record.id}），如需更正请先撤销",
            )
    problems = _date_problems(command.checked_on, "checked_on", "核查日期", year, context)
    if command.authority != "county" and not command.reason.strip():  # ADR 27: on paper to the county office
        problems.append(Problem(
            "reason", "higher_level_reason",
            f"录入{AUTHORITY_LABELS[command.authority]}结果须写明依据（reason）：来文名称或文号，如“省考核组抽查结果通报（冀乡振〔2024〕3号）”",
        ))  # fmt: skip
    items, score, more = _points(year, sheet.indicator, command)
    problems.extend(more)
    if problems:
        raise InvalidCommand(problems)
    year.record(
        year.ScoreRecorded,
        context,
        score_id=command.score_id,
        sheet=sheet.input,
        object=command.object,
        town=town,
        team_id=command.team_id if command.authority == "county" else None,
        authority=command.authority,
        checked_on=command.checked_on,
        items=items,
        score=score,
        reason=command.reason.strip(),
    )
    return {"score_id": command.score_id, "score": score}


def revoke_town_score(year: TownVerification, command: v.RevokeTownScore, context: Context) -> dict[str, Any]:
    record = year.book.scores.get(command.score_id)
    if record is None:
        raise NotFound.of("score_id", "known_score", f"找不到编号为“{command.score_id}”的核查得分")
    if record.revoked:
        raise ConflictError.of("score_id", "not_revoked", f"核查得分“{command.score_id}”已撤销")
    reason = require_reason(command.reason)
    year.record(year.ScoreRevoked, context, score_id=record.id, reason=reason)
    return {"score_id": record.id}


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


def _name(year: TownVerification, code: str) -> str:
    return year.registry.town_name(code) if code in year.registry.towns else year.registry.village_name(code)


def _higher_authority(year: TownVerification, authority: str) -> None:
    if not year.scheme.above_county(authority):
        above = [a for a in year.scheme.authorities if year.scheme.above_county(a)]
        listed = "、".join(f"{a}（{AUTHORITY_LABELS.get(a, a)}）" for a in above) or "无"
        raise InvalidCommand.of("authority", "higher_authority", f"只有高于县级的抽查才能标记，本方案中为：{listed}")


def _county_may_score(year: TownVerification, command: v.RecordTownScore, town: str, level: str) -> None:
    team = year.book.team_of_town(town)
    if team is None:
        raise ConflictError.of("team_id", "team_of_town", f"{year.registry.town_name(town)}尚未分配核查组")
    if command.team_id != team.id:
        raise ConflictError.of(
            "team_id",
            "team_of_town",
            f"{year.registry.town_name(town)}由核查组“{team.name}”"
            f"（{team.id}）核查，收到“{command.team_id or '未填写'}”",
        )
    if level == "village":
        sample = year.book.samples.get(town)
        if sample is None or command.object not in sample.drawn.villages:
            raise ConflictError.of(
                "object",
                "sampled_village",
                f"“{year.registry.village_name(command.object)}”不在{year.registry.town_name(town)}的抽查村中",
            )


def check_window(year: int) -> tuple[date, date]:
    """The days a verification of ``year`` is checked on (ADR 27): 004 二 and 六 count the data up to
    31 December and have the county's checks done by early January; the document is issued in
    December. So from 1 December of the year (the teams' first visits) to 30 June of the next
    (late checks and the province's or city's results arriving on paper by spring)."""
    return date(year, 12, 1), date(year + 1, 6, 30)


def sheet_name(year: TownVerification, code: str) -> str:
    """A sheet's name as the scheme words it (评分表 ``verification`` → 县核查分), its code if unnamed."""
    return next((item.name for item in year.scheme.composite_inputs if item.code == code and item.name), code)


def _date_problems(text: str, field: str, label: str, year: TownVerification, context: Context) -> list[Problem]:
    try:
        day = date.fromisoformat(text)
    except (TypeError, ValueError):
        day = None
    if day is None or len(text) != 10:
        return [Problem(field, "date", f"{label}必须是 YYYY-MM-DD 格式的日期，收到“{text[:20]}”")]
    today = recorded_day(year, context)
    if day > today:
        return [Problem(field, "not_future", f"{label} {text} 晚于今天（{today}）：不能记录尚未发生的事")]
    first, last = check_window(year.year)
    if not first <= day <= last:
        return [Problem(field, "verification_period",
                        f"{label} {text} 不在 {year.year} 年度核查的期间内（{first} 至 {last}）")]  # fmt: skip
    return []


def _points(
    year: TownVerification, top: str, command: v.RecordTownScore
) -> tuple[dict[str, Decimal], Decimal, list[Problem]]:
    indicators = {indicator.code: indicator for indicator in year.scheme.indicators}
    if command.items and command.score is not None:
        return (
            {},
            ZERO,
            [Problem("score", "items_or_score", "请填写各项得分（items）或直接计分（score），不能同时填写")],
        )
    if not command.items:
        if command.score is None:
            return {}, ZERO, [Problem("score", "required", "请填写各项得分（items）或直接计分（score）")]
        return {}, command.score, _bounded(command.score, indicators[top].weight, "score", indicators[top].name)
    leaves = sheet_leaves(year.scheme, top)
    problems = []
    missing = sorted(leaves - set(command.items))
    unknown = sorted(set(command.items) - leaves)
    if missing:
        problems.append(Problem("items", "every_item", f"缺少以下项目的得分：{'、'.join(missing)}"))
    if unknown:
        problems.append(Problem("items", "sheet_item", f"以下编号不是评分表“{top}”的末级指标：{'、'.join(unknown)}"))
    for code in sorted(set(command.items) & leaves):
        problems.extend(_bounded(command.items[code], indicators[code].weight, f"items.{code}", indicators[code].name))
    return dict(command.items), sum(command.items.values(), ZERO), problems


def _bounded(value: Decimal, maximum: Decimal, field: str, name: str) -> list[Problem]:
    if not value.is_finite() or value < ZERO or value > maximum:
        return [Problem(field, "within_weight", f"“{name}”的得分必须在 0 至 {plain(maximum)} 之间，收到 {value}")]
    if not at_most_two_places(value):
        return [Problem(field, "two_decimals", f"“{name}”的得分至多两位小数，收到 {value}")]
    return []


Handler = Callable[[TownVerification, Any, Context], dict[str, Any]]

VERIFICATION_HANDLERS: dict[type, Handler] = {
    v.RegisterObjects: register_objects,
    v.FormTeam: form_team,
    v.AssignTeam: assign_team,
    v.RecordAbsence: record_absence,
    v.DrawSample: draw_sample,
    v.MarkSampledByHigherLevel: mark_sampled_by_higher_level,
    v.RecordTownScore: record_town_score,
    v.RevokeTownScore: revoke_town_score,
    v.CorrectRegisteredObject: correct_registered_object,
    **OUTCOME_HANDLERS,  # the use of the results: notices, consequences, rectification (004 八–九)
}


def handle(year: TownVerification, command: v.VerificationCommand, context: Context) -> dict[str, Any]:
    return VERIFICATION_HANDLERS[type(command)](year, command, context)
