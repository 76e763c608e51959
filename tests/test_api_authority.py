"""Items 3 and 4 of "Trust in every score", through the HTTP API on both stores.

The issue, found by trying the product: a county-level override replaced a standing
city-level one; revoking it brought back the computed score, not the city's result; after
closing the year a province-level result could not be recorded; a negative entry in a bonus
category counted as a penalty; an entry could not be revoked; 1e308 points were stored for
ever; the answer did not say how much of an entry the cap let through.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import ADMIN, enrol_over_http

COUNTY = "130425"
BASE = f"/api/v1/counties/{COUNTY}"


@pytest.fixture
def county(client: TestClient, scheme_document: dict[str, Any]) -> TestClient:
    document = copy.deepcopy(scheme_document)
    document["authorities"] = ["province", "city", "centre", "county"]
    document["indicators"] += [
        {"code": "B1", "name": "创新工作加分", "kind": "bonus_penalty", "sign": "bonus"},
        {"code": "P1", "name": "安全事故减分", "kind": "bonus_penalty", "sign": "penalty"},
    ]
    assert client.post("/api/v1/schemes", json=document).status_code == 201
    enrol_over_http(client, COUNTY)
    post(client, "/submissions", {"indicator": "2.2", "period": "2023", "value": 90}, 201)  # 25 × 0.8 = 20
    return client


def post(client: TestClient, path: str, payload: dict[str, Any], status: int = 200) -> dict[str, Any]:
    response = client.post(f"{BASE}{path}", json=payload)
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def override(client: TestClient, score: float, authority: str, reason: str, status: int = 201) -> dict[str, Any]:
    body = {"year": 2023, "node": "2.2", "score": score, "authority": authority, "reason": reason}
    return post(client, "/overrides", body, status)


def scores(client: TestClient) -> dict[str, Any]:
    response = client.get(f"{BASE}/scores", params={"year": 2023})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def node(card: dict[str, Any], code: str) -> dict[str, Any]:
    return next(item for item in card["nodes"] if item["code"] == code)


def history(client: TestClient, code: str) -> list[dict[str, Any]]:
    response = client.get(f"{BASE}/scores/{code}/history", params={"year": 2023})
    assert response.status_code == 200, response.text
    changes: list[dict[str, Any]] = response.json()["changes"]
    return changes


def events(client: TestClient) -> int:
    return int(client.get(f"{BASE}/events").json()["total"])


def rules(answer: dict[str, Any]) -> list[tuple[str, str]]:
    return [(error["field"], error["rule"]) for error in answer["errors"]]


def test_whose_result_stands_and_what_a_revocation_restores(county: TestClient) -> None:
    own = override(county, 18, "county", "县级自评结果")["override_id"]
    city = override(county, 22, "city", "市级考核组抽查结果")["override_id"]

    # A lower authority does not replace a standing higher one: 409 naming it.
    stored = events(county)
    refused = override(county, 25, "county", "县级复核", 409)
    assert rules(refused) == [("authority", "higher_authority_stands")]
    for named in (city, "市级", ADMIN, "县级"):
        assert named in refused["errors"][0]["message"], named
    assert events(county) == stored

    shown = node(scores(county), "2.2")
    assert (shown["score"], shown["authority"], shown["authority_label"], shown["override_id"]) == (
        22.0, "city", "市级", city,
    )  # fmt: skip
    assert shown["override"] | {"recorded_at": None} == {
        "source": "override", "score": 22.0, "override_id": city, "authority": "city", "authority_label": "市级",
        "actor": ADMIN, "reason": "市级考核组抽查结果", "recorded_at": None,
    }  # fmt: skip
    assert [(o["override_id"], o["authority_label"], o["fits"]) for o in shown["superseded"]] == [(own, "县级", True)]

    # The closed year refuses data and the county's own results, and takes the province's.
    post(county, "/periods/2023/close", {"reason": "年度评估结束"})
    assert rules(override(county, 19, "county", "县级", 409)) == [("year", "period_open")]
    late_points = {"year": 2023, "points": 1, "category": "B1", "reason": "加分"}
    assert rules(post(county, "/adjustments", late_points, 409)) == [("year", "period_open")]
    province = override(county, 22, "province", "省级考核组实地核查结果")["override_id"]
    card = scores(county)
    assert node(card, "2.2")["authority_label"] == "省级"
    assert [o["override_id"] for o in node(card, "2.2")["superseded"]] == [city, own]

    # Revoking restores what stands beneath: the city's result, then the county's, then the computed score.
    revoked = post(county, f"/overrides/{province}/revoke", {"reason": "省级结果更正"})
    assert (revoked["standing"]["override_id"], revoked["standing"]["authority_label"]) == (city, "市级")
    revoked = post(county, f"/overrides/{city}/revoke", {"reason": "市级结果撤回"})
    assert (revoked["standing"]["override_id"], revoked["standing"]["score"]) == (own, 18.0)
    assert rules(post(county, f"/overrides/{own}/revoke", {"reason": "撤回"}, 409)) == [("year", "period_open")]
    post(county, "/periods/2023/reopen", {"reason": "县级结果作废"})
    revoked = post(county, f"/overrides/{own}/revoke", {"reason": "县级结果作废"})
    assert revoked["standing"] == {
        "source": "computed", "score": 20.0, "override_id": None, "authority": None, "authority_label": None,
        "actor": None, "reason": None, "recorded_at": None,
    }  # fmt: skip
    assert node(scores(county), "2.2")["override"] is None

    # The node's history: every result, every revocation with what it revoked and restored.
    changes = history(county, "2.2")[-6:]
    assert [(ch["before"], ch["after"], ch["cause"]["event"], ch["standing"].get("override_id")) for ch in changes] == [
        (20.0, 18.0, "ScoreOverridden", own),
        (18.0, 22.0, "ScoreOverridden", city),
        (22.0, 22.0, "ScoreOverridden", province),  # same score, another authority: shown
        (22.0, 22.0, "OverrideRevoked", city),
        (22.0, 18.0, "OverrideRevoked", own),
        (18.0, 20.0, "OverrideRevoked", None),
    ]
    restoring = changes[3]
    assert (restoring["cause"]["actor"], restoring["cause"]["reason"]) == (ADMIN, "省级结果更正")
    assert restoring["revoked"]["override_id"] == province
    assert (restoring["revoked"]["revoked_by"], restoring["revoked"]["revoke_reason"]) == (ADMIN, "省级结果更正")
    assert (restoring["restored"]["override_id"], restoring["restored"]["authority_label"]) == (city, "市级")
    assert changes[5]["restored"]["source"] == "computed"
    assert all(change["restored"] is None for change in changes[:3])
    # The dimension above moved with it, but nothing was restored for the dimension itself.
    dimension = history(county, "2")[-1]
    assert (dimension["cause"]["event"], dimension["revoked"]["override_id"], dimension["restored"]) == (
        "OverrideRevoked", own, None,
    )  # fmt: skip


def test_a_lower_authority_may_not_replace_a_higher_total(county: TestClient) -> None:
    body = {"year": 2023, "node": "total", "score": 88, "authority": "centre", "reason": "中心复核"}
    centre = post(county, "/overrides", body, 201)["override_id"]
    refused = post(county, "/overrides", body | {"authority": "county", "score": 95}, 409)
    assert centre in refused["errors"][0]["message"] and "中心" in refused["errors"][0]["message"]
    card = scores(county)
    assert (card["total"], card["total_authority_label"], card["total_override"]["override_id"]) == (
        88.0,
        "中心",
        centre,
    )


def test_points_keep_the_sign_of_their_category_and_stay_within_the_cap(county: TestClient) -> None:
    stored = events(county)
    bad = [
        ({"points": -2, "category": "B1"}, "category_sign", "B1 创新工作加分"),
        ({"points": 2, "category": "P1"}, "category_sign", "P1 安全事故减分"),
        ({"points": 1e308, "category": "B1"}, "within_cap", "5"),
        ({"points": "1e308", "category": "B1"}, "within_cap", "5"),
        ({"points": -10.5, "category": "P1"}, "within_cap", "10"),
        ({"points": 1.234, "category": "B1"}, "two_decimals", "两位小数"),
        ({"points": 0, "category": "B1"}, "non_zero", "0"),
    ]
    for payload, rule, named in bad:
        answer = post(county, "/adjustments", {"year": 2023, "reason": "理由"} | payload, 422)
        assert [(e["field"], e["rule"]) for e in answer["errors"]] == [("points", rule)], payload
        assert named in answer["errors"][0]["message"], answer
    for value in ("NaN", "Infinity", "-Infinity"):
        answer = post(county, "/adjustments", {"year": 2023, "points": value, "category": "B1", "reason": "理由"}, 422)
        assert answer["errors"][0]["field"] == "points" and "有限" in answer["errors"][0]["message"], answer
    assert events(county) == stored
    assert scores(county)["adjustments"] == []


def test_how_much_of_each_entry_counted_and_revoking_an_entry(county: TestClient) -> None:
    first = post(county, "/adjustments", {"year": 2023, "points": 3, "category": "B1", "reason": "典型经验推广"}, 201)
    assert first["counted"] == 3.0
    second = post(county, "/adjustments", {"year": 2023, "points": 4, "category": "B1", "reason": "获省级表彰"}, 201)
    assert second["counted"] == 2.0
    assert second["points"]["bonus"] == {"cap": 5.0, "before_cap": 7.0, "after_cap": 5.0}
    assert [(e["adjustment_id"], e["points"], e["counted"]) for e in second["points"]["entries"]] == [
        (first["adjustment_id"], 3.0, 3.0),
        (second["adjustment_id"], 4.0, 2.0),
    ]
    card = scores(county)
    assert (card["bonus"], card["bonus_before_cap"], card["bonus_cap"], card["total"]) == (5.0, 7.0, 5.0, 25.0)
    assert [(a["category"], a["kind"], a["points"], a["counted"], a["actor"]) for a in card["adjustments"]] == [
        ("B1", "bonus", 3.0, 3.0, ADMIN),
        ("B1", "bonus", 4.0, 2.0, ADMIN),
    ]

    path = f"/adjustments/{first['adjustment_id']}/revoke"
    revoked = post(county, path, {"reason": "推广经验不属实"})
    assert revoked["events"] == ["PointsRevoked"]
    assert [(e["adjustment_id"], e["counted"]) for e in revoked["points"]["entries"]] == [
        (second["adjustment_id"], 4.0)
    ]
    assert revoked["points"]["bonus"] == {"cap": 5.0, "before_cap": 4.0, "after_cap": 4.0}
    card = scores(county)
    assert (card["bonus"], card["total"], len(card["adjustments"])) == (4.0, 24.0, 1)

    assert rules(post(county, path, {"reason": "再次撤销"}, 409)) == [("adjustment_id", "not_revoked")]
    assert rules(post(county, "/adjustments/nope/revoke", {"reason": "理由"}, 404)) == [
        ("adjustment_id", "known_adjustment")
    ]
    assert rules(post(county, f"/adjustments/{second['adjustment_id']}/revoke", {"reason": " "}, 422)) == [
        ("reason", "reason_required")
    ]
    change = history(county, "total")[-1]
    assert (change["before"], change["after"], change["cause"]["event"]) == (25.0, 24.0, "PointsRevoked")
    assert (change["cause"]["points"], change["cause"]["category"], change["cause"]["reason"]) == (
        "3", "B1", "推广经验不属实",
    )  # fmt: skip
    assert change["revoked"]["adjustment_id"] == first["adjustment_id"]
    assert change["revoked"]["revoked_by"] == ADMIN
