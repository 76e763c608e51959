"""As of D: the temporal read model equals a replay of the events recorded up to D."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import commands as c
from domain.decimals import round2
from domain.errors import DomainError
from domain.provinces import province_of
from domain.scheme import Scheme
from domain.scheme_reading import parse_scheme
from projections import queries, ranking_queries
from projections.temporal import micros
from ruraleval.ledger import utc_now
from ruraleval.platform import Platform
from ruraleval.replay import scorecard_as_of
from ruraleval.settings import parse_database_url
from tests.conftest import example_document

SCHEME: Scheme = parse_scheme(example_document())
REGIONS = ("east", "central", "west")
START = datetime(2023, 5, 20, 1, tzinfo=UTC)
PERIODS = {"1.1": ["2023"], "1.2": [f"2023-{m:02d}" for m in range(1, 13)], "2.1": [f"2023-Q{q}" for q in (1, 2)],
           "2.2": ["2023"]}  # fmt: skip

values = st.decimals(min_value=0, max_value=120, places=1, allow_nan=False, allow_infinity=False)
data = st.sampled_from(sorted(PERIODS)).flatmap(
    lambda code: st.tuples(
        st.sampled_from(["submit", "correct"]), st.just(code), st.sampled_from(PERIODS[code]), values
    )
)
others = st.one_of(
    st.tuples(st.just("override"), st.sampled_from(["1", "2.2", "total"]), st.integers(0, 50)),
    st.tuples(st.just("revoke"), st.integers(0, 9)),
    st.tuples(st.just("points"), st.integers(-6, 6).filter(bool)),
    st.tuples(st.just("weights"), st.integers(0, 50)),
)
step = st.tuples(st.integers(0, 2), st.one_of(data, others), st.integers(1, 600))
# Instants within the last second, asked while the steps are written live: (after which step, µs before now).
recent = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 999_999)), min_size=1, max_size=6)


def command(action: tuple[Any, ...], index: int, overrides: list[str]) -> c.CountyCommand:
    kind = action[0]
    if kind == "submit":
        return c.SubmitData(action[1], action[2], action[3])
    if kind == "correct":
        return c.CorrectData(action[1], action[2], action[3], "更正")
    if kind == "override":
        overrides.append(f"o{index}")
        return c.OverrideScore(2023, action[1], Decimal(action[2]), "province", "核查", f"o{index}")
    if kind == "revoke":
        return c.RevokeOverride(overrides[action[1] % len(overrides)] if overrides else "none", "撤销")
    if kind == "points":
        return c.AdjustPoints(2023, Decimal(action[1]), "类别", "加减分", f"a{index}")
    return c.AdjustWeights("1", {"1.1": Decimal(action[1]), "1.2": Decimal(50 - action[1])}, "调整")


class World:
    """A store shared by several examples: each example enrols counties of its own."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.codes: list[str] = []
        self.regions: dict[str, str] = {}

    def new_counties(self, at: datetime | None = START) -> list[str]:
        """Three counties enrolled at ``at`` (None: now, stamped by the ledger)."""
        # 13 河北 (east), 14 山西 (central), 15 内蒙古 (west): each county in its province's region
        codes = [f"{13 + offset}{len(self.codes) + 1:04d}" for offset in range(len(REGIONS))]
        context = c.Context("centre", "setup", at)
        with contextlib.suppress(DomainError):  # published by an earlier example
            self.platform.ledger.publish_scheme(SCHEME, context)
        for code, region in zip(codes, REGIONS, strict=True):
            self.platform.ledger.enrol(c.EnrolCounty(code, f"县{code}", province_of(code), region, SCHEME), context)
            self.regions[code] = region
        self.codes += codes
        return codes


def record(world: World, steps: list[tuple[int, tuple[Any, ...], int]]) -> list[datetime]:
    """Runs the steps on a simulated clock over new counties; returns the instant of each step."""
    codes = world.new_counties()
    now, instants, overrides = START, [START], []
    for index, (county, action, minutes) in enumerate(steps):
        now += timedelta(minutes=minutes)
        instants.append(now)
        context = c.Context("user", f"s{index}", now)
        with contextlib.suppress(DomainError):  # refusals record nothing; the property is about what was
            world.platform.ledger.execute(codes[county], command(action, index, overrides), context)
    world.platform.projections.catch_up()
    return instants


