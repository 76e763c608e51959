"""Early warnings: a county walked through 2023 on a fixed calendar, the margins of each
level, the history of raising and clearing, rebuild = incremental, and the read model
against a pure replay of the county at random (at, as_of)."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.app import create_app
from domain import commands as c
from domain.county import County, county_id
from domain.errors import DomainError
from domain.provinces import province_of
from domain.recorded_time import CHINA
from domain.scheme import Scheme
from domain.scheme_reading import parse_scheme
from domain.state import Submission
from domain.warnings import Fact, Warning, facts, judge, off_track
from projections import monitoring, monitoring_queries
from projections.temporal import micros
from ruraleval.platform import Platform
from ruraleval.replay import county_as_of
from ruraleval.settings import parse_database_url
from tests.conftest import ADMIN, PositionClient, add_user, example_document, login

CODE = "130425"
SCHEME: Scheme = parse_scheme(example_document())


def bj(text: str) -> datetime:
    """A Beijing wall-clock instant, e.g. "2023-06-14 10:00"."""
    return datetime.fromisoformat(text).replace(tzinfo=CHINA)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Walk:
    """The API over one store with a simulated clock; commands recorded at chosen instants."""

    client: TestClient
    platform: Platform
    clock: Clock
    log: list[tuple[str, datetime]] = field(default_factory=list)

    def do(self, when: str, command: c.CountyCommand, code: str = CODE) -> None:
        moment = bj(when)
        assert not self.log or moment >= self.log[-1][1], "recorded time never runs backwards in a stream"
        self.clock.now = max(self.clock.now, moment + timedelta(minutes=1))
        self.platform.ledger.execute(code, command, c.Context("tester", f"walk-{len(self.log)}", moment))
        self.log.append((type(command).__name__, moment))
        self.platform.projections.catch_up()  # one small batch per command, as a live system sees them

    def warnings(self, **params: str) -> list[dict[str, Any]]:
        response = self.client.get("/api/v1/warnings", params=params)
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()["warnings"]
        return found


@contextlib.contextmanager
def walking(url: str, start: datetime) -> Iterator[Walk]:
    clock = Clock(start)
    app = create_app(lambda: Platform(parse_database_url(url), clock=clock))
    with PositionClient(app, follow_store=True) as client:
        platform: Platform = app.state.platform
        add_user(platform, ADMIN, _admin_grant())
        client.headers.update(login(client, ADMIN))
        context = c.Context("centre", "setup", start)
        platform.ledger.publish_scheme(SCHEME, context)
        platform.ledger.enrol(c.EnrolCounty(CODE, "大名县", "河北省", "east", SCHEME), context)
        yield Walk(client, platform, clock)


def _admin_grant() -> Any:
    from domain.organisation import Grant

    return Grant("g-admin", "admin")


@pytest.fixture
def walk(store_url: str) -> Iterator[Walk]:
    with walking(store_url, bj("2023-01-05 09:00")) as started:
        yield started


def of(found: list[dict[str, Any]], kind: str, indicator: str, period: str = "") -> list[dict[str, Any]]:
    return [w for w in found if (w["kind"], w["indicator"], w["period"]) == (kind, indicator, period)]


def instant_of(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def early_months(walk: Walk) -> None:
    """1.2 (monthly, sum to 120) on time for January to April; 2.1 (quarterly, lower is better) Q1."""
    for month in range(1, 5):
        walk.do(f"2023-{month + 1:02d}-05 10:00", c.SubmitData("1.2", f"2023-{month:02d}", Decimal(10)))
        if month == 3:
            walk.do("2023-04-10 10:00", c.SubmitData("2.1", "2023-Q1", Decimal(29)))


def test_a_late_month_is_overdue_from_the_day_after_the_deadline_and_clears_when_it_arrives(walk: Walk) -> None:
    early_months(walk)
    walk.clock.now = bj("2023-06-13 18:00")
    assert of(walk.warnings(at="2023-06-10"), "overdue", "1.2", "2023-05") == []  # due by day 10: not late on 10
    [yellow] = of(walk.warnings(at="2023-06-11"), "overdue", "1.2", "2023-05")
    assert (yellow["level"], yellow["county"], yellow["region"], yellow["dimension"]) == ("yellow", CODE, "east", "1")
    assert instant_of(yellow["raised_at"]) == bj("2023-06-11 00:00")  # the start of day 11, Beijing
    assert "2023年6月10日" in yellow["reason"] and "逾期 1 天" in yellow["reason"]
    levels = {day: of(walk.warnings(at=day), "overdue", "1.2", "2023-05")[0]["level"]
              for day in ("2023-06-17", "2023-06-18", "2023-07-10", "2023-07-11")}  # fmt: skip
    assert levels == {"2023-06-17": "yellow", "2023-06-18": "orange", "2023-07-10": "orange", "2023-07-11": "red"}

    walk.do("2023-06-14 10:00", c.SubmitData("1.2", "2023-05", Decimal(10)))
    assert of(walk.warnings(at="2023-06-14"), "overdue", "1.2", "2023-05") == []
    before = walk.warnings(at="2023-06-14", as_of="2023-06-14T09:59:00+08:00")
    assert [w["level"] for w in of(before, "overdue", "1.2", "2023-05")] == ["yellow"]  # as it then stood

    history = walk.client.get("/api/v1/warnings/history", params={"county": CODE, "indicator": "1.2",
                                                                   "kind": "overdue"}).json()["warnings"]  # fmt: skip
    may = [entry for entry in history if entry["period"] == "2023-05"]
    assert len(may) == 1
    assert instant_of(may[0]["raised_at"]) == bj("2023-06-11 00:00")
    assert instant_of(may[0]["cleared_at"]) == bj("2023-06-14 10:00")
    assert may[0]["worst_level"] == "yellow"
    # Months never received stand in the history without a clearing instant.
    assert all(entry["cleared_at"] is None for entry in history if entry["period"] != "2023-05")


def test_a_withdrawn_value_raises_the_warning_again(walk: Walk) -> None:
    early_months(walk)
    walk.do("2023-05-20 10:00", c.WithdrawSubmission("1.2", "2023-04", "报错了"))
    [again] = of(walk.warnings(at="2023-05-21"), "overdue", "1.2", "2023-04")
    assert instant_of(again["raised_at"]) == bj("2023-05-20 10:00")  # when the condition began again
    assert of(walk.warnings(at="2023-05-21", as_of="2023-05-20T09:00:00+08:00"), "overdue", "1.2", "2023-04") == []


def test_an_indicator_behind_its_path_is_off_track_at_the_level_its_shortfall_gives(walk: Walk) -> None:
    early_months(walk)
    assert of(walk.warnings(at="2023-07-20"), "off_track", "2.1") == []
    # 2.1: the mean of the quarters, lower is better, no baseline: the path is the target 29.2 itself.
    walk.do("2023-07-10 10:00", c.SubmitData("2.1", "2023-Q2", Decimal(36)))  # mean 32.5: 11.3 % above the path
    [warning] = of(walk.warnings(at="2023-07-20"), "off_track", "2.1")
    assert warning["level"] == "orange"
    assert instant_of(warning["raised_at"]) == bj("2023-07-10 10:00")
    assert "32.50" in warning["reason"] and "29.20" in warning["reason"] and "11.30%" in warning["reason"]
    walk.do("2023-07-12 10:00", c.CorrectData("2.1", "2023-Q2", Decimal("38.2"), "更正"))  # mean 33.6: 15.07 %
    [worse] = of(walk.warnings(at="2023-07-20"), "off_track", "2.1")
    assert worse["level"] == "orange" and worse["raised_at"] == warning["raised_at"]  # still the same warning
    walk.do("2023-07-14 10:00", c.CorrectData("2.1", "2023-Q2", Decimal(29), "再次更正"))
    assert of(walk.warnings(at="2023-07-20"), "off_track", "2.1") == []
    history = walk.client.get("/api/v1/warnings/history", params={"kind": "off_track"}).json()["warnings"]
    assert [(h["indicator"], h["worst_level"], instant_of(h["cleared_at"])) for h in history] == [
        ("2.1", "orange", bj("2023-07-14 10:00"))
    ]


def test_a_returned_submission_unanswered_for_n_days_raises_unanswered_until_the_county_answers(walk: Walk) -> None:
    early_months(walk)
    walk.do("2023-06-01 10:00", c.ReviewSubmission("1.2", "2023-04", "return", "请核实接待人次口径"))
    walk.clock.now = bj("2023-06-11 20:00")
    # Within 5 days (answer_days) means by the end of 06-06, as data due by day 10 is on time all day 10.
    assert of(walk.warnings(at="2023-06-06"), "unanswered", "1.2", "2023-04") == []
    [late] = of(walk.warnings(at="2023-06-07"), "unanswered", "1.2", "2023-04")
    assert late["level"] == "yellow" and instant_of(late["raised_at"]) == bj("2023-06-07 00:00")
    assert "请核实接待人次口径" in late["reason"] and "已 6 天未答复（应在 5 天内答复）" in late["reason"]
    assert of(walk.warnings(at="2023-06-11"), "unanswered", "1.2", "2023-04")[0]["level"] == "yellow"
    assert of(walk.warnings(at="2023-06-12"), "unanswered", "1.2", "2023-04")[0]["level"] == "orange"
    assert of(walk.warnings(at="2023-06-17"), "unanswered", "1.2", "2023-04")[0]["level"] == "red"
    walk.do("2023-06-12 09:00", c.PostFeedback("1.2", "2023-04", "county", "口径无误，已附说明", 2023))
    assert of(walk.warnings(at="2023-06-17"), "unanswered", "1.2", "2023-04") == []
    history = walk.client.get("/api/v1/warnings/history", params={"kind": "unanswered"}).json()["warnings"]
    assert [(instant_of(h["raised_at"]), instant_of(h["cleared_at"]), h["worst_level"]) for h in history] == [
        (bj("2023-06-07 00:00"), bj("2023-06-12 09:00"), "orange")
    ]


def test_no_warning_stands_on_a_day_before_its_cause(walk: Walk) -> None:
    early_months(walk)
    walk.do("2023-06-05 10:00", c.SubmitData("1.2", "2023-05", Decimal(40)))  # flagged on 06-05
    assert of(walk.warnings(at="2023-06-04"), "anomaly", "1.2", "2023-05") == []
    grid = walk.client.get("/api/v1/warnings/grid", params={"year": 2023, "at": "2023-06-04"}).json()
    assert grid["regions"][0]["counties"][0]["cells"][0]["kinds"]["anomaly"] == 0


def test_a_county_enrolled_late_owes_earlier_months_from_its_enrolment(store_url: str) -> None:
    """Enrolled on 20 May: January to April are due ten days later (30 May), not in February."""
    with walking(store_url, bj("2023-05-20 09:00")) as late:
        late.clock.now = bj("2023-06-01 12:00")
        assert of(late.warnings(at="2023-05-30"), "overdue", "1.2", "2023-01") == []
        [january] = of(late.warnings(at="2023-05-31"), "overdue", "1.2", "2023-01")
        assert january["level"] == "yellow" and "2023年5月30日" in january["reason"]
        schedule = late.client.get(f"/api/v1/counties/{CODE}/schedule", params={"year": 2023, "at": "2023-05-31"})
        dues = {(e["indicator"], e["period"]): e["due"] for e in schedule.json()["submissions"]}
        assert dues[("1.2", "2023-01")] == "2023-05-30" and dues[("1.2", "2023-04")] == "2023-05-30"


def test_deadlines_still_ahead_at_enrolment_keep_their_day(store_url: str) -> None:
    with walking(store_url, bj("2023-02-05 09:00")) as early:
        early.clock.now = bj("2023-02-12 12:00")
        schedule = early.client.get(f"/api/v1/counties/{CODE}/schedule", params={"year": 2023, "at": "2023-02-12"})
        dues = {(e["indicator"], e["period"]): e["due"] for e in schedule.json()["submissions"]}
        assert dues[("1.2", "2023-01")] == "2023-02-10"
        assert of(early.warnings(at="2023-02-11"), "overdue", "1.2", "2023-01")


def test_the_indicator_list_says_where_each_action_plan_stands(walk: Walk) -> None:
    """行动计划: every indicator's plan by 30 June."""
    walk.do("2023-06-20 10:00", c.RecordActionPlan("1.2", "分三步推进"))

    def plans() -> dict[str, Any]:
        listed = walk.client.get(f"/api/v1/counties/{CODE}/indicators", params={"year": 2023}).json()["indicators"]
        return {node["code"]: node["action_plan"] for node in listed}

    now = plans()
    assert now["1"] is None  # a dimension has no plan of its own
    assert (now["1.2"]["due"], now["1.2"]["status"], now["1.2"]["files"]) == ("2023-06-30", "received", 0)
    assert now["1.1"]["status"] == "due"
    walk.clock.now = bj("2023-07-01 09:00")
    assert (plans()["1.1"]["status"], plans()["1.1"]["status_label"]) == ("missing", "逾期未报")


