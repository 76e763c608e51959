"""A county's indicator tree: defining, revising and retiring indicators, weights and
who answers for each indicator.

The handlers run inside the ``County`` aggregate (``domain.county.COMMAND_HANDLERS``):
each checks the whole command against the county's book before it records an event.
Checking is apart from recording (``plan``), so that an approved proposal
(``domain.proposals``) is checked in full before anything of it is recorded.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from domain import commands as c
from domain import county_checks
from domain.decimals import at_most_two_places, plain
from domain.errors import Collector, ConflictError, InvalidCommand, Problem, require_reason
from domain.scheme import IndicatorDef, indicator_document
from domain.scheme_reading import read_indicator
from domain.scheme_rules import tree_problems
from domain.state import CountyYear, Responsibility

if TYPE_CHECKING:
    from domain.county import County

REVISABLE_FIELDS = ("name", "unit", "direction", "method", "frequency", "aggregate", "range")

TreeCommand = c.DefineIndicator | c.ReviseIndicator | c.RetireIndicator | c.AdjustWeights
# The event a change of the tree records, and its fields (all but actor, correlation and hashes).
Planned = tuple[type["County.Event"], dict[str, Any]]


def define_indicator(county: County, command: c.DefineIndicator, context: c.Context) -> None:
    record(county, plan(county, command), context)


def revise_indicator(county: County, command: c.ReviseIndicator, context: c.Context) -> None:
    record(county, plan(county, command), context)


def retire_indicator(county: County, command: c.RetireIndicator, context: c.Context) -> None:
    record(county, plan(county, command), context)


def adjust_weights(county: County, command: c.AdjustWeights, context: c.Context) -> None:
    record(county, plan(county, command), context)


def record(county: County, planned: Planned, context: c.Context) -> None:
    event_class, fields = planned
    county.record(event_class, context, **fields)


def plan(county: County, command: TreeCommand) -> Planned:
    """Checks a change of the tree against the county's book; the event it would record."""
    if isinstance(command, c.DefineIndicator):
        return plan_define(county, command)
    if isinstance(command, c.ReviseIndicator):
        return plan_revise(county, command)
    if isinstance(command, c.RetireIndicator):
        return plan_retire(county, command)
    return plan_weights(county, command)


def plan_define(county: County, command: c.DefineIndicator) -> Planned:
    book = county.book(command.year)
    county_checks.check_year_open(book)
    reason = require_reason(command.reason)
    check = Collector()
    indicator = read_indicator(check, command.definition, "indicator")
    if check.problems or indicator is None:
        raise InvalidCommand(check.problems)
    if indicator.kind != "specific":
        raise InvalidCommand.of("indicator.kind", "specific_only", "县级只能新增个性指标（kind 为 specific）")
    if indicator.county_adjustable is not None:
        raise InvalidCommand.of(
            "indicator.county_adjustable", "scheme_only", "county_adjustable 只能在评估方案中设定，县级指标不能设定"
        )
    if indicator.code in book.indicators:
        raise ConflictError.of("indicator.code", "unique_code", f"指标编号“{indicator.code}”已存在")
    if indicator.parent is not None:
        parent = county_checks.active_indicator(book, indicator.parent, "indicator.parent")
        if parent.method is not None:
            raise InvalidCommand.of(
                "indicator.parent",
                "parent_unscored",
                f"指标“{parent.code}”是有评分方法的末级指标，不能在其下新增指标",
            )
    tree = dict(book.indicators)
    tree[indicator.code] = indicator
    check_weights(book, tree, indicator.parent, command.sibling_weights, "sibling_weights")
    fields = {
        "year": book.scheme.year,
        "indicator": indicator,
        "sibling_weights": dict(command.sibling_weights),
        "reason": reason,
    }
    return county.IndicatorDefined, fields


def plan_revise(county: County, command: c.ReviseIndicator) -> Planned:
    book = county.book(command.year)
    county_checks.check_year_open(book)
    reason = require_reason(command.reason)
    current = county_checks.active_indicator(book, command.code, "code")
    unknown = sorted(set(command.changes) - set(REVISABLE_FIELDS))
    if unknown or not command.changes:
        raise InvalidCommand.of(
            "changes",
            "revisable_fields",
            f"只能修改 {'、'.join(REVISABLE_FIELDS)}（权重请用权重调整），收到 {'、'.join(unknown) or '空'}",
        )
    document = {**indicator_document(current), **command.changes}
    check = Collector()
    revised = read_indicator(check, document, "changes")
    if check.problems or revised is None:
        raise InvalidCommand(check.problems)
    if revised.frequency != current.frequency and book.data.get(current.code):
        raise ConflictError.of(
            "changes.frequency", "frequency_fixed_with_data", f"指标“{current.code}”已有数据，不能更改报送频率"
        )
    tree = dict(book.indicators)
    tree[current.code] = revised
    problems = tree_problems(list(tree.values()))
    if problems:
        raise InvalidCommand(problems)
    return county.IndicatorRevised, {"year": book.scheme.year, "indicator": revised, "reason": reason}


def plan_retire(county: County, command: c.RetireIndicator) -> Planned:
    book = county.book(command.year)
    county_checks.check_year_open(book)
    reason = require_reason(command.reason)
    indicator = county_checks.active_indicator(book, command.code, "code")
    retired = retired_with(book, indicator.code)
    tree = {code: replace(node, retired=True) if code in retired else node for code, node in book.indicators.items()}
    check_weights(book, tree, indicator.parent, command.sibling_weights, "sibling_weights")
    fields = {
        "year": book.scheme.year,
        "code": indicator.code,
        "sibling_weights": dict(command.sibling_weights),
        "reason": reason,
    }
    return county.IndicatorRetired, fields


