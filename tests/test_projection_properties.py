"""Property: the scores read model always equals scoring a replay of the county's events."""

from __future__ import annotations

import contextlib
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import commands as c
from domain.decimals import round2
from domain.errors import DomainError
from domain.scheme import Scheme
from domain.scheme_reading import parse_scheme
from domain.scoring import score_year
from projections import queries
from ruraleval.platform import Platform
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


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions=actions)
def test_read_model_equals_replay(actions: list[tuple[str, tuple[Any, ...]]]) -> None:
    platform = Platform(parse_database_url("memory://"))
    try:
        context = c.Context("tester", "property")
        platform.ledger.publish_scheme(SCHEME, context)
        for code in CODES:
            platform.ledger.enrol(c.EnrolCounty(code, f"县{code}", "省", "east", SCHEME), context)
        overrides: list[str] = []
        for index, (code, action) in enumerate(actions):
            # Refused commands change nothing; the property covers what was accepted.
            with contextlib.suppress(DomainError):
                platform.ledger.execute(code, command_for(action, index, overrides), context)
        platform.projections.catch_up()
        for code in CODES:
            replayed = score_year(platform.ledger.county(code).years["2023"])
            card = queries.scorecard(platform.reads, code, 2023)
            assert card is not None
            assert card["total"] == round2(replayed.total)
            assert card["grade"] == replayed.grade
            assert [(n["code"], n["score"], n["overridden"]) for n in card["nodes"]] == [
                (n.code, round2(n.score), n.overridden) for n in replayed.nodes
            ]
            assert Decimal(0) <= card["total"] <= Decimal(100)
    finally:
        platform.close()
