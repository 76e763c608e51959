"""Ranks by attainment where counties weigh a node differently, and county years without
data, over ``tests.analysis_world`` with two more counties (figures worked by hand):

- G 130105 (east) shifts 2023's weights of 1 to 1.1 = 45, 1.2 = 15 and records 1.1 = 95:
  score 45·95/100 = 42.75 of 45 (95 %), above C's and E's 40 of 40 (100 %) in points but
  below them in attainment; B's 38 of 40 (since its correction) is 95 % too.
- F 130106 (east) enrols in 2023 and adopts 2024 but records nothing in either year.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from domain import commands as c
from domain.provinces import province_of
from domain.scheme_reading import parse_scheme
from reports.analysis import horizontal, indicator_facts
from reports.analysis_vertical import vertical
from ruraleval.platform import Platform
from tests.analysis_world import SCHEME_2023, A, B, C, D, E, at, build, record, scheme_2024

D_ = Decimal
F, G = "130106", "130105"


def grow(platform: Platform) -> None:
    build(platform, catch_up=False)
    scheme = parse_scheme(SCHEME_2023)
    for code, name in ((F, "己县"), (G, "庚县")):
        command = c.EnrolCounty(code, name, province_of(code) or "", "east", scheme)
        platform.ledger.enrol(command, c.Context("centre", f"enrol-{code}", at("2023-01-11 09:00")))
    weights = {"1.1": D_(45), "1.2": D_(15)}
    record(platform, G, "2023-02-01 09:00", c.AdjustWeights("1", weights, "调整权重", 2023))
    record(platform, G, "2023-06-20 10:05", c.SubmitData("1.1", "2023", D_(95)))
    record(platform, F, "2024-01-10 09:30", c.AdoptScheme(parse_scheme(scheme_2024())))
    platform.projections.catch_up()


def test_an_indicator_ranks_by_attainment_not_by_points_on_both_stores(
    store_url: str, make_platform: Callable[[str], Platform]
) -> None:
    platform = make_platform(store_url)
    grow(platform)
    found = horizontal(platform, 2023, "1.1", None)
    # attainment: C, E 100 %; B, G 95 %; A 90 %; D 70 % (F has no data: left out)
    assert [(p.county, p.score, p.max, p.rank) for p in found.counties] == [
        (C, D_(40), D_(40), 1), (E, D_(40), D_(40), 1), (B, D_(38), D_(40), 3), (G, D_("42.75"), D_(45), 3),
        (A, D_(36), D_(40), 5), (D, D_(28), D_(40), 6),
    ]  # fmt: skip
    east = {p.county: p.region_rank for p in found.counties if p.region == "east"}
    assert east == {C: 1, B: 2, G: 2, A: 4}
    facts = {f.code: f for f in indicator_facts(platform, G, 2023, None)}
    assert (facts["1.1"].rank, facts["1.1"].count, facts["1.1"].region_rank) == (3, 6, 2)
    assert vertical(platform, G, "1.1", 2023, None).years[0].rank == 3
    # the total is still ranked by score (out of 100 for every county); G: 42.75 + 0 + 0
    totals = horizontal(platform, 2023, "total", None)
    assert [p.county for p in totals.counties][-1] == G and F not in {p.county for p in totals.counties}


def test_a_county_year_without_data_has_no_score_rank_or_grade(
    store_url: str, make_platform: Callable[[str], Platform]
) -> None:
    platform = make_platform(store_url)
    grow(platform)
    years = vertical(platform, F, "total", 2024, None).years
    assert [(y.year, y.score, y.rank, y.grade, y.max) for y in years] == [
        (2023, None, None, None, D_(100)), (2024, None, None, None, D_(100)),
    ]  # fmt: skip
    found = horizontal(platform, 2024, "total", None)
    assert [p.county for p in found.counties] == [B, A]  # B 24, A 20 on 1.1; F left out
    assert found.scores.count == 2 and all(p.count == 2 for p in found.counties)
    facts = {f.code: f for f in indicator_facts(platform, F, 2024, None)}
    assert facts["1.1"].rank is None and facts["1.1"].count == 2
    assert facts["1.1"].last_year_rank is None


def test_a_countys_first_value_brings_it_into_the_ranks(
    store_url: str, make_platform: Callable[[str], Platform]
) -> None:
    platform = make_platform(store_url)
    grow(platform)
    found = horizontal(platform, 2024, "2.2", None)  # A and B have data in 2024 (1.1), F none
    assert {p.county for p in found.counties} == {A, B} and found.node_name == "自来水普及率"
    record(platform, F, "2024-06-01 09:00", c.SubmitData("2.2", "2024", D_(5)))  # F's first value
    platform.projections.catch_up()
    assert {p.county for p in horizontal(platform, 2024, "total", None).counties} == {A, B, F}
