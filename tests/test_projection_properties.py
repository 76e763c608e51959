"""Property: the scores read model always equals scoring a replay of the county's events,
now and as of instants within the last second, asked while the events are written."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import commands as c
from domain.decimals import round2
from domain.errors import DomainError
from domain.provinces import province_of, region_of
from domain.scheme import Scheme
from domain.scheme_reading import parse_scheme
from domain.scoring import score_year
from projections import queries
from projections.temporal import micros
from ruraleval.ledger import utc_now
from ruraleval.platform import Platform
from ruraleval.replay import scorecard_as_of
from ruraleval.settings import parse_database_url
from tests.conftest import example_document

CODES = ["130425", "411523"]
PERIODS = {
    "1.1": ["2023"],
    "1.2": [f"2023-{m:02d}" for m in range(1, 13)],
    "2.1": [f"2023-Q{q}" for q in range(1, 5)],
    "2.2": ["2023"],
}

values = st.decimals(min_value=0, max_value=150, places=2, allow_nan=False, allow_infinity=False)
submission = st.sampled_from(sorted(PERIODS)).flatmap(
    lambda code: st.tuples(st.just("submit"), st.just(code), st.sampled_from(PERIODS[code]), values)
)
override = st.tuples(st.just("override"), st.sampled_from(["1", "1.1", "2.2", "total"]), st.integers(0, 60))
points = st.tuples(st.just("points"), st.integers(-8, 8))
weights = st.tuples(st.just("weights"), st.integers(0, 50))
revoke = st.tuples(st.just("revoke"), st.integers(0, 5))
actions = st.lists(
    st.tuples(st.sampled_from(CODES), st.one_of(submission, override, points, weights, revoke)), max_size=25
)
# As-of reads between the actions: (after which action, microseconds before now).
recent = st.lists(st.tuples(st.integers(0, 30), st.integers(0, 999_999)), max_size=5)


def command_for(action: tuple[Any, ...], index: int, overrides: list[str]) -> c.CountyCommand:
    kind = action[0]
    if kind == "submit":
        return c.SubmitData(action[1], action[2], action[3])
    if kind == "override":
        overrides.append(f"o{index}")
        return c.OverrideScore(2023, action[1], Decimal(action[2]), "centre", "核查", f"o{index}")
    if kind == "points":
        return c.AdjustPoints(2023, Decimal(action[1]), "类别", "加减分", f"a{index}")
    if kind == "weights":
        return c.AdjustWeights("1", {"1.1": Decimal(action[1]), "1.2": Decimal(50 - action[1])}, "调整")
    return c.RevokeOverride(overrides[action[1] % len(overrides)] if overrides else "none", "撤销")


SCHEME: Scheme = parse_scheme(example_document())


def _shown(card: Any) -> Any:
    return None if card is None else (card["total"], card["grade"], [(n["code"], n["score"]) for n in card["nodes"]])


def check(
    platform: Platform, codes: dict[str, str], actions: list[tuple[str, tuple[Any, ...]]], asks: list[tuple[int, int]]
) -> None:
    """``codes`` maps the strategy's county codes to this example's own (a shared store enrols new ones)."""
    context = c.Context("tester", "property")
    with contextlib.suppress(DomainError):  # published by an earlier example on a shared store
        platform.ledger.publish_scheme(SCHEME, context)
    for code in codes.values():
        region = region_of(code) or "east"  # the province's own: enrolment refuses another
        platform.ledger.enrol(c.EnrolCounty(code, f"县{code}", province_of(code), region, SCHEME), context)
    overrides: list[str] = []
    given: list[tuple[datetime, str, Any]] = []
    for index in range(len(actions) + 1):
        for after, before in asks:
            if after % (len(actions) + 1) == index:
                moment = utc_now() - timedelta(microseconds=before)
                platform.settle(moment)
                with platform.reads.snapshot() as view:
                    given += [(moment, code, _shown(queries.scorecard_as_of(view, code, 2023, micros(moment))))
                              for code in codes.values()]  # fmt: skip
        if index < len(actions):
            code, action = actions[index]
            # Refused commands change nothing; the property covers what was accepted.
            with contextlib.suppress(DomainError):
                platform.ledger.execute(codes[code], command_for(action, index, overrides), context)
    platform.projections.catch_up()
    for code in codes.values():
        replayed = score_year(platform.ledger.county(code).years["2023"])
        with platform.reads.snapshot() as view:
            card = queries.scorecard(view, code, 2023)
        assert card is not None
        assert card["total"] == round2(replayed.total)
        assert card["grade"] == replayed.grade
        assert [(n["code"], n["score"], n["overridden"]) for n in card["nodes"]] == [
            (n.code, round2(n.score), n.overridden) for n in replayed.nodes
        ]
        assert Decimal(0) <= card["total"] <= Decimal(100)
    for moment, code, first in given:
        platform.settle(moment)
        with platform.reads.snapshot() as view:
            again = _shown(queries.scorecard_as_of(view, code, 2023, micros(moment)))
        assert again == first, f"the answer as of {moment.isoformat()} changed"
        oracle = scorecard_as_of(platform.ledger, code, 2023, moment)
        expected = None if oracle is None else (
            round2(oracle.total), oracle.grade, [(n.code, round2(n.score)) for n in oracle.nodes]
        )  # fmt: skip
        assert first == expected, f"as of {moment.isoformat()}"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions=actions, asks=recent)
def test_read_model_equals_replay(actions: list[tuple[str, tuple[Any, ...]]], asks: list[tuple[int, int]]) -> None:
    platform = Platform(parse_database_url("memory://"))
    try:
        check(platform, {code: code for code in CODES}, actions, asks)
    finally:
        platform.close()


def test_read_model_equals_replay_on_real_stores(store_url: str, make_platform: Callable[..., Platform]) -> None:
    platform = make_platform(store_url)
    examples_run = [0]

    @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(actions=actions, asks=recent)
    def examples(actions: list[tuple[str, tuple[Any, ...]]], asks: list[tuple[int, int]]) -> None:
        examples_run[0] += 1
        own = {code: str(150000 + 10 * examples_run[0] + index) for index, code in enumerate(CODES)}
        check(platform, own, actions, asks)

    examples()
