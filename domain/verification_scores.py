"""Who scores a town's sheets, and how (004 四–六; ADR 27): a higher level (province, city) that
sampled a town or village is marked first; a score is recorded per sheet and object, by the
county team checking that town or by the marked higher level, on a day of the year's checks, as
the sheet's items or directly; it is revoked with a reason. The handlers of ``SCORE_HANDLERS``
join the verification year's table in ``domain.verification_handlers``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from domain import verification_commands as v
from domain.commands import Context
from domain.decimals import ZERO, at_most_two_places, plain
from domain.errors import ConflictError, InvalidCommand, NotFound, Problem, require_reason
from domain.rectification import recorded_day
from domain.scheme import AUTHORITY_LABELS
from domain.verification import TownVerification
from domain.verification_rules import SHEET_OBJECT_LABELS, sheet_leaves


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
    problems = date_problems(command.checked_on, "checked_on", "核查日期", year, context)
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


def date_problems(text: str, field: str, label: str, year: TownVerification, context: Context) -> list[Problem]:
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


SCORE_HANDLERS: dict[type, Any] = {
    v.MarkSampledByHigherLevel: mark_sampled_by_higher_level,
    v.RecordTownScore: record_town_score,
    v.RevokeTownScore: revoke_town_score,
}
