"""The scoring engine: pure functions from a county's year state to its scorecard.

An indicator scores ``weight × f`` with ``f`` in [0, 1] (see the brief's default
methods); a parent scores the sum of its children; the total adds capped bonus and
penalty points and is clamped to [0, 100]. An override replaces one node's score: the
one standing by the scheme's order of authorities (``CountyYear.active_overrides``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from operator import attrgetter

from domain.composites import ScoreInput, evaluate_composites, grade_for
from domain.decimals import HUNDRED, ONE, ZERO, clamp, divide, round2
from domain.scheme import TOTAL, IndicatorDef, Method
from domain.state import CountyYear, Override, Submission


@dataclass(frozen=True)
class NodeScore:
    code: str
    name: str
    parent: str | None
    level: int
    kind: str
    value: Decimal | None
    computed: Decimal
    score: Decimal
    max: Decimal
    override: Override | None = None

    @property
    def overridden(self) -> bool:
        return self.override is not None


@dataclass(frozen=True)
class CountedPoints:
    """One standing bonus/penalty entry and how much of it the cap let through."""

    id: str
    category: str
    points: Decimal
    counted: Decimal  # same sign as points; 0 when the cap was already full

    @property
    def kind(self) -> str:
        return "bonus" if self.points > 0 else "penalty"


@dataclass(frozen=True)
class Scorecard:
    year: int
    nodes: list[NodeScore]
    bonus: Decimal
    penalty: Decimal
    computed_total: Decimal
    total: Decimal
    grade: str
    total_override: Override | None = None
    composites: dict[str, Decimal | None] = field(default_factory=dict)
    adjustments: tuple[CountedPoints, ...] = ()
    bonus_before_cap: Decimal = ZERO
    penalty_before_cap: Decimal = ZERO
    # Where each node sits in ``nodes``: derived, kept for ``rescore_data`` (equal cards may differ in it).
    shape: _Shape | None = field(default=None, compare=False, repr=False)

    def node(self, code: str) -> NodeScore:
        for node in self.nodes:
            if node.code == code:
                return node
        raise KeyError(code)


def fraction(method: Method, direction: str, value: Decimal) -> Decimal:
    """The share ``f`` in [0, 1] of an indicator's weight that ``value`` earns."""
    if method.type == "manual":
        return clamp(value, ZERO, ONE)
    if method.type == "threshold":
        return _threshold(method, value)
    target = method.target
    assert target is not None  # schemes are validated: attainment has a target
    baseline = method.baseline
    if direction == "higher_better":
        if baseline is None:
            return clamp(divide(value, target), ZERO, ONE)
        return clamp(divide(value - baseline, target - baseline), ZERO, ONE)
    if baseline is None:
        if value <= target:
            return ONE
        return clamp(divide(target, value), ZERO, ONE)
    return clamp(divide(baseline - value, baseline - target), ZERO, ONE)


def _threshold(method: Method, value: Decimal) -> Decimal:
    for band in method.bands:
        if band.min is not None and value >= band.min:
            return band.f
        if band.max is not None and value <= band.max:
            return band.f
    return ZERO


_VALUE = attrgetter("value")


def year_value(indicator: IndicatorDef, periods: Mapping[str, Submission]) -> Decimal | None:
    """A year's value from its periods: the latest, the sum or the mean."""
    if not periods:
        return None
    # Periods of one indicator share its frequency, so their text sorts chronologically.
    if indicator.aggregate == "sum":
        return sum(map(_VALUE, map(periods.__getitem__, sorted(periods))), ZERO)
    if indicator.aggregate == "mean":
        return divide(sum(map(_VALUE, map(periods.__getitem__, sorted(periods))), ZERO), Decimal(len(periods)))
    return periods[max(periods)].value


def score_year(book: CountyYear, external: Mapping[str, ScoreInput] | None = None) -> Scorecard:
    """Every node's value, score and maximum, then the total, grade and composites."""
    overrides = book.active_overrides()
    tree = _Tree(book.indicators)
    nodes: dict[str, NodeScore] = {}
    for code in reversed(tree.order):  # children before their parents
        nodes[code] = _score_node(book, tree.children.get(code, []), tree.level(code), code, nodes, overrides)
    return _scorecard(book, [nodes[code] for code in tree.order], overrides, external)