def test_far_dates_are_refused_not_failed(walk: Walk) -> None:
    for path, params, name in (
        ("/api/v1/warnings", {"at": "9999-12-31"}, "at"),
        ("/api/v1/warnings/grid", {"year": 2023, "at": "1900-01-01"}, "at"),
        ("/api/v1/warnings", {"as_of": "0001-01-01T00:00:00+14:00"}, "as_of"),
        ("/api/v1/rankings", {"year": 2023, "as_of": "1969-12-31"}, "as_of"),
    ):
        response = walk.client.get(path, params=params)
        assert response.status_code == 422, (path, response.text)
        assert [error["field"] for error in response.json()["errors"]] == [name]


def test_closing_a_period_waives_what_it_still_owed(walk: Walk) -> None:
    early_months(walk)
    walk.clock.now = bj("2023-07-01 12:00")
    assert of(walk.warnings(at="2023-07-01"), "overdue", "1.2", "2023-05")
    walk.do("2023-07-01 10:00", c.ClosePeriod("2023-05", "5 月数据不再收集"))
    assert of(walk.warnings(at="2023-07-01"), "overdue", "1.2", "2023-05") == []
    schedule = walk.client.get(f"/api/v1/counties/{CODE}/schedule", params={"year": 2023, "at": "2023-07-01"})
    [may] = [e for e in schedule.json()["submissions"] if (e["indicator"], e["period"]) == ("1.2", "2023-05")]
    assert (may["status"], may["status_label"]) == ("waived", "免报（期间已关账）")
    walk.do("2023-07-01 11:00", c.ReopenPeriod("2023-05", "补报"))
    assert of(walk.warnings(at="2023-07-01"), "overdue", "1.2", "2023-05")


