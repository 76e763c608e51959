"""Issuing reports through the HTTP API, on SQLite and PostgreSQL (ADR 25).

The example scheme; county 130425 with data 1.1 = 59.1 (10 of 20), 1.2 = 60 (15 of 30),
2.1 = 29 (25), 2.2 = 90 (20): total 70, 一般. Correcting 1.2 to 90 (22.5 of 30) makes it 77.5.

County 510129 (west) has no data: 130425 ranks 1st of 2, and 1st of 1 in the east. The report
is the real one (analysis, the scheme's usual rules, Typst): files stored before the event, the
event's hashes, downloads of the stored bytes, the PDF's text, regenerate and compare,
permissions, bad input.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from domain.organisation import Grant
from domain.recorded_time import CHINA
from domain.reports import FILE_NAMES
from ruraleval.platform import Platform
from tests.conftest import add_user, enrol_over_http, login
from tests.test_reports_render import pdf_text, squeezed

COUNTY, ELSEWHERE = "130425", "510129"
EVALUATOR, STRANGER, COORDINATOR, OTHER = "evaluator.east", "evaluator.west", "coordinator.130425", "coordinator.510129"
DATA = [("1.1", "2023", 59.1), ("1.2", "2023-01", 60), ("2.1", "2023-Q1", 29), ("2.2", "2023", 90)]


@dataclass
class Api:
    client: TestClient
    platform: Platform
    as_user: dict[str, dict[str, str]]

    def call(self, user: str, method: str, path: str, body: Any = None) -> httpx.Response:
        headers = self.client.headers if user == "admin" else self.as_user[user]
        return self.client.request(method, path, json=body, headers=dict(headers))

    def ok(self, user: str, method: str, path: str, body: Any = None, status: int = 200) -> dict[str, Any]:
        response = self.call(user, method, path, body)
        assert response.status_code == status, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def issue(self, body: dict[str, Any], user: str = EVALUATOR) -> dict[str, Any]:
        return self.ok(user, "POST", f"/api/v1/counties/{COUNTY}/reports", body, 201)


@pytest.fixture
def api(client: TestClient, scheme_document: dict[str, Any]) -> Api:
    return setup(client, scheme_document)


def setup(client: TestClient, scheme_document: dict[str, Any]) -> Api:
    """The scheme, the two counties in their teams, the users, and 130425's data."""
    service: Platform = client.app.state.platform  # type: ignore[attr-defined]
    assert client.post("/api/v1/schemes", json=scheme_document).status_code == 201
    enrol_over_http(client, COUNTY)
    enrol_over_http(client, ELSEWHERE, "大邑县", "四川省", "west")
    for team, region, county in (("east-1", "east", COUNTY), ("west-1", "west", ELSEWHERE)):
        assert client.post("/api/v1/teams", json={"code": team, "name": team, "region": region}).status_code == 201
        assigned = client.put(f"/api/v1/teams/{team}/counties", json={"counties": [county], "reason": "分组"})
        assert assigned.status_code == 200, assigned.text
    add_user(service, EVALUATOR, Grant("g-east", "evaluator", team="east-1"))
    add_user(service, STRANGER, Grant("g-west", "evaluator", team="west-1"))
    add_user(service, COORDINATOR, Grant("g-co", "county_coordinator", county=COUNTY))
    add_user(service, OTHER, Grant("g-other", "county_coordinator", county=ELSEWHERE))
    found = Api(client, service, {u: login(client, u) for u in (EVALUATOR, STRANGER, COORDINATOR, OTHER)})
    for indicator, period, value in DATA:
        found.ok(COORDINATOR, "POST", f"/api/v1/counties/{COUNTY}/submissions",
                 {"indicator": indicator, "period": period, "value": value}, 201)  # fmt: skip
    return found


def test_an_evaluator_issues_a_report_whose_files_are_stored_and_whose_hashes_are_recorded(api: Api) -> None:
    response = api.call(EVALUATOR, "POST", f"/api/v1/counties/{COUNTY}/reports", {"year": 2023})
    assert response.status_code == 201, response.text
    assert int(response.headers["x-log-position"]) > 0
    body = response.json()
    assert (body["id"], body["total"], body["grade"]) == ("2023-R1", 70.0, "一般")
    assert (body["rank"], body["region_rank"]) == (1, 1)
    assert [f["name"] for f in body["files"]] == list(FILE_NAMES)
    assert [p["id"] for p in body["problems"]] == ["P1", "P2", "P3"]
    recorded = api.platform.ledger.county(COUNTY).book(2023).reports["2023-R1"]
    assert recorded.actor == EVALUATOR and recorded.content_sha256 == body["content_sha256"]
    for file in body["files"]:
        assert recorded.files[file["name"]] == file["sha256"]
        download = api.call(COORDINATOR, "GET", file["href"])  # the county reads its own report
        assert download.status_code == 200, download.text
        assert hashlib.sha256(download.content).hexdigest() == file["sha256"]  # the stored bytes
        assert "filename*=UTF-8''" in download.headers["content-disposition"]
        assert f'filename="{COUNTY}-2023-R1-{file["name"]}"' in download.headers["content-disposition"]
    assert download.content.startswith(b"PK")  # ledger.xlsx, the last
    report = api.call(EVALUATOR, "GET", body["files"][0]["href"]).content
    if shutil.which("pdftotext"):
        text = pdf_text(report)
        assert "大名县" in text and "70.00" in text and "等次为“一般”" in text
        assert body["content_sha256"] in text  # the report prints the hash ReportIssued records
        for finding in body["highlights"] + body["problems"]:
            assert squeezed(finding["title"]) in text, finding["title"]
    check = api.ok(EVALUATOR, "GET", f"/api/v1/counties/{COUNTY}/reports/2023-R1/check")
    assert check["matches"] is True and check["message"] == "重新生成的报告与出具时逐字节一致"
    assert check["content_sha256"] == {"issued": body["content_sha256"], "regenerated": body["content_sha256"]}
    assert all(f["issued"] == f["regenerated"] == recorded.files[n] for n, f in check["files"].items())


