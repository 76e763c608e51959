"""Properties of whose result stands (ADR 19), under random sequences of overrides by random
authorities, revocations, weight changes, closings and points.

- The aggregate agrees with a plain model: for each node, the standing result is the
  latest not-revoked override of the highest authority (in the scheme's order) whose score
  fits the node's maximum now, else the computed score; a lower authority is refused while
  a higher one stands; a closed year takes only authorities above the county; points count
  in recorded order up to each cap.
- Replaying the recorded events gives the same county and scores.
- The read models (now and as of any instant) say what the aggregate folded up to that
  instant says: whose result stands, what stands beneath, how much of each entry counted.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from domain import commands as c
from domain.county import County
from domain.decimals import CENT, ZERO, round2
from domain.errors import ConflictError, DomainError, InvalidCommand, NotFound
from domain.provinces import province_of
from domain.scheme import AUTHORITIES, Scheme
from domain.scheme_reading import parse_scheme
from domain.scoring import score_year
from projections import queries
from projections.temporal import micros
from ruraleval.platform import Platform
from ruraleval.replay import county_as_of
from ruraleval.settings import parse_database_url
from tests.conftest import example_document

NODES = ("1.1", "2", "total")
FIXED_MAXIMA = {"2": Decimal(50), "total": Decimal(100)}
START = datetime(2023, 5, 20, 1, tzinfo=UTC)
D = Decimal


def scheme_for(order: list[str]) -> Scheme:
    document = copy.deepcopy(example_document())
    document["authorities"] = order
    document["indicators"] += [
        {"code": "B1", "name": "创新工作加分", "kind": "bonus_penalty", "sign": "bonus"},
        {"code": "P1", "name": "安全事故减分", "kind": "bonus_penalty", "sign": "penalty"},
    ]
    return parse_scheme(document)


orders = st.one_of(st.just(["province", "city", "centre", "county"]), st.permutations(list(AUTHORITIES)))
scores = st.decimals(min_value=0, max_value=110, places=2)


def draw_command(data: st.DataObject, step: int, overrides: list[str], entries: list[str]) -> c.CountyCommand:
    kind = data.draw(
        st.sampled_from(
            ["override"] * 6 + ["revoke"] * 3 + ["weights", "close", "reopen"] + ["points"] * 2 + ["unpoints"] * 2
        )
    )
    if kind == "override":
        node = data.draw(st.sampled_from(NODES))
        authority = data.draw(st.sampled_from(AUTHORITIES))
        overrides.append(f"o{step}")
        return c.OverrideScore(2023, node, data.draw(scores), authority, f"{authority} 核查", f"o{step}")
    if kind == "revoke":
        return c.RevokeOverride(data.draw(st.sampled_from([*overrides, "o-none"])), "撤销")
    if kind == "weights":
        weight = data.draw(st.integers(0, 50))
        return c.AdjustWeights("1", {"1.1": D(weight), "1.2": D(50 - weight)}, "调整权重")
    if kind == "close":
        return c.ClosePeriod("2023", "年度评估结束")
    if kind == "reopen":
        return c.ReopenPeriod("2023", "补录")
    if kind == "points":
        entries.append(f"a{step}")
        points = data.draw(
            st.one_of(
                st.decimals(min_value=-6, max_value=6, places=2),
                st.decimals(min_value=-12, max_value=12, places=3),
            ).filter(bool)
        )
        matching = "B1" if points > 0 else "P1"
        category = data.draw(st.sampled_from([matching] * 4 + ["B1", "P1"]))
        return c.AdjustPoints(2023, points, category, "加减分", f"a{step}")
    return c.RevokePoints(data.draw(st.sampled_from([*entries, "a-none"])), "撤销加减分")


# ------------------------------------------------------------------------ the model


@dataclass
class Recorded:
    id: str
    node: str
    score: Decimal
    authority: str
    seq: int
    revoked: bool = False


@dataclass
class Model:
    order: list[str]
    weight: Decimal = field(default_factory=lambda: Decimal(20))  # of 1.1
    closed: bool = False

    def __post_init__(self) -> None:
        self.overrides: list[Recorded] = []
        self.points: list[tuple[str, Decimal, bool]] = []  # id, points, revoked

    def rank(self, authority: str) -> int:
        return self.order.index(authority)

    def maximum(self, node: str) -> Decimal:
        return self.weight if node == "1.1" else FIXED_MAXIMA[node]

    def standing(self, node: str) -> Recorded | None:
        candidates = [o for o in self.overrides if o.node == node and not o.revoked and o.score <= self.maximum(node)]
        return min(candidates, key=lambda o: (self.rank(o.authority), -o.seq), default=None)

    def above_county(self, authority: str) -> bool:
        return self.rank(authority) < self.rank("county")

    def expect(self, command: c.CountyCommand, step: int) -> tuple[type[DomainError] | None, str | None]:
        """What the county must answer: None if it accepts, else the error and rule."""
        if isinstance(command, c.OverrideScore):
            if self.closed and not self.above_county(command.authority):
                return ConflictError, "period_open"
            if command.score > self.maximum(command.node):
                return InvalidCommand, "within_node_maximum"
            standing = self.standing(command.node)
            if standing is not None and self.rank(standing.authority) < self.rank(command.authority):
                return ConflictError, "higher_authority_stands"
            self.overrides.append(Recorded(command.override_id, command.node, command.score, command.authority, step))
            return None, None
        if isinstance(command, c.RevokeOverride):
            found = next((o for o in self.overrides if o.id == command.override_id), None)
            if found is None:
                return NotFound, "known_override"
            if found.revoked:
                return ConflictError, "not_revoked"
            if self.closed and not self.above_county(found.authority):
                return ConflictError, "period_open"
            found.revoked = True
            return None, None
        if isinstance(command, c.AdjustWeights):
            if self.closed:
                return ConflictError, "period_open"
            standing = self.standing("1.1")
            if standing is not None and standing.score > command.weights["1.1"]:
                return ConflictError, "override_within_weight"
            if command.weights["1.1"] == self.weight:  # a change of nothing is refused, not recorded
                return InvalidCommand, "changed"
            self.weight = command.weights["1.1"]
            return None, None
        if isinstance(command, c.ClosePeriod):
            if self.closed:
                return ConflictError, "period_open"
            self.closed = True
            return None, None
        if isinstance(command, c.ReopenPeriod):
            if not self.closed:
                return ConflictError, "closed_period"
            self.closed = False
            return None, None
        if isinstance(command, c.AdjustPoints):
            if self.closed:
                return ConflictError, "period_open"
            wrong_sign = (command.points > 0) != (command.category == "B1")
            cap = D(5) if command.points > 0 else D(10)
            if wrong_sign:
                return InvalidCommand, "category_sign"
            if abs(command.points) > cap:
                return InvalidCommand, "within_cap"
            if command.points != command.points.quantize(CENT):
                return InvalidCommand, "two_decimals"
            self.points.append((command.adjustment_id, command.points, False))
            return None, None
        assert isinstance(command, c.RevokePoints)
        index = next((i for i, entry in enumerate(self.points) if entry[0] == command.adjustment_id), None)
        if index is None:
            return NotFound, "known_adjustment"
        if self.points[index][2]:
            return ConflictError, "not_revoked"
        if self.closed:
            return ConflictError, "period_open"
        self.points[index] = (self.points[index][0], self.points[index][1], True)
        return None, None

    def counted(self) -> list[tuple[str, Decimal, Decimal]]:
        room = {True: D(5), False: D(10)}
        counted = []
        for entry, points, revoked in self.points:
            if revoked:
                continue
            share = min(abs(points), room[points > 0])
            room[points > 0] -= share
            counted.append((entry, points, share if points > 0 else -share))
        return counted


def rule_of(error: DomainError) -> str:
    return error.problems[0].rule


@settings(max_examples=120, deadline=None)
@given(st.data(), orders, st.integers(min_value=1, max_value=45))
def test_the_standing_result_is_the_highest_authoritys_latest_override_that_fits(
    data: st.DataObject, order: list[str], steps: int
) -> None:
    scheme = scheme_for(order)
    county = County.enrol(c.EnrolCounty("110101", "示范县", "北京市", "east", scheme), c.Context("admin", "c"))
    county.handle(c.SubmitData("2.2", "2023", D(90)), c.Context("county", "c"))
    events: list[Any] = list(county.collect_events())
    model = Model(order)
    overrides: list[str] = []
    entries: list[str] = []
    for step in range(steps):
        command = draw_command(data, step, overrides, entries)
        before = {node: model.standing(node) for node in NODES}
        error, rule = model.expect(command, step)
        try:
            county.handle(command, c.Context(f"user-{step}", f"c-{step}"))
        except DomainError as refused:
            assert (type(refused), rule_of(refused)) == (error, rule), command
            assert county.pending_events == []
            event(f"refused {rule}")
            continue
        assert error is None, (command, error, rule)
        event(f"accepted {type(command).__name__}")
        if isinstance(command, c.RevokeOverride) and any(
            before[node] is not None and before[node].id == command.override_id and model.standing(node)
            for node in NODES
        ):
            event("restored an override beneath")
        events += county.collect_events()
        book = county.book(2023)
        card = score_year(book)
        for node in NODES:
            expected = model.standing(node)
            shown = card.total_override if node == "total" else card.node(node).override
            assert (shown.id if shown else None) == (expected.id if expected else None), node
            beneath = [o.id for o in book.ranked_overrides(node) if o is not shown]
            assert beneath == [
                o.id
                for o in sorted(model.overrides, key=lambda o: (model.rank(o.authority), -o.seq))
                if o.node == node and not o.revoked and o is not expected and o.id != (shown.id if shown else None)
            ]
            assert ZERO <= (card.total if node == "total" else card.node(node).score) <= model.maximum(node)
        assert [(e.id, e.points, e.counted) for e in card.adjustments] == model.counted()
        assert card.bonus == sum((e.counted for e in card.adjustments if e.points > 0), ZERO) <= D(5)

    rebuilt: County | None = None
    for recorded in events:
        rebuilt = recorded.mutate(rebuilt)
    assert rebuilt is not None and rebuilt.version == county.version
    assert rebuilt.years == county.years
    assert score_year(rebuilt.book(2023)) == score_year(county.book(2023))


# ------------------------------------------------------------- the read models agree


def oracle_results(county: County) -> dict[str, Any]:
    """What the aggregate says, in the read models' words (figures rounded as shown)."""
    book = county.book(2023)
    card = score_year(book)
    results: dict[str, Any] = {}
    for node in [n.code for n in card.nodes] + ["total"]:
        standing = card.total_override if node == "total" else card.node(node).override
        results[node] = (
            standing and (standing.id, standing.authority, standing.actor, standing.reason, round2(standing.score)),
            [(o.id, book.fits(o)) for o in book.ranked_overrides(node) if o is not standing],
        )
    results["points"] = [(e.id, e.kind, round2(e.points), round2(e.counted)) for e in card.adjustments]
    results["caps"] = (
        round2(card.bonus_before_cap),
        round2(card.bonus),
        round2(card.penalty_before_cap),
        round2(card.penalty),
    )
    return results