def test_an_anomaly_stands_until_confirmed(walk: Walk) -> None:
    early_months(walk)
    walk.do("2023-06-05 10:00", c.SubmitData("1.2", "2023-05", Decimal(40)))  # +300 % on April
    [flag] = of(walk.warnings(at="2023-06-05"), "anomaly", "1.2", "2023-05")
    assert flag["level"] == "yellow" and instant_of(flag["raised_at"]) == bj("2023-06-05 10:00")
    assert of(walk.warnings(at="2023-06-15"), "anomaly", "1.2", "2023-05")[0]["level"] == "orange"  # 2 × 5 days
    walk.do("2023-06-07 10:00", c.ConfirmAnomaly("1.2", "2023-05", "五一假期客流集中"))
    assert of(walk.warnings(at="2023-06-07"), "anomaly", "1.2", "2023-05") == []
    standing = walk.warnings(at="2023-06-07", as_of="2023-06-06")
    assert [w["level"] for w in of(standing, "anomaly", "1.2", "2023-05")] == ["yellow"]


def test_filters_grid_and_bad_parameters(walk: Walk) -> None:
    early_months(walk)
    walk.clock.now = bj("2023-06-20 12:00")
    everything = walk.warnings(at="2023-06-20")
    assert everything and [w["level"] for w in everything] == sorted(
        (w["level"] for w in everything), key=["red", "orange", "yellow"].index
    )
    assert {w["kind"] for w in walk.warnings(at="2023-06-20", kind="overdue")} == {"overdue"}
    assert {w["level"] for w in walk.warnings(at="2023-06-20", level="orange")} == {"orange"}
    assert walk.warnings(at="2023-06-20", region="west") == []
    grid = walk.client.get("/api/v1/warnings/grid", params={"year": 2023, "at": "2023-06-20"}).json()
    [east] = grid["regions"]
    assert east["region_label"] == "东部" and [c_["county"] for c_ in east["counties"]] == [CODE]
    cells = east["counties"][0]["cells"]
    assert [cell["dimension"] for cell in cells] == ["1", "2"] and grid["cells"] == 2
    assert sum(cell["total"] for cell in cells) == len(everything)
    assert cells[0]["worst"] == "orange" and cells[0]["kinds"]["overdue"] == 1  # 1.2 for May, 9 days late
    for params, name in (({"at": "2023-13-01"}, "at"), ({"level": "purple"}, "level"), ({"kind": "late"}, "kind"),
                         ({"as_of": "yesterday"}, "as_of")):  # fmt: skip
        response = walk.client.get("/api/v1/warnings", params=params)
        assert response.status_code == 422, response.text
        assert [error["field"] for error in response.json()["errors"]] == [name]
    assert walk.client.get("/api/v1/warnings/grid", params={"year": 1999}).status_code == 422