def test_the_same_as_of_gives_the_same_bytes_and_a_correction_after_it_different_ones(api: Api) -> None:
    time.sleep(1.0)  # the instant below is cut to the second: it must fall after the fixture's writes
    at = datetime.now(CHINA).replace(microsecond=0).isoformat()
    first = api.issue({"year": 2023, "as_of": at})
    again = api.call(EVALUATOR, "POST", f"/api/v1/counties/{COUNTY}/reports", {"year": 2023, "as_of": at})
    assert again.status_code == 409, again.text  # the same content is not issued twice
    [problem] = again.json()["errors"]
    assert (problem["field"], problem["rule"]) == ("content_sha256", "same_report")
    assert "2023-R1 号评估报告" in problem["message"] and "不重复出具" in problem["message"]
    regenerated = api.ok(EVALUATOR, "GET", f"/api/v1/counties/{COUNTY}/reports/2023-R1/check")
    assert regenerated["matches"] is True  # the same as_of gives the same bytes
    api.ok(COORDINATOR, "POST", f"/api/v1/counties/{COUNTY}/corrections",
           {"indicator": "1.2", "period": "2023-01", "value": 90, "reason": "更正录入错误"})  # fmt: skip
    third = api.issue({"year": 2023})
    assert third["total"] == 77.5
    assert all(a["sha256"] != b["sha256"] for a, b in zip(first["files"], third["files"], strict=True))
    # The first report, regenerated as of its instant, is still the same: the correction came after.
    assert api.ok(EVALUATOR, "GET", f"/api/v1/counties/{COUNTY}/reports/2023-R1/check")["matches"] is True
    listed = api.ok(COORDINATOR, "GET", f"/api/v1/counties/{COUNTY}/reports?year=2023")["reports"]
    assert [r["id"] for r in listed] == ["2023-R1", "2023-R2"]


@pytest.mark.parametrize("user", [COORDINATOR, STRANGER])
def test_a_county_user_or_another_teams_evaluator_cannot_issue_and_nothing_is_stored(api: Api, user: str) -> None:
    version = api.platform.ledger.county(COUNTY).version
    response = api.call(user, "POST", f"/api/v1/counties/{COUNTY}/reports", {"year": 2023})
    assert response.status_code == 403, response.text
    assert response.json()["errors"][0]["rule"] == "permission:issue_report"
    assert api.platform.ledger.county(COUNTY).version == version


def test_another_county_cannot_download_or_list_the_report(api: Api) -> None:
    body = api.issue({"year": 2023})
    assert api.call(OTHER, "GET", body["files"][0]["href"]).status_code == 403
    assert api.call(OTHER, "GET", f"/api/v1/counties/{COUNTY}/reports").status_code == 403
    assert api.ok(OTHER, "GET", "/api/v1/reports?year=2023")["reports"] == []
    assert [r["id"] for r in api.ok(EVALUATOR, "GET", "/api/v1/reports?year=2023")["reports"]] == ["2023-R1"]


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [({"year": 2031}, "year", "scheme_year"), ({"year": 2023, "as_of": "2999-01-01"}, "as_of", "not_future"),
     ({"year": 2023, "as_of": "2024-01-15T08:00:00"}, "as_of", "offset_required")],
)  # fmt: skip
def test_bad_input_is_refused_in_chinese_naming_the_field(
    api: Api, body: dict[str, Any], field: str, rule: str
) -> None:
    version = api.platform.ledger.county(COUNTY).version
    response = api.call(EVALUATOR, "POST", f"/api/v1/counties/{COUNTY}/reports", body)
    assert response.status_code == 422, response.text
    error = response.json()["errors"][0]
    assert (error["field"], error["rule"]) == (field, rule)
    assert api.platform.ledger.county(COUNTY).version == version


def test_an_unknown_report_or_file_is_a_404(api: Api) -> None:
    api.issue({"year": 2023})
    assert api.call(EVALUATOR, "GET", f"/api/v1/counties/{COUNTY}/reports/2023-R9/files/report.pdf").status_code == 404
    assert api.call(EVALUATOR, "GET", f"/api/v1/counties/{COUNTY}/reports/2023-R1/files/x.exe").status_code == 404


