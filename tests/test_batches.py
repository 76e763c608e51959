"""SubmitBatch on the County aggregate: all or nothing, corrections, flags month by month, replays.

The scheme is tests/example_scheme.json: 1.2 monthly (range 0–1000), 1.1 annual (0–100),
2.1 quarterly. Helpers come from tests/test_county_commands.py: ``accept`` returns the
result and the events; ``refuse`` proves a refusal left the county exactly as it was.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.commands import BatchRow, ClosePeriod, Context, DataScope, SubmitBatch
from domain.county import County
from domain.errors import ConflictError, InvalidCommand
from domain.scheme import Scheme
from domain.scheme_reading import parse_scheme
from tests.conftest import example_document
from tests.test_county_commands import CTX, accept, book, enrol, refuse

D = Decimal


def batch(*rows: tuple[Any, ...], key: str = "file-1", **options: Any) -> SubmitBatch:
    built = tuple(BatchRow(number, *fields) for number, *fields in rows)
    return SubmitBatch(built, options.pop("channel", "import"), key, options.pop("fingerprint", key), **options)


@pytest.fixture
def county(scheme: Scheme) -> County:
    return enrol(scheme)


def test_a_good_batch_records_each_value_and_a_receipt(county: County) -> None:
    result, events = accept(county, batch((2, "1.2", "2023-01", D(10)), (3, "1.1", "2023", D("59.1"))))
    assert [type(e).__name__ for e in events] == ["DataSubmitted", "DataSubmitted", "BatchReceived"]
    assert {e.source for e in events[:2]} == {"import"}
    assert result["summary"] == {
        "rows": 2,
        "submitted": 2,
        "corrected": 0,
        "unchanged": 0,
        "flagged": 0,
        "confirmed": 0,
    }
    assert [row["outcome"] for row in result["rows"]] == ["submitted", "submitted"]
    assert book(county).data["1.2"]["2023-01"].value == D(10)


def test_one_bad_row_refuses_the_batch_with_every_problem(county: County) -> None:
    rows = (
        (2, "1.2", "2023-01", D(10)),
        (3, "1.2", "2023-02", D(-1)),  # below the range
        (4, "9.9", "2023-02", D(1)),  # unknown indicator
        (5, "2.1", "2023-02", D(30)),  # a month for a quarterly indicator
        (6, "1.2", "2023-01", D(11)),  # the same period twice
    )
    error = refuse(county, batch(*rows), "within_range", "rows[3].value")
    found = {(p.field, p.rule) for p in error.problems}
    assert found == {
        ("rows[3].value", "within_range"),
        ("rows[4].indicator", "known_indicator"),
        ("rows[5].period", "indicator_frequency"),
        ("rows[6].period", "unique_row"),
    }
    assert all(p.message.startswith(f"第 {p.field[5]} 行") for p in error.problems)


def test_corrections_in_a_batch_need_the_right_and_a_reason(county: County) -> None:
    accept(county, batch((2, "1.2", "2023-01", D(10))))
    denied = refuse(county, batch((2, "1.2", "2023-01", D(12)), key="k2"), "correction_allowed", "rows[2].value",
                    ConflictError)  # fmt: skip
    assert "/api/v1/counties/110101/corrections" in denied.problems[0].message
    refuse(county, batch((2, "1.2", "2023-01", D(12)), key="k3", may_correct=True), "reason_required", "rows[2].reason",
           ConflictError)  # fmt: skip
    _, events = accept(county, batch((2, "1.2", "2023-01", D(12), "", "台账更正"), key="k4", may_correct=True))
    assert [type(e).__name__ for e in events] == ["DataCorrected", "BatchReceived"]
    assert (events[0].previous, events[0].reason) == (D(10), "台账更正")
    version = county.version
    unchanged = county.handle(batch((2, "1.2", "2023-01", D(12)), key="k5"), CTX)
    assert unchanged["summary"]["unchanged"] == 1 and unchanged["replayed"] is False
    assert county.pending_events == [] and county.version == version  # nothing changed, nothing recorded


def test_the_same_batch_again_stores_nothing_and_other_content_under_its_key_conflicts(county: County) -> None:
    first, _ = accept(county, batch((2, "1.2", "2023-01", D(10)), key="sha-1"))
    version = county.version
    again = county.handle(batch((2, "1.2", "2023-01", D(10)), key="sha-1"), CTX)
    assert again["replayed"] is True and again["summary"] == first["summary"]
    assert county.pending_events == [] and county.version == version
    other = batch((2, "1.2", "2023-01", D(11)), key="sha-1", fingerprint="other")
    refuse(county, other, "same_content", "key", ConflictError)


def test_a_dry_run_checks_everything_and_records_nothing(county: County) -> None:
    years = copy.deepcopy(county.years)
    result = county.handle(batch((2, "1.2", "2023-01", D(10)), dry_run=True), CTX)
    assert result["dry_run"] is True and result["summary"]["submitted"] == 1
    assert county.pending_events == [] and county.years == years
    refuse(county, batch((2, "1.2", "2023-01", D(-10)), dry_run=True), "within_range", "rows[2].value")


def test_a_year_in_one_batch_is_flagged_month_by_month(county: County) -> None:
    values = [10, 11, 10, 12, 11, 50, 11, 10]
    rows = [(index + 2, "1.2", f"2023-{index + 1:02d}", D(v)) for index, v in enumerate(values)]
    rows.reverse()  # the file's order does not matter: periods are judged in order
    result = county.handle(batch(*rows, dry_run=True), CTX)
    flagged = {row["period"] for row in result["rows"] if row["flag"]}
    assert flagged == {"2023-06"}
    _, events = accept(county, batch(*rows))
    assert [(type(e).__name__, e.period) for e in events if type(e).__name__ == "AnomalyFlagged"] == [
        ("AnomalyFlagged", "2023-06")
    ]
    assert book(county).anomalies["1.2|2023-06"].confirmed is False


def test_a_comment_on_a_flagged_row_confirms_it_and_on_a_steady_row_is_kept(county: County) -> None:
    rows = [(m + 1, "1.2", f"2023-{m:02d}", D(v)) for m, v in zip(range(1, 7), [10, 11, 10, 12, 11, 50], strict=True)]
    rows[-1] = (*rows[-1], "新项目投产")
    rows[0] = (*rows[0], "首月数据")
    _, events = accept(county, batch(*rows))
    names = [type(e).__name__ for e in events]
    assert names.count("AnomalyConfirmed") == 1 and names.count("FeedbackPosted") == 1
    assert book(county).threads["1.2|2023-01"].comments[0].text == "首月数据"


def test_a_batch_respects_closed_periods_and_the_callers_scope(county: County) -> None:
    accept(county, ClosePeriod("2023-01"))
    refuse(county, batch((2, "1.2", "2023-01", D(10))), "period_open", "rows[2].period", InvalidCommand)
    department = Context("dept", "c", data_scope=DataScope(departments=frozenset({"县农业农村局"})))
    with pytest.raises(InvalidCommand) as info:
        county.handle(batch((2, "1.2", "2023-02", D(10))), department)
    assert [(p.field, p.rule) for p in info.value.problems] == [("rows[2].indicator", "indicator_in_scope")]


def test_an_empty_batch_is_refused(county: County) -> None:
    refuse(county, SubmitBatch((), "api", "k", "f"), "required", "rows")


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.integers(0, 1000), min_size=1, max_size=12), bad=st.integers(0, 11))
def test_any_bad_row_leaves_the_county_untouched(values: list[int], bad: int) -> None:
    county = enrol(parse_scheme(example_document()))
    rows = [(month + 2, "1.2", f"2023-{month + 1:02d}", D(v)) for month, v in enumerate(values)]
    index = bad % len(rows)
    rows[index] = (rows[index][0], "1.2", rows[index][2], D(1001))
    refuse(county, batch(*rows), "within_range", f"rows[{rows[index][0]}].value")
