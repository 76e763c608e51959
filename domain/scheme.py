"""Evaluation schemes: the indicator tree, scoring methods, grades, caps and formulas.

A scheme arrives as a JSON document (see ``tests/example_scheme.json``). ``parse_scheme``
turns it into typed values or refuses it with *every* problem listed, so that the
centre can fix a draft in one pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from domain.decimals import HUNDRED, ONE, ZERO, plain, to_decimal
from domain.errors import InvalidCommand, Problem
from domain.monitoring_rules import (
    Checks,
    WarningRules,
    checks_document,
    read_checks,
    read_warning_rules,
    warning_rules_document,
)

KINDS = ("common", "specific", "satisfaction", "bonus_penalty")
DIRECTIONS = ("higher_better", "lower_better")
FREQUENCIES = ("monthly", "quarterly", "annual")
AGGREGATES = ("latest", "sum", "mean")
METHODS = ("attainment", "threshold", "manual")
COMPONENT_AGGREGATES = ("value", "mean", "sum", "min", "max")
MAX_DEPTH = 3
TOTAL = "total"
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$")
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
LEVEL_LABELS = {1: "一级指标", 2: "二级指标", 3: "三级指标"}


def usual_rules() -> dict[str, Any]:
    """The rules most schemes share, as document fields: the grade bands of the county
    verification scheme (``004``, 七), caps of 5 bonus and 10 penalty points, and the
    centre's deadlines (data by day 10 of the next month, quarters by day 15)."""
    return {
        "grades": [
            {"label": "好", "min": 90},
            {"label": "较好", "min": 80},
            {"label": "一般", "min": 60},
            {"label": "较差", "min": 0},
        ],
        "bonus_cap": 5,
        "penalty_cap": 10,
        "deadlines": {"monthly_due_day": 10, "quarterly_due_day": 15, "annual_due": "01-31"},
    }


@dataclass
class Band:
    """One threshold band: values at or above ``min`` (or at or below ``max``) score ``f``."""

    f: Decimal
    min: Decimal | None = None
    max: Decimal | None = None


@dataclass
class Method:
    type: str
    target: Decimal | None = None
    baseline: Decimal | None = None
    bands: list[Band] = field(default_factory=list)


@dataclass
class IndicatorDef:
    """A node of the indicator tree. Nodes with children are scored from them."""

    code: str
    name: str
    parent: str | None
    weight: Decimal
    kind: str = "common"
    unit: str = ""
    direction: str = "higher_better"
    method: Method | None = None
    frequency: str = "annual"
    aggregate: str = "latest"
    range: list[Decimal] | None = None
    retired: bool = False

    @property
    def weighted(self) -> bool:
        """Bonus/penalty categories stand outside the weighted tree."""
        return self.kind != "bonus_penalty" and not self.retired


@dataclass
class Grade:
    label: str
    min: Decimal


@dataclass
class Component:
    source: str
    weight: Decimal
    aggregate: str = "value"


@dataclass
class Composite:
    """A score defined as a weighted combination of other scores (``004`` 六–七)."""

    code: str
    name: str
    components: list[Component]


@dataclass
class CompositeInput:
    """A score that comes from outside the indicator tree (e.g. sampled villages)."""

    code: str
    name: str
    many: bool = False


@dataclass
class Deadlines:
    monthly_due_day: int = 10
    quarterly_due_day: int = 15
    annual_due: str = "01-31"


@dataclass
class Scheme:
    id: str
    name: str
    year: int
    grades: list[Grade]
    bonus_cap: Decimal
    penalty_cap: Decimal
    deadlines: Deadlines
    indicators: list[IndicatorDef]
    composites: list[Composite] = field(default_factory=list)
    composite_inputs: list[CompositeInput] = field(default_factory=list)
    checks: Checks = field(default_factory=Checks)
    warnings: WarningRules = field(default_factory=WarningRules)

    def to_document(self) -> dict[str, Any]:
        """The scheme as a JSON-ready document in the published format."""
        return scheme_document(self)


