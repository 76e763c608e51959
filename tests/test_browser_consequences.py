"""The link to reward and penalty in a real browser: the evaluator issues the county's report,
decides its consequences with the 认定挂钩结果 form, and the leader finds the consequence among
every county's, with its rule and cause.

Reuses the browser and helpers of ``test_browser.py`` (Debian's chromium, axe-core on every page,
screenshots at 1280 × 800 into ``tests/screenshots/``), with a server whose read models are kept
by their background thread, as ``ruraleval serve`` runs them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.test_browser import browser, check_accessibility, demo_server, photograph, sign_in  # noqa: F401
from tests.test_browser import page as tab  # noqa: F401  (a fresh browser page, signed in by the test)

pytestmark = pytest.mark.slow
PAGE = "/counties/130425/consequences?year=2023"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with demo_server(background=True) as (address, _):
        yield address


def signed_in(tab: Page, username: str, path: str) -> None:  # noqa: F811
    sign_in(tab, username, path)
    expect(tab).not_to_have_url(re.compile(r"/signin"))


def test_an_evaluator_decides_and_the_leader_sees_the_consequence(tab: Page) -> None:  # noqa: F811
    signed_in(tab, "evaluator.east", PAGE)
    expect(tab.get_by_role("heading", level=1)).to_contain_text("挂钩结果")
    expect(tab.locator("section[aria-labelledby=reports-title]")).to_contain_text("2023-R1")  # the demo's
    tab.goto("/counties/130425/reports?year=2023")
    tab.get_by_role("form", name="出具大名县的评估报告").get_by_role("button", name="出具报告").click()
    expect(tab.get_by_role("status")).to_contain_text("评估报告已出具")

    tab.goto(PAGE)
    deciding = tab.locator("section[aria-labelledby=decide-title]")
    deciding.get_by_label("认定日（北京时间）").fill("2999-01-01")  # beyond the field's max: the server says why
    deciding.get_by_role("button", name="认定挂钩结果").evaluate("button => button.form.noValidate = true")
    deciding.get_by_role("button", name="认定挂钩结果").click()
    expect(tab.locator("#decide-on-error")).to_contain_text("不能晚于今天")
    expect(tab.get_by_label("认定日（北京时间）")).to_have_attribute("aria-invalid", "true")
    check_accessibility(tab)
    deciding = tab.locator("section[aria-labelledby=decide-title]")
    deciding.get_by_label("认定日（北京时间）").fill("")
    deciding.get_by_role("button", name="认定挂钩结果").click()
    expect(tab.get_by_role("status")).to_have_text("已按方案规则认定挂钩结果。")
    table = tab.locator("table[data-table=consequences]")
    # the new report's 一般 gives the same 约谈分管负责同志 as R1's: decided once a year (ADR 26); the new
    # consequence is 2023-Z3's, overdue since 30 September
    expect(table.locator("tr", has_text="2023-C3")).to_contain_text("下一年度扣分")
    expect(table.locator("tr", has_text="2023-C3")).to_contain_text("整改事项 2023-Z3 逾期")
    expect(table.get_by_role("link", name=re.compile(r"评估报告 2023-R2"))).to_have_count(0)
    check_accessibility(tab)
    table.scroll_into_view_if_needed()
    photograph(tab, "85-consequences-county")
    tab.get_by_role("button", name="退出登录").click()
    tab.wait_for_load_state("networkidle")

    signed_in(tab, "leader", "/consequences?year=2023")
    every = tab.locator("table[data-table=consequences]")
    expect(every).to_contain_text("大名县")
    expect(every).to_contain_text("整改事项 2023-Z3 逾期")
    check_accessibility(tab)
    photograph(tab, "86-consequences-leader")
    every.get_by_role("link", name="大名县").first.click()
    expect(tab.get_by_role("heading", level=1)).to_contain_text("大名县 · 2023年度挂钩结果")
    expect(tab.locator("section[aria-labelledby=decide-title]")).to_have_count(0)  # the leader reads only
