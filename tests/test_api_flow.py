"""A county from enrolment to revoked override, through the HTTP API, on both stores.

The scheme is tests/example_scheme.json. Scores after each step are worked out by hand:

- 1.1 attainment, baseline 56.7, target 61.5, weight 20: f = (v - 56.7) / 4.8
- 1.2 attainment, target 120, weight 30, monthly, year value = sum of months
- 2.1 attainment lower-better, target 29.2, weight 25, quarterly, year value = mean
- 2.2 threshold (>= 95: 1, >= 85: 0.8, >= 70: 0.5, else 0), weight 25
- bonus capped at 5, penalty capped at 10; grades 好 >= 90, 较好 >= 80, 一般 >= 60.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import enrol_over_http

COUNTY = "130425"


def scores(client: TestClient) -> dict[str, Any]:
    response = client.get(f"/api/v1/counties/{COUNTY}/scores", params={"year": 2023})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def node(body: dict[str, Any], code: str) -> dict[str, Any]:
    return next(item for item in body["nodes"] if item["code"] == code)


def expect(client: TestClient, total: float, grade: str, **nodes: float) -> dict[str, Any]:
    body = scores(client)
    assert body["total"] == total
    assert body["grade"] == grade
    for code, score in nodes.items():
        assert node(body, code.replace("_", "."))["score"] == score, code
    return body


def post(client: TestClient, path: str, payload: dict[str, Any], status: int = 200) -> dict[str, Any]:
    response = client.post(f"/api/v1/counties/{COUNTY}{path}", json=payload)
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def test_county_lifecycle_scores_by_hand(client: TestClient, scheme_document: dict[str, Any]) -> None:
    assert client.post("/api/v1/schemes", json=scheme_document).status_code == 201
    enrol_over_http(client, COUNTY)
    expect(client, 0.0, "较差", **{"1": 0.0, "2": 0.0})

    # (59.1 - 56.7) / 4.8 = 0.5 -> 20 × 0.5 = 10
    post(client, "/submissions", {"indicator": "1.1", "period": "2023", "value": 59.1}, 201)
    expect(client, 10.0, "较差", **{"1_1": 10.0, "1": 10.0})

    # six months of 10 = 60; 60 / 120 = 0.5 -> 30 × 0.5 = 15
    for month in range(1, 7):
        post(client, "/submissions", {"indicator": "1.2", "period": f"2023-{month:02d}", "value": 10}, 201)
    expect(client, 25.0, "较差", **{"1_2": 15.0, "1": 25.0})

    # mean(30, 28) = 29 <= 29.2 -> f = 1 -> 25; 2.2 = 90 -> band 0.8 -> 20
    post(client, "/submissions", {"indicator": "2.1", "period": "2023-Q1", "value": 30}, 201)
    post(client, "/submissions", {"indicator": "2.1", "period": "2023-Q2", "value": 28}, 201)
    post(client, "/submissions", {"indicator": "2.2", "period": "2023", "value": 90}, 201)
    expect(client, 70.0, "一般", **{"2_1": 25.0, "2_2": 20.0, "2": 45.0})

    # correction: 61.5 reaches the target -> 20; total 80
    post(client, "/corrections", {"indicator": "1.1", "period": "2023", "value": 61.5, "reason": "按统计年鉴更正"})
    expect(client, 80.0, "较好", **{"1_1": 20.0})

    # weights under 1 become 30 / 20: 1.1 = 30 × 1 = 30, 1.2 = 20 × 0.5 = 10 -> dimension 40, total 85
    response = client.put(
        f"/api/v1/counties/{COUNTY}/weights",
        json={"parent": "1", "weights": {"1.1": 30, "1.2": 20}, "reason": "县级确认二级指标权重"},
    )
    assert response.status_code == 200, response.text
    body = expect(client, 85.0, "较好", **{"1_1": 30.0, "1_2": 10.0, "1": 40.0})
    assert node(body, "1.1")["max"] == 30.0

    # bonus 3 then 4: capped at 5 -> 90, 好
    post(client, "/adjustments", {"year": 2023, "points": 3, "category": "创新", "reason": "典型经验推广"}, 201)
    expect(client, 88.0, "较好")
    post(client, "/adjustments", {"year": 2023, "points": 4, "category": "创新", "reason": "获省级表彰"}, 201)
    body = expect(client, 90.0, "好")
    assert body["bonus"] == 5.0

    # override 2.2 to 25 by the province: dimension 2 = 50, total 95
    overridden = post(
        client,
        "/overrides",
        {"year": 2023, "node": "2.2", "score": 25, "authority": "province", "reason": "省级核查"},
        201,
    )
    body = expect(client, 95.0, "好", **{"2_2": 25.0, "2": 50.0})
    assert node(body, "2.2")["overridden"] is True
    assert node(body, "2.2")["authority"] == "province"
    assert node(body, "2.2")["computed"] == 20.0

    # revocation gives the computed score back
    post(client, f"/overrides/{overridden['override_id']}/revoke", {"reason": "省级结果撤回"})
    body = expect(client, 90.0, "好", **{"2_2": 20.0})
    assert node(body, "2.2")["overridden"] is False

    # one entry of 12 points is more than the penalty cap of 10: refused; two of 6 fill it -> 80
    refused = post(client, "/adjustments", {"year": 2023, "points": -12, "category": "通报", "reason": "滞后"}, 422)
    assert [(e["field"], e["rule"]) for e in refused["errors"]] == [("points", "within_cap")]
    post(client, "/adjustments", {"year": 2023, "points": -6, "category": "通报", "reason": "项目进度滞后"}, 201)
    second = post(client, "/adjustments", {"year": 2023, "points": -6, "category": "通报", "reason": "资金滞留"}, 201)
    assert second["counted"] == -4.0
    assert second["points"]["penalty"] == {"cap": 10.0, "before_cap": 12.0, "after_cap": 10.0}
    body = expect(client, 80.0, "较好")
    assert body["penalty"] == 10.0
    assert (body["penalty_before_cap"], body["bonus_before_cap"], body["bonus"]) == (12.0, 7.0, 5.0)
    counted = [(a["points"], a["counted"]) for a in body["adjustments"]]
    assert counted == [(3.0, 3.0), (4.0, 2.0), (-6.0, -6.0), (-6.0, -4.0)]

    ranking = client.get("/api/v1/rankings", params={"year": 2023}).json()
    assert ranking["counties"] == ranking["regions"]["east"]
    assert (
        ranking["counties"][0] | {"total": 80.0, "grade": "较好", "rank": 1, "region_rank": 1} == ranking["counties"][0]
    )


def test_idempotent_submission_and_closed_period(client: TestClient, scheme_document: dict[str, Any]) -> None:
    client.post("/api/v1/schemes", json=scheme_document)
    client.post(
        "/api/v1/counties",
        json={"code": COUNTY, "name": "大名县", "province": "河北省", "region": "east", "scheme": "example-2023"},
    )
    payload = {"indicator": "1.2", "period": "2023-03", "value": 12, "idempotency_key": "dept-2023-03-1.2"}
    first = post(client, "/submissions", payload, 201)
    again = post(client, "/submissions", payload, 201)  # answered as the first time
    assert again["replayed"] is True
    assert again["version"] == first["version"]
    clash = client.post(f"/api/v1/counties/{COUNTY}/submissions", json=payload | {"value": 13})
    assert clash.status_code == 409
    assert clash.json()["errors"][0]["rule"] == "same_content"

    post(client, "/periods/2023-Q1/close", {})
    closed = client.post(
        f"/api/v1/counties/{COUNTY}/submissions", json={"indicator": "1.2", "period": "2023-02", "value": 1}
    )
    assert closed.status_code == 409
    assert closed.json()["errors"][0] == {
        "field": "period",
        "rule": "period_open",
        "message": closed.json()["errors"][0]["message"],
    }
    no_reason = client.post(f"/api/v1/counties/{COUNTY}/periods/2023-Q1/reopen", json={"reason": " "})
    assert no_reason.status_code == 422
    post(client, "/periods/2023-Q1/reopen", {"reason": "补报经批准"})
    post(client, "/submissions", {"indicator": "1.2", "period": "2023-02", "value": 1}, 201)
    assert node(scores(client), "1.2")["value"] == 13.0


def test_a_county_takes_on_a_second_scheme_year(client: TestClient, scheme_document: dict[str, Any]) -> None:
    client.post("/api/v1/schemes", json=scheme_document)
    client.post("/api/v1/schemes", json=scheme_document | {"id": "example-2024", "year": 2024})
    enrolment = {"code": COUNTY, "name": "大名县", "province": "河北省", "region": "east", "scheme": "example-2023"}
    assert client.post("/api/v1/counties", json=enrolment).status_code == 201
    assert client.post(f"/api/v1/counties/{COUNTY}/schemes", json={"scheme": "example-2024"}).status_code == 201
    again = client.post(f"/api/v1/counties/{COUNTY}/schemes", json={"scheme": "example-2024"})
    assert again.status_code == 409 and again.json()["errors"][0]["rule"] == "one_scheme_per_year"
    post(client, "/submissions", {"indicator": "2.2", "period": "2024", "value": 96}, 201)
    card = client.get(f"/api/v1/counties/{COUNTY}/scores", params={"year": 2024}).json()
    assert node(card, "2.2")["score"] == 25.0
    assert client.get("/api/v1/counties").json()[0]["schemes"] == {"2023": "example-2023", "2024": "example-2024"}


def test_every_answer_to_a_submission_is_the_recorded_document_of_the_schema(
    client: TestClient, scheme_document: dict[str, Any]
) -> None:
    """The route writes its answer itself (issue 10): it must stay what ``Recorded`` says, every
    field in the schema's order, whether new, replayed, unchanged (200) or flagged."""
    from api.models_counties import Recorded

    client.post("/api/v1/schemes", json=scheme_document)
    enrol_over_http(client, COUNTY)
    answers = []
    for month, value in enumerate([10, 11, 10, 12, 11], start=1):
        monthly = {"indicator": "1.2", "period": f"2023-{month:02d}", "value": value}
        answers.append(post(client, "/submissions", monthly, 201))
    keyed = {"indicator": "1.2", "period": "2023-06", "value": 50, "idempotency_key": "k-06"}
    flagged = post(client, "/submissions", keyed, 201)
    assert flagged["events"] == ["DataSubmitted", "AnomalyFlagged"] and flagged["flag"]
    replayed = post(client, "/submissions", keyed, 201)
    assert replayed["replayed"] is True and replayed["events"] == []
    assert replayed["flag"] == flagged["flag"] and replayed["version"] == flagged["version"], "as first answered"
    unchanged = post(client, "/submissions", {"indicator": "1.2", "period": "2023-01", "value": 10}, 200)
    assert unchanged["unchanged"] is True and unchanged["events"] == []
    for answer in [*answers, flagged, replayed, unchanged]:
        assert list(answer) == list(Recorded.model_fields)
        assert answer == Recorded.model_validate(answer).model_dump(mode="json")
        assert answer["county"] == COUNTY and answer["standing"] is None and answer["points"] is None
