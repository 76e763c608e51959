"""The collection schedule: deadlines in Beijing dates, and each owed submission's status."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import commands as c
from domain.collection import due_date, period_end, periods_of, status
from domain.periods import Period, parse_period
from domain.scheme import Deadlines
from tests.test_warnings import CODE, Walk, bj, early_months, walking

USUAL = Deadlines()


@pytest.mark.parametrize(
    ("period", "due"),
    [("2023-05", "2023-06-10"), ("2023-12", "2024-01-10"), ("2023-Q2", "2023-07-15"), ("2023-Q4", "2024-01-15"),
     ("2023", "2024-01-31")],
)  # fmt: skip
def test_due_dates_under_the_usual_deadlines(period: str, due: str) -> None:
    assert due_date(parse_period(period), USUAL) == date.fromisoformat(due)


def test_a_deadline_beyond_the_month_falls_on_its_last_day() -> None:
    assert due_date(parse_period("2023"), Deadlines(annual_due="02-30")) == date(2024, 2, 29)
    assert due_date(parse_period("2022"), Deadlines(annual_due="02-30")) == date(2023, 2, 28)
    assert due_date(parse_period("2023-01"), Deadlines(monthly_due_day=28)) == date(2023, 2, 28)


def test_arrival_is_judged_on_the_beijing_date() -> None:
    due = date(2023, 6, 10)
    assert status(due, bj("2023-06-10 23:59:59"), date(2023, 7, 1)) == "received"
    assert status(due, bj("2023-06-11 00:00"), date(2023, 7, 1)) == "late"
    assert status(due, datetime.fromisoformat("2023-06-10T16:30:00+00:00"), date(2023, 7, 1)) == "late"  # 00:30 CST
    assert status(due, None, date(2023, 6, 10)) == "due"  # not overdue on day 10
    assert status(due, None, date(2023, 6, 11)) == "missing"


@given(
    year=st.integers(2000, 2100),
    frequency=st.sampled_from(["monthly", "quarterly", "annual"]),
    monthly=st.integers(1, 28),
    quarterly=st.integers(1, 28),
    annual=st.tuples(st.integers(1, 12), st.integers(1, 31)),
    offset=st.integers(-400, 400),
)
def test_a_deadline_follows_its_period_and_splits_due_from_missing(
    year: int, frequency: str, monthly: int, quarterly: int, annual: tuple[int, int], offset: int
) -> None:
    deadlines = Deadlines(monthly, quarterly, f"{annual[0]:02d}-{annual[1]:02d}")
    for period in periods_of(frequency, year):
        due = due_date(period, deadlines)
        assert period_end(period) < due
        assert (due - period_end(period)).days <= 396
        at = due + timedelta(days=offset)
        assert status(due, None, at) == ("due" if offset <= 0 else "missing")


def test_periods_cover_the_year() -> None:
    assert [str(p) for p in periods_of("quarterly", 2023)] == ["2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4"]
    assert periods_of("annual", 2023) == [Period(2023, 1, 12)]
    assert len(periods_of("monthly", 2023)) == 12


# ------------------------------------------------------------------------- the API


@pytest.fixture
def walk(store_url: str) -> Iterator[Walk]:
    with walking(store_url, bj("2023-01-05 09:00")) as started:
        yield started


def schedule(walk: Walk, **params: Any) -> dict[str, Any]:
    response = walk.client.get(f"/api/v1/counties/{CODE}/schedule", params={"year": 2023, **params})
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def statuses(found: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {(entry["indicator"], entry["period"]): entry["status"] for entry in found["submissions"]}


def test_the_schedule_says_what_is_due_received_late_or_missing(walk: Walk) -> None:
    early_months(walk)
    walk.do("2023-05-06 10:00", c.AssignResponsibility("1.2", "县文旅局", "王五"))
    walk.clock.now = bj("2023-06-13 12:00")
    on_ten = statuses(schedule(walk, at="2023-06-10"))
    assert on_ten[("1.2", "2023-05")] == "due"
    assert ("1.2", "2023-06") not in on_ten and ("1.1", "2023") not in on_ten  # not over yet
    assert on_ten[("2.1", "2023-Q1")] == "received"
    assert [on_ten[("1.2", f"2023-0{m}")] for m in range(1, 5)] == ["received"] * 4
    on_eleven = schedule(walk, at="2023-06-11")
    assert statuses(on_eleven)[("1.2", "2023-05")] == "missing"
    assert on_eleven["counts"] == {"due": 0, "received": 5, "late": 0, "missing": 1, "waived": 0}
    may = next(e for e in on_eleven["submissions"] if e["period"] == "2023-05")
    assert (may["due"], may["department"], may["person"]) == ("2023-06-10", "县文旅局", "王五")
    assert may["received_at"] is None
    assert may["name"] == "休闲农业和乡村旅游接待人次" and may["status_label"] == "逾期未报"

    walk.do("2023-06-14 10:00", c.SubmitData("1.2", "2023-05", Decimal(10)))
    late = next(e for e in schedule(walk, at="2023-06-20")["submissions"] if e["period"] == "2023-05")
    assert late["status"] == "late" and datetime.fromisoformat(late["received_at"]) == bj("2023-06-14 10:00")
    # As the platform knew it before the data came, the month was still missing.
    before = schedule(walk, at="2023-06-20", as_of="2023-06-14T09:00:00+08:00")
    assert statuses(before)[("1.2", "2023-05")] == "missing"
    assert before["as_of"] is not None and datetime.fromisoformat(before["as_of"]) == bj("2023-06-14 09:00")
    # A correction keeps the arrival of the first value.
    walk.do("2023-06-15 10:00", c.CorrectData("1.2", "2023-04", Decimal(11), "更正"))
    assert statuses(schedule(walk, at="2023-06-20"))[("1.2", "2023-04")] == "received"


def test_schedule_refusals(walk: Walk) -> None:
    walk.clock.now = bj("2023-06-13 12:00")
    bad_day = walk.client.get(f"/api/v1/counties/{CODE}/schedule", params={"year": 2023, "at": "2023-02-30"})
    assert bad_day.status_code == 422 and bad_day.json()["errors"][0]["field"] == "at"
    other_year = walk.client.get(f"/api/v1/counties/{CODE}/schedule", params={"year": 2024})
    assert other_year.status_code == 404 and other_year.json()["errors"][0]["rule"] == "scheme_year"
    unknown = walk.client.get("/api/v1/counties/999999/schedule", params={"year": 2023})
    assert unknown.status_code == 404
    early = walk.client.get(f"/api/v1/counties/{CODE}/schedule", params={"year": 2023, "as_of": "2022-12-01"})
    assert early.status_code == 404 and early.json()["errors"][0]["field"] == "as_of"
