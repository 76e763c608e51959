"""Reading the ``report`` section of a scheme document (``domain.report_rules``): every
problem found is collected with its path, so a draft is fixed in one pass."""

from __future__ import annotations

import string
from decimal import Decimal
from typing import Any

from domain.decimals import HUNDRED, ZERO, to_decimal
from domain.monitoring_rules import Collects
from domain.report_rules import (
    KIND_LABELS,
    KIND_SIDES,
    MAX_FINDINGS,
    MAX_RULES,
    MAX_TEMPLATE,
    RULE_CODE_PATTERN,
    RULE_KINDS,
    SCOPES,
    SIDE_LABELS,
    SIDES,
    FindingCount,
    ReportRule,
    ReportRules,
    placeholders,
    threshold_key,
    usual_report_rules,
)


def read_report_rules(check: Collects, raw: Any) -> ReportRules:
    """The ``report`` section; absent, the usual rules."""
    if raw is None:
        return ReportRules()
    if not isinstance(raw, dict):
        check.add("report", "object", "report 必须是对象，含 highlights、problems 和 rules")
        return ReportRules()
    unknown = sorted(set(raw) - {"highlights", "problems", "rules"})
    if unknown:
        check.add("report", "known_fields", f"report 只能有 highlights、problems 和 rules，收到 {'、'.join(unknown)}")
    rules = ReportRules(
        highlights=_read_count(check, raw.get("highlights"), "report.highlights"),
        problems=_read_count(check, raw.get("problems"), "report.problems"),
    )
    if "rules" in raw:
        rules.rules = _read_rules(check, raw.get("rules"))
    for side in SIDES:
        if not any(rule.side == side for rule in rules.rules):
            check.add(
                "report.rules", "both_sides", f"report.rules 必须至少有一条{SIDE_LABELS[side]}规则（side 为 {side}）"
            )
    return rules


def _read_count(check: Collects, raw: Any, path: str) -> FindingCount:
    if raw is None:
        return FindingCount()
    if not isinstance(raw, dict):
        check.add(path, "object", f'{path} 必须是对象，如 {{"min": 3, "max": 5}}')
        return FindingCount()
    bounds = FindingCount()
    for name in ("min", "max"):
        value = raw.get(name, getattr(bounds, name))
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_FINDINGS:
            check.add(f"{path}.{name}", "count", f"{path}.{name} 必须是 0 至 {MAX_FINDINGS} 之间的整数，收到 {value!r}")
            continue
        setattr(bounds, name, value)
    if bounds.min > bounds.max:
        check.add(path, "ordered", f"{path} 的 min（{bounds.min}）大于 max（{bounds.max}）")
    if bounds.max == 0:
        check.add(f"{path}.max", "positive", f"{path}.max 必须大于 0")
    return bounds


def _read_rules(check: Collects, raw: Any) -> list[ReportRule]:
    if not isinstance(raw, list) or not raw or len(raw) > MAX_RULES:
        check.add("report.rules", "list", f"report.rules 必须列出 1 至 {MAX_RULES} 条规则")
        return usual_report_rules()
    rules: list[ReportRule] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        path = f"report.rules[{index}]"
        rule = _read_rule(check, item, path)
        if rule is None:
            continue
        if rule.code in seen:
            check.add(f"{path}.code", "unique_code", f"报告规则编号“{rule.code}”重复")
            continue
        seen.add(rule.code)
        rules.append(rule)
    return rules