def test_warnings_come_in_pages_with_their_totals(walk: Walk) -> None:
    early_months(walk)
    walk.clock.now = bj("2023-09-20 12:00")
    everything = walk.warnings(at="2023-09-20")
    assert len(everything) >= 2
    first = walk.client.get("/api/v1/warnings", params={"at": "2023-09-20", "limit": 1}).json()
    second = walk.client.get("/api/v1/warnings", params={"at": "2023-09-20", "limit": 1, "offset": 1}).json()
    assert first["total"] == second["total"] == len(everything)
    assert first["warnings"] + second["warnings"] == everything[:2]
    assert sum(first["levels"].values()) == len(everything)
    assert walk.client.get("/api/v1/warnings", params={"limit": 0}).status_code == 422


# ------------------------------------------------------------------ margins (pure)


def book_with(values: dict[str, Decimal], code: str = "1.2", document: dict[str, Any] | None = None) -> Any:
    scheme = parse_scheme(document or example_document())
    county = County.enrol(c.EnrolCounty(CODE, "县", "河北省", "east", scheme), c.Context("t", "t"))
    book = county.years["2023"]
    book.data[code] = {period: Submission(value, "form", 1) for period, value in values.items()}
    return book


def level(book: Any, code: str) -> str | None:
    found = off_track(book, book.indicators[code], book.scheme.warnings)
    return None if found is None else found["level"]