def rescore_data(book: CountyYear, previous: Scorecard, indicator: str) -> Scorecard:
    """``score_year`` after only ``indicator``'s data changed: the indicator and its ancestors.

    The tree, weights, overrides and points are as in ``previous``: every other node, each
    node's override and the counted points are reused. Equal to ``score_year(book)`` (the
    property tests check it). A rebuild calls this once per data event, hence the care.
    """
    shape = previous.shape or _Shape.of(previous.nodes)
    place = shape.place.get(indicator)
    if place is None:
        return score_year(book)
    ordered = list(previous.nodes)
    while place is not None:
        node = ordered[place]
        ordered[place] = _rescore_node(book, node, [ordered[child] for child in shape.children.get(place, ())])
        place = shape.parent[place]
    return _scorecard_after_data(book, previous, ordered, shape)


def _rescore_node(book: CountyYear, node: NodeScore, children: list[NodeScore]) -> NodeScore:
    """``node`` scored again, with the same override, from its children or its data."""
    value: Decimal | None = None
    if children:
        computed = sum((child.score for child in children), ZERO)
    else:
        indicator = book.indicators[node.code]
        value = year_value(indicator, book.data.get(node.code, {}))
        computed = ZERO
        if value is not None and indicator.method is not None:
            computed = indicator.weight * fraction(indicator.method, indicator.direction, value)
    override = node.override
    score = override.score if override else computed
    return NodeScore(node.code, node.name, node.parent, node.level, node.kind, value, computed, score, node.max,
                     override)  # fmt: skip


def _scorecard_after_data(book: CountyYear, previous: Scorecard, ordered: list[NodeScore], shape: _Shape) -> Scorecard:
    """``_scorecard`` when only data changed: the points, their caps and the total's override are as before."""
    dimensions = sum((ordered[place].score for place in shape.roots), ZERO)
    computed_total = clamp(dimensions + previous.bonus - previous.penalty, ZERO, HUNDRED)
    total_override = previous.total_override
    total = total_override.score if total_override else computed_total
    composites: dict[str, Decimal | None] = {}
    if book.scheme.composites:
        inputs: dict[str, ScoreInput] = {node.code: node.score for node in ordered}
        inputs[TOTAL] = total
        inputs.update(book.input_values())
        composites = evaluate_composites(book.scheme.composites, inputs)
    return Scorecard(
        year=previous.year,
        nodes=ordered,
        bonus=previous.bonus,
        penalty=previous.penalty,
        computed_total=computed_total,
        total=total,
        grade=previous.grade if total == previous.total else grade_for(round2(total) or ZERO, book.scheme.grades),
        total_override=total_override,
        composites=composites,
        adjustments=previous.adjustments,
        bonus_before_cap=previous.bonus_before_cap,
        penalty_before_cap=previous.penalty_before_cap,
        shape=shape,
    )


def _scorecard(
    book: CountyYear,
    ordered: list[NodeScore],
    overrides: Mapping[str, Override],
    external: Mapping[str, ScoreInput] | None,
) -> Scorecard:
    dimensions = sum((node.score for node in ordered if node.parent is None), ZERO)
    adjustments = count_points(book)
    bonus = sum((entry.counted for entry in adjustments if entry.points > 0), ZERO)
    penalty = ZERO - sum((entry.counted for entry in adjustments if entry.points < 0), ZERO)
    computed_total = clamp(dimensions + bonus - penalty, ZERO, HUNDRED)
    total_override = overrides.get(TOTAL)
    total = total_override.score if total_override else computed_total
    inputs: dict[str, ScoreInput] = {node.code: node.score for node in ordered}
    inputs[TOTAL] = total
    inputs.update(book.input_values())
    inputs.update(external or {})
    return Scorecard(
        year=book.scheme.year,
        nodes=ordered,
        bonus=bonus,
        penalty=penalty,
        computed_total=computed_total,
        total=total,
        grade=grade_for(round2(total) or ZERO, book.scheme.grades),
        total_override=total_override,
        composites=evaluate_composites(book.scheme.composites, inputs),
        adjustments=tuple(adjustments),
        bonus_before_cap=sum((entry.points for entry in adjustments if entry.points > 0), ZERO),
        penalty_before_cap=ZERO - sum((entry.points for entry in adjustments if entry.points < 0), ZERO),
    )


