"""Properties of the County aggregate under any sequence of commands.

Random commands are thrown at a county: most are built to be acceptable (weights that
rebalance, periods that match the frequency), some are not. Refused ones are skipped,
after checking they left no trace. Whatever was accepted, the weights still add up,
every score stays within its bounds, and replaying the recorded events rebuilds the
same county.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from domain.commands import (
    AdjustPoints,
    AdjustWeights,
    ClosePeriod,
    Context,
    CorrectData,
    CountyCommand,
    DefineIndicator,
    EnrolCounty,
    OverrideScore,
    ReopenPeriod,
    RetireIndicator,
    ReviseIndicator,
    RevokeOverride,
    SubmitData,
    WithdrawSubmission,
)
from domain.county import County
from domain.decimals import HUNDRED, ZERO
from domain.errors import DomainError
from domain.scheme import IndicatorDef, usual_rules
from domain.scheme_reading import parse_scheme
from domain.scheme_rules import weight_problems
from domain.scoring import score_year
from domain.state import CountyYear

YEAR = 2023
CTX = Context("tester", "corr-1")

# Three levels, every method, every frequency, and two bonus/penalty categories.
DOCUMENT: dict[str, Any] = {
    "id": "property-2023",
    "name": "性质测试方案",
    "year": YEAR,
    **usual_rules(),
    "indicators": [
        {"code": "1", "name": "产业兴旺", "weight": 40},
        {
            "code": "1.1",
            "parent": "1",
            "name": "农业科技进步贡献率",
            "weight": 15,
            "method": {"type": "attainment", "target": 61.5, "baseline": 56.7},
            "range": [0, 100],
        },
        {
            "code": "1.2",
            "parent": "1",
            "name": "乡村旅游接待人次",
            "weight": 25,
            "method": {"type": "attainment", "target": 120},
            "frequency": "monthly",
            "aggregate": "sum",
            "range": [0, 1000],
        },
        {"code": "2", "name": "生活富裕", "weight": 30},
        {
            "code": "2.1",
            "parent": "2",
            "name": "恩格尔系数",
            "weight": 15,
            "direction": "lower_better",
            "method": {"type": "attainment", "target": 30, "baseline": 40},
            "frequency": "quarterly",
            "aggregate": "mean",
            "range": [0, 100],
        },
        {
            "code": "2.2",
            "parent": "2",
            "name": "自来水普及率",
            "weight": 15,
            "method": {"type": "threshold", "bands": [{"min": 95, "f": 1}, {"min": 85, "f": 0.8}]},
        },
        {"code": "3", "name": "组织振兴", "weight": 30},
        {"code": "3.1", "parent": "3", "name": "基层组织建设", "weight": 30},
        {"code": "3.1.1", "parent": "3.1", "name": "群众满意度", "weight": 20, "method": {"type": "manual"}},
        {
            "code": "3.1.2",
            "parent": "3.1",
            "name": "信访案件数",
            "weight": 10,
            "direction": "lower_better",
            "method": {"type": "threshold", "bands": [{"max": 5, "f": 1}, {"max": 10, "f": 0.5}]},
            "frequency": "monthly",
            "aggregate": "latest",
        },
        {"code": "B1", "name": "创新工作加分", "kind": "bonus_penalty", "sign": "bonus"},
        {"code": "P1", "name": "安全事故减分", "kind": "bonus_penalty", "sign": "penalty"},
    ],
}
SCHEME = parse_scheme(DOCUMENT)

PERIODS = {
    "monthly": [f"{YEAR}-{month:02d}" for month in range(1, 13)],
    "quarterly": [f"{YEAR}-Q{quarter}" for quarter in range(1, 5)],
    "annual": [str(YEAR)],
}
WRONG_PERIODS = ["2022", "2024-01", "2023-13", "2023-Q2", "2023-06", "2023"]
REVISIONS: list[dict[str, Any]] = [
    {"name": "更名后的指标"},
    {"method": {"type": "manual"}},
    {"method": {"type": "attainment", "target": 50}},
    {"method": {"type": "threshold", "bands": [{"min": 50, "f": 1}, {"min": 20, "f": 0.3}]}},
    {"frequency": "monthly", "aggregate": "mean"},
    {"direction": "lower_better"},
    {"range": [0, 1000]},
]
ACTIONS = [
    *["submit"] * 5,
    *["correct"] * 2,
    "withdraw",
    *["weights"] * 2,
    "broken_weights",
    *["override"] * 2,
    *["revoke"] * 2,
    "points",
    "define",
    "retire",
    "revise",
    "close",
    *["reopen"] * 2,
]

values = st.one_of(
    st.decimals(min_value=0, max_value=1, places=3),
    st.decimals(min_value=0, max_value=150, places=1),
    st.decimals(min_value=-20, max_value=1200, places=2),
)


# ------------------------------------------------------------------------ helpers


def active(book: CountyYear) -> list[IndicatorDef]:
    return [node for node in book.indicators.values() if node.weighted]


def children(book: CountyYear, parent: str | None, exclude: str | None = None) -> list[str]:
    return [node.code for node in active(book) if node.parent == parent and node.code != exclude]


def split(data: st.DataObject, tenths: int, parts: int) -> list[Decimal]:
    """``tenths`` / 10 cut into ``parts`` non-negative weights of one decimal place."""
    cuts = sorted(data.draw(st.lists(st.integers(0, tenths), min_size=parts - 1, max_size=parts - 1)))
    bounds = [0, *cuts, tenths]
    return [Decimal(high - low).scaleb(-1) for low, high in itertools.pairwise(bounds)]


def rebalance(
    data: st.DataObject, book: CountyYear, parent: str | None, extra: str | None = None, exclude: str | None = None
) -> dict[str, Decimal]:
    """New weights for the whole subtree under ``parent`` that add up at every level."""
    total = HUNDRED if parent is None else book.indicators[parent].weight
    return _share(data, book, children(book, parent, exclude) + ([extra] if extra else []), total)


def _share(data: st.DataObject, book: CountyYear, codes: list[str], total: Decimal) -> dict[str, Decimal]:
    if not codes:
        return {}
    weights: dict[str, Decimal] = {}
    for code, weight in zip(codes, split(data, int(total * 10), len(codes)), strict=True):
        weights[code] = weight
        if code in book.indicators:
            weights.update(_share(data, book, children(book, code), weight))
    return weights


def draw_command(data: st.DataObject, county: County, step: int) -> CountyCommand:
    book = county.book(YEAR)
    codes = [*sorted(book.indicators), "9.9"]
    submitted = [(code, period) for code, periods in book.data.items() for period in periods]
    action = data.draw(st.sampled_from(ACTIONS))
    if action == "submit":
        code = data.draw(st.sampled_from(codes))
        frequency = book.indicators[code].frequency if code in book.indicators else "annual"
        period = data.draw(st.one_of(st.sampled_from(PERIODS[frequency]), st.sampled_from(WRONG_PERIODS)))
        key = data.draw(st.one_of(st.none(), st.sampled_from(["k-1", "k-2"])))
        return SubmitData(code, period, data.draw(values), idempotency_key=key)
    if action in ("correct", "withdraw"):
        pairs = submitted or [("1.1", str(YEAR))]
        code, period = data.draw(st.sampled_from(pairs))
        if action == "correct":
            return CorrectData(code, period, data.draw(values), "更正")
        return WithdrawSubmission(code, period, "撤回")
    if action in ("weights", "broken_weights"):
        parents = [None, *sorted({node.parent for node in active(book) if node.parent is not None})]
        parent = data.draw(st.sampled_from(parents))
        weights = rebalance(data, book, parent)
        if action == "broken_weights" and weights:
            code = data.draw(st.sampled_from(sorted(weights)))
            weights[code] = data.draw(st.decimals(min_value=-5, max_value=60, places=1))
        return AdjustWeights(parent, weights, "调整权重")
    if action == "override":
        node = data.draw(st.sampled_from([*codes, "total"]))
        score = data.draw(st.decimals(min_value=0, max_value=110, places=2))
        return OverrideScore(YEAR, node, score, "province", "省级核查", f"o-{step}")
    if action == "revoke":
        return RevokeOverride(data.draw(st.sampled_from([*sorted(book.overrides), "o-none"])), "撤销")
    if action == "points":
        points = data.draw(st.decimals(min_value=-15, max_value=15, places=1))
        return AdjustPoints(YEAR, points, data.draw(st.sampled_from(["B1", "P1", "其他"])), "加减分", f"a-{step}")
    if action == "define":
        parent = data.draw(st.sampled_from([None, *sorted(node.code for node in active(book))]))
        code = f"S{step}"
        weights = rebalance(data, book, parent, extra=code) if parent is None or children(book, parent) else {}
        definition = {
            "code": code,
            "parent": parent,
            "name": "县级个性指标",
            "kind": "specific",
            "weight": weights.pop(code, Decimal(5)),
            "method": data.draw(st.sampled_from([{"type": "manual"}, {"type": "attainment", "target": 80}])),
        }
        return DefineIndicator(definition, "新增个性指标", weights)
    if action == "retire":
        code = data.draw(st.sampled_from(codes))
        parent = book.indicators[code].parent if code in book.indicators else None
        return RetireIndicator(code, "停用", rebalance(data, book, parent, exclude=code))
    if action == "revise":
        return ReviseIndicator(data.draw(st.sampled_from(codes)), data.draw(st.sampled_from(REVISIONS)), "修订")
    if action == "close":
        return ClosePeriod(data.draw(st.sampled_from([f"{YEAR}-03", f"{YEAR}-04", f"{YEAR}-Q2", str(YEAR)])), "关账")
    return ReopenPeriod(data.draw(st.sampled_from([*book.closed, f"{YEAR}-07"])), "重新开启")


def run(data: st.DataObject, steps: int, check: Any = None) -> tuple[County, list[Any], int]:
    """Enrols a county and throws ``steps`` random commands at it; returns its events."""
    county = County.enrol(EnrolCounty("110101", "示范县", "北京市", "east", SCHEME), CTX)
    events: list[Any] = list(county.collect_events())
    accepted = 0
    for step in range(steps):
        command = draw_command(data, county, step)
        version = county.version
        try:
            county.handle(command, CTX)
        except DomainError:
            assert county.pending_events == []
            assert county.version == version
            continue
        accepted += 1
        event(f"accepted {type(command).__name__}")
        events += county.collect_events()
        if check is not None:
            check(county)
    return county, events, accepted


def assert_bounds_hold(county: County) -> None:
    book = county.book(YEAR)
    assert weight_problems(book.indicators) == []
    card = score_year(book)
    assert ZERO <= card.total <= HUNDRED
    assert ZERO <= card.computed_total <= HUNDRED
    for node in card.nodes:
        assert ZERO <= node.score <= node.max, (node.code, node.score, node.max)
        assert ZERO <= node.computed <= node.max, (node.code, node.computed, node.max)
    assert ZERO <= card.bonus <= book.scheme.bonus_cap
    assert ZERO <= card.penalty <= book.scheme.penalty_cap


# --------------------------------------------------------------------- properties


@settings(max_examples=100, deadline=None)
@given(st.data(), st.integers(min_value=1, max_value=40))
def test_weights_add_up_and_scores_stay_in_bounds_after_any_commands(data: st.DataObject, steps: int) -> None:
    assert_bounds_hold(run(data, 0)[0])
    run(data, steps, check=assert_bounds_hold)


@settings(max_examples=60, deadline=None)
@given(st.data(), st.integers(min_value=1, max_value=40))
def test_replaying_the_recorded_events_rebuilds_the_same_scorecard(data: st.DataObject, steps: int) -> None:
    county, events, _ = run(data, steps)

    rebuilt: County | None = None
    for recorded in events:
        rebuilt = recorded.mutate(rebuilt)

    assert rebuilt is not None
    assert rebuilt.version == county.version
    assert rebuilt.years == county.years
    assert rebuilt.idempotency == county.idempotency
    assert score_year(rebuilt.book(YEAR)) == score_year(county.book(YEAR))