# ------------------------------------------------------------- the handler's own checks


def issue_command(**changes: Any) -> Any:
    from domain import report_commands as rc

    fields: dict[str, Any] = {
        "year": 2023, "as_of": datetime(2024, 1, 15, tzinfo=CHINA), "content_sha256": "a" * 64,
        "files": dict.fromkeys(FILE_NAMES, "b" * 64), "total": Decimal(70), "grade": "一般", "rank": 1,
        "region_rank": 1, "highlights": [{"id": "H1", "title": "亮点"}],
        "problems": [{"id": "P1", "title": "问题一"}, {"id": "P2", "title": "问题二"}],
    }  # fmt: skip
    return rc.IssueReport(**(fields | changes))


@pytest.fixture
def enrolled(memory_platform: Platform, scheme: Any) -> Platform:
    from domain import commands as c

    context = c.Context("setup", "setup")
    memory_platform.ledger.publish_scheme(scheme, context)
    memory_platform.ledger.enrol(c.EnrolCounty(COUNTY, "大名县", "河北省", "east", scheme), context)
    return memory_platform


def test_the_handler_refuses_the_years_latest_report_again_and_records_nothing(enrolled: Platform) -> None:
    from domain import commands as c
    from domain.errors import ConflictError

    enrolled.ledger.execute(COUNTY, issue_command(), c.Context("evaluator.east", "first"))
    version = enrolled.ledger.county(COUNTY).version
    with pytest.raises(ConflictError) as refused:
        enrolled.ledger.execute(COUNTY, issue_command(), c.Context("evaluator.east", "again"))
    [problem] = refused.value.problems
    assert (problem.field, problem.rule) == ("content_sha256", "same_report") and "2023-R1" in problem.message
    assert enrolled.ledger.county(COUNTY).version == version


def test_the_handler_records_report_ids_in_order(enrolled: Platform) -> None:
    from domain import commands as c

    for number in (1, 2):
        command = issue_command(content_sha256=str(number) * 64)
        outcome = enrolled.ledger.execute(COUNTY, command, c.Context("evaluator.east", f"r{number}"))
        assert outcome.result == {"report_id": f"2023-R{number}"}
    report = enrolled.ledger.county(COUNTY).book(2023).reports["2023-R2"]
    assert report.problems[1] == {"id": "P2", "title": "问题二"} and report.actor == "evaluator.east"


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"content_sha256": "XYZ"}, "content_sha256", "sha256"),
        ({"files": {"report.pdf": "b" * 64}}, "files", "report_files"),
        ({"grade": "优秀"}, "grade", "scheme_grade"),
        ({"total": Decimal(101)}, "total", "range"),
        ({"problems": [{"id": "P2", "title": "问题"}]}, "problems[0].id", "problem_id"),
        ({"problems": [{"id": "P1", "title": " "}]}, "problems[0].title", "required"),
        ({"highlights": ["亮点"]}, "highlights[0]", "object"),
        ({"as_of": datetime(2024, 1, 15)}, "as_of", "offset_required"),
        ({"as_of": datetime(2999, 1, 1, tzinfo=CHINA)}, "as_of", "not_future"),
        ({"year": 2031}, "year", "scheme_year"),
    ],
)  # fmt: skip
def test_the_handler_refuses_a_malformed_report_and_records_nothing(
    enrolled: Platform, changes: dict[str, Any], field: str, rule: str
) -> None:
    from domain import commands as c
    from domain.errors import DomainError

    version = enrolled.ledger.county(COUNTY).version
    with pytest.raises(DomainError) as refused:
        enrolled.ledger.execute(COUNTY, issue_command(**changes), c.Context("evaluator.east", "bad"))
    assert (field, rule) in [(p.field, p.rule) for p in refused.value.problems]
    assert all(p.message and not p.message.isascii() for p in refused.value.problems)  # in Chinese
    assert enrolled.ledger.county(COUNTY).version == version


def test_the_lists_read_as_of_an_instant_and_years_as_other_routes_do(api: Api) -> None:
    before = datetime.now(CHINA).isoformat()
    api.issue({"year": 2023})
    for path in ("/api/v1/reports", f"/api/v1/counties/{COUNTY}/reports"):
        now = api.ok(EVALUATOR, "GET", f"{path}?year=2023")["reports"]
        assert [r["id"] for r in now] == ["2023-R1"]
        then = api.client.get(path, params={"year": "2023", "as_of": before}, headers=dict(api.as_user[EVALUATOR]))
        assert then.status_code == 200 and then.json()["reports"] == [], then.text
        garbage = api.client.get(path, params={"year": "2023", "as_of": "昨天"}, headers=dict(api.as_user[EVALUATOR]))
        assert garbage.status_code == 422 and "as_of" in garbage.text
        wide = api.client.get(path, params={"year": "２０２３"}, headers=dict(api.as_user[EVALUATOR]))
        assert wide.status_code == 200 and [r["id"] for r in wide.json()["reports"]] == ["2023-R1"], wide.text