def read_results(card: dict[str, Any]) -> dict[str, Any]:
    def standing(shown: dict[str, Any] | None) -> Any:
        if shown is None:
            return None
        return (shown["override_id"], shown["authority"], shown["actor"], shown["reason"], shown["score"])

    results: dict[str, Any] = {
        node["code"]: (standing(node["override"]), [(o["override_id"], o["fits"]) for o in node["superseded"]])
        for node in card["nodes"]
    }
    results["total"] = (
        standing(card["total_override"]),
        [(o["override_id"], o["fits"]) for o in card["total_superseded"]],
    )
    results["points"] = [(a["adjustment_id"], a["kind"], a["points"], a["counted"]) for a in card["adjustments"]]
    results["caps"] = (card["bonus_before_cap"], card["bonus"], card["penalty_before_cap"], card["penalty"])
    return results


def run_on(
    platform: Platform, code: str, order: list[str], commands: list[tuple[c.CountyCommand, int]]
) -> list[datetime]:
    scheme = scheme_for(order)
    context = c.Context("centre", "setup", START)
    with contextlib.suppress(DomainError):  # published by an earlier example
        platform.ledger.publish_scheme(scheme, context)
    platform.ledger.enrol(c.EnrolCounty(code, f"县{code}", province_of(code), "east", scheme), context)
    now, instants = START, [START]
    for index, (command, minutes) in enumerate(commands):
        now += timedelta(minutes=minutes)
        instants.append(now)
        with contextlib.suppress(DomainError):
            platform.ledger.execute(code, command, c.Context(f"user-{index % 3}", f"s{index}", now))
    platform.projections.catch_up()
    return instants


