"""The analysis (数据分析): statistics, ranks and gaps worked out by hand, over the small world
of ``tests.analysis_world`` (its table gives every score)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.analysis import code_key, loss_order, quantile, ranks, shortfall, statistics
from domain.errors import InvalidCommand, NotFound
from projections.ranking_queries import rank
from reports.analysis import gap, horizontal, indicator_facts
from reports.analysis_vertical import month_ends, vertical
from ruraleval.platform import Platform
from tests.analysis_world import LATEST, A, B, C, D, E, T, build

D_ = Decimal


# ------------------------------------------------------------------------- pure arithmetic


def test_quartiles_interpolate_linearly_as_excel_quartile_inc() -> None:
    # 10, 20, 30, 40: q1 at (4−1)·¼ = 0.75 → 10 + 0.75·10 = 17.5; median at 1.5 → 25; q3 at 2.25 → 32.5
    found = statistics([D_(40), D_(10), D_(30), D_(20)])
    assert (found.count, found.q1, found.median, found.q3) == (4, D_("17.5"), D_(25), D_("32.5"))
    assert (found.mean, found.best) == (D_(25), D_(40))
    # five values: positions 1, 2, 3 exactly
    assert quantile([D_(1), D_(2), D_(3), D_(4), D_(5)], D_("0.25")) == D_(2)


def test_the_best_follows_the_direction_and_an_empty_group_has_no_figures() -> None:
    assert statistics([D_(16), D_(50)], "lower_better").best == D_(16)
    assert statistics([D_(16), D_(50)], "higher_better").best == D_(50)
    empty = statistics([])
    assert empty.count == 0 and empty.mean is None and empty.q1 is None and empty.best is None


def test_ranks_share_a_place_on_the_two_place_figures_as_the_rankings_do() -> None:
    scores = {"130101": D_("40"), "130102": D_("39.996"), "130103": D_("36"), "130104": D_("40.004")}
    assert ranks(scores) == {"130104": 1, "130101": 1, "130102": 1, "130103": 4}
    rows = [{"county": k, "name": k, "region": "east", "province": "", "total": str(v), "grade": ""}
            for k, v in scores.items()]  # fmt: skip
    assert {row["county"]: row["rank"] for row in rank(rows)} == ranks(scores)


def test_a_shortfall_is_measured_in_the_indicators_direction() -> None:
    assert shortfall(D_(90), D_(100), "higher_better") == D_(10)  # 10 short of the target
    assert shortfall(D_(25), D_(20), "lower_better") == D_(5)  # 5 above a ceiling
    assert shortfall(D_(16), D_(20), "lower_better") == D_(-4)  # better than the target
    assert shortfall(None, D_(20), "lower_better") is None


def test_gap_rows_sort_by_loss_then_weight_then_code_in_natural_order() -> None:
    rows = [(D_(0), D_(20), "1.2"), (D_(20), D_(40), "2.1"), (D_(0), D_(40), "1.10"), (D_(0), D_(40), "1.9")]
    assert [code for *_, code in sorted(rows, key=lambda r: loss_order(*r))] == ["2.1", "1.9", "1.10", "1.2"]
    assert code_key("1.10") > code_key("1.9")


figures = st.lists(st.decimals(min_value=-1000, max_value=1000, places=2), min_size=1, max_size=30)


@given(figures, st.randoms())
def test_statistics_are_ordered_and_do_not_depend_on_the_order_of_counties(values: list[Decimal], random) -> None:  # type: ignore[no-untyped-def]
    found = statistics(values)
    assert found.q1 is not None and found.median is not None and found.q3 is not None and found.mean is not None
    assert min(values) <= found.q1 <= found.median <= found.q3 <= max(values)
    assert min(values) <= found.mean <= max(values)
    assert found.best == max(values) and statistics(values, "lower_better").best == min(values)
    shuffled = list(values)
    random.shuffle(shuffled)
    assert statistics(shuffled) == found


# --------------------------------------------------------------------------- the world


@pytest.fixture(scope="module")
def world() -> Iterator[Platform]:
    from ruraleval.settings import parse_database_url

    platform = Platform(parse_database_url("memory://"))
    build(platform)
    yield platform
    platform.close()


def test_horizontal_totals_now_rank_all_counties_with_ties_and_region_ranks(world: Platform) -> None:
    found = horizontal(world, 2023, "total", None)
    # totals now: E 95, A 88, B 88 (corrected from 82), C 80, D 49
    assert [(p.county, p.score, p.rank, p.region_rank) for p in found.counties] == [
        (E, D_(95), 1, 1), (A, D_(88), 2, 1), (B, D_(88), 2, 1), (C, D_(80), 4, 3), (D, D_(49), 5, 2),
    ]  # fmt: skip
    assert all(p.count == 5 and p.value is None for p in found.counties)
    assert [p.region_count for p in found.counties] == [2, 3, 3, 3, 2]
    # 49, 80, 88, 88, 95: mean 400/5 = 80; median (h=2) 88; q1 (h=1) 80; q3 (h=3) 88
    s = found.scores
    assert (s.count, s.mean, s.median, s.q1, s.q3, s.best) == (5, D_(80), D_(88), D_(80), D_(88), D_(95))
    east, west = found.region_scores["east"], found.region_scores["west"]
    # east 80, 88, 88: mean 256/3; q1 at h=0.5 → 84; median 88; q3 at h=1.5 → 88
    assert (east.mean, east.q1, east.median, east.q3) == (D_(256) / 3, D_(84), D_(88), D_(88))
    # west 49, 95: mean 72; q1 at h=0.25 → 49 + 11.5 = 60.5; q3 at h=0.75 → 83.5
    assert (west.mean, west.q1, west.median, west.q3, west.best) == (D_(72), D_("60.5"), D_(72), D_("83.5"), D_(95))


def test_horizontal_as_of_t_shows_the_figures_before_the_correction(world: Platform) -> None:
    world.settle(T)
    found = horizontal(world, 2023, "total", T)
    assert [(p.county, p.score, p.rank) for p in found.counties] == [
        (E, D_(95), 1), (A, D_(88), 2), (B, D_(82), 3), (C, D_(80), 4), (D, D_(49), 5),
    ]  # fmt: skip
    # 49, 80, 82, 88, 95: mean 394/5 = 78.8, median 82, q1 80, q3 88
    assert (found.scores.mean, found.scores.median, found.scores.q1, found.scores.q3) == (
        D_("78.8"),
        D_(82),
        D_(80),
        D_(88),
    )
    assert found.as_of == T


def test_horizontal_of_an_indicator_gives_values_and_their_statistics_in_its_direction(world: Platform) -> None:
    found = horizontal(world, 2023, "1.1", T)
    # scores C 40, E 40, A 36, B 32, D 28: C and E share the first place
    assert [(p.county, p.value, p.score, p.rank, p.region_rank) for p in found.counties] == [
        (C, D_(100), D_(40), 1, 1), (E, D_(100), D_(40), 1, 1), (A, D_(90), D_(36), 3, 2),
        (B, D_(80), D_(32), 4, 3), (D, D_(70), D_(28), 5, 2),
    ]  # fmt: skip
    v = found.values  # 70, 80, 90, 100, 100
    assert (v.mean, v.median, v.q1, v.q3, v.best) == (D_(88), D_(90), D_(80), D_(100), D_(100))
    west = found.region_values["west"]  # 70, 100: q1 70 + 0.25·30 = 77.5, q3 92.5
    assert (west.q1, west.q3, west.mean) == (D_("77.5"), D_("92.5"), D_(85))
    lower = horizontal(world, 2023, "2.1", T).values  # 16, 20, 25, 40, 50: lower is better
    assert lower.best == D_(16) and lower.median == D_(25)
    assert found.node_name == "科技贡献率"


def test_a_scoped_reader_sees_its_counties_but_the_statistics_of_all(world: Platform) -> None:
    found = horizontal(world, 2023, "total", None, visible=frozenset({C}))
    assert [(p.county, p.rank, p.count) for p in found.counties] == [(C, 4, 5)]
    assert found.scores.count == 5 and found.scores.mean == D_(80)
    west = horizontal(world, 2023, "total", None, region="west")
    assert [p.county for p in west.counties] == [E, D] and set(west.region_scores) == {"east", "west"}


def test_horizontal_refuses_an_unknown_node_or_year_naming_the_field(world: Platform) -> None:
    with pytest.raises(NotFound) as unknown:
        horizontal(world, 2023, "9.9", None)
    assert unknown.value.problems[0].field == "node" and "9.9" in unknown.value.problems[0].message
    with pytest.raises(NotFound) as no_year:
        horizontal(world, 2019, "total", None)
    assert no_year.value.problems[0].field == "year"


def test_gap_rows_of_a_county_sort_by_lost_points(world: Platform) -> None:
    rows = gap(world, A, 2023, None).rows
    assert [(r.code, r.lost, r.max) for r in rows] == [("2.1", D_(8), D_(40)), ("1.1", D_(4), D_(40)),
                                                       ("1.2", D_(0), D_(20))]  # fmt: skip
    engel, tech, visits = rows
    # 2.1: 25 against a ceiling of 20 → 5 short; east values 25, 20, 40: best (lowest) 20, median 25
    assert (engel.value, engel.target, engel.to_target, engel.region_best, engel.region_median,
            engel.to_region_best) == (D_(25), D_(20), D_(5), D_(20), D_(25), D_(5))  # fmt: skip
    assert (engel.dimension, engel.unit, engel.direction) == ("生活", "%", "lower_better")
    # 1.1 now: east values 90, 95 (B corrected), 100: best 100, median 95
    assert (tech.to_target, tech.region_best, tech.region_median, tech.to_region_best) == (
        D_(10),
        D_(100),
        D_(95),
        D_(10),
    )
    assert (visits.value, visits.to_target, visits.to_region_best) == (D_(120), D_(0), D_(0))


def test_gap_ties_go_to_the_heavier_indicator_then_to_the_code(world: Platform) -> None:
    # C: 2.1 lost 20; 1.1 (w 40) and 1.2 (w 20) lost nothing
    assert [r.code for r in gap(world, C, 2023, None).rows] == ["2.1", "1.1", "1.2"]
    # E: 1.2 lost 5; 1.1 and 2.1 lost nothing, both w 40: by code. 2.1 is 4 below its ceiling
    rows = gap(world, E, 2023, None).rows
    assert [r.code for r in rows] == ["1.2", "1.1", "2.1"] and rows[2].to_target == D_(-4)
    # E's region (west): 1.2 values 30, 90 → best 90
    assert (rows[0].region_best, rows[0].to_region_best, rows[0].to_target) == (D_(90), D_(0), D_(30))


def test_vertical_matches_the_node_across_scheme_years_by_code(world: Platform) -> None:
    tech = vertical(world, A, "1.1", 2023, None)
    # 2023: 90 → 36, fourth of five (C, E 40, B 38 since its correction); 2024: 50 → 20, second
    # of A and B (B 60 → 24)
    assert [(y.year, y.value, y.score, y.max, y.rank) for y in tech.years] == [
        (2023, D_(90), D_(36), D_(40), 4), (2024, D_(50), D_(20), D_(40), 2),
    ]  # fmt: skip
    new = vertical(world, A, "2.2", 2024, None)  # only the 2024 scheme has 2.2
    assert [(y.year, y.score) for y in new.years] == [(2023, None), (2024, D_(0))]
    total = vertical(world, A, "total", 2023, None)
    assert (total.years[0].year, total.years[0].score, total.years[0].grade) == (2023, D_(88), "较好")


def test_vertical_months_give_the_score_and_the_value_as_known_at_each_month_end(world: Platform) -> None:
    found = vertical(world, A, "1.2", 2023, None)
    months = found.months
    # values 36 (Jan, sent 5 Feb), 42 (Feb, 5 Mar), 42 (Mar, 5 Apr); score = 20·sum/120; both
    # columns as known at the month's end: January's value counts at the end of February
    assert [(m.month, m.score, m.value) for m in months[:5]] == [
        ("2023-01", D_(0), None), ("2023-02", D_(6), D_(36)), ("2023-03", D_(13), D_(78)),
        ("2023-04", D_(20), D_(120)), ("2023-05", D_(20), D_(120)),
    ]  # fmt: skip
    assert len(months) == 12 and months[-1].month == "2023-12"
    assert found.latest is not None and (found.latest.score, found.latest.value) == (D_(20), D_(120))
    as_of = vertical(world, A, "1.2", 2023, T).months  # no month after June
    assert [m.month for m in as_of][-1] == "2023-06"


def test_the_months_end_at_the_years_total_as_it_stands(world: Platform) -> None:
    # B's 1.1 was corrected on 10 July 2023 (80 → 95, total 82 → 88): December's end knows it, and
    # the last line is the year's total now
    found = vertical(world, B, "total", 2023, None)
    assert found.months[5].score == D_(82) and found.months[-1].score == D_(88)
    assert found.latest is not None and found.latest.score == D_(88)


def test_vertical_refuses_a_node_or_year_the_county_does_not_have(world: Platform) -> None:
    with pytest.raises(NotFound) as unknown:
        vertical(world, C, "2.2", 2023, None)
    assert unknown.value.problems[0].field == "node"
    with pytest.raises(InvalidCommand) as no_year:
        vertical(world, C, "1.1", 2024, None)
    assert no_year.value.problems[0].field == "year"


def test_month_ends_are_the_last_instant_of_each_beijing_month() -> None:
    ends = month_ends(2023, LATEST)
    assert len(ends) == 12 and ends[0][1].isoformat() == "2023-01-31T23:59:59.999999+08:00"
    assert [month for month, _ in month_ends(2023, T)][-1] == "2023-06"


def test_indicator_facts_as_of_t_count_ranks_warnings_and_returns(world: Platform) -> None:
    world.settle(T)
    facts = {f.code: f for f in indicator_facts(world, A, 2023, T)}
    assert list(facts) == ["1.1", "1.2", "2.1"]
    tech, visits, engel = facts["1.1"], facts["1.2"], facts["2.1"]
    assert (tech.value, tech.target, tech.score, tech.weight) == (D_(90), D_(100), D_(36), D_(40))
    assert (tech.rank, tech.count, tech.region_rank, tech.region_count) == (3, 5, 2, 3)
    assert tech.region_best == D_(100) and tech.last_year_rank is None and tech.attainment == D_("0.9")
    # 1.2: A 20, C 20, E 15, B 10, D 5 → A and C first
    assert (visits.rank, visits.region_rank) == (1, 1)
    # on 30 June: April's 1.2 value, due 10 May, is 51 days late (red from 31); May's only 20 (orange).
    # 2.1 is 25 against 20: 25 % off the target, red from 20 %; 1.1 is 10 % short: orange only.
    assert (tech.red_warnings, visits.red_warnings, engel.red_warnings) == (0, 1, 1)
    # March's value was returned on 25 June and is still unanswered
    assert (tech.returned, visits.returned, engel.returned) == (0, 1, 0)
    assert engel.region_best == D_(20)  # the lowest of 25, 20, 40


def test_indicator_facts_give_last_years_rank_of_the_same_code(world: Platform) -> None:
    facts = {f.code: f for f in indicator_facts(world, A, 2024, None)}
    assert facts["1.1"].last_year_rank == 4 and facts["1.1"].rank == 2 and facts["1.1"].count == 2
    assert facts["2.2"].last_year_rank is None


def test_a_correction_after_t_changes_the_figures_now_but_not_as_of_t_on_both_stores(
    store_url: str, make_platform: Callable[[str], Platform]
) -> None:
    platform = make_platform(store_url)
    build(platform)
    platform.settle(T)
    before = {p.county: p for p in horizontal(platform, 2023, "1.1", T).counties}
    now = {p.county: p for p in horizontal(platform, 2023, "1.1", None).counties}
    assert (before[B].value, before[B].score, before[B].rank) == (D_(80), D_(32), 4)
    assert (now[B].value, now[B].score, now[B].rank) == (D_(95), D_(38), 3)  # 40, 40, 38, 36, 28
    assert now[A].rank == 4
    then = {r.code: r for r in gap(platform, A, 2023, T).rows}
    assert then["1.1"].region_median == D_(90)  # east 80, 90, 100 as of T; 90, 95, 100 now
    assert {r.code: r for r in gap(platform, A, 2023, None).rows}["1.1"].region_median == D_(95)
    totals = vertical(platform, B, "total", 2023, T).years
    assert (totals[0].score, totals[0].rank) == (D_(82), 3)
