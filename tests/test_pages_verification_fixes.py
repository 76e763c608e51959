"""The verification pages on the demo as QA found them (phase 3): the 镇级核查 link opens the year
that has a verification, with a year selector; dates in Beijing days; team names only; the
audit view in Chinese."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ruraleval import demo
from ruraleval.platform import Platform
from ruraleval.settings import parse_database_url
from tests.test_pages import Site

BASE = "/counties/130425/verification"


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    app = create_app(lambda: Platform(parse_database_url("memory://")), background=False)
    with TestClient(app) as client:
        demo.load_demo(app.state.platform)
        yield Site(client, app.state.platform)


def test_the_verification_link_opens_the_latest_year_opened_with_a_year_selector(site: Site) -> None:
    site.sign_in("coordinator.130425")
    page = site.client.get(BASE)
    assert page.status_code == 200
    assert "2023年度镇级核查" in page.text and "尚未开始" not in page.text
    assert '<select id="verification-year" name="year">' in page.text
    assert '<option value="2023" selected>2023 年度</option>' in page.text
    other = site.client.get(f"{BASE}?year=2024").text  # a year not opened can still be chosen by its link
    assert "尚未开始 2024 年度的镇级核查" in other and '<option value="2023">2023 年度</option>' in other


def test_teams_show_names_only_the_town_starts_unchosen_and_the_office_is_typed_in_words(site: Site) -> None:
    site.sign_in("coordinator.130425")
    page = site.client.get(f"{BASE}/teams?year=2023").text
    assert "第一核查组 · 负责大名镇" in page and "第一核查组（1）" not in page
    absences = page.split('data-table="absences"')[1]
    assert "<td>第一核查组</td>" in absences and "<td>1</td>" not in absences
    assert "县核查办" in page and "county_office" not in page
    token = site.csrf()
    members = "王明,县核查办\n"
    formed = site.client.post(f"{BASE}/teams", data={"csrf_token": token, "year": "2023", "team_id": "9",
                                                     "name": "第九核查组", "members": members},
                              follow_redirects=False)  # fmt: skip
    assert formed.status_code == 303, formed.text
    page = site.client.get(f"{BASE}/teams?year=2023").text
    form = page.split('action="/counties/130425/verification/teams/9/assign"')[1].split("</form>")[0]
    assert '<option value="" selected>请选择</option>' in form and " selected>大名镇" not in form
    unchosen = site.client.post(f"{BASE}/teams/9/assign", data={"csrf_token": site.csrf(), "year": "2023", "town": ""},
                                follow_redirects=False)  # fmt: skip
    assert unchosen.status_code == 422 and "请选择镇" in unchosen.text


def test_the_verification_audit_view_is_in_words_with_who_by_name(site: Site) -> None:
    site.sign_in("auditor")
    page = site.client.get("/audit/counties/130425/verification?year=2023").text
    table = page.split('data-table="verification-events"')[1]
    for label in ("开始年度镇级核查", "登记镇、村、户", "组建核查组", "抽样", "录入核查得分", "标记省、市抽查"):
        assert f'<th scope="row">{label}</th>' in table, label
    for raw in ("Opened", "ObjectsRegistered", "TeamFormed", "originator_topic", "Member（", "authority：", "sheet："):
        assert raw not in table, raw
    assert "结果层级：省级" in table and "成员：赵文华（DM02，帮扶 DM02V2）" in table
    assert "（coordinator.130425）" in table


def test_a_higher_levels_result_shows_its_source_and_the_form_asks_for_it(site: Site) -> None:
    site.sign_in("coordinator.130425")
    page = site.client.get(f"{BASE}/entry?year=2023&team=1").text
    assert "省级，2023-12-20 核查，coordinator.130425 录入，依据：省考核组年度抽查（以省考核组结果为准）" in page
    assert "依据（省、市级结果必填：来文名称或文号）" in page


def test_a_double_click_on_issue_records_one_notice(site: Site) -> None:
    site.sign_in("coordinator.130425")
    data = {"csrf_token": site.csrf(), "year": "2023"}
    first = site.client.post(f"{BASE}/towns/DM01/notices", data=data, follow_redirects=False)
    assert first.status_code == 303, first.text
    second = site.client.post(f"{BASE}/towns/DM01/notices", data=data, follow_redirects=False)
    assert second.status_code == 409 and "核查结果通报 2023-N1 与本次内容相同" in second.text
    page = site.client.get(f"{BASE}/outcomes?year=2023").text
    assert "2023-N1 核查结果通报（PDF）" in page and "2023-N2" not in page
