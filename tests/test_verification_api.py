"""Town verification over HTTP, on SQLite and PostgreSQL: the county coordinator registers,
forms teams, draws samples and records scores; the scores show every town's composite with
its grade, inputs and rank, as of any instant; refusals name the field and rule and store nothing."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook

from domain.organisation import Grant
from tests.conftest import PASSWORD, add_user, enrol_over_http, example_document, login
from tests.town_world import example_document as verification_document
from tests.town_world import example_scheme, items, registry_bodies

SCHEME = example_scheme()
CODE = "130425"
BASE = f"/api/v1/counties/{CODE}/verification/2023"


@pytest.fixture
def county(client: TestClient) -> TestClient:
    assert client.post("/api/v1/schemes", json=example_document()).status_code == 201
    enrol_over_http(client, CODE)
    add_user(client.app.state.platform, "coordinator.town", Grant("g-c", "county_coordinator", county=CODE))  # type: ignore[attr-defined]
    client.headers.update(login(client, "coordinator.town", PASSWORD))
    opened = client.post(f"/api/v1/counties/{CODE}/verification", json={"scheme": verification_document()})
    assert opened.status_code == 201, opened.text
    assert client.post(f"{BASE}/registry", json=registry_bodies()).status_code == 201
    return client


def team(client: TestClient, team_id: str, town: str, members: list[dict[str, str]]) -> None:
    answer = client.post(f"{BASE}/teams", json={"team_id": team_id, "name": f"第{team_id}组", "members": members})
    assert answer.status_code == 201, answer.text
    assigned = client.post(f"{BASE}/teams/{team_id}/assignment", json={"town": town})
    assert assigned.status_code == 201, assigned.text


def score(client: TestClient, sheet: str, code: str, total: str, **extra: Any) -> Any:
    top = SCHEME.verification.sheet(sheet)
    assert top is not None
    body = {
        "sheet": sheet,
        "object": code,
        "checked_on": "2023-12-20",
        "team_id": "1",
        "items": {k: str(v) for k, v in items(top.indicator, total, SCHEME).items()},
    } | extra
    return client.post(f"{BASE}/scores", json=body)


def town(client: TestClient, code: str, **params: str) -> dict[str, Any]:
    answer = client.get(f"{BASE}/scores", params=params)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = next(t for t in answer.json()["towns"] if t["town"] == code)
    return found


def test_the_004_walk_through_over_http(county: TestClient) -> None:
    client = county
    team(client, "1", "T01", [{"name": "李四", "home": "T02"}, {"name": "王五", "home": "county_office"}])
    drawn = client.post(f"{BASE}/samples", json={"town": "T01", "seed": "2023-demo"})
    assert drawn.status_code == 201, drawn.text
    villages = drawn.json()["result"]["villages"]
    assert len(villages) == 4
    sample = client.get(f"{BASE}/samples").json()["samples"][0]
    assert (sample["seed"], sample["redraw_matches"]) == ("2023-demo", True)
    assert [v["code"] for v in sample["villages"]] == villages
    assert all(len(v["households"]) == 5 for v in sample["villages"])
    assert all(any("残疾人户" in h["flags"] for h in v["households"]) for v in sample["villages"])
    assert "T01V6" not in sample["population"]["villages"]  # the poverty-relief village is not drawn

    assert score(client, "verification", "T01", "85").status_code == 201
    missing = town(client, "T01")
    assert missing["result"] is None and missing["grade"] is None
    assert [m["input"] for m in missing["missing"]] == ["daily_work", "villages"]
    assert score(client, "daily_work", "T01", "92").status_code == 201
    for village, total in zip(villages, ["90", "80", "70", "88"], strict=True):
        assert score(client, "villages", village, total).status_code == 201
    result = town(client, "T01")
    assert result["composites"] == {"year_end": "83.80", "composite": "86.26"}
    assert (result["result"], result["grade"], result["rank"], result["missing"]) == ("86.26", "较好", 1, [])
    assert result["inputs"]["villages"] == ["90.00", "80.00", "70.00", "88.00"]
    assert (
        result["formulas"][1]
        == "镇党委和政府综合评价成绩 = 日常工作情况 92.00 × 0.3 + 年终成效核查总分 83.80 × 0.7 = 86.26"
    )


def test_a_team_is_refused_for_its_members_town_naming_the_member_and_nothing_is_stored(county: TestClient) -> None:
    client = county
    members = [{"name": "李四", "home": "T02"}, {"name": "张三", "home": "T01"}]
    assert client.post(f"{BASE}/teams", json={"team_id": "1", "name": "第一组", "members": members}).status_code == 201
    refused = client.post(f"{BASE}/teams/1/assignment", json={"town": "T01"})
    assert refused.status_code == 409
    error = refused.json()["errors"][0]
    assert (error["field"], error["rule"]) == ("town", "cross_check")
    assert "张三" in error["message"] and "甲镇" in error["message"]
    assert client.get(f"{BASE}/teams").json()["teams"][0]["town"] is None
    assert client.get(f"{BASE}/teams").json()["teams"][0]["excluded_towns"] == ["T01", "T02"]


def test_an_absence_deducts_the_named_points(county: TestClient) -> None:
    client = county
    team(client, "1", "T01", [{"name": "李四", "home": "T02"}])
    team(client, "3", "T03", [{"name": "张三", "home": "T01"}])
    assert score(client, "daily_work", "T01", "92").status_code == 201
    absence = {"team_id": "3", "member": "张三", "kind": "absent", "on": "2023-12-20", "reason": "培训后缺席"}
    assert client.post(f"{BASE}/absences", json=absence).status_code == 201
    daily = town(client, "T01")["sheets"]["daily_work"]
    assert daily["score"] == "90.00" and daily["standing"]["score"] == "92.00"
    assert [(d["member"], d["indicator"], d["points"]) for d in daily["deductions"]] == [("张三", "W4", "2.00")]


def test_a_provinces_result_supersedes_and_its_revocation_restores_the_countys_as_of_any_instant(
    county: TestClient,
) -> None:
    client = county
    team(client, "1", "T01", [{"name": "李四", "home": "T02"}])
    assert score(client, "verification", "T01", "85").status_code == 201
    refused = score(client, "verification", "T01", "70", authority="province", score_id="p1")
    assert refused.status_code == 409 and refused.json()["errors"][0]["rule"] == "sampled_by_authority"
    mark = {"object": "T01", "authority": "province", "reason": "省考核组抽查"}
    assert client.post(f"{BASE}/higher-sampling", json=mark).status_code == 201
    unexplained = score(client, "verification", "T01", "70", authority="province", score_id="p1")
    assert unexplained.status_code == 422 and unexplained.json()["errors"][0]["rule"] == "higher_level_reason"
    assert score(client, "verification", "T01", "70", authority="province", score_id="p1",
                 reason="省考核组抽查结果通报").status_code == 201  # fmt: skip
    time.sleep(0.01)
    between = datetime.now(UTC).isoformat()
    sheet = town(client, "T01")["sheets"]["verification"]
    assert (sheet["score"], sheet["standing"]["authority_label"]) == ("70.00", "省级")
    assert [(s["authority"], s["score"]) for s in sheet["superseded"]] == [("county", "85.00")]
    revoked = client.post(f"{BASE}/scores/p1/revoke", json={"reason": "省级结果录入有误"})
    assert revoked.status_code == 201, revoked.text
    restored = town(client, "T01")["sheets"]["verification"]
    assert (restored["score"], restored["standing"]["authority"]) == ("85.00", "county")
    assert restored["revoked"][0]["score_id"] == "p1"
    assert town(client, "T01", as_of=between)["sheets"]["verification"]["score"] == "70.00"


def workbook(rows: dict[str, list[list[Any]]]) -> bytes:
    book = Workbook()
    first = True
    for title, lines in rows.items():
        sheet = book.active if first else book.create_sheet(title)
        assert sheet is not None
        sheet.title = title
        for line in lines:
            sheet.append(line)
        first = False
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_registry_workbook_is_stored_whole_or_refused_by_row_and_column(county: TestClient) -> None:
    client = county
    bad = workbook(
        {
            "镇": [["镇编码", "镇名称"], ["T04", "丁镇"]],
            "村": [
                ["村编码", "村名称", "所属镇编码", "脱贫村"],
                ["T04V1", "丁1村", "T04", "否"],
                ["T04V2", "丁2村", "T99", "也许"],
            ],
            "户": [["户编码", "户主", "所属村编码", "标识"], ["T04V1H1", "赵一", "T04V1", "脱贫户、残疾人户"]],
        }
    )
    refused = client.post(f"{BASE}/registry/import", files={"file": ("登记表.xlsx", bad, "application/octet-stream")})
    assert refused.status_code == 422
    errors = refused.json()["errors"]
    # The cell's problem and the entry's, in one answer (a dry run of the registration).
    assert [(e["row"], e["column"], e["rule"]) for e in errors] == [
        (3, "脱贫村", "yes_no"),
        (3, "所属镇编码", "known_town"),
    ]
    assert client.get(f"{BASE}/registry").json()["towns"][-1]["code"] == "T03"  # nothing stored
    good = workbook(
        {
            "镇": [["镇编码", "镇名称"], ["T04", "丁镇"]],
            "村": [
                ["村编码", "村名称", "所属镇编码", "脱贫村"],
                ["T04V1", "丁1村", "T04", "否"],
                ["T04V2", "丁2村", "T99", "是"],
            ],
        }
    )
    unknown = client.post(f"{BASE}/registry/import", files={"file": ("登记表.xlsx", good, "application/octet-stream")})
    assert unknown.status_code == 422
    assert [(e["row"], e["column"], e["rule"]) for e in unknown.json()["errors"]] == [(3, "所属镇编码", "known_town")]
    assert unknown.json()["errors"][0]["message"].startswith("村 第 3 行：")
    report = client.post(
        f"{BASE}/registry/import",
        files={"file": ("登记表.xlsx", good, "application/octet-stream")},
        headers={"Accept": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    )
    assert report.status_code == 422
    listing = load_workbook(io.BytesIO(report.content)).active
    assert listing is not None and listing.cell(row=2, column=2).value == "所属镇编码"
    right = workbook(
        {
            "镇": [["镇编码", "镇名称"], ["T04", "丁镇"]],
            "村": [["村编码", "村名称", "所属镇编码", "脱贫村"], ["T04V1", "丁1村", "T04", "否"]],
            "户": [["户编码", "户主", "所属村编码", "标识"], ["T04V1H1", "赵一", "T04V1", "脱贫户、残疾人户"]],
        }
    )
    stored = client.post(f"{BASE}/registry/import", files={"file": ("登记表.xlsx", right, "application/octet-stream")})
    assert stored.status_code == 201, stored.text
    assert stored.json()["result"] == {"towns": 1, "villages": 1, "households": 1}
    household = client.get(f"{BASE}/registry").json()["households"][-1]
    assert household == {
        "code": "T04V1H1",
        "head": "赵一",
        "village": "T04V1",
        "village_name": "丁1村",
        "flags": ["脱贫户", "残疾人户"],
    }


def test_an_impossible_sample_is_refused_with_the_numbers(county: TestClient) -> None:
    client = county
    body = {
        "towns": [{"code": "T09", "name": "丁镇"}],
        "villages": [
            {"code": f"T09V{n}", "name": f"丁{n}村", "town": "T09", "poverty_relief": False} for n in range(3)
        ],
    }
    assert client.post(f"{BASE}/registry", json=body).status_code == 201
    refused = client.post(f"{BASE}/samples", json={"town": "T09"})
    assert refused.status_code == 422
    assert "丁镇”只有 0 个可抽查的非贫困村" in refused.json()["errors"][0]["message"]
    assert client.get(f"{BASE}/samples").json()["samples"] == []


def test_only_the_countys_coordinator_organises_its_verification(county: TestClient) -> None:
    client = county
    platform = client.app.state.platform  # type: ignore[attr-defined]
    add_user(platform, "clerk.town", Grant("g-d", "department_user", county=CODE, department="农业农村局"))
    add_user(platform, "other.town", Grant("g-o", "county_coordinator", county="130426"))
    for user in ("clerk.town", "other.town"):
        headers = login(client, user, PASSWORD)
        refused = client.post(f"{BASE}/samples", json={"town": "T01"}, headers=headers)
        assert refused.status_code == 403
        assert refused.json()["errors"][0]["rule"] == "permission:verify_towns"
    assert client.get(f"{BASE}/samples", headers=login(client, "clerk.town", PASSWORD)).status_code == 200


def test_grades_at_the_boundaries_and_the_ranking_on_direct_scores(county: TestClient) -> None:
    client = county
    homes = {"T01": "T02", "T02": "T03", "T03": "T01"}
    for number, (town_code, home) in enumerate(homes.items(), start=1):
        team(client, str(number), town_code, [{"name": f"成员{number}", "home": home}])
        villages = client.post(f"{BASE}/samples", json={"town": town_code, "seed": "s"}).json()["result"]["villages"]
        every = {"T01": "90", "T02": "80", "T03": "60"}[town_code]
        # Every input the same: year-end = x × 0.6 + x × 0.4 = x; composite = x × 0.3 + x × 0.7 = x.
        for sheet, target in [("verification", town_code), ("daily_work", town_code)] + [
            ("villages", v) for v in villages
        ]:
            body = {
                "sheet": sheet,
                "object": target,
                "checked_on": "2023-12-20",
                "team_id": str(number),
                "score": every,
                "score_id": f"{sheet}-{target}",
            }
            assert client.post(f"{BASE}/scores", json=body).status_code == 201
    towns = client.get(f"{BASE}/scores").json()["towns"]
    assert [(t["town"], t["result"], t["grade"], t["rank"]) for t in towns] == [
        ("T01", "90.00", "好", 1),
        ("T02", "80.00", "较好", 2),
        ("T03", "60.00", "一般", 3),
    ]
    # 59.99 on the daily work alone: 59.99 × 0.3 + 60 × 0.7 = 17.997 + 42 = 59.997, shown as 60.00: 一般
    assert client.post(f"{BASE}/scores/daily_work-T03/revoke", json={"reason": "重新计分"}).status_code == 201
    body = {"sheet": "daily_work", "object": "T03", "checked_on": "2023-12-20", "team_id": "3", "score": "59.99"}
    assert client.post(f"{BASE}/scores", json=body).status_code == 201
    assert (town(client, "T03")["result"], town(client, "T03")["grade"]) == ("60.00", "一般")
    # 59.9 on it: 17.97 + 42 = 59.97 < 60: 较差
    standing = town(client, "T03")["sheets"]["daily_work"]["standing"]["score_id"]
    assert client.post(f"{BASE}/scores/{standing}/revoke", json={"reason": "重新计分"}).status_code == 201
    assert client.post(f"{BASE}/scores", json=body | {"score": "59.9"}).status_code == 201
    assert (town(client, "T03")["result"], town(client, "T03")["grade"]) == ("59.97", "较差")
