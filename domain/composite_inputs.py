"""Composite inputs of a county year: scores from outside the indicator tree that the scheme's
composite formulas take (``composite_inputs``, ADR 4), recorded through the API so that the
composites compute; and, until they are, which inputs each composite still lacks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain import commands as c
from domain.decimals import HUNDRED, ZERO, at_most_two_places
from domain.errors import InvalidCommand, Problem
from domain.state import CountyYear

if TYPE_CHECKING:
    from domain.county import County

MAX_VALUES = 1000


def record_composite_input(county: County, command: c.RecordCompositeInput, context: c.Context) -> dict[str, Any]:
    book = county.book(command.year)
    declared = {item.code: item for item in book.scheme.composite_inputs}
    item = declared.get(command.input)
    if item is None:
        known = "、".join(f"{code}（{i.name}）" for code, i in declared.items()) or "无"
        raise InvalidCommand.of(
            "input", "known_input", f"{book.scheme.year} 年度方案没有输入项“{command.input}”（有：{known}）"
        )
    problems = []
    if not command.values:
        problems.append(Problem("values", "not_empty", "至少填写一个数值"))
    elif not item.many and len(command.values) != 1:
        problems.append(
            Problem("values", "one_value", f"输入项“{item.name}”只有一个数值，收到 {len(command.values)} 个")
        )
    elif len(command.values) > MAX_VALUES:
        problems.append(Problem("values", "max_items", f"至多 {MAX_VALUES} 个数值"))
    for index, value in enumerate(command.values):
        if not value.is_finite() or not ZERO <= value <= HUNDRED or not at_most_two_places(value):
            problems.append(
                Problem(f"values[{index}]", "score", f"得分必须在 0 至 100 之间、至多两位小数，收到 {value}")
            )
    if problems:
        raise InvalidCommand(problems)
    county.record(
        county.CompositeInputRecorded,
        context,
        year=book.scheme.year,
        input=item.code,
        values=list(command.values),
        reason=command.reason.strip(),
    )
    return {"input": item.code, "values": list(command.values)}


def missing_inputs(book: CountyYear) -> dict[str, list[str]]:
    """For each composite, the inputs it needs (directly or through another composite) that have no value."""
    recorded = book.input_values()
    declared = {item.code for item in book.scheme.composite_inputs}
    by_code = {composite.code: composite for composite in book.scheme.composites}

    def needs(code: str, seen: frozenset[str]) -> list[str]:
        if code in declared:
            return [] if code in recorded else [code]
        composite = by_code.get(code)
        if composite is None or code in seen:
            return []
        found: list[str] = []
        for component in composite.components:
            found.extend(x for x in needs(component.source, seen | {code}) if x not in found)
        return found

    return {code: needs(code, frozenset()) for code in by_code}