def assert_as_of_equals_replay(world: World, instant: datetime) -> None:
    platform, at = world.platform, micros(instant)
    expected_ranking = []
    for code in world.codes:
        oracle = scorecard_as_of(platform.ledger, code, 2023, instant)
        with platform.reads.snapshot() as view:
            card = queries.scorecard_as_of(view, code, 2023, at)
        if oracle is None:
            assert card is None
            continue
        assert card is not None
        assert (card["total"], card["grade"], card["bonus"], card["penalty"]) == (
            round2(oracle.total),
            oracle.grade,
            round2(oracle.bonus),
            round2(oracle.penalty),
        )
        assert [(n["code"], n["score"], n["max"], n["value"], n["overridden"]) for n in card["nodes"]] == [
            (n.code, round2(n.score), round2(n.max), round2(n.value), n.overridden) for n in oracle.nodes
        ]
        expected_ranking.append({"county": code, "name": f"县{code}", "region": world.regions[code],
                                 "province": province_of(code), "total": str(oracle.total),
                                 "grade": oracle.grade})  # fmt: skip
    with platform.reads.snapshot() as view:
        assert ranking_queries.rankings_as_of(view, 2023, at) == ranking_queries.rank(expected_ranking)


def answer(world: World, instant: datetime) -> tuple[list[Any], list[Any]]:
    """What the read models say as of ``instant``: every county's scorecard, and the rankings."""
    at = micros(instant)
    with world.platform.reads.snapshot() as view:
        cards = [queries.scorecard_as_of(view, code, 2023, at) for code in world.codes]
        return cards, ranking_queries.rankings_as_of(view, 2023, at)


def check_recent(world: World, steps: list[tuple[int, tuple[Any, ...], int]], asks: list[tuple[int, int]]) -> None:
    """The steps written live, on the ledger's clock; between them, as-of reads of instants
    within the last second, settled as the API settles them. Asked again at the end, each
    instant gets the same answer, and it is what a replay up to it gives."""
    codes = world.new_counties(at=None)
    overrides: list[str] = []
    given: list[tuple[datetime, tuple[list[Any], list[Any]]]] = []
    for index in range(len(steps) + 1):
        for after, before in asks:
            if after % (len(steps) + 1) == index:
                moment = utc_now() - timedelta(microseconds=before)
                world.platform.settle(moment)
                given.append((moment, answer(world, moment)))
        if index < len(steps):
            county, action, _ = steps[index]
            with contextlib.suppress(DomainError):
                command_ = command(action, index, overrides)
                world.platform.ledger.execute(codes[county], command_, c.Context("user", f"live{index}"))
    for moment, first in given:
        world.platform.settle(moment)
        assert answer(world, moment) == first, f"the answer as of {moment.isoformat()} changed"
        assert_as_of_equals_replay(world, moment)


def check_property(
    world: World, steps: list[tuple[int, tuple[Any, ...], int]], picks: list[int], asks: list[tuple[int, int]]
) -> None:
    instants = record(world, steps)
    probes = [START - timedelta(days=1), instants[-1] + timedelta(days=1)]
    for pick in picks:
        moment = instants[pick % len(instants)]
        probes += [moment, moment - timedelta(microseconds=1), moment + timedelta(seconds=30)]
    for probe in probes:
        assert_as_of_equals_replay(world, probe)
    check_recent(world, steps, asks)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(step, max_size=30), picks=st.lists(st.integers(0, 1000), min_size=1, max_size=4), asks=recent)
def test_as_of_equals_replay_in_memory(
    steps: list[tuple[int, tuple[Any, ...], int]], picks: list[int], asks: list[tuple[int, int]]
) -> None:
    platform = Platform(parse_database_url("memory://"))
    try:
        check_property(World(platform), steps, picks, asks)
    finally:
        platform.close()


def test_as_of_equals_replay_on_real_stores(store_url: str, make_platform: Callable[..., Platform]) -> None:
    """The same property on SQLite and PostgreSQL: one store, new counties for each example."""
    world = World(make_platform(store_url))

    @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(steps=st.lists(step, max_size=25), picks=st.lists(st.integers(0, 1000), min_size=1, max_size=3), asks=recent)
    def examples(steps: list[tuple[int, tuple[Any, ...], int]], picks: list[int], asks: list[tuple[int, int]]) -> None:
        check_property(world, steps, picks, asks)

    examples()
