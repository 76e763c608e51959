"""The demo tells a plausible story: county-scale indicators, grades that differ, work owed by
大名县, a correction that moves its rank, the same content on every load."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from domain.collection import beijing_date
from domain.review import waiting_on
from domain.town_scores import sheet_result, town_results
from pages import reads
from projections import monitoring_queries as monitoring
from projections import ranking_queries
from projections.monitoring_queries import Filters
from projections.temporal import micros
from ruraleval import audit, demo
from ruraleval import demo_results as results
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
            ranking_queries.rankings(view, demo.YEAR)
            if before is None
            else ranking_queries.rankings_as_of(view, demo.YEAR, micros(before))
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


# ---------------------------------------------------------------- the year's results and their use


def test_the_reports_are_issued_as_of_march_by_each_countys_team(loaded: Platform) -> None:
    standing = ranking(loaded, results.REPORT_AS_OF)
    for code, evaluator in results.REPORTED.items():
        [report] = loaded.ledger.county(code).book(demo.YEAR).reports.values()
        assert (report.id, report.actor, report.as_of) == (results.REPORT_ID, evaluator, results.REPORT_AS_OF)
        assert report.recorded_at == results.ISSUED_AT
        assert report.grade == standing[code]["grade"]  # the grade of the ranking as of the report's instant
        assert loaded.files.get(report.files["report.pdf"]).content.startswith(b"%PDF")
    grades = {loaded.ledger.county(code).book(demo.YEAR).reports[results.REPORT_ID].grade for code in results.REPORTED}
    assert "较差" in grades and len(grades) == len(results.REPORTED)  # three grades, a 较差 county among them


def test_items_raised_from_the_report_one_on_time_one_overdue_one_in_progress(loaded: Platform) -> None:
    book = loaded.ledger.county(results.COUNTY).book(demo.YEAR)
    problems = book.reports[results.REPORT_ID].problems
    assert list(book.rectification) == list(results.ITEMS)
    for item_id, (index, deadline) in results.ITEMS.items():
        item = book.rectification[item_id]
        assert (item.problem_id, item.deadline) == (problems[index]["id"], deadline)
    verified = book.rectification[results.VERIFIED]
    assert verified.status == "verified" and verified.verified_on is not None
    assert verified.verified_on <= verified.deadline  # on time
    overdue = book.rectification[results.OVERDUE]
    assert overdue.status == "in_progress"  # rejected: back to the county, never verified
    assert [step.kind for step in overdue.steps][-2:] == ["done", "rejected"]
    assert overdue.steps[-1].text == results.REJECTION
    progressing = book.rectification[results.IN_PROGRESS]
    assert [step.kind for step in progressing.steps] == ["raised", "plan", "progress"]
    [evidence] = progressing.steps[-1].files
    assert (evidence.name, evidence.sha256) == (results.EVIDENCE_NAME, hashlib.sha256(results.EVIDENCE).hexdigest())


def test_the_overdue_item_warns_red_today_and_the_verified_one_never(loaded: Platform) -> None:
    today = beijing_date(datetime.now(UTC))
    overdue_items = Filters(county=results.COUNTY, kind="rectification_overdue")
    with loaded.reads.snapshot() as view:
        found = monitoring.warnings(view, today, None, overdue_items)
    levels = {entry.warning.period: entry.warning.level for entry in found}
    assert levels[results.OVERDUE] == "red"
    assert results.VERIFIED not in levels
    deadline = date.fromisoformat(results.ITEMS[results.OVERDUE][1])
    with loaded.reads.snapshot() as view:
        on_the_day = monitoring.warnings(view, deadline, None, overdue_items)
    assert on_the_day == []  # the deadline day itself is on time


def test_consequences_by_grade_and_the_overdue_items_points_in_2024(loaded: Platform) -> None:
    usual = {"较差": "interview_principal", "一般": "interview_deputy"}  # with serious problems (domain rules G1, G2)
    for code in results.REPORTED:
        book = loaded.ledger.county(code).book(demo.YEAR)
        first = next(iter(book.consequences.values()))
        assert first.causes["report_id"] == results.REPORT_ID
        report = book.reports[results.REPORT_ID]
        if report.grade in usual:
            assert first.kind == usual[report.grade]
    county = loaded.ledger.county(results.COUNTY)
    points = [k for k in county.book(demo.YEAR).consequences.values() if k.points is not None]
    [penalty] = points
    assert [item["id"] for item in penalty.causes["items"]] == [results.OVERDUE]
    assert penalty.points_year == results.NEXT_YEAR
    [entry] = county.book(results.NEXT_YEAR).adjustments
    assert (entry.id, entry.points) == (penalty.adjustment_id, penalty.points)
    assert entry.reason.startswith(f"挂钩结果 {penalty.id}")
    assert sorted(county.years) == [str(demo.YEAR), str(results.NEXT_YEAR)]  # 2024 for 大名县 only
    others = [code for code, *_ in demo.COUNTIES if code != results.COUNTY]
    assert all(list(loaded.ledger.county(code).years) == [str(demo.YEAR)] for code in others)


def test_pages_default_to_the_year_with_data_not_the_year_just_taken_on(loaded: Platform) -> None:
    years = reads.years(loaded)
    assert years == [results.NEXT_YEAR, demo.YEAR]  # 2024 is offered…
    assert reads.default_year(loaded, years) == demo.YEAR  # …but 2023 is shown
    meta = reads.county(loaded, results.COUNTY)
    assert meta is not None
    assert reads.county_year(loaded, meta, None) == demo.YEAR
    assert reads.county_year(loaded, meta, results.NEXT_YEAR) == results.NEXT_YEAR  # asked: kept


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