def _read_rule(check: Collects, item: Any, path: str) -> ReportRule | None:
    if not isinstance(item, dict):
        check.add(path, "object", f"{path} 必须是对象")
        return None
    code = item.get("code")
    if not isinstance(code, str) or not RULE_CODE_PATTERN.match(code):
        check.add(
            f"{path}.code",
            "pattern",
            f"{path}.code 必须填写，只能由字母、数字、点、下划线和连字符组成（至多 32 个字符）",
        )
        return None
    side, kind = item.get("side"), item.get("kind")
    if side not in SIDES:
        check.add(f"{path}.side", "one_of", f"{path}.side 只能是 highlight（亮点）或 problem（问题），收到 {side!r}")
        return None
    if kind not in RULE_KINDS:
        known = "、".join(f"{k}（{KIND_LABELS[k]}）" for k in RULE_KINDS)
        check.add(f"{path}.kind", "one_of", f"{path}.kind 只能是 {known} 之一，收到 {kind!r}")
        return None
    if side not in KIND_SIDES[kind]:
        only = KIND_SIDES[kind][0]
        check.add(
            f"{path}.side",
            "kind_side",
            f"{path}：{kind}（{KIND_LABELS[kind]}）规则只能用于{SIDE_LABELS[only]}（side 为 {only}）",
        )
        return None
    rule = ReportRule(code=code, side=side, kind=kind, threshold=ZERO, title="")
    allowed = ["code", "side", "kind", threshold_key(rule), "title"]
    allowed += ["advice", "serious"] if side == "problem" else []
    allowed += ["scope"] if kind in ("rank_top", "rank_bottom") else []
    refuse_unknown_fields(check, item, path, allowed, ("advice", "serious", "scope"))
    rule.threshold = _read_threshold(check, item.get(threshold_key(rule)), f"{path}.{threshold_key(rule)}", rule)
    rule.title = _read_template(check, item.get("title"), f"{path}.title", kind, required=True)
    if side == "problem":
        rule.advice = _read_template(check, item.get("advice"), f"{path}.advice", kind, required=True)
        serious = item.get("serious", False)
        if not isinstance(serious, bool):
            check.add(f"{path}.serious", "boolean", f"{path}.serious 必须是 true 或 false，收到 {serious!r}")
        else:
            rule.serious = serious
    else:
        for name in ("advice", "serious"):
            if name in item:
                check.add(f"{path}.{name}", "problem_only", f"{path}.{name} 只用于问题规则（side 为 problem）")
    if kind in ("rank_top", "rank_bottom"):
        scope = item.get("scope", "all")
        if scope not in SCOPES:
            check.add(
                f"{path}.scope", "one_of", f"{path}.scope 只能是 all（全部县）或 region（本区域），收到 {scope!r}"
            )
        else:
            rule.scope = scope
    elif "scope" in item:
        check.add(f"{path}.scope", "rank_only", f"{path}.scope 只用于 rank_top 和 rank_bottom 规则")
    return rule


def refuse_unknown_fields(
    check: Collects, item: dict[str, Any], path: str, allowed: list[str], elsewhere: tuple[str, ...] = ()
) -> None:
    """Each key of ``item`` not in ``allowed`` (nor in ``elsewhere``: refused with a message of
    their own) refused with its path: a mistyped key (serios, grade) would otherwise be ignored
    and its rule read with the default."""
    for name in sorted(set(item) - set(allowed) - set(elsewhere)):
        check.add(f"{path}.{name}", "known_fields", f"{path} 中的字段“{name}”不认识：可用的字段为 {'、'.join(allowed)}")


def _read_threshold(check: Collects, raw: Any, path: str, rule: ReportRule) -> Decimal:
    if rule.kind in ("attainment", "gap_to_region_best"):
        try:
            value = to_decimal(raw) if raw is not None and not isinstance(raw, bool) else Decimal("NaN")
        except ValueError:
            value = Decimal("NaN")
        fits = value.is_finite() and (value >= 0 if rule.kind == "attainment" else value > 0) and value <= HUNDRED
        if not fits:
            bound = " 0 至 100 之间" if rule.kind == "attainment" else "大于 0、不超过 100"
            check.add(path, "percent", f"{path} 必须是{bound}的百分数，收到 {raw!r}")
            return ZERO
        return value
    if not isinstance(raw, int) or isinstance(raw, bool) or not 1 <= raw <= 1000:
        check.add(path, "whole_number", f"{path} 必须是 1 至 1000 之间的整数，收到 {raw!r}")
        return ZERO
    return Decimal(raw)


def _read_template(check: Collects, raw: Any, path: str, kind: str, *, required: bool) -> str:
    if raw is None or raw == "":
        if required:
            check.add(path, "required", f"{path} 必须填写")
        return ""
    if not isinstance(raw, str):
        check.add(path, "string", f"{path} 必须是文本")
        return ""
    text = raw.strip()
    if len(text) > MAX_TEMPLATE:
        check.add(path, "max_length", f"{path} 不能超过 {MAX_TEMPLATE} 个字，收到 {len(text)} 个字")
        return ""
    problem = template_problem(text, kind)
    if problem:
        check.add(path, "placeholders", f"{path} {problem}")
        return ""
    return text


def template_problem(text: str, kind: str) -> str:
    """Why a template cannot be filled for a kind, in words; "" when it can."""
    allowed = placeholders(kind)
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:
        return "的花括号不成对：占位符写作 {name}，字面的花括号写作 {{ 或 }}"
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in allowed or spec or conversion:
            listed = "、".join("{" + item + "}" for item in allowed)
            return f"含有不认识的占位符 {{{name}}}：{kind} 规则可用的占位符为 {listed}"
    return ""
