"""Consequences (一挂钩): commendation, interviews and points, decided by the scheme's rules
from the facts that caused them (ADR 26). Points a consequence implies are recorded as their
own ``PointsAdjusted`` in the next year's book, whose reason names the consequence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from domain import commands as c
from domain import county_checks
from domain import report_commands as rc
from domain.consequence_rules import ConsequenceRules, ReportConsequenceRule
from domain.decimals import CENT
from domain.errors import ConflictError, InvalidCommand
from domain.inputs import normalise
from domain.overrides import check_points
from domain.recorded_time import CHINA
from domain.reports import latest_report
from domain.scheme import SIGN_LABELS
from domain.state import Consequence, CountyYear, IssuedReport, RectificationItem

if TYPE_CHECKING:
    from domain.county import County

KINDS = ("commendation", "interview_deputy", "interview_principal", "penalty_points", "bonus_points")
KIND_LABELS = {
    "commendation": "通报表扬",
    "interview_deputy": "约谈分管负责同志",
    "interview_principal": "约谈主要负责同志",
    "penalty_points": "下一年度扣分",
    "bonus_points": "下一年度加分",
}


def next_consequence_id(book: CountyYear) -> str:
    """``<year>-C<n>``: numbered in the order decided within the year."""
    return f"{book.scheme.year}-C{len(book.consequences) + 1}"


def apply_decided(book: CountyYear, event: Any) -> None:
    book.consequences[event.consequence_id] = Consequence(
        id=event.consequence_id,
        kind=event.kind,
        rule=event.rule,
        causes=dict(event.causes),
        points=event.points,
        points_year=event.points_year,
        adjustment_id=event.adjustment_id,
        actor=event.actor,
        recorded_at=event.timestamp,
    )


# ---------------------------------------------------------------- deciding them


@dataclass(frozen=True)
class Planned:
    """A consequence the rules give, before it is recorded."""

    rule: str
    kind: str
    causes: dict[str, Any]
    points: Decimal | None = None
    category: str = ""

    @property
    def key(self) -> tuple[str, str | None, tuple[str, ...]]:
        return cause_key(self.rule, self.causes)


def cause_key(rule: str, causes: dict[str, Any]) -> tuple[str, str | None, tuple[str, ...]]:
    """What makes a consequence the same one: its rule, and the report or the items it
    follows from (the same rule on the same facts is decided once)."""
    items = tuple(item["id"] for item in causes.get("items", []))
    return rule, None if items else causes.get("report_id"), items


def decide_consequences(county: County, command: rc.DecideConsequences, context: c.Context) -> dict[str, Any]:
    book = county.book(command.year)
    on = read_day(command.on, context)
    report = latest_report(book)
    if report is None:
        raise ConflictError.of(
            "year", "report_issued", f"{county.name} {command.year} 年度尚未出具评估报告，不能认定挂钩结果"
        )
    decided = {cause_key(item.rule, item.causes) for item in book.consequences.values()}
    planned = [plan for plan in plan_consequences(book, report, on) if plan.key not in decided]
    planned = once_by_grade(book, planned)
    next_book = check_points_year(county, book, planned)
    first = len(book.consequences) + 1
    recorded = []
    for offset, plan in enumerate(planned):
        consequence_id = f"{book.scheme.year}-C{first + offset}"
        adjustment_id = f"{consequence_id}-points" if plan.points is not None else None
        county.record(
            county.ConsequenceDecided,
            context,
            year=book.scheme.year,
            consequence_id=consequence_id,
            kind=plan.kind,
            rule=plan.rule,
            causes=plan.causes,
            points=plan.points,
            points_year=book.scheme.year + 1 if plan.points is not None else None,
            adjustment_id=adjustment_id,
        )
        if next_book is not None and plan.points is not None:
            county.record(
                county.PointsAdjusted,
                context,
                year=next_book.scheme.year,
                adjustment_id=adjustment_id,
                points=plan.points,
                category=plan.category,
                reason=points_reason(consequence_id, plan),
            )
        recorded.append(consequence_id)
    return {"consequences": recorded, "unchanged": not recorded}


def once_by_grade(book: CountyYear, planned: list[Planned]) -> list[Planned]:
    """A report's grade gives its consequence once a year (ADR 26): a later report gives a new
    one only if the kind its grade gives differs from the one decided last, and the new one
    names the earlier consequence and its report; the same kind again is not repeated."""
    by_report = [item for item in book.consequences.values() if "items" not in item.causes]
    earlier = by_report[-1] if by_report else None
    kept: list[Planned] = []
    for plan in planned:
        if "items" in plan.causes or earlier is None:
            kept.append(plan)
        elif plan.kind != earlier.kind:
            follows = {"consequence_id": earlier.id, "report_id": earlier.causes.get("report_id"), "kind": earlier.kind}
            kept.append(Planned(plan.rule, plan.kind, plan.causes | {"earlier": follows}, plan.points, plan.category))
    return kept


def points_reason(consequence_id: str, plan: Planned) -> str:
    """The reason of the points a consequence implies: the consequence and its cause, in words."""
    return f"挂钩结果 {consequence_id}（{KIND_LABELS[plan.kind]}，规则 {plan.rule}）：{cause_words(plan.causes)}"


def read_day(text: str, context: c.Context) -> date:
    try:
        day = date.fromisoformat(normalise(text))
    except ValueError:
        raise InvalidCommand.of("on", "iso_date", f"on 必须是日期，如 2024-06-30，收到“{text[:40]}”") from None
    if context.recorded_at is not None and day > context.recorded_at.astimezone(CHINA).date():
        raise InvalidCommand.of("on", "not_future", "on 不能晚于今天（北京时间）：逾期与否要到那一天才知道")
    return day


def plan_consequences(book: CountyYear, report: IssuedReport, on: date) -> list[Planned]:
    """What the scheme's rules give for the latest report and the items as they stand on ``on``."""
    rules = book.scheme.consequences
    planned: list[Planned] = []
    serious = [problem for problem in report.problems if problem.get("serious")]
    rule = grade_rule(rules, report.grade, bool(serious))
    if rule is not None:
        causes = report_causes(report, serious if rule.serious_problem else [])
        planned.append(Planned(rule.code, rule.kind, causes, rule.points, rule.category))
    items = list(book.rectification.values())
    for item_rule in rules.by_rectification:
        if item_rule.outcome == "overdue":
            for item in items:
                if overdue(item, on):
                    causes = {"on": on.isoformat(), "items": [item_causes(item)]}
                    planned.append(
                        Planned(item_rule.code, item_rule.kind, causes, item_rule.points, item_rule.category)
                    )
        elif items and all(verified_on_time(item) for item in items):
            causes = {"on": on.isoformat(), "items": [item_causes(item) for item in items]}
            planned.append(Planned(item_rule.code, item_rule.kind, causes, item_rule.points, item_rule.category))
    return planned


