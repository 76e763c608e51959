"""Correcting a registered entry (ADR 27), over HTTP on SQLite and PostgreSQL: a county that
mistyped a household's flags or a village's poverty-relief mark corrects it with a reason; the
refusals name the field and rule and store nothing; a sample drawn before keeps its population."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from domain.organisation import Grant
from tests.conftest import PASSWORD, add_user, login
from tests.test_verification_api import BASE, county, team  # noqa: F401  (the county's opened year)


def household(client: TestClient, code: str) -> dict[str, Any]:
    found: dict[str, Any] = next(h for h in client.get(f"{BASE}/registry").json()["households"] if h["code"] == code)
    return found


def correct(client: TestClient, code: str, **body: Any) -> Any:
    return client.post(f"{BASE}/registry/{code}/correction", json=body)


def test_a_households_flags_and_a_villages_mark_are_corrected_with_a_reason(county: TestClient) -> None:  # noqa: F811
    client = county
    assert household(client, "T01V1H4")["flags"] == ["脱贫退出户"]
    answer = correct(client, "T01V1H4", flags=["脱贫退出户", "残疾人户"], reason="漏标残疾人户")
    assert answer.status_code == 201, answer.text
    assert answer.json()["events"] == ["ObjectCorrected"] and answer.json()["result"]["changed"] == ["flags"]
    assert household(client, "T01V1H4")["flags"] == ["脱贫退出户", "残疾人户"]
    assert correct(client, "T01V6", poverty_relief=False, reason="已摘帽").status_code == 201
    village = next(x for x in client.get(f"{BASE}/registry").json()["villages"] if x["code"] == "T01V6")
    assert village["poverty_relief"] is False


def test_refused_corrections_name_the_field_and_store_nothing(county: TestClient) -> None:  # noqa: F811
    client = county
    cases = [
        ({"flags": ["残疾人户"], "reason": ""}, "reason", "reason_required"),
        ({"name": "新名", "reason": "改名"}, "name", "field_of_kind"),  # a household has a head, not a name
        ({"flags": ["贫困户"], "reason": "改标识"}, "flags", "known_flag"),
        ({"flags": ["脱贫退出户"], "reason": "同样"}, "code", "changes_something"),
    ]
    for body, field, rule in cases:
        answer = correct(client, "T01V1H4", **body)
        assert answer.status_code == 422, answer.text
        assert (answer.json()["errors"][0]["field"], answer.json()["errors"][0]["rule"]) == (field, rule)
    assert correct(client, "T09", name="某镇", reason="x").status_code == 404
    assert household(client, "T01V1H4")["flags"] == ["脱贫退出户"]


def test_a_sample_drawn_before_keeps_its_population(county: TestClient) -> None:  # noqa: F811
    client = county
    team(client, "1", "T01", [{"name": "李四", "home": "T02"}])
    drawn = client.post(f"{BASE}/samples", json={"town": "T01", "seed": "before-correction"})
    village = drawn.json()["result"]["villages"][0]
    assert correct(client, f"{village}H2", flags=["脱贫户"], reason="残疾人户标错").status_code == 201
    sample = client.get(f"{BASE}/samples").json()["samples"][0]
    assert sample["redraw_matches"] is True  # redrawn from the population it recorded


def test_the_auditor_finds_the_correction_among_the_years_events(county: TestClient) -> None:  # noqa: F811
    client = county
    assert correct(client, "T01V1H4", head="王某", reason="户主姓名录错").status_code == 201
    add_user(client.app.state.platform, "auditor.town", Grant("g-au", "auditor"))  # type: ignore[attr-defined]
    client.headers.update(login(client, "auditor.town", PASSWORD))
    answer = client.get("/api/v1/audit/counties/130425/verification/2023/events")
    assert answer.status_code == 200, answer.text
    events = answer.json()
    assert [e["type"] for e in events] == ["Opened", "ObjectsRegistered", "ObjectCorrected"]
    assert [e["version"] for e in events] == [1, 2, 3]
    assert events[2]["previous_hash"] == events[1]["event_hash"]
    assert events[2]["fields"]["reason"] == "户主姓名录错" and "head：王某" in events[2]["fields"]["changes"]
    assert events[2]["actor"] == "coordinator.town"