@pytest.mark.parametrize(
    ("april_total", "expected"),
    [("40", None), ("34.01", None), ("34", "yellow"), ("28.01", "yellow"), ("28", "orange"), ("16.01", "orange"),
     ("16", "red"), ("0", "red")],
)  # fmt: skip
def test_off_track_margins_of_a_sum(april_total: str, expected: str | None) -> None:
    """1.2 sums to 120 from 0: at April the path is 40; 5 %, 10 %, 20 % of 120 are 6, 12, 24."""
    months = {f"2023-0{m}": Decimal(0) for m in range(1, 4)} | {"2023-04": Decimal(april_total)}
    assert level(book_with(months), "1.2") == expected


@pytest.mark.parametrize(("value", "expected"), [("61.5", None), ("61.27", None), ("61.26", "yellow"),
                                                 ("61.02", "orange"), ("60.54", "red")])  # fmt: skip
def test_off_track_margins_from_a_baseline(value: str, expected: str | None) -> None:
    """1.1 (annual, latest) from baseline 56.7 to 61.5: the span is 4.8, 5 % of it 0.24."""
    assert level(book_with({"2023": Decimal(value)}, "1.1"), "1.1") == expected


@pytest.mark.parametrize(("mean", "expected"), [("32.1", None), ("32.38", None), ("32.39", "yellow"),
                                                ("32.68", "orange"), ("33.26", "red")])  # fmt: skip
