"""Reading a scheme document: typed values, or a refusal listing *every* problem found,
so that the centre can fix a draft in one pass. The document format is in
``tests/example_scheme.json`` and ``docs/scheme-format.md``."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from domain.consequence_rules import read_consequence_rules
from domain.decimals import HUNDRED, ONE, ZERO, plain
from domain.errors import Collector, InvalidCommand, read_list
from domain.inputs import NUL_WORDS, nul_path
from domain.monitoring_rules import read_checks, read_warning_rules
from domain.report_rules_reading import read_report_rules
from domain.scheme import (
    AGGREGATES,
    AUTHORITIES,
    AUTHORITY_LABELS,
    CODE_PATTERN,
    COMPONENT_AGGREGATES,
    DIRECTIONS,
    FREQUENCIES,
    ID_PATTERN,
    KINDS,
    METHODS,
    SIGNS,
    TOTAL,
    Band,
    Component,
    Composite,
    CompositeInput,
    CountyAdjustable,
    Deadlines,
    Grade,
    IndicatorDef,
    Method,
    Scheme,
    default_authorities,
)
from domain.scheme_rules import adjustable_problems, composite_problems, tree_problems
from domain.verification_rules import OBJECTS, read_verification_rules, verification_problems


def read_published_document(document: Any) -> Scheme:
    """A document sent to be published (API body or uploaded file): no text holds U+0000
    (ADR 17), then ``parse_scheme``. One rule for every door a scheme comes in by."""
    inside = nul_path(document)
    if inside is not None:
        raise InvalidCommand.of(inside, "no_nul", f"{inside} {NUL_WORDS}")
    return parse_scheme(document)


def parse_scheme(document: Any) -> Scheme:
    """Reads and validates a scheme document; refuses it with every problem found."""
    check = Collector()
    if not isinstance(document, dict):
        raise InvalidCommand.of("scheme", "object", "评估方案必须是一个 JSON 对象")
    scheme_id = check.text(document.get("id"), "id")
    if scheme_id and not ID_PATTERN.match(scheme_id):
        check.add("id", "pattern", f"方案编号“{scheme_id}”只能由字母、数字、点、下划线和连字符组成")
    year = _read_year(check, document.get("year"))
    scheme = Scheme(
        id=scheme_id,
        name=check.text(document.get("name"), "name"),
        year=year,
        grades=_read_grades(check, document.get("grades")),
        bonus_cap=_read_cap(check, document.get("bonus_cap"), "bonus_cap"),
        penalty_cap=_read_cap(check, document.get("penalty_cap"), "penalty_cap"),
        deadlines=_read_deadlines(check, document.get("deadlines")),
        checks=read_checks(check, document.get("checks")),
        warnings=read_warning_rules(check, document.get("warnings")),
        indicators=_read_indicators(check, document.get("indicators")),
        composite_inputs=_read_inputs(check, document.get("composite_inputs")),
        authorities=_read_authorities(check, document.get("authorities")),
    )
    scheme.composites = _read_composites(check, document.get("composites"))
    scheme.report = read_report_rules(check, document.get("report"))
    grades = [grade.label for grade in scheme.grades]
    scheme.consequences = read_consequence_rules(check, document.get("consequences"), grades)
    scheme.object = check.choice(document.get("object"), "object", OBJECTS, "county")
    scheme.verification = read_verification_rules(check, document.get("verification"), scheme.object)
    check.problems.extend(tree_problems(scheme.indicators, sheets=scheme.object == "town"))
    check.problems.extend(composite_problems(scheme))
    check.problems.extend(verification_problems(scheme))
    check.problems.extend(adjustable_problems(scheme.indicators))
    if check.problems:
        raise InvalidCommand(check.problems)
    return scheme


def _read_year(check: Collector, raw: Any) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool) or not 2000 <= raw <= 2100:
        check.add("year", "year", f"year 必须是 2000 至 2100 之间的整数，收到 {raw!r}")
        return 0
    return raw


def _read_cap(check: Collector, raw: Any, path: str) -> Decimal:
    value = check.number(raw, path, required=False)
    if value is None:
        return ZERO
    if value < 0 or value > HUNDRED:
        check.add(path, "range", f"{path} 必须在 0 到 100 之间，收到 {plain(value)}")
    return value


def _read_authorities(check: Collector, raw: Any) -> list[str]:
    """Whose results prevail, highest first: known authorities, each once."""
    if raw is None:
        return default_authorities()
    if not isinstance(raw, list) or not raw:
        check.add("authorities", "list", "authorities 必须是由高到低排列的权限列表，如 province、city、centre、county")
        return default_authorities()
    known = "、".join(f"{code}（{AUTHORITY_LABELS[code]}）" for code in AUTHORITIES)
    order: list[str] = []
    for index, item in enumerate(raw):
        path = f"authorities[{index}]"
        if item not in AUTHORITIES:
            check.add(path, "one_of", f"{path} 只能是 {known} 之一，收到 {item!r}")
        elif item in order:
            check.add(path, "unique", f"权限“{item}”（{AUTHORITY_LABELS[item]}）在 authorities 中重复出现")
        else:
            order.append(item)
    return order


def _read_grades(check: Collector, raw: Any) -> list[Grade]:
    refusal = ("required", "grades 必须列出至少一个等级")
    grades = read_list(check, raw, "grades", _read_grade, refusal=refusal, non_empty=True)
    grades.sort(key=lambda grade: grade.min, reverse=True)
    mins = [grade.min for grade in grades]
    if len(set(mins)) != len(mins):
        check.add("grades", "unique", "grades 中各等级的下限不能重复")
    if grades and grades[-1].min != ZERO:
        check.add("grades", "covers_zero", "grades 必须有一个下限为 0 的等级，使任何得分都有等级")
    return grades


def _read_grade(check: Collector, item: dict[str, Any], path: str) -> Grade | None:
    label = check.text(item.get("label"), f"{path}.label")
    minimum = check.number(item.get("min"), f"{path}.min")
    if minimum is not None and not ZERO <= minimum <= HUNDRED:
        check.add(f"{path}.min", "range", f"{path}.min 必须在 0 到 100 之间")
    return Grade(label, minimum) if label and minimum is not None else None


def _read_deadlines(check: Collector, raw: Any) -> Deadlines:
    deadlines = Deadlines()
    if raw is None:
        return deadlines
    if not isinstance(raw, dict):
        check.add("deadlines", "object", "deadlines 必须是对象")
        return deadlines
    for name in ("monthly_due_day", "quarterly_due_day"):
        value = raw.get(name, getattr(deadlines, name))
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 28:
            check.add(f"deadlines.{name}", "day", f"deadlines.{name} 必须是 1 至 28 之间的整数")
        else:
            setattr(deadlines, name, value)
    annual = raw.get("annual_due", deadlines.annual_due)
    if not isinstance(annual, str) or not re.match(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", annual):
        check.add("deadlines.annual_due", "month_day", "deadlines.annual_due 必须形如 01-31")
    else:
        deadlines.annual_due = annual
    return deadlines


def _read_indicators(check: Collector, raw: Any) -> list[IndicatorDef]:
    refusal = ("required", "indicators 必须列出至少一个指标")
    return read_list(check, raw, "indicators", _read_listed_indicator, refusal=refusal, non_empty=True)


def _read_listed_indicator(check: Collector, item: dict[str, Any], path: str) -> IndicatorDef | None:
    indicator = read_indicator(check, item, path)
    # A scheme says of every category whether it adds or deducts; categories of schemes
    # stored before it had to (sign "") keep taking either sign (ADR 19).
    if indicator is not None and indicator.kind == "bonus_penalty" and item.get("sign") is None:
        check.add(
            f"{path}.sign",
            "required",
            f"加减分类指标“{indicator.code} {indicator.name}”必须标明 sign：bonus（加分项）或 penalty（减分项）",
        )
    return indicator


def read_indicator(check: Collector, item: Any, path: str) -> IndicatorDef | None:
    """Reads one indicator definition (used by schemes and county-specific indicators)."""
    if not isinstance(item, dict):
        check.add(path, "object", f"{path} 必须是对象")
        return None
    code = check.text(item.get("code"), f"{path}.code")
    if code and (not CODE_PATTERN.match(code) or code == TOTAL):
        check.add(
            f"{path}.code",
            "pattern",
            f"指标编号“{code}”不合法：只能由字母、数字、点、下划线和连字符组成，且不能是 total",
        )
    parent = item.get("parent")
    if parent is not None and not isinstance(parent, str):
        check.add(f"{path}.parent", "string", f"{path}.parent 必须是上级指标的编号")
        parent = None
    kind = check.choice(item.get("kind"), f"{path}.kind", KINDS, "common")
    weight = check.number(item.get("weight", 0 if kind == "bonus_penalty" else None), f"{path}.weight")
    if weight is not None and weight < 0:
        check.add(f"{path}.weight", "non_negative", f"{path}.weight 不能为负数")
    direction = check.choice(item.get("direction"), f"{path}.direction", DIRECTIONS, "higher_better")
    indicator = IndicatorDef(
        code=code,
        name=check.text(item.get("name"), f"{path}.name"),
        parent=parent or None,
        weight=weight if weight is not None else ZERO,
        kind=kind,
        unit=check.text(item.get("unit"), f"{path}.unit", required=False),
        direction=direction,
        method=_read_method(check, item.get("method"), f"{path}.method", direction),
        frequency=check.choice(item.get("frequency"), f"{path}.frequency", FREQUENCIES, "annual"),
        aggregate=check.choice(item.get("aggregate"), f"{path}.aggregate", AGGREGATES, "latest"),
        range=_read_range(check, item.get("range"), f"{path}.range"),
        county_adjustable=_read_adjustable(check, item.get("county_adjustable"), f"{path}.county_adjustable"),
    )
    indicator.sign = _read_sign(check, item.get("sign"), f"{path}.sign", kind)
    if kind == "bonus_penalty" and indicator.weight != 0:
        check.add(f"{path}.weight", "bonus_penalty_unweighted", f"加减分类指标“{code}”不参与权重分配，weight 必须为 0")
    return indicator


def _read_sign(check: Collector, raw: Any, path: str, kind: str) -> str:
    if raw is None:
        return ""
    if kind != "bonus_penalty":
        check.add(path, "bonus_penalty_only", f"{path} 只用于加减分类指标（kind 为 bonus_penalty）")
        return ""
    if raw not in SIGNS:
        check.add(path, "one_of", f"{path} 只能是 bonus（加分项）或 penalty（减分项），收到 {raw!r}")
        return ""
    return str(raw)


def _read_range(check: Collector, raw: Any, path: str) -> list[Decimal] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or len(raw) != 2:
        check.add(path, "pair", f"{path} 必须是 [最小值, 最大值]")
        return None
    low = check.number(raw[0], f"{path}[0]")
    high = check.number(raw[1], f"{path}[1]")
    if low is None or high is None:
        return None
    if low > high:
        check.add(path, "ordered", f"{path} 的最小值 {plain(low)} 大于最大值 {plain(high)}")
        return None
    return [low, high]


def _read_method(check: Collector, raw: Any, path: str, direction: str) -> Method | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        check.add(path, "object", f"{path} 必须是对象")
        return None
    method_type = check.choice(raw.get("type"), f"{path}.type", METHODS, "")
    if not method_type:
        if raw.get("type") is None:
            check.add(f"{path}.type", "required", f"{path}.type 必须填写（attainment、threshold 或 manual）")
        return None
    method = Method(type=method_type)
    if method_type == "attainment":
        method.target = check.number(raw.get("target"), f"{path}.target")
        method.baseline = check.number(raw.get("baseline"), f"{path}.baseline", required=False)
        _check_attainment(check, method, path, direction)
    elif method_type == "threshold":
        method.bands = _read_bands(check, raw.get("bands"), f"{path}.bands")
    return method


def _check_attainment(check: Collector, method: Method, path: str, direction: str) -> None:
    target, baseline = method.target, method.baseline
    if target is None:
        return
    if baseline is None:
        if target <= 0:
            check.add(f"{path}.target", "positive", f"{path}.target 没有基期值时必须大于 0")
        return
    better = target > baseline if direction == "higher_better" else target < baseline
    if not better:
        relation = "大于" if direction == "higher_better" else "小于"
        check.add(
            f"{path}.target",
            "beyond_baseline",
            f"{path}.target（{plain(target)}）必须{relation}基期值 baseline（{plain(baseline)}）",
        )


def _read_bands(check: Collector, raw: Any, path: str) -> list[Band]:
    refusal = ("required", f"{path} 阈值法必须列出至少一个分档")
    bands = read_list(check, raw, path, _read_band, refusal=refusal, non_empty=True)
    if len({band.min is None for band in bands}) > 1:
        check.add(path, "same_bound", f"{path} 各分档必须统一使用 min 或统一使用 max")
    bounds = [band.min if band.min is not None else band.max for band in bands]
    if len(set(bounds)) != len(bounds):
        check.add(path, "unique", f"{path} 各分档的界值不能重复")
    # Higher bands first for "min", lower bands first for "max": the first match wins.
    bands.sort(key=lambda band: band.min if band.min is not None else -band.max, reverse=True)  # type: ignore[operator]
    return bands


def _read_band(check: Collector, item: dict[str, Any], path: str) -> Band | None:
    f = check.number(item.get("f"), f"{path}.f")
    if f is not None and not ZERO <= f <= ONE:
        check.add(f"{path}.f", "fraction", f"{path}.f 必须在 0 到 1 之间")
    low = check.number(item.get("min"), f"{path}.min", required=False)
    high = check.number(item.get("max"), f"{path}.max", required=False)
    if (low is None) == (high is None):
        check.add(path, "one_bound", f"{path} 必须只给出 min 或 max 其中之一")
        return None
    return Band(f=f, min=low, max=high) if f is not None else None


def _read_inputs(check: Collector, raw: Any) -> list[CompositeInput]:
    refusal = ("list", "composite_inputs 必须是列表")
    return read_list(check, raw, "composite_inputs", _read_input, refusal=refusal, optional=True)


def _read_input(check: Collector, item: dict[str, Any], path: str) -> CompositeInput:
    return CompositeInput(
        code=check.text(item.get("code"), f"{path}.code"),
        name=check.text(item.get("name"), f"{path}.name"),
        many=bool(item.get("many", False)),
    )


def _read_composites(check: Collector, raw: Any) -> list[Composite]:
    refusal = ("list", "composites 必须是列表")
    return read_list(check, raw, "composites", _read_composite, refusal=refusal, optional=True)


def _read_composite(check: Collector, item: dict[str, Any], path: str) -> Composite:
    refusal = ("required", f"{path}.components 必须列出至少一项")
    components = read_list(
        check, item.get("components"), f"{path}.components", _read_component, refusal=refusal, non_empty=True
    )
    return Composite(
        code=check.text(item.get("code"), f"{path}.code"),
        name=check.text(item.get("name"), f"{path}.name"),
        components=components,
    )


def _read_component(check: Collector, item: dict[str, Any], path: str) -> Component:
    weight = check.number(item.get("weight"), f"{path}.weight")
    return Component(
        source=check.text(item.get("source"), f"{path}.source"),
        weight=weight if weight is not None else ZERO,
        aggregate=check.choice(item.get("aggregate"), f"{path}.aggregate", COMPONENT_AGGREGATES, "value"),
    )


def _read_adjustable(check: Collector, raw: Any, path: str) -> CountyAdjustable | None:
    """``{"min_share": 0.15, "max_share": 0.35}``: each child's share of the branch's weight."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        check.add(path, "object", f'{path} 必须是对象，如 {{"min_share": 0.15, "max_share": 0.35}}')
        return None
    unknown = sorted(set(raw) - {"min_share", "max_share"})
    if unknown:
        check.add(path, "known_fields", f"{path} 只能有 min_share 和 max_share，收到 {'、'.join(unknown)}")
    bounds = CountyAdjustable()
    for name in ("min_share", "max_share"):
        value = check.number(raw.get(name), f"{path}.{name}", required=False)
        if value is None:
            continue
        if not ZERO <= value <= ONE:
            message = f"{path}.{name} 必须在 0 到 1 之间（占上级权重的比例），收到 {plain(value)}"
            check.add(f"{path}.{name}", "fraction", message)
            continue
        setattr(bounds, name, value)
    if bounds.min_share > bounds.max_share:
        check.add(
            path,
            "ordered",
            f"{path} 的 min_share（{plain(bounds.min_share)}）大于 max_share（{plain(bounds.max_share)}）",
        )
    return bounds
