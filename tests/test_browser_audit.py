"""The auditor's and the centre's journeys in a real browser (see ``test_browser.py``).

The auditor opens a node's timeline and finds the correction's reason; the admin uploads
an invalid scheme and sees every problem listed. Which correction, and which problems, are
found from the running platform's data: this module's ``server`` keeps the platform.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from domain.errors import InvalidCommand
from domain.scheme_reading import parse_scheme
from ruraleval.platform import Platform
from tests.test_browser import browser, check_accessibility, demo_server, page, photograph, sign_in  # noqa: F401
from tests.test_pages_audit import YEAR, _broken_scheme, correction_with_reason

pytestmark = pytest.mark.slow

from playwright.sync_api import Page, expect  # noqa: E402


@pytest.fixture(scope="module")
def running() -> Iterator[tuple[str, Platform]]:
    with demo_server(background=True) as found:
        yield found


@pytest.fixture(scope="module")
def server(running: tuple[str, Platform]) -> str:
    return running[0]


@pytest.fixture(scope="module")
def platform(running: tuple[str, Platform]) -> Platform:
    return running[1]


def test_the_auditor_opens_a_node_timeline_and_finds_the_correction_reason(
    page: Page,  # noqa: F811
    server: str,
    platform: Platform,
) -> None:
    correction: dict[str, Any] = correction_with_reason(platform)
    code, indicator = correction["county"], correction["payload"]["indicator"]
    sign_in(page, "auditor")
    expect(page.get_by_role("heading", level=1)).to_have_text("审计工作台")
    check_accessibility(page)
    photograph(page, "50-audit-home")

    page.get_by_label("县（").select_option(code)
    page.get_by_role("button", name="查看得分变化时间线").click()
    expect(page).to_have_url(f"{server}/audit/counties/{code}/history")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{YEAR}年度 · 总分的得分变化")
    check_accessibility(page)
    photograph(page, "51-audit-timeline-total")

    page.get_by_role("combobox", name="得分节点").select_option(indicator)
    page.get_by_role("button", name="查看", exact=True).click()
    expect(page).to_have_url(f"{server}/audit/counties/{code}/history?year={YEAR}&node={indicator}&order=asc")
    entry = page.locator(".timeline__entry--correction", has_text=correction["reason"]).first
    expect(entry).to_contain_text("更正数据")
    expect(entry.locator(".timeline__reason")).to_have_text(correction["reason"])
    entry.scroll_into_view_if_needed()
    check_accessibility(page)
    photograph(page, "52-audit-timeline-correction")
    page.get_by_text("以表格查看时间线").click()  # the same entries as a table, the one that downloads
    table = page.get_by_role("table", name="得分变化时间线")
    expect(table).to_contain_text(correction["reason"])
    table.scroll_into_view_if_needed()
    check_accessibility(page)
    photograph(page, "52b-audit-timeline-table")

    entry.get_by_role("link", name="这一时刻该县的全部变化").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("两个时刻之间的变化")
    expect(page.get_by_role("table", name="A 之后、B 及以前记录的事件")).to_contain_text(correction["reason"])
    check_accessibility(page)
    photograph(page, "53-audit-changes")

    page.get_by_role("link", name="审计工作台").click()
    page.get_by_role("navigation", name="审计功能").get_by_role("link", name="哈希链校验与摘要").click()
    expect(page.get_by_role("status")).to_contain_text("哈希链完整")
    check_accessibility(page)
    photograph(page, "54-audit-chains")

    page.goto("/audit/organisation")
    expect(page.get_by_role("table")).to_contain_text("授予角色")
    check_accessibility(page)
    photograph(page, "55-audit-organisation")


def test_the_admin_uploads_an_invalid_scheme_and_sees_every_problem(
    page: Page,  # noqa: F811
    platform: Platform,
) -> None:
    document = _broken_scheme(platform)
    with pytest.raises(InvalidCommand) as refused:
        parse_scheme(json.loads(json.dumps(document)))
    problems = refused.value.problems
    sign_in(page, "admin")
    expect(page.get_by_role("heading", level=1)).to_have_text("中心专班工作台")
    check_accessibility(page)
    photograph(page, "60-centre-home")

    page.get_by_role("navigation", name="中心专班功能").get_by_role("link", name="评估方案").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("评估方案")
    upload = {"name": "方案.json", "mimeType": "application/json",
              "buffer": json.dumps(document, ensure_ascii=False).encode()}  # fmt: skip
    page.get_by_label("方案文件（JSON）").set_input_files(files=[upload])
    expect(page.locator("#document-name")).to_have_text("方案.json")
    page.get_by_role("button", name="上传并发布").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(f"发现 {len(problems)} 处不符合规则")
    expect(alert.locator("li")).to_have_count(len(problems))
    for problem in problems:
        expect(alert).to_contain_text(problem.message.removeprefix(f"{problem.field} "))  # the place says the path
    check_accessibility(page)
    photograph(page, "61-centre-scheme-problems")

    pages = {"/centre/counties": "62-centre-counties", "/centre/users": "63-centre-users",
             "/centre/users/dept.130425": "64-centre-user", "/centre/teams": "65-centre-teams"}  # fmt: skip
    for path, name in pages.items():
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        check_accessibility(page)
        photograph(page, name)


def test_a_bad_enrolment_shows_its_messages_beside_the_fields(page: Page) -> None:  # noqa: F811
    sign_in(page, "admin", "/centre/counties")
    page.get_by_label("县级行政区划代码").fill("12345")
    page.get_by_label("县名称").fill("测试县")
    page.get_by_label("所属省份").fill("河北省")
    page.get_by_role("button", name="登记入选").click()
    expect(page.locator("#enrol-code-error")).to_contain_text("6 位数字")
    expect(page.locator("#enrol-region-error")).to_have_text("请选择分区（东部、中部或西部）")
    expect(page.locator("#enrol-scheme-error")).to_have_text("请选择该县采用的评估方案")
    check_accessibility(page)
    photograph(page, "66-centre-enrolment-error")
