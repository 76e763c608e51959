"""A county scheme's composites compute from inputs recorded through the API, and say which
inputs they lack until then (on SQLite and PostgreSQL)."""

from __future__ import annotations

import copy
import time
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from tests.conftest import enrol_over_http, example_document
from tests.test_composites import TOWN_FORMULAS

CODE = "130425"


def test_composites_compute_once_their_inputs_are_recorded(client: TestClient) -> None:
    document = example_document() | copy.deepcopy(TOWN_FORMULAS)
    assert client.post("/api/v1/schemes", json=document).status_code == 201
    enrol_over_http(client, CODE)
    scores = client.get(f"/api/v1/counties/{CODE}/scores", params={"year": 2023}).json()
    assert scores["composites"] == {"year_end": None, "composite": None}
    lacking = client.get(f"/api/v1/counties/{CODE}/composites", params={"year": 2023}).json()["composites"]
    assert {c["code"]: [m["input"] for m in c["missing"]] for c in lacking} == {
        "composite": ["daily_work", "verification", "villages"],
        "year_end": ["verification", "villages"],
    }
    before = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    for body in (
        {"input": "verification", "values": ["85"]},
        {"input": "villages", "values": ["90", "80", "70", "88"]},
        {"input": "daily_work", "values": [92], "year": 2023, "reason": "县核查办汇总"},
    ):
        recorded = client.post(f"/api/v1/counties/{CODE}/composite-inputs", json=body)
        assert recorded.status_code == 201, recorded.text
        assert recorded.json()["events"] == ["CompositeInputRecorded"]
    scores = client.get(f"/api/v1/counties/{CODE}/scores", params={"year": 2023}).json()
    assert scores["composites"] == {"year_end": 83.8, "composite": 86.26}
    now = client.get(f"/api/v1/counties/{CODE}/composites", params={"year": 2023}).json()
    assert [(c["code"], c["value"], c["missing"]) for c in now["composites"]] == [
        ("composite", "86.26", []),
        ("year_end", "83.80", []),
    ]
    earlier = client.get(f"/api/v1/counties/{CODE}/composites", params={"year": 2023, "as_of": before}).json()
    assert [c["value"] for c in earlier["composites"]] == [None, None]
    as_of = client.get(f"/api/v1/counties/{CODE}/scores", params={"year": 2023, "as_of": before}).json()
    assert as_of["composites"] == {"year_end": None, "composite": None}


def test_a_bad_input_is_refused_naming_field_and_rule(client: TestClient) -> None:
    document = example_document() | copy.deepcopy(TOWN_FORMULAS)
    assert client.post("/api/v1/schemes", json=document).status_code == 201
    enrol_over_http(client, CODE)
    cases = [
        ({"input": "nothing", "values": ["85"]}, "input", "known_input"),
        ({"input": "verification", "values": ["85", "86"]}, "values", "one_value"),
        ({"input": "villages", "values": ["90", "100.5"]}, "values[1]", "score"),
    ]
    for body, field, rule in cases:
        refused = client.post(f"/api/v1/counties/{CODE}/composite-inputs", json=body)
        assert refused.status_code == 422, refused.text
        assert (refused.json()["errors"][0]["field"], refused.json()["errors"][0]["rule"]) == (field, rule)
    events = client.get(f"/api/v1/counties/{CODE}/events").json()["events"]
    assert [e["type"] for e in events] == ["Enrolled"]  # nothing stored