def grade_rule(rules: ConsequenceRules, grade: str | None, serious: bool) -> ReportConsequenceRule | None:
    """The first ``by_report`` rule that matches a grade and whether a serious problem was found:
    it gives the one consequence of a county's report or of a town's result (004 八)."""
    for rule in rules.by_report:
        if (not rule.grades or grade in rule.grades) and (serious or not rule.serious_problem):
            return rule
    return None


def overdue(item: RectificationItem, on: date) -> bool:
    """Not verified by its deadline, and the deadline has passed on ``on``."""
    return on.isoformat() > item.deadline and not verified_on_time(item)  # ISO days compare as text


def verified_on_time(item: RectificationItem) -> bool:
    return item.verified_on is not None and item.verified_on <= item.deadline


def report_causes(report: IssuedReport, serious: list[dict[str, Any]]) -> dict[str, Any]:
    causes: dict[str, Any] = {
        "report_id": report.id,
        "as_of": report.as_of.astimezone(CHINA).isoformat(),  # in Beijing time, as shown
        "grade": report.grade,
        "total": two_places(report.total),  # as the report shows it
    }
    if serious:
        causes["serious_problems"] = [
            {"id": str(p.get("id", "")), "indicator": str(p.get("indicator", "")), "title": str(p.get("title", ""))}
            for p in serious
        ]
    return causes