def assert_read_models_agree(platform: Platform, code: str, instants: list[datetime]) -> None:
    with platform.reads.snapshot() as view:
        current = queries.scorecard(view, code, 2023)
    assert current is not None
    assert read_results(current) == oracle_results(platform.ledger.county(code))
    for instant in [*instants, instants[-1] + timedelta(days=1)]:
        for probe in (instant - timedelta(microseconds=1), instant):
            folded = county_as_of(platform.ledger, code, probe)
            with platform.reads.snapshot() as view:
                card = queries.scorecard_as_of(view, code, 2023, micros(probe))
            if folded is None:
                assert card is None
                continue
            assert card is not None
            assert read_results(card) == oracle_results(folded), probe


def commands_from(data: st.DataObject, steps: int) -> list[tuple[c.CountyCommand, int]]:
    overrides: list[str] = []
    entries: list[str] = []
    return [(draw_command(data, step, overrides, entries), data.draw(st.integers(0, 90))) for step in range(steps)]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), orders, st.integers(min_value=1, max_value=30))
def test_the_read_models_say_what_the_aggregate_says_now_and_as_of(
    data: st.DataObject, order: list[str], steps: int
) -> None:
    platform = Platform(parse_database_url("memory://"))
    try:
        instants = run_on(platform, "130425", order, commands_from(data, steps))
        assert_read_models_agree(platform, "130425", instants)
    finally:
        platform.close()


def test_the_read_models_agree_on_real_stores(store_url: str, make_platform: Callable[..., Platform]) -> None:
    platform = make_platform(store_url)
    codes = (str(code) for code in itertools.count(130000))

    @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(st.data(), orders, st.integers(min_value=5, max_value=25))
    def examples(data: st.DataObject, order: list[str], steps: int) -> None:
        code = next(codes)
        instants = run_on(platform, code, order, commands_from(data, steps))
        assert_read_models_agree(platform, code, instants)

    examples()