def test_off_track_margins_when_lower_is_better(mean: str, expected: str | None) -> None:
    """2.1 (quarterly mean, lower is better) from baseline 35 to 29.2: at Q2 the path is 32.1, 5 % of 5.8 = 0.29."""
    document = example_document()
    for indicator in document["indicators"]:
        if indicator["code"] == "2.1":
            indicator["method"]["baseline"] = 35
    book = book_with({"2023-Q1": Decimal(mean), "2023-Q2": Decimal(mean)}, "2.1", document)
    assert level(book, "2.1") == expected


def test_thresholds_come_from_the_scheme() -> None:
    document = example_document() | {"warnings": {"off_track": {"yellow": 1, "orange": 2, "red": 3}}}
    months = {"2023-01": Decimal(0), "2023-02": Decimal(0), "2023-03": Decimal(0), "2023-04": Decimal(37)}
    assert level(book_with(months, document=document), "1.2") == "orange"  # 3 short of 40: 2.5 % of 120
    assert level(book_with(months), "1.2") is None


# ------------------------------------------------------------- rebuild = incremental


def dump(platform: Platform) -> list[dict[str, Any]]:
    return platform.reads.query("SELECT * FROM warning_facts ORDER BY county, year, kind, indicator, period, version")


def forget(platform: Platform) -> None:
    """Drops what the runner and the monitoring projection hold in memory between batches."""
    platform.projections.source.clear()
    for projection in platform.projections.projections:
        if isinstance(projection, monitoring.MonitoringProjection):
            projection._states.clear()


def test_rebuild_equals_incremental(walk: Walk) -> None:
    early_months(walk)
    walk.do("2023-06-01 10:00", c.ReviewSubmission("1.2", "2023-04", "return", "请核实"))
    walk.do("2023-06-05 10:00", c.SubmitData("1.2", "2023-05", Decimal(40)))
    walk.do("2023-06-06 10:00", c.AssignResponsibility("1.2", "县文旅局", "王五"))
    forget(walk.platform)  # the next batch resumes from the table, as another process or a restart would
    walk.do("2023-06-07 10:00", c.CorrectData("1.2", "2023-04", Decimal(12), "更正"))
    walk.do("2023-07-10 10:00", c.SubmitData("2.1", "2023-Q2", Decimal(36)))
    walk.do("2023-07-11 10:00", c.ReviseIndicator("1.2", {"name": "乡村旅游接待人次"}, "改名"))
    incremental = dump(walk.platform)
    assert len(incremental) > 40
    walk.platform.projections.rebuild()
    assert dump(walk.platform) == incremental


# ------------------------------------------------ the read model against a pure replay


def replayed_warnings(platform: Platform, code: str, as_of: datetime, at: date) -> list[Warning]:
    """The oracle: fold the county event by event up to ``as_of``, recomputing every fact
    after each event, keep when each condition began, and judge on day ``at``."""
    county: Any = None
    standing: dict[tuple[str, Any], tuple[Fact, datetime]] = {}
    for event in platform.ledger.app.events.get(county_id(code)):
        if event.timestamp > as_of:  # type: ignore[attr-defined]
            break
        county = event.mutate(county)  # type: ignore[attr-defined]
        moment: datetime = event.timestamp  # type: ignore[attr-defined]
        now = {(year, key): fact for year, book in county.years.items() for key, fact in facts(book).items()}
        kept = {}
        for key, fact in now.items():
            previous = standing.get(key)
            keep = previous is not None and (previous[0] == fact or (previous[0].pending and fact.pending))
            kept[key] = (fact, previous[1] if keep and previous is not None else moment)
        standing = kept
    found = [judge(code, fact, since, at) for fact, since in standing.values()]
    return sorted((w for w in found if w is not None), key=Warning.sort_key)


