"""Composite formulas: scores defined as weighted combinations of other scores.

``004`` states two of them: town year-end = county verification × 60% + mean of the
sampled villages × 40%; composite = daily work × 30% + year-end × 70%.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from domain.decimals import ZERO, divide
from domain.scheme import Component, Composite, Grade

ScoreInput = Decimal | Sequence[Decimal] | None


def evaluate_composites(composites: Sequence[Composite], inputs: Mapping[str, ScoreInput]) -> dict[str, Decimal | None]:
    """Every composite's value; ``None`` where a component it needs is missing."""
    results: dict[str, Decimal | None] = {}
    pending = list(composites)
    # Schemes are validated acyclic, so each pass resolves at least one composite.
    while pending:
        progressed = False
        for composite in list(pending):
            sources = [component.source for component in composite.components]
            waiting = [s for s in sources if s not in results and any(c.code == s for c in pending)]
            if waiting:
                continue
            results[composite.code] = _combine(composite.components, {**inputs, **results})
            pending.remove(composite)
            progressed = True
        if not progressed:
            raise ValueError("composite formulas refer to each other in a cycle")
    return results


def _combine(components: Sequence[Component], values: Mapping[str, ScoreInput]) -> Decimal | None:
    total = ZERO
    for component in components:
        value = _component_value(component, values.get(component.source))
        if value is None:
            return None
        total += component.weight * value
    return total


def _component_value(component: Component, raw: ScoreInput) -> Decimal | None:
    if raw is None:
        return None
    if isinstance(raw, Decimal):
        return raw
    values = list(raw)
    if not values:
        return None
    if component.aggregate == "sum":
        return sum(values, ZERO)
    if component.aggregate == "min":
        return min(values)
    if component.aggregate == "max":
        return max(values)
    return divide(sum(values, ZERO), Decimal(len(values)))


def grade_for(score: Decimal, grades: Sequence[Grade]) -> str:
    """The label of the highest band whose lower bound the score reaches."""
    # (The band with the highest bound reached, the first of equal ones: a sort costs more per score.)
    best = None
    for grade in grades:
        if score >= grade.min and (best is None or grade.min > best.min):
            best = grade
    if best is not None:
        return best.label
    return grades[-1].label if grades else ""
