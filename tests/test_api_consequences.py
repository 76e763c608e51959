"""The link to reward and penalty over HTTP, on both stores: deciding consequences, reading
them per county and for every county, and tracing 2024's lost points back to their cause."""

from __future__ import annotations

from typing import Any

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
        raise_item(service, beijing("2024-03-02"), "2023-Z2", "2024-05-31")
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
        again = client.post(f"{BASE}/consequences", json={"year": 2023, "on": "2024-06-01"}).json()
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
