"""The report pages over the demo (reports 2023-R1 of 130425 and 320583 issued by the site
fixture of test_pages): who sees the 出具报告 form, downloads of the stored bytes, issuing
from the form, regenerate and compare."""

from __future__ import annotations

import hashlib
import io

import openpyxl

from tests.test_pages import Site, site  # noqa: F401  (the demo site, shared fixture)


def test_an_evaluator_sees_the_issue_form_for_the_teams_counties_only(site: Site) -> None:  # noqa: F811
    site.sign_in("evaluator.east")
    page = site.client.get("/reports?year=2023")
    assert page.status_code == 200
    assert 'action="/counties/130425/reports"' in page.text and 'action="/counties/320583/reports"' in page.text
    assert 'action="/counties/510129/reports"' not in page.text  # the west team's county
    assert "出具报告" in page.text and "2023-R1" in page.text
    workbook = site.client.get("/reports?year=2023&format=xlsx&table=reports")
    assert workbook.status_code == 200 and workbook.content.startswith(b"PK")
    # 出具人 as the history pages name people: 显示名（用户名）, on the page and in its workbook
    assert "东部评估组成员（evaluator.east）" in page.text
    cells = [c.value for row in openpyxl.load_workbook(io.BytesIO(workbook.content)).active.iter_rows() for c in row]
    assert "东部评估组成员（evaluator.east）" in cells


def test_a_county_sees_its_reports_and_downloads_the_stored_bytes_but_cannot_issue(site: Site) -> None:  # noqa: F811
    site.sign_in("coordinator.130425")
    page = site.client.get("/counties/130425/reports?year=2023")
    assert page.status_code == 200 and "下载评估报告" in page.text and "出具报告</button>" not in page.text
    recorded = site.platform.ledger.county("130425").book(2023).reports["2023-R1"]
    for name, sha256 in recorded.files.items():
        download = site.client.get(f"/counties/130425/reports/2023-R1/files/{name}")
        assert download.status_code == 200 and hashlib.sha256(download.content).hexdigest() == sha256
    assert site.client.get("/counties/320583/reports/2023-R1/files/report.pdf").status_code == 403
    refused = site.client.post("/counties/130425/reports", data={"year": "2023", "csrf_token": site.csrf()})
    assert refused.status_code == 403


def test_an_evaluator_issues_from_the_form_and_the_check_says_the_bytes_match(site: Site) -> None:  # noqa: F811
    site.sign_in("evaluator.east")
    before = len(site.platform.ledger.county("320583").book(2023).reports)
    form = {"year": "2023", "as_of": "", "back": "/reports", "csrf_token": site.csrf()}
    answer = site.client.post("/counties/320583/reports", data=form, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/reports?")
    assert len(site.platform.ledger.county("320583").book(2023).reports) == before + 1
    site.platform.projections.ensure_fresh()  # this site runs no projection thread
    check = site.client.get("/counties/320583/reports/2023-R1/check")
    assert check.status_code == 200 and "重新生成的报告与出具时逐字节一致" in check.text


def test_a_future_as_of_is_shown_beside_the_form(site: Site) -> None:  # noqa: F811
    site.sign_in("evaluator.east")
    form = {"year": "2023", "as_of": "2999-01-01", "csrf_token": site.csrf()}
    answer = site.client.post("/counties/130425/reports", data=form)
    assert answer.status_code == 422 and "不能晚于今天" in answer.text and 'role="alert"' in answer.text
