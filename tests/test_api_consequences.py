"""The link to reward and penalty over HTTP, on both stores: deciding consequences, reading
them per county and for every county, and tracing 2024's lost points back to their cause."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from domain import commands as c
from domain.organisation import Grant
from ruraleval.platform import Platform
from tests.conftest import add_user, client_for, login
from tests.consequence_story import CODE, beijing, enrol, issue_report, raise_item, verify

BASE = f"/api/v1/counties/{CODE}"


def test_why_did_the_county_lose_two_points_in_2024(store_url: str) -> None:
    with client_for(store_url) as client:
        service: Platform = client.app.state.platform  # type: ignore[attr-defined]
        enrol(service)
        issue_report(service, beijing("2024-03-01"), "较差", serious=True)
        raise_item(service, beijing("2024-03-02"), "2023-Z1", "2024-05-31")
        raise_item(service, beijing("2024-03-02"), "2023-Z2", "2024-05-31", from_report=False)
        verify(service, beijing("2024-05-30"), "2023-Z2")

        decided = client.post(f"{BASE}/consequences", json={"year": 2023, "on": "2024-06-01"})
        assert decided.status_code == 201, decided.text
        assert int(decided.headers["x-log-position"]) == decided.json()["position"]
        answer = decided.json()
        assert [(c["id"], c["rule"], c["kind"], c["label"]) for c in answer["consequences"]] == [
            ("2023-C1", "G1", "interview_principal", "约谈主要负责同志"),
            ("2023-C2", "Z1", "penalty_points", "下一年度扣分"),
        ]
        assert answer["events"] == ["ConsequenceDecided", "ConsequenceDecided", "PointsAdjusted"]
        repeated = client.post(f"{BASE}/consequences", json={"year": 2023, "on": "2024-06-01"})
        assert repeated.status_code == 200, repeated.text  # nothing created
        again = repeated.json()
        assert again["unchanged"] is True and again["consequences"] == []

        # 2024's total: 20 (1.1 at target) less the 2 points; its history names the consequence
        scores = client.get(f"{BASE}/scores", params={"year": 2024}).json()
        assert scores["total"] == 18
        history = client.get(f"{BASE}/scores/total/history", params={"year": 2024}).json()
        last = history["changes"][-1]
        assert (last["before"], last["after"]) == (20, 18)
        assert last["cause"]["event"] == "PointsAdjusted"
        assert last["cause"]["adjustment_id"] == "2023-C2-points"
        assert last["cause"]["reason"].startswith("挂钩结果 2023-C2（下一年度扣分，规则 Z1）：整改事项 2023-Z1 逾期")

        # …and the consequence names its causes: the item, its deadline, the event that raised it
        read = client.get(f"{BASE}/consequences", params={"year": 2023})
        assert read.status_code == 200, read.text
        body = read.json()
        [principal, points] = body["consequences"]
        assert principal["causes"]["report_id"] == "2023-R1" and principal["causes"]["grade"] == "较差"
        assert principal["rule_words"] == "报告等级为较差且有突出问题"
        assert points["points"] == "-2" and points["points_year"] == 2024
        assert points["adjustment"] == {
            "id": "2023-C2-points",
            "year": 2024,
            "category": "P1",
            "points": "-2",
            "reason": last["cause"]["reason"],
            "revoked": False,
            "history": f"{BASE}/scores/total/history?year=2024",
        }
        [item] = points["causes"]["items"]
        assert (item["id"], item["deadline"], item["raised_version"]) == ("2023-Z1", "2024-05-31", 5)
        assert [i["id"] for i in body["items"]] == ["2023-Z1", "2023-Z2"]
        assert body["reports"][0]["grade"] == "较差"

        # as of before the decision, there was none
        before = client.get(f"{BASE}/consequences", params={"year": 2023, "as_of": "2024-06-01"}).json()
        assert before["consequences"] == [] and len(before["items"]) == 2


def test_every_county_and_by_kind(store_url: str) -> None:
    with client_for(store_url) as client:
        service: Platform = client.app.state.platform  # type: ignore[attr-defined]
        enrol(service)
        enrol(service, code="130426")
        issue_report(service, beijing("2024-03-01"), "好")
        issue_report(service, beijing("2024-03-01"), "一般", code="130426")
        for code in (CODE, "130426"):
            response = client.post(f"/api/v1/counties/{code}/consequences", json={"year": 2023, "on": "2024-03-02"})
            assert response.status_code == 201, response.text
        every = client.get("/api/v1/consequences", params={"year": 2023}).json()["consequences"]
        assert [(c["county"], c["kind"]) for c in every] == [(CODE, "commendation"), ("130426", "interview_deputy")]
        praised = client.get("/api/v1/consequences", params={"year": 2023, "kind": "commendation"}).json()
        assert [c["county"] for c in praised["consequences"]] == [CODE]
        add_user(service, "coordinator.130426", Grant("g-co", "county_coordinator", county="130426"))
        own = client.get("/api/v1/consequences", params={"year": 2023}, headers=login(client, "coordinator.130426"))
        assert [c["county"] for c in own.json()["consequences"]] == ["130426"]


def test_refusals_leave_no_trace(store_url: str) -> None:
    with client_for(store_url) as client:
        service: Platform = client.app.state.platform  # type: ignore[attr-defined]
        enrol(service, next_year=False)
        version = service.ledger.county(CODE).version

        def refused(body: dict[str, Any], status: int, rule: str) -> str:
            response = client.post(f"{BASE}/consequences", json=body)
            assert response.status_code == status, response.text
            [error] = response.json()["errors"]
            assert error["rule"] == rule
            message: str = error["message"]
            return message

        assert "尚未出具评估报告" in refused({"year": 2023, "on": "2024-06-01"}, 409, "report_issued")
        issue_report(service, beijing("2024-03-01"), "较好")
        raise_item(service, beijing("2024-03-02"), "2023-Z1", "2024-05-31")
        version = service.ledger.county(CODE).version
        assert "尚未采用 2024 年度的评估方案" in refused({"year": 2023, "on": "2024-06-01"}, 409, "next_year_scheme")
        refused({"year": 2023, "on": "2999-01-01"}, 422, "not_future")
        refused({"year": 2023, "on": "June"}, 422, "iso_date")
        assert service.ledger.county(CODE).version == version


def test_findings_follow_the_schemes_rules_now_and_as_of_an_instant(store_url: str) -> None:
    with client_for(store_url) as client:
        service: Platform = client.app.state.platform  # type: ignore[attr-defined]
        enrol(service, next_year=False)
        enrol(service, next_year=False, code="130426")
        on_the_tenth = c.Context("setup", "setup", recorded_at=beijing("2024-01-10"))
        service.ledger.execute(CODE, c.SubmitData("1.1", "2023", Decimal("61.5")), on_the_tenth)  # its target
        service.ledger.execute("130426", c.SubmitData("1.1", "2023", Decimal("59.1")), on_the_tenth)
        found = client.get(f"{BASE}/findings", params={"year": 2023})
        assert found.status_code == 200, found.text
        now = found.json()
        # 1.1 scores 20 of 20 (100 % ≥ 95 %: H2); no other rule finds a highlight among 2 counties
        [highlight] = now["highlights"]
        assert (highlight["rule"], highlight["indicator"]) == ("H2", "1.1")
        assert highlight["title"] == "农业科技进步贡献率得分率达 100.00%（20.00/20.00 分）"
        assert now["notes"] == ["按方案规则只找到 1 个亮点（方案要求至少 3 个）"]
        # nothing else was reported: every month of 1.2 (weight 30), every quarter of 2.1 and the year
        # of 2.2 (25 each) is more than 31 days late today, each a red warning; P1 takes them by weight, code
        problems = [(p["rule"], p["indicator"], p["numbers"]["count"], p["serious"]) for p in now["problems"]]
        assert problems == [("P1", "1.2", "12", True), ("P1", "2.1", "4", True), ("P1", "2.2", "1", True)]
        # as of 9 January 2024: 1.1 not yet reported; November's 1.2 (due 10 December) and the fourth
        # quarter's 2.1 (due 15 January) not yet 31 days late, 2.2 not yet due (31 January): P1 finds
        # 1.2 and 2.1; P2 (得分率 ≤ 60 %) finds nothing: 2.2 and 1.1 score 0 only for want of data
        # (an indicator without a value recorded is not judged by its attainment or rank)
        before = client.get(f"{BASE}/findings", params={"year": 2023, "as_of": "2024-01-09"}).json()
        assert before["highlights"] == [] and before["as_of"] == "2024-01-09T23:59:59.999999+08:00"
        shown = [(p["rule"], p["indicator"], p["numbers"].get("count")) for p in before["problems"]]
        assert shown == [("P1", "1.2", "10"), ("P1", "2.1", "3")]


def test_a_consequence_of_a_report_issued_through_the_api_names_it(store_url: str) -> None:
    with client_for(store_url) as client:
        service: Platform = client.app.state.platform  # type: ignore[attr-defined]
        enrol(service, next_year=False)
        enrol(service, next_year=False, code="130426")
        on_the_tenth = c.Context("setup", "setup", recorded_at=beijing("2024-01-10"))
        service.ledger.execute(CODE, c.SubmitData("1.1", "2023", Decimal("61.5")), on_the_tenth)
        issued = client.post(f"{BASE}/reports", json={"year": 2023})
        assert issued.status_code == 201, issued.text
        report = issued.json()
        # 1.1 at its target is 20 of 100 points: 较差; the other indicators' red warnings are serious problems
        assert (report["total"], report["grade"]) == (20, "较差")
        serious = [p["title"] for p in report["problems"] if p["serious"]]
        assert serious
        decided = client.post(f"{BASE}/consequences", json={"year": 2023})
        assert decided.status_code == 201, decided.text
        [consequence] = decided.json()["consequences"]
        assert (consequence["rule"], consequence["kind"]) == ("G1", "interview_principal")
        causes = consequence["causes"]
        assert (causes["report_id"], causes["grade"], causes["total"]) == (report["id"], "较差", "20.00")
        assert causes["as_of"] == datetime.fromisoformat(report["as_of"]).isoformat()
        assert [p["title"] for p in causes["serious_problems"]] == serious
        assert consequence["cause_words"].startswith(f"{report['id']} 号评估报告")
        # …traced back through the history route: the 2023 total as of the report's as_of is the
        # total the grade was read from (1.1 submitted on 10 January: 0 → 20)
        history = client.get(f"{BASE}/scores/total/history", params={"year": 2023, "as_of": report["as_of"]}).json()
        last = history["changes"][-1]
        assert (last["before"], last["after"], last["cause"]["event"]) == (0, 20, "DataSubmitted")
        assert last["cause"]["period"] == "2023"


def test_points_taken_off_a_total_of_zero_are_in_the_totals_history(store_url: str) -> None:
    """The total stays 0 (no data yet, the total is clamped), yet its history says why the
    penalty is 2: the points, their reason naming the consequence, the adjustment."""
    with client_for(store_url) as client:
        service: Platform = client.app.state.platform  # type: ignore[attr-defined]
        enrol(service, next_year_data=False)
        issue_report(service, beijing("2024-03-01"), "较差", serious=True)
        raise_item(service, beijing("2024-03-02"), "2023-Z1", "2024-05-31")
        assert client.post(f"{BASE}/consequences", json={"year": 2023, "on": "2024-06-01"}).status_code == 201
        scores = client.get(f"{BASE}/scores", params={"year": 2024}).json()
        assert scores["total"] == 0
        history = client.get(f"{BASE}/scores/total/history", params={"year": 2024}).json()
        last = history["changes"][-1]
        assert (last["before"], last["after"]) == (0, 0)
        assert last["cause"]["event"] == "PointsAdjusted"
        assert last["cause"]["adjustment_id"] == "2023-C2-points"
        assert last["cause"]["points"] == "-2"
        assert last["cause"]["reason"].startswith("挂钩结果 2023-C2（下一年度扣分，规则 Z1）")


def test_every_countys_consequences_as_of_an_instant(store_url: str) -> None:
    with client_for(store_url) as client:
        service: Platform = client.app.state.platform  # type: ignore[attr-defined]
        enrol(service)
        issue_report(service, beijing("2024-03-01"), "较差", serious=True)
        assert client.post(f"{BASE}/consequences", json={"year": 2023, "on": "2024-06-01"}).status_code == 201
        now = client.get("/api/v1/consequences", params={"year": 2023}).json()["consequences"]
        assert [c["id"] for c in now] == ["2023-C1"]
        then = client.get("/api/v1/consequences", params={"year": 2023, "as_of": "2024-03-01"})
        assert then.status_code == 200 and then.json()["consequences"] == [], then.text
        garbage = client.get("/api/v1/consequences", params={"year": 2023, "as_of": "whenever"})
        assert garbage.status_code == 422 and "as_of" in garbage.text


def test_instants_are_answered_in_beijing_time(store_url: str) -> None:
    with client_for(store_url) as client:
        service: Platform = client.app.state.platform  # type: ignore[attr-defined]
        enrol(service)
        issue_report(service, beijing("2024-03-01").astimezone(UTC), "较差", serious=True)  # recorded in UTC
        assert client.post(f"{BASE}/consequences", json={"year": 2023, "on": "2024-06-01"}).status_code == 201
        body = client.get(f"{BASE}/consequences", params={"year": 2023}).json()
        [consequence, *_] = body["consequences"]
        assert consequence["causes"]["as_of"].endswith("+08:00") and consequence["recorded_at"].endswith("+08:00")
        assert body["reports"][0]["as_of"].endswith("+08:00")
        listed = client.get(f"{BASE}/reports", params={"year": 2023}).json()["reports"]
        assert listed[0]["as_of"].endswith("+08:00") and listed[0]["issued_at"].endswith("+08:00")
