"""Sampling over many seeds and random registries: every sample meets the scheme's constraints
or is refused with the reason, and a redraw from the recorded seed and population is the same."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain import verification_commands as v
from domain.errors import DomainError
from domain.sampling import draw, eligible
from domain.towns import Household, Town, Village
from domain.verification import TownVerification
from domain.verification_handlers import handle, open_verification
from domain.verification_rules import SampleRules
from tests.town_world import CONTEXT, example_scheme

SCHEME = example_scheme()
RULES = SCHEME.verification.sample
# Households that meet the standard are the commoner, so that both draws and refusals are frequent.
FLAG_SETS = [
    [],
    ["监测户"],
    ["残疾人户"],
    ["脱贫户"],
    ["脱贫退出户"],
    ["脱贫户"],
    ["脱贫退出户"],
    ["脱贫户", "残疾人户"],
    ["脱贫退出户", "残疾人户"],
]

villages_strategy = st.lists(
    st.tuples(
        st.sampled_from([False, False, False, True]),
        st.lists(st.sampled_from(range(len(FLAG_SETS))), min_size=3, max_size=9),
    ),
    max_size=9,
)


def registered(villages: list[tuple[bool, list[int]]]) -> TownVerification:
    year = open_verification("130425", "大名县", v.OpenVerification(SCHEME), CONTEXT)
    command = v.RegisterObjects(
        towns=[Town("T1", "甲镇")],
        villages=[Village(f"V{i}", f"{i}村", "T1", relief) for i, (relief, _) in enumerate(villages)],
        households=[
            Household(f"V{i}H{j}", f"户主{j}", f"V{i}", list(FLAG_SETS[flags]))
            for i, (_, houses) in enumerate(villages)
            for j, flags in enumerate(houses)
        ],
    )
    if command.villages:
        handle(year, command, CONTEXT)
    else:
        handle(year, v.RegisterObjects(towns=command.towns), CONTEXT)
    return year


def feasible_villages(year: TownVerification, rules: SampleRules) -> list[str]:
    """The villages of the kind that can give the households asked for, worked out independently."""
    found = []
    for village in year.registry.villages_of("T1"):
        if village.poverty_relief != rules.village_poverty_relief:
            continue
        houses = [h for h in year.registry.households_of(village.code) if eligible(h, rules)]
        enough = len(houses) >= rules.households_per_village
        if enough and all(sum(r.flag in h.flags for h in houses) >= r.min for r in rules.require):
            found.append(village.code)
    return found


@settings(max_examples=250, deadline=None)
@given(villages=villages_strategy, seed=st.text(alphabet="abcdef0123456789-_", min_size=1, max_size=20))
def test_every_sample_meets_the_rules_or_is_refused_with_the_reason(
    villages: list[tuple[bool, list[int]]], seed: str
) -> None:
    year = registered(villages)
    feasible = feasible_villages(year, RULES)
    try:
        answer: dict[str, Any] = handle(year, v.DrawSample("T1", seed), CONTEXT)
    except DomainError as refused:
        problem = refused.problems[0]
        assert len(feasible) < RULES.villages_per_town
        assert (problem.field, problem.rule) == ("town", "sample_possible")
        assert f"只有 {len(feasible)} 个可抽查的非贫困村" in problem.message
        assert f"抽样需要 {RULES.villages_per_town} 个" in problem.message
        assert "T1" not in year.book.samples
        return
    assert len(feasible) >= RULES.villages_per_town
    sample = year.book.samples["T1"]
    assert sample.seed == seed and answer["villages"] == sample.drawn.villages
    assert len(set(sample.drawn.villages)) == RULES.villages_per_town
    assert set(sample.drawn.villages) <= set(feasible)
    for village in sample.drawn.villages:
        chosen = [year.registry.households[code] for code in sample.drawn.households[village]]
        assert len({h.code for h in chosen}) == RULES.households_per_village
        assert all(h.village == village and eligible(h, RULES) for h in chosen)
        for requirement in RULES.require:
            assert sum(requirement.flag in h.flags for h in chosen) >= requirement.min
    # Anyone can redraw it from what the event recorded, and gets the same sample.
    event = year.collect_events()[-1]
    assert isinstance(event, TownVerification.SampleDrawn)
    assert draw(event.seed, event.population, event.rules) == event.drawn


@settings(max_examples=40, deadline=None)
@given(seed=st.text(alphabet="abcdef0123456789", min_size=1, max_size=12))
def test_the_draw_does_not_depend_on_the_order_of_the_population(seed: str) -> None:
    year = registered([(False, [7, 3, 4, 5, 6, 3, 1]) for _ in range(6)])
    handle(year, v.DrawSample("T1", seed), CONTEXT)
    sample = year.book.samples["T1"]
    population = sample.population
    reversed_population = type(population)(
        villages=list(reversed(population.villages)),
        households={k: list(reversed(h)) for k, h in population.households.items()},
        flagged={k: {f: list(reversed(c)) for f, c in flags.items()} for k, flags in population.flagged.items()},
    )
    assert draw(seed, reversed_population, sample.rules) == sample.drawn


def test_different_seeds_draw_different_samples() -> None:
    year = registered([(False, [7, 3, 4, 5, 6, 3, 1]) for _ in range(8)])
    population = feasible_villages(year, RULES)
    assert len(population) == 8
    handle(year, v.DrawSample("T1", "one"), CONTEXT)
    sample = year.book.samples["T1"]
    drawn = {tuple(draw(seed, sample.population, sample.rules).villages) for seed in map(str, range(20))}
    assert len(drawn) > 1
