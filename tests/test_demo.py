"""The demo tells a plausible story: county-scale indicators, grades that differ, work owed by
大名县, a correction that moves its rank, the same content on every load."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from domain.review import waiting_on
from projections import queries
from projections.temporal import micros
from ruraleval import audit, demo
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
