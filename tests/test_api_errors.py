"""Bad input: a 4xx naming the field and the rule, and nothing stored."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import enrol_over_http

COUNTY = "411523"


@pytest.fixture
def enrolled(memory_client: TestClient, scheme_document: dict[str, Any]) -> TestClient:
    assert memory_client.post("/api/v1/schemes", json=scheme_document).status_code == 201
    enrol_over_http(memory_client, COUNTY, "新县", "河南省", "central")
    return memory_client


def head(client: TestClient) -> int:
    value: int = client.get("/readyz").json()["head"]
    return value


def refused(client: TestClient, method: str, path: str, payload: Any, status: int) -> list[dict[str, str]]:
    before = head(client)
    response = client.request(method, path, json=payload)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["errors"], body
    assert head(client) == before, "a refused command stored an event"
    errors: list[dict[str, str]] = body["errors"]
    return errors


def rules(errors: list[dict[str, str]]) -> set[tuple[str, str]]:
    return {(error["field"], error["rule"]) for error in errors}


def test_invalid_scheme_lists_every_problem(memory_client: TestClient, scheme_document: dict[str, Any]) -> None:
    document = dict(scheme_document)
    indicators = [dict(item) for item in document["indicators"]]
    indicators[1]["weight"] = 15  # 1.1: children of 1 now add up to 45, not 50
    indicators[2]["parent"] = "9"  # unknown parent
    indicators.append(dict(indicators[3]))  # duplicate code 2
    document["indicators"] = indicators
    errors = refused(memory_client, "POST", "/api/v1/schemes", document, 422)
    found = rules(errors)
    assert ("indicators.1.2.parent", "known_parent") in found
    assert ("indicators.2", "unique_code") in found
    assert memory_client.get("/api/v1/schemes/example-2023").status_code == 404


def test_missing_method_parameters_and_weights(memory_client: TestClient, scheme_document: dict[str, Any]) -> None:
    document = dict(scheme_document)
    indicators = [dict(item) for item in document["indicators"]]
    indicators[1]["method"] = {"type": "attainment"}
    indicators[4]["weight"] = 20  # children of 2 add up to 45
    document["indicators"] = indicators
    found = rules(refused(memory_client, "POST", "/api/v1/schemes", document, 422))
    assert ("indicators[1].method.target", "required") in found
    assert ("weights.2", "sibling_sum") in found


@pytest.mark.parametrize(
    ("payload", "field", "rule"),
    [
        (
            {"code": "12345", "name": "x", "province": "河南省", "region": "central", "scheme": "example-2023"},
            "code",
            "admin_code",
        ),
        (
            {"code": "411524", "name": "x", "province": "河南省", "region": "north", "scheme": "example-2023"},
            "region",
            "one_of",
        ),
        ({"code": "411524", "name": "x", "province": "河南省", "region": "central"}, "scheme", "missing"),
        (  # 河北省 is in the east: a west region contradicts the province
            {"code": "130429", "name": "x", "province": "河北省", "region": "west", "scheme": "example-2023"},
            "region",
            "province_region",
        ),
        (
            {"code": "411524", "name": "x", "province": "河南省", "region": "central", "scheme": "nope"},
            "scheme",
            "known_scheme",
        ),
        (
            {"code": COUNTY, "name": "新县", "province": "河南省", "region": "central", "scheme": "example-2023"},
            "code",
            "unique_county",
        ),
    ],
)
def test_bad_enrolment(enrolled: TestClient, payload: dict[str, Any], field: str, rule: str) -> None:
    status = {"known_scheme": 404, "unique_county": 409}.get(rule, 422)
    assert (field, rule) in rules(refused(enrolled, "POST", "/api/v1/counties", payload, status))


@pytest.mark.parametrize(
    ("payload", "field", "rule", "status"),
    [
        ({"indicator": "1.2", "period": "2023-05"}, "value", "missing", 422),
        ({"indicator": "1.2", "period": "2023-05", "value": "12,5"}, "value", "decimal_parsing", 422),
        ({"indicator": "1.2", "period": "2023-05", "value": "NaN"}, "value", "finite_number", 422),
        ({"indicator": "1.2", "period": "2023-13", "value": 1}, "period", "period_format", 422),
        ({"indicator": "1.2", "period": "2024-01", "value": 1}, "period", "scheme_year", 422),
        ({"indicator": "1.2", "period": "2023-Q1", "value": 1}, "period", "indicator_frequency", 422),
        ({"indicator": "9.9", "period": "2023", "value": 1}, "indicator", "known_indicator", 422),
        ({"indicator": "1", "period": "2023", "value": 1}, "indicator", "leaf_indicator", 422),
        ({"indicator": "1.2", "period": "2023-05", "value": 1001}, "value", "within_range", 422),
        ({"indicator": "1.2", "period": "2023-05", "value": 1, "extra": 1}, "extra", "extra_forbidden", 422),
    ],
)
def test_bad_submission(enrolled: TestClient, payload: dict[str, Any], field: str, rule: str, status: int) -> None:
    errors = refused(enrolled, "POST", f"/api/v1/counties/{COUNTY}/submissions", payload, status)
    assert (field, rule) in rules(errors)
    assert all(error["message"] for error in errors)


@pytest.mark.parametrize(
    ("path", "payload", "field", "rule", "status"),
    [
        (
            "/corrections",
            {"indicator": "1.1", "period": "2023", "value": 60, "reason": "x"},
            "period",
            "existing_submission",
            404,
        ),
        (
            "/corrections",
            {"indicator": "1.1", "period": "2023", "value": 60, "reason": ""},
            "reason",
            "reason_required",
            422,
        ),
        (
            "/overrides",
            {"year": 2023, "node": "1", "score": 51, "authority": "centre", "reason": "x"},
            "score",
            "within_node_maximum",
            422,
        ),
        (
            "/overrides",
            {"year": 2023, "node": "total", "score": -1, "authority": "centre", "reason": "x"},
            "score",
            "within_node_maximum",
            422,
        ),
        (
            "/overrides",
            {"year": 2023, "node": "1.1", "score": 1, "authority": "mayor", "reason": "x"},
            "authority",
            "one_of",
            422,
        ),
        (
            "/overrides",
            {"year": 2023, "node": "x", "score": 1, "authority": "centre", "reason": "x"},
            "node",
            "known_node",
            422,
        ),
        (
            "/overrides",
            {"year": 2023, "node": "1.1", "score": 1, "authority": "centre", "reason": ""},
            "reason",
            "reason_required",
            422,
        ),
        ("/overrides/nope/revoke", {"reason": "x"}, "override_id", "known_override", 404),
        ("/adjustments", {"year": 2023, "points": 0, "category": "x", "reason": "x"}, "points", "non_zero", 422),
        ("/adjustments", {"year": 2024, "points": 1, "category": "x", "reason": "x"}, "year", "scheme_year", 422),
        ("/periods/2023-Q5/close", {}, "period", "period_format", 422),
        ("/periods/2023-05/reopen", {"reason": "x"}, "period", "closed_period", 409),
    ],
)
def test_bad_commands(
    enrolled: TestClient, path: str, payload: dict[str, Any], field: str, rule: str, status: int
) -> None:
    errors = refused(enrolled, "POST", f"/api/v1/counties/{COUNTY}{path}", payload, status)
    assert (field, rule) in rules(errors)


def test_bad_weights_name_both_sums(enrolled: TestClient) -> None:
    payload = {"parent": "1", "weights": {"1.1": 25}, "reason": "调整"}
    errors = refused(enrolled, "PUT", f"/api/v1/counties/{COUNTY}/weights", payload, 422)
    assert ("weights.1", "sibling_sum") in rules(errors)
    assert "55" in errors[0]["message"] and "50" in errors[0]["message"]
    no_reason = {"parent": "1", "weights": {"1.1": 25, "1.2": 25}, "reason": ""}
    assert ("reason", "reason_required") in rules(
        refused(enrolled, "PUT", f"/api/v1/counties/{COUNTY}/weights", no_reason, 422)
    )


def test_unknown_county_and_scheme_are_404(memory_client: TestClient) -> None:
    errors = refused(
        memory_client,
        "POST",
        "/api/v1/counties/999999/submissions",
        {"indicator": "1", "period": "2023", "value": 1},
        404,
    )
    assert ("code", "known_county") in rules(errors)
    assert memory_client.get("/api/v1/counties/999999/scores", params={"year": 2023}).status_code == 404
    assert memory_client.get("/api/v1/schemes/none").status_code == 404
    assert memory_client.get("/api/v1/nowhere").status_code == 404


def test_malformed_json_is_422(enrolled: TestClient) -> None:
    response = enrolled.post(
        f"/api/v1/counties/{COUNTY}/submissions", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["rule"] == "json_invalid"
