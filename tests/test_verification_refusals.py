"""Refusals of the town verification that QA found wrong (phase 3), on SQLite and PostgreSQL: numbers
written with an exponent, check and absence days outside the verification's period or in the
future, every conflict of an assignment at once, and refusals in Chinese naming the field in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from domain import verification_commands as v
from domain.commands import Context
from domain.errors import ConflictError
from domain.verification_handlers import handle
from tests.test_verification_api import BASE, county, score, team, workbook  # noqa: F401  (the county's opened year)
from tests.town_world import opened_year


def errors(answer: object) -> list[dict[str, str]]:
    found: list[dict[str, str]] = answer.json()["errors"]  # type: ignore[attr-defined]
    return found


def test_a_score_written_with_an_exponent_is_refused(county: TestClient) -> None:  # noqa: F811
    client = county
    team(client, "1", "T01", [{"name": "李四", "home": "T02"}])
    refused = score(client, "verification", "T01", "85", score="1e1", items={})
    assert refused.status_code == 422, refused.text
    (problem,) = errors(refused)
    assert problem["rule"] == "number" and "科学计数法" in problem["message"]
    assert score(client, "verification", "T01", "85").status_code == 201  # nothing was stored before


def test_a_check_day_is_within_the_verification_period_and_never_in_the_future(county: TestClient) -> None:  # noqa: F811
    client = county
    team(client, "1", "T01", [{"name": "李四", "home": "T02"}])
    late = score(client, "verification", "T01", "85", checked_on="2031-01-01")
    assert late.status_code == 422 and errors(late)[0]["rule"] == "not_future", late.text
    assert "核查日期" in errors(late)[0]["message"]
    early = score(client, "verification", "T01", "85", checked_on="2023-03-01")
    assert early.status_code == 422 and errors(early)[0]["rule"] == "verification_period", early.text
    assert "2023-12-01 至 2024-06-30" in errors(early)[0]["message"]
    assert score(client, "verification", "T01", "85", checked_on="2024-01-08").status_code == 201


def test_an_absence_is_never_in_the_future_and_its_kind_is_named_in_chinese(county: TestClient) -> None:  # noqa: F811
    client = county
    team(client, "3", "T03", [{"name": "张三", "home": "T01"}])
    future = (datetime.now(UTC) + timedelta(days=400)).date().isoformat()
    absence = {"team_id": "3", "member": "张三", "kind": "缺勤", "on": future, "reason": "缺席"}
    refused = client.post(f"{BASE}/absences", json=absence)
    assert refused.status_code == 422 and errors(refused)[0]["rule"] == "not_future", refused.text
    assert errors(refused)[0]["message"].startswith("日期")
    wrong = client.post(f"{BASE}/absences", json=absence | {"kind": "sick", "on": "12/20"})
    assert wrong.status_code == 422, wrong.text
    messages = {p["field"]: p["message"] for p in errors(wrong)}
    assert "缺勤、迟到、早退" in messages["kind"] and messages["on"].startswith("日期必须是")
    assert all("'" not in m and "absent" not in m for m in messages.values())
    recorded = client.post(f"{BASE}/absences", json=absence | {"on": "2023-12-20"})  # 缺勤 is absent
    assert recorded.status_code == 201, recorded.text


def test_an_assignment_reports_every_conflict_at_once(county: TestClient) -> None:  # noqa: F811
    client = county
    team(client, "1", "T01", [{"name": "李四", "home": "T02"}])
    members = [{"name": "张三", "home": "T01"}]
    assert client.post(f"{BASE}/teams", json={"team_id": "4", "name": "第四组", "members": members}).status_code == 201
    refused = client.post(f"{BASE}/teams/4/assignment", json={"town": "T01"})
    assert refused.status_code == 409, refused.text
    assert sorted(p["rule"] for p in errors(refused)) == ["cross_check", "one_team_per_town"]


def test_team_and_registry_refusals_are_in_chinese_and_the_county_office_may_be_typed(county: TestClient) -> None:  # noqa: F811
    client = county
    empty = client.post(f"{BASE}/teams", json={"team_id": "5", "name": "第五组", "members": []})
    assert empty.status_code == 422 and errors(empty)[0]["message"] == "核查组至少要有一名成员", empty.text
    office = [{"name": "王五", "home": "县核查办"}]
    formed = client.post(f"{BASE}/teams", json={"team_id": "6", "name": "第六组", "members": office})
    assert formed.status_code == 201, formed.text
    (found,) = [t for t in client.get(f"{BASE}/teams").json()["teams"] if t["team_id"] == "6"]
    assert found["members"][0]["home"] == "county_office"
    long = client.post(f"{BASE}/registry", json={"towns": [{"code": "T99", "name": "镇" * 201}]})
    assert long.status_code == 422, long.text
    assert errors(long)[0]["message"].startswith("第 1 个镇：名称不能超过")


def test_a_second_draw_names_the_beijing_day_of_the_first() -> None:
    evening = (datetime.now(UTC) + timedelta(days=1)).replace(hour=23, minute=8)  # 07:08 the next day in Beijing
    year = opened_year()
    handle(year, v.DrawSample("T01", "seed-1"), Context("coordinator.test", "draw", evening))
    with pytest.raises(ConflictError) as again:
        handle(year, v.DrawSample("T01", "seed-2"), Context("coordinator.test", "again", evening))
    assert f"已于 {(evening + timedelta(days=1)).date()} 抽样" in again.value.problems[0].message


def test_a_formula_in_the_registry_workbook_is_refused_as_a_formula(county: TestClient) -> None:  # noqa: F811
    book = workbook({
        "镇": [["镇编码", "镇名称"], ["T04", "丁镇"]],
        "村": [["村编码", "村名称", "所属镇编码", "脱贫村"], ["T04V1", '=B1&"村"', "T04", "否"]],
    })  # fmt: skip
    refused = county.post(f"{BASE}/registry/import", files={"file": ("登记表.xlsx", book, "application/octet-stream")})
    assert refused.status_code == 422, refused.text
    assert [(e["row"], e["column"], e["rule"]) for e in errors(refused)] == [(2, "村名称", "no_formula")]
    assert "是公式" in errors(refused)[0]["message"] and "必须填写" not in refused.text


def test_a_second_result_names_the_sheet_in_words(county: TestClient) -> None:  # noqa: F811
    team(county, "1", "T01", [{"name": "李四", "home": "T02"}])
    assert score(county, "verification", "T01", "85").status_code == 201
    again = score(county, "verification", "T01", "80", score_id="again")
    assert again.status_code == 409, again.text
    assert "“甲镇”的县核查分已有县级结果" in errors(again)[0]["message"] and "verification" not in again.text
