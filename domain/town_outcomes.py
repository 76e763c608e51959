"""The use of a town's results (004 八–九), as for a county (ADR 26, 27): the result notice
(核查结果通报) with the problems it found, the consequence its grade gives (表扬, 约谈), and
rectification items with the same statuses and step rules as the county's.

The problems of a town are the items of its standing results (its sheets and its sampled
villages) scored below ``PROBLEM_SHARE`` of their maximum; below ``SERIOUS_SHARE`` they are
serious problems (突出问题), which the scheme's grade rules read as for a county's report.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain import commands as c
from domain import report_commands as rc
from domain import verification_commands as v
from domain.consequences import grade_rule, two_places
from domain.decimals import round2
from domain.errors import ConflictError, InvalidCommand, NotFound, Problem
from domain.inputs import shown
from domain.rectification import (
    done_fields,
    item_fields,
    plan_fields,
    problem_text,
    progress_fields,
    recorded_day,
    reject_fields,
    verify_fields,
)
from domain.state import RectificationItem
from domain.town_scores import SheetResult, TownResult
from domain.verification import TownVerification
from domain.verification_state import TownNotice

PROBLEM_SHARE = Decimal("0.6")  # an item below 60 % of its maximum is a problem found
SERIOUS_SHARE = Decimal("0.4")  # below 40 %, a serious problem (突出问题)


def town_problems(year: TownVerification, result: TownResult) -> list[dict[str, Any]]:
    """The items of the town's standing results below their share, in sheet then item order."""
    indicators = {node.code: node for node in year.scheme.indicators}
    found: list[dict[str, Any]] = []
    sheets: list[SheetResult] = list(result.sheets.values()) + list(result.villages)
    for sheet in sheets:
        if sheet.standing is None:
            continue
        for code, points in sheet.standing.items.items():
            node = indicators.get(code)
            if node is None or not node.weight:
                continue
            maximum = Decimal(node.weight)
            if points >= maximum * PROBLEM_SHARE:
                continue
            found.append({
                "id": f"P{len(found) + 1}",
                "object": sheet.object,
                "object_name": sheet.name,
                "sheet": sheet.sheet,
                "indicator": code,
                "title": f"{sheet.name} {code} {node.name}得分 {two_places(points)}，"
                         f"低于满分 {two_places(maximum)} 的 {PROBLEM_SHARE * 100:.0f}%",
                "points": two_places(points),
                "max": two_places(maximum),
                "serious": points < maximum * SERIOUS_SHARE,
            })  # fmt: skip
    return found


def next_notice_id(year: TownVerification) -> str:
    return f"{year.year}-N{len(year.book.notices) + 1}"


def latest_notice(year: TownVerification, town: str) -> TownNotice | None:
    notices = [notice for notice in year.book.notices.values() if notice.town == town]
    return notices[-1] if notices else None


def _known_town(year: TownVerification, town: str) -> str:
    if town not in year.registry.towns:
        raise NotFound.of("town", "known_town", f"找不到编码为“{shown(town)}”的镇")
    return town


def issue_town_notice(year: TownVerification, command: v.IssueTownNotice, context: c.Context) -> dict[str, Any]:
    town = _known_town(year, command.town)
    if command.result is None:
        raise ConflictError.of(
            "town", "town_result", f"{year.registry.town_name(town)}尚无综合评价成绩，不能出具核查结果通报"
        )
    latest = latest_notice(year, town)
    if latest is not None and (latest.result, latest.grade, latest.rank, latest.problems) == (
        command.result,
        command.grade,
        command.rank,
        [dict(p) for p in command.problems],
    ):  # a second click, or nothing changed since: one notice, not two
        raise ConflictError.of(
            "town", "notice_changed",
            f"{year.registry.town_name(town)}的核查结果通报 {latest.id} 与本次内容相同"
            "（成绩、等次、排名和问题均未变），不重复出具",
        )  # fmt: skip
    notice_id = next_notice_id(year)
    year.record(
        year.TownNoticeIssued,
        context,
        notice_id=notice_id,
        town=town,
        as_of=command.as_of,
        content_sha256=command.content_sha256,
        file_sha256=command.file_sha256,
        result=command.result,
        grade=command.grade,
        rank=command.rank,
        problems=list(command.problems),
    )
    return {"notice_id": notice_id}


def decide_town_consequences(
    year: TownVerification, command: v.DecideTownConsequences, context: c.Context
) -> dict[str, Any]:
    """The first grade rule that matches the town's latest notice (its grade, any serious
    problem) gives its one consequence; decided once per notice."""
    town = _known_town(year, command.town)
    notice = latest_notice(year, town)
    if notice is None:
        raise ConflictError.of(
            "town", "notice_issued", f"{year.registry.town_name(town)}尚未出具核查结果通报，不能认定表扬或约谈"
        )
    if any(found.causes.get("notice_id") == notice.id for found in year.book.consequences.values()):
        return {"consequences": [], "unchanged": True}
    serious = [problem for problem in notice.problems if problem.get("serious")]
    rule = grade_rule(year.scheme.consequences, notice.grade, bool(serious))
    if rule is None or rule.points is not None:  # points belong to a county's next year, not to a town
        return {"consequences": [], "unchanged": True}
    causes: dict[str, Any] = {
        "town": town,
        "notice_id": notice.id,
        "as_of": notice.as_of.isoformat(),
        "grade": notice.grade,
        "result": two_places(round2(notice.result) or Decimal(0)),
    }
    if rule.serious_problem:
        causes["serious_problems"] = [{"id": p["id"], "title": p["title"]} for p in serious]
    consequence_id = f"{year.year}-TC{len(year.book.consequences) + 1}"
    year.record(year.TownConsequenceDecided, context, consequence_id=consequence_id, town=town, kind=rule.kind,
                rule=rule.code, causes=causes)  # fmt: skip
    return {"consequences": [consequence_id], "unchanged": False}


