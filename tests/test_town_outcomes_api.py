"""The use of the towns' results over HTTP (004 八–九; issue 13 item 5), on SQLite and PostgreSQL:
the county office issues a town's result notice (stored by hash, the same bytes again for the
same as-of), decides the consequence its grade gives, and walks a rectification item from the
notice's problem through plan, done, a rejection and verification, as for a county."""

from __future__ import annotations

import hashlib
import subprocess
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from fastapi.testclient import TestClient

from domain.organisation import Grant
from tests.conftest import PASSWORD, add_user, login
from tests.test_verification_api import BASE, county, score, team  # noqa: F401  (the county's opened year)

DEADLINE = (datetime.now(UTC) + timedelta(days=60)).date().isoformat()


def scored_town(client: TestClient, code: str, totals: tuple[str, str, list[str]], team_id: str, home: str) -> None:
    """A team for ``code``, its sample, and its sheets: verification, daily work, the four villages."""
    team(client, team_id, code, [{"name": f"成员{team_id}", "home": home}])
    drawn = client.post(f"{BASE}/samples", json={"town": code, "seed": f"seed-{code}"})
    assert drawn.status_code == 201, drawn.text
    verification, daily, villages = totals
    assert score(client, "verification", code, verification, team_id=team_id).status_code == 201
    assert score(client, "daily_work", code, daily, team_id=team_id).status_code == 201
    for village, total in zip(drawn.json()["result"]["villages"], villages, strict=True):
        assert score(client, "villages", village, total, team_id=team_id).status_code == 201