class _Collector:
    """Gathers problems while reading a raw document, so all are reported at once."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, field_path: str, rule: str, message: str) -> None:
        self.problems.append(Problem(field_path, rule, message))

    def number(self, raw: Any, path: str, *, required: bool = True) -> Decimal | None:
        if raw is None:
            if required:
                self.add(path, "required", f"{path} 必须填写")
            return None
        try:
            return to_decimal(raw)
        except ValueError:
            self.add(path, "number", f"{path} 必须是数字，收到 {raw!r}")
            return None

    def text(self, raw: Any, path: str, *, required: bool = True) -> str:
        if raw is None or raw == "":
            if required:
                self.add(path, "required", f"{path} 必须填写")
            return ""
        if not isinstance(raw, str):
            self.add(path, "string", f"{path} 必须是文本")
            return ""
        return raw.strip()

    def choice(self, raw: Any, path: str, allowed: tuple[str, ...], default: str) -> str:
        if raw is None:
            return default
        if raw not in allowed:
            self.add(path, "one_of", f"{path} 只能是 {'、'.join(allowed)} 之一，收到 {raw!r}")
            return default
        return str(raw)


def parse_scheme(document: Any) -> Scheme:
    """Reads and validates a scheme document; refuses it with every problem found."""
    check = _Collector()
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
    )
    scheme.composites = _read_composites(check, document.get("composites"))
    check.problems.extend(tree_problems(scheme.indicators))
    check.problems.extend(composite_problems(scheme))
    if check.problems:
        raise InvalidCommand(check.problems)
    return scheme


def _read_year(check: _Collector, raw: Any) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool) or not 2000 <= raw <= 2100:
        check.add("year", "year", f"year 必须是 2000 至 2100 之间的整数，收到 {raw!r}")
        return 0
    return raw


def _read_cap(check: _Collector, raw: Any, path: str) -> Decimal:
    value = check.number(raw, path, required=False)
    if value is None:
        return ZERO
    if value < 0 or value > HUNDRED:
        check.add(path, "range", f"{path} 必须在 0 到 100 之间，收到 {plain(value)}")
    return value


def _read_grades(check: _Collector, raw: Any) -> list[Grade]:
    if not isinstance(raw, list) or not raw:
        check.add("grades", "required", "grades 必须列出至少一个等级")
        return []
    grades = []
    for index, item in enumerate(raw):
        path = f"grades[{index}]"
        if not isinstance(item, dict):
            check.add(path, "object", f"{path} 必须是对象")
            continue
        label = check.text(item.get("label"), f"{path}.label")
        minimum = check.number(item.get("min"), f"{path}.min")
        if minimum is not None and not ZERO <= minimum <= HUNDRED:
            check.add(f"{path}.min", "range", f"{path}.min 必须在 0 到 100 之间")
        if label and minimum is not None:
            grades.append(Grade(label, minimum))
    grades.sort(key=lambda grade: grade.min, reverse=True)
    mins = [grade.min for grade in grades]
    if len(set(mins)) != len(mins):
        check.add("grades", "unique", "grades 中各等级的下限不能重复")
    if grades and grades[-1].min != ZERO:
        check.add("grades", "covers_zero", "grades 必须有一个下限为 0 的等级，使任何得分都有等级")
    return grades


def _read_deadlines(check: _Collector, raw: Any) -> Deadlines:
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
    if not isinstance(annual, str) or not re.match(r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$", annual):
        check.add("deadlines.annual_due", "month_day", "deadlines.annual_due 必须形如 01-31")
    else:
        deadlines.annual_due = annual
    return deadlines


def _read_indicators(check: _Collector, raw: Any) -> list[IndicatorDef]:
    if not isinstance(raw, list) or not raw:
        check.add("indicators", "required", "indicators 必须列出至少一个指标")
        return []
    indicators = []
    for index, item in enumerate(raw):
        indicator = read_indicator(check, item, f"indicators[{index}]")
        if indicator is not None:
            indicators.append(indicator)
    return indicators


def read_indicator(check: _Collector, item: Any, path: str) -> IndicatorDef | None:
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
    )
    if kind == "bonus_penalty" and indicator.weight != 0:
        check.add(f"{path}.weight", "bonus_penalty_unweighted", f"加减分类指标“{code}”不参与权重分配，weight 必须为 0")
    return indicator


def _read_range(check: _Collector, raw: Any, path: str) -> list[Decimal] | None:
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


def _read_method(check: _Collector, raw: Any, path: str, direction: str) -> Method | None:
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


def _check_attainment(check: _Collector, method: Method, path: str, direction: str) -> None:
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


def _read_bands(check: _Collector, raw: Any, path: str) -> list[Band]:
    if not isinstance(raw, list) or not raw:
        check.add(path, "required", f"{path} 阈值法必须列出至少一个分档")
        return []
    bands = []
    for index, item in enumerate(raw):
        band_path = f"{path}[{index}]"
        if not isinstance(item, dict):
            check.add(band_path, "object", f"{band_path} 必须是对象")
            continue
        f = check.number(item.get("f"), f"{band_path}.f")
        if f is not None and not ZERO <= f <= ONE:
            check.add(f"{band_path}.f", "fraction", f"{band_path}.f 必须在 0 到 1 之间")
        low = check.number(item.get("min"), f"{band_path}.min", required=False)
        high = check.number(item.get("max"), f"{band_path}.max", required=False)
        if (low is None) == (high is None):
            check.add(band_path, "one_bound", f"{band_path} 必须只给出 min 或 max 其中之一")
            continue
        if f is not None:
            bands.append(Band(f=f, min=low, max=high))
    if len({band.min is None for band in bands}) > 1:
        check.add(path, "same_bound", f"{path} 各分档必须统一使用 min 或统一使用 max")
    bounds = [band.min if band.min is not None else band.max for band in bands]
    if len(set(bounds)) != len(bounds):
        check.add(path, "unique", f"{path} 各分档的界值不能重复")
    # Higher bands first for "min", lower bands first for "max": the first match wins.
    bands.sort(key=lambda band: band.min if band.min is not None else -band.max, reverse=True)  # type: ignore[operator]
    return bands


def _read_inputs(check: _Collector, raw: Any) -> list[CompositeInput]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        check.add("composite_inputs", "list", "composite_inputs 必须是列表")
        return []
    inputs = []
    for index, item in enumerate(raw):
        path = f"composite_inputs[{index}]"
        if not isinstance(item, dict):
            check.add(path, "object", f"{path} 必须是对象")
            continue
        inputs.append(
            CompositeInput(
                code=check.text(item.get("code"), f"{path}.code"),
                name=check.text(item.get("name"), f"{path}.name"),
                many=bool(item.get("many", False)),
            )
        )
    return inputs


def _read_composites(check: _Collector, raw: Any) -> list[Composite]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        check.add("composites", "list", "composites 必须是列表")
        return []
    composites = []
    for index, item in enumerate(raw):
        path = f"composites[{index}]"
        if not isinstance(item, dict):
            check.add(path, "object", f"{path} 必须是对象")
            continue
        components = []
        raw_components = item.get("components")
        if not isinstance(raw_components, list) or not raw_components:
            check.add(f"{path}.components", "required", f"{path}.components 必须列出至少一项")
            raw_components = []
        for position, component in enumerate(raw_components):
            component_path = f"{path}.components[{position}]"
            if not isinstance(component, dict):
                check.add(component_path, "object", f"{component_path} 必须是对象")
                continue
            weight = check.number(component.get("weight"), f"{component_path}.weight")
            components.append(
                Component(
                    source=check.text(component.get("source"), f"{component_path}.source"),
                    weight=weight if weight is not None else ZERO,
                    aggregate=check.choice(
                        component.get("aggregate"), f"{component_path}.aggregate", COMPONENT_AGGREGATES, "value"
                    ),
                )
            )
        composites.append(
            Composite(
                code=check.text(item.get("code"), f"{path}.code"),
                name=check.text(item.get("name"), f"{path}.name"),
                components=components,
            )
        )
    return composites


def tree_problems(indicators: list[IndicatorDef]) -> list[Problem]:
    """Duplicate codes, unknown parents, cycles, depth, methods and weight sums."""
    problems: list[Problem] = []
    by_code: dict[str, IndicatorDef] = {}
    for indicator in indicators:
        if indicator.code in by_code:
            problems.append(Problem(f"indicators.{indicator.code}", "unique_code", f"指标编号“{indicator.code}”重复"))
        by_code[indicator.code] = indicator
    for indicator in indicators:
        if indicator.parent is not None and indicator.parent not in by_code:
            problems.append(
                Problem(
                    f"indicators.{indicator.code}.parent",
                    "known_parent",
                    f"指标“{indicator.code}”的上级“{indicator.parent}”不存在",
                )
            )
    cyclic = _cyclic_codes(by_code)
    for code in sorted(cyclic):
        problems.append(Problem(f"indicators.{code}.parent", "acyclic", f"指标“{code}”的上级关系构成循环"))
    # The rest of the tree is still checked, so that a draft is fixed in one pass: only
    # the nodes whose chain of parents is broken (unknown or cyclic) are left out.
    rooted = {code: node for code, node in by_code.items() if _rooted(by_code, code)}
    problems.extend(_shape_problems(rooted))
    problems.extend(weight_problems(rooted))
    return problems


def _rooted(by_code: dict[str, IndicatorDef], code: str) -> bool:
    """Whether the chain of parents from ``code`` reaches the top without a gap or a loop."""
    seen: set[str] = set()
    current: str | None = code
    while current is not None:
        if current in seen or current not in by_code:
            return False
        seen.add(current)
        current = by_code[current].parent
    return True


def _cyclic_codes(by_code: dict[str, IndicatorDef]) -> set[str]:
    cyclic: set[str] = set()
    for start in by_code:
        seen: set[str] = set()
        code: str | None = start
        while code is not None and code in by_code:
            if code in seen:
                cyclic.add(start)
                break
            seen.add(code)
            code = by_code[code].parent
    return cyclic


def depth_of(by_code: dict[str, IndicatorDef], code: str) -> int:
    depth = 1
    parent = by_code[code].parent
    while parent is not None:
        depth += 1
        parent = by_code[parent].parent
    return depth


def children_of(by_code: dict[str, IndicatorDef], parent: str | None) -> list[IndicatorDef]:
    return [node for node in by_code.values() if node.parent == parent and node.weighted]


def _shape_problems(by_code: dict[str, IndicatorDef]) -> list[Problem]:
    problems = []
    parents = {node.parent for node in by_code.values() if node.weighted}
    for code, node in by_code.items():
        if node.retired:
            continue
        field_path = f"indicators.{code}"
        depth = depth_of(by_code, code)
        if depth > MAX_DEPTH:
            problems.append(
                Problem(f"{field_path}.parent", "max_depth", f"指标“{code}”位于第 {depth} 级，指标体系最多三级")
            )
        if node.kind == "bonus_penalty":
            if node.parent is not None or code in parents:
                problems.append(Problem(field_path, "bonus_penalty_top", f"加减分类指标“{code}”必须位于顶层且没有下级"))
            continue
        if node.parent is not None and by_code[node.parent].kind == "bonus_penalty":
            problems.append(
                Problem(f"{field_path}.parent", "bonus_penalty_top", f"加减分类指标“{node.parent}”不能有下级")
            )
        if code in parents and node.method is not None:
            problems.append(
                Problem(
                    f"{field_path}.method",
                    "parent_unscored",
                    f"指标“{code}”有下级指标，由下级得分汇总，不能再设评分方法",
                )
            )
        if code not in parents and node.method is None:
            problems.append(Problem(f"{field_path}.method", "required", f"末级指标“{code}”缺少评分方法 method"))
    return problems


def weight_problems(by_code: dict[str, IndicatorDef]) -> list[Problem]:
    """Sibling weights add up to their parent's weight; the top level to 100."""
    problems = []
    groups: dict[str | None, Decimal] = {}
    for node in by_code.values():
        if node.weighted:
            groups[node.parent] = groups.get(node.parent, ZERO) + node.weight
    for parent, total in groups.items():
        expected = HUNDRED if parent is None else by_code[parent].weight
        if total != expected:
            where = "一级指标" if parent is None else f"“{parent}”的下级指标"
            problems.append(
                Problem(
                    "weights" if parent is None else f"weights.{parent}",
                    "sibling_sum",
                    f"{where}权重合计为 {plain(total)}，应等于 {plain(expected)}",
                )
            )
    return problems