def raise_town_rectification(
    year: TownVerification, command: v.RaiseTownRectification, context: c.Context
) -> dict[str, Any]:
    town = _known_town(year, command.town)
    problems: list[Problem] = []
    fields = item_fields(problems, command.requirement, command.deadline, command.answerer,
                         recorded_day(year, context))  # fmt: skip
    problem_id = (command.problem_id or "").strip() or None
    notice = latest_notice(year, town)
    indicator, words, notice_id = None, "", None
    if problem_id is not None:
        notice_id, indicator, words = _from_notice(year, town, notice, problem_id)
    else:
        words = problem_text(problems, command.problem)
    if problems:
        raise InvalidCommand(problems)
    item_id = f"{year.year}-{town}-Z{sum(1 for t in year.book.item_towns.values() if t == town) + 1}"
    year.record(year.TownRectificationRaised, context, town=town, item_id=item_id,
                source="notice" if notice_id else "county", report_id=notice_id, problem_id=problem_id,
                indicator=indicator, problem=words, **fields)  # fmt: skip
    return {"item_id": item_id}


def _from_notice(
    year: TownVerification, town: str, notice: TownNotice | None, problem_id: str
) -> tuple[str, str | None, str]:
    """The notice, indicator and words of a problem of the town's latest notice, raised once."""
    listed = notice.problems if notice else []
    found = next((p for p in listed if p.get("id") == problem_id), None)
    if notice is None or found is None:
        known = "、".join(str(p.get("id")) for p in listed) or "无"
        message = f"{year.registry.town_name(town)}最新的核查结果通报中没有问题“{shown(problem_id)}”（有：{known}）"
        raise NotFound.of("problem_id", "notice_problem", message)
    for item_id, item in year.book.rectification.items():
        if (item.report_id, item.problem_id) == (notice.id, problem_id):
            message = f"通报 {notice.id} 的问题 {problem_id} 已下达为整改事项 {item_id}，不能重复下达"
            raise ConflictError.of("problem_id", "raised_once", message)
    return notice.id, str(found.get("indicator") or "") or None, str(found.get("title", ""))


def town_item(year: TownVerification, item_id: str) -> RectificationItem:
    item = year.book.rectification.get((item_id or "").strip())
    if item is None:
        raise NotFound.of("item_id", "known_item", f"{year.year} 年度镇级核查中没有编号为“{shown(item_id)}”的整改事项")
    return item


def file_town_plan(year: TownVerification, command: rc.FileRectificationPlan, context: c.Context) -> dict[str, Any]:
    item = town_item(year, command.item_id)
    fields = plan_fields(item, command)
    if not command.dry_run:
        year.record(year.TownRectificationPlanFiled, context, item_id=item.id, **fields)
    return {"item_id": item.id}


def report_town_progress(
    year: TownVerification, command: rc.ReportRectificationProgress, context: c.Context
) -> dict[str, Any]:
    item = town_item(year, command.item_id)
    fields = progress_fields(item, command)
    if not command.dry_run:
        year.record(year.TownRectificationProgressReported, context, item_id=item.id, **fields)
    return {"item_id": item.id}


def declare_town_done(
    year: TownVerification, command: rc.DeclareRectificationDone, context: c.Context
) -> dict[str, Any]:
    item = town_item(year, command.item_id)
    fields = done_fields(item, command)
    if not command.dry_run:
        year.record(year.TownRectificationDeclaredDone, context, item_id=item.id, **fields)
    return {"item_id": item.id}


def verify_town_item(year: TownVerification, command: rc.VerifyRectification, context: c.Context) -> dict[str, Any]:
    item = town_item(year, command.item_id)
    fields = verify_fields(item, command, context, recorded_day(year, context))
    year.record(year.TownRectificationVerified, context, item_id=item.id, **fields)
    return {"item_id": item.id, "status": "verified"}


def reject_town_item(year: TownVerification, command: rc.RejectRectification, context: c.Context) -> dict[str, Any]:
    item = town_item(year, command.item_id)
    fields = reject_fields(item, command, context)
    year.record(year.TownRectificationRejected, context, item_id=item.id, **fields)
    return {"item_id": item.id, "status": "in_progress"}


OUTCOME_HANDLERS: dict[type, Any] = {
    v.IssueTownNotice: issue_town_notice,
    v.DecideTownConsequences: decide_town_consequences,
    v.RaiseTownRectification: raise_town_rectification,
    rc.FileRectificationPlan: file_town_plan,
    rc.ReportRectificationProgress: report_town_progress,
    rc.DeclareRectificationDone: declare_town_done,
    rc.VerifyRectification: verify_town_item,
    rc.RejectRectification: reject_town_item,
}