def _score_node(
    book: CountyYear,
    children: list[str],
    level: int,
    code: str,
    scored: Mapping[str, NodeScore],
    overrides: Mapping[str, Override],
) -> NodeScore:
    indicator = book.indicators[code]
    value: Decimal | None = None
    if children:
        computed = sum((scored[child].score for child in children), ZERO)
    else:
        value = year_value(indicator, book.data.get(code, {}))
        computed = ZERO
        if value is not None and indicator.method is not None:
            computed = indicator.weight * fraction(indicator.method, indicator.direction, value)
    override = overrides.get(code)
    return NodeScore(
        code=code,
        name=indicator.name,
        parent=indicator.parent,
        level=level,
        kind=indicator.kind,
        value=value,
        computed=computed,
        score=override.score if override else computed,
        max=indicator.weight,
        override=override,
    )


def count_points(book: CountyYear) -> list[CountedPoints]:
    """The year's standing (not revoked) entries and how much of each counted."""
    standing = [entry for entry in book.adjustments if not entry.revoked]
    counted = counted_points([entry.points for entry in standing], book.scheme.bonus_cap, book.scheme.penalty_cap)
    return [
        CountedPoints(entry.id, entry.category, entry.points, share)
        for entry, share in zip(standing, counted, strict=True)
    ]


def counted_points(points: Iterable[Decimal], bonus_cap: Decimal, penalty_cap: Decimal) -> list[Decimal]:
    """How much of each entry counts: bonus and penalty are capped separately, and the
    entries fill their cap in the order they were recorded (ADR 19). The counted bonus is
    min(sum of bonuses, bonus_cap), the counted penalty likewise."""
    room = {True: bonus_cap, False: penalty_cap}
    counted = []
    for amount in points:
        bonus = amount > 0
        share = min(abs(amount), max(room[bonus], ZERO))
        room[bonus] -= share
        counted.append(share if bonus or not share else -share)
    return counted


def node_maximum(book: CountyYear, node: str) -> Decimal | None:
    """The highest score a node can have: its weight, or 100 for the total."""
    return book.node_maximum(node)


@dataclass(frozen=True)
class _Shape:
    """The tree of a scorecard's nodes by their places: each one's parent and children, and the roots."""

    place: dict[str, int]
    parent: tuple[int | None, ...]
    children: dict[int, tuple[int, ...]]
    roots: tuple[int, ...]

    @classmethod
    def of(cls, nodes: list[NodeScore]) -> _Shape:
        place = {node.code: index for index, node in enumerate(nodes)}
        parent = tuple(None if node.parent is None else place[node.parent] for node in nodes)
        children: dict[int, list[int]] = {}
        for index, above in enumerate(parent):
            if above is not None:
                children.setdefault(above, []).append(index)
        roots = tuple(index for index, above in enumerate(parent) if above is None)
        return cls(place, parent, {key: tuple(value) for key, value in children.items()}, roots)


class _Tree:
    """The weighted, active part of the indicator tree in definition order."""

    def __init__(self, indicators: Mapping[str, IndicatorDef]) -> None:
        self.children: dict[str | None, list[str]] = {}
        self.parents = {code: node.parent for code, node in indicators.items()}
        for code, node in indicators.items():
            if node.weighted:
                self.children.setdefault(node.parent, []).append(code)
        self.order = list(self._walk(None))

    def _walk(self, parent: str | None) -> Iterable[str]:
        for code in self.children.get(parent, []):
            yield code
            yield from self._walk(code)

    def level(self, code: str) -> int:
        level, parent = 1, self.parents[code]
        while parent is not None:
            level, parent = level + 1, self.parents[parent]
        return level
