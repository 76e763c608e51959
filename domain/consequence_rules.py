"""A scheme's rules for the link to reward and penalty (一挂钩), the ``consequences`` section.

Two ordered lists (ADR 26):

- ``by_report``: rules on the grade of the year's latest issued report and whether it
  found a serious problem (突出问题). The first rule that matches gives the report's one
  consequence. The usual rules follow ``004`` 八: 较差 with a serious problem → interview
  of the principal; 一般 (and 较差) → interview of the deputy in charge; a serious problem
  → interview of the deputy; 好/较好 → commendation.
- ``by_rectification``: rules on the outcome of the year's rectification items. ``overdue``
  gives one consequence per item not verified by its deadline (usual: 2 penalty points in
  the next year's evaluation under the penalty category ``P1``); ``all_verified_on_time``
  one consequence once every item is verified by its deadline (usual: commendation).

Points are recorded in the next year's book under a bonus/penalty category of that year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from domain.decimals import CENT, ZERO, plain, to_decimal
from domain.monitoring_rules import Collects
from domain.report_rules_reading import refuse_unknown_fields

CONSEQUENCE_KINDS = ("commendation", "interview_deputy", "interview_principal", "penalty_points", "bonus_points")
POINTS_KINDS = ("penalty_points", "bonus_points")
OUTCOMES = ("overdue", "all_verified_on_time")
OUTCOME_LABELS = {"overdue": "整改事项逾期未销号", "all_verified_on_time": "整改事项全部按期销号"}
RULE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$")
MAX_RULES = 30


@dataclass
class ReportConsequenceRule:
    """A consequence of the latest report: for one of ``grades`` (any when empty), and,
    when ``serious_problem``, only if the report found a serious problem."""

    code: str
    kind: str
    grades: list[str] = field(default_factory=list)
    serious_problem: bool = False
    points: Decimal | None = None
    category: str = ""


@dataclass
class RectificationConsequenceRule:
    """A consequence of the rectification outcome (``overdue`` per item, or ``all_verified_on_time``)."""

    code: str
    outcome: str
    kind: str
    points: Decimal | None = None
    category: str = ""


def usual_report_consequences() -> list[ReportConsequenceRule]:
    return [
        ReportConsequenceRule("G1", "interview_principal", ["较差"], serious_problem=True),
        ReportConsequenceRule("G2", "interview_deputy", ["一般", "较差"]),
        ReportConsequenceRule("G3", "interview_deputy", [], serious_problem=True),
        ReportConsequenceRule("G4", "commendation", ["好", "较好"]),
    ]


def usual_rectification_consequences() -> list[RectificationConsequenceRule]:
    return [
        RectificationConsequenceRule("Z1", "overdue", "penalty_points", Decimal(-2), "P1"),
        RectificationConsequenceRule("Z2", "all_verified_on_time", "commendation"),
    ]


@dataclass
class ConsequenceRules:
    by_report: list[ReportConsequenceRule] = field(default_factory=usual_report_consequences)
    by_rectification: list[RectificationConsequenceRule] = field(default_factory=usual_rectification_consequences)


# --------------------------------------------------------------------- reading


def read_consequence_rules(check: Collects, raw: Any, grades: list[str]) -> ConsequenceRules:
    """The ``consequences`` section; absent, the usual rules. ``grades``: the scheme's labels."""
    if raw is None:
        return ConsequenceRules()
    if not isinstance(raw, dict):
        check.add("consequences", "object", "consequences 必须是对象，含 by_report 和 by_rectification")
        return ConsequenceRules()
    unknown = sorted(set(raw) - {"by_report", "by_rectification"})
    if unknown:
        check.add(
            "consequences",
            "known_fields",
            f"consequences 只能有 by_report 和 by_rectification，收到 {'、'.join(unknown)}",
        )
    rules = ConsequenceRules()
    seen: set[str] = set()
    if "by_report" in raw:
        rules.by_report = []
        for index, item in _items(check, raw["by_report"], "consequences.by_report"):
            path = f"consequences.by_report[{index}]"
            refuse_unknown_fields(
                check, item, path, ["code", "kind", "grades", "serious_problem", "points", "category"]
            )
            base = _read_base(check, item, path, seen)
            if base is None:
                continue
            code, kind, points, category = base
            rule = ReportConsequenceRule(code, kind, points=points, category=category)
            rule.grades = _read_grades(check, item.get("grades"), f"{path}.grades", grades)
            serious = item.get("serious_problem", False)
            if not isinstance(serious, bool):
                check.add(f"{path}.serious_problem", "boolean", f"{path}.serious_problem 必须是 true 或 false")
            else:
                rule.serious_problem = serious
            rules.by_report.append(rule)
    if "by_rectification" in raw:
        rules.by_rectification = []
        for index, item in _items(check, raw["by_rectification"], "consequences.by_rectification"):
            path = f"consequences.by_rectification[{index}]"
            refuse_unknown_fields(check, item, path, ["code", "outcome", "kind", "points", "category"])
            outcome = item.get("outcome")
            if outcome not in OUTCOMES:
                listed = "、".join(f"{o}（{OUTCOME_LABELS[o]}）" for o in OUTCOMES)
                check.add(f"{path}.outcome", "one_of", f"{path}.outcome 只能是 {listed} 之一，收到 {outcome!r}")
                continue
            base = _read_base(check, item, path, seen)
            if base is not None:
                code, kind, points, category = base
                rules.by_rectification.append(RectificationConsequenceRule(code, outcome, kind, points, category))
    return rules


