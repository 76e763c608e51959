"""The demo tells a plausible story: county-scale indicators, grades that differ, work owed by
大名县, a correction that moves its rank, the same content on every load."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from domain.review import waiting_on
from domain.town_scores import sheet_result, town_results
from projections import queries
from projections.temporal import micros
from ruraleval import audit, demo
from ruraleval import demo_towns as towns
from ruraleval.platform import Platform
from ruraleval.settings import parse_database_url

COUNTY = "130425"


@pytest.fixture(scope="module")
def loaded() -> Iterator[Platform]:
    platform = Platform(parse_database_url("memory://"))
    assert demo.load_demo(platform)
    yield platform
    platform.close()


def ranking(platform: Platform, before: datetime | None = None) -> dict[str, dict[str, object]]:
    with platform.reads.snapshot() as view:
        rows = (
            queries.rankings(view, demo.YEAR)
            if before is None
            else queries.rankings_as_of(view, demo.YEAR, micros(before))
        )
    return {row["county"]: row for row in rows}


def test_indicators_are_county_scale(loaded: Platform) -> None:
    book = loaded.ledger.county(COUNTY).book(demo.YEAR)
    units = {node.unit for node in book.indicators.values() if node.method is not None}
    assert not any(unit.startswith("亿") for unit in units), units  # the national plan's units, not a county's
    assert {"万吨", "万人次", "元/人", "%"} <= units
    grain = next(node for node in book.indicators.values() if node.unit == "万吨")
    assert grain.method is not None and grain.method.target is not None
    others = {loaded.ledger.county(code).book(demo.YEAR).indicators[grain.code].method.target  # type: ignore[union-attr]
              for code, *_ in demo.COUNTIES}  # fmt: skip
    assert len(others) == len(demo.COUNTIES)  # each county its own grain task


def test_grades_differ_most_counties_in_the_middle(loaded: Platform) -> None:
    grades = Counter(str(row["grade"]) for row in ranking(loaded).values())
    assert grades["好"] >= 1 and grades["较差"] >= 1
    assert grades["较好"] + grades["一般"] > len(demo.COUNTIES) / 2


def test_the_county_clerk_owes_something(loaded: Platform) -> None:
    book = loaded.ledger.county(COUNTY).book(demo.YEAR)
    assert any(waiting_on(thread) == "county" for thread in book.threads.values())
    assert any(not flag.confirmed and flag.resolved_at is None for flag in book.anomalies.values())
    late = [
        (code, period)
        for code, periods in book.data.items()
        for period, submission in periods.items()
        if submission.received_at is not None and submission.received_at > demo.story.due(period) + timedelta(days=1)
    ]
    assert late, "some periods came after their deadline"
    expected = sum(len(demo.story.periods(item.frequency)) for item in demo.story.INDICATORS)
    assert sum(len(periods) for periods in book.data.values()) < expected  # some never came
    assert len(book.action_plans) < len(demo.story.INDICATORS) <= len(book.action_plans) + 3  # most plans filed


def test_the_correction_raises_the_county_total_and_rank(loaded: Platform) -> None:
    county, indicator, period = demo.CORRECTED[0]
    assert loaded.ledger.county(county).book(demo.YEAR).data[indicator][period].corrected
    before = ranking(loaded, demo.REVIEWED_AT - timedelta(seconds=1))[county]
    now = ranking(loaded)[county]
    assert now["total"] > before["total"]  # type: ignore[operator]
    assert now["rank"] < before["rank"]  # type: ignore[operator]


def test_every_load_gives_the_same_story(loaded: Platform) -> None:
    again = Platform(parse_database_url("memory://"))
    try:
        demo.load_demo(again)
        assert audit.digest(again.ledger) == audit.digest(loaded.ledger)  # every county stream, hash for hash
        assert ranking(again) == ranking(loaded)
    finally:
        again.close()


# ------------------------------------------------------------ the verification of towns (004)


def test_the_county_verifies_four_towns_with_enough_villages_and_households(loaded: Platform) -> None:
    year = loaded.ledger.town_verification(towns.COUNTY, towns.YEAR)
    assert sorted(year.registry.towns) == [code for code, _ in towns.TOWNS]
    for town, _ in towns.TOWNS:
        villages = year.registry.villages_of(town)
        assert sum(not village.poverty_relief for village in villages) >= 4
        for village in villages:
            households = year.registry.households_of(village.code)
            assert any("残疾人户" in household.flags for household in households)
            assert sum(bool({"脱贫户", "脱贫退出户"} & set(h.flags)) for h in households) >= 5


def test_the_teams_come_from_the_towns_and_the_county_office_and_cross_check(loaded: Platform) -> None:
    year = loaded.ledger.town_verification(towns.COUNTY, towns.YEAR)
    assert 2 <= len(year.book.teams) <= 3
    homes = {member.home for team in year.book.teams.values() for member in team.members}
    assert "county_office" in homes and homes & set(year.registry.towns)
    for team in year.book.teams.values():
        assert team.town is not None
        assert all(member.home != team.town for member in team.members)
    (absence,) = year.book.absences
    assert (absence.team, absence.member, absence.kind) == towns.ABSENCE[1:4]


def test_samples_are_drawn_with_fixed_seeds_and_one_town_is_left_to_draw(loaded: Platform) -> None:
    year = loaded.ledger.town_verification(towns.COUNTY, towns.YEAR)
    assert {town: sample.seed for town, sample in year.book.samples.items()} == towns.SEEDS
    for sample in year.book.samples.values():
        assert len(sample.drawn.villages) == 4
    assert towns.TOWN_NOT_SAMPLED not in year.book.samples
    assert year.book.team_of_town(towns.TOWN_NOT_SAMPLED) is not None  # the browser test draws it


def test_the_town_ranking_worked_by_hand(loaded: Platform) -> None:
    """大名镇: villages 84 (the province's, over the county's 92), 86, 81, 90 → mean 85.25;
    year-end 88 × 0.6 + 85.25 × 0.4 = 86.90; composite 93 × 0.3 + 86.90 × 0.7 = 88.73 (较好).
    杨桥镇: 赵文华 (from 杨桥镇, helping 王家村) absent: daily work 85 − 2 = 83, 王家村 80 − 2 = 78;
    villages mean (75 + 72 + 78 + 69) / 4 = 73.50; year-end 46.80 + 29.40 = 76.20;
    composite 24.90 + 53.34 = 78.24 (一般). 金滩镇, the province's alone: villages mean 56;
    year-end 34.80 + 22.40 = 57.20; composite 18.60 + 40.04 = 58.64 (较差). 万堤镇 not yet."""
    year = loaded.ledger.town_verification(towns.COUNTY, towns.YEAR)
    results = {result.town: result for result in town_results(year)}
    shown = {town: (result.result, result.grade, result.rank) for town, result in results.items()}
    assert shown == {
        "DM01": (Decimal("88.73"), "较好", 1),
        "DM02": (Decimal("78.24"), "一般", 2),
        "DM03": (None, None, None),
        "DM04": (Decimal("58.64"), "较差", 3),
    }
    assert results["DM01"].composites["year_end"] == Decimal("86.90")
    assert results["DM02"].composites["year_end"] == Decimal("76.20")


def test_the_province_result_supersedes_the_county_one(loaded: Platform) -> None:
    year = loaded.ledger.town_verification(towns.COUNTY, towns.YEAR)
    village = year.book.samples["DM01"].drawn.villages[0]
    result = sheet_result(year, "villages", village)
    assert result.standing is not None and result.standing.authority == "province"
    assert result.score == Decimal(towns.PROVINCE_VILLAGE_SCORE)
    assert [record.authority for record in result.superseded] == ["county"]
    assert result.superseded[0].score == Decimal(towns.VILLAGE_SCORES["DM01"][0])