def item_causes(item: RectificationItem) -> dict[str, Any]:
    """An item as a cause: its id, deadline, outcome and the stream versions of its raising
    and its inspections (the events an auditor can open)."""
    return {
        "id": item.id,
        "deadline": item.deadline,
        "status": item.status,
        "verified_on": item.verified_on,
        "report_id": item.report_id,
        "raised_version": item.steps[0].version if item.steps else None,
        "inspection_versions": [step.version for step in item.steps if step.kind in ("verified", "rejected")],
    }


def cause_words(causes: dict[str, Any]) -> str:
    """A consequence's causes in Chinese, for the reason of its points and for pages."""
    if "items" in causes:
        items = causes["items"]
        if len(items) == 1 and not verified_on_time_text(items[0]):
            item = items[0]
            done = (
                f"，{item['verified_on']} 才销号" if item.get("verified_on") else "，截至 " + causes["on"] + " 未销号"
            )
            return f"整改事项 {item['id']} 逾期（期限 {item['deadline']}{done}）"
        return f"整改事项 {'、'.join(item['id'] for item in items)} 全部按期销号"
    as_of = datetime.fromisoformat(causes["as_of"]).astimezone(CHINA).date().isoformat()  # the Beijing day
    words = f"{causes['report_id']} 号评估报告（截至 {as_of}）总分 {causes['total']}，等级{causes['grade']}"
    serious = causes.get("serious_problems") or []
    if serious:
        words += f"，突出问题 {len(serious)} 个：" + "；".join(p["title"] for p in serious)
    earlier = causes.get("earlier")
    if earlier:
        label = KIND_LABELS.get(earlier["kind"], earlier["kind"])
        words += f"（此前 {earlier['report_id']} 号评估报告认定的 {earlier['consequence_id']}“{label}”随之更新）"
    return words


def two_places(value: Decimal) -> str:
    return f"{value.quantize(CENT, rounding=ROUND_HALF_UP):f}"


def verified_on_time_text(item: dict[str, Any]) -> bool:
    verified = item.get("verified_on")
    return verified is not None and verified <= item["deadline"]


def check_points_year(county: County, book: CountyYear, planned: list[Planned]) -> CountyYear | None:
    """The next year's book for the points the consequences imply, checked before anything
    is recorded: it exists, is open, and has the rule's category with the right sign."""
    with_points = [plan for plan in planned if plan.points is not None]
    if not with_points:
        return None
    year = book.scheme.year + 1
    next_book = county.years.get(str(year))
    if next_book is None:
        raise ConflictError.of(
            "year",
            "next_year_scheme",
            f"挂钩规则 {with_points[0].rule} 要在 {year} 年度加减分，但{county.name}尚未采用 {year} 年度的评估方案："
            f"请先采用该年度方案，再认定挂钩结果",
        )
    county_checks.check_year_open(next_book)
    for plan in with_points:
        assert plan.points is not None
        category = next_book.indicators.get(plan.category)
        wanted = "bonus" if plan.points > 0 else "penalty"
        if (
            category is None
            or category.kind != "bonus_penalty"
            or category.retired
            or category.sign not in ("", wanted)
        ):
            raise InvalidCommand.of(
                "category",
                "known_category",
                f"挂钩规则 {plan.rule} 的加减分类别“{plan.category}”不是 {year} 年度方案中的"
                f"{SIGN_LABELS[wanted]}类别：请在方案中设立该类别，或修改挂钩规则",
            )
        check_points(next_book, plan.points, plan.category)
    return next_book