def outcomes(client: TestClient, town: str) -> dict[str, Any]:
    answer = client.get(f"{BASE}/outcomes", params={"town": town})
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def test_a_notice_is_stored_by_hash_and_the_same_as_of_gives_the_same_bytes(county: TestClient) -> None:  # noqa: F811
    client = county
    # 85, villages 90, 80, 70, 88 → year-end 83.80; daily work 92 → 86.26 (较好): commendation (G4)
    scored_town(client, "T01", ("85", "92", ["90", "80", "70", "88"]), "1", "T02")
    issued = client.post(f"{BASE}/towns/T01/notices", json={})  # as of now
    assert issued.status_code == 201, issued.text
    assert issued.json()["events"] == ["TownNoticeIssued"] and issued.json()["position"]
    (notice,) = outcomes(client, "T01")["notices"]
    assert (notice["notice_id"], notice["result"], notice["grade"], notice["rank"]) == ("2023-N1", "86.26", "较好", 1)
    assert notice["problems"] == []
    pdf = client.get(notice["href"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == notice["file_sha256"]
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True).stdout.decode()
    assert "核查结果通报" in text and "甲镇" in text and "86.26" in text and "较好" in text
    assert "83.80 × 0.7 = 86.26" in text

    # the province's daily work 60 comes later: 60 × 0.3 + 83.80 × 0.7 = 76.66 now, not as of the notice
    mark = {"object": "T01", "authority": "province", "reason": "省考核组抽查"}
    assert client.post(f"{BASE}/higher-sampling", json=mark).status_code == 201
    assert score(client, "daily_work", "T01", "60", authority="province", reason="省考核组结果").status_code == 201
    again = client.post(f"{BASE}/towns/T01/notices", json={"as_of": notice["as_of"]})  # the same content: refused
    assert again.status_code == 409 and again.json()["errors"][0]["rule"] == "notice_changed", again.text
    assert "2023-N1" in again.json()["errors"][0]["message"]
    assert client.post(f"{BASE}/towns/T01/notices", json={}).status_code == 201
    first, latest = outcomes(client, "T01")["notices"]
    assert (latest["result"], latest["grade"]) == ("76.66", "一般") and latest["file_sha256"] != first["file_sha256"]

    decided = client.post(f"{BASE}/towns/T01/consequences")  # on the latest notice: 一般 → the deputy (G2)
    assert decided.status_code == 201, decided.text
    (consequence,) = outcomes(client, "T01")["consequences"]
    assert (consequence["kind"], consequence["kind_label"], consequence["rule"]) == (
        "interview_deputy",
        "约谈分管负责同志",
        "G2",
    )
    causes = {"town": "T01", "notice_id": "2023-N2", "as_of": latest["as_of"], "grade": "一般", "result": "76.66"}
    assert consequence["causes"] == causes
    assert client.post(f"{BASE}/towns/T01/consequences").json()["result"]["unchanged"] is True  # decided once


def test_a_good_town_is_commended(county: TestClient) -> None:  # noqa: F811
    client = county
    scored_town(client, "T01", ("85", "92", ["90", "80", "70", "88"]), "1", "T02")  # 86.26 (较好)
    assert client.post(f"{BASE}/towns/T01/notices", json={}).status_code == 201
    assert client.post(f"{BASE}/towns/T01/consequences").status_code == 201
    (consequence,) = outcomes(client, "T01")["consequences"]
    assert (consequence["kind"], consequence["kind_label"], consequence["rule"]) == ("commendation", "通报表扬", "G4")


def test_a_poor_town_with_serious_problems_gets_the_principal_interviewed(county: TestClient) -> None:  # noqa: F811
    client = county
    # every item at 35 % of its maximum (below 40 %: serious): year-end 35, composite 35 (较差) → G1
    scored_town(client, "T02", ("35", "35", ["35", "35", "35", "35"]), "2", "T01")
    assert client.post(f"{BASE}/towns/T02/notices", json={}).status_code == 201
    (notice,) = outcomes(client, "T02")["notices"]
    assert (notice["result"], notice["grade"]) == ("35.00", "较差")
    assert notice["problems"] and all(problem["serious"] for problem in notice["problems"])
    assert client.post(f"{BASE}/towns/T02/consequences").status_code == 201
    (consequence,) = outcomes(client, "T02")["consequences"]
    assert (consequence["kind"], consequence["rule"]) == ("interview_principal", "G1")
    assert consequence["causes"]["serious_problems"][0]["id"] == "P1"


def test_a_town_item_walks_from_the_notice_to_rejected_then_verified(county: TestClient) -> None:  # noqa: F811
    client = county
    scored_town(client, "T02", ("50", "50", ["50", "50", "50", "50"]), "2", "T01")
    assert client.post(f"{BASE}/towns/T02/notices", json={}).status_code == 201
    problem = outcomes(client, "T02")["notices"][0]["problems"][0]
    body = {"problem_id": "P1", "requirement": "补齐帮扶台账", "deadline": DEADLINE, "answerer": "乙镇"}
    raised = client.post(f"{BASE}/towns/T02/rectification", json=body)
    assert raised.status_code == 201 and raised.json()["result"]["item_id"] == "2023-T02-Z1", raised.text
    twice = client.post(f"{BASE}/towns/T02/rectification", json=body)
    assert twice.status_code == 409 and twice.json()["errors"][0]["rule"] == "raised_once"
    past = client.post(f"{BASE}/towns/T02/rectification", json=body | {"problem_id": "P2", "deadline": "2020-01-01"})
    assert past.status_code == 422 and past.json()["errors"][0]["field"] == "deadline"
    (item,) = outcomes(client, "T02")["items"]  # the refusals stored nothing
    assert (item["problem"], item["indicator"], item["status"]) == (problem["title"], problem["indicator"], "raised")

    path = f"{BASE}/rectification/2023-T02-Z1"
    early = client.post(f"{path}/done", json={"text": "已完成"})
    assert early.status_code == 409 and early.json()["errors"][0]["rule"] == "item_status"
    assert client.post(f"{path}/plan", json={"text": "逐户核对"}).status_code == 201
    assert client.post(f"{path}/done", json={"text": "已补齐"}).status_code == 201
    own = client.post(f"{path}/verify", json={})
    assert own.status_code == 403 and own.json()["errors"][0]["rule"] == "separation_of_duties"

    add_user(client.app.state.platform, "admin.town", Grant("g-a", "admin"))  # type: ignore[attr-defined]
    client.headers.update(login(client, "admin.town", PASSWORD))
    assert client.post(f"{path}/reject", json={"reason": "台账缺两户"}).status_code == 201
    assert outcomes(client, "T02")["items"][0]["status"] == "in_progress"
    client.headers.update(login(client, "coordinator.town", PASSWORD))
    assert client.post(f"{path}/done", json={"text": "两户已补"}).status_code == 201
    client.headers.update(login(client, "admin.town", PASSWORD))
    assert client.post(f"{path}/verify", json={"comment": "通过"}).status_code == 201
    (item,) = outcomes(client, "T02")["items"]
    today = datetime.now(UTC).astimezone().date()
    assert item["status"] == "verified" and abs((datetime.fromisoformat(item["verified_on"]).date() - today).days) <= 1
    assert [step["kind"] for step in item["steps"]] == ["raised", "plan", "done", "rejected", "done", "verified"]


def test_no_notice_without_a_result_and_no_consequence_without_a_notice(county: TestClient) -> None:  # noqa: F811
    client = county
    refused = client.post(f"{BASE}/towns/T03/notices", json={})
    assert refused.status_code == 409 and refused.json()["errors"][0]["rule"] == "town_result"
    undecided = client.post(f"{BASE}/towns/T03/consequences")
    assert undecided.status_code == 409 and undecided.json()["errors"][0]["rule"] == "notice_issued"
    assert outcomes(client, "T03") | {} == {"county": "130425", "year": 2023, "notices": [], "consequences": [],
                                            "items": []}  # fmt: skip


def test_a_double_click_issues_one_notice(county: TestClient) -> None:  # noqa: F811
    client = county
    scored_town(client, "T01", ("85", "92", ["90", "80", "70", "88"]), "1", "T02")
    assert client.post(f"{BASE}/towns/T01/notices", json={}).status_code == 201
    second = client.post(f"{BASE}/towns/T01/notices", json={})  # a moment later, nothing changed
    assert second.status_code == 409, second.text
    (problem,) = second.json()["errors"]
    assert problem["rule"] == "notice_changed" and "2023-N1" in problem["message"]
    assert [n["notice_id"] for n in outcomes(client, "T01")["notices"]] == ["2023-N1"]


def test_a_notice_as_of_a_date_is_the_end_of_that_beijing_day_and_never_in_the_future(county: TestClient) -> None:  # noqa: F811
    client = county
    scored_town(client, "T01", ("85", "92", ["90", "80", "70", "88"]), "1", "T02")
    early = client.post(f"{BASE}/towns/T01/notices", json={"as_of": "2024-01-01"})  # before the year was opened
    assert early.status_code == 404 and early.json()["errors"][0]["rule"] == "known_verification", early.text
    future = client.post(f"{BASE}/towns/T01/notices", json={"as_of": "2099-01-01"})
    assert future.status_code == 422 and future.json()["errors"][0]["rule"] == "not_future", future.text
    assert "不能晚于" in future.json()["errors"][0]["message"]
    malformed = client.post(f"{BASE}/towns/T01/notices", json={"as_of": "soon"})
    assert malformed.status_code == 422 and "应为日期" in malformed.json()["errors"][0]["message"]
    today = datetime.now(UTC).astimezone(timezone(timedelta(hours=8))).date().isoformat()
    issued = client.post(f"{BASE}/towns/T01/notices", json={"as_of": today})
    assert issued.status_code == 201, issued.text
    assert [n["notice_id"] for n in outcomes(client, "T01")["notices"]] == ["2023-N1"]