def composite_problems(scheme: Scheme) -> list[Problem]:
    """Composite codes are unique, sources known, weights add up to 1, no cycles."""
    problems = []
    indicator_codes = {indicator.code for indicator in scheme.indicators}
    input_codes = {item.code for item in scheme.composite_inputs}
    composite_codes = [composite.code for composite in scheme.composites]
    known = indicator_codes | input_codes | set(composite_codes) | {TOTAL}
    for code in {code for code in composite_codes if composite_codes.count(code) > 1}:
        problems.append(Problem(f"composites.{code}", "unique_code", f"综合得分编号“{code}”重复"))
    for code in set(composite_codes) & (indicator_codes | input_codes | {TOTAL}):
        problems.append(Problem(f"composites.{code}", "unique_code", f"综合得分编号“{code}”与指标或输入项重名"))
    for composite in scheme.composites:
        total = sum((component.weight for component in composite.components), ZERO)
        if composite.components and total != ONE:
            problems.append(
                Problem(
                    f"composites.{composite.code}.components",
                    "weights_sum_to_one",
                    f"综合得分“{composite.code}”各组成部分权重合计为 {plain(total)}，应等于 1",
                )
            )
        for component in composite.components:
            if component.source and component.source not in known:
                problems.append(
                    Problem(
                        f"composites.{composite.code}.components.{component.source}",
                        "known_source",
                        f"综合得分“{composite.code}”引用的“{component.source}”既不是指标，也不是已声明的输入项或综合得分",
                    )
                )
    problems.extend(_composite_cycles(scheme.composites))
    return problems


