"""Rectification over HTTP on both stores: an item raised from a report's problem, planned with
evidence, rejected, declared done again and verified; who may do which step (the county never
verifies, an evaluator never plans); refusals in Chinese that store nothing; county B cannot
read county A's ledger; the inspection queue holds only the caller's counties."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from domain import commands as c
from domain.collection import beijing_date
from domain.organisation import Grant
from ruraleval.platform import Platform
from tests.conftest import add_user, enrol_over_http, login
from tests.test_rectification import report_command

COUNTY, ELSEWHERE = "130425", "510129"
COORDINATOR, OTHER_COORDINATOR = "coordinator.a", "coordinator.b"
EVALUATOR, WEST_EVALUATOR, LEADER = "evaluator.east", "evaluator.west", "leader"


@dataclass
class Api:
    client: TestClient
    platform: Platform
    credentials: dict[str, dict[str, str]]

    def call(self, who: str, method: str, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        return self.client.request(method, path, json=body, headers=self.credentials[who], **kwargs)

    def ok(self, who: str, method: str, path: str, body: Any = None, status: int = 200, **kwargs: Any) -> Any:
        response = self.call(who, method, path, body, **kwargs)
        assert response.status_code == status, response.text
        return response.json()

    def version(self) -> int:
        return self.platform.ledger.county(COUNTY).version

    def ledger(self, who: str = LEADER, code: str = COUNTY, **params: Any) -> dict[str, Any]:
        answer: dict[str, Any] = self.ok(who, "GET", f"/api/v1/counties/{code}/rectification",
                                         params={"year": 2023, **params})  # fmt: skip
        return answer


def refused(response: httpx.Response, status: int, field: str, rule: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = response.json()["errors"]
    assert (field, rule) in [(error["field"], error["rule"]) for error in errors], errors
    return str(errors[0]["message"])


def today() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def api(client: TestClient, scheme_document: dict[str, Any]) -> Iterator[Api]:
    service: Platform = client.app.state.platform  # type: ignore[attr-defined]
    assert client.post("/api/v1/schemes", json=scheme_document).status_code == 201
    enrol_over_http(client, COUNTY)
    enrol_over_http(client, ELSEWHERE, "大邑县", "四川省", "west")
    for team, region, county in (("east-1", "east", COUNTY), ("west-1", "west", ELSEWHERE)):
        assert client.post("/api/v1/teams", json={"code": team, "name": team, "region": region}).status_code == 201
        assert client.put(f"/api/v1/teams/{team}/counties", json={"counties": [county], "reason": "分组"}).is_success
    add_user(service, COORDINATOR, Grant("g-a", "county_coordinator", county=COUNTY))
    add_user(service, OTHER_COORDINATOR, Grant("g-b", "county_coordinator", county=ELSEWHERE))
    add_user(service, EVALUATOR, Grant("g-east", "evaluator", team="east-1"))
    add_user(service, WEST_EVALUATOR, Grant("g-west", "evaluator", team="west-1"))
    add_user(service, LEADER, Grant("g-leader", "leader"))
    service.ledger.execute(COUNTY, report_command(), c.Context(EVALUATOR, "report"))
    users = (COORDINATOR, OTHER_COORDINATOR, EVALUATOR, WEST_EVALUATOR, LEADER)
    yield Api(client, service, {user: login(client, user) for user in users})


def deadline(days: int) -> str:
    return (beijing_date(today()) + timedelta(days=days)).isoformat()


def raise_body(**changes: Any) -> dict[str, Any]:
    return {"year": 2023, "report_id": "2023-R1", "problem_id": "P1", "requirement": "制定推介方案",
            "deadline": deadline(30), "answerer": "县文旅局"} | changes  # fmt: skip


def test_an_item_walks_from_a_report_problem_to_verified(api: Api) -> None:
    base = f"/api/v1/counties/{COUNTY}/rectification"
    raised = api.ok(EVALUATOR, "POST", base, raise_body(), 201)
    item = raised["item_id"]
    assert item == "2023-Z1" and raised["position"] > 0
    [row] = api.ledger()["items"]
    assert (row["problem"], row["indicator"]) == ("乡村旅游接待人次未达到年度目标", "1.2")
    assert row["status_label"] == "待制定方案"
    pdf = {"files": ("整改方案.pdf", b"%PDF-1.4 plan", "application/pdf")}
    api.ok(COORDINATOR, "POST", f"{base}/{item}/plan", data={"text": "召开推介会三场"}, files=pdf)
    api.ok(COORDINATOR, "POST", f"{base}/{item}/progress", data={"text": "已召开两场"})
    api.ok(COORDINATOR, "POST", f"{base}/{item}/done", data={"text": "三场均已召开"})
    blank = api.call(EVALUATOR, "POST", f"{base}/{item}/reject", {"reason": " "})
    assert "理由" in refused(blank, 422, "reason", "required")
    api.ok(EVALUATOR, "POST", f"{base}/{item}/reject", {"reason": "缺少第三场的签到表"})
    assert api.ledger()["items"][0]["status"] == "in_progress"
    api.ok(COORDINATOR, "POST", f"{base}/{item}/done", data={"text": "已补签到表"})
    api.ok(EVALUATOR, "POST", f"{base}/{item}/verify", {"comment": "材料齐全"})
    [row] = api.ledger()["items"]
    assert (row["status"], row["verified_on"]) == ("verified", beijing_date(today()).isoformat())
    assert [(s["kind"], s["actor"]) for s in row["steps"]] == [
        ("raised", EVALUATOR), ("plan", COORDINATOR), ("progress", COORDINATOR), ("done", COORDINATOR),
        ("rejected", EVALUATOR), ("done", COORDINATOR), ("verified", EVALUATOR)]  # fmt: skip
    [evidence] = row["steps"][1]["files"]
    download = api.call(LEADER, "GET", evidence["url"])
    assert download.status_code == 200 and download.content == b"%PDF-1.4 plan"
    assert "filename*=UTF-8''" in download.headers["content-disposition"]
    assert api.call(OTHER_COORDINATOR, "GET", evidence["url"]).status_code == 403  # another county's user


def test_the_county_never_verifies_and_an_evaluator_never_plans(api: Api) -> None:
    base = f"/api/v1/counties/{COUNTY}/rectification"
    item = api.ok(EVALUATOR, "POST", base, raise_body(), 201)["item_id"]
    refused(api.call(EVALUATOR, "POST", f"{base}/{item}/plan", data={"text": "评估组代拟"}), 403, "authorization",
            "permission:rectify")  # fmt: skip
    api.ok(COORDINATOR, "POST", f"{base}/{item}/plan", data={"text": "方案"})
    api.ok(COORDINATOR, "POST", f"{base}/{item}/done", data={"text": "完成"})
    version = api.version()
    refused(api.call(COORDINATOR, "POST", f"{base}/{item}/verify", {"comment": "自己核验"}), 403, "authorization",
            "permission:inspect_rectification")  # fmt: skip
    refused(api.call(COORDINATOR, "POST", base, raise_body(problem_id="P2")), 403, "authorization",
            "permission:inspect_rectification")  # fmt: skip
    refused(api.call(WEST_EVALUATOR, "POST", f"{base}/{item}/verify", {}), 403, "authorization",
            "permission:inspect_rectification")  # another team's county  # fmt: skip
    assert api.version() == version


def test_refusals_name_the_field_and_store_nothing(api: Api) -> None:
    base = f"/api/v1/counties/{COUNTY}/rectification"
    version = api.version()
    past = api.call(EVALUATOR, "POST", base, raise_body(deadline=deadline(-1)))
    assert "不能早于今天" in refused(past, 422, "deadline", "not_past")
    refused(api.call(EVALUATOR, "POST", base, raise_body(deadline="明天")), 422, "deadline", "date")
    refused(api.call(EVALUATOR, "POST", base, raise_body(problem_id="P9")), 404, "problem_id", "report_problem")
    refused(api.call(COORDINATOR, "POST", f"{base}/2023-Z9/plan", data={"text": "方案"}), 404, "item_id", "known_item")
    refused(api.call(LEADER, "GET", base, params={"year": 2031}), 404, "year", "scheme_year")
    assert api.version() == version
    item = api.ok(EVALUATOR, "POST", base, raise_body(), 201)["item_id"]
    refused(api.call(EVALUATOR, "POST", base, raise_body()), 409, "problem_id", "raised_once")
    refused(api.call(EVALUATOR, "POST", f"{base}/{item}/verify", {}), 409, "item_id", "item_status")
    refused(api.call(COORDINATOR, "POST", f"{base}/{item}/progress", data={"text": "进展"}), 409, "item_id",
            "item_status")  # no plan yet  # fmt: skip
    exe = {"files": ("setup.exe", b"MZ", "application/octet-stream")}
    version = api.version()
    refused(api.call(COORDINATOR, "POST", f"{base}/{item}/plan", data={"text": "方案"}, files=exe), 422, "files",
            "file_type")  # fmt: skip
    assert api.version() == version
    stored = api.platform.reads.query("SELECT sha256 FROM attached_files")
    assert stored == []  # a refused step leaves no file behind


def test_county_b_cannot_read_county_a_and_the_queue_holds_only_ones_counties(api: Api) -> None:
    base = f"/api/v1/counties/{COUNTY}/rectification"
    overdue_soon = raise_body(problem_id="P2", deadline=deadline(0))
    item = api.ok(EVALUATOR, "POST", base, raise_body(), 201)["item_id"]
    api.ok(EVALUATOR, "POST", base, overdue_soon, 201)
    api.ok(COORDINATOR, "POST", f"{base}/{item}/plan", data={"text": "方案"})
    api.ok(COORDINATOR, "POST", f"{base}/{item}/done", data={"text": "完成"})
    refused(api.call(OTHER_COORDINATOR, "GET", base, params={"year": 2023}), 403, "authorization", "permission:read")
    assert len(api.ledger(COORDINATOR)["items"]) == 2
    queue = api.ok(EVALUATOR, "GET", "/api/v1/rectification/queue", params={"year": 2023})
    awaiting = [(i["county"], i["item_id"], i["status"]) for i in queue["awaiting"]]
    assert awaiting == [(COUNTY, item, "awaiting_inspection")]
    assert queue["overdue"] == []  # due today: not yet overdue
    later = api.ok(LEADER, "GET", "/api/v1/rectification/queue")
    assert [i["item_id"] for i in later["awaiting"]] == [item]
    for outsider in (WEST_EVALUATOR, OTHER_COORDINATOR):
        theirs = api.ok(outsider, "GET", "/api/v1/rectification/queue")
        assert theirs["awaiting"] == [] and theirs["overdue"] == []


@pytest.mark.parametrize(("name", "content"), [
    ("evil.pdf", b"MZ\x90\x00\x03\x00\x00\x00program"), ("照片.png", b"\xff\xd8\xff\xe0jpeg"),
    ("方案.docx", b"%PDF-1.4"), ("台账.csv", b"a,b\x00\x01"), ("旧表.xls", b"PK\x03\x04"),
])  # fmt: skip
def test_evidence_whose_bytes_are_not_its_claimed_type_is_refused_naming_the_file(
    api: Api, name: str, content: bytes
) -> None:
    base = f"/api/v1/counties/{COUNTY}/rectification"
    item = api.ok(EVALUATOR, "POST", base, raise_body(), 201)["item_id"]
    before = api.version()
    answer = api.call(COORDINATOR, "POST", f"{base}/{item}/plan", data={"text": "方案"},
                      files={"files": (name, content, "application/pdf")})  # fmt: skip
    assert name in refused(answer, 422, "files", "file_content")
    assert api.version() == before
    plan = f"/api/v1/counties/{COUNTY}/indicators/1.2/action-plan"
    as_plan = api.call(COORDINATOR, "PUT", plan, data={"text": "方案"}, files={"files": (name, content, "x/y")})
    assert name in refused(as_plan, 422, "files", "file_content")


@pytest.mark.parametrize(("name", "content"), [
    ("方案.pdf", b"%PDF-1.7\n"), ("照片.jpg", b"\xff\xd8\xff\xe0"), ("照片.png", b"\x89PNG\r\n\x1a\n..."),
    ("表.xlsx", b"PK\x03\x04rest"), ("旧文.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest"),
    ("说明.txt", "整改说明".encode("gb18030")), ("台账.csv", "乡镇,事项\n大街镇,补建\n".encode()),
])  # fmt: skip
def test_evidence_of_each_allowed_type_is_accepted(api: Api, name: str, content: bytes) -> None:
    base = f"/api/v1/counties/{COUNTY}/rectification"
    item = api.ok(EVALUATOR, "POST", base, raise_body(), 201)["item_id"]
    api.ok(COORDINATOR, "POST", f"{base}/{item}/plan", data={"text": "方案"}, files={"files": (name, content, "x/y")})


def test_long_texts_are_refused_in_chinese_by_the_domain_and_nothing_is_stored(api: Api) -> None:
    base = f"/api/v1/counties/{COUNTY}/rectification"
    item = api.ok(EVALUATOR, "POST", base, raise_body(), 201)["item_id"]
    api.ok(COORDINATOR, "POST", f"{base}/{item}/plan", data={"text": "方案"})
    before = api.version()
    long = api.call(COORDINATOR, "POST", f"{base}/{item}/progress", data={"text": "进" * 20000})
    assert refused(long, 422, "text", "max_length") == "整改进展（text）不能超过 2000 字，收到 20000 字"
    answerer = api.call(EVALUATOR, "POST", base, raise_body(problem_id="P2", answerer="局" * 101))
    assert "责任单位或责任人（answerer）不能超过 100 字" in refused(answerer, 422, "answerer", "max_length")
    problem = api.call(EVALUATOR, "POST", base, raise_body(report_id=None, problem_id=None, problem="问" * 2001))
    assert "问题（problem）不能超过 2000 字" in refused(problem, 422, "problem", "string_too_long")
    assert api.version() == before


def test_empty_and_blank_step_texts_get_the_same_words(api: Api) -> None:
    base = f"/api/v1/counties/{COUNTY}/rectification"
    item = api.ok(EVALUATOR, "POST", base, raise_body(), 201)["item_id"]
    empty = refused(api.call(COORDINATOR, "POST", f"{base}/{item}/plan", data={}), 422, "text", "required")
    blank = refused(api.call(COORDINATOR, "POST", f"{base}/{item}/plan", data={"text": "  "}), 422, "text", "required")
    assert empty == blank == "整改方案（text）必须填写，不能为空"


def test_a_report_problem_and_free_text_together_are_refused_naming_both(api: Api) -> None:
    base = f"/api/v1/counties/{COUNTY}/rectification"
    both = api.call(EVALUATOR, "POST", base, raise_body(problem_id="P2", problem="我自己的"))
    message = refused(both, 422, "problem", "one_source")
    assert "problem_id" in message and "（problem）" in message and "只能填写一项" in message
    assert api.platform.ledger.county(COUNTY).book(2023).rectification == {}


def test_an_impossible_deadline_says_why_as_as_of_does(api: Api) -> None:
    base = f"/api/v1/counties/{COUNTY}/rectification"
    answer = api.call(EVALUATOR, "POST", base, raise_body(deadline="2024-02-30"))
    assert "2024年2月只有 29 天" in refused(answer, 422, "deadline", "date")