MONTHS = st.integers(1, 4)
VALUES = st.sampled_from([5, 10, 11, 30, 40])  # jumps of more than 50 % are flagged
ACTIONS = st.one_of(
    st.tuples(st.just("submit"), st.sampled_from(["1.2"]), MONTHS, VALUES),
    st.tuples(st.just("submit"), st.sampled_from(["1.2"]), MONTHS, VALUES),
    st.tuples(st.just("submit"), st.sampled_from(["2.1"]), st.integers(1, 3), st.integers(20, 40)),
    st.tuples(st.just("correct"), st.sampled_from(["1.2"]), MONTHS, VALUES),
    st.tuples(st.just("withdraw"), st.sampled_from(["1.2"]), MONTHS),
    st.tuples(st.just("return"), MONTHS),
    st.tuples(st.just("answer"), MONTHS),
    st.tuples(st.just("confirm"), MONTHS),
    st.tuples(st.just("assign"), st.sampled_from(["县文旅局", "县统计局"])),
    st.tuples(st.just("revise"), st.integers(60, 200)),
)
STEPS = st.lists(st.tuples(ACTIONS, st.integers(1, 60 * 24 * 6)), min_size=6, max_size=30)
# (which step's instant, microseconds around it, days from it to the judging day)
PROBES = st.lists(st.tuples(st.integers(0, 100), st.sampled_from([-1, 0, 1, 3_600_000_000]), st.integers(-5, 60)),
                  min_size=1, max_size=5)  # fmt: skip
# Instants within the last second, asked while the steps are written live:
# (after which step, microseconds before now, days from it to the judging day)
RECENT = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 999_999), st.integers(-5, 60)), min_size=1, max_size=5)


def county_command(action: tuple[Any, ...]) -> c.CountyCommand:
    kind = action[0]
    period = (lambda n: f"2023-{n:02d}") if len(action) < 3 or action[1] == "1.2" else (lambda n: f"2023-Q{n}")
    if kind == "submit":
        return c.SubmitData(action[1], period(action[2]), Decimal(action[3]))
    if kind == "correct":
        return c.CorrectData(action[1], period(action[2]), Decimal(action[3]), "更正")
    if kind == "withdraw":
        return c.WithdrawSubmission(action[1], period(action[2]), "撤回")
    if kind == "return":
        return c.ReviewSubmission("1.2", f"2023-{action[1]:02d}", "return", "请核实")
    if kind == "answer":
        return c.PostFeedback("1.2", f"2023-{action[1]:02d}", "county", "已核实", 2023)
    if kind == "confirm":
        return c.ConfirmAnomaly("1.2", f"2023-{action[1]:02d}", "属实")
    if kind == "assign":
        return c.AssignResponsibility("1.2", action[1], "张三")
    return c.ReviseIndicator("1.2", {"method": {"type": "attainment", "target": action[1]}}, "调整目标")


START = datetime(2023, 2, 1, 1, tzinfo=UTC)


def _counts(cell: dict[str, Any]) -> list[tuple[str, str]]:
    return [(cell["dimension"], name) for group in ("levels", "kinds") for name, n in cell[group].items()
            for _ in range(n)]  # fmt: skip