def _composite_cycles(composites: list[Composite]) -> list[Problem]:
    graph = {c.code: [component.source for component in c.components] for c in composites}
    problems = []
    for start in graph:
        stack, seen = list(graph[start]), set()
        while stack:
            code = stack.pop()
            if code == start:
                problems.append(Problem(f"composites.{start}", "acyclic", f"综合得分“{start}”直接或间接引用了自身"))
                break
            if code in seen or code not in graph:
                continue
            seen.add(code)
            stack.extend(graph[code])
    return problems


def scheme_document(scheme: Scheme) -> dict[str, Any]:
    return {
        "id": scheme.id,
        "name": scheme.name,
        "year": scheme.year,
        "grades": [{"label": grade.label, "min": grade.min} for grade in scheme.grades],
        "bonus_cap": scheme.bonus_cap,
        "penalty_cap": scheme.penalty_cap,
        "deadlines": {
            "monthly_due_day": scheme.deadlines.monthly_due_day,
            "quarterly_due_day": scheme.deadlines.quarterly_due_day,
            "annual_due": scheme.deadlines.annual_due,
        },
        "checks": checks_document(scheme.checks),
        "warnings": warning_rules_document(scheme.warnings),
        "indicators": [indicator_document(indicator) for indicator in scheme.indicators],
        "composite_inputs": [
            {"code": item.code, "name": item.name, "many": item.many} for item in scheme.composite_inputs
        ],
        "composites": [
            {
                "code": composite.code,
                "name": composite.name,
                "components": [
                    {"source": c.source, "weight": c.weight, "aggregate": c.aggregate} for c in composite.components
                ],
            }
            for composite in scheme.composites
        ],
    }


def indicator_document(indicator: IndicatorDef) -> dict[str, Any]:
    document: dict[str, Any] = {
        "code": indicator.code,
        "name": indicator.name,
        "parent": indicator.parent,
        "kind": indicator.kind,
        "unit": indicator.unit,
        "direction": indicator.direction,
        "weight": indicator.weight,
        "frequency": indicator.frequency,
        "aggregate": indicator.aggregate,
        "range": indicator.range,
        "method": None,
        "retired": indicator.retired,
    }
    if indicator.method is not None:
        method = indicator.method
        document["method"] = {
            "type": method.type,
            "target": method.target,
            "baseline": method.baseline,
            "bands": [{"f": b.f, "min": b.min, "max": b.max} for b in method.bands] or None,
        }
    return document
