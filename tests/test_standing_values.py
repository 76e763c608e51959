"""One rule for changing a standing value, on every channel (form, batch, workbook).

Found by trying the product: ``POST /submissions`` replaced a standing value with no reason,
while ``/batches`` refused the same change without the correction right and a reason.
Now: a different value over a standing one needs the correction right and a reason,
otherwise 409 naming the correction route; the same value again records nothing.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from domain.organisation import Grant
from tests.conftest import add_user, enrol_over_http, login

COUNTY = "130425"
URL = f"/api/v1/counties/{COUNTY}"
CORRECTIONS = f"/api/v1/counties/{COUNTY}/corrections"


def setup(client: TestClient, scheme_document: dict[str, Any]) -> dict[str, dict[str, str]]:
    assert client.post("/api/v1/schemes", json=scheme_document).status_code == 201
    enrol_over_http(client, COUNTY)
    platform = client.app.state.platform  # type: ignore[attr-defined]
    add_user(platform, "coordinator.t", Grant("g-c", "county_coordinator", county=COUNTY))
    issued = client.post(f"{URL}/api-keys", json={"label": "县数据中台"}, headers=login(client, "coordinator.t"))
    assert issued.status_code == 201, issued.text
    return {"coordinator": login(client, "coordinator.t"), "key": {"X-API-Key": issued.json()["key"]}}


def version(client: TestClient) -> int:
    found: int = client.app.state.platform.ledger.county(COUNTY).version  # type: ignore[attr-defined]
    return found


def value_of(client: TestClient, indicator: str) -> float:
    body = client.get(f"{URL}/scores", params={"year": 2023}).json()
    found: float = next(node for node in body["nodes"] if node["code"] == indicator)["value"]
    return found


def refused(response: Any, field: str, rule: str) -> None:
    assert response.status_code == 409, response.text
    errors = response.json()["errors"]
    assert [(error["field"], error["rule"]) for error in errors] == [(field, rule)]
    assert CORRECTIONS in errors[0]["message"]  # names the correction route


def test_a_submission_does_not_replace_a_standing_value_without_the_right_and_a_reason(
    client: TestClient, scheme_document: dict[str, Any]
) -> None:
    who = setup(client, scheme_document)
    first = {"indicator": "1.1", "period": "2023", "value": 59.1}
    assert client.post(f"{URL}/submissions", json=first, headers=who["coordinator"]).status_code == 201
    before = version(client)

    # the report's case: the same submission route, another value, no reason
    changed = first | {"value": 61.5}
    refused(client.post(f"{URL}/submissions", json=changed, headers=who["coordinator"]), "reason", "reason_required")
    # an API key has no correction right, reason or not
    by_key = client.post(f"{URL}/submissions", json=changed | {"reason": "复核"}, headers=who["key"])
    refused(by_key, "value", "correction_allowed")
    assert version(client) == before and value_of(client, "1.1") == 59.1  # nothing stored

    # with the right and a reason, it is a correction, recorded as one
    with_reason = changed | {"reason": "按统计年鉴更正"}
    corrected = client.post(f"{URL}/submissions", json=with_reason, headers=who["coordinator"])
    assert corrected.status_code == 201, corrected.text
    assert corrected.json()["events"] == ["DataCorrected"]
    assert value_of(client, "1.1") == 61.5
    history = client.get(f"{URL}/scores/1.1/history", params={"year": 2023}).json()
    assert any("按统计年鉴更正" in str(change) for change in history["changes"])


def test_the_same_value_again_is_a_no_op_on_every_channel(client: TestClient, scheme_document: dict[str, Any]) -> None:
    who = setup(client, scheme_document)
    first = {"indicator": "1.1", "period": "2023", "value": 59.1}
    assert client.post(f"{URL}/submissions", json=first, headers=who["key"]).status_code == 201
    before = version(client)

    again = client.post(f"{URL}/submissions", json=first | {"value": "59.10"}, headers=who["key"])
    assert again.status_code == 200, again.text
    assert again.json()["unchanged"] is True and again.json()["events"] == []
    batch = {"idempotency_key": "b-1", "submissions": [first]}
    assert client.post(f"{URL}/batches", json=batch, headers=who["key"]).status_code == 200
    assert version(client) == before


def test_batches_follow_the_same_rule(client: TestClient, scheme_document: dict[str, Any]) -> None:
    who = setup(client, scheme_document)
    first = {"indicator": "1.1", "period": "2023", "value": 59.1}
    assert client.post(f"{URL}/submissions", json=first, headers=who["key"]).status_code == 201
    before = version(client)

    changed = {"idempotency_key": "b-2", "submissions": [first | {"value": 61.5, "reason": "复核"}]}
    response = client.post(f"{URL}/batches", json=changed, headers=who["key"])
    assert response.status_code == 409, response.text
    assert response.json()["errors"][0]["rule"] == "correction_allowed"
    without_reason = {"idempotency_key": "b-3", "submissions": [first | {"value": 61.5}]}
    response = client.post(f"{URL}/batches", json=without_reason, headers=who["coordinator"])
    assert response.status_code == 409, response.text
    assert response.json()["errors"][0]["field"] == "submissions[0].reason"
    assert version(client) == before

    with_reason = {"idempotency_key": "b-4", "submissions": [first | {"value": 61.5, "reason": "复核"}]}
    accepted = client.post(f"{URL}/batches", json=with_reason, headers=who["coordinator"])
    assert accepted.status_code == 201, accepted.text
    assert value_of(client, "1.1") == 61.5