class Counties:
    """One store shared by several examples: each example enrols a county of its own."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.enrolled = 0
        with contextlib.suppress(DomainError):
            platform.ledger.publish_scheme(SCHEME, c.Context("centre", "setup", START))

    def new_code(self) -> str:
        self.enrolled += 1
        return str(140000 + self.enrolled - 1)

    def check(self, steps: list[tuple[tuple[Any, ...], int]], probes: list[tuple[int, int, int]]) -> None:
        code = self.new_code()
        now = START
        enrolment = c.EnrolCounty(code, f"县{code}", province_of(code) or "", "central", SCHEME)
        self.platform.ledger.enrol(enrolment, c.Context("c", "s", now))
        instants = [now]
        for index, (action, minutes) in enumerate(steps):
            now += timedelta(minutes=minutes)
            instants.append(now)
            with contextlib.suppress(DomainError):  # refusals record nothing; the property is about what was
                self.platform.ledger.execute(code, county_command(action), c.Context("u", f"s{index}", now))
            if index % 4 == 0:
                self.platform.projections.catch_up()
            if index % 9 == 8:
                forget(self.platform)
        self.platform.projections.catch_up()
        for pick, offset, days in probes:
            as_of = instants[pick % len(instants)] + timedelta(microseconds=offset)
            at = (as_of + timedelta(days=days)).astimezone(CHINA).date()
            self.assert_equals_replay(code, as_of, at, self.read(code, as_of, at))

    def check_recent(self, steps: list[tuple[tuple[Any, ...], int]], asks: list[tuple[int, int, int]]) -> None:
        """The steps written live, on the ledger's clock; between them, warnings as of instants
        within the last second, settled as the API settles them. Asked again at the end, each
        gets the same answer, and it is what a replay up to that instant gives."""
        code = self.new_code()
        enrolment = c.EnrolCounty(code, f"县{code}", province_of(code) or "", "central", SCHEME)
        self.platform.ledger.enrol(enrolment, c.Context("c", "live"))
        given: list[tuple[datetime, date, tuple[Any, ...]]] = []
        for index in range(len(steps) + 1):
            for after, before, days in asks:
                if after % (len(steps) + 1) == index:
                    as_of = datetime.now(UTC) - timedelta(microseconds=before)
                    at = (as_of + timedelta(days=days)).astimezone(CHINA).date()
                    self.platform.settle(as_of)
                    given.append((as_of, at, self.read(code, as_of, at)))
            if index < len(steps):
                with contextlib.suppress(DomainError):
                    command = county_command(steps[index][0])
                    self.platform.ledger.execute(code, command, c.Context("u", f"live{index}"))
        for as_of, at, first in given:
            self.platform.settle(as_of)
            assert self.read(code, as_of, at) == first, f"the answer as of {as_of.isoformat()} changed"
            self.assert_equals_replay(code, as_of, at, first)

    def read(self, code: str, as_of: datetime, at: date) -> tuple[Any, ...]:
        """The warnings, the standing facts and the grid's counts, as of ``as_of``, judged on ``at``."""
        filters = monitoring_queries.Filters(county=code)
        with self.platform.reads.snapshot() as view:
            read = monitoring_queries.warnings(view, at, micros(as_of), filters)
            rows = view.execute(
                "SELECT kind, indicator, period, pending, ripe, data FROM warning_facts WHERE county = %s"
                " AND from_us <= %s AND (to_us IS NULL OR to_us > %s)",
                [code, micros(as_of), micros(as_of)],
            )
            grid = monitoring_queries.grid(view, 2023, at, micros(as_of), frozenset({code}))
        standing = {(r["kind"], r["indicator"], r["period"]): monitoring.fact_of(r) for r in rows}
        cells = {cell["dimension"]: cell for county in grid["counties"] for cell in county["cells"]}
        counted = Counter(key for cell in cells.values() for key in _counts(cell))
        return [found.warning for found in read], standing, counted

    def assert_equals_replay(self, code: str, as_of: datetime, at: date, read: tuple[Any, ...]) -> None:
        warnings, standing, counted = read
        expected = replayed_warnings(self.platform, code, as_of, at)
        assert warnings == expected
        # The facts standing at as_of are those of the county replayed to as_of (ruraleval/replay.py).
        county = county_as_of(self.platform.ledger, code, as_of)
        assert standing == ({} if county is None else facts(county.years["2023"]))
        # The grid counts levels in SQL: the same warnings, cell by cell.
        assert counted == Counter(key for w in expected for key in ((w.dimension, w.level), (w.dimension, w.kind)))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=STEPS, probes=PROBES, asks=RECENT)
def test_warnings_equal_a_replay_in_memory(
    steps: list[tuple[tuple[Any, ...], int]], probes: list[Any], asks: list[Any]
) -> None:
    platform = Platform(parse_database_url("memory://"))
    try:
        counties = Counties(platform)
        counties.check(steps, probes)
        counties.check_recent(steps, asks)
    finally:
        platform.close()


def test_warnings_equal_a_replay_on_real_stores(store_url: str, make_platform: Callable[..., Platform]) -> None:
    counties = Counties(make_platform(store_url))

    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(steps=STEPS, probes=PROBES, asks=RECENT)
    def examples(steps: list[tuple[tuple[Any, ...], int]], probes: list[Any], asks: list[Any]) -> None:
        counties.check(steps, probes)
        counties.check_recent(steps, asks)

    examples()