def _items(check: Collects, raw: Any, path: str) -> list[tuple[int, dict[str, Any]]]:
    if not isinstance(raw, list) or len(raw) > MAX_RULES:
        check.add(path, "list", f"{path} 必须是至多 {MAX_RULES} 条规则的列表")
        return []
    items = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            check.add(f"{path}[{index}]", "object", f"{path}[{index}] 必须是对象")
        else:
            items.append((index, item))
    return items


def _read_base(
    check: Collects, item: dict[str, Any], path: str, seen: set[str]
) -> tuple[str, str, Decimal | None, str] | None:
    code, kind = item.get("code"), item.get("kind")
    if not isinstance(code, str) or not RULE_CODE.match(code):
        check.add(f"{path}.code", "pattern", f"{path}.code 必须填写，只能由字母、数字、点、下划线和连字符组成")
        return None
    if code in seen:
        check.add(f"{path}.code", "unique_code", f"挂钩规则编号“{code}”重复")
        return None
    seen.add(code)
    if kind not in CONSEQUENCE_KINDS:
        check.add(f"{path}.kind", "one_of", f"{path}.kind 只能是 {'、'.join(CONSEQUENCE_KINDS)} 之一，收到 {kind!r}")
        return None
    if kind not in POINTS_KINDS:
        for name in ("points", "category"):
            if item.get(name) is not None:
                check.add(f"{path}.{name}", "points_only", f"{path}.{name} 只用于 penalty_points 和 bonus_points")
        return code, kind, None, ""
    points = _read_points(check, item.get("points"), f"{path}.points", kind)
    category = item.get("category")
    if not isinstance(category, str) or not category.strip():
        check.add(f"{path}.category", "required", f"{path}.category 必须填写下一年度方案中的加减分类别编号（如 P1）")
        category = ""
    return code, kind, points, category.strip()


def _read_points(check: Collects, raw: Any, path: str, kind: str) -> Decimal | None:
    try:
        points = to_decimal(raw) if raw is not None else None
    except ValueError:
        points = None
    if points is None or not points.is_finite():
        check.add(path, "number", f"{path} 必须是数字（扣分为负数，如 -2），收到 {raw!r}")
        return None
    wanted_negative = kind == "penalty_points"
    if points == ZERO or (points < 0) != wanted_negative:
        words = "负数（如 -2）" if wanted_negative else "正数（如 1）"
        check.add(path, "points_sign", f"{path}：{kind} 的分值必须是{words}，收到 {plain(points)}")
        return None
    if points != points.quantize(CENT) or abs(points) > 100:
        check.add(path, "points_range", f"{path} 最多两位小数、绝对值不超过 100，收到 {plain(points)}")
        return None
    return points


def _read_grades(check: Collects, raw: Any, path: str, grades: list[str]) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        check.add(path, "list", f'{path} 必须是等级名称的列表，如 ["好", "较好"]')
        return []
    unknown = [item for item in raw if item not in grades]
    if unknown and grades:
        check.add(
            path, "known_grade", f"{path} 中的等级 {'、'.join(unknown)} 不在方案的 grades（{'、'.join(grades)}）中"
        )
    return list(raw)


# --------------------------------------------------------------------- writing


def consequence_rules_document(rules: ConsequenceRules) -> dict[str, Any]:
    def points(rule: ReportConsequenceRule | RectificationConsequenceRule) -> dict[str, Any]:
        return {"points": rule.points, "category": rule.category} if rule.kind in POINTS_KINDS else {}

    return {
        "by_report": [
            {
                "code": r.code,
                "kind": r.kind,
                "grades": list(r.grades),
                "serious_problem": r.serious_problem,
                **points(r),
            }
            for r in rules.by_report
        ],
        "by_rectification": [
            {"code": r.code, "outcome": r.outcome, "kind": r.kind, **points(r)} for r in rules.by_rectification
        ],
    }


def describe_report_rule(rule: ReportConsequenceRule) -> str:
    grades = "、".join(rule.grades) if rule.grades else "任何等级"
    return f"报告等级为{grades}" + ("且有突出问题" if rule.serious_problem else "")