def plan_weights(county: County, command: c.AdjustWeights) -> Planned:
    book = county.book(command.year)
    county_checks.check_year_open(book)
    reason = require_reason(command.reason)
    if not command.weights:
        raise InvalidCommand.of("weights", "required", "weights 不能为空")
    if command.parent is not None:
        county_checks.active_indicator(book, command.parent, "parent")
    previous = {code: book.indicators[code].weight for code in command.weights if code in book.indicators}
    check_weights(book, dict(book.indicators), command.parent, command.weights, "weights")
    if previous == dict(command.weights):  # approving it would record a change of nothing
        raise InvalidCommand.of("weights", "changed", "所填权重与现行权重完全相同，没有需要调整的内容")
    fields = {
        "year": book.scheme.year,
        "parent": command.parent,
        "weights": dict(command.weights),
        "previous": previous,
        "reason": reason,
    }
    return county.WeightsAdjusted, fields


def assign_responsibility(county: County, command: c.AssignResponsibility, context: c.Context) -> None:
    book = county.book(command.year)
    county_checks.check_year_open(book)
    indicator = county_checks.active_indicator(book, command.indicator)
    if not indicator.weighted:
        words = f"“{indicator.code} {indicator.name}”是加减分类别，不报送数据，无需分配责任部门"
        raise InvalidCommand.of("indicator", "weighted_indicator", words)
    if any(node.parent == indicator.code and node.weighted for node in book.indicators.values()):
        raise InvalidCommand.of(
            "indicator", "leaf_indicator", f"指标“{indicator.code}”由下级汇总，请为其下级指标分配责任"
        )
    department = command.department.strip()
    if not department:
        raise InvalidCommand.of("department", "required", "必须填写责任部门")
    county.record(
        county.ResponsibilityAssigned,
        context,
        year=book.scheme.year,
        indicator=indicator.code,
        department=department,
        person=command.person.strip(),
    )


def check_weights(
    book: CountyYear,
    tree: dict[str, IndicatorDef],
    parent: str | None,
    weights: dict[str, Decimal],
    field: str,
) -> None:
    """New weights apply only beneath ``parent``; afterwards every sum must hold, and no
    standing override may exceed the new weight of its node."""
    problems = []
    for code, weight in weights.items():
        node = tree.get(code)
        if node is None or not node.weighted:
            problems.append(Problem(f"{field}.{code}", "known_indicator", f"没有可调整权重的指标“{code}”"))
        elif parent is not None and not descends(tree, code, parent, strict=True):
            problems.append(Problem(f"{field}.{code}", "under_parent", f"指标“{code}”不在“{parent}”之下"))
        elif weight < 0:
            problems.append(Problem(f"{field}.{code}", "non_negative", f"指标“{code}”的权重不能为负数"))
        elif not at_most_two_places(weight):  # weights are shown, summed and checked to two places
            problems.append(Problem(f"{field}.{code}", "two_decimals", f"指标“{code}”的权重最多两位小数"))
        else:
            tree[code] = replace(node, weight=weight)
    if problems:
        raise InvalidCommand(problems)
    problems = tree_problems(list(tree.values()))
    if problems:
        raise InvalidCommand(problems)
    for override in book.active_overrides().values():
        node = tree.get(override.node)
        if override.node in weights and node is not None and node.weighted and override.score > node.weight:
            problems.append(
                Problem(
                    f"{field}.{override.node}",
                    "override_within_weight",
                    f"“{override.node}”的得分已调整为 {plain(override.score)}（编号 {override.id}），"
                    f"超过新权重 {plain(node.weight)}；请先撤销该得分调整",
                )
            )
    if problems:
        raise ConflictError(problems)


def descends(tree: dict[str, IndicatorDef], code: str, ancestor: str, strict: bool = False) -> bool:
    """Whether ``code`` is ``ancestor`` (unless ``strict``) or lies beneath it."""
    current: str | None = tree[code].parent if strict else code
    while current is not None:
        if current == ancestor:
            return True
        current = tree[current].parent
    return False


def retired_with(book: CountyYear, code: str) -> set[str]:
    """An indicator and everything beneath it: retiring one retires them all."""
    return {other for other in book.indicators if descends(book.indicators, other, code)}


# ------------------------------------------------------------ events' effects


def apply_defined(book: CountyYear, event: County.IndicatorDefined) -> None:
    book.indicators[event.indicator.code] = replace(event.indicator)
    book.defined_at[event.indicator.code] = event.timestamp
    set_weights(book, event.sibling_weights)


def apply_retired(book: CountyYear, event: County.IndicatorRetired) -> None:
    for code in retired_with(book, event.code):
        book.indicators[code] = replace(book.indicators[code], retired=True)
    set_weights(book, event.sibling_weights)


def apply_responsibility(book: CountyYear, event: County.ResponsibilityAssigned) -> None:
    book.responsibility[event.indicator] = Responsibility(event.department, event.person)


def set_weights(book: CountyYear, weights: dict[str, Decimal]) -> None:
    for code, weight in weights.items():
        book.indicators[code] = replace(book.indicators[code], weight=weight)
